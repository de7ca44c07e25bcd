"""Passwords (argon2id), server-side sessions, CSRF tokens and login rate limiting."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Deque, Dict, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import StaffSession, StaffUser, utcnow

ROLES = ("viewer", "agent", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
SESSION_HOURS = 8
COOKIE = "accord_session"
LOGIN_COOKIE = "accord_login_csrf"

# OWASP: argon2id, >= 19 MiB, t=2, p=1
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# verified when the user name is unknown, so both cases take the same time
_DUMMY = _HASHER.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _HASHER.hash(password)


def verify_password(stored: Optional[str], password: str) -> bool:
    """Whether `password` matches the stored hash (constant work when there is none)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def has_role(user: StaffUser, role: str) -> bool:
    """Whether `user` has `role` or a higher one."""
    return RANK.get(user.role, -1) >= RANK[role]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: StaffUser) -> Tuple[str, StaffSession]:
    """A new server-side session for `user`; returns the cookie token and the row."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        id=_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + dt.timedelta(hours=SESSION_HOURS),
    )
    session.add(row)
    session.flush()
    return token, row


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def find_session(session: Session, token: Optional[str]) -> Optional[StaffSession]:
    """The live session of a cookie token (not expired, not revoked, user active)."""
    if not token or len(token) > 100:
        return None
    row = session.execute(
        select(StaffSession).where(StaffSession.id == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= utcnow():
        return None
    if not row.user.active:
        return None
    return row


def revoke_session(session: Session, token: Optional[str]) -> None:
    """Ends the session of this cookie token (logout): it is never accepted again."""
    if not token:
        return
    row = session.get(StaffSession, _digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def same_token(a: Optional[str], b: Optional[str]) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class LoginLimiter:
    """At most `limit` failed logins per `window` seconds per client address and per name."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> Deque[float]:
        failures = self._failures[key]
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        """Whether another attempt must be refused (429)."""
        return any(len(self._recent(key)) >= self.limit for key in keys)

    def failed(self, *keys: str) -> None:
        """Records a failed attempt."""
        now = time.monotonic()
        for key in keys:
            self._recent(key).append(now)
        if len(self._failures) > 10000:  # bounded memory under a spray of names
            for key in [k for k, v in self._failures.items() if not v]:
                del self._failures[key]
