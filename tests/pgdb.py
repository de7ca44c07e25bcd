"""A scratch database on the local PostgreSQL server for one test; skips, saying why,
when the server is not reachable."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, Iterator, Tuple

import pytest

PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                connect_timeout=3)


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[Tuple[str, Any]]:
    """A new empty database (its SQLAlchemy URL) and an autocommit admin connection;
    the database is dropped afterwards."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(**PG_ADMIN)
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 as postgres: {error}")
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}", admin
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
