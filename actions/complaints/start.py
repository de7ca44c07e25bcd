"""Entry points of the client side: start (or resume) a complaint, ask before erasing."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.complaints.labels import FIELDS
from actions.conversation import AWAITING_DELETE

Events = List[Dict[Text, Any]]
# filled by the form when the client started and left; dispute_type is left out,
# since it may come from the very message that starts the complaint
PROGRESS_SLOTS = tuple(f for f in FIELDS if f != "dispute_type") + ("evidence_files",)


def pause_form(tracker: Tracker) -> Events:
    """Events that stop the active form (its answers stay for later)."""
    if tracker.active_loop.get("name"):
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


class ActionFileComplaint(Action):
    """Introduces the complaint form, or says that it resumes where the client left."""

    def name(self) -> Text:
        return "action_file_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        resuming = any(tracker.get_slot(slot) for slot in PROGRESS_SLOTS)
        if tracker.active_loop.get("name") == "complaint_form" or resuming:
            dispatcher.utter_message(response="utter_complaint_resume")
        else:
            dispatcher.utter_message(response="utter_complaint_start")
        return [SlotSet("role", "client"), SlotSet("awaiting", None)]


class ActionAskDeleteConfirmation(Action):
    """Asks for confirmation before erasing the user's data (pausing any form)."""

    def name(self) -> Text:
        return "action_ask_delete_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_ask_delete_confirmation")
        return pause_form(tracker) + [SlotSet("awaiting", AWAITING_DELETE)]
