"""Rasa's tracker events per jurisdiction (bot/regional_tracker_store.py), built the way
Rasa builds it from endpoints.yml: a Russian conversation's events move to
ACCORD_DATABASE_URL_RU (a second SQLite file, and PostgreSQL when reachable) and are
read from there; the others stay in the tracker store; without regional databases it is
the SQL tracker store. The adapter's turn check (bot/turns.py), erasure and retention
find the events there."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import text

from bot import regional_tracker_store as regional
from bot.erasure import erase_tracker_events
from bot.regional_tracker_store import RegionalTrackerStore, copy_events
from bot.retention_job import run_once
from bot.settings import ROOT, Settings
from bot.storage.db import make_engine, migrate
from bot.turns import TURN_KEY, TurnGuard
from tests.pgdb import scratch_database

TYPE = "bot.regional_tracker_store.RegionalTrackerStore"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ru_url(request, tmp_path: Path) -> Iterator[str]:
    """The database standing for the server in Russia."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path}/ru.db"
        else:
            url, _ = stack.enter_context(scratch_database("accord_ru_tracker"))
            yield url


def endpoint_store(tmp_path: Path, domain: Domain) -> TrackerStore:
    """The tracker store as Rasa creates it from endpoints.yml."""
    config = EndpointConfig(type=TYPE, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    return TrackerStore.create(config, domain=domain)


@pytest.fixture
def store(tmp_path: Path, domain: Domain, ru_url: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[RegionalTrackerStore]:
    monkeypatch.setenv("ACCORD_DATABASE_URL_RU", ru_url)
    built = endpoint_store(tmp_path, domain)
    yield built
    dispose(built)


def dispose(store: Any) -> None:
    for each in (store, *getattr(store, "_stores", ())):
        each.engine.dispose()


def senders(engine: Any) -> List[str]:
    """The sender of every event of a database, in order."""
    with engine.connect() as connection:
        return list(connection.execute(
            text("SELECT sender_id FROM events ORDER BY id")).scalars())


def ru_engine(store: RegionalTrackerStore) -> Any:
    return store._regional["RU"].engine


async def turn(store: TrackerStore, sender: str, text_: str, key: str = "",
               **slots: Any) -> Any:
    """One turn as Rasa makes it: read (or create) the tracker, append, save."""
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text_, {"name": "greet", "confidence": 0.9},
                               metadata={TURN_KEY: key} if key else {}))
    for name, value in slots.items():
        tracker.update(SlotSet(name, value))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"réponse à {text_}"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


async def test_without_regional_databases_it_is_the_sql_store(tmp_path, domain,
                                                              monkeypatch) -> None:
    for code in ("RU", "FR", "CN"):
        monkeypatch.delenv(f"ACCORD_DATABASE_URL_{code}", raising=False)
    store = endpoint_store(tmp_path, domain)
    assert isinstance(store, RegionalTrackerStore) and isinstance(store, SQLTrackerStore)
    assert store._regional == {} and store._stores == []

    def no_routing(*args: Any) -> None:
        raise AssertionError("routed without regional databases")

    monkeypatch.setattr(RegionalTrackerStore, "_locate", no_routing)
    monkeypatch.setattr(regional, "region_of", no_routing)
    await turn(store, "ru-user", "здравствуйте", language="ru")
    tracker = await store.retrieve("ru-user")
    assert tracker.get_slot("language") == "ru" and len(tracker.events) == 6
    assert (await store.retrieve_full_tracker("ru-user")).events == tracker.events
    assert list(await store.keys()) == ["ru-user"]
    assert senders(store.engine) == ["ru-user"] * 6
    dispose(store)


async def test_russian_conversation_moves_to_the_russian_database(store) -> None:
    await turn(store, "fr-user", "bonjour", language="fr")
    first = await turn(store, "ru-user", "здравствуйте", language="ru")
    assert senders(store.engine) == ["fr-user"] * 6  # FR has no database of its own
    assert senders(ru_engine(store)) == ["ru-user"] * 6
    second = await turn(store, "ru-user", "спасибо")
    assert senders(ru_engine(store)) == ["ru-user"] * 10
    assert "ru-user" not in senders(store.engine)
    tracker = await store.retrieve("ru-user")
    assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in second.events]
    assert len(first.events) == 6 and tracker.get_slot("language") == "ru"
    assert sorted(await store.keys()) == ["fr-user", "ru-user"]


