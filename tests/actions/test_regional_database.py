"""Cases of Russian users go to ACCORD_DATABASE_URL_RU (152-FZ), others to DATABASE_URL;
clients, erasure, retention and the export find them there. The Russian database is a
second SQLite file, and the local PostgreSQL server when it is reachable."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.complaints import store
from actions.complaints.status import ActionCheckComplaintStatus, case_lines
from actions.conversation import ActionRequestHuman
from bot.conversation import Conversations
from bot.retention import run_retention
from bot.settings import ROOT, Settings
from bot.storage.cases import change_status
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import Case, Turn
from bot.storage.transcripts import record_turn
from tests.actions.conftest import make_tracker
from tests.actions.test_complaint_submit import slots_of, submit
from tests.pgdb import scratch_database

NO_FILES = {"evidence": "none", "evidence_files": None}  # stored names are unique


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ru_url(request, tmp_path: Path) -> Iterator[str]:
    """A migrated database standing for the server in Russia."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/ru.db"
        migrate(url)
        yield url
        return
    with scratch_database("accord_ru") as (url, _):
        migrate(url)
        yield url
        store._sessions_for.cache_clear()


@pytest.fixture
def ru(database: Any, ru_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """ACCORD_DATABASE_URL_RU set; yields the Russian database's sessionmaker."""
    monkeypatch.setenv("ACCORD_DATABASE_URL_RU", ru_url)
    store._sessions_for.cache_clear()
    engine = make_engine(ru_url)
    yield make_sessionmaker(engine)
    engine.dispose()
    for url in (ru_url, os.environ["DATABASE_URL"]):
        store._sessions_for(url).kw["bind"].dispose()
    store._sessions_for.cache_clear()


def refs_in(sessions: Any) -> list:
    with sessions() as session:
        return list(session.execute(select(Case.ref).order_by(Case.id)).scalars())


def test_settings_route_by_jurisdiction() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///main.db", "RASA_TOKEN": "t",
                                  "ACCORD_DATABASE_URL_RU": "postgresql://ru-host/accord"})
    assert settings.database_url_for("RU") == "postgresql://ru-host/accord"
    assert settings.database_url_for("ru") == "postgresql://ru-host/accord"
    assert settings.database_url_for("FR") == settings.database_url_for(None) \
        == "sqlite:///main.db"
    assert settings.all_database_urls() == ["sqlite:///main.db", "postgresql://ru-host/accord"]
    plain = Settings.from_env({"DATABASE_URL": "sqlite:///main.db", "RASA_TOKEN": "t"})
    assert plain.database_url_for("RU") == "sqlite:///main.db"


async def test_russian_case_is_stored_in_russia_only(domain, database, ru) -> None:
    events, _ = await submit(domain, sender="ru-client", language="ru")
    ru_ref = slots_of(events)["case_ref"]
    events, _ = await submit(domain, sender="fr-client", language="fr")
    fr_ref = slots_of(events)["case_ref"]
    # a French speaker who chose the Russian jurisdiction is filed in Russia too
    events, _ = await submit(domain, sender="fr-in-ru", language="fr", jurisdiction="RU",
                             **NO_FILES)
    chosen_ref = slots_of(events)["case_ref"]
    assert refs_in(ru) == [ru_ref, chosen_ref]
    assert refs_in(database) == [fr_ref]
    with ru() as session:
        case = session.execute(select(Case).where(Case.ref == ru_ref)).scalar_one()
        assert case.jurisdiction == "RU" and case.contact == "+33612345678"
        assert len(case.attachments) == 2


async def test_client_finds_adds_to_and_hands_off_a_russian_case(domain, database, ru):
    events, _ = await submit(domain, sender="ru-client", language="ru")
    ref = slots_of(events)["case_ref"]
    assert [line.split(" — ")[0] for line in case_lines("ru", "ru-client")] == [f"• {ref}"]
    dispatcher = CollectingDispatcher()
    await ActionCheckComplaintStatus().run(
        dispatcher, make_tracker({"language": "ru"}, sender="ru-client"), domain)
    assert ref in dispatcher.messages[0]["cases_list"]
    assert store.newest_open_ref("ru-client") == ref
    assert store.add_to_case("ru-client", ref, note="ещё одна деталь")
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(
        dispatcher, make_tracker({"language": "ru"}, sender="ru-client", active_loop=None),
        domain)
    assert {"accord": {"handoff": True, "case_ref": ref}} in [
        m.get("custom") for m in dispatcher.messages]
    with ru() as session:
        case = session.execute(select(Case).where(Case.ref == ref)).scalar_one()
        assert case.handoff and "ещё одна деталь" in [e.note for e in case.events]
    assert store.newest_open_ref("nobody") is None and not store.add_to_case("x", ref)


