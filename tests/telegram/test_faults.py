"""Faults end to end (fake Bot API ↔ adapter ↔ the real Rasa and action server): Rasa
erroring or slow, the action server down or dying mid-turn, Rasa's tracker store
failing (its silent in-memory fallback), the app database locked. Each time: the user
is told once in their language, nothing is lost, the turn is made once, and the bot
recovers by itself."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import AsyncIterator, List

import pytest
from sqlalchemy import select

from bot import i18n
from bot.services import Services, build_services
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessionmaker
from bot.storage.models import Case
from bot.supervisor import Stack
from tests.telegram.conftest import running
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.faults import (
    ActionServer,
    DyingActionServer,
    RasaFront,
    sqlite_path,
    sqlite_write_lock,
    tracker_user_texts,
)
from tests.telegram.test_conversations import in_turns, inbox_rows
from tests.telegram.test_reliability import all_done

pytestmark = pytest.mark.stack
GREETINGS = {"fr": ("bonjour", "Bonjour"), "zh": ("你好", "您好"),
             "ru": ("здравствуйте", "Здравствуйте")}


@pytest.fixture
async def front(rasa_stack: Stack) -> AsyncIterator[RasaFront]:
    """An HTTP front in front of the real Rasa server."""
    proxy = RasaFront(rasa_stack.settings.rasa_url)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
def action_server(rasa_stack: Stack):
    """The stack's action server, always running again after the test."""
    server = ActionServer(rasa_stack)
    yield server
    if not server.running():
        server.start()


def attempts(services: Services) -> int:
    """The most failed attempts of any inbox row."""
    return max((row.attempts for row in inbox_rows(services)), default=0)


@pytest.mark.parametrize("mode, language", [
    ("error_before", "fr"), ("error_after", "zh"), ("slow", "ru")])
async def test_rasa_erroring_or_slow_user_told_then_answered_once(
    fake_api: FakeTelegram, front: RasaFront, tg_settings: Settings, chat_id: int,
    mode: str, language: str,
) -> None:
    settings = replace(tg_settings, rasa_url=front.url,
                       rasa_timeout_seconds=2.0 if mode == "slow" else 30.0)
    services = build_services(settings)
    greeting, answer = GREETINGS[language]
    front.plan = [mode]
    try:
        async with running(settings, services):
            fake_api.push_text(chat_id, greeting, language)
            await fake_api.wait_for(lambda: all_done(services), timeout=60)
        texts = fake_api.texts(chat_id)
        assert texts[0] == i18n.text("rasa_down", language)  # told, in their language
        assert [t for t in texts if t.startswith(answer)] != []
        assert len(texts) == len(set(texts))  # nothing twice
        # the message reached Rasa's conversation exactly once
        assert tracker_user_texts(services.tracker_engine, str(chat_id)) == [greeting]
        assert [t.text for t in in_turns(services, chat_id)] == [greeting]
        # after a 500 or a timeout that came once Rasa had the message, the retry takes
        # the kept turn's replies instead of sending the message again
        assert front.webhook_calls == (2 if mode == "error_before" else 1)
    finally:
        await services.aclose()


async def test_action_server_down_user_told_then_answered(
    fake_api: FakeTelegram, action_server: ActionServer, tg_settings: Settings,
    tg_services: Services, chat_id: int,
) -> None:
    greeting, answer = GREETINGS["ru"]
    action_server.stop()
    async with running(tg_settings, tg_services):
        fake_api.push_text(chat_id, greeting, "ru")
        await fake_api.wait_for(lambda: attempts(tg_services) >= 2, timeout=30)
        assert fake_api.texts(chat_id) == [i18n.text("rasa_down", "ru")]
        assert tracker_user_texts(tg_services.tracker_engine, str(chat_id)) == []
        await asyncio.to_thread(action_server.start)
        await fake_api.wait_for(lambda: all_done(tg_services), timeout=60)
    texts = fake_api.texts(chat_id)
    assert texts[0] == i18n.text("rasa_down", "ru") and texts[1].startswith(answer)
    assert tracker_user_texts(tg_services.tracker_engine, str(chat_id)) == [greeting]


