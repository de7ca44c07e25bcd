"""The console's database queries (2.0 style), kept apart from HTTP so they can be tested
on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.storage.models import Attachment, AuditLog, Case, CaseAssignment, Turn

PAGE_SIZE = 50
COUNT_CAP = 10000  # beyond this the list says "10 000+" instead of counting everything


@dataclass
class TurnFilter:
    """Filters of the conversations list and of exports (all optional)."""

    q: str = ""
    language: str = ""
    intent: str = ""
    date_from: Optional[dt.datetime] = None
    date_to: Optional[dt.datetime] = None  # exclusive
    has_case: Optional[bool] = None
    handoff: Optional[bool] = None
    conversation_id: str = ""

    def active(self) -> bool:
        return any(
            (self.q, self.language, self.intent, self.date_from, self.date_to,
             self.has_case is not None, self.handoff is not None, self.conversation_id)
        )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_condition(session: Session, q: str) -> Any:
    """A substring match on the turn text: ILIKE on PostgreSQL; on SQLite (whose LIKE folds
    ASCII only) LIKE over the usual case variants, so Cyrillic matches either way."""
    q = q.strip()
    if session.get_bind().dialect.name == "postgresql":
        return Turn.text.ilike(f"%{_like_escape(q)}%", escape="\\")
    variants = {q, q.lower(), q.upper(), q.capitalize()}
    return or_(*(Turn.text.like(f"%{_like_escape(v)}%", escape="\\") for v in sorted(variants)))


def turn_conditions(session: Session, f: TurnFilter) -> List[Any]:
    """WHERE clauses on Turn for a filter."""
    where: List[Any] = []
    if f.q.strip():
        where.append(text_condition(session, f.q))
    if f.language:
        where.append(Turn.language == f.language)
    if f.intent:
        where.append(Turn.intent == f.intent)
    if f.date_from:
        where.append(Turn.timestamp >= f.date_from)
    if f.date_to:
        where.append(Turn.timestamp < f.date_to)
    if f.conversation_id:
        where.append(Turn.conversation_id == f.conversation_id)
    cases = select(Case.conversation_id)
    if f.has_case is True:
        where.append(Turn.conversation_id.in_(cases))
    elif f.has_case is False:
        where.append(Turn.conversation_id.not_in(cases))
    handed = select(Case.conversation_id).where(Case.handoff.is_(True))
    if f.handoff is True:
        where.append(Turn.conversation_id.in_(handed))
    elif f.handoff is False:
        where.append(Turn.conversation_id.not_in(handed))
    return where


@dataclass
class ConversationRow:
    conversation_id: str
    first_at: Any
    last_at: Any
    turns: int
    snippet: str = ""
    language: Optional[str] = None
    cases: List[str] = field(default_factory=list)


def list_conversations(
    session: Session, f: TurnFilter, page: int = 1, size: int = PAGE_SIZE
) -> Tuple[List[ConversationRow], int, bool]:
    """One page of conversations having a turn that matches `f`, newest activity first;
    returns the rows, the (capped) number of conversations, and whether it was capped."""
    where = turn_conditions(session, f)
    last = func.max(Turn.timestamp)
    query = (
        select(Turn.conversation_id, func.min(Turn.timestamp), last,
               func.count(Turn.id), func.max(Turn.id))
        .where(*where)
        .group_by(Turn.conversation_id)
        .order_by(last.desc(), Turn.conversation_id)
        .limit(size)
        .offset(max(page - 1, 0) * size)
    )
    rows = session.execute(query).all()
    last_ids = [row[4] for row in rows]
    snippets: Dict[int, Turn] = {
        t.id: t for t in session.execute(select(Turn).where(Turn.id.in_(last_ids))).scalars()
    } if last_ids else {}
    ids = [row[0] for row in rows]
    refs: Dict[str, List[str]] = {}
    if ids:
        for cid, ref in session.execute(
            select(Case.conversation_id, Case.ref).where(Case.conversation_id.in_(ids))
        ):
            refs.setdefault(cid, []).append(ref)
    result = []
    for cid, first, last_at, count, last_id in rows:
        turn = snippets.get(last_id)
        result.append(ConversationRow(
            cid, first, last_at, int(count),
            snippet=(turn.text[:160] if turn else ""),
            language=turn.language if turn else None,
            cases=refs.get(cid, []),
        ))
    capped = (
        select(Turn.conversation_id).where(*where).distinct().limit(COUNT_CAP + 1).subquery()
    )
    total = int(session.execute(select(func.count()).select_from(capped)).scalar_one())
    return result, min(total, COUNT_CAP), total > COUNT_CAP


def transcript(session: Session, conversation_id: str, limit: int = 5000) -> List[Turn]:
    """A conversation's turns in time order."""
    query = (
        select(Turn).where(Turn.conversation_id == conversation_id)
        .order_by(Turn.timestamp, Turn.id).limit(limit)
    )
    return list(session.execute(query).scalars())


