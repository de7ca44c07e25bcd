"""Conversation-level actions: yes/no in context, cancel, language, fallbacks, hand-off."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from sqlalchemy.exc import SQLAlchemyError

from actions.common import LANGUAGES, latest_entities, latest_entity_value

logger = logging.getLogger(__name__)
Events = List[Dict[Text, Any]]
# what an affirm / deny answers; set by the action that asked the question
AWAITING_DELETE = "delete_my_data"
# a custom payload for the channel: erase this user's data once the turn is over
ERASE_PAYLOAD = {"accord": {"erase_user_data": True}}


def stop_loop(tracker: Tracker) -> Events:
    """Events that deactivate the active form, if any (its slots are kept)."""
    if tracker.active_loop.get("name"):
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


class ActionAffirm(Action):
    """A "yes": confirms the pending question, if any."""

    def name(self) -> Text:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if tracker.get_slot("awaiting") == AWAITING_DELETE:
            dispatcher.utter_message(response="utter_data_deleted")
            dispatcher.utter_message(json_message=ERASE_PAYLOAD)
            return stop_loop(tracker) + [AllSlotsReset()]
        dispatcher.utter_message(response="utter_what_next")
        return []


class ActionDeny(Action):
    """A "no": declines the pending question, if any."""

    def name(self) -> Text:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if tracker.get_slot("awaiting") == AWAITING_DELETE:
            dispatcher.utter_message(response="utter_delete_kept")
            return [SlotSet("awaiting", None)]
        dispatcher.utter_message(response="utter_what_next")
        return []


class ActionCancel(Action):
    """Stops the current form or pending question."""

    def name(self) -> Text:
        return "action_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_cancelled")
        return [SlotSet("awaiting", None)] + stop_loop(tracker)


class ActionChangeLanguage(Action):
    """Switches to the requested language, or offers the choice."""

    def name(self) -> Text:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        requested = latest_entity_value(tracker, "requested_language")
        if requested not in LANGUAGES:
            dispatcher.utter_message(response="utter_language_choice")
            return []
        # the response is rendered after the event is applied, in the new language
        dispatcher.utter_message(response="utter_language_changed")
        return [SlotSet("language", requested)]


class ActionOutOfScope(Action):
    """Unsupported language: a trilingual choice; otherwise a polite refusal."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if latest_entities(tracker, "unsupported_language"):
            dispatcher.utter_message(response="utter_language_choice")
        elif (tracker.latest_message.get("intent") or {}).get("name") == "nlu_fallback":
            dispatcher.utter_message(response="utter_did_not_understand")
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionRequestHuman(Action):
    """Hands the conversation to staff; the channel notifies the staff chat.

    The client's latest open case is flagged for staff; a form in progress is paused
    (its answers are kept, and /complaint resumes it)."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        from actions.complaints import store

        try:
            ref = store.mark_handoff(tracker.sender_id)
        except SQLAlchemyError:
            logger.exception("could not flag the case for hand-off")
            ref = None
        dispatcher.utter_message(response="utter_human_handoff")
        payload: Dict[Text, Any] = {"handoff": True}
        if ref:
            payload["case_ref"] = ref
        dispatcher.utter_message(json_message={"accord": payload})
        events = stop_loop(tracker)
        if events:
            dispatcher.utter_message(response="utter_complaint_paused")
        return events
