"""Cases: references, creation, the client's own list, status changes, export."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Dict, Iterator, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Attachment, Case, CaseEvent

# no 0/O and 1/I: references are read aloud and typed by hand
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_LENGTH = 8
STATUSES = ("new", "in_review", "negotiating", "mediation", "resolved", "rejected")
OPEN_STATUSES = ("new", "in_review", "negotiating", "mediation")


def new_ref() -> str:
    """A random, unguessable reference: DR- and 8 characters (40 bits)."""
    return "DR-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


def create_case(
    *,
    session: Session,
    conversation_id: str,
    language: str,
    fields: Dict[str, Any],
    attachments: Optional[List[Dict[str, Any]]] = None,
    actor: str = "client",
) -> Case:
    """Writes a case, its attachments and its first event (caller commits)."""
    case = Case(
        ref=new_ref(),
        conversation_id=conversation_id,
        language=language,
        status="new",
        **fields,
    )
    for item in attachments or []:
        case.attachments.append(Attachment(**item))
    case.events.append(CaseEvent(actor=actor, to_status="new"))
    session.add(case)
    session.flush()
    return case


def same_case(
    *,
    session: Session,
    conversation_id: str,
    fields: Dict[str, Any],
    attachments: Optional[List[Dict[str, Any]]] = None,
    within: dt.timedelta = dt.timedelta(days=1),
) -> Optional[Case]:
    """A case of this conversation, still new and filed within `within`, with exactly
    these fields and attachment files: the same complaint submitted again (a turn
    retried after Rasa or its tracker store failed), to be confirmed, not doubled."""
    since = dt.datetime.now(dt.timezone.utc) - within
    names = sorted(str(item.get("stored_name")) for item in attachments or [])
    for case in cases_of(session=session, conversation_id=conversation_id):
        created = case.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.timezone.utc)
        if case.status != "new" or created < since:
            continue
        if all(getattr(case, name) == value for name, value in fields.items()) and \
                sorted(a.stored_name for a in case.attachments) == names:
            return case
    return None


def cases_of(*, session: Session, conversation_id: str) -> List[Case]:
    """The cases filed from this conversation, newest first."""
    query = (
        select(Case)
        .where(Case.conversation_id == conversation_id)
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    return list(session.execute(query).scalars())


def case_by_ref(*, session: Session, ref: str) -> Optional[Case]:
    """A case by its reference."""
    return session.execute(select(Case).where(Case.ref == ref)).scalar_one_or_none()


def change_status(
    *, session: Session, case: Case, status: str, actor: str, note: Optional[str] = None
) -> CaseEvent:
    """Moves a case to another status and records who did it."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    event = CaseEvent(actor=actor, from_status=case.status, to_status=status, note=note)
    case.status = status
    case.events.append(event)
    session.flush()
    return event


def case_as_dict(case: Case, attachment_count: int) -> Dict[str, Any]:
    """The contract's export format of one case."""
    created = case.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.timezone.utc)
    return {
        "ref": case.ref,
        "status": case.status,
        "dispute_type": case.dispute_type,
        "language": case.language,
        "created_at": created.isoformat(),
        "description": case.description,
        "desired_resolution": case.desired_resolution,
        "attachments": attachment_count,
    }


def iter_cases(*, session: Session) -> Iterator[Dict[str, Any]]:
    """Every case in creation order, as export dictionaries."""
    counts = (
        select(Attachment.case_id, func.count(Attachment.id).label("n"))
        .group_by(Attachment.case_id)
        .subquery()
    )
    query = (
        select(Case, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.case_id == Case.id)
        .order_by(Case.created_at, Case.id)
    )
    for case, count in session.execute(query):
        yield case_as_dict(case, int(count))
