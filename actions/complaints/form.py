"""`validate_complaint_form`: one short check per slot of the complaint form.

The slot mappings (domain.yml) put the raw answer in the slot; payload-only answers
arrive as markers: "__skip__" (skip button), "__files__" (/provide_evidence, files in
the message metadata), "__done__" (no more files), "__shared__" (/share_contact),
"__yes__" / "__no__" (summary). A wrong answer empties the slot, says what is wrong
and counts the failure; the third failure on the same slot also offers a person.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import jurisdiction_of, latest_user_metadata
from actions.complaints import validators as check
from actions.complaints.labels import DISPUTE_TYPES, FIELDS
from actions.free_text import INTERRUPTIONS, WITH_DENY, WITH_YES_NO, TypedAnswersForm

Result = Dict[Text, Any]
MAX_FAILURES = 3
FAILURES = "complaint_failures"
CONTACT_ERRORS = {
    "email": "utter_invalid_email",
    "phone": "utter_invalid_phone",
    "contact": "utter_invalid_contact",
}
EVIDENCE_ERRORS = {
    "missing": "utter_evidence_missing",
    "type": "utter_evidence_wrong_type",
    "size": "utter_evidence_too_big",
}


def failed(
    slot: Text, response: Text, dispatcher: CollectingDispatcher, tracker: Tracker
) -> Result:
    """Empties the slot, explains why, and offers a person after repeated failures."""
    counts = dict(tracker.get_slot(FAILURES) or {})
    counts[slot] = int(counts.get(slot, 0)) + 1
    dispatcher.utter_message(response=response)
    if counts[slot] >= MAX_FAILURES:
        dispatcher.utter_message(response="utter_complaint_offer_human")
    return {slot: None, FAILURES: counts}


def value_before_message(tracker: Tracker, slot: Text) -> Any:
    """The slot's value before the latest user message."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif event.get("event") in ("reset_slots", "restart"):
            value = None
    return value


def accepted(slot: Text, value: Any) -> Result:
    """Keeps the value and forgets earlier failures."""
    return {slot: value, FAILURES: None}


class ValidateComplaintForm(TypedAnswersForm):
    """Validates the answers of `complaint_form`."""

    typed_slots = {
        "studio_name": INTERRUPTIONS,
        "shoot_reference": WITH_DENY,
        "dispute_type": INTERRUPTIONS,
        "description": INTERRUPTIONS,
        "desired_resolution": INTERRUPTIONS,
        "evidence": WITH_YES_NO,
        "contact": INTERRUPTIONS,
        "complaint_confirmed": WITH_YES_NO,
    }

    def name(self) -> Text:
        return "validate_complaint_form"

    def validate_studio_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        text = check.clean(value)
        if check.studio_name_ok(text):
            return accepted("studio_name", text)
        return failed("studio_name", "utter_invalid_studio_name", dispatcher, tracker)

    def validate_shoot_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        text = check.clean(value)
        if text == "__skip__" or check.is_skip(text):
            return accepted("shoot_reference", "__skip__")
        if check.reference_ok(text):
            return accepted("shoot_reference", text)
        return failed("shoot_reference", "utter_invalid_shoot_reference", dispatcher, tracker)

    def validate_dispute_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        earlier = value_before_message(tracker, "dispute_type")
        if earlier and tracker.get_slot("requested_slot") != "dispute_type":
            # a word in another answer ("remboursée") does not change the chosen type
            return {"dispute_type": earlier}
        if value in DISPUTE_TYPES:
            return accepted("dispute_type", value)
        return failed("dispute_type", "utter_invalid_dispute_type", dispatcher, tracker)

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        text = check.clean(value)
        if check.description_ok(text):
            return accepted("description", text)
        return failed("description", "utter_invalid_description", dispatcher, tracker)

    def validate_desired_resolution(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        code = check.parse_resolution(check.clean(value))
        if code:
            return accepted("desired_resolution", code)
        return failed("desired_resolution", "utter_invalid_resolution", dispatcher, tracker)

    def validate_evidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        files = list(tracker.get_slot("evidence_files") or [])
        text = check.clean(value)
        if text == "__files__":
            new, problem = check.attachments_of(latest_user_metadata(tracker))
            if not new:
                response = EVIDENCE_ERRORS[problem or "missing"]
                return failed("evidence", response, dispatcher, tracker)
            if problem:
                dispatcher.utter_message(response="utter_evidence_some_rejected")
            # the slot stays empty: the form asks for more files or "done"
            merged = check.merge_files(files, new)
            return {"evidence": None, "evidence_files": merged, FAILURES: None}
        if text in ("__done__", "__skip__") or check.is_done(text) or check.is_skip(text):
            return accepted("evidence", "attached" if files else "none")
        return failed("evidence", "utter_invalid_evidence", dispatcher, tracker)

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        jurisdiction = jurisdiction_of(tracker)
        if value == "__shared__":
            contact = check.shared_contact(latest_user_metadata(tracker), jurisdiction)
            if contact:
                return accepted("contact", contact)
            return failed("contact", "utter_invalid_contact", dispatcher, tracker)
        contact, problem = check.parse_contact(check.clean(value), jurisdiction)
        if contact:
            return accepted("contact", contact)
        return failed("contact", CONTACT_ERRORS[problem or "contact"], dispatcher, tracker)

    def validate_complaint_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Result:
        if value == "__yes__":
            return accepted("complaint_confirmed", "yes")
        if value in FIELDS:
            # empty the field: the form asks it again, then shows the summary again
            reset: Result = {value: None, "complaint_confirmed": None}
            if value == "evidence":
                reset["evidence_files"] = None
            return reset
        if value == "__no__":
            dispatcher.utter_message(response="utter_complaint_pick_correction")
            return {"complaint_confirmed": None}
        return failed("complaint_confirmed", "utter_invalid_confirmation", dispatcher, tracker)
