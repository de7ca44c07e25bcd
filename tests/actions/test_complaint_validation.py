"""validate_complaint_form: each accepted answer and each kind of wrong answer."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import validators
from actions.complaints.form import ValidateComplaintForm
from tests.actions.conftest import make_tracker

PHOTO = {"stored_name": "a1b2c3d4e5.jpg", "content_type": "image/jpeg", "size": 120_000}
PDF = {"stored_name": "f6e7d8c9b0.pdf", "content_type": "application/pdf", "size": 80_000}


def slots_of(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") for m in dispatcher.messages]


async def validate(domain: Dict[str, Any], **kwargs: Any):
    dispatcher = CollectingDispatcher()
    events = await ValidateComplaintForm().run(dispatcher, make_tracker(**kwargs), domain)
    return slots_of(events), dispatcher


async def test_studio_name_is_kept_trimmed(domain):
    slots, dispatcher = await validate(
        domain, text="  Studio   Lumière ", candidates={"studio_name": "  Studio   Lumière "},
        requested_slot="studio_name",
    )
    assert slots["studio_name"] == "Studio Lumière"
    assert dispatcher.messages == []


async def test_studio_name_without_letters_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="??", candidates={"studio_name": "??"}, requested_slot="studio_name"
    )
    assert slots["studio_name"] is None
    assert slots["complaint_failures"] == {"studio_name": 1}
    assert dispatcher.messages[0]["response"] == "utter_invalid_studio_name"


@pytest.mark.parametrize("answer", ["__skip__", "passer", "跳过", "Пропустить"])
async def test_shoot_reference_can_be_skipped(domain, answer):
    slots, _ = await validate(
        domain, text=answer, candidates={"shoot_reference": answer},
        requested_slot="shoot_reference",
    )
    assert slots["shoot_reference"] == "__skip__"


async def test_too_long_shoot_reference_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="x" * 150, candidates={"shoot_reference": "x" * 150},
        requested_slot="shoot_reference",
    )
    assert slots["shoot_reference"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_shoot_reference"


async def test_dispute_type_button_is_accepted(domain):
    slots, _ = await validate(
        domain, text='/inform{"dispute_type": "delay"}', intent="inform",
        candidates={"dispute_type": "delay"}, requested_slot="dispute_type",
    )
    assert slots["dispute_type"] == "delay"


async def test_unknown_dispute_type_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="c'est compliqué", candidates={"dispute_type": "c'est compliqué"},
        requested_slot="dispute_type",
    )
    assert slots["dispute_type"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_dispute_type"


@pytest.mark.parametrize("answer", ["", "   ", "ok", "nul", "不好"])
async def test_empty_or_too_short_description_is_refused(domain, answer):
    slots, dispatcher = await validate(
        domain, text=answer, candidates={"description": answer}, requested_slot="description"
    )
    assert slots["description"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_description"


@pytest.mark.parametrize(
    "answer",
    [
        "Les photos du mariage sont floues et le studio refuse de les refaire.",
        "婚纱照全部模糊，影楼拒绝重修。",
        "Фотографии размытые, студия отказывается переделать.",
    ],
)
async def test_description_is_accepted(domain, answer):
    slots, dispatcher = await validate(
        domain, text=answer, candidates={"description": answer}, requested_slot="description"
    )
    assert slots["description"] == answer
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "answer,code",
    [
        ("partial_refund", "partial_refund"),
        ("je veux être remboursée intégralement", "full_refund"),
        ("希望重新拍摄", "reshoot"),
        ("удалить фото из сети", "delete_leaked"),
        ("qu'ils s'excusent", "apology"),
    ],
)
async def test_resolution_from_button_or_words(domain, answer, code):
    slots, _ = await validate(
        domain, text=answer, candidates={"desired_resolution": answer},
        requested_slot="desired_resolution",
    )
    assert slots["desired_resolution"] == code


async def test_unknown_resolution_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="une glace à la vanille", candidates={"desired_resolution": "une glace à la vanille"},
        requested_slot="desired_resolution",
    )
    assert slots["desired_resolution"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_resolution"


async def test_files_are_collected_and_evidence_asked_again(domain):
    slots, dispatcher = await validate(
        domain, text="/provide_evidence", intent="provide_evidence",
        slots={"evidence_files": [PHOTO]},
        metadata={"attachments": [PHOTO, PDF]},
        candidates={"evidence": "__files__"}, requested_slot="evidence",
    )
    assert slots["evidence"] is None  # the form asks again: more files or "done"
    assert slots["evidence_files"] == [PHOTO, PDF]  # no duplicate
    assert dispatcher.messages == []


async def test_wrong_evidence_type_is_refused(domain):
    video = {"stored_name": "0a1b2c.mp4", "content_type": "video/mp4", "size": 9_000_000}
    slots, dispatcher = await validate(
        domain, text="/provide_evidence", intent="provide_evidence",
        metadata={"attachments": [video]},
        candidates={"evidence": "__files__"}, requested_slot="evidence",
    )
    assert slots["evidence"] is None
    assert "evidence_files" not in slots
    assert dispatcher.messages[0]["response"] == "utter_evidence_wrong_type"


async def test_too_big_file_is_refused(domain):
    huge = {"stored_name": "0a1b2c.jpg", "content_type": "image/jpeg", "size": 50 * 2**20}
    slots, dispatcher = await validate(
        domain, text="/provide_evidence", intent="provide_evidence",
        metadata={"attachments": [huge]},
        candidates={"evidence": "__files__"}, requested_slot="evidence",
    )
    assert dispatcher.messages[0]["response"] == "utter_evidence_too_big"


async def test_evidence_message_without_attachments_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="/provide_evidence", intent="provide_evidence", metadata={},
        candidates={"evidence": "__files__"}, requested_slot="evidence",
    )
    assert slots["evidence"] is None
    assert dispatcher.messages[0]["response"] == "utter_evidence_missing"


async def test_unsafe_file_name_is_refused():
    accepted, problem = validators.check_attachments(
        [{"stored_name": "../../etc/passwd", "content_type": "image/png", "size": 10}]
    )
    assert accepted == [] and problem == "missing"


async def test_mixed_files_keep_the_good_ones(domain):
    video = {"stored_name": "0a1b2c.mp4", "content_type": "video/mp4", "size": 900}
    slots, dispatcher = await validate(
        domain, text="/provide_evidence", intent="provide_evidence",
        metadata={"attachments": [PHOTO, video]},
        candidates={"evidence": "__files__"}, requested_slot="evidence",
    )
    assert slots["evidence_files"] == [PHOTO]
    assert dispatcher.messages[0]["response"] == "utter_evidence_some_rejected"


async def test_text_instead_of_files_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="je les ai sur mon ordinateur",
        candidates={"evidence": "je les ai sur mon ordinateur"}, requested_slot="evidence",
    )
    assert slots["evidence"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_evidence"


@pytest.mark.parametrize("files,expected", [([PHOTO], "attached"), ([], "none")])
async def test_done_or_skip_ends_the_evidence_step(domain, files, expected):
    slots, _ = await validate(
        domain, text="/affirm", intent="affirm", slots={"evidence_files": files},
        candidates={"evidence": "__done__"}, requested_slot="evidence",
    )
    assert slots["evidence"] == expected


@pytest.mark.parametrize(
    "answer,jurisdiction,expected",
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+7 (912) 345-67-89", "RU", "+79123456789"),
        ("8 912 345 67 89", "RU", "+79123456789"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("Marie.Dupont@Exemple.fr", "FR", "marie.dupont@exemple.fr"),
    ],
)
async def test_contact_is_normalised(domain, answer, jurisdiction, expected):
    slots, _ = await validate(
        domain, text=answer, slots={"jurisdiction": jurisdiction},
        candidates={"contact": answer}, requested_slot="contact",
    )
    assert slots["contact"] == expected


async def test_bad_phone_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="06 12 34", candidates={"contact": "06 12 34"}, requested_slot="contact"
    )
    assert slots["contact"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_phone"


async def test_bad_email_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="marie@gmail", candidates={"contact": "marie@gmail"}, requested_slot="contact"
    )
    assert slots["contact"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_email"


async def test_contact_without_phone_or_email_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="appelez-moi", candidates={"contact": "appelez-moi"}, requested_slot="contact"
    )
    assert dispatcher.messages[0]["response"] == "utter_invalid_contact"


async def test_shared_telegram_contact(domain):
    slots, _ = await validate(
        domain, text="/share_contact", intent="share_contact",
        metadata={"contact": {"phone_number": "79123456789", "user_id": 42}},
        slots={"language": "ru"}, candidates={"contact": "__shared__"}, requested_slot="contact",
    )
    assert slots["contact"] == "+79123456789"


async def test_shared_contact_without_number_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="/share_contact", intent="share_contact", metadata={},
        candidates={"contact": "__shared__"}, requested_slot="contact",
    )
    assert slots["contact"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_contact"


async def test_third_failure_on_the_same_slot_offers_a_person(domain):
    slots, dispatcher = await validate(
        domain, text="123", slots={"complaint_failures": {"contact": 2}},
        candidates={"contact": "123"}, requested_slot="contact",
    )
    assert slots["complaint_failures"] == {"contact": 3}
    assert responses(dispatcher) == ["utter_invalid_phone", "utter_complaint_offer_human"]
    offer = [b["payload"] for b in _response(domain, "utter_complaint_offer_human")["buttons"]]
    assert offer == ["/request_human"]


async def test_second_failure_does_not_offer_a_person_yet(domain):
    _, dispatcher = await validate(
        domain, text="123", slots={"complaint_failures": {"contact": 1}},
        candidates={"contact": "123"}, requested_slot="contact",
    )
    assert responses(dispatcher) == ["utter_invalid_phone"]


async def test_a_good_answer_clears_the_failures(domain):
    slots, _ = await validate(
        domain, text="06 12 34 56 78", slots={"complaint_failures": {"contact": 2}},
        candidates={"contact": "06 12 34 56 78"}, requested_slot="contact",
    )
    assert slots["complaint_failures"] is None


async def test_summary_confirmed(domain):
    slots, _ = await validate(
        domain, text="/affirm", intent="affirm",
        candidates={"complaint_confirmed": "__yes__"}, requested_slot="complaint_confirmed",
    )
    assert slots["complaint_confirmed"] == "yes"


async def test_summary_correction_empties_the_field(domain):
    slots, _ = await validate(
        domain, text='/inform{"correct_field": "evidence"}', intent="inform",
        slots={"evidence": "attached", "evidence_files": [PHOTO]},
        candidates={"complaint_confirmed": "evidence"}, requested_slot="complaint_confirmed",
    )
    assert slots["evidence"] is None and slots["evidence_files"] is None
    assert slots["complaint_confirmed"] is None


async def test_summary_answered_with_text_is_refused(domain):
    slots, dispatcher = await validate(
        domain, text="peut-être", candidates={"complaint_confirmed": "peut-être"},
        requested_slot="complaint_confirmed",
    )
    assert slots["complaint_confirmed"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_confirmation"


def _response(domain: Dict[str, Any], name: str) -> Dict[str, Any]:
    return domain["responses"][name][0]


def test_every_new_response_has_three_languages_and_a_default(domain):
    for name, variants in domain["responses"].items():
        languages = [
            v["condition"][0]["value"] for v in variants if v.get("condition")
        ]
        if not languages:  # the trilingual language choice
            continue
        assert languages == ["fr", "zh", "ru"], name
        assert "condition" not in variants[-1] and variants[-1]["text"] == variants[0]["text"]


async def test_a_later_answer_does_not_change_the_dispute_type(domain):
    tracker = make_tracker(
        {"dispute_type": "delay"}, text="je veux être remboursée",
        candidates={"dispute_type": "refund", "desired_resolution": "je veux être remboursée"},
        requested_slot="desired_resolution",
    )
    tracker.events.insert(0, {"event": "slot", "name": "dispute_type", "value": "delay"})
    events = await ValidateComplaintForm().run(CollectingDispatcher(), tracker, domain)
    assert slots_of(events)["dispute_type"] == "delay"
    assert slots_of(events)["desired_resolution"] == "full_refund"


@pytest.mark.parametrize("answer", ["没有证据", "Доказательств нет", "Je n'en ai pas", "готово"])
async def test_typed_button_titles_end_the_evidence_step(domain, answer):
    slots, _ = await validate(
        domain, text=answer, candidates={"evidence": answer}, requested_slot="evidence"
    )
    assert slots["evidence"] == "none"
