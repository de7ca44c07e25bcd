"""The adapter as its own process (`python -m bot.prod adapter`, the deployed entry
point) against the fake Bot API and the real Rasa stack: killed with SIGKILL between
fetching an update and replying, then restarted, the message is answered exactly once;
stopped with SIGTERM, the turn under way finishes, the rest waits in the inbox and is
answered after the restart, nothing lost and nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional

import pytest
from sqlalchemy import select

from bot.settings import ROOT, Settings
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import InboxUpdate, Turn
from bot.supervisor import Stack
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.faults import RasaFront, tracker_user_texts

pytestmark = pytest.mark.stack


class AdapterProcess:
    """One `python -m bot.prod adapter` process with the test's settings."""

    def __init__(self, env: Dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: Optional[asyncio.subprocess.Process] = None

    async def start(self) -> None:
        """Starts it (its output goes to the log file)."""
        with open(self.log, "ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.prod", "adapter", cwd=ROOT, env=self.env,
                stdout=log, stderr=asyncio.subprocess.STDOUT)

    def signal(self, signum: int) -> None:
        """Sends a signal (SIGKILL, SIGTERM) to the process."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signum)

    async def wait(self, timeout: float = 60.0) -> int:
        """Its exit code."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)


@pytest.fixture
async def workdir(tmp_path: Path) -> Path:
    """The adapter's own database and files."""
    migrate(f"sqlite:///{tmp_path}/app.db")
    return tmp_path


def adapter_env(stack: Settings, fake: FakeTelegram, workdir: Path,
                rasa_url: str) -> Dict[str, str]:
    """The environment of the adapter process (polling the fake Bot API)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(
        ("TELEGRAM_", "ACTION_ENDPOINT", "DATABASE_URL", "ACCORD_DATABASE_URL"))}
    env.update({
        "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url, "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
        "DATABASE_URL": f"sqlite:///{workdir}/app.db", "RASA_URL": rasa_url,
        "RASA_TOKEN": stack.rasa_token, "RASA_TRACKER_STORE_URL": stack.rasa_tracker_store_url,
        "ACTION_SERVER_PORT": str(stack.action_server_port), "ACCORD_VAR_DIR": str(workdir),
        "EVIDENCE_DIR": str(workdir / "evidence"),
    })
    return env


@pytest.fixture
async def adapters(workdir: Path) -> AsyncIterator[List[AdapterProcess]]:
    """The adapter processes a test starts; none outlives it."""
    started: List[AdapterProcess] = []
    yield started
    for adapter in started:
        adapter.signal(signal.SIGKILL)
        if adapter.process is not None:
            await adapter.process.wait()


def rows(workdir: Path, model: type) -> list:
    """Every row of one table of the adapter's database."""
    engine = make_engine(f"sqlite:///{workdir}/app.db")
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.execute(select(model).order_by(model.id)).scalars())
    finally:
        engine.dispose()


def answered(workdir: Path, count: int) -> bool:
    """True when `count` inbox rows exist and all are done."""
    inbox = rows(workdir, InboxUpdate)
    return len(inbox) == count and all(row.done_at for row in inbox)


@pytest.mark.parametrize("moment", ["before_rasa", "after_rasa"])
async def test_sigkill_between_fetch_and_reply_answered_exactly_once(
    fake_api: FakeTelegram, rasa_stack: Stack, workdir: Path, chat_id: int,
    adapters: List[AdapterProcess], moment: str,
) -> None:
    front = RasaFront(rasa_stack.settings.rasa_url)
    await front.start()
    env = adapter_env(rasa_stack.settings, fake_api, workdir, front.url)
    first = AdapterProcess(env, workdir / "adapter-1.log")
    adapters.append(first)
    if moment == "before_rasa":  # the turn began ("typing…"): the update is fetched
        fake_api.on_delivered = lambda call: (
            first.signal(signal.SIGKILL) if call.method == "sendChatAction" else None)
    else:  # Rasa made the turn; its answer never reaches the adapter
        front.on_answered = lambda: first.signal(signal.SIGKILL)
    try:
        await first.start()
        fake_api.push_text(chat_id, "здравствуйте", "ru")
        assert await first.wait() == -signal.SIGKILL
        assert fake_api.texts(chat_id) == []  # killed before any reply
        fake_api.on_delivered = None
        front.on_answered = None
        second = AdapterProcess(env, workdir / "adapter-2.log")
        adapters.append(second)
        await second.start()
        await fake_api.wait_for(lambda: answered(workdir, 1), timeout=90)
        await asyncio.sleep(1.0)  # anything doubled would show by now
    finally:
        await front.stop()
    texts = fake_api.texts(chat_id)
    assert len(texts) == 1 and texts[0].startswith("Здравствуйте")
    assert [t.text for t in rows(workdir, Turn) if t.direction == "in"] == ["здравствуйте"]
    engine = make_engine(rasa_stack.settings.rasa_tracker_store_url)
    assert tracker_user_texts(engine, str(chat_id)) == ["здравствуйте"]  # one Rasa turn
    engine.dispose()
    if moment == "after_rasa":  # the restart took the kept turn's replies
        assert front.webhook_calls == 1


async def test_sigterm_finishes_the_turn_under_way_and_loses_nothing(
    fake_api: FakeTelegram, rasa_stack: Stack, workdir: Path, chat_id: int,
    adapters: List[AdapterProcess],
) -> None:
    messages = ["bonjour", "je suis photographe", "le client refuse de payer", "merci"]
    env = adapter_env(rasa_stack.settings, fake_api, workdir, rasa_stack.settings.rasa_url)
    first = AdapterProcess(env, workdir / "adapter-1.log")
    adapters.append(first)
    fake_api.delays["sendMessage"] = 0.5  # slow replies: the backlog builds up
    fake_api.on_delivered = lambda call: (
        first.signal(signal.SIGTERM) if call.method == "sendChatAction" else None)
    await first.start()
    for text in messages:
        fake_api.push_text(chat_id, text, "fr")
    assert await first.wait(timeout=60) == 0  # a clean stop
    done_before = [row for row in rows(workdir, InboxUpdate) if row.done_at]
    assert len(done_before) >= 1  # the turn under way was finished and answered
    assert len(fake_api.texts(chat_id)) >= 1
    fake_api.on_delivered = None
    fake_api.delays.clear()
    second = AdapterProcess(env, workdir / "adapter-2.log")
    adapters.append(second)
    await second.start()
    await fake_api.wait_for(lambda: answered(workdir, len(messages)), timeout=120)
    await asyncio.sleep(1.0)
    turns = rows(workdir, Turn)
    assert [t.text for t in turns if t.direction == "in"] == messages  # in order, once
    engine = make_engine(rasa_stack.settings.rasa_tracker_store_url)
    assert tracker_user_texts(engine, str(chat_id)) == messages
    engine.dispose()
    # every recorded reply delivered exactly once, nothing else sent
    replies = [t.text for t in turns if t.direction == "out"]
    assert sorted(fake_api.texts(chat_id)) == sorted(replies)
