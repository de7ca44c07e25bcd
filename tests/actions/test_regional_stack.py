"""End to end with ACCORD_DATABASE_URL_RU set: the fake Bot API ↔ PTB ↔ adapter ↔ the
real Rasa server (bot.regional_tracker_store.RegionalTrackerStore, as in endpoints.yml)
and action server. A Russian chat's tracker events, transcript turns and inbox rows end
up in the Russian database only (none left in DATABASE_URL or the tracker store), its
evidence photo in EVIDENCE_DIR_RU; a French chat's data stays where it was; the user's
erasure removes theirs in Russia.

This module starts its own stack (Rasa needs the variable at start); it sits in
tests/actions so that it runs, and stops its stack, before the session's stack of the
end-to-end tests starts (one stack at a time on a small machine)."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from PIL import Image
from sqlalchemy import select, text

from bot.services import build_services
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import InboxUpdate, Turn
from bot.supervisor import MODEL, Stack
from tests.stack import stack_settings
from tests.telegram.conftest import running, telegram_settings
from tests.telegram.fake_api import FakeTelegram

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def ru_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa and the action server with a Russian database (a second SQLite file)."""
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train`")
    workdir = Path(tmp_path_factory.mktemp("regional-stack"))
    settings = replace(stack_settings(workdir),
                       regional_database_urls={"RU": f"sqlite:///{workdir}/ru.db"})
    for url in settings.all_database_urls():
        migrate(url)
    stack = Stack(settings)  # endpoints written from the settings (bot/endpoints.py)
    stack.start()
    try:
        stack.wait_ready(timeout=300)
        yield stack
    finally:
        stack.stop()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def tracker_senders(url: str) -> List[str]:
    """The sender of every Rasa event of a database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT sender_id FROM events")).scalars())
    finally:
        engine.dispose()


def rows_of(url: str, model: Any, chat: str) -> List[Any]:
    column = model.chat_id if model is InboxUpdate else model.conversation_id
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.execute(
                select(model).where(column == chat).order_by(model.id)).scalars())
    finally:
        engine.dispose()


async def test_a_russian_chat_lives_and_is_erased_in_russia(ru_stack: Stack,
                                                              tmp_path: Path) -> None:
    fake = FakeTelegram("123456:TEST-token-regional-Zx9")
    await fake.start()
    base = ru_stack.settings
    settings = telegram_settings(base, fake, tmp_path, database_url=base.database_url,
                                 regional_evidence_dirs={"RU": tmp_path / "evidence-ru"})
    ru_url, default_url = base.regional_database_urls["RU"], base.database_url
    tracker_url = base.rasa_tracker_store_url
    services = build_services(settings)
    ru_chat, fr_chat = (random.randint(10**8, 10**9) for _ in range(2))
    try:
        async with running(settings, services):
            fake.push_text(ru_chat, "здравствуйте", "ru")
            fake.push_text(fr_chat, "bonjour", "fr")
            await fake.wait_for(lambda: fake.texts(ru_chat) and fake.texts(fr_chat), 90)
            fake.push_text(ru_chat, "хочу подать жалобу на фотографа", "ru")
            await fake.wait_for(lambda: len(fake.texts(ru_chat)) >= 2, 60)
            before = len(fake.texts(ru_chat))
            fake.push_photo(ru_chat, jpeg(), language="ru")
            await fake.wait_for(lambda: len(fake.texts(ru_chat)) > before, 60)
            assert len(list((tmp_path / "evidence-ru").iterdir())) == 1
            assert not settings.evidence_dir.exists() or \
                list(settings.evidence_dir.iterdir()) == []
            await fake.wait_for(lambda: all(
                r.done_at for r in rows_of(ru_url, InboxUpdate, str(ru_chat))), 30)
            ru_turns = rows_of(ru_url, Turn, str(ru_chat))
            assert [t.text for t in ru_turns if t.direction == "in"][:2] == [
                "здравствуйте", "хочу подать жалобу на фотографа"]
            assert {t.language for t in ru_turns} == {"ru"}
            assert len(rows_of(ru_url, InboxUpdate, str(ru_chat))) == 3
            assert str(ru_chat) in tracker_senders(ru_url)
            # nothing of the Russian chat in DATABASE_URL or Rasa's tracker store
            for model in (Turn, InboxUpdate):
                assert rows_of(default_url, model, str(ru_chat)) == []
            assert str(ru_chat) not in tracker_senders(tracker_url)
            # the French chat stays where it was (FR has no database of its own)
            assert len(rows_of(default_url, Turn, str(fr_chat))) >= 2
            assert str(fr_chat) in tracker_senders(tracker_url)
            assert str(fr_chat) not in tracker_senders(ru_url)
            assert rows_of(ru_url, Turn, str(fr_chat)) == []

            before = len(fake.texts(ru_chat))
            fake.push_text(ru_chat, "удалите мои данные", "ru")
            await fake.wait_for(lambda: len(fake.texts(ru_chat)) > before, 60)
            before = len(fake.texts(ru_chat))
            fake.push_text(ru_chat, "да", "ru")
            await fake.wait_for(lambda: len(fake.texts(ru_chat)) > before, 60)
            await fake.wait_for(lambda: all(
                r.done_at for r in rows_of(ru_url, InboxUpdate, str(ru_chat))), 30)
        for url in (ru_url, default_url):
            assert rows_of(url, Turn, str(ru_chat)) == []
            # inbox rows keep the update id only, for deduplication (retention: 7 days)
            assert {r.payload for r in rows_of(url, InboxUpdate, str(ru_chat))} <= {"{}"}
        assert str(ru_chat) not in tracker_senders(ru_url)
        assert str(ru_chat) not in tracker_senders(tracker_url)
        assert str(fr_chat) in tracker_senders(tracker_url)  # only the user's data
    finally:
        await services.aclose()
        await fake.stop()