def export_turns(session: Session, f: TurnFilter, limit: int = 200000) -> List[Turn]:
    """Turns matching `f` in time order (exports)."""
    query = (
        select(Turn).where(*turn_conditions(session, f))
        .order_by(Turn.timestamp, Turn.id).limit(limit)
    )
    return list(session.execute(query).scalars())


def distinct_values(session: Session, column: Any, limit: int = 200) -> List[str]:
    """The values a filter drop-down offers."""
    query = select(column).where(column.is_not(None)).distinct().order_by(column).limit(limit)
    return [v for v in session.execute(query).scalars() if v]


@dataclass
class CaseFilter:
    status: str = ""
    dispute_type: str = ""
    language: str = ""
    assignee: str = ""
    handoff: Optional[bool] = None


def list_cases(
    session: Session, f: CaseFilter, page: int = 1, size: int = PAGE_SIZE
) -> Tuple[List[Tuple[Case, Optional[str], int]], int]:
    """A page of the case queue (oldest first: first come, first served), with each case's
    assignee and evidence count, and the total."""
    where: List[Any] = []
    if f.status:
        where.append(Case.status == f.status)
    if f.dispute_type:
        where.append(Case.dispute_type == f.dispute_type)
    if f.language:
        where.append(Case.language == f.language)
    if f.assignee:
        where.append(CaseAssignment.assignee == f.assignee)
    if f.handoff is not None:
        where.append(Case.handoff.is_(f.handoff))
    evidence = (
        select(Attachment.case_id, func.count(Attachment.id).label("n"))
        .group_by(Attachment.case_id).subquery()
    )
    query = (
        select(Case, CaseAssignment.assignee, func.coalesce(evidence.c.n, 0))
        .outerjoin(CaseAssignment, CaseAssignment.case_id == Case.id)
        .outerjoin(evidence, evidence.c.case_id == Case.id)
        .where(*where)
        .order_by(Case.created_at, Case.id)
        .limit(size).offset(max(page - 1, 0) * size)
    )
    rows = [(case, assignee, int(n)) for case, assignee, n in session.execute(query)]
    total = session.execute(
        select(func.count(Case.id))
        .outerjoin(CaseAssignment, CaseAssignment.case_id == Case.id).where(*where)
    ).scalar_one()
    return rows, int(total)


def count_by(session: Session, column: Any) -> List[Tuple[str, int]]:
    """Cases per value of `column`, largest first."""
    query = select(column, func.count(Case.id)).group_by(column).order_by(func.count(Case.id).desc())
    return [(value or "-", int(n)) for value, n in session.execute(query)]


def cases_per_day(session: Session, days: int = 30) -> List[Tuple[dt.date, int]]:
    """Cases created on each of the last `days` days (UTC), oldest first."""
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=days - 1)
    counts: Dict[dt.date, int] = {start + dt.timedelta(d): 0 for d in range(days)}
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.timezone.utc)
    for (created,) in session.execute(select(Case.created_at).where(Case.created_at >= since)):
        day = created.date()
        if day in counts:
            counts[day] += 1
    return sorted(counts.items())


def audit_page(
    session: Session, page: int = 1, size: int = 100, action: str = "", user: str = ""
) -> Sequence[AuditLog]:
    """The audit log, newest first."""
    where = []
    if action:
        where.append(AuditLog.action == action)
    if user:
        where.append(AuditLog.staff_user == user)
    query = (
        select(AuditLog).where(*where)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(size).offset(max(page - 1, 0) * size)
    )
    return list(session.execute(query).scalars())
