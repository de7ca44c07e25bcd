"""`validate_document_form`: what the chosen template needs, and one check per answer.

The form's domain slots are every value a document can use; `required_slots` keeps
only those the current step's template uses, so nothing else is asked. Slots filled
earlier in the conversation are not asked again (the form skips filled slots). The
skip button (/deny) and typed "passer" / "跳过" / "пропустить" store "__skip__": the
document keeps a blank there.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import language_of
from actions.complaints.validators import is_skip
from actions.free_text import WITH_DENY, TypedAnswersForm
from actions.guidance import documents
from actions.guidance.flow import current_step

Result = Dict[Text, Any]
MAX_LENGTH = {"solution": 500}
DEFAULT_MAX = 120


def clean_answer(slot: Text, value: Any) -> Any:
    """The answer with whitespace collapsed and cut to a sensible length; "__skip__"
    for a skip; None when nothing usable was given."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    # braces would be read as placeholders by the template renderer
    text = text.replace("{", "(").replace("}", ")")
    if not text or (text.startswith("/") and text != "/deny"):
        return None  # an old button's payload is not an answer: ask again
    if text == documents.SKIPPED or is_skip(text):
        return documents.SKIPPED
    return text[: MAX_LENGTH.get(slot, DEFAULT_MAX)].strip()


class ValidateDocumentForm(TypedAnswersForm):
    """Validates the answers of `document_form`."""

    typed_slots = {
        slot: WITH_DENY
        for slot in ("client_name", "photographer_name", "shoot_date", "amount",
                     "solution", "deadline")
    }

    def name(self) -> Text:
        return "validate_document_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        wanted = documents.fields_of(language_of(tracker), current_step(tracker))
        return [slot for slot in domain_slots if slot in wanted]

    def _validate(self, slot: Text, value: Any) -> Result:
        return {slot: clean_answer(slot, value)}

    def validate_client_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return self._validate("client_name", value)

    def validate_photographer_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return self._validate("photographer_name", value)

    def validate_shoot_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return self._validate("shoot_date", value)

    def validate_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return self._validate("amount", value)

    def validate_solution(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return self._validate("solution", value)

    def validate_deadline(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        return self._validate("deadline", value)
