"""Typed answers to a form's question: the whole message is the answer unless it is
clearly something else.

Rasa's `from_text` mapping skips a message whose intent is in `not_intent` however
unsure the classifier is: "повторная обработка 12 фотографий", given as the solution of
a settlement, was read as `check_complaint_status` at 0.26 and the form asked again.
Here an interrupting intent ("help", "cancel", a status query…) keeps the message out of
the form only when the classifier gives it at least `FLOOR`; below that, the text is the
answer and the form's validator checks it like any other.

The slots keep `type: custom` mappings in domain.yml; their button payloads
("__skip__", "__files__"…) still come from their `from_intent` mappings.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, FrozenSet, List, Mapping, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

# the classifier's confidence from which an interrupting intent is taken as meant
FLOOR = 0.5
# intents that interrupt a form rather than answer its question
INTERRUPTIONS: FrozenSet[Text] = frozenset({
    "cancel", "request_human", "delete_my_data", "change_language", "help",
    "check_complaint_status", "inform", "provide_evidence", "share_contact", "add_to_case",
})
# also not an answer where the question has yes / no / skip buttons of its own
WITH_DENY = INTERRUPTIONS | {"deny"}
WITH_YES_NO = INTERRUPTIONS | {"affirm", "deny"}


def typed_answer(
    tracker: Tracker, form: Text, slot: Text, interruptions: FrozenSet[Text]
) -> Dict[Text, Any]:
    """`{slot: text}` when the latest message answers `form`'s question for `slot`.

    Not when the form was not already asking for `slot` (it is starting now, or asks
    something else), when another mapping filled the slot from this message (a
    button), when the message has no text, or when its intent interrupts the form
    with at least `FLOOR` confidence.
    """
    if tracker.active_loop_name != form or tracker.get_slot("requested_slot") != slot:
        return {}
    if tracker.get_slot(slot) is not None:
        return {}
    message = tracker.latest_message or {}
    text = str(message.get("text") or "").strip()
    intent = message.get("intent") or {}
    confidence = float(intent.get("confidence") or 0.0)
    if not text or (intent.get("name") in interruptions and confidence >= FLOOR):
        return {}
    return {slot: text}


class TypedAnswersForm(FormValidationAction):
    """A form validation action whose free-text slots are filled by `typed_answer`."""

    # slot → the intents that are not an answer to its question
    typed_slots: Mapping[Text, FrozenSet[Text]] = {}

    @abstractmethod
    def name(self) -> Text:
        """`validate_<form>` (abstract: rasa_sdk registers only concrete actions)."""

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """The `extract_<slot>` methods' events, then the typed answer, if any."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        slot = tracker.get_slot("requested_slot")
        if slot not in self.typed_slots or any(e.get("name") == slot for e in events):
            return events
        answer = typed_answer(tracker, self.form_name(), slot, self.typed_slots[slot])
        tracker.slots.update(answer)
        return events + [SlotSet(key, value) for key, value in answer.items()]
