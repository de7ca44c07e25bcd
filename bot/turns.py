"""Exactly-once turns with Rasa, and no reply unless Rasa really kept the turn.

Every message goes to Rasa with a turn key in its metadata (`accord_turn`; the Telegram
update id, so it is the same on every retry and after a restart). Rasa's answer is
trusted only once the key is found in Rasa's own SQL tracker store (the `events`
table): Rasa wraps its tracker store in a `FailSafeTrackerStore` that, when the database
fails, silently keeps the conversation in memory (a failed save) or starts it afresh
(a failed read), and its REST channel answers 200 even when the turn raised. A turn that
was not kept is reported as `TurnNotKept` (a `RasaUnavailable`): its replies — a
complaint confirmation among them — are never shown, the channel keeps the message and
retries.

Before a message is sent again, the key is looked up: when Rasa kept the earlier attempt
(the adapter was killed, or timed out, after Rasa answered) its replies are rebuilt from
the stored bot events instead of running the turn twice. The action server is checked
before and after each turn (Rasa carries on without the events of a custom action it
could not reach): if it is away after the turn, the turn is rewound in Rasa and retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.rasa_client import BotReply, RasaClient, RasaTimeout, RasaUnavailable

logger = logging.getLogger(__name__)

TURN_KEY = "accord_turn"
SAFE_KEY = re.compile(r"^[A-Za-z0-9.:-]{1,80}$")  # nothing LIKE would read as a wildcard


class TurnNotKept(RasaUnavailable):
    """Rasa answered but its tracker store did not keep the turn."""


class ActionServerUnavailable(RasaUnavailable):
    """The action server does not answer its health check."""


def new_key() -> str:
    """A turn key for a channel without its own message ids."""
    return uuid.uuid4().hex


def replies_of(event: Dict[str, Any]) -> List[BotReply]:
    """The replies of one stored `bot` event, as Rasa's REST channel renders them."""
    text = event.get("text")
    data = event.get("data") or {}
    buttons = data.get("quick_replies") or data.get("buttons")
    replies: List[BotReply] = []
    if buttons:
        replies.append(BotReply.from_rasa({"text": text, "buttons": buttons}))
    elif text:
        replies.extend(BotReply(text=part) for part in text.strip().split("\n\n"))
    if data.get("custom"):
        replies.append(BotReply(custom=data["custom"]))
    if data.get("image"):
        replies.append(BotReply(image=data["image"]))
    return replies


@dataclass(frozen=True)
class KeptTurn:
    """A turn found in the tracker store: its replies, and whether it was rewound."""

    replies: List[BotReply] = field(default_factory=list)
    rewound: bool = False


def find_turn(engine: Engine, sender: str, key: str) -> Optional[KeptTurn]:
    """The turn of `sender` sent with `key`, as Rasa's SQL tracker store holds it."""
    if not SAFE_KEY.match(key):
        raise ValueError("unsafe turn key")
    with engine.connect() as connection:
        rows = connection.execute(
            sql("SELECT id, data FROM events WHERE sender_id = :sender "
                "AND type_name = 'user' AND data LIKE :pattern ORDER BY id DESC"),
            {"sender": sender, "pattern": f"%{key}%"},
        ).all()
        found = next(
            (row.id for row in rows
             if (json.loads(row.data).get("metadata") or {}).get(TURN_KEY) == key),
            None,
        )
        if found is None:
            return None
        later = connection.execute(
            sql("SELECT type_name, data FROM events WHERE sender_id = :sender "
                "AND id > :id ORDER BY id"),
            {"sender": sender, "id": found},
        ).all()
    replies: List[BotReply] = []
    for type_name, data in later:
        if type_name == "user":
            break
        if type_name == "rewind":
            return KeptTurn(replies, rewound=True)
        if type_name == "bot":
            replies.extend(replies_of(json.loads(data)))
    return KeptTurn(replies)


class TurnGuard:
    """Sends a message to Rasa at most once per key and checks that Rasa kept it."""

    def __init__(
        self,
        rasa: RasaClient,
        tracker_engine: Optional[Engine],
        actions_health_url: Optional[str] = None,
        settle_seconds: float = 30.0,
        tracker_engines: Sequence[Engine] = (),
    ) -> None:
        self._rasa = rasa
        self._engine = tracker_engine
        # every database Rasa's tracker store writes to: the default one first, then the
        # regional ones (bot/regional_tracker_store.py)
        self._engines = [e for e in (tracker_engine, *tracker_engines) if e is not None]
        self._actions_url = actions_health_url
        self._settle = settle_seconds
        self._timed_out: Dict[str, float] = {}

    async def exchange(
        self, sender: str, text: str, metadata: Dict[str, Any], key: str
    ) -> List[BotReply]:
        """Rasa's replies to this message; raises RasaUnavailable (or a subclass) when
        the turn could not be made or was not kept: the caller retries later."""
        earlier = await self._earlier(sender, key)
        if earlier is not None:
            logger.info("turn %s was kept by Rasa already: its replies are sent", key)
            return earlier.replies
        if not await self.actions_ready():
            raise ActionServerUnavailable("the action server does not answer")
        try:
            replies = await self._rasa.send(sender, text, {**metadata, TURN_KEY: key})
        except RasaTimeout:
            self._timed_out[key] = time.monotonic()
            raise
        if not await self.actions_ready():
            await self._rasa.rewind(sender, {TURN_KEY: key})
            raise ActionServerUnavailable("the action server went away during the turn")
        if self._engine is not None:
            kept = await self._lookup(sender, key)
            if kept is None or kept.rewound:
                logger.error("Rasa answered turn %s but its tracker store did not keep "
                             "it (in-memory fallback?): replies withheld", key)
                raise TurnNotKept("the tracker store did not keep the turn")
        return replies

    async def _earlier(self, sender: str, key: str) -> Optional[KeptTurn]:
        """A kept earlier attempt; after a timeout, waits a while for Rasa to finish it."""
        if self._engine is None:
            return None
        timed_out = self._timed_out.pop(key, None)
        deadline = time.monotonic() + (self._settle if timed_out is not None else 0.0)
        while True:
            kept = await self._lookup(sender, key)
            if kept is not None and not kept.rewound:
                return kept
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.5)

    async def _lookup(self, sender: str, key: str) -> Optional[KeptTurn]:
        try:
            for engine in self._engines:
                kept = await asyncio.to_thread(find_turn, engine, sender, key)
                if kept is not None:
                    return kept
            return None
        except SQLAlchemyError as error:
            raise RasaUnavailable(f"tracker store unreadable: {error}") from error

    async def actions_ready(self) -> bool:
        """True when the action server answers its health check (or none is set)."""
        return not self._actions_url or await self._rasa.url_ok(self._actions_url)
