"""`python -m bot staff add-user` and the storage-level queries (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console import queries
from bot.console.security import verify_password
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import StaffUser
from tests.console.conftest import seed

ROOT = Path(__file__).resolve().parents[2]


def _cli(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
           "ACCORD_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", "staff", "add-user", *args],
                          input=stdin, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_add_user_cli(tmp_path):
    done = _cli(tmp_path, "alice", "--role", "agent", stdin="a long password\n")
    assert done.returncode == 0, done.stderr
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    with make_sessionmaker(engine)() as session:
        user = session.execute(select(StaffUser).where(StaffUser.name == "alice")).scalar_one()
    engine.dispose()
    assert user.role == "agent" and user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "a long password")
    assert not verify_password(user.password_hash, "a long passwore")
    again = _cli(tmp_path, "alice", "--role", "agent", stdin="a long password\n")
    assert again.returncode == 1 and "exists" in again.stderr
    short = _cli(tmp_path, "bob", "--role", "viewer", stdin="short\n")
    assert short.returncode == 1 and "at least 10" in short.stderr
    bad_role = _cli(tmp_path, "bob", "--role", "root", stdin="a long password\n")
    assert bad_role.returncode == 2


def _check_queries(sessionmaker) -> None:
    with sessionmaker() as session:
        def ids(**kw):
            rows, total, capped = queries.list_conversations(session, queries.TurnFilter(**kw))
            assert total == len(rows) and not capped
            return {r.conversation_id for r in rows}

        assert ids() == {"1001", "2002", "3003"}
        assert ids(q="退款") == {"2002"}
        assert ids(q="ПРИВЕТ") == {"3003"}
        assert ids(q="привет") == {"3003"}
        assert ids(q="BONJOUR") == {"1001"}
        assert ids(q="50%_off") == set()
        assert ids(language="ru", intent="greet") == {"3003"}
        assert ids(has_case=True) == {"1001", "2002"}
        assert ids(handoff=True) == {"1001"}
        assert ids(date_from=dt.datetime(2026, 3, 3, tzinfo=dt.timezone.utc)) == {"2002", "3003"}
        rows, total = queries.list_cases(session, queries.CaseFilter(status="new"))
        assert total == 2 and rows[0][0].language in ("fr", "zh")
        assert dict(queries.count_by(session, queries.Case.language)) == {"fr": 1, "zh": 1}
        assert len(queries.cases_per_day(session)) == 30
        assert len(queries.export_turns(session, queries.TurnFilter(language="zh"))) == 2


def test_queries_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/q.db"
    migrate(url)
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    seed(sessionmaker, tmp_path / "evidence")
    _check_queries(sessionmaker)
    engine.dispose()


@pytest.mark.postgres
def test_queries_on_postgresql(tmp_path):
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres",
                                 dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 as postgres: {error}")
    admin.autocommit = True
    name = f"accord_console_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    try:
        migrate(url)
        engine = make_engine(url)
        sessionmaker = make_sessionmaker(engine)
        seed(sessionmaker, tmp_path / "evidence")
        _check_queries(sessionmaker)
        engine.dispose()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
