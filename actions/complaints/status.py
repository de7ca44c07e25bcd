"""The client's own cases: status list, and adding information or evidence to one."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import language_of, latest_user_metadata
from actions.complaints import store
from actions.complaints import validators as check
from actions.complaints.labels import status_name
from actions.free_text import INTERRUPTIONS, TypedAnswersForm

logger = logging.getLogger(__name__)
Events = List[Dict[Text, Any]]
SHOWN = 10
NO_CASE = "__none__"
DATE_FORMATS = {"fr": "{d:02d}/{m:02d}/{y}", "zh": "{y}年{m}月{d}日", "ru": "{d:02d}.{m:02d}.{y}"}


def local_date(language: str, when: dt.datetime) -> str:
    """A date as people write it in that language."""
    return DATE_FORMATS[language].format(d=when.day, m=when.month, y=when.year)


def case_lines(language: str, sender_id: str) -> List[str]:
    """One line per case of this conversation (newest first): ref, status, date."""
    cases = store.client_cases(sender_id)[:SHOWN]
    return [
        f"• {c.ref} — {status_name(language, c.status)} — "
        f"{local_date(language, c.created_at)}"
        for c in cases
    ]


def _save(conversation_id: str, ref: str, **addition: Any) -> bool:
    try:
        return store.add_to_case(conversation_id, ref, **addition)
    except SQLAlchemyError:
        logger.exception("could not add to a case")
        return False


class ActionCheckComplaintStatus(Action):
    """Lists the cases filed from this conversation, and only those."""

    def name(self) -> Text:
        return "action_check_complaint_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        try:
            lines = case_lines(language_of(tracker), tracker.sender_id)
        except SQLAlchemyError:
            logger.exception("could not read the cases")
            lines = []
        if not lines:
            dispatcher.utter_message(response="utter_no_cases")
        else:
            dispatcher.utter_message(response="utter_case_list", cases_list="\n".join(lines))
        return []


class ActionAddToCase(Action):
    """Starts adding to the latest open case (the form takes the next message)."""

    def name(self) -> Text:
        return "action_add_to_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        try:
            ref = store.newest_open_ref(tracker.sender_id)
        except SQLAlchemyError:
            logger.exception("could not read the cases")
            ref = None
        if ref is None:
            dispatcher.utter_message(response="utter_no_open_case")
            # fills the form's only slot: the form ends at once and saves nothing
            return [SlotSet("case_addition", NO_CASE)]
        dispatcher.utter_message(response="utter_ask_case_addition", case_ref=ref)
        return [SlotSet("addition_case_ref", ref), SlotSet("case_addition", None)]


class ValidateCaseAdditionForm(TypedAnswersForm):
    """Takes the client's typed addition (files arrive as "__files__")."""

    typed_slots = {"case_addition": INTERRUPTIONS}

    def name(self) -> Text:
        return "validate_case_addition_form"


class ActionSaveCaseAddition(Action):
    """Appends the client's text (as a note) or files to the open case."""

    def name(self) -> Text:
        return "action_save_case_addition"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        value = check.clean(tracker.get_slot("case_addition"))
        ref = tracker.get_slot("addition_case_ref")
        reset = [SlotSet("case_addition", None), SlotSet("addition_case_ref", None)]
        if value == NO_CASE or not ref:
            return reset
        if value == "__files__":
            files, problem = check.attachments_of(latest_user_metadata(tracker))
            if not files:
                wrong = problem in ("type", "size")
                response = "utter_evidence_wrong_type" if wrong else "utter_evidence_missing"
                dispatcher.utter_message(response=response)
                return reset
            saved = _save(tracker.sender_id, ref, files=files)
        else:
            saved = bool(value) and _save(tracker.sender_id, ref, note=value[: check.MAX_TEXT])
        response = "utter_case_addition_saved" if saved else "utter_no_open_case"
        dispatcher.utter_message(response=response, case_ref=ref)
        return reset + ([SlotSet("case_ref", ref)] if saved else [])
