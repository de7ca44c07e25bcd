"""A migrated database per test: SQLite always, PostgreSQL when it is reachable."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from bot.storage.db import make_engine, make_sessionmaker, migrate
from tests.pgdb import scratch_database



@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path) -> Iterator[sessionmaker]:
    """Sessions on a freshly migrated database of each kind."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/accord.db"
        else:
            url, _ = stack.enter_context(scratch_database("accord_test"))
        migrate(url)
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()
