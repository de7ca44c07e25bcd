"""End to end: none lost, none answered twice — duplicates, restarts, Rasa outages,
Telegram 429/5xx, and the webhook's secret."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from telegram import Update
from bot import i18n
from bot.services import Services, build_services
from bot.settings import Settings
from tests.stack import free_port
from tests.telegram.conftest import Proxy, running
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.test_conversations import in_turns, inbox_rows

pytestmark = pytest.mark.stack


def all_done(services: Services) -> bool:
    """True when every inbox row is answered."""
    rows = inbox_rows(services)
    return bool(rows) and all(r.done_at for r in rows)


async def test_duplicate_update_id_answered_once(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    async with running(tg_settings, tg_services) as (application, adapter):
        update = fake_api.message_update(chat_id, "fr", text="bonjour")
        fake_api.push(dict(update))
        fake_api.push(dict(update))  # same update_id, at once
        await fake_api.wait_for(lambda: all_done(tg_services))
        await adapter.receive(  # and again once it is done (a re-delivery)
            Update.de_json(update, application.bot))
        await asyncio.sleep(0.5)
    assert [t.text for t in in_turns(tg_services, chat_id)] == ["bonjour"]
    assert len(inbox_rows(tg_services)) == 1


async def test_burst_from_one_chat_kept_in_order_others_not_starved(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    messages = ["bonjour", "merci", "au revoir", "aide", "je suis client", "merci"]
    async with running(tg_settings, tg_services):
        for text in messages:
            fake_api.push_text(chat_id, text)
        fake_api.push_text(chat_id + 1, "здравствуйте", "ru")
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id + 1)) == 1)
        await fake_api.wait_for(lambda: len(in_turns(tg_services, chat_id)) == 6
                                and all_done(tg_services), timeout=60)
    assert [t.text for t in in_turns(tg_services, chat_id)] == messages


async def test_stopped_mid_conversation_then_restarted(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    messages = [f"bonjour {n}" for n in range(6)]
    fake_api.delays["sendMessage"] = 0.3  # slow Telegram: the backlog builds up
    async with running(tg_settings, tg_services) as (application, adapter):
        first = None
        for text in messages:
            update_id = fake_api.push_text(chat_id, text)
            first = first or update_id
        await fake_api.wait_for(lambda: fake_api.texts(chat_id))
        await fake_api.wait_for(lambda: len(inbox_rows(tg_services)) == 6)
    # the turn under way finished; the rest is kept, unanswered
    unfinished = [r for r in inbox_rows(tg_services) if r.done_at is None]
    assert 0 < len(unfinished) < 6
    done_before = len(in_turns(tg_services, chat_id))
    assert done_before == 6 - len(unfinished)
    fake_api.rewind(first)  # and Telegram delivers everything again
    fake_api.delays.clear()
    async with running(tg_settings, tg_services):
        await fake_api.wait_for(lambda: all_done(tg_services)
                                and len(in_turns(tg_services, chat_id)) >= 6, timeout=60)
        await asyncio.sleep(0.5)
    assert [t.text for t in in_turns(tg_services, chat_id)] == messages


async def test_rasa_down_user_told_once_then_answered(
    fake_api: FakeTelegram, rasa_proxy: Proxy, tg_settings: Settings, chat_id: int,
) -> None:
    settings = replace(tg_settings, rasa_url=f"http://127.0.0.1:{rasa_proxy.port}")
    services = build_services(settings)
    try:
        rasa_proxy.cut()  # Rasa unreachable
        async with running(settings, services):
            fake_api.push_text(chat_id, "bonjour", "fr")
            fake_api.push_text(chat_id, "merci", "fr")
            down = i18n.text("rasa_down", "fr")
            await fake_api.wait_for(lambda: fake_api.texts(chat_id) == [down])
            await fake_api.wait_for(
                lambda: any(r.attempts >= 2 for r in inbox_rows(services)))
            assert fake_api.texts(chat_id) == [down]
            assert in_turns(services, chat_id) == []
            rasa_proxy.restore()  # Rasa is back
            await fake_api.wait_for(lambda: all_done(services), timeout=30)
        texts = fake_api.texts(chat_id)
        assert texts.count(down) == 1 and len(texts) >= 3
        assert [t.text for t in in_turns(services, chat_id)] == ["bonjour", "merci"]
    finally:
        await services.aclose()


async def test_unfinished_when_stopped_during_an_outage_answered_after_restart(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    # RASA_URL at a closed port, then the adapter restarted with the real one
    settings = replace(tg_settings, rasa_url=f"http://127.0.0.1:{free_port()}")
    services = build_services(settings)
    try:
        async with running(settings, services):
            fake_api.push_text(chat_id, "здравствуйте", "ru")
            await fake_api.wait_for(lambda: fake_api.texts(chat_id))
        assert not all_done(services)
        async with running(tg_settings, tg_services):
            await fake_api.wait_for(lambda: all_done(services), timeout=30)
        texts = fake_api.texts(chat_id)
        assert texts.count(i18n.text("rasa_down", "ru")) == 1  # not told again
        assert [t.text for t in in_turns(services, chat_id)] == ["здравствуйте"]
    finally:
        await services.aclose()


async def test_telegram_429_and_5xx_are_retried(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
) -> None:
    fake_api.fail("sendMessage", retry_after=1)
    fake_api.fail("sendMessage", status=502)
    fake_api.fail("sendMessage", status=500)
    fake_api.fail("getUpdates", status=500)
    async with running(tg_settings, tg_services):
        fake_api.push_text(chat_id, "bonjour", "fr")
        await fake_api.wait_for(lambda: all_done(tg_services), timeout=60)
    failed = [c for c in fake_api.calls if c.method == "sendMessage"][:4]
    assert len(failed) == 4
    assert failed[1].at - failed[0].at >= 1.0  # retry_after honoured
    texts = fake_api.texts(chat_id)
    assert texts and len(texts) == len(set(texts))  # delivered once each


@pytest.mark.parametrize("secret_sent, status", [
    ("right", 200), ("wrong", 403), (None, 403)])
async def test_webhook_checks_the_secret(
    fake_api: FakeTelegram, tg_settings: Settings, tg_services: Services, chat_id: int,
    secret_sent: str, status: int,
) -> None:
    port = free_port()
    settings = replace(tg_settings, telegram_webhook_url=f"http://127.0.0.1:{port}/tg-hook",
                       telegram_webhook_secret="s3cr3t-Webhook_token", webhook_port=port)
    update = fake_api.message_update(chat_id, "fr", text="bonjour")
    async with running(settings, tg_services):
        assert fake_api.webhook["url"] == f"http://127.0.0.1:{port}/tg-hook"
        assert fake_api.webhook["secret_token"] == "s3cr3t-Webhook_token"
        headers = {}
        if secret_sent:
            headers["X-Telegram-Bot-Api-Secret-Token"] = (
                "s3cr3t-Webhook_token" if secret_sent == "right" else "nope")
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"http://127.0.0.1:{port}/tg-hook", json=update,
                                         headers=headers)
        assert response.status_code == status
        if status == 200:
            await fake_api.wait_for(lambda: all_done(tg_services))
        else:
            await asyncio.sleep(0.5)
    assert not any(c.method == "getUpdates" for c in fake_api.calls)
    answered = [t.text for t in in_turns(tg_services, chat_id)]
    assert answered == (["bonjour"] if status == 200 else [])
    assert len(inbox_rows(tg_services)) == (1 if status == 200 else 0)
