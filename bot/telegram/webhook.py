"""The webhook server (TELEGRAM_WEBHOOK_URL): Accord's own, small aiohttp server.

python-telegram-bot's built-in webhook server compares the
`X-Telegram-Bot-Api-Secret-Token` header with `!=` (and logs a wrong token at debug
level); this one compares it in constant time (`hmac.compare_digest`), answers 403
without saying why, and hands accepted updates to the application's update queue,
where PTB processes them exactly as with its own server.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Optional

from aiohttp import web
from telegram import Bot, Update

logger = logging.getLogger(__name__)

# the name of the header, not a secret
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # nosec B105
MAX_BODY = 1024 * 1024  # an update is a few kB; files are fetched separately


def secret_matches(sent: Optional[str], expected: str) -> bool:
    """Whether the header carries the secret (constant time; False when absent)."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def create_webhook_app(
    path: str, secret: str, bot: Bot, queue: "asyncio.Queue[Any]"
) -> web.Application:
    """The aiohttp application serving `POST /<path>`."""
    if not secret:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET is required with a webhook")

    async def receive(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            return web.Response(status=403)
        try:
            data = await request.json(loads=json.loads)
            update = Update.de_json(data, bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/" + path.strip("/"), receive)
    return app


class WebhookServer:
    """Serves the webhook on `listen:port` until `stop()`."""

    def __init__(self, app: web.Application, listen: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None)  # URLs and IPs stay out
        self._listen = listen
        self._port = port

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()
        logger.info("Telegram webhook served on port %s", self._port)

    async def stop(self) -> None:
        await self._runner.cleanup()
