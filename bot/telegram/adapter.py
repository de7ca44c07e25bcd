"""The adapter's core: durable inbox, per-chat order, retries while Rasa is away.

`receive` runs for every update PTB hands over. It claims the update (an update already
claimed is a duplicate and is dropped), queues it behind the chat's earlier ones — at
once, before any await, so the order of arrival is kept — and writes it to the inbox.
One worker per chat takes its queue in order, holding the chat's lock while a turn runs,
so a flood from one chat never delays another. When Rasa is unavailable (or did not keep
the turn, bot/turns.py) or the database fails, the user is told once, the update stays
unfinished and the worker retries with backoff until it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import i18n
from bot.rasa_client import RasaUnavailable
from bot.services import Services
from bot.settings import Settings
from bot.storage.db import StorageUnavailable
from bot.telegram import sender
from bot.telegram.inbox import Inbox, Recorded
from bot.telegram.render import CallbackCodec

logger = logging.getLogger(__name__)


@dataclass
class Item:
    """One unit of work for a chat: an update, or the parts of an album."""

    chat_id: str
    updates: List[Update]
    records: List["asyncio.Task[Recorded]"]
    album: Optional[Tuple[str, str]] = None
    last_arrival: float = 0.0
    cache: Dict[Any, Any] = field(default_factory=dict)

    @property
    def update_ids(self) -> List[int]:
        """The ids of the updates of this item."""
        return [update.update_id for update in self.updates]

    @property
    def turn_key(self) -> str:
        """The key of this item's Rasa turn: the same on every retry and replay."""
        return f"tg:{self.chat_id}:{self.updates[0].update_id}"


REMEMBERED_CHATS = 50_000  # chats whose latest language is kept in memory


