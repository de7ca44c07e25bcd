"""Outbound Bot API calls: `RetryAfter` honoured, timeouts and 5xx retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, TypeVar

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Undeliverable(Exception):
    """Telegram refused the call for good (blocked bot, bad request, retries exhausted)."""


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whatever PTB's representation."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def call(
    make: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int = 5,
    backoff: float = 0.5,
    max_backoff: float = 10.0,
) -> T:
    """Runs one Bot API call; retries on 429, timeouts and 5xx; raises Undeliverable."""
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            return await make()
        except RetryAfter as error:
            wait = retry_seconds(error) + 0.1
            logger.warning("%s: flood control, retrying in %.1f s", what, wait)
            await asyncio.sleep(wait)
        except (Forbidden, BadRequest) as error:
            raise Undeliverable(f"{what}: {error}") from error
        except NetworkError as error:  # TimedOut, 5xx, connection errors
            if attempt == attempts:
                raise Undeliverable(f"{what}: {error}") from error
            logger.warning("%s failed (%s); retry %s in %.1f s", what, error, attempt, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff)
        except TelegramError as error:
            raise Undeliverable(f"{what}: {error}") from error
    raise Undeliverable(f"{what}: retries exhausted")


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int, every: float = 4.5) -> AsyncIterator[None]:
    """Shows "typing…" in the chat (renewed every few seconds) while the block runs."""

    async def renew() -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as error:  # cosmetic: never retried
                logger.debug("chat action failed: %s", error)
            await asyncio.sleep(every)

    task: Optional["asyncio.Task[Any]"] = asyncio.create_task(renew())
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
