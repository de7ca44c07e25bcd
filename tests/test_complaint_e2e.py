"""A complaint filed end to end in each language, through the real Rasa server and
action server: form, evidence, validation, case record, export, transcript, status,
hand-off."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.storage.cases import iter_cases
from bot.storage.models import Case, Turn

pytestmark = pytest.mark.stack

REF = re.compile(r"DR-[0-9A-Z]{8}")
FILES = [
    {"stored_name": "e2e{0}a.jpg", "content_type": "image/jpeg", "size": 52_000},
    {"stored_name": "e2e{0}b.pdf", "content_type": "application/pdf", "size": 31_000},
]
MORE = {"stored_name": "e2e{0}c.png", "content_type": "image/png", "size": 9_000}

SCRIPTS = {
    "fr": {
        "start": "je veux déposer une réclamation contre mon photographe",
        "studio": "Studio Lumière",
        "description": "Les photos de notre mariage sont floues et le studio refuse de les refaire.",
        "bad_phone": "06 12",
        "phone": "06 12 34 56 78",
        "e164": "+33612345678",
        "status": "/check_complaint_status",
        "status_word": "reçue",
    },
    "zh": {
        "start": "我要投诉摄影师",
        "studio": "光影摄影工作室",
        "description": "婚纱照全部拍糊了，影楼拒绝重新修图，也不肯退款。",
        "bad_phone": "138 0013",
        "phone": "138 0013 8000",
        "e164": "+8613800138000",
        "status": "/check_complaint_status",
        "status_word": "已受理",
    },
    "ru": {
        "start": "хочу подать жалобу на фотографа",
        "studio": "Фотостудия Светлана",
        "description": "Фотографии со свадьбы размытые, а студия отказывается их переделать.",
        "bad_phone": "8 912 34",
        "phone": "+7 912 345-67-89",
        "e164": "+79123456789",
        "status": "/check_complaint_status",
        "status_word": "принята",
    },
}


@pytest.mark.parametrize("language", ["fr", "zh", "ru"])
async def test_complaint_filed_end_to_end(services, sender, language):
    script = SCRIPTS[language]
    chat = services.conversations("terminal")

    async def say(text, **kwargs):
        return await chat.handle(sender, text, **kwargs)

    first = await say(script["start"])
    assert first.intent == "file_complaint" and first.language == language
    await say(script["studio"])
    await say("/deny")  # skip the date / order reference
    await say('/inform{"dispute_type": "quality"}')
    await say(script["description"])
    asked = await say('/inform{"desired_resolution": "reshoot"}')
    assert [b["payload"] for b in asked.replies[-1].buttons][-1] == "/deny"
    files = [dict(f, stored_name=f["stored_name"].format(language)) for f in FILES]
    more = dict(MORE, stored_name=MORE["stored_name"].format(language))
    got = await say("/provide_evidence", metadata={"attachments": files}, attachments=2)
    assert "2" in got.replies[-1].text
    got = await say("/provide_evidence", metadata={"attachments": [more]}, attachments=1)
    assert "3" in got.replies[-1].text
    await say("/affirm")  # done with the files
    refused = await say(script["bad_phone"])
    assert len(refused.replies) == 2  # what is wrong, then the question again
    summary = await say(script["phone"])
    assert script["studio"] in summary.replies[-1].text
    assert script["e164"] in summary.replies[-1].text
    filed = await say("/affirm")
    ref = REF.search(filed.replies[0].text).group(0)
    assert {"new_case": ref} in filed.notices
    assert filed.language == language

    with services.sessions() as session:
        exported = [c for c in iter_cases(session=session) if c["ref"] == ref]
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        turns = session.execute(
            select(Turn).where(Turn.conversation_id == sender).order_by(Turn.id)
        ).scalars().all()
    assert exported[0]["language"] == language
    assert exported[0]["dispute_type"] == "quality"
    assert exported[0]["desired_resolution"] == "reshoot"
    assert exported[0]["attachments"] == 3
    assert exported[0]["description"] == script["description"]
    assert case.conversation_id == sender and case.contact == script["e164"]
    assert case.shoot_date is None and case.studio_name == script["studio"]
    assert case.jurisdiction == {"fr": "FR", "zh": "CN", "ru": "RU"}[language]
    incoming = [t for t in turns if t.direction == "in"]
    assert incoming[0].intent == "file_complaint" and incoming[0].language == language
    assert sum(t.attachments for t in incoming) == 3
    assert any(t.direction == "out" and t.case_ref == ref and ref in t.text for t in turns)

    status = await say(script["status"])
    assert ref in status.replies[0].text and script["status_word"] in status.replies[0].text
    handoff = await say("/request_human")
    assert handoff.handoff
    with services.sessions() as session:
        assert session.execute(select(Case.handoff).where(Case.ref == ref)).scalar_one()


async def test_cancel_then_resume_keeps_the_answers(services, sender):
    chat = services.conversations("terminal")
    await chat.handle(sender, "je veux porter réclamation")
    await chat.handle(sender, "Studio Lumière")
    cancelled = await chat.handle(sender, "annuler")
    assert cancelled.intent == "cancel"
    resumed = await chat.handle(sender, "/file_complaint")
    # the studio is kept: the next question is the date / order reference
    assert resumed.replies[-1].buttons[0]["payload"] == "/deny"


async def test_erasure_confirmed_while_the_form_is_active(services, sender):
    chat = services.conversations("terminal")
    await chat.handle(sender, "хочу подать жалобу на фотографа")
    asked = await chat.handle(sender, "удалите мои данные")
    assert asked.intent == "delete_my_data"
    assert [b["payload"] for b in asked.replies[0].buttons] == ["/affirm", "/deny"]
    done = await chat.handle(sender, "да")
    assert done.erased
    with services.sessions() as session:
        rows = session.execute(select(Turn).where(Turn.conversation_id == sender)).scalars()
        assert rows.all() == []
