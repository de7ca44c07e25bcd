"""Fault handling without the stack: the turn guard (Rasa's store checked, turns made
once, the action server checked), the app database failing, a full disk while evidence
is saved, Telegram timeouts where the message may already be out."""

from __future__ import annotations

import errno
import io
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from telegram.error import TimedOut

from bot.conversation import Conversations
from bot.rasa_client import BotReply, RasaTimeout, RasaUnavailable
from bot.storage.db import StorageUnavailable, make_engine, make_sessionmaker, migrate
from bot.storage.models import Turn
from bot.telegram import media, sender
from bot.turns import (
    TURN_KEY,
    ActionServerUnavailable,
    TurnGuard,
    TurnNotKept,
    find_turn,
    replies_of,
)

GREETING = {"text": "Bonjour !", "data": {"buttons": [
    {"title": "Je suis client", "payload": "/i_am_client"}]}}


class FakeRasa:
    """Rasa's client: answers, and (when `keeps`) writes the turn to the event table."""

    def __init__(self, engine: Engine, keeps: bool = True) -> None:
        self.engine = engine
        self.keeps = keeps
        self.sent: List[Dict[str, Any]] = []
        self.rewound: List[str] = []
        self.healthy = [True]
        self.timeout = False

    async def send(self, sender_id: str, text_: str, metadata: Dict[str, Any]):
        self.sent.append(metadata)
        if self.keeps:
            store(self.engine, sender_id, [
                ("user", {"text": text_, "metadata": metadata}), ("bot", GREETING),
                ("action", {"name": "action_listen"})])
        if self.timeout:
            raise RasaTimeout("slow")
        return [BotReply.from_rasa({"text": GREETING["text"], **GREETING["data"]})]

    async def rewind(self, sender_id: str, metadata: Optional[Dict[str, Any]] = None):
        self.rewound.append(sender_id)
        store(self.engine, sender_id, [("rewind", {}), ("action", {"name": "action_listen"})])

    async def url_ok(self, url: str) -> bool:
        return self.healthy.pop(0) if len(self.healthy) > 1 else self.healthy[0]

    async def latest_turn(self, sender_id: str) -> None:
        raise RasaUnavailable("no tracker in this fake")


def store(engine: Engine, sender_id: str, events: List[tuple]) -> None:
    """Appends events as Rasa's SQLTrackerStore writes them."""
    with engine.begin() as connection:
        for type_name, data in events:
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, :t, :d)"),
                {"s": sender_id, "t": type_name, "d": json.dumps({"event": type_name, **data})})


@pytest.fixture
def events(tmp_path: Path) -> Engine:
    """An empty Rasa event table."""
    engine = create_engine(f"sqlite:///{tmp_path}/tracker.db", future=True)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
            "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"))
    return engine


async def test_a_kept_turn_is_not_sent_again(events: Engine) -> None:
    rasa = FakeRasa(events)
    guard = TurnGuard(rasa, events)  # type: ignore[arg-type]
    first = await guard.exchange("u1", "bonjour", {}, "tg:1:10")
    again = await guard.exchange("u1", "bonjour", {}, "tg:1:10")  # replayed update
    assert len(rasa.sent) == 1 and rasa.sent[0][TURN_KEY] == "tg:1:10"
    assert [r.text for r in again] == [r.text for r in first] == ["Bonjour !"]
    assert again[0].buttons == first[0].buttons


async def test_a_timed_out_turn_kept_by_rasa_is_not_sent_again(events: Engine) -> None:
    rasa = FakeRasa(events)
    rasa.timeout = True
    guard = TurnGuard(rasa, events, settle_seconds=2)  # type: ignore[arg-type]
    with pytest.raises(RasaTimeout):
        await guard.exchange("u1", "bonjour", {}, "k1")
    assert [r.text for r in await guard.exchange("u1", "bonjour", {}, "k1")] == ["Bonjour !"]
    assert len(rasa.sent) == 1


async def test_an_answer_rasa_did_not_keep_is_withheld(events: Engine) -> None:
    rasa = FakeRasa(events, keeps=False)  # FailSafeTrackerStore fell back to memory
    guard = TurnGuard(rasa, events)  # type: ignore[arg-type]
    with pytest.raises(TurnNotKept):
        await guard.exchange("u1", "oui", {}, "k2")
    rasa.keeps = True
    assert [r.text for r in await guard.exchange("u1", "oui", {}, "k2")] == ["Bonjour !"]
    assert len(rasa.sent) == 2


async def test_action_server_down_before_the_turn_nothing_sent(events: Engine) -> None:
    rasa = FakeRasa(events)
    rasa.healthy = [False]
    guard = TurnGuard(rasa, events, "http://actions/health")  # type: ignore[arg-type]
    with pytest.raises(ActionServerUnavailable):
        await guard.exchange("u1", "bonjour", {}, "k3")
    assert rasa.sent == []


