"""The adapter's rows of a conversation — transcript turns, Telegram inbox rows,
reminders — in its jurisdiction's database (bot/storage/homes.py): written to
DATABASE_URL while the region is unknown, moved to ACCORD_DATABASE_URL_RU (a second
SQLite file, and PostgreSQL when reachable) once a turn says it, read and written there
afterwards, found there by the inbox, the reminders, erasure and the export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional

import pytest
from sqlalchemy import func, select

from bot.conversation import Conversations
from bot.rasa_client import BotReply, LatestTurn, Replies
from bot.storage import reminders
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.homes import Homes
from bot.storage.models import InboxUpdate, Reminder, Turn
from bot.storage.transcripts import iter_all_turns, record_turn
from bot.telegram.inbox import Inbox
from bot.telegram.reminders import _due, _mark
from tests.storage.conftest import migrated_sessions

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def default(tmp_path: Path) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path}/accord.db"
    migrate(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ru(request, tmp_path: Path) -> Iterator[Any]:
    """The database standing for the server in Russia (migrated)."""
    with migrated_sessions(request.param, tmp_path, "accord_ru_rows") as made:
        yield made


@pytest.fixture
def homes(default: Any, ru: Any) -> Homes:
    return Homes(default, {"RU": ru})


def rows(sessions: Any, model: Any, conversation_id: str) -> List[Any]:
    column = model.chat_id if model is InboxUpdate else model.conversation_id
    with sessions() as session:
        return list(session.execute(
            select(model).where(column == conversation_id).order_by(model.id)).scalars())


def counts(sessions: Any, conversation_id: str) -> Dict[str, int]:
    return {model.__name__: len(rows(sessions, model, conversation_id))
            for model in (Turn, Reminder, InboxUpdate)}


def write_chat(homes: Homes, chat: str, *texts: str, update_id: int = 1) -> None:
    """What the adapter and the actions write before the region is known."""
    with homes.of(chat).begin() as session:
        for text in texts:
            record_turn(session=session, conversation_id=chat, channel="telegram",
                        direction="in", text=text)
        reminders.add_reminder(session, conversation_id=chat, due_at=NOW,
                               language="ru", step="propose")
        session.add(InboxUpdate(update_id=update_id, chat_id=chat, payload="{}"))


def test_rows_move_to_the_russian_database_once_the_region_is_known(homes, default, ru):
    write_chat(homes, "42", "здравствуйте", "мне нужна помощь")
    write_chat(homes, "7", "bonjour", update_id=2)
    assert homes.of("42") is default
    assert homes.settle("42", None) is default and homes.settle("42", "FR") is default
    assert counts(ru, "42") == {"Turn": 0, "Reminder": 0, "InboxUpdate": 0}
    before = rows(default, Turn, "42")
    assert homes.settle("42", "RU") is ru and homes.settle("7", "FR") is default
    assert counts(default, "42") == {"Turn": 0, "Reminder": 0, "InboxUpdate": 0}
    assert counts(ru, "42") == {"Turn": 2, "Reminder": 1, "InboxUpdate": 1}
    assert counts(default, "7") == {"Turn": 1, "Reminder": 1, "InboxUpdate": 1}
    moved = rows(ru, Turn, "42")
    assert [(t.text, reminders.utc(t.timestamp)) for t in moved] == [
        (t.text, reminders.utc(t.timestamp)) for t in before]
    assert reminders.utc(rows(ru, Reminder, "42")[0].due_at) == NOW
    assert homes.of("42") is ru
    restarted = Homes(default, {"RU": ru})  # nothing remembered: found by its rows
    assert restarted.of("42") is ru and restarted.of("7") is default
    assert restarted.of("unknown") is default


def test_russia_is_never_left_and_a_later_or_interrupted_move_is_finished(
        homes, default, ru):
    write_chat(homes, "42", "здравствуйте")
    homes.settle("42", "RU")
    # a Russian user who writes in French: their rows stay in Russia
    assert homes.settle("42", "FR") is ru and homes.of("42") is ru
    # a move interrupted after its copy (the rows are in both), and a row written
    # meanwhile where the chat was
    with default.begin() as session:
        for turn in rows(ru, Turn, "42"):
            record_turn(session=session, conversation_id="42", channel="telegram",
                        direction=turn.direction, text=turn.text).timestamp = turn.timestamp
        record_turn(session=session, conversation_id="42", channel="telegram",
                    direction="out", text="written meanwhile")
    assert homes.settle("42", "RU") is ru
    assert counts(default, "42") == {"Turn": 0, "Reminder": 0, "InboxUpdate": 0}
    assert [t.text for t in rows(ru, Turn, "42")] == ["здравствуйте", "written meanwhile"]


def test_without_regional_databases_nothing_is_queried(default, monkeypatch):
    plain = Homes(default)
    monkeypatch.setattr("bot.storage.homes.holds", lambda *a: pytest.fail("queried"))
    assert plain.of("42") is default and plain.settle("42", "RU") is default
    assert plain.all == [default]


async def test_the_inbox_finds_rows_in_every_database(homes, default, ru):
    inbox = Inbox(default, homes)
    first = await inbox.record(100, "42", {"update_id": 100, "text": "привет"})
    assert not first.done and len(rows(default, InboxUpdate, "42")) == 1
    await inbox.record(101, "7", {"update_id": 101})
    homes.settle("42", "RU")  # the turn of update 100 said Russian
    await inbox.record(102, "42", {"update_id": 102})  # written where the chat is now
    assert [r.update_id for r in rows(ru, InboxUpdate, "42")] == [100, 102]
    assert [p.update_id for p in await inbox.unfinished()] == [100, 101, 102]
    assert await inbox.count_unfinished() == 3
    await inbox.add_attempt([100])
    await inbox.mark_done([100, 101])
    assert await inbox.count_unfinished() == 1
    # a restarted adapter, the same update delivered again: found, already answered
    again = Inbox(default, Homes(default, {"RU": ru}))
    recorded = await again.record(100, "42", {"update_id": 100})
    assert recorded.done and recorded.attempts == 1
    assert rows(default, InboxUpdate, "42") == []


def test_due_reminders_are_read_and_marked_in_their_database(homes, default, ru):
    write_chat(homes, "42", "здравствуйте")
    homes.settle("42", "RU")
    write_chat(homes, "7", "bonjour", update_id=2)
    adapter = SimpleNamespace(services=SimpleNamespace(homes=homes))
    due = _due(adapter, NOW)
    assert sorted((r["chat_id"], r["db"]) for r in due) == [("42", 1), ("7", 0)]
    for row in due:
        _mark(adapter, row, NOW, True)
    assert rows(ru, Reminder, "42")[0].sent_at is not None
    assert rows(default, Reminder, "7")[0].sent_at is not None
    assert _due(adapter, NOW) == []


def test_the_export_merges_every_database_in_time_order(homes, default, ru):
    for i, (chat, text) in enumerate([("42", "один"), ("7", "deux"), ("42", "три")]):
        with homes.of(chat).begin() as session:
            turn = record_turn(session=session, conversation_id=chat, channel="telegram",
                               direction="in", text=text)
            turn.timestamp = NOW + dt.timedelta(minutes=i)
        homes.settle(chat, "RU" if chat == "42" else "FR")
    assert [t.text for t in iter_all_turns(homes.all)] == ["один", "deux", "три"]
    assert [t.text for t in iter_all_turns(homes.all, since=NOW + dt.timedelta(
        minutes=1))] == ["deux", "три"]


class FakeRasa:
    """Rasa's answer to every message: one reply, and the given slots."""

    def __init__(self, slots: Dict[str, Optional[str]]) -> None:
        self.slots = slots

    async def send(self, sender: str, text: str, metadata: Any = None) -> Replies:
        replies = Replies([BotReply(text=f"réponse à {text}")])
        replies.turn = LatestTurn(intent="greet", confidence=0.9,
                                  language=self.slots.get("language"),
                                  slots={"case_ref": None, **self.slots})
        return replies


