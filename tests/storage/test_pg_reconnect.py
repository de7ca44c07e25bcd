"""A PostgreSQL connection killed mid-session (`pg_terminate_backend`, as a server
restart or a failover does): the next request works, because pooled connections are
pinged before use (`pool_pre_ping`, bot/storage/db.py). Runs against the local server
(127.0.0.1:5432, user postgres, trust auth); skipped, saying why, when unreachable."""

from __future__ import annotations

from typing import Any, Iterator, Tuple

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.telegram.inbox import Inbox
from tests.pgdb import scratch_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg() -> Iterator[Tuple[str, Any]]:
    """A fresh migrated database and an admin connection (autocommit)."""
    with scratch_database("accord_kill") as (url, admin):
        migrate(url)
        yield url, admin


def backend_pid(engine: Engine) -> int:
    """The server process of the pooled connection."""
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(admin: Any, pid: int) -> None:
    """Kills one server process, as an administrator would."""
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert cursor.fetchone()[0] is True


async def test_connection_killed_mid_session_next_request_works(pg) -> None:
    url, admin = pg
    engine = make_engine(url)
    inbox = Inbox(make_sessionmaker(engine))
    await inbox.record(1, "42", {"update_id": 1})
    pid = backend_pid(engine)  # the one pooled connection
    terminate(admin, pid)
    # the adapter's next writes and reads go through (a new connection)
    await inbox.record(2, "42", {"update_id": 2})
    await inbox.mark_done([1])
    assert [p.update_id for p in await inbox.unfinished()] == [2]
    assert backend_pid(engine) != pid
    engine.dispose()


def test_without_pre_ping_the_same_kill_fails_the_next_request(pg) -> None:
    """What the test above protects against: the pool hands out the dead connection."""
    url, admin = pg
    engine = create_engine(url, future=True)  # no pool_pre_ping
    pid = backend_pid(engine)
    terminate(admin, pid)
    with pytest.raises(OperationalError):
        backend_pid(engine)
    engine.dispose()


def test_every_engine_pings_its_connections(pg) -> None:
    url, _ = pg
    for engine in (make_engine(url), make_engine("sqlite://")):
        assert engine.pool._pre_ping
        engine.dispose()
