"""One turn of a conversation, whatever the channel: record, ask Rasa, record, act.

Every incoming message and every reply is written to the transcript store with its
language, intent and confidence. Custom payloads from the actions (`{"accord": …}`) are
handled here and never shown to the user: `erase_user_data` erases the user's data once
the turn is over, `handoff` notifies staff through the channel's callback.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.erasure import erase_user
from bot.rasa_client import BotReply, LatestTurn, RasaClient, RasaUnavailable
from bot.storage import transcripts
from bot.storage.db import StorageUnavailable
from bot.storage.homes import Homes
from bot.storage.models import Turn
from bot.storage.regions import SlotView, region_of
from bot.turns import TurnGuard, new_key

logger = logging.getLogger(__name__)

HandoffCallback = Callable[[str, Optional[str]], Awaitable[None]]


@dataclass
class TurnResult:
    """The replies to show, and what the turn did."""

    replies: List[BotReply] = field(default_factory=list)
    language: Optional[str] = None
    intent: Optional[str] = None
    erased: bool = False
    handoff: bool = False
    # every `{"accord": {...}}` payload of the turn (e.g. {"new_case": "DR-…"}),
    # for the channel to act on (staff notices); never shown to the user
    notices: List[Dict[str, Any]] = field(default_factory=list)


class Conversations:
    """Runs turns against Rasa and keeps the transcript."""

    def __init__(
        self,
        *,
        rasa: RasaClient,
        sessions: sessionmaker,
        channel: str,
        erase_tracker: Callable[[str], None],
        evidence_dir: Any = None,
        on_handoff: Optional[HandoffCallback] = None,
        regional_sessions: Sequence[sessionmaker] = (),
        tracker_engine: Optional[Engine] = None,
        actions_health_url: Optional[str] = None,
        homes: Optional[Homes] = None,
        tracker_engines: Sequence[Engine] = (),
    ) -> None:
        self._rasa = rasa
        self._sessions = sessions
        # where each conversation's turns are (its jurisdiction's database, if it has one)
        self._homes = homes or Homes(sessions)
        self._channel = channel
        self._erase_tracker = erase_tracker
        self._evidence_dir = evidence_dir
        self._on_handoff = on_handoff
        self._regional_sessions = tuple(regional_sessions)
        # checks that Rasa keeps each turn, sends each message once (bot/turns.py)
        self._guard = TurnGuard(rasa, tracker_engine, actions_health_url,
                                tracker_engines=tracker_engines)

    async def handle(
        self,
        conversation_id: str,
        text: str,
        *,
        metadata: Optional[Dict[str, Any]] = None,
        pressed: Optional[Dict[str, str]] = None,
        attachments: int = 0,
        turn_key: Optional[str] = None,
    ) -> TurnResult:
        """Sends one user message through Rasa. Raises RasaUnavailable when Rasa, its
        tracker store or the action server cannot make or keep the turn, and
        StorageUnavailable when the app database fails: the channel keeps the message
        and calls again with the same `turn_key`, and the turn is made once."""
        turn_id = await self._db(
            self._record_in, conversation_id, text, pressed, attachments
        )
        try:
            replies = await self._guard.exchange(
                conversation_id, text, metadata or {}, turn_key or new_key()
            )
        except RasaUnavailable:
            # the channel keeps the message and retries: record it once, when answered
            try:
                await self._db(self._forget_in, conversation_id, turn_id)
            except StorageUnavailable:
                logger.warning("transcript turn %s kept for the retry", turn_id)
            raise
        # the turn's own answer says what it understood (bot/rasa_channel.py); a turn
        # rebuilt from the tracker store (a retry) asks the tracker
        latest: Optional[LatestTurn] = getattr(replies, "turn", None)
        if latest is None:
            try:
                latest = await self._rasa.latest_turn(conversation_id)
            except RasaUnavailable:
                logger.warning("tracker of %s unavailable after the turn", conversation_id)
        result = TurnResult(
            language=latest.language if latest else None,
            intent=latest.intent if latest else None,
        )
        for reply in replies:
            payload = (reply.custom or {}).get("accord") if reply.custom else None
            if isinstance(payload, dict):
                result.notices.append(payload)
                result.erased |= bool(payload.get("erase_user_data"))
                result.handoff |= bool(payload.get("handoff"))
                continue
            result.replies.append(reply)
        # if this fails, the retry finds the turn in Rasa's store and does not redo it
        await self._db(self._record_out, conversation_id, turn_id, latest, result)
        if self._homes.regional and latest is not None:
            await self._settle(conversation_id, region_of(SlotView(latest.slots)))
        if result.erased:
            await asyncio.to_thread(self.erase, conversation_id)
        if result.handoff and self._on_handoff is not None:
            await self._on_handoff(conversation_id, result.language)
        return result

    def erase(self, conversation_id: str) -> None:
        """Erases the user's transcripts, cases, reminders, files and Rasa tracker
        events, in every database (DATABASE_URL and the regional ones)."""
        databases: List[sessionmaker] = []
        for sessions in (*self._homes.all, *self._regional_sessions):
            if not any(sessions is known for known in databases):
                databases.append(sessions)
        for sessions in databases:
            erase_user(
                sessions=sessions,
                conversation_id=conversation_id,
                evidence_dir=self._evidence_dir,
            )
        self._erase_tracker(conversation_id)
        logger.info("erased the data of one conversation")

    async def _settle(self, conversation_id: str, region: Optional[str]) -> None:
        """The turn said the language / jurisdiction: the conversation's rows go to its
        database (bot/storage/homes.py). A failed move is retried by the next turn."""
        try:
            await asyncio.to_thread(self._homes.settle, conversation_id, region)
        except SQLAlchemyError as error:
            logger.warning("rows of one conversation not moved to its database yet "
                           "(%s); the next turn moves them", type(error).__name__)

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        """Runs a blocking database call in a thread; a database error (unreachable,
        locked past the busy timeout…) becomes StorageUnavailable."""
        try:
            return await asyncio.to_thread(function, *args)
        except SQLAlchemyError as error:
            raise StorageUnavailable(str(error).splitlines()[0]) from error

    def _record_in(
        self,
        conversation_id: str,
        text: str,
        pressed: Optional[Dict[str, str]],
        attachments: int,
    ) -> int:
        with self._homes.of(conversation_id).begin() as session:
            last = session.execute(
                select(Turn).where(Turn.conversation_id == conversation_id)
                .order_by(Turn.id.desc()).limit(1)
            ).scalar_one_or_none()
            if (last is not None and last.direction == "in" and last.text == text
                    and last.intent is None and last.language is None):
                return last.id  # an earlier attempt of this very message
            turn = transcripts.record_turn(
                session=session,
                conversation_id=conversation_id,
                channel=self._channel,
                direction="in",
                text=text,
                buttons=[pressed] if pressed else None,
                attachments=attachments,
            )
            return turn.id

    def _forget_in(self, conversation_id: str, turn_id: int) -> None:
        with self._homes.of(conversation_id).begin() as session:
            turn = session.get(Turn, turn_id)
            if turn is not None:
                session.delete(turn)

    def _record_out(
        self,
        conversation_id: str,
        turn_id: int,
        latest: Optional[LatestTurn],
        result: TurnResult,
    ) -> None:
        case_ref = (latest.slots.get("case_ref") if latest else None) or None
        with self._homes.of(conversation_id).begin() as session:
            if latest is not None:
                transcripts.complete_turn(
                    session=session,
                    turn_id=turn_id,
                    intent=latest.intent,
                    confidence=latest.confidence,
                    language=latest.language,
                    case_ref=case_ref,
                )
            for reply in result.replies:
                transcripts.record_turn(
                    session=session,
                    conversation_id=conversation_id,
                    channel=self._channel,
                    direction="out",
                    text=reply.text or "",
                    language=result.language,
                    case_ref=case_ref,
                    buttons=reply.buttons or None,
                )
