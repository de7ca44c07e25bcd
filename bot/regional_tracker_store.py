"""Rasa's tracker store, per jurisdiction: `type: bot.regional_tracker_store.RegionalTrackerStore`
in endpoints*.yml, with the keys of `type: SQL` (dialect, db, url, port, username…).

It is Rasa's SQL tracker store on that database, plus one SQL tracker store in each
`ACCORD_DATABASE_URL_<code>` (Rasa's `events` table next to Accord's tables). A
conversation whose region (bot/storage/regions.py: its jurisdiction, else its language)
has a database lives there: at the first save that knows the region, its events are
copied there, the turn's new events appended, then the copied ones deleted where they
were; later reads and saves go there. Without regional databases it is the SQL tracker
store itself (one test of an empty dict per call).

Where a conversation lives is remembered per sender (the latest REMEMBERED senders).
A read that finds nothing there (another Rasa replica moved it, or it was erased) looks
in every database again; a move interrupted between its copy and its delete is finished
when the conversation is next looked for (the events already copied are not doubled).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import regional_database_urls
from bot.storage.regions import destination, region_of

logger = logging.getLogger(__name__)

REMEMBERED = 10_000  # senders whose database is remembered
CHUNK = 500
Event = SQLTrackerStore.SQLEvent
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


class RegionalTrackerStore(SQLTrackerStore):
    """The SQL tracker store, with each jurisdiction's conversations in its database."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        regions: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> None:
        """`regions`: jurisdiction code -> database URL (default: the environment's
        `ACCORD_DATABASE_URL_<code>`); the other arguments are the SQL store's."""
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        urls = regional_database_urls(os.environ) if regions is None else dict(regions)
        by_url: Dict[str, SQLTrackerStore] = {}
        for url in urls.values():
            if url not in by_url:
                by_url[url] = SQLTrackerStore(
                    domain=domain, host=url, event_broker=event_broker
                )
        # code -> its store; the distinct regional stores
        self._regional = {code: by_url[url] for code, url in urls.items()}
        self._stores: List[SQLTrackerStore] = list(by_url.values())
        self._homes: "OrderedDict[str, SQLTrackerStore]" = OrderedDict()
        if self._regional:
            logger.info("tracker events of %s kept in their own databases",
                        ", ".join(sorted(self._regional)))

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        self._domain = domain or Domain.empty()
        for store in getattr(self, "_stores", ()):
            store.domain = self._domain

    # -- Rasa's interface ------------------------------------------------------------
    async def save(self, tracker: DialogueStateTracker) -> None:
        """Saves in the conversation's database, moving it there first if needed."""
        if not self._regional:
            return await super().save(tracker)
        sender = tracker.sender_id
        current = self._homes.get(sender) or self._locate(sender)
        target = destination(current, region_of(tracker), self._regional, self)
        if current is None or current is target:
            await self._plain(target).save(tracker)
        else:
            moved = copy_events(current, target, sender)
            await self._plain(target).save(tracker)  # appends the turn's new events
            delete_events(current, moved)
            logger.info("tracker of one conversation moved to the %s database",
                        self._name(target))
        self._remember(sender, target)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session of the conversation, from its database."""
        if not self._regional:
            return await super().retrieve(sender_id)
        return await self._read(sender_id, full=False)

    async def retrieve_full_tracker(
        self, conversation_id: Text
    ) -> Optional[DialogueStateTracker]:
        """Every session of the conversation, from its database."""
        if not self._regional:
            return await super().retrieve_full_tracker(conversation_id)
        return await self._read(conversation_id, full=True)

    async def keys(self) -> Iterable[Text]:
        """The senders of every database."""
        if not self._regional:
            return await super().keys()
        found: Dict[Text, None] = dict.fromkeys(await super().keys())
        for store in self._stores:
            found.update(dict.fromkeys(await store.keys()))
        return list(found)

    # -- routing -----------------------------------------------------------------------
    def _plain(self, store: SQLTrackerStore) -> Any:
        """The SQL tracker store's own methods on `store` (no routing)."""
        return super() if store is self else store

    async def _read(self, sender: Text, full: bool) -> Optional[DialogueStateTracker]:
        home = self._homes.get(sender)
        if home is not None:
            tracker = await self._get(home, sender, full)
            if tracker is not None:
                return tracker
        home = self._locate(sender)
        return await self._get(home, sender, full) if home is not None else None

    async def _get(
        self, store: SQLTrackerStore, sender: Text, full: bool
    ) -> Optional[DialogueStateTracker]:
        plain = self._plain(store)
        if full:
            return await plain.retrieve_full_tracker(sender)
        return await plain.retrieve(sender)

    def _locate(self, sender: Text) -> Optional[SQLTrackerStore]:
        """The database holding the conversation (None: none), looked up in every one;
        finishes a move that was interrupted."""
        counts = [(store, count_events(store, sender)) for store in (*self._stores, self)]
        found = [(store, n) for store, n in counts if n]
        if not found:
            self._homes.pop(sender, None)
            return None
        regional = [(store, n) for store, n in found if store is not self]
        home = max(regional or found, key=lambda pair: pair[1])[0]
        for store, _ in found:
            if store is not home:
                logger.warning("tracker of one conversation found in two databases: "
                               "moving it to the %s one", self._name(home))
                delete_events(store, copy_events(store, home, sender))
        self._remember(sender, home)
        return home

    def _remember(self, sender: Text, store: SQLTrackerStore) -> None:
        self._homes[sender] = store
        self._homes.move_to_end(sender)
        while len(self._homes) > REMEMBERED:
            self._homes.popitem(last=False)

    def _name(self, store: SQLTrackerStore) -> str:
        codes = sorted(code for code, other in self._regional.items() if other is store)
        return "/".join(codes) or "default"


# -- events, moved between two databases ------------------------------------------------
def count_events(store: SQLTrackerStore, sender: Text) -> int:
    """How many events of `sender` the store's database holds."""
    with store.session_scope() as session:
        query = sa.select(sa.func.count(Event.id)).where(Event.sender_id == sender)
        return int(session.execute(query).scalar_one())


def _key(values: Mapping[str, Any]) -> Tuple[Any, ...]:
    return (values["type_name"], values["timestamp"], values["data"])


def copy_events(source: SQLTrackerStore, target: SQLTrackerStore, sender: Text) -> List[int]:
    """Copies the sender's events from `source` to `target`, in order, except those the
    target has already (an interrupted move); returns their ids in `source`."""
    with source.session_scope() as session:
        rows = session.execute(
            sa.select(Event).where(Event.sender_id == sender).order_by(Event.id)
        ).scalars().all()
        events = [(row.id, {name: getattr(row, name) for name in COLUMNS}) for row in rows]
    with target.session_scope() as session:
        present = {
            tuple(row) for row in session.execute(
                sa.select(Event.type_name, Event.timestamp, Event.data)
                .where(Event.sender_id == sender)
            )
        }
        session.add_all(Event(**values) for _, values in events if _key(values) not in present)
        session.commit()
    return [event_id for event_id, _ in events]


def delete_events(store: SQLTrackerStore, ids: List[int]) -> None:
    """Deletes these events (by id) from the store's database."""
    with store.session_scope() as session:
        for start in range(0, len(ids), CHUNK):
            session.execute(sa.delete(Event).where(Event.id.in_(ids[start:start + CHUNK])))
        session.commit()


def create_events_table(url: str) -> None:
    """Creates Rasa's `events` table in this database unless it exists (`db upgrade`
    of a regional database: the adapter, erasure and retention read it even before
    Rasa has written there)."""
    engine = sa.create_engine(url, **create_engine_kwargs(url))
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()
