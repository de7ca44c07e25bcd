"""Questions of the complaint form that depend on what was already given."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import language_of
from actions.complaints.labels import dispute_label, not_given, resolution_name

Events = List[Dict[Text, Any]]
SKIPPED = "__skip__"


def summary_values(tracker: Tracker) -> Dict[Text, Any]:
    """The form's answers as the summary shows them, in the user's language."""
    language = language_of(tracker)
    reference = tracker.get_slot("shoot_reference")
    return {
        "studio_name": tracker.get_slot("studio_name") or not_given(language),
        "shoot_reference": not_given(language)
        if reference in (None, SKIPPED)
        else reference,
        "dispute_label": dispute_label(language, tracker.get_slot("dispute_type") or ""),
        "description": tracker.get_slot("description") or not_given(language),
        "resolution_label": resolution_name(
            language, tracker.get_slot("desired_resolution") or ""
        ),
        "evidence_count": len(tracker.get_slot("evidence_files") or []),
        "contact": tracker.get_slot("contact") or not_given(language),
    }


class ActionAskEvidence(Action):
    """Asks for evidence; once files came in, says how many and offers "done"."""

    def name(self) -> Text:
        return "action_ask_evidence"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        count = len(tracker.get_slot("evidence_files") or [])
        if count:
            dispatcher.utter_message(response="utter_ask_more_evidence", evidence_count=count)
        else:
            dispatcher.utter_message(response="utter_ask_evidence")
        return []


class ActionAskComplaintConfirmed(Action):
    """Shows the summary: confirm, or correct one field."""

    def name(self) -> Text:
        return "action_ask_complaint_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_complaint_summary", **summary_values(tracker))
        return []