async def test_a_chosen_jurisdiction_wins_and_russia_is_never_left(store) -> None:
    await turn(store, "fr-in-ru", "bonjour", language="fr")
    await turn(store, "fr-in-ru", "Russie", jurisdiction="RU")
    assert senders(store.engine) == [] and len(senders(ru_engine(store))) == 11
    # a Russian user who writes in French stays in Russia
    await turn(store, "ru-user", "здравствуйте", language="ru")
    await turn(store, "ru-user", "merci beaucoup", language="fr")
    assert "ru-user" not in senders(store.engine)
    assert senders(ru_engine(store)).count("ru-user") == 11


async def test_a_restarted_store_reads_there_and_finishes_an_interrupted_move(
        store, tmp_path, domain) -> None:
    await turn(store, "ru-user", "здравствуйте", language="ru")
    # the move was interrupted after its copy: the events are in both databases
    copy_events(store._regional["RU"], store, "ru-user")
    assert senders(store.engine) == ["ru-user"] * 6
    restarted = endpoint_store(tmp_path, domain)  # nothing remembered
    tracker = await restarted.retrieve("ru-user")
    assert tracker.get_slot("language") == "ru" and len(tracker.events) == 6
    assert senders(restarted.engine) == []
    assert senders(ru_engine(restarted)) == ["ru-user"] * 6
    await turn(restarted, "ru-user", "ещё вопрос")
    assert senders(ru_engine(restarted)) == ["ru-user"] * 10
    dispose(restarted)


async def test_a_conversation_erased_or_moved_elsewhere_is_looked_for_again(store):
    await turn(store, "ru-user", "здравствуйте", language="ru")
    assert erase_tracker_events(ru_engine(store), "ru-user") == 6
    assert await store.retrieve("ru-user") is None
    await turn(store, "ru-user", "bonjour")  # a fresh conversation, region unknown
    assert senders(store.engine) == ["ru-user"] * 5


async def test_turn_check_erasure_and_retention_reach_the_russian_events(
        store, tmp_path, ru_url) -> None:
    await turn(store, "ru-user", "здравствуйте", key="tg:1:10", language="ru")
    await turn(store, "fr-user", "bonjour", key="tg:2:11", language="fr")
    default, ru = make_engine(str(store.engine.url)), make_engine(ru_url)
    guard = TurnGuard(rasa=None, tracker_engine=default, tracker_engines=[ru])
    kept = await guard._lookup("ru-user", "tg:1:10")
    assert kept is not None and [r.text for r in kept.replies] == ["réponse à здравствуйте"]
    assert await guard._lookup("fr-user", "tg:2:11") is not None
    assert await TurnGuard(None, default)._lookup("ru-user", "tg:1:10") is None
    # retention: the Russian events expire in the Russian database
    settings = Settings.from_env({
        "DATABASE_URL": f"sqlite:///{tmp_path}/accord.db", "RASA_TOKEN": "t",
        "RASA_TRACKER_STORE_URL": str(store.engine.url),
        "ACCORD_DATABASE_URL_RU": ru_url, "ACCORD_RETENTION_DAYS": "30"})
    for url in settings.all_database_urls():
        migrate(url)
    report = run_once(settings, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31))
    assert report.tracker_events_deleted == 12
    assert senders(ru) == [] and senders(default) == []
    default.dispose()
    ru.dispose()


def test_db_upgrade_gives_the_regional_database_rasas_events_table(tmp_path, ru_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TOKEN": "t",
           "DATABASE_URL": f"sqlite:///{tmp_path}/accord.db",
           "ACCORD_DATABASE_URL_RU": ru_url}
    done = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    engine = make_engine(ru_url)
    assert senders(engine) == []  # the table exists (empty), next to Accord's tables
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM transcript_turns")).scalar() == 0
    engine.dispose()
    main = make_engine(f"sqlite:///{tmp_path}/accord.db")
    with main.connect() as connection:  # DATABASE_URL gets no events table
        assert "events" not in set(connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
    main.dispose()
