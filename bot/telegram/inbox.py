"""The durable inbox: every update is written before it is processed.

A row is unique on `update_id`; it is marked done once the replies were sent. Rows not
done are replayed on start-up, so an update is never lost; a done row makes a replayed or
re-delivered update a no-op, so nothing is answered twice.

A row is written in the database of its chat (bot/storage/homes.py: the jurisdiction's
database once the chat's region is known, DATABASE_URL before); marking and replaying
look in every database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.storage.db import StorageUnavailable
from bot.storage.homes import Homes
from bot.storage.models import InboxUpdate, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    """What the inbox knew of an update when it was recorded."""

    done: bool
    attempts: int


@dataclass(frozen=True)
class Pending:
    """An unfinished update, to replay."""

    update_id: int
    payload: Dict[str, Any]
    attempts: int


class Inbox:
    """Inbox rows through the app database (blocking calls run in threads)."""

    def __init__(self, sessions: sessionmaker, homes: Optional[Homes] = None) -> None:
        self._homes = homes or Homes(sessions)

    async def record(
        self, update_id: int, chat_id: Optional[str], payload: Dict[str, Any]
    ) -> Recorded:
        """Writes the update unless it is known; says whether it is done already."""
        return await asyncio.to_thread(self._record, update_id, chat_id, payload)

    async def record_pending(self, chat_id: str, pending: Optional[List[Any]]) -> None:
        """Writes the updates (PTB `Update`s) whose first write failed, in order, before
        their turn is made; raises StorageUnavailable while the database fails."""
        while pending:
            try:
                await self.record(pending[0].update_id, chat_id, pending[0].to_dict())
            except Exception as error:
                raise StorageUnavailable(f"inbox: {error}") from error
            pending.pop(0)

    async def mark_done(
        self, update_ids: Iterable[int], retry: Optional[Tuple[float, float]] = None
    ) -> None:
        """Marks the updates answered (and drops their content, no longer needed).
        With `retry` (first delay, longest delay), a database error is retried with
        backoff until the write succeeds (the task can still be cancelled)."""
        ids = list(update_ids)
        delay, longest = retry or (0.0, 0.0)
        while True:
            try:
                await asyncio.to_thread(self._set, ids, True)
                return
            except SQLAlchemyError as error:
                if retry is None:
                    raise
                logger.warning("inbox rows not marked done (%s); retrying",
                               str(error).splitlines()[0])
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)

    async def add_attempt(self, update_ids: Iterable[int]) -> None:
        """Counts one failed attempt (Rasa unavailable) on each update."""
        await asyncio.to_thread(self._set, list(update_ids), False)

    async def unfinished(self) -> List[Pending]:
        """The rows not done, oldest update first."""
        return await asyncio.to_thread(self._unfinished)

    async def count_unfinished(self) -> int:
        """How many rows are not done."""
        return await asyncio.to_thread(self._count_unfinished)

    def _find(self, session: Any, update_id: int) -> Optional[InboxUpdate]:
        return session.execute(
            select(InboxUpdate).where(InboxUpdate.update_id == update_id)
        ).scalar_one_or_none()

    def _record(
        self, update_id: int, chat_id: Optional[str], payload: Dict[str, Any]
    ) -> Recorded:
        with self._homes.of(chat_id).begin() as session:
            row = self._find(session, update_id)
            if row is not None:
                return Recorded(done=row.done_at is not None, attempts=row.attempts)
            try:
                with session.begin_nested():
                    session.add(
                        InboxUpdate(
                            update_id=update_id,
                            chat_id=chat_id,
                            payload=json.dumps(payload, ensure_ascii=False),
                        )
                    )
            except IntegrityError:  # written meanwhile by another receiver
                row = self._find(session, update_id)
                if row is not None:
                    return Recorded(done=row.done_at is not None, attempts=row.attempts)
                raise
        return Recorded(done=False, attempts=0)

    def _set(self, update_ids: List[int], done: bool) -> None:
        if not update_ids:
            return
        values: Dict[str, Any] = (
            {"done_at": utcnow(), "payload": "{}"}  # only replays need the text
            if done
            else {"attempts": InboxUpdate.attempts + 1}
        )
        for sessions in self._homes.all:  # the row may have moved with its chat
            with sessions.begin() as session:
                session.execute(
                    update(InboxUpdate)
                    .where(InboxUpdate.update_id.in_(update_ids))
                    .values(**values)
                )

    def _unfinished(self) -> List[Pending]:
        pending = []
        for sessions in self._homes.all:
            with sessions.begin() as session:
                rows = session.execute(
                    select(InboxUpdate)
                    .where(InboxUpdate.done_at.is_(None))
                    .order_by(InboxUpdate.update_id)
                ).scalars()
                for row in rows:
                    try:
                        pending.append(
                            Pending(row.update_id, json.loads(row.payload), row.attempts)
                        )
                    except ValueError:
                        logger.error("inbox row %s is not JSON; skipped", row.update_id)
        return sorted(pending, key=lambda row: row.update_id)

    def _count_unfinished(self) -> int:
        total = 0
        for sessions in self._homes.all:
            with sessions.begin() as session:
                total += session.execute(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.done_at.is_(None))
                ).scalar_one()
        return total
