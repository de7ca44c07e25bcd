"""Secrets and personal data never reach the logs: not the bot token, not the Rasa
token (which Rasa's API takes as `?token=` in URLs that httpx quotes in its errors), not
what the user wrote. Runs the real adapter at DEBUG against the fake Bot API and a
failing fake Rasa (errors are where URLs get logged). No Rasa server needed."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator

import pytest
from aiohttp import web
from sqlalchemy import text

from bot import logsafe
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.services import build_services
from bot.settings import Settings
from bot.storage.db import make_engine
from tests.telegram.conftest import TOKEN, running, telegram_settings
from tests.telegram.fake_api import FakeTelegram

RASA_TOKEN = "rasa-token-never-logged-Qw7"
PERSONAL = ["Jean Dupont", "06 12 34 56 78", "jean.dupont@exemple.fr"]
MESSAGE = "Je suis Jean Dupont, mon numéro 06 12 34 56 78, jean.dupont@exemple.fr"


@pytest.fixture
async def broken_rasa() -> AsyncIterator[str]:
    """A Rasa server whose REST channel answers and whose API (the `?token=` URLs)
    fails with 500."""
    async def fail(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def answer(_request: web.Request) -> web.Response:
        return web.json_response({"messages": [{"recipient_id": "x", "text": "Bonjour !"}]})

    async def healthy(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhooks/rest/turn", answer)
    app.router.add_get("/health", healthy)  # it stands for the action server too
    app.router.add_route("*", "/{tail:.*}", fail)
    runner = web.AppRunner(app, access_log=None)  # its own log is not ours
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_rasa_errors_never_carry_the_token(broken_rasa: str) -> None:
    client = RasaClient(broken_rasa, RASA_TOKEN, 5.0)
    try:
        for call in (client.latest_turn("42"), client.rewind("42")):
            with pytest.raises(RasaUnavailable) as caught:
                await call
            assert RASA_TOKEN not in str(caught.value)
            assert MESSAGE not in str(caught.value)
    finally:
        await client.aclose()
    assert "token=***" in str(RasaUnavailable("GET http://x/y?include_events=NONE&token=abc"))


async def test_adapter_logs_neither_tokens_nor_what_the_user_wrote(
    broken_rasa: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeTelegram(TOKEN)
    await fake.start()
    base = Settings.from_env({"RASA_TOKEN": RASA_TOKEN, "ACCORD_VAR_DIR": str(tmp_path)})
    settings = replace(telegram_settings(base, fake, tmp_path / "tg"), rasa_url=broken_rasa,
                       action_server_port=int(broken_rasa.rsplit(":", 1)[1]))
    tracker = make_engine(settings.rasa_tracker_store_url)
    with tracker.begin() as connection:  # Rasa's tracker table, empty
        connection.execute(text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
            "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"))
    tracker.dispose()
    services = build_services(settings)
    chat_id = 555000111
    try:
        async with running(settings, services):
            fake.push_text(chat_id, MESSAGE, "fr")
            await fake.wait_for(lambda: fake.texts(chat_id))  # the user is told
    finally:
        await services.aclose()
        await fake.stop()
    logged = caplog.text
    assert logged  # the failures were logged...
    for secret in (TOKEN, TOKEN.split(":")[1], RASA_TOKEN, *PERSONAL):
        assert secret not in logged, secret  # ...without any of these


def test_secret_filter_hides_tokens_in_messages_and_tracebacks(tmp_path: Path) -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "RASA_TOKEN": RASA_TOKEN,
                                  "TELEGRAM_WEBHOOK_SECRET": "hook-secret-123",
                                  "ACCORD_VAR_DIR": str(tmp_path)})
    records = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    logger = logging.getLogger("tests.logsafe")
    logger.propagate = False
    handler = Keep()
    logger.addHandler(handler)
    try:
        logsafe.install(settings, logger)
        logger.warning("GET https://api.telegram.org/bot%s/getMe failed", TOKEN)
        logger.warning("half %s, rasa %s, hook %s", TOKEN.split(":")[1], RASA_TOKEN,
                       "hook-secret-123")
        try:
            raise RuntimeError(f"http://127.0.0.1:5005/status?token={RASA_TOKEN}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert "bot[secret]/getMe" in text and "RuntimeError" in text
    for secret in (TOKEN, TOKEN.split(":")[1], RASA_TOKEN, "hook-secret-123"):
        assert secret not in text
