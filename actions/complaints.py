"""Client-side actions: complaints, their status, and erasure of the user's data."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import AWAITING_DELETE

Events = List[Dict[Text, Any]]


class ActionFileComplaint(Action):
    """Starts a complaint (until the intake form exists: a hand-off to staff)."""

    def name(self) -> Text:
        return "action_file_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_complaint_unavailable")
        return [SlotSet("role", "client")]


class ActionCheckComplaintStatus(Action):
    """Lists the user's own cases."""

    def name(self) -> Text:
        return "action_check_complaint_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_no_cases")
        return []


class ActionAskDeleteConfirmation(Action):
    """Asks for confirmation before erasing the user's data."""

    def name(self) -> Text:
        return "action_ask_delete_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_ask_delete_confirmation")
        return [SlotSet("awaiting", AWAITING_DELETE)]
