"""End to end through the real Rasa server and action server (issue 3): the template
request starts the document form, which asks only what the template needs; the text
and a DOCX come back; a second document reuses the answers; a reminder is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from bot.storage.models import Reminder

pytestmark = pytest.mark.stack


def document_notice(result):
    return next(n["document"] for n in result.notices if "document" in n)


async def test_template_form_document_and_reminder(services, sender, rasa_stack):
    conversations = services.conversations("terminal")
    say = conversations.handle
    await say(sender, "здравствуйте")
    await say(sender, "/describe_dispute")
    await say(sender, "/step_failed")
    shown = await say(sender, "/step_failed")  # talk → terms → propose
    offer = [r for r in shown.replies if any("set_reminder" in b["payload"] for b in r.buttons)]
    assert offer, "the proposal step offers a reminder"
    await say(sender, '/set_reminder{"reminder_days": "7"}')
    with services.sessions() as session:
        (reminder,) = session.execute(
            select(Reminder).where(Reminder.conversation_id == sender)).scalars()
        assert reminder.language == "ru" and reminder.step == "propose"

    asked = await say(sender, "/ask_template")
    assert asked.replies[-1].buttons == [{"title": "Пропустить", "payload": "/deny"}]
    answers = ["Анна Смирнова", "Студия «Свет»", "14.06.2025", "/deny",
               "повторная обработка 12 фотографий", "30.06.2025"]
    for answer in answers[:-1]:
        result = await say(sender, answer)
        assert not any("document" in n for n in result.notices)
    result = await say(sender, answers[-1])
    notice = document_notice(result)
    path = Path(notice["path"])
    assert path.parent == (rasa_stack.settings.var_dir / "documents").resolve()
    assert notice["filename"].endswith(".docx")
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    for value in ("Анна Смирнова", "Студия «Свет»", "повторная обработка 12 фотографий"):
        assert value in text
    assert "Анна Смирнова" in "\n".join(r.text or "" for r in result.replies)

    await say(sender, "/step_succeeded")  # → agreement: everything is known already
    again = await say(sender, "/ask_template")
    second = Path(document_notice(again)["path"])
    assert second != path
    assert "Анна Смирнова" in "\n".join(p.text for p in Document(str(second)).paragraphs)


async def test_the_document_form_can_be_cancelled(services, sender):
    conversations = services.conversations("terminal")
    await conversations.handle(sender, "le client refuse de payer le solde")
    asked = await conversations.handle(sender, "/ask_template")
    assert asked.replies[-1].buttons == [{"title": "Passer", "payload": "/deny"}]
    cancelled = await conversations.handle(sender, "/cancel")
    assert cancelled.intent == "cancel" and not cancelled.notices
    after = await conversations.handle(sender, "/where_am_i")
    assert after.replies[-1].text.startswith("Étape 1")
