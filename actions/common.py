"""Small helpers shared by the actions: the user's language, entities, metadata."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

LANGUAGES = ("fr", "zh", "ru")
DEFAULT_LANGUAGE = "fr"
DEFAULT_JURISDICTION = {"fr": "FR", "zh": "CN", "ru": "RU"}
JURISDICTIONS = ("FR", "CN", "RU")


def language_of(tracker: Tracker) -> str:
    """The conversation's current language (the `language` slot), French if unset."""
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def jurisdiction_of(tracker: Tracker) -> str:
    """The chosen jurisdiction, or the one that goes with the user's language."""
    value = tracker.get_slot("jurisdiction")
    if value in JURISDICTIONS:
        return value
    return DEFAULT_JURISDICTION[language_of(tracker)]


def latest_entities(tracker: Tracker, name: Text) -> List[Dict[Text, Any]]:
    """The entities of the given type in the latest user message."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return [e for e in entities if e.get("entity") == name]


def latest_entity_value(tracker: Tracker, name: Text) -> Optional[Text]:
    """The value of the first entity of that type in the latest message, if any."""
    found = latest_entities(tracker, name)
    return str(found[0].get("value")) if found else None


def latest_intent(tracker: Tracker) -> Optional[Text]:
    """The name of the latest user message's intent."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_user_metadata(tracker: Tracker) -> Dict[Text, Any]:
    """The metadata the channel sent with the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}
