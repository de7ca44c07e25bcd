"""Transcript turns: record, complete, export, erase.

A conversation's turns are in the database of its region once it is known
(bot/storage/homes.py); `iter_all_turns` reads every database."""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import json
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.models import Turn


def record_turn(
    *,
    session: Session,
    conversation_id: str,
    channel: str,
    direction: str,
    text: str,
    language: Optional[str] = None,
    intent: Optional[str] = None,
    confidence: Optional[float] = None,
    case_ref: Optional[str] = None,
    buttons: Optional[List[Dict[str, str]]] = None,
    attachments: int = 0,
) -> Turn:
    """Adds one turn (flushed, so its id is known)."""
    turn = Turn(
        conversation_id=conversation_id,
        channel=channel,
        direction=direction,
        text=text,
        language=language,
        intent=intent,
        confidence=confidence,
        case_ref=case_ref,
        buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None,
        attachments=attachments,
    )
    session.add(turn)
    session.flush()
    return turn


def complete_turn(
    *,
    session: Session,
    turn_id: int,
    intent: Optional[str],
    confidence: Optional[float],
    language: Optional[str],
    case_ref: Optional[str] = None,
) -> None:
    """Stores what the NLU understood of an incoming turn."""
    values: Dict[str, Any] = {
        "intent": intent,
        "confidence": confidence,
        "language": language,
    }
    if case_ref:
        values["case_ref"] = case_ref
    session.execute(update(Turn).where(Turn.id == turn_id).values(**values))


def turn_as_dict(turn: Turn) -> Dict[str, Any]:
    """The contract's export format of one turn."""
    timestamp = turn.timestamp
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=dt.timezone.utc)
    return {
        "conversation_id": turn.conversation_id,
        "timestamp": timestamp.isoformat(),
        "direction": turn.direction,
        "language": turn.language,
        "text": turn.text,
        "intent": turn.intent,
        "confidence": turn.confidence,
        "case_ref": turn.case_ref,
    }


def iter_turns(
    *, session: Session, since: Optional[dt.datetime] = None, batch: int = 1000
) -> Iterator[Turn]:
    """All turns in time order, read in batches."""
    query = select(Turn).order_by(Turn.timestamp, Turn.id)
    if since is not None:
        query = query.where(Turn.timestamp >= since)
    yield from session.execute(query.execution_options(yield_per=batch)).scalars()


def _moment(turn: Turn) -> Tuple[dt.datetime, int]:
    timestamp = turn.timestamp
    if timestamp.tzinfo is None:  # SQLite gives naive UTC
        timestamp = timestamp.replace(tzinfo=dt.timezone.utc)
    return (timestamp, turn.id)


def iter_all_turns(
    databases: Sequence[sessionmaker], since: Optional[dt.datetime] = None,
    batch: int = 1000,
) -> Iterator[Turn]:
    """The turns of several databases (DATABASE_URL and the regional ones), merged in
    time order; each database is read in batches."""
    with contextlib.ExitStack() as stack:
        streams = [
            iter_turns(session=stack.enter_context(maker()), since=since, batch=batch)
            for maker in databases
        ]
        yield from heapq.merge(*streams, key=_moment)


def erase_conversation(*, session: Session, conversation_id: str) -> int:
    """Deletes every turn of a conversation; returns how many."""
    result = session.execute(delete(Turn).where(Turn.conversation_id == conversation_id))
    return int(result.rowcount or 0)
