"""Submitting, listing, adding to and handing off cases against a temporary database."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.complaints.ask import ActionAskComplaintConfirmed, ActionAskEvidence
from actions.complaints.start import ActionAskDeleteConfirmation, ActionFileComplaint
from actions.complaints.status import (
    ActionAddToCase,
    ActionCheckComplaintStatus,
    ActionSaveCaseAddition,
)
from actions.complaints.submit import ActionSubmitComplaint
from actions.conversation import ActionAffirm, ActionRequestHuman
from bot.storage.cases import change_status, iter_cases
from bot.storage.models import Attachment, Case, CaseEvent
from tests.actions.conftest import make_tracker

PHOTO = {"stored_name": "a1b2c3d4e5.jpg", "content_type": "image/jpeg", "size": 120_000}
PDF = {"stored_name": "f6e7d8c9b0.pdf", "content_type": "application/pdf", "size": 80_000}
REF = re.compile(r"^DR-[0-9A-Z]{8}$")


def filled(language: str = "fr", **extra: Any) -> Dict[str, Any]:
    slots = {
        "language": language,
        "studio_name": "Studio Lumière",
        "shoot_reference": "14/06/2025",
        "dispute_type": "quality",
        "description": "Les photos du mariage sont floues et le studio refuse de les refaire.",
        "desired_resolution": "reshoot",
        "evidence": "attached",
        "evidence_files": [PHOTO, PDF],
        "contact": "+33612345678",
        "complaint_confirmed": "yes",
    }
    slots.update(extra)
    return slots


def slots_of(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def submit(domain, sender="client-1", **slots: Any):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(filled(**slots), active_loop=None, sender=sender)
    events = await ActionSubmitComplaint().run(dispatcher, tracker, domain)
    return events, dispatcher


async def test_submit_writes_case_and_attachments_in_one_go(domain, database):
    events, dispatcher = await submit(domain)
    ref = slots_of(events)["case_ref"]
    assert REF.match(ref)
    assert [m["response"] for m in dispatcher.messages[:2]] == [
        "utter_complaint_filed",
        "utter_complaint_options_fr",
    ]
    assert dispatcher.messages[0]["case_ref"] == ref
    assert dispatcher.messages[2]["custom"] == {"accord": {"new_case": ref}}
    # the form's answers are emptied for the next complaint
    assert slots_of(events)["studio_name"] is None
    assert slots_of(events)["evidence_files"] is None
    with database() as session:
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        assert case.conversation_id == "client-1"
        assert case.status == "new" and case.jurisdiction == "FR" and case.language == "fr"
        assert case.studio_name == "Studio Lumière" and case.shoot_date == "14/06/2025"
        assert case.desired_resolution == "reshoot" and case.contact == "+33612345678"
        assert sorted(a.stored_name for a in case.attachments) == sorted(
            [PHOTO["stored_name"], PDF["stored_name"]]
        )
        assert [e.to_status for e in case.events] == ["new"]
        exported = list(iter_cases(session=session))
    assert exported[0]["ref"] == ref and exported[0]["attachments"] == 2


@pytest.mark.parametrize(
    "language,jurisdiction,options",
    [
        ("zh", None, "utter_complaint_options_cn"),
        ("ru", None, "utter_complaint_options_ru"),
        ("zh", "FR", "utter_complaint_options_fr"),
    ],
)
async def test_options_follow_the_jurisdiction(domain, database, language, jurisdiction, options):
    _, dispatcher = await submit(domain, language=language, jurisdiction=jurisdiction)
    assert dispatcher.messages[1]["response"] == options


async def test_skipped_reference_is_stored_as_nothing(domain, database):
    events, _ = await submit(domain, shoot_reference="__skip__", evidence="none", evidence_files=None)
    with database() as session:
        case = session.execute(select(Case)).scalar_one()
        assert case.shoot_date is None and case.attachments == []


async def test_failed_write_leaves_nothing_behind(domain, database):
    # a duplicate stored name violates the unique constraint: the whole case rolls back
    events, dispatcher = await submit(domain, evidence_files=[PHOTO, dict(PHOTO, size=5)])
    assert dispatcher.messages[0]["response"] == "utter_complaint_save_failed"
    assert "case_ref" not in slots_of(events)
    with database() as session:
        assert session.execute(select(Case)).scalars().all() == []
        assert session.execute(select(Attachment)).scalars().all() == []


async def test_submit_without_confirmation_does_nothing(domain, database):
    events, dispatcher = await submit(domain, complaint_confirmed=None)
    assert events == [] and dispatcher.messages == []


async def test_status_lists_only_the_clients_cases(domain, database):
    await submit(domain, sender="client-1")
    await submit(domain, sender="someone-else", evidence_files=None)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"language": "ru"}, active_loop=None, sender="client-1")
    await ActionCheckComplaintStatus().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_case_list"
    with database() as session:
        mine = session.execute(select(Case).where(Case.conversation_id == "client-1")).scalar_one()
        other = session.execute(select(Case).where(Case.conversation_id != "client-1")).scalar_one()
    assert mine.ref in message["cases_list"] and "принята" in message["cases_list"]
    assert other.ref not in message["cases_list"]


async def test_status_without_cases(domain, database):
    dispatcher = CollectingDispatcher()
    await ActionCheckComplaintStatus().run(dispatcher, make_tracker(active_loop=None), domain)
    assert dispatcher.messages[0]["response"] == "utter_no_cases"


async def test_add_note_and_files_to_an_open_case(domain, database):
    events, _ = await submit(domain)
    ref = slots_of(events)["case_ref"]
    dispatcher = CollectingDispatcher()
    started = await ActionAddToCase().run(dispatcher, make_tracker(active_loop=None), domain)
    assert slots_of(started) == {"addition_case_ref": ref, "case_addition": None}

    note = "Le studio ne répond plus depuis une semaine."
    tracker = make_tracker({"addition_case_ref": ref, "case_addition": note}, active_loop=None)
    saved = await ActionSaveCaseAddition().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["response"] == "utter_case_addition_saved"
    assert slots_of(saved)["case_addition"] is None

    screenshot = {"stored_name": "9z8y7x6w.png", "content_type": "image/png", "size": 3000}
    tracker = make_tracker(
        {"addition_case_ref": ref, "case_addition": "__files__"}, intent="provide_evidence",
        metadata={"attachments": [screenshot]}, active_loop=None,
    )
    await ActionSaveCaseAddition().run(dispatcher, tracker, domain)
    with database() as session:
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        assert len(case.attachments) == 3
        notes = [e.note for e in case.events if e.note]
        assert note in notes


async def test_closed_case_takes_no_addition(domain, database):
    events, _ = await submit(domain)
    ref = slots_of(events)["case_ref"]
    with database.begin() as session:
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        change_status(session=session, case=case, status="resolved", actor="staff")
    dispatcher = CollectingDispatcher()
    started = await ActionAddToCase().run(dispatcher, make_tracker(active_loop=None), domain)
    assert dispatcher.messages[0]["response"] == "utter_no_open_case"
    assert slots_of(started) == {"case_addition": "__none__"}


async def test_request_human_flags_the_latest_open_case(domain, database):
    events, _ = await submit(domain)
    ref = slots_of(events)["case_ref"]
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, make_tracker(active_loop=None), domain)
    assert dispatcher.messages[0]["response"] == "utter_human_handoff"
    assert dispatcher.messages[1]["custom"]["accord"]["handoff"] is True
    assert dispatcher.messages[1]["custom"]["accord"]["case_ref"] == ref
    with database() as session:
        assert session.execute(select(Case.handoff)).scalar_one() is True
        assert session.execute(select(CaseEvent.note).where(CaseEvent.note.isnot(None))).scalar_one()


async def test_request_human_without_case_keeps_the_plain_payload(domain, database):
    dispatcher = CollectingDispatcher()
    events = await ActionRequestHuman().run(
        dispatcher, make_tracker(requested_slot="contact"), domain
    )
    assert dispatcher.messages[1]["custom"] == {"accord": {"handoff": True}}
    assert dispatcher.messages[2]["response"] == "utter_complaint_paused"
    assert ActiveLoop(None) in events


async def test_erasure_asked_during_the_form_pauses_it_then_erases(domain):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"studio_name": "Studio Lumière"}, requested_slot="description")
    events = await ActionAskDeleteConfirmation().run(dispatcher, tracker, domain)
    assert ActiveLoop(None) in events
    assert slots_of(events)["awaiting"] == "delete_my_data"
    # the "yes" that follows: even with a form still active, it erases
    tracker = make_tracker({"awaiting": "delete_my_data"}, intent="affirm", requested_slot="description")
    events = await ActionAffirm().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["custom"] == {"accord": {"erase_user_data": True}}
    assert ActiveLoop(None) in events
    assert any(e["event"] == "reset_slots" for e in events)


async def test_file_complaint_says_whether_it_resumes(domain):
    dispatcher = CollectingDispatcher()
    await ActionFileComplaint().run(dispatcher, make_tracker(active_loop=None), domain)
    tracker = make_tracker({"studio_name": "Studio Lumière"}, active_loop=None)
    await ActionFileComplaint().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_complaint_start",
        "utter_complaint_resume",
    ]


async def test_summary_and_evidence_questions(domain):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(filled("zh", shoot_reference="__skip__"), requested_slot="complaint_confirmed")
    await ActionAskComplaintConfirmed().run(dispatcher, tracker, domain)
    summary = dispatcher.messages[0]
    assert summary["response"] == "utter_complaint_summary"
    assert summary["shoot_reference"] == "未填写" and summary["dispute_label"] == "照片质量"
    assert summary["resolution_label"] == "重新拍摄" and summary["evidence_count"] == 2
    await ActionAskEvidence().run(dispatcher, make_tracker(requested_slot="evidence"), domain)
    await ActionAskEvidence().run(dispatcher, tracker, domain)
    assert dispatcher.messages[1]["response"] == "utter_ask_evidence"
    assert dispatcher.messages[2] ["response"] == "utter_ask_more_evidence"
    assert dispatcher.messages[2]["evidence_count"] == 2
