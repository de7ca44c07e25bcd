"""Database access for the actions: one engine per process, one session per action run.

Cases live in the database of their jurisdiction (`ACCORD_DATABASE_URL_<code>`, else
DATABASE_URL, see bot/settings.py): `sessions(jurisdiction)` is where a case is
written; the readers below look in every database, so a client finds its cases
wherever they are stored. Reminders go to the database of the user's region
(`sessions(region_of(tracker))`, bot/storage/regions.py)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.storage.cases import OPEN_STATUSES, cases_of, create_case
from bot.storage.db import make_engine, make_sessionmaker
from bot.storage.models import Attachment, Case, CaseEvent

CLIENT = "client"
__all__ = ["create_case", "sessions", "latest_open_case", "mark_handoff", "add_to_case",
           "all_sessions", "client_cases", "newest_open_ref"]


@functools.lru_cache(maxsize=8)
def _sessions_for(url: str) -> sessionmaker:
    return make_sessionmaker(make_engine(url))


def sessions(jurisdiction: Optional[str] = None) -> sessionmaker:
    """The session factory of the jurisdiction's database (DATABASE_URL by default)."""
    return _sessions_for(Settings.from_env().database_url_for(jurisdiction))


def all_sessions() -> List[sessionmaker]:
    """DATABASE_URL's session factory, then each regional database's."""
    return [_sessions_for(url) for url in Settings.from_env().all_database_urls()]


def _created(case: Case) -> Tuple[dt.datetime, int]:
    created = case.created_at
    if created.tzinfo is None:  # SQLite gives naive UTC
        created = created.replace(tzinfo=dt.timezone.utc)
    return (created, case.id)


def client_cases(conversation_id: str) -> List[Case]:
    """The cases filed from this conversation in every database, newest first
    (detached: read their columns only)."""
    found: List[Case] = []
    for maker in all_sessions():
        with maker() as session:
            found.extend(cases_of(session=session, conversation_id=conversation_id))
    return sorted(found, key=_created, reverse=True)


def _open_case_home(conversation_id: str) -> Optional[Tuple[sessionmaker, str]]:
    """The database and reference of the newest open case of this conversation."""
    best: Optional[Tuple[Tuple[dt.datetime, int], sessionmaker, str]] = None
    for maker in all_sessions():
        with maker() as session:
            case = latest_open_case(session, conversation_id)
            if case is not None and (best is None or _created(case) > best[0]):
                best = (_created(case), maker, case.ref)
    return (best[1], best[2]) if best else None


def newest_open_ref(conversation_id: str) -> Optional[str]:
    """The reference of the client's newest open case, in whichever database."""
    home = _open_case_home(conversation_id)
    return home[1] if home else None


def latest_open_case(session: Session, conversation_id: str) -> Optional[Case]:
    """The newest case of this conversation that is not resolved or rejected."""
    for case in cases_of(session=session, conversation_id=conversation_id):
        if case.status in OPEN_STATUSES:
            return case
    return None


def mark_handoff(conversation_id: str) -> Optional[str]:
    """Flags the conversation's latest open case for staff; returns its reference."""
    home = _open_case_home(conversation_id)
    if home is None:
        return None
    with home[0].begin() as session:
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
    for maker in all_sessions():
        with maker.begin() as session:
            case = next(
                (
                    c
                    for c in cases_of(session=session, conversation_id=conversation_id)
                    if c.ref == ref and c.status in OPEN_STATUSES
                ),
                None,
            )
            if case is None:
                continue
            for item in files or []:
                case.attachments.append(Attachment(**item))
            text = note or f"{len(files or [])} evidence file(s) added"
            case.events.append(CaseEvent(actor=CLIENT, note=text))
            return True
    return False
