"""Fixtures of the Telegram tests: the fake Bot API, per-test settings and databases,
a running adapter, and a TCP proxy in front of Rasa that tests can cut and restore."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator, Optional, Tuple

import pytest
from telegram.ext import Application

from bot.services import Services, build_services
from bot.settings import Settings
from bot.storage.db import migrate
from bot.supervisor import Stack
from bot.telegram import app as telegram_app
from bot.telegram.adapter import Adapter
from tests.stack import free_port
from tests.telegram.fake_api import FakeTelegram

TOKEN = "123456:TEST-token-never-logged-Zx9"


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, on a random loopback port."""
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def telegram_settings(base: Settings, fake: FakeTelegram, workdir: Path,
                      **changes: object) -> Settings:
    """Settings of one test: its own app database and evidence folder, the fake API."""
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir}/app.db"
    migrate(url)
    values: dict = {
        "telegram_bot_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        "telegram_file_base_url": fake.base_file_url,
        "database_url": url,
        "evidence_dir": workdir / "evidence",
        "telegram_staff_chat_id": -100777,
    }
    return replace(base, **{**values, **changes})


@pytest.fixture
def tg_settings(rasa_stack: Stack, fake_api: FakeTelegram, tmp_path: Path) -> Settings:
    """Settings against the real Rasa stack and the fake Bot API."""
    return telegram_settings(rasa_stack.settings, fake_api, tmp_path)


@pytest.fixture
async def tg_services(tg_settings: Settings) -> AsyncIterator[Services]:
    """Services of one test (its own app database)."""
    services = build_services(tg_settings)
    yield services
    await services.aclose()


def fast_adapter(settings: Settings, services: Services) -> Adapter:
    """An adapter with short retry and album delays (tests only)."""
    return Adapter(settings, services, retry_initial=0.2, retry_max=1.0, album_wait=0.5)


@contextlib.asynccontextmanager
async def running(settings: Settings, services: Services,
                  adapter: Optional[Adapter] = None
                  ) -> AsyncIterator[Tuple[Application, Adapter]]:
    """The whole Telegram side, started (polling or webhook) and stopped."""
    adapter = adapter or fast_adapter(settings, services)
    application = telegram_app.build_application(settings, services, adapter)
    await telegram_app.start(application, listen="127.0.0.1")
    try:
        yield application, adapter
    finally:
        await telegram_app.stop(application)


@pytest.fixture
def chat_id() -> int:
    """A fresh private chat (and Rasa conversation)."""
    return random.randint(10**8, 10**9)


class Proxy:
    """A TCP proxy on a fixed loopback port. While `down` it resets every connection
    (Rasa unreachable); `close()` stops listening altogether."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.down = False
        self._server: Optional[asyncio.AbstractServer] = None
        self._writers: set = set()

    def cut(self) -> None:
        """Rasa becomes unreachable: open connections and new ones are reset."""
        self.down = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        """Rasa is reachable again."""
        self.down = False

    async def open(self) -> None:
        """Starts listening (again) on the same port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        """Stops listening and cuts every connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1",
                                                                 self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def rasa_proxy(rasa_stack: Stack) -> AsyncIterator[Proxy]:
    """A proxy in front of the real Rasa server."""
    proxy = Proxy(rasa_stack.settings.rasa_port)
    await proxy.open()
    yield proxy
    await proxy.close()
