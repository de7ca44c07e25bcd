"""Custom slot mappings, run by `action_extract_slots` on every user message."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.common import (
    JURISDICTIONS,
    LANGUAGES,
    latest_entities,
    latest_entity_value,
    latest_intent,
    latest_user_metadata,
)

# a `language` entity below this confidence (a one-word Latin message such as "ok")
# does not override the language the conversation already has
CONFIDENT = 0.8


def telegram_language(tracker: Tracker) -> Optional[str]:
    """The user's Telegram interface language, when it is one Accord speaks."""
    code = str(latest_user_metadata(tracker).get("language_code") or "").lower()
    prefix = code.split("-")[0]
    return prefix if prefix in LANGUAGES else None


def next_language(
    value: Optional[str],
    confidence: float,
    unsupported: bool,
    current: Optional[str],
    telegram: Optional[str],
) -> str:
    """The `language` slot after a message whose `language` entity is `value` at
    `confidence`: a confident entity wins; a weak one ("ok", "hello") only starts a
    conversation that has no language yet, and loses to Telegram's setting; an
    unsupported language changes nothing. `make eval` scores its reply language
    with this rule too."""
    if value in LANGUAGES and not unsupported:
        if confidence >= CONFIDENT or (not current and telegram is None):
            return value
    if current in LANGUAGES:
        return current
    if telegram:
        return telegram
    return value if value in LANGUAGES else "fr"


class ValidateSlotMappings(ValidationAction):
    """Fills `language` and `jurisdiction` from the message, history and metadata."""

    def name(self) -> Text:
        """Unique identifier of the action."""
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The message's own language, then the history, then Telegram's setting."""
        found = latest_entities(tracker, "language")
        entity = found[0] if found else {}
        value = next_language(
            entity.get("value"),
            float(entity.get("confidence_entity") or 0.0),
            bool(latest_entities(tracker, "unsupported_language")),
            tracker.get_slot("language"),
            telegram_language(tracker),
        )
        return {} if value == tracker.get_slot("language") else {"language": value}

    async def extract_jurisdiction(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Set only when the user names a country (else it follows the language)."""
        if latest_intent(tracker) != "choose_jurisdiction":
            return {}
        value = (latest_entity_value(tracker, "jurisdiction") or "").upper()
        return {"jurisdiction": value} if value in JURISDICTIONS else {}
