"""Staff users: creation (also `python -m bot staff add-user NAME --role ROLE`)."""

from __future__ import annotations

import getpass
import re
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.security import ROLES, hash_password
from bot.settings import Settings
from bot.storage.models import StaffUser

MIN_PASSWORD = 10
NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


def add_user(session: Session, name: str, role: str, password: str) -> StaffUser:
    """Adds a user (caller commits); ValueError on a bad name, role or password."""
    if not NAME.match(name or ""):
        raise ValueError("name: 2-64 characters among letters, digits and _ . @ -")
    if role not in ROLES:
        raise ValueError(f"role: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    if session.execute(select(StaffUser.id).where(StaffUser.name == name)).first():
        raise ValueError(f"user {name!r} exists already")
    user = StaffUser(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def _read_password() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise ValueError("the passwords differ")
        return first
    return (sys.stdin.readline() if sys.stdin else "").rstrip("\r\n")


def add_user_cli(settings: Settings, name: str, role: str) -> int:
    """`python -m bot staff add-user`: 0 when created, 1 otherwise (message on stderr)."""
    from bot.storage.db import make_engine, make_sessionmaker, migrate

    try:
        password = _read_password()
    except (ValueError, EOFError, KeyboardInterrupt) as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            add_user(session, name, role, password)
            session.commit()
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    finally:
        engine.dispose()
    sys.stdout.write(f"created {role} {name}\n")
    return 0
