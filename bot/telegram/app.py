"""The Telegram application: `build_application` (factory) and `run_telegram` (`make run`).

Long polling by default; with TELEGRAM_WEBHOOK_URL, Accord's webhook server
(bot/telegram/webhook.py), which answers 403 to any call without the right
`X-Telegram-Bot-Api-Secret-Token` (compared in constant time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Optional
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot import i18n
from bot.services import Services, build_services
from bot.settings import Settings
from bot.telegram import webhook
from bot.telegram.adapter import Adapter
from bot.telegram.handlers import COMMANDS

logger = logging.getLogger(__name__)

ADAPTER_KEY = "accord_adapter"
WEBHOOK_KEY = "accord_webhook"
CONCURRENT_UPDATES = 64  # across chats; one chat's updates are ordered by the adapter


def quiet_transport_logs() -> None:
    """Keeps request URLs (which contain the bot token) out of the logs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    telegram_logger = logging.getLogger("telegram")
    if telegram_logger.level == logging.NOTSET or telegram_logger.level < logging.INFO:
        telegram_logger.setLevel(logging.INFO)  # PTB's debug lines show the API URL


def build_application(
    settings: Settings, services: Services, adapter: Optional[Adapter] = None
) -> Application:
    """A PTB application for these settings, its adapter in `bot_data[ADAPTER_KEY]`."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    quiet_transport_logs()
    application = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(CONCURRENT_UPDATES)
        .connect_timeout(10.0)
        .read_timeout(20.0)
        .write_timeout(30.0)
        .pool_timeout(10.0)
        .get_updates_connect_timeout(10.0)
        .get_updates_read_timeout(20.0)
        .build()
    )
    adapter = adapter or Adapter(settings, services)
    application.bot_data[ADAPTER_KEY] = adapter
    application.add_handler(TypeHandler(Update, adapter.on_update))
    application.add_error_handler(on_error)
    return application


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs errors of handlers and of the polling loop."""
    logger.error("Exception while handling an update:", exc_info=context.error)


async def set_commands(application: Application) -> None:
    """Registers the command menu in each language, and a default one (French)."""
    adapter: Adapter = application.bot_data[ADAPTER_KEY]
    for language in (None, *i18n.LANGUAGES):
        commands = [
            BotCommand(name, i18n.text(f"cmd_{name}", language)) for name in COMMANDS
        ]
        await adapter.deliver(
            lambda commands=commands, language=language: application.bot.set_my_commands(
                commands, language_code=language
            ),
            "setMyCommands",
        )


# the webhook server must be reachable by Telegram: all interfaces unless WEBHOOK_LISTEN
# public by design, secret_token checked
ALL_INTERFACES = "0.0.0.0"  # nosec B104


async def start(application: Application, *, listen: str = ALL_INTERFACES) -> int:
    """Starts the application; replays the inbox; then polls or serves the webhook.
    Returns how many unfinished updates were replayed."""
    settings: Settings = application.bot_data[ADAPTER_KEY].settings
    adapter: Adapter = application.bot_data[ADAPTER_KEY]
    await application.initialize()
    await set_commands(application)
    replayed = await adapter.start(application.bot)
    await application.start()
    if settings.telegram_webhook_url:
        if not settings.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required with a webhook")
        # our own server: the secret is compared in constant time (bot/telegram/webhook.py)
        server = webhook.WebhookServer(
            webhook.create_webhook_app(
                urlsplit(settings.telegram_webhook_url).path,
                settings.telegram_webhook_secret,
                application.bot,
                application.update_queue,
            ),
            listen,
            settings.webhook_port,
        )
        await server.start()
        application.bot_data[WEBHOOK_KEY] = server
        await adapter.deliver(
            lambda: application.bot.set_webhook(
                url=settings.telegram_webhook_url,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            ),
            "setWebhook",
        )
    else:
        await application.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
        )
        logger.info("Telegram long polling started")
    return replayed


async def stop(application: Application) -> None:
    """Stops taking updates, lets turns under way finish, then shuts down."""
    adapter: Adapter = application.bot_data[ADAPTER_KEY]
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    server = application.bot_data.pop(WEBHOOK_KEY, None)
    if server is not None:
        await server.stop()
    await adapter.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def serve(settings: Settings, stop_event: asyncio.Event) -> None:
    """Serves Telegram until `stop_event` is set."""
    services = build_services(settings)
    try:
        application = build_application(settings, services)
        await start(application, listen=os.environ.get("WEBHOOK_LISTEN", ALL_INTERFACES))
        try:
            await stop_event.wait()
        finally:
            await stop(application)
    finally:
        await services.aclose()


def run_telegram(settings: Settings) -> None:
    """Serves Telegram in the foreground until SIGINT or SIGTERM."""

    async def main() -> None:
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop_event.set)
        await serve(settings, stop_event)

    quiet_transport_logs()
    asyncio.run(main())
