"""Database access for the actions: one engine per process, one session per action run."""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.storage.cases import OPEN_STATUSES, cases_of, create_case
from bot.storage.db import make_engine, make_sessionmaker
from bot.storage.models import Attachment, Case, CaseEvent

CLIENT = "client"
__all__ = ["create_case", "sessions", "latest_open_case", "mark_handoff", "add_to_case"]


@functools.lru_cache(maxsize=4)
def _sessions_for(url: str) -> sessionmaker:
    return make_sessionmaker(make_engine(url))


def sessions() -> sessionmaker:
    """The session factory of DATABASE_URL (the engine is built once per URL)."""
    return _sessions_for(Settings.from_env().database_url)


def latest_open_case(session: Session, conversation_id: str) -> Optional[Case]:
    """The newest case of this conversation that is not resolved or rejected."""
    for case in cases_of(session=session, conversation_id=conversation_id):
        if case.status in OPEN_STATUSES:
            return case
    return None


def mark_handoff(conversation_id: str) -> Optional[str]:
    """Flags the conversation's latest open case for staff; returns its reference."""
    with sessions().begin() as session:
        case = latest_open_case(session, conversation_id)
        if case is None:
            return None
        if not case.handoff:
            case.handoff = True
            case.events.append(CaseEvent(actor=CLIENT, note="hand-off requested"))
        return case.ref


def add_to_case(
    conversation_id: str,
    ref: str,
    *,
    note: Optional[str] = None,
    files: Optional[List[Dict[str, Any]]] = None,
) -> bool:
    """Appends a note and/or evidence files to one of the client's own open cases."""
    with sessions().begin() as session:
        case = next(
            (
                c
                for c in cases_of(session=session, conversation_id=conversation_id)
                if c.ref == ref and c.status in OPEN_STATUSES
            ),
            None,
        )
        if case is None:
            return False
        for item in files or []:
            case.attachments.append(Attachment(**item))
        text = note or f"{len(files or [])} evidence file(s) added"
        case.events.append(CaseEvent(actor=CLIENT, note=text))
        return True
