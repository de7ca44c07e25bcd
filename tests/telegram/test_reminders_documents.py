"""The Telegram side of issue 3 against the fake Bot API (no Rasa needed): due
reminders are sent once and marked; generated documents are sent as files, and only
files of <var_dir>/documents are ever sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlalchemy import select
from telegram import Bot

from bot import i18n
from bot.conversation import TurnResult
from bot.services import Services, build_services
from bot.settings import Settings
from bot.storage import reminders
from bot.storage.db import migrate
from bot.storage.models import Reminder
from bot.telegram import handlers
from bot.telegram.adapter import Adapter
from bot.telegram.reminders import run_reminders, send_due_reminders
from tests.telegram.fake_api import FakeTelegram

NOW = dt.datetime(2025, 6, 8, 10, 0, tzinfo=dt.timezone.utc)
CHAT = 424242


@pytest.fixture
async def adapter(fake_api: FakeTelegram, tmp_path: Path) -> AsyncIterator[Adapter]:
    url = f"sqlite:///{tmp_path}/app.db"
    migrate(url)
    settings = Settings(
        telegram_bot_token=fake_api.token,
        telegram_api_base_url=fake_api.base_url,
        telegram_file_base_url=fake_api.base_file_url,
        database_url=url,
        rasa_tracker_store_url=f"sqlite:///{tmp_path}/tracker.db",
        rasa_token="test",
        var_dir=tmp_path,
        evidence_dir=tmp_path / "evidence",
    )
    services: Services = build_services(settings)
    bot = Bot(fake_api.token, base_url=fake_api.base_url)
    await bot.initialize()
    adapter = Adapter(settings, services)
    adapter.bot = bot
    yield adapter
    await bot.shutdown()
    await services.aclose()


def add(adapter: Adapter, chat: int = CHAT, language: str = "zh",
        due: dt.datetime = NOW) -> int:
    with adapter.services.sessions.begin() as session:
        return reminders.add_reminder(session, conversation_id=str(chat), due_at=due,
                                      language=language, step="propose").id


def row(adapter: Adapter, reminder_id: int) -> Reminder:
    with adapter.services.sessions() as session:
        return session.execute(select(Reminder).where(Reminder.id == reminder_id)).scalar_one()


async def test_a_due_reminder_is_sent_once_and_marked(adapter, fake_api):
    rid = add(adapter)
    add(adapter, chat=CHAT + 1, due=NOW + dt.timedelta(days=1))  # not due yet
    assert await send_due_reminders(adapter, NOW - dt.timedelta(seconds=1)) == 0
    assert await send_due_reminders(adapter, NOW) == 1
    (message,) = fake_api.sent(CHAT)
    assert message["text"] == i18n.text("reminder_text", "zh")
    titles = [b["text"] for r in message["reply_markup"]["inline_keyboard"] for b in r]
    assert titles == [i18n.text(k, "zh") for k in
                      ("reminder_worked", "reminder_failed", "reminder_where")]
    assert reminders.utc(row(adapter, rid).sent_at) == NOW
    # the next look (or a restart: the state is in the database) sends nothing again
    assert await send_due_reminders(adapter, NOW + dt.timedelta(minutes=1)) == 0
    assert len(fake_api.sent(CHAT)) == 1
    assert fake_api.sent(CHAT + 1) == []


async def test_a_refused_reminder_stays_unsent_then_is_retried(adapter, fake_api):
    rid = add(adapter, language="ru")
    fake_api.fail("sendMessage", status=400)
    assert await send_due_reminders(adapter, NOW) == 0
    assert row(adapter, rid).sent_at is None and row(adapter, rid).attempts == 1
    assert await send_due_reminders(adapter, NOW) == 1
    assert fake_api.texts(CHAT) == [i18n.text("reminder_text", "ru")]


async def test_the_background_task_sends_due_reminders(adapter, fake_api):
    import asyncio

    add(adapter, language="fr")
    task = asyncio.create_task(run_reminders(adapter, interval=0.05, clock=lambda: NOW))
    try:
        await fake_api.wait_for(lambda: fake_api.sent(CHAT), timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(fake_api.sent(CHAT)) == 1


async def test_a_generated_document_is_sent_as_a_file(adapter, fake_api, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    path = folder / ("a" * 32 + ".docx")
    path.write_bytes(b"PK fake docx")
    outside = tmp_path / "secret.docx"
    outside.write_bytes(b"secret")
    result = TurnResult(notices=[
        {"document": {"path": str(path), "filename": "催告函-2025-06-08.docx"}},
        {"document": {"path": str(outside), "filename": "x.docx"}},
        {"document": {"path": str(folder / ".." / "secret.docx"), "filename": "y.docx"}},
        {"new_case": "DR-1"},
    ])
    await handlers.send_documents(adapter, str(CHAT), result)
    (sent,) = fake_api.sent(CHAT, "sendDocument")
    assert sent["document"]["upload"] == "催告函-2025-06-08.docx"
    assert sent["document"]["bytes"] == len(b"PK fake docx")


def test_document_paths_are_never_trusted(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    good = folder / "b.docx"
    good.write_bytes(b"x")
    (folder / "c.txt").write_bytes(b"x")
    assert handlers.document_of({"document": {"path": str(good), "filename": "../../x"}},
                                tmp_path) == (good.resolve(), "x.docx")
    for path in (str(folder / "c.txt"), "/etc/passwd", str(folder / "missing.docx"),
                 str(folder / ".." / "documents" / ".." / "b.docx"), "", None):
        assert handlers.document_of({"document": {"path": path}}, tmp_path) is None