async def test_a_russian_conversation_is_recorded_in_russia_and_erased_there(
        homes, default, ru):
    erased: List[str] = []
    chat = Conversations(rasa=FakeRasa({"language": "ru"}), sessions=default,
                         channel="telegram", erase_tracker=erased.append, homes=homes)
    await chat.handle("42", "здравствуйте")
    await chat.handle("42", "спасибо")
    french = Conversations(rasa=FakeRasa({"language": "fr"}), sessions=default,
                           channel="telegram", erase_tracker=erased.append, homes=homes)
    await french.handle("7", "bonjour")
    chosen = Conversations(rasa=FakeRasa({"language": "fr", "jurisdiction": "RU"}),
                           sessions=default, channel="telegram",
                           erase_tracker=erased.append, homes=homes)
    await chosen.handle("8", "bonjour")
    assert [(t.direction, t.text, t.language) for t in rows(ru, Turn, "42")] == [
        ("in", "здравствуйте", "ru"), ("out", "réponse à здравствуйте", "ru"),
        ("in", "спасибо", "ru"), ("out", "réponse à спасибо", "ru")]
    assert rows(default, Turn, "42") == [] and len(rows(ru, Turn, "8")) == 2
    assert len(rows(default, Turn, "7")) == 2 and rows(ru, Turn, "7") == []
    with ru.begin() as session:
        reminders.add_reminder(session, conversation_id="42", due_at=NOW,
                               language="ru", step="propose")
    chat.erase("42")
    assert erased == ["42"]
    assert counts(ru, "42") == counts(default, "42") == {
        "Turn": 0, "Reminder": 0, "InboxUpdate": 0}
    with ru() as session:
        assert session.execute(select(func.count(Turn.id))).scalar_one() == 2  # chat 8
