"""Retention: personal data is not kept longer than `ACCORD_RETENTION_DAYS`.

One run, at `now`, with `cutoff = now - days`:

1. A case closed (resolved or rejected) before the cutoff is anonymised: its client
   fields (conversation id, studio, shoot reference, description, contact) are
   blanked, its evidence files, attachments, staff notes and staff replies deleted, the
   notes of its events removed, and the transcript turns tied to its reference deleted.
   Reference, status, type, language, jurisdiction, dates and the status timeline stay
   (statistics). When it was closed is the latest event that moved it to a closed
   status (its `updated_at` when there is none). Open cases are never touched.
2. A conversation whose last message is older than the cutoff, and which has no case
   left that is open or was closed after the cutoff, in any database, loses all its
   turns; Rasa's tracker events of every such sender (last event older than the
   cutoff, no live case) are deleted too.
3. Reminders due before the cutoff, Telegram inbox rows processed more than
   `INBOX_DAYS` ago and generated documents (`<var_dir>/documents/*.docx`, which hold
   the names and amounts the user typed) older than that (at most the retention
   period either way) are deleted.

Each database that changed gets one audit row (`system:retention`, action
`retention`). `days <= 0` disables the job.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence, Set

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.erasure import Folders, folders
from bot.storage.models import (
    Attachment, AuditLog, Case, CaseEvent, CaseNote, InboxUpdate, Reminder, StaffReply,
    Turn,
)

logger = logging.getLogger(__name__)

CLOSED_STATUSES = ("resolved", "rejected")
ANONYMOUS = "(anonymised)"  # conversation_id of an anonymised case (no chat has it)
ACTOR = "system:retention"
INBOX_DAYS = 7  # Telegram redelivers an update for 24 h at most
CHUNK = 500
Clock = Callable[[], dt.datetime]
# (cutoff, senders to keep) -> tracker events deleted
ExpireTracker = Callable[[dt.datetime, Set[str]], int]


def utcnow() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class RetentionReport:
    """What one run removed (summed over the databases)."""

    cases_anonymised: int = 0
    evidence_files: int = 0
    turns_deleted: int = 0
    conversations_expired: int = 0
    tracker_events_deleted: int = 0
    reminders_deleted: int = 0
    inbox_deleted: int = 0
    documents_deleted: int = 0

    def changed(self) -> bool:
        return any(asdict(self).values())


def expired_cases(session: Session, cutoff: dt.datetime) -> List[Case]:
    """Closed, not yet anonymised cases whose closing is older than `cutoff`."""
    closed = (
        select(CaseEvent.case_id, func.max(CaseEvent.at).label("closed_at"))
        .where(CaseEvent.to_status.in_(CLOSED_STATUSES))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    query = (
        select(Case)
        .outerjoin(closed, closed.c.case_id == Case.id)
        .where(
            Case.status.in_(CLOSED_STATUSES),
            Case.anonymised_at.is_(None),
            func.coalesce(closed.c.closed_at, Case.updated_at) < cutoff,
        )
        .order_by(Case.id)
    )
    return list(session.execute(query).scalars())


def anonymise_case(
    session: Session, case: Case, now: dt.datetime, report: RetentionReport
) -> List[str]:
    """Removes the personal data of one case; returns its evidence file names."""
    files = [a.stored_name for a in case.attachments]
    session.execute(delete(Attachment).where(Attachment.case_id == case.id))
    session.execute(delete(CaseNote).where(CaseNote.case_id == case.id))
    session.execute(delete(StaffReply).where(StaffReply.case_id == case.id))
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id).values(note=None))
    result = session.execute(delete(Turn).where(Turn.case_ref == case.ref))
    report.turns_deleted += int(result.rowcount or 0)
    report.cases_anonymised += 1
    session.expire(case, ["attachments", "events"])
    case.conversation_id = ANONYMOUS
    case.studio_name = case.shoot_date = case.contact = None
    case.description = ""
    case.anonymised_at = now
    return files


def live_conversations(session: Session) -> Set[str]:
    """Conversations with a case that is not anonymised (open or recently closed)."""
    query = select(Case.conversation_id).where(Case.anonymised_at.is_(None)).distinct()
    return set(session.execute(query).scalars())


def idle_conversations(session: Session, cutoff: dt.datetime) -> List[str]:
    """Conversations whose last turn is older than `cutoff`."""
    query = (
        select(Turn.conversation_id)
        .group_by(Turn.conversation_id)
        .having(func.max(Turn.timestamp) < cutoff)
    )
    return list(session.execute(query).scalars())


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _expire_documents(folder: Path, cutoff: dt.datetime) -> int:
    """Deletes the generated .docx files last written before `cutoff`."""
    deleted = 0
    if folder.is_dir():
        for path in folder.glob("*.docx"):
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def _audit(session: Session, report: RetentionReport, days: int, now: dt.datetime) -> None:
    detail = json.dumps({"days": days, **asdict(report)})
    session.add(AuditLog(at=now, staff_user=ACTOR, action="retention", detail=detail))


def run_retention(
    *,
    databases: Sequence[sessionmaker],
    days: int,
    now: dt.datetime,
    evidence_dir: Folders = None,
    expire_tracker: Optional[ExpireTracker] = None,
    documents_dir: Optional[Path] = None,
) -> RetentionReport:
    """One retention run over every database (the main one first)."""
    total = RetentionReport()
    if days <= 0:
        return total
    cutoff = now - dt.timedelta(days=days)
    reports = [RetentionReport() for _ in databases]
    files: List[str] = []
    for sessions, report in zip(databases, reports):
        with sessions.begin() as session:
            for case in expired_cases(session, cutoff):
                files.extend(anonymise_case(session, case, now, report))
    live: Set[str] = set()
    for sessions in databases:  # a case in one database keeps the turns in another
        with sessions() as session:
            live |= live_conversations(session)
    inbox_cutoff = now - dt.timedelta(days=min(days, INBOX_DAYS))
    for sessions, report in zip(databases, reports):
        with sessions.begin() as session:
            idle = [c for c in idle_conversations(session, cutoff) if c not in live]
            for chunk in _chunks(idle):
                result = session.execute(delete(Turn).where(Turn.conversation_id.in_(chunk)))
                report.turns_deleted += int(result.rowcount or 0)
            report.conversations_expired = len(idle)
            result = session.execute(delete(Reminder).where(Reminder.due_at < cutoff))
            report.reminders_deleted = int(result.rowcount or 0)
            result = session.execute(
                delete(InboxUpdate).where(InboxUpdate.done_at < inbox_cutoff)
            )
            report.inbox_deleted = int(result.rowcount or 0)
    for name in files:
        if "/" in name or name.startswith("."):
            continue
        for folder in folders(evidence_dir):  # EVIDENCE_DIR and the regional ones
            path = Path(folder, name)
            if path.is_file():
                path.unlink()
                reports[0].evidence_files += 1
    if documents_dir is not None:
        reports[0].documents_deleted = _expire_documents(documents_dir, inbox_cutoff)
    if expire_tracker is not None:
        try:
            reports[0].tracker_events_deleted = expire_tracker(cutoff, live)
        except Exception as error:  # no tracker table yet (Rasa never ran): next run
            logger.warning(
                "tracker events not expired this time: %s", type(error).__name__
            )
    for sessions, report in zip(databases, reports):
        if report.changed():
            with sessions.begin() as session:
                _audit(session, report, days, now)
        for key, value in asdict(report).items():
            setattr(total, key, getattr(total, key) + value)
    logger.info("retention (%s days): %s", days, json.dumps(asdict(total)))
    return total
