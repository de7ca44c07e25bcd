"""A migrated database per test: SQLite always, PostgreSQL when it is reachable."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from bot.storage.db import make_engine, make_sessionmaker, migrate
from tests.pgdb import scratch_database



@contextlib.contextmanager
def migrated_sessions(kind: str, tmp_path, name: str) -> Iterator[sessionmaker]:
    """Sessions on a freshly migrated SQLite file or scratch PostgreSQL database."""
    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path}/{name}.db"
        else:
            url, _ = stack.enter_context(scratch_database(name))
        migrate(url)
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path) -> Iterator[sessionmaker]:
    """Sessions on a freshly migrated database of each kind."""
    with migrated_sessions(request.param, tmp_path, "accord_test") as made:
        yield made