async def test_action_server_dying_mid_turn_is_rewound_and_retried(
    fake_api: FakeTelegram, action_server: ActionServer, tg_settings: Settings,
    tg_services: Services, chat_id: int,
) -> None:
    greeting, answer = GREETINGS["ru"]
    action_server.stop()
    dying = DyingActionServer(action_server.port)
    await dying.start()
    try:
        async with running(tg_settings, tg_services):
            fake_api.push_text(chat_id, greeting, "ru")
            await fake_api.wait_for(lambda: dying.calls and attempts(tg_services) >= 1)
            await dying.stop()
            await asyncio.to_thread(action_server.start)
            await fake_api.wait_for(lambda: all_done(tg_services), timeout=60)
    finally:
        await dying.stop()
    texts = fake_api.texts(chat_id)
    # without its custom slot mapping Rasa answered in French: that reply was withheld
    assert not any(t.startswith(GREETINGS["fr"][1]) for t in texts)
    assert texts[0] == i18n.text("rasa_down", "ru")
    assert [t for t in texts if t.startswith(answer)] == [texts[1]]
    # the failed turn was rewound in Rasa, then made again
    assert tracker_user_texts(tg_services.tracker_engine, str(chat_id)) == [greeting] * 2
    latest = await tg_services.rasa.latest_turn(str(chat_id))
    assert latest.language == "ru"


FORM_FR = ["je veux déposer une réclamation contre mon photographe", "Studio Lumière",
           "/deny", '/inform{"dispute_type": "quality"}',
           "Les photos de notre mariage sont floues et le studio refuse de les refaire.",
           '/inform{"desired_resolution": "reshoot"}', "/deny", "06 12 34 56 78"]


def cases_of_chat(stack: Stack, chat_id: int) -> List[Case]:
    """The cases filed from one chat (the action server writes them in the stack's
    database)."""
    engine = make_engine(stack.settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.execute(
                select(Case).where(Case.conversation_id == str(chat_id))).scalars())
    finally:
        engine.dispose()


async def test_tracker_store_failure_never_confirms_an_unkept_complaint(
    fake_api: FakeTelegram, rasa_stack: Stack, tg_settings: Settings,
    tg_services: Services, chat_id: int,
) -> None:
    staff = tg_settings.telegram_staff_chat_id
    async with running(tg_settings, tg_services) as (_, adapter):
        for text in FORM_FR:  # the form up to its summary, straight through Rasa
            summary = await adapter.conversations.handle(str(chat_id), text)
        confirm = next(b for b in summary.replies[-1].buttons if b["payload"] == "/affirm")
        data = adapter.codec.encode(str(chat_id), confirm["title"], confirm["payload"])
        message = {"message_id": 7, "date": 0, "text": "…",
                   "chat": {"id": chat_id, "type": "private"}}
        tracker_db = sqlite_path(rasa_stack.settings.rasa_tracker_store_url)
        with sqlite_write_lock(tracker_db) as release:
            # Rasa cannot save: it keeps the turn in memory and still answers
            fake_api.push_callback(chat_id, data, message, "fr")
            await fake_api.wait_for(lambda: attempts(tg_services) >= 2, timeout=90)
            assert fake_api.texts(chat_id) == [i18n.text("rasa_down", "fr")]
            assert fake_api.texts(staff) == []
            # the case is written (before any confirmation), once however often retried
            assert len(cases_of_chat(rasa_stack, chat_id)) == 1
            release()
            await fake_api.wait_for(lambda: all_done(tg_services), timeout=60)
    [case] = cases_of_chat(rasa_stack, chat_id)
    confirmations = [t for t in fake_api.texts(chat_id) if "DR-" in t]
    assert len(confirmations) == 1 and case.ref in confirmations[0]
    assert [t for t in fake_api.texts(staff) if case.ref in t] != []
    assert len(fake_api.texts(staff)) == 1
    latest = await tg_services.rasa.latest_turn(str(chat_id))
    assert latest.slots.get("case_ref") == case.ref


@pytest.mark.parametrize("busy_timeout, hold, told", [(0.5, 3.0, True), (30.0, 1.5, False)])
async def test_app_database_locked_turn_retried_nothing_lost(
    fake_api: FakeTelegram, tg_settings: Settings, chat_id: int,
    busy_timeout: float, hold: float, told: bool,
) -> None:
    engine = make_engine(tg_settings.database_url, busy_timeout=busy_timeout)
    base = build_services(tg_settings)
    services = replace(base, engine=engine, sessions=make_sessionmaker(engine))
    greeting, answer = GREETINGS["zh"]
    try:
        async with running(tg_settings, services):
            with sqlite_write_lock(sqlite_path(tg_settings.database_url)):
                fake_api.push_text(chat_id, greeting, "zh")
                await asyncio.sleep(hold)
                assert not any(t.startswith(answer) for t in fake_api.texts(chat_id))
            await fake_api.wait_for(lambda: all_done(services), timeout=60)
        texts = fake_api.texts(chat_id)
        down = i18n.text("rasa_down", "zh")
        assert texts.count(down) == (1 if told else 0)
        assert [t for t in texts if t.startswith(answer)] != []
        assert [t.text for t in in_turns(services, chat_id)] == [greeting]
        assert len(inbox_rows(services)) == 1
    finally:
        base.engine.dispose()
        await services.aclose()