async def test_erasure_reaches_the_russian_database(domain, database, ru, tmp_path):
    events, _ = await submit(domain, sender="ru-client", language="ru")
    with database.begin() as session:
        record_turn(session=session, conversation_id="ru-client", channel="telegram",
                    direction="in", text="удалите мои данные")
    erased = []
    conversations = Conversations(rasa=None, sessions=database, channel="telegram",
                                  erase_tracker=erased.append, evidence_dir=tmp_path,
                                  regional_sessions=[ru])
    conversations.erase("ru-client")
    assert refs_in(ru) == [] and erased == ["ru-client"]
    with database() as session:
        assert not session.execute(select(Turn)).first()


async def test_retention_keeps_the_turns_of_an_open_russian_case(domain, database, ru):
    events, _ = await submit(domain, sender="ru-client", language="ru")
    open_ref = slots_of(events)["case_ref"]
    events, _ = await submit(domain, sender="ru-done", language="ru", **NO_FILES)
    done_ref = slots_of(events)["case_ref"]
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)
    with ru.begin() as session:
        case = session.execute(select(Case).where(Case.ref == done_ref)).scalar_one()
        change_status(session=session, case=case, status="resolved", actor="agent")
    with database.begin() as session:
        for cid in ("ru-client", "ru-done"):
            record_turn(session=session, conversation_id=cid, channel="telegram",
                        direction="in", text="Привет")
    report = run_retention(databases=[database, ru], days=30, now=now)
    assert report.cases_anonymised == 1
    with database() as session:
        left = set(session.execute(select(Turn.conversation_id)).scalars())
    assert left == {"ru-client"}  # the open case lives in the other database
    with ru() as session:
        anonymised = {c.ref: c.anonymised_at for c in session.execute(select(Case)).scalars()}
    assert anonymised[open_ref] is None and anonymised[done_ref] is not None


async def test_cli_export_reads_every_database(domain, database, ru, tmp_path):
    events, _ = await submit(domain, sender="ru-client", language="ru")
    ru_ref = slots_of(events)["case_ref"]
    events, _ = await submit(domain, sender="fr-client", language="fr",
                             description="Écrivez-moi : jean@exemple.fr, 06 12 34 56 78")
    fr_ref = slots_of(events)["case_ref"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "cases", "export", "--redact"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = {row["ref"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == {ru_ref, fr_ref}
    assert rows[fr_ref]["description"] == "Écrivez-moi : [EMAIL], [PHONE]"


async def test_a_russian_users_reminder_is_stored_in_russia(domain, database, ru):
    from actions.guidance.reminders import ActionSetReminder
    from bot.storage.models import Reminder

    for sender, language in (("ru-client", "ru"), ("fr-client", "fr")):
        tracker = make_tracker({"language": language, "guidance_step": "propose"},
                               sender=sender, intent="set_reminder", active_loop=None)
        tracker.latest_message["entities"] = [{"entity": "reminder_days", "value": "3"}]
        await ActionSetReminder().run(CollectingDispatcher(), tracker, domain)
    with ru() as session:
        assert list(session.execute(select(Reminder.conversation_id)).scalars()) == [
            "ru-client"]
    with database() as session:
        assert list(session.execute(select(Reminder.conversation_id)).scalars()) == [
            "fr-client"]


def test_cli_transcript_export_reads_every_database(database, ru):
    for sessions, cid, text in ((database, "fr-client", "bonjour"),
                                (ru, "ru-client", "здравствуйте, +7 912 345-67-89")):
        with sessions.begin() as session:
            record_turn(session=session, conversation_id=cid, channel="telegram",
                        direction="in", text=text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "transcripts", "export", "--redact"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["conversation_id"], r["text"]) for r in rows] == [
        ("fr-client", "bonjour"), ("ru-client", "здравствуйте, [PHONE]")]
