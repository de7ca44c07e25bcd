"""Messages to the client through the Telegram Bot API (human hand-off replies and status
notices), and their record in the transcript."""

from __future__ import annotations

import logging
from typing import Optional, Tuple

import httpx

from bot import i18n as bot_i18n
from bot.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


async def send_to_client(settings: Settings, chat_id: str, text: str) -> Tuple[bool, Optional[str]]:
    """sendMessage to `chat_id`; returns (delivered, reason). The URL carries the token, so
    it never appears in the reason or the log."""
    if not settings.telegram_bot_token:
        return False, "no Telegram bot token configured: not delivered"
    url = f"{settings.telegram_api_base_url}{settings.telegram_bot_token}/sendMessage"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(url, json={"chat_id": chat_id, "text": text[:4096]})
        body = response.json() if response.headers.get("content-type", "").startswith(
            "application/json") else {}
    except (httpx.HTTPError, ValueError) as error:
        log.warning("sendMessage failed: %s", type(error).__name__)
        return False, f"Telegram unreachable ({type(error).__name__})"
    if response.status_code == 200 and body.get("ok"):
        return True, None
    reason = str(body.get("description") or f"HTTP {response.status_code}")[:200]
    return False, f"Telegram refused: {reason}"


def status_text(language: str, ref: str, status: str) -> str:
    """The client's notice of a status change, in the case's language."""
    name = bot_i18n.text(f"case_status_{status}", language)
    return bot_i18n.text("status_changed", language).format(ref=ref, status=name)


def handback_text(language: str) -> str:
    """The client's notice that the bot answers again."""
    return bot_i18n.text("handed_back_to_bot", language)
