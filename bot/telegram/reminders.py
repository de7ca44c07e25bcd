"""Due follow-up reminders (bot/storage/reminders.py), sent by the Telegram adapter.

A background task started with the adapter looks every `REMINDER_INTERVAL` seconds for
unsent reminders that are due, sends each one (a localized "did it work?" with the
step buttons), then marks it sent. Order: select due → send → mark sent. A restart
never loses a reminder (it is in the database until marked); if the process dies
between a send and its mark, that reminder is sent once more after the restart — at
most one duplicate. One adapter process is assumed (the polling or webhook process).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Callable, Dict, List, Optional

from bot import i18n
from bot.storage import reminders
from bot.telegram import sender

logger = logging.getLogger(__name__)

REMINDER_INTERVAL = 45.0  # seconds between two looks at the table
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.timezone.utc)


def reminder_buttons(language: Optional[str]) -> List[Dict[str, str]]:
    """"It worked / it did not work / where am I" in the user's language."""
    return [
        {"title": i18n.text("reminder_worked", language), "payload": "/step_succeeded"},
        {"title": i18n.text("reminder_failed", language), "payload": "/step_failed"},
        {"title": i18n.text("reminder_where", language), "payload": "/where_am_i"},
    ]


def _databases(adapter: Any) -> List[Any]:
    """DATABASE_URL and the regional databases (a reminder is in its chat's)."""
    return adapter.services.homes.all


def _due(adapter: Any, now: dt.datetime) -> List[Dict[str, Any]]:
    due = []
    for index, sessions in enumerate(_databases(adapter)):
        with sessions() as session:
            due.extend(
                {"id": r.id, "db": index, "chat_id": r.conversation_id,
                 "language": r.language, "due_at": reminders.utc(r.due_at)}
                for r in reminders.due_reminders(session, now)
            )
    return sorted(due, key=lambda row: row["due_at"])


def _mark(adapter: Any, row: Dict[str, Any], now: dt.datetime, sent: bool) -> None:
    reminder_id = row["id"]
    with _databases(adapter)[row["db"]].begin() as session:
        if sent:
            reminders.mark_sent(session, reminder_id, now)
        elif reminders.mark_failed(session, reminder_id, now):
            logger.warning("reminder %s given up after repeated refusals", reminder_id)


async def send_due_reminders(adapter: Any, now: dt.datetime) -> int:
    """Sends the reminders due at `now`; returns how many went out."""
    sent = 0
    for row in await asyncio.to_thread(_due, adapter, now):
        chat_id, language = row["chat_id"], row["language"]
        if not str(chat_id).lstrip("-").isdigit():
            await asyncio.to_thread(_mark, adapter, row, now, False)
            continue
        text = i18n.text("reminder_text", language)
        markup = adapter.codec.keyboard(chat_id, reminder_buttons(language))
        try:
            await sender.call(
                lambda: adapter.bot.send_message(int(chat_id), text, reply_markup=markup),
                what="reminder",
            )
        except sender.Undeliverable as error:
            logger.warning("reminder %s not delivered: %s", row["id"], error)
            await asyncio.to_thread(_mark, adapter, row, now, False)
            continue
        await asyncio.to_thread(_mark, adapter, row, now, True)
        adapter.remember_language(chat_id, language)
        sent += 1
    return sent


async def run_reminders(
    adapter: Any, *, interval: float = REMINDER_INTERVAL, clock: Clock = utcnow
) -> None:
    """Sends due reminders until cancelled (errors are logged, the loop goes on)."""
    while True:
        try:
            await send_due_reminders(adapter, clock())
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("due reminders could not be sent; next try later")
        await asyncio.sleep(interval)
