"""Trackers, dispatchers and a temporary database for the action unit tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import store
from bot.storage.db import make_engine, make_sessionmaker, migrate

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
BASE_TRACKER = ROOT / "tests" / "data" / "tracker_photographer.json"


def responses(dispatcher: CollectingDispatcher) -> List[Optional[str]]:
    """The names of the responses the action sent, in order."""
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that collects the messages."""
    return CollectingDispatcher()


@pytest.fixture
def tracker_factory() -> Callable[..., Tracker]:
    """Trackers built from tests/data/tracker_photographer.json: the latest message's
    intent, text, entities and metadata, and slot values as keyword arguments."""
    base = json.loads(BASE_TRACKER.read_text(encoding="utf-8"))

    def build(
        intent: str = "next_step",
        text: Optional[str] = None,
        entities: Optional[List[Dict[str, Any]]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        **slots: Any,
    ) -> Tracker:
        state = copy.deepcopy(base)
        text = base["latest_message"]["text"] if text is None else text
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.93},
            "entities": entities if entities is not None else [],
        }
        state["latest_message"] = latest
        state["slots"].update(slots)
        state["events"][-1] = {
            "event": "user",
            "text": text,
            "metadata": metadata if metadata is not None else {},
            "parse_data": latest,
        }
        return Tracker.from_dict(state)

    return build


@pytest.fixture(autouse=True)
def no_shared_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Actions never touch var/ of the checkout: an (empty) database under tmp_path."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    monkeypatch.setenv("RASA_TOKEN", "test-token")
    monkeypatch.setenv("ACCORD_VAR_DIR", str(tmp_path))


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    *,
    text: str = "",
    intent: str = "out_of_scope",
    candidates: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    requested_slot: Optional[str] = None,
    active_loop: Optional[str] = "complaint_form",
    sender: str = "client-1",
) -> Tracker:
    """A tracker after one user message; `candidates` are the slot values the
    mappings extracted from it (what the form hands to its validation action)."""
    values: Dict[str, Any] = {"language": "fr", **(slots or {})}
    if requested_slot:
        values["requested_slot"] = requested_slot
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}},
        {"event": "action", "name": "action_extract_slots"},
    ]
    for name, value in (candidates or {}).items():
        events.append({"event": "slot", "name": name, "value": value})
        values[name] = value
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": values,
            "latest_message": latest,
            "events": events,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_extract_slots",
        }
    )


@pytest.fixture
def domain() -> Dict[str, Any]:
    """domain.yml as the action server receives it."""
    return DOMAIN


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A migrated temporary SQLite database behind DATABASE_URL; yields a sessionmaker."""
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    store._sessions_for.cache_clear()
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()
    store._sessions_for(url).kw["bind"].dispose()
    store._sessions_for.cache_clear()
