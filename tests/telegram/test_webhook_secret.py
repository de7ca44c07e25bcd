"""The webhook secret is compared in constant time (hmac.compare_digest), every call
without the right secret gets 403 and reaches nothing; and the application serves its
webhook with this server, not PTB's (which compares with `!=`). No Rasa needed."""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import replace
from pathlib import Path
from typing import Any, List

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import Bot

from bot.services import build_services
from bot.settings import Settings
from bot.telegram import app as telegram_app
from bot.telegram import webhook
from tests.stack import free_port
from tests.telegram.conftest import fast_adapter, telegram_settings
from tests.telegram.fake_api import FakeTelegram

SECRET = "s3cr3t-Webhook_token"
UPDATE = {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "bonjour",
                                      "chat": {"id": 42, "type": "private"},
                                      "from": {"id": 42, "is_bot": False, "first_name": "A"}}}


@pytest.fixture
async def served():
    queue: asyncio.Queue = asyncio.Queue()
    app = webhook.create_webhook_app("/tg-hook", SECRET, Bot("123:abc"), queue)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, queue
    await client.close()


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Every call of hmac.compare_digest made by the webhook module."""
    calls: List[Any] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
    return calls


@pytest.mark.parametrize("header, status", [
    ({webhook.SECRET_HEADER: SECRET}, 200),
    ({webhook.SECRET_HEADER: "nope"}, 403),
    ({webhook.SECRET_HEADER: SECRET[:-1]}, 403),
    ({webhook.SECRET_HEADER: SECRET + "x"}, 403),
    ({webhook.SECRET_HEADER: ""}, 403),
    ({}, 403),
])
async def test_secret_checked_in_constant_time(served, comparisons, header, status):
    client, queue = served
    response = await client.post("/tg-hook", json=UPDATE, headers=header)
    assert response.status == status
    assert (await response.text()) == ""  # nothing said about why
    if status == 200:
        update = queue.get_nowait()
        assert update.update_id == 7 and update.message.text == "bonjour"
    else:
        assert queue.empty()
    if header.get(webhook.SECRET_HEADER):
        assert comparisons == [(header[webhook.SECRET_HEADER].encode(), SECRET.encode())]


async def test_bad_bodies_are_refused(served):
    client, queue = served
    headers = {webhook.SECRET_HEADER: SECRET}
    assert (await client.post("/tg-hook", data=b"{not json", headers=headers)).status == 400
    assert (await client.get("/tg-hook", headers=headers)).status == 405
    assert (await client.post("/other", json=UPDATE, headers=headers)).status == 404
    big = {"update_id": 1, "padding": "x" * (webhook.MAX_BODY + 1)}
    assert (await client.post("/tg-hook", json=big, headers=headers)).status == 413
    assert queue.empty()


def test_an_empty_secret_is_refused() -> None:
    assert not webhook.secret_matches(None, SECRET)
    assert not webhook.secret_matches(SECRET, "")
    with pytest.raises(ValueError):
        webhook.create_webhook_app("/x", "", Bot("123:abc"), asyncio.Queue())


async def test_application_serves_the_webhook_with_this_server(tmp_path: Path) -> None:
    fake = FakeTelegram("123456:TEST-token-never-logged-Zx9")
    await fake.start()
    port = free_port()
    base = Settings.from_env({"RASA_TOKEN": "t", "ACCORD_VAR_DIR": str(tmp_path),
                              "RASA_URL": f"http://127.0.0.1:{free_port()}"})
    settings = telegram_settings(base, fake, tmp_path / "tg")
    settings = replace(settings, telegram_webhook_url=f"http://127.0.0.1:{port}/tg-hook",
                       telegram_webhook_secret=SECRET, webhook_port=port)
    services = build_services(settings)
    application = telegram_app.build_application(settings, services,
                                                 fast_adapter(settings, services))
    await telegram_app.start(application, listen="127.0.0.1")
    try:
        assert fake.webhook["url"] == settings.telegram_webhook_url
        assert fake.webhook["secret_token"] == SECRET
        assert not application.updater.running  # PTB's own server is not used
        assert isinstance(application.bot_data[telegram_app.WEBHOOK_KEY],
                          webhook.WebhookServer)
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(settings.telegram_webhook_url, json=UPDATE,
                                         headers={webhook.SECRET_HEADER: "wrong"})
        assert response.status_code == 403
    finally:
        await telegram_app.stop(application)
        await services.aclose()
        await fake.stop()
    assert telegram_app.WEBHOOK_KEY not in application.bot_data
