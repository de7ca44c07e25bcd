"""Erasure of one user's data: Accord's rows and files, and Rasa's tracker events."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Collection, List, Sequence, Union

from sqlalchemy import delete, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.storage import transcripts
from bot.storage.models import Case, Reminder

logger = logging.getLogger(__name__)
# an evidence folder, or several (EVIDENCE_DIR and the regional ones)
Folders = Union[Path, str, Sequence[Union[Path, str]], None]


def folders(evidence_dir: Folders) -> List[Path]:
    """The evidence folders given as one folder, several, or none."""
    if evidence_dir is None:
        return []
    if isinstance(evidence_dir, (str, Path)):
        return [Path(evidence_dir)]
    return [Path(folder) for folder in evidence_dir]


def erase_user(
    *, sessions: sessionmaker, conversation_id: str, evidence_dir: Folders
) -> None:
    """Deletes the conversation's turns, its cases (with events and attachments) and
    the evidence files (looked for in every folder given), and its follow-up reminders,
    in one transaction (files after the commit)."""
    files = []
    with sessions.begin() as session:
        cases = session.execute(
            select(Case).where(Case.conversation_id == conversation_id)
        ).scalars()
        for case in cases:
            files.extend(a.stored_name for a in case.attachments)
            session.delete(case)
        transcripts.erase_conversation(session=session, conversation_id=conversation_id)
        session.execute(delete(Reminder).where(Reminder.conversation_id == conversation_id))
    for name in files:
        for folder in folders(evidence_dir):
            Path(folder, name).unlink(missing_ok=True)


def has_events(engine: Engine) -> bool:
    """Whether the database has Rasa's `events` table (a regional database before
    Rasa's tracker store, or `db upgrade`, created it has none)."""
    return inspect(engine).has_table("events")


def erase_tracker_events(engine: Engine, conversation_id: str) -> int:
    """Deletes Rasa's stored events of one sender (SQL tracker store)."""
    if not has_events(engine):
        return 0
    with engine.begin() as connection:
        result = connection.execute(
            text("DELETE FROM events WHERE sender_id = :sender"),
            {"sender": conversation_id},
        )
    return int(result.rowcount or 0)


def expire_tracker_events(
    engine: Engine, cutoff: dt.datetime, keep: Collection[str] = ()
) -> int:
    """Deletes Rasa's events of every sender whose latest event is older than `cutoff`,
    except the senders in `keep` (those with a live case); returns how many events."""
    idle = text(
        "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
    )
    deleted = 0
    with engine.begin() as connection:
        senders = [
            sender
            for (sender,) in connection.execute(idle, {"cutoff": cutoff.timestamp()})
            if sender not in keep
        ]
        for sender in senders:
            result = connection.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender}
            )
            deleted += int(result.rowcount or 0)
    return deleted