class Adapter:
    """Receives updates, keeps them, and runs them in order, once."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        retry_initial: float = 1.0,
        retry_max: float = 60.0,
        album_wait: float = 1.0,
        reminder_interval: float = 45.0,
    ) -> None:
        self.settings = settings
        self.services = services
        self.conversations = services.conversations("telegram")
        self.inbox = Inbox(services.sessions, services.homes)
        self.codec = CallbackCodec(settings.telegram_bot_token or "")
        self.bot: Optional[Bot] = None
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.album_wait = album_wait
        self._queues: Dict[str, "asyncio.Queue[Item]"] = {}
        self._workers: Dict[str, "asyncio.Task[None]"] = {}
        self._locks: Dict[str, asyncio.Lock] = {}
        self._claimed: Set[int] = set()
        self._albums: Dict[Tuple[str, str], Item] = {}
        self._languages: Dict[str, str] = {}
        self._told_down: Set[str] = set()
        self._in_turn: Set[str] = set()
        self._stopping = False
        self.reminder_interval = reminder_interval
        self._reminders: Optional["asyncio.Task[None]"] = None

    # -- languages -------------------------------------------------------------
    def language(self, chat_id: str, update: Optional[Update] = None) -> Optional[str]:
        """The chat's language: the last one Rasa used, else Telegram's language_code."""
        if chat_id in self._languages:
            return self._languages[chat_id]
        user = update.effective_user if update is not None else None
        return i18n.guess_language(user.language_code if user else None)

    def remember_language(self, chat_id: str, language: Optional[str]) -> None:
        """Keeps the language of the latest turn (of the most recent chats only: a
        forgotten one falls back to Telegram's language_code, then Rasa's next answer)."""
        if language in i18n.LANGUAGES:
            self._languages.pop(chat_id, None)
            self._languages[chat_id] = language
            while len(self._languages) > REMEMBERED_CHATS:
                del self._languages[next(iter(self._languages))]

    def forget_chat(self, chat_id: str) -> None:
        """Drops what is kept in memory about a chat (after an erasure)."""
        self._languages.pop(chat_id, None)
        self.codec.forget(chat_id)

    # -- receiving ---------------------------------------------------------------
    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Receives every update: keeps it, then queues it for its chat."""
        await self.receive(update)

    async def receive(self, update: Update) -> None:
        """Claims, queues and records one update (private chats only)."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        if update.update_id in self._claimed:
            logger.info("update %s is already being handled", update.update_id)
            return
        self._claimed.add(update.update_id)
        chat_id = str(chat.id)
        record = asyncio.create_task(
            self.inbox.record(update.update_id, chat_id, update.to_dict())
        )
        message = update.message
        group = message.media_group_id if message is not None else None
        album = self._albums.get((chat_id, group)) if group else None
        if album is not None:
            album.updates.append(update)
            album.records.append(record)
            album.last_arrival = asyncio.get_running_loop().time()
        else:
            item = Item(chat_id, [update], [record])
            if group:
                item.album = (chat_id, group)
                item.last_arrival = asyncio.get_running_loop().time()
                self._albums[item.album] = item
            self._enqueue(item)
        with contextlib.suppress(Exception):  # the worker logs it and still answers
            await record

    def _enqueue(self, item: Item) -> None:
        queue = self._queues.setdefault(item.chat_id, asyncio.Queue())
        queue.put_nowait(item)
        if self._stopping:
            return
        worker = self._workers.get(item.chat_id)
        if worker is None or worker.done():
            self._workers[item.chat_id] = asyncio.create_task(
                self._work(item.chat_id), name=f"telegram-chat-{item.chat_id}"
            )

    # -- working -----------------------------------------------------------------
    async def _work(self, chat_id: str) -> None:
        queue = self._queues[chat_id]
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        while not queue.empty() and not self._stopping:
            item = queue.get_nowait()
            try:
                async with lock:
                    await self._run(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("update(s) %s failed; kept for replay", item.update_ids)
            finally:
                self._claimed.difference_update(item.update_ids)
        if self._workers.get(chat_id) is asyncio.current_task():
            del self._workers[chat_id]
            if queue.empty() and self._queues.get(chat_id) is queue:
                # nothing waits (no await since the check): a later update gets a new
                # queue and lock, so memory does not grow with every chat ever seen
                del self._queues[chat_id]
                self._locks.pop(chat_id, None)

    async def _run(self, item: Item) -> None:
        if item.album is not None:
            loop = asyncio.get_running_loop()
            while (wait := item.last_arrival + self.album_wait - loop.time()) > 0:
                await asyncio.sleep(wait)
            self._albums.pop(item.album, None)
        records = await asyncio.gather(*item.records, return_exceptions=True)
        live: List[Update] = []
        unrecorded: List[Update] = item.cache.setdefault("unrecorded", [])
        for update, record in zip(item.updates, records):
            if isinstance(record, BaseException):
                logger.error("inbox write of update %s failed (%s); retried",
                             update.update_id, record)
                live.append(update)
                unrecorded.append(update)
            elif record.done:
                logger.info("update %s was answered already", update.update_id)
            else:
                live.append(update)
                if record.attempts:
                    self._told_down.add(item.chat_id)
        if not live:
            return
        item.updates = live
        await self._answer(item)

    async def _answer(self, item: Item) -> None:
        from bot.telegram.handlers import process

        delay = self.retry_initial
        while True:
            self._in_turn.add(item.chat_id)
            try:
                await self.inbox.record_pending(item.chat_id, item.cache.get("unrecorded"))
                await process(self, item)
                break
            except (RasaUnavailable, StorageUnavailable) as error:
                self._in_turn.discard(item.chat_id)
                logger.warning("%s (%s); update(s) %s kept", type(error).__name__,
                               error, item.update_ids)
                with contextlib.suppress(Exception):  # the database may be the fault
                    await self.inbox.add_attempt(item.update_ids)
                if item.chat_id not in self._told_down:
                    self._told_down.add(item.chat_id)
                    await self.send_text(item.chat_id, "rasa_down", item.updates[0])
                if self._stopping:
                    raise asyncio.CancelledError from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max)
            finally:
                self._in_turn.discard(item.chat_id)
        self._told_down.discard(item.chat_id)
        # the replies are out: retried while the database fails, or a replay resends them
        await self.inbox.mark_done(item.update_ids, retry=(self.retry_initial,
                                                           self.retry_max))

    # -- sending -----------------------------------------------------------------
    async def send_text(
        self, chat_id: str, key: str, update: Optional[Update] = None, **values: Any
    ) -> None:
        """Sends one adapter text (locale key) in the chat's language."""
        text = i18n.text(key, self.language(chat_id, update)).format(**values)
        await self.deliver(lambda: self.bot.send_message(int(chat_id), text), key)

    async def deliver(self, make: Any, what: str) -> Any:
        """One Bot API call with retries; a final refusal is logged, not raised."""
        try:
            return await sender.call(make, what=what)
        except sender.Undeliverable as error:
            logger.warning("not delivered: %s", error)
            return None

    # -- life cycle --------------------------------------------------------------
    async def start(self, bot: Bot) -> int:
        """Replays the unfinished updates of the inbox, oldest first; returns how many."""
        self.bot = bot
        self._stopping = False
        pending = await self.inbox.unfinished()
        for row in pending:
            try:
                update = Update.de_json(row.payload, bot)
            except Exception:
                logger.exception("inbox update %s cannot be read", row.update_id)
                continue
            if update is not None:
                await self.receive(update)
        if pending:
            logger.info("replaying %s unfinished update(s)", len(pending))
        self._start_reminders()
        return len(pending)

    def _start_reminders(self) -> None:
        """Starts the task that sends due follow-up reminders (bot/telegram/reminders.py)."""
        from bot.telegram.reminders import run_reminders

        if self._reminders is None or self._reminders.done():
            self._reminders = asyncio.create_task(
                run_reminders(self, interval=self.reminder_interval),
                name="telegram-reminders",
            )

    async def stop(self, timeout: float = 40.0) -> None:
        """Lets the turns under way finish (bounded), then stops the workers; what is
        left stays in the inbox for the next start."""
        self._stopping = True
        if self._reminders is not None:
            self._reminders.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reminders
            self._reminders = None
        workers = list(self._workers.values())
        for chat_id, worker in list(self._workers.items()):
            if chat_id not in self._in_turn:
                worker.cancel()
        if workers:
            done, pending = await asyncio.wait(workers, timeout=timeout)
            for worker in pending:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        self._albums.clear()
        self._claimed.clear()