async def test_action_server_lost_during_the_turn_is_rewound(events: Engine) -> None:
    rasa = FakeRasa(events)
    rasa.healthy = [True, False, True]
    guard = TurnGuard(rasa, events, "http://actions/health")  # type: ignore[arg-type]
    with pytest.raises(ActionServerUnavailable):
        await guard.exchange("u1", "bonjour", {}, "k4")
    assert rasa.rewound == ["u1"]
    assert find_turn(events, "u1", "k4").rewound
    await guard.exchange("u1", "bonjour", {}, "k4")  # made again, not taken as kept
    assert len(rasa.sent) == 2 and not find_turn(events, "u1", "k4").rewound


def test_find_turn_refuses_keys_that_would_be_wildcards(events: Engine) -> None:
    with pytest.raises(ValueError):
        find_turn(events, "u1", "%")


def test_replies_rebuilt_as_the_rest_channel_renders_them() -> None:
    replies = replies_of({"text": "Un.\n\nDeux.", "data": {
        "custom": {"accord": {"new_case": "DR-7KQ2M9AB"}}, "image": "https://x/y.png"}})
    assert [(r.text, r.custom, r.image) for r in replies] == [
        ("Un.", None, None), ("Deux.", None, None),
        (None, {"accord": {"new_case": "DR-7KQ2M9AB"}}, None), (None, None, "https://x/y.png")]
    with_buttons = replies_of(GREETING)
    assert with_buttons[0].text == "Bonjour !" and with_buttons[0].buttons[0]["payload"]


class NoRasa:
    """Fails the test if the turn reaches Rasa."""

    async def send(self, *args: Any) -> None:
        raise AssertionError("Rasa must not be called while the database is down")

    async def url_ok(self, url: str) -> bool:
        return True


async def test_database_down_turn_refused_before_rasa(tmp_path: Path) -> None:
    broken = make_sessionmaker(create_engine("sqlite:////proc/nonexistent/db.sqlite"))
    conversations = Conversations(rasa=NoRasa(), sessions=broken,  # type: ignore[arg-type]
                                  channel="telegram", erase_tracker=lambda _: None)
    with pytest.raises(StorageUnavailable):
        await conversations.handle("u1", "bonjour", turn_key="k5")


async def test_an_unanswered_attempt_is_recorded_once(tmp_path: Path, events: Engine) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    migrate(url)
    sessions = make_sessionmaker(make_engine(url))
    rasa = FakeRasa(events, keeps=False)
    conversations = Conversations(rasa=rasa, sessions=sessions,  # type: ignore[arg-type]
                                  channel="telegram", erase_tracker=lambda _: None,
                                  tracker_engine=events)
    with sessions.begin() as session:  # an attempt that died before its answer
        session.add(Turn(conversation_id="u1", channel="telegram", direction="in",
                         text="bonjour"))
    with pytest.raises(TurnNotKept):
        await conversations.handle("u1", "bonjour", turn_key="k6")
    with sessions() as session:
        assert session.query(Turn).count() == 0  # forgotten: recorded when answered
    with sessions.begin() as session:
        session.add(Turn(conversation_id="u1", channel="telegram", direction="in",
                         text="bonjour"))
    rasa.keeps = True
    await conversations.handle("u1", "bonjour", turn_key="k6")
    with sessions() as session:
        rows = session.query(Turn).order_by(Turn.id).all()
    assert [(t.direction, t.text) for t in rows] == [("in", "bonjour"), ("out", "Bonjour !")]


def png() -> bytes:
    """A small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


class HalfWriter:
    """A file whose write stores half of the bytes, then fails with ENOSPC."""

    def __init__(self, path: str, mode: str) -> None:
        self._handle = open(path, mode)  # noqa: SIM115

    def __enter__(self) -> "HalfWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._handle.close()

    def write(self, data: bytes) -> int:
        self._handle.write(data[: len(data) // 2])
        self._handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_while_saving_evidence_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media, "open", HalfWriter, raising=False)
    with pytest.raises(media.EvidenceRejected) as rejected:
        media.store(png(), tmp_path)
    assert rejected.value.reason == "evidence_not_saved"
    assert list(tmp_path.iterdir()) == []  # no half-written file, no temporary file
    monkeypatch.undo()
    stored = media.store(png(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [stored.stored_name]


def test_disk_full_at_sync_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(media.os, "fsync", no_space)
    with pytest.raises(media.EvidenceRejected):
        media.store(png(), tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_telegram_timeout_after_delivery_is_retried_at_least_once() -> None:
    """A send that timed out may have been delivered: it is retried, so a reply may
    reach the user twice but never zero times (docs/reliability.md)."""
    delivered: List[str] = []

    async def send_message() -> str:
        delivered.append("reply")
        if len(delivered) == 1:
            raise TimedOut("read timed out")  # Telegram got it; the answer was lost
        return "ok"

    assert await sender.call(send_message, what="sendMessage", backoff=0.01) == "ok"
    assert delivered == ["reply", "reply"]


async def test_telegram_timeouts_give_up_after_the_attempts() -> None:
    calls: List[int] = []

    async def never() -> None:
        calls.append(1)
        raise TimedOut("read timed out")

    with pytest.raises(sender.Undeliverable):
        await sender.call(never, what="sendMessage", attempts=3, backoff=0.01)
    assert len(calls) == 3
