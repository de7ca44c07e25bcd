"""Where each answer leads: the transitions between guidance steps."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import jurisdiction_of, language_of
from actions.guidance import content

REMINDER_STEP = "propose"
# "it did not work": the next, stronger step
ESCALATION: Dict[str, Optional[str]] = {
    "talk": "terms",
    "terms": "propose",
    "propose": "mediation",
    "agreement": "mediation",
    "mediation": "court",
    "court": "followup",
    "followup": None,
}
# "it worked": put it in writing, then draw the lessons
SUCCESS: Dict[str, Optional[str]] = {
    "talk": "agreement",
    "terms": "agreement",
    "propose": "agreement",
    "mediation": "agreement",
    "court": "agreement",
    "agreement": "followup",
    "followup": None,
}


def next_in_order(step: Optional[str]) -> Optional[str]:
    """The step after `step` in the documented order (the first one if none)."""
    index = content.step_index(step)
    if index + 1 < len(content.STEPS):
        return content.STEPS[index + 1]
    return None


def show_step(
    dispatcher: CollectingDispatcher, tracker: Tracker, step: Text
) -> List[Dict[Text, Any]]:
    """Sends a step (text, checklist, buttons) and records it as the current one."""
    language = language_of(tracker)
    text = content.render_step(
        language, step, jurisdiction_of(tracker), tracker.get_slot("dispute_type")
    )
    dispatcher.utter_message(response="utter_step", step_text=text)
    if step == REMINDER_STEP:
        # after a proposal: offer to check back in a few days (actions/guidance/reminders.py)
        dispatcher.utter_message(response="utter_offer_reminder")
    return [SlotSet("guidance_step", step)]


def show_position(
    dispatcher: CollectingDispatcher, tracker: Tracker, step: Text
) -> None:
    """Says which step the user is at."""
    language = language_of(tracker)
    dispatcher.utter_message(
        response="utter_step_position",
        step_number=content.step_index(step) + 1,
        step_count=len(content.STEPS),
        step_title=content.step_title(language, step),
    )


def current_step(tracker: Tracker) -> Optional[str]:
    """The current guidance step, or None before the first one."""
    step = tracker.get_slot("guidance_step")
    return step if step in content.STEPS else None
