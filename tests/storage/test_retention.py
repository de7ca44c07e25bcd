"""The retention job with a frozen clock, on SQLite and PostgreSQL: closed cases are
anonymised after the period, idle conversations deleted, open cases never touched."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

from sqlalchemy import func, select, text

from bot.erasure import expire_tracker_events
from bot.retention import ANONYMOUS, run_retention
from bot.retention_job import RetentionThread, run_once
from bot.settings import ROOT, Settings
from bot.storage.cases import change_status, create_case
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import (
    Attachment, AuditLog, Case, CaseEvent, CaseNote, InboxUpdate, Reminder, StaffReply,
    Turn,
)
from bot.storage.transcripts import record_turn

NOW = dt.datetime(2027, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)


def ago(days: float) -> dt.datetime:
    return NOW - days * DAY


def _turns(session: Any, cid: str, when: dt.datetime, ref: Any = None, n: int = 2) -> None:
    for i in range(n):
        turn = record_turn(session=session, conversation_id=cid, channel="telegram",
                           direction="in" if i % 2 == 0 else "out",
                           text=f"message {i} de {cid}, tél. 06 12 34 56 78",
                           case_ref=ref)
        turn.timestamp = when + dt.timedelta(minutes=i)


def _case(session: Any, cid: str, created: dt.datetime, closed: Any = None,
          status: str = "resolved", files: tuple = ()) -> Case:
    case = create_case(session=session, conversation_id=cid, language="ru", fields={
        "dispute_type": "refund", "description": "Иван Петров, фотограф не вернул деньги",
        "studio_name": "Фотостудия", "contact": "+79123456789", "jurisdiction": "RU",
    }, attachments=[{"stored_name": name, "content_type": "image/jpeg", "size": 3}
                    for name in files])
    case.created_at = created
    case.events[0].at = created
    if closed is not None:
        change_status(session=session, case=case, status=status, actor="agent",
                      note="Refund of 200 EUR to ivan@example.ru")
        case.events[-1].at = closed
    elif status != "new":
        case.status = status
    session.add(CaseNote(case_id=case.id, author="agent", text="called +79123456789"))
    session.add(StaffReply(case_id=case.id, author="agent", text="Bonjour Ivan",
                           delivered=True, at=created))
    case.updated_at = closed or created
    session.flush()
    return case


def seed(sessions: Any, evidence: Path) -> Dict[str, str]:
    """Every situation the job must tell apart; returns case references by role."""
    evidence.mkdir(parents=True, exist_ok=True)
    for name in ("old.jpg", "open.jpg", "recent.jpg"):
        (evidence / name).write_bytes(b"jpg")
    with sessions.begin() as session:
        old = _case(session, "c-old", ago(420), closed=ago(400), files=("old.jpg",))
        _turns(session, "c-old", ago(420), old.ref)
        _turns(session, "c-old", ago(421))  # before the case: no reference yet
        rejected = _case(session, "c-rejected", ago(700), closed=ago(380), status="rejected")
        opened = _case(session, "c-open", ago(800), status="in_review", files=("open.jpg",))
        _turns(session, "c-open", ago(800), opened.ref)
        recent = _case(session, "c-recent-close", ago(600), closed=ago(10),
                       files=("recent.jpg",))
        _turns(session, "c-recent-close", ago(600), recent.ref)
        reopened = _case(session, "c-reopened", ago(900), closed=ago(800))
        change_status(session=session, case=reopened, status="negotiating", actor="agent")
        reopened.events[-1].at = ago(700)
        _turns(session, "c-reopened", ago(900))
        _turns(session, "c-no-case", ago(500))
        _turns(session, "c-active", ago(500))
        _turns(session, "c-active", ago(1))
        # a client who came back: old case closed long ago, recent messages
        back = _case(session, "c-back", ago(500), closed=ago(450))
        _turns(session, "c-back", ago(500), back.ref)
        _turns(session, "c-back", ago(2))
        for cid, due in (("c-no-case", ago(400)), ("c-active", NOW + DAY)):
            session.add(Reminder(conversation_id=cid, due_at=due, step="talk"))
        for update_id, done in ((1, ago(30)), (2, ago(1)), (3, None)):
            session.add(InboxUpdate(update_id=update_id, chat_id="c-active", payload="{}",
                                    received_at=ago(40), done_at=done))
        refs = {"old": old.ref, "rejected": rejected.ref, "open": opened.ref,
                "recent": recent.ref, "reopened": reopened.ref, "back": back.ref}
    return refs


def _case_of(session: Any, ref: str) -> Case:
    return session.execute(select(Case).where(Case.ref == ref)).scalar_one()


def _conversations(session: Any) -> set:
    return set(session.execute(select(Turn.conversation_id).distinct()).scalars())


def test_closed_cases_anonymised_open_ones_untouched(sessions, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    refs = seed(sessions, evidence)
    report = run_retention(databases=[sessions], days=365, now=NOW, evidence_dir=evidence)
    assert report.cases_anonymised == 3  # old, rejected, back
    assert report.evidence_files == 1 and report.conversations_expired == 2  # old, no-case
    assert report.reminders_deleted == 1 and report.inbox_deleted == 1
    with sessions() as session:
        for role in ("old", "rejected", "back"):
            case = _case_of(session, refs[role])
            assert case.anonymised_at is not None, role
            assert case.conversation_id == ANONYMOUS and case.description == ""
            assert case.contact is None and case.studio_name is None
            assert case.status in ("resolved", "rejected") and case.dispute_type == "refund"
            assert all(e.note is None for e in case.events)
            for model in (Attachment, CaseNote, StaffReply):
                assert not session.execute(
                    select(model).where(model.case_id == case.id)).first(), (role, model)
        for role in ("open", "recent", "reopened"):
            case = _case_of(session, refs[role])
            assert case.anonymised_at is None and case.contact == "+79123456789", role
            assert session.execute(select(func.count(CaseNote.id))
                                   .where(CaseNote.case_id == case.id)).scalar_one() == 1
        assert len(_case_of(session, refs["open"]).attachments) == 1
        # the returning client keeps the recent turns, loses the ones of the old case
        assert _conversations(session) == {
            "c-open", "c-recent-close", "c-reopened", "c-active", "c-back"}
        back = session.execute(select(Turn).where(Turn.conversation_id == "c-back")).scalars()
        assert [t.case_ref for t in back] == [None, None]
        assert len(session.execute(select(Turn).where(
            Turn.conversation_id == "c-active")).all()) == 4
        assert [r.conversation_id for r in session.execute(select(Reminder)).scalars()] == [
            "c-active"]
        assert sorted(u.update_id for u in session.execute(select(InboxUpdate)).scalars()) \
            == [2, 3]
        audit = session.execute(select(AuditLog)).scalars().all()
    assert not (evidence / "old.jpg").exists()
    assert (evidence / "open.jpg").exists() and (evidence / "recent.jpg").exists()
    assert [(a.staff_user, a.action) for a in audit] == [("system:retention", "retention")]
    assert json.loads(audit[0].detail)["cases_anonymised"] == 3


def test_second_run_changes_nothing_and_zero_days_disables(sessions, tmp_path) -> None:
    seed(sessions, tmp_path / "evidence")
    assert not run_retention(databases=[sessions], days=0, now=NOW).changed()
    with sessions() as session:
        assert session.execute(select(func.count(Case.id)).where(
            Case.anonymised_at.is_not(None))).scalar_one() == 0
    run_retention(databases=[sessions], days=365, now=NOW)
    again = run_retention(databases=[sessions], days=365, now=NOW)
    assert not again.changed()
    with sessions() as session:
        assert session.execute(select(func.count(AuditLog.id))).scalar_one() == 1


def test_the_period_counts_from_the_closing(sessions, tmp_path) -> None:
    refs = seed(sessions, tmp_path / "evidence")
    # 9 days later the recently closed case is still kept with 20 days of retention...
    run_retention(databases=[sessions], days=20, now=NOW - 9 * DAY)
    with sessions() as session:
        assert _case_of(session, refs["recent"]).anonymised_at is None
    # ... and goes once its closing is older than the period; open cases never do
    run_retention(databases=[sessions], days=20, now=NOW + 11 * DAY)
    with sessions() as session:
        assert _case_of(session, refs["recent"]).anonymised_at is not None
        assert _case_of(session, refs["open"]).anonymised_at is None
        assert _case_of(session, refs["reopened"]).anonymised_at is None
        assert "c-open" in _conversations(session)


def _events_table(engine: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
            " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, data TEXT)"))
        for i, (sender, when) in enumerate([("old", ago(400)), ("old", ago(399)),
                                            ("c-open", ago(900)), ("fresh", ago(400)),
                                            ("fresh", ago(3))]):
            connection.execute(text(
                "INSERT INTO events (id, sender_id, type_name, timestamp, data) "
                "VALUES (:i, :s, 'user', :t, '{}')"), {"i": i + 1, "s": sender,
                                                       "t": when.timestamp()})


def test_tracker_events_of_idle_senders_expire(sessions) -> None:
    engine = sessions.kw["bind"]
    _events_table(engine)
    assert expire_tracker_events(engine, ago(365), keep={"c-open"}) == 2
    with engine.connect() as connection:
        left = connection.execute(text("SELECT sender_id FROM events ORDER BY id")).scalars()
        assert list(left) == ["c-open", "fresh", "fresh"]


def _settings(tmp_path: Path, **env: str) -> Settings:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path}/accord.db", "RASA_TOKEN": "t",
            "ACCORD_VAR_DIR": str(tmp_path),
            "RASA_TRACKER_STORE_URL": f"sqlite:///{tmp_path}/tracker.db"}
    return Settings.from_env({**base, **env})


def test_run_once_uses_the_settings_and_the_tracker_store(tmp_path: Path) -> None:
    settings = _settings(tmp_path, ACCORD_RETENTION_DAYS="365")
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    refs = seed(make_sessionmaker(engine), settings.evidence_dir)
    tracker = make_engine(settings.rasa_tracker_store_url)
    _events_table(tracker)
    report = run_once(settings, now=NOW)
    assert report.cases_anonymised == 3 and report.tracker_events_deleted == 2
    with make_sessionmaker(engine)() as session:
        assert _case_of(session, refs["old"]).anonymised_at is not None
    engine.dispose()
    tracker.dispose()


def test_run_once_without_tracker_table_still_purges(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    seed(make_sessionmaker(engine), settings.evidence_dir)
    engine.dispose()
    report = run_once(settings, now=NOW)
    assert report.cases_anonymised == 3 and report.tracker_events_deleted == 0


def test_background_thread_runs_at_once_with_the_clock_then_stops(tmp_path) -> None:
    calls = []
    thread = RetentionThread(_settings(tmp_path), clock=lambda: NOW, interval=3600,
                             job=lambda settings, now: calls.append(now))
    thread.start()
    thread.stop(timeout=10)
    assert calls == [NOW] and not thread.is_alive()


def test_cli_retention_run(tmp_path: Path) -> None:
    """`python -m bot retention run` anonymises a case closed 400 days ago (real clock)."""
    url = f"sqlite:///{tmp_path}/accord.db"
    migrate(url)
    engine = make_engine(url)
    real_now = dt.datetime.now(dt.timezone.utc)
    with make_sessionmaker(engine).begin() as session:
        case = _case(session, "c-cli", real_now - 420 * DAY, closed=real_now - 400 * DAY)
        ref = case.ref
    env = {**os.environ, "DATABASE_URL": url, "ACCORD_VAR_DIR": str(tmp_path),
           "RASA_TOKEN": "t", "ACCORD_RETENTION_DAYS": "365", "PYTHONPATH": str(ROOT),
           "RASA_TRACKER_STORE_URL": f"sqlite:///{tmp_path}/tracker.db"}
    done = subprocess.run([sys.executable, "-m", "bot", "retention", "run"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cases_anonymised"] == 1
    with make_sessionmaker(engine)() as session:
        assert _case_of(session, ref).conversation_id == ANONYMOUS
        assert session.execute(select(CaseEvent.note).where(
            CaseEvent.case_id == _case_of(session, ref).id)).scalars().all() == [None, None]
    engine.dispose()


def test_generated_documents_are_kept_a_week_at_most(tmp_path: Path) -> None:
    settings = _settings(tmp_path, ACCORD_RETENTION_DAYS="365")
    migrate(settings.database_url)
    folder = settings.var_dir / "documents"
    folder.mkdir(parents=True)
    for name, age in (("old.docx", 8), ("new.docx", 6), ("keep.txt", 30)):
        path = folder / name
        path.write_bytes(b"Jean Dupont, 300 EUR")
        when = (NOW - age * DAY).timestamp()
        os.utime(path, (when, when))
    report = run_once(settings, now=NOW)
    assert report.documents_deleted == 1
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt", "new.docx"]
