"""A migrated database per test: SQLite always, PostgreSQL when it is reachable."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from bot.storage.db import make_engine, make_sessionmaker, migrate

PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                connect_timeout=3)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path) -> Iterator[sessionmaker]:
    """Sessions on a freshly migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/accord.db"
        drop = None
    else:
        psycopg2 = pytest.importorskip("psycopg2")
        try:
            admin = psycopg2.connect(**PG_ADMIN)
        except psycopg2.OperationalError as error:
            pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 as postgres: {error}")
        admin.autocommit = True
        name = f"accord_test_{uuid.uuid4().hex[:10]}"
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"

        def drop() -> None:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    migrate(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()
    if drop:
        drop()
