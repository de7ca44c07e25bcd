"""`action_submit_complaint`: writes the confirmed complaint and tells the client
what happens next and what their options are where they live."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import jurisdiction_of, language_of
from actions.complaints import store
from actions.complaints.ask import SKIPPED
from actions.complaints.labels import FIELDS
from bot.storage.cases import same_case

logger = logging.getLogger(__name__)
Events = List[Dict[Text, Any]]
# the form's slots, emptied once the case is written (the next complaint starts afresh)
FORM_SLOTS = FIELDS + ("evidence_files", "complaint_confirmed", "complaint_failures")
OPTIONS = {"FR": "utter_complaint_options_fr", "CN": "utter_complaint_options_cn",
           "RU": "utter_complaint_options_ru"}


def case_fields(tracker: Tracker) -> Dict[Text, Any]:
    """The Case columns from the form's slots."""
    reference: Optional[str] = tracker.get_slot("shoot_reference")
    return {
        "studio_name": (tracker.get_slot("studio_name") or "")[:200] or None,
        "shoot_date": None if reference in (None, SKIPPED) else str(reference)[:100],
        "dispute_type": tracker.get_slot("dispute_type"),
        "description": tracker.get_slot("description") or "",
        "desired_resolution": tracker.get_slot("desired_resolution"),
        "contact": (tracker.get_slot("contact") or "")[:200] or None,
        "jurisdiction": jurisdiction_of(tracker),
    }


def write_case(tracker: Tracker) -> str:
    """Writes the case and its attachments in one transaction, in the database of the
    case's jurisdiction; returns the reference."""
    files = [dict(item) for item in tracker.get_slot("evidence_files") or []]
    fields = case_fields(tracker)
    with store.sessions(jurisdiction_of(tracker)).begin() as session:
        # a retried turn (Rasa did not keep the first one): the case written then
        same = same_case(session=session, conversation_id=tracker.sender_id,
                         fields=fields, attachments=files)
        if same is not None:
            logger.info("complaint submitted again: %s confirmed, not doubled", same.ref)
            return same.ref
        case = store.create_case(
            session=session,
            conversation_id=tracker.sender_id,
            language=language_of(tracker),
            fields=fields,
            attachments=files,
        )
        return case.ref


class ActionSubmitComplaint(Action):
    """Files the complaint once the client confirmed the summary."""

    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if tracker.get_slot("complaint_confirmed") != "yes":
            return []
        try:
            ref = write_case(tracker)
        except SQLAlchemyError:
            logger.exception("could not write a case")
            dispatcher.utter_message(response="utter_complaint_save_failed")
            return [SlotSet("complaint_confirmed", None)]
        dispatcher.utter_message(response="utter_complaint_filed", case_ref=ref)
        dispatcher.utter_message(response=OPTIONS[jurisdiction_of(tracker)])
        dispatcher.utter_message(json_message={"accord": {"new_case": ref}})
        return [SlotSet("case_ref", ref), SlotSet("role", "client")] + [
            SlotSet(slot, None) for slot in FORM_SLOTS
        ]
