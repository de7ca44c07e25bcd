"""Follow-up reminders: written by the actions, sent by the Telegram adapter.

Sending is "select due → send → mark sent", each reminder in its own short
transaction after its message went out: a restart never loses a reminder (it stays
unsent until marked). If the process dies between the send and the mark, that one
reminder is sent again after the restart (at most one duplicate per reminder).
"""

from __future__ import annotations

import datetime as dt
from typing import List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.storage.models import Reminder

MAX_ATTEMPTS = 5  # refusals before a reminder is given up (blocked bot, unknown chat)


def utc(moment: dt.datetime) -> dt.datetime:
    """The same moment in UTC (naive moments are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def add_reminder(
    session: Session,
    *,
    conversation_id: str,
    due_at: dt.datetime,
    language: str,
    step: str,
    channel: str = "telegram",
) -> Reminder:
    """Stores one reminder; any other unsent reminder of the conversation is replaced
    (one pending follow-up per conversation)."""
    session.execute(
        delete(Reminder).where(
            Reminder.conversation_id == conversation_id, Reminder.sent_at.is_(None)
        )
    )
    reminder = Reminder(
        conversation_id=conversation_id,
        channel=channel,
        due_at=utc(due_at),
        language=language,
        step=step,
    )
    session.add(reminder)
    session.flush()
    return reminder


def due_reminders(
    session: Session, now: dt.datetime, *, channel: str = "telegram", limit: int = 50
) -> List[Reminder]:
    """The unsent reminders due at `now` for one channel, oldest first."""
    query = (
        select(Reminder)
        .where(
            Reminder.sent_at.is_(None),
            Reminder.channel == channel,
            Reminder.due_at <= utc(now),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def mark_sent(session: Session, reminder_id: int, now: dt.datetime) -> None:
    """Records that the reminder went out."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is not None and reminder.sent_at is None:
        reminder.sent_at = utc(now)


def mark_failed(session: Session, reminder_id: int, now: dt.datetime) -> bool:
    """Counts a refused send; after MAX_ATTEMPTS the reminder is given up (marked).
    Returns True when it was given up."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.sent_at is not None:
        return False
    reminder.attempts = (reminder.attempts or 0) + 1
    if reminder.attempts >= MAX_ATTEMPTS:
        reminder.sent_at = utc(now)
        return True
    return False


def pending_of(session: Session, conversation_id: str) -> Optional[Reminder]:
    """The conversation's unsent reminder, if any."""
    return session.execute(
        select(Reminder).where(
            Reminder.conversation_id == conversation_id, Reminder.sent_at.is_(None)
        )
    ).scalars().first()
