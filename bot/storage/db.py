"""Engine and session factories, and migrations on start."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

ROOT = Path(__file__).resolve().parents[2]
BUSY_TIMEOUT = 30.0  # seconds SQLite waits for another writer's lock


class StorageUnavailable(Exception):
    """The app database cannot be used right now (unreachable, or locked too long)."""


def make_engine(url: str, busy_timeout: float = BUSY_TIMEOUT) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys, and a file
    database a pool of connections (SQLAlchemy 1.4 otherwise opens and closes one per
    session: a third of the adapter's CPU under load). Pooled connections are pinged
    before use (`pool_pre_ping`), so one the server dropped (restart,
    `pg_terminate_backend`) is replaced instead of failing a request."""
    kwargs: Dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs.update(poolclass=QueuePool, pool_size=8, max_overflow=16)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        milliseconds = int(busy_timeout * 1000)
        wal = {"set": False}
        event.listen(engine, "connect",
                     lambda connection, _record: _sqlite_pragmas(connection, milliseconds, wal))
    return engine


def _sqlite_pragmas(connection: Any, busy_timeout_ms: int, wal: Dict[str, bool]) -> None:
    """Per connection: the busy timeout and foreign keys. WAL is a property of the file:
    set by the engine's first connection only."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if not wal["set"]:
        cursor.execute("PRAGMA journal_mode=WAL")
        wal["set"] = True
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded attributes after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def migrate(url: str) -> None:
    """Brings the schema to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "bot" / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def migrate_all(settings: Any) -> None:
    """`db upgrade`: migrates DATABASE_URL and every regional database
    (`ACCORD_DATABASE_URL_<code>`); these also get Rasa's `events` table, where the
    tracker events of their users live (bot/regional_tracker_store.py), so that the
    adapter, erasure and retention can read it before Rasa first writes there."""
    urls = settings.all_database_urls()
    for url in urls:
        migrate(url)
    if len(urls) > 1:
        from bot.regional_tracker_store import create_events_table

        for url in urls[1:]:
            create_events_table(url)
