"""The database of Accord's rows of one conversation — transcript turns, Telegram
inbox rows, reminders — by its region (bot/storage/regions.py).

`Homes.of(conversation)` is where they are read and written. `settle(conversation,
region)`, after each turn (the turn's answer says the language and the jurisdiction),
moves them to the region's database when it has one: copied there in one transaction,
then deleted where they were in another (only the rows copied: a row written meanwhile
is moved by the next turn; a move interrupted between the two is finished by it, the
rows already copied are not doubled). Without regional databases `of` is the default
database and `settle` does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import sessionmaker

from bot.storage.models import InboxUpdate, Reminder, Turn
from bot.storage.regions import destination

logger = logging.getLogger(__name__)

REMEMBERED = 10_000  # conversations whose database is remembered
CHUNK = 500
Key = Callable[[Mapping[str, Any]], Tuple[Any, ...]]


def _utc(value: Any) -> Any:
    """Datetimes as aware UTC (SQLite returns naive UTC), other values unchanged."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None \
            else value.astimezone(dt.timezone.utc)
    return value


def _key(*names: str) -> Key:
    return lambda row: tuple(_utc(row[name]) for name in names)


# what moves: the table, its conversation column, what tells two copies of a row apart
MOVED: Tuple[Tuple[Any, Any, Key], ...] = (
    (Turn.__table__, Turn.conversation_id, _key("timestamp", "direction", "text")),
    (Reminder.__table__, Reminder.conversation_id, _key("created_at", "step", "due_at")),
    (InboxUpdate.__table__, InboxUpdate.chat_id, _key("update_id")),
)


def holds(sessions: sessionmaker, conversation_id: str) -> bool:
    """Whether the database has any row of the conversation (one query)."""
    query = select(or_(*(
        select(table.c.id).where(column == conversation_id).exists()
        for table, column, _ in MOVED
    )))
    with sessions() as session:
        return bool(session.execute(query).scalar())


def move_rows(source: sessionmaker, target: sessionmaker, conversation_id: str) -> int:
    """Moves the conversation's rows from `source` to `target`; returns how many."""
    with source() as session:
        found = [
            session.execute(
                select(table).where(column == conversation_id).order_by(table.c.id)
            ).mappings().all()
            for table, column, _ in MOVED
        ]
    if not any(found):
        return 0
    with target.begin() as session:
        for (table, column, key), rows in zip(MOVED, found):
            present = {
                key(row) for row in session.execute(
                    select(table).where(column == conversation_id)
                ).mappings()
            }
            fresh = [
                {name: _utc(value) for name, value in row.items() if name != "id"}
                for row in rows if key(row) not in present
            ]
            if fresh:
                session.execute(insert(table), fresh)
    with source.begin() as session:
        for (table, _, _), rows in zip(MOVED, found):
            ids = [row["id"] for row in rows]
            for start in range(0, len(ids), CHUNK):
                session.execute(delete(table).where(table.c.id.in_(ids[start:start + CHUNK])))
    return sum(len(rows) for rows in found)


class Homes:
    """DATABASE_URL's session factory and each jurisdiction's (code -> factory; two
    codes sharing a database share one factory)."""

    def __init__(
        self, default: sessionmaker, regional: Optional[Mapping[str, sessionmaker]] = None
    ) -> None:
        self.default = default
        self.regional: Dict[str, sessionmaker] = {
            code: maker for code, maker in (regional or {}).items() if maker is not default
        }
        self._distinct: List[sessionmaker] = []
        for maker in self.regional.values():
            if not any(maker is other for other in self._distinct):
                self._distinct.append(maker)
        self._known: "OrderedDict[str, sessionmaker]" = OrderedDict()
        self._lock = threading.Lock()

    @property
    def all(self) -> List[sessionmaker]:
        """Every database, the default one first."""
        return [self.default, *self._distinct]

    def of(self, conversation_id: Optional[str]) -> sessionmaker:
        """The database of the conversation's rows (blocking: may query on first use)."""
        if not self._distinct or not conversation_id:
            return self.default
        with self._lock:
            home = self._known.get(conversation_id)
        if home is None:
            home = next((db for db in self._distinct if holds(db, conversation_id)),
                        self.default)
            self._remember(conversation_id, home)
        return home

    def settle(self, conversation_id: str, region: Optional[str]) -> sessionmaker:
        """After a turn: moves the conversation's rows to the database of `region` when
        it has one (never out of a regional database into the default one); returns the
        conversation's database."""
        if not self._distinct:
            return self.default
        target = destination(self.of(conversation_id), region, self.regional, self.default)
        self._remember(conversation_id, target)  # rows written from now on go there
        if target is self.default:
            return target
        for source in self.all:
            if source is not target and holds(source, conversation_id):
                moved = move_rows(source, target, conversation_id)
                logger.info("%s row(s) of one conversation moved to the %s database",
                            moved, self.name(target))
        return target

    def codes(self, maker: sessionmaker) -> List[str]:
        """The jurisdictions whose database this is (none for DATABASE_URL)."""
        return sorted(code for code, other in self.regional.items() if other is maker)

    def name(self, maker: sessionmaker) -> str:
        """The codes of a regional database ("RU"), "default" for DATABASE_URL."""
        return "/".join(self.codes(maker)) or "default"

    def _remember(self, conversation_id: str, maker: sessionmaker) -> None:
        with self._lock:
            self._known[conversation_id] = maker
            self._known.move_to_end(conversation_id)
            while len(self._known) > REMEMBERED:
                self._known.popitem(last=False)
