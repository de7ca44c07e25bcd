"""The compiled action-result validator accepts and refuses what Rasa's own does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot import rasa_patches
from bot.rasa_channel import TokenRestInput

VALID = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "ru"}],
     "responses": [{"text": "Привет", "buttons": []}]},
    {"events": [{"event": "action", "name": "action_listen"},
                {"event": "active_loop", "name": None}], "responses": [{}]},
]
INVALID = [
    [],
    {"events": "slot"},
    {"events": [{"event": "slot"}]},  # a slot event needs its name
    {"events": [{"event": "no_such_event"}]},
    {"responses": [1, 2]},
]


@pytest.mark.parametrize("result", VALID)
def test_valid_results_pass_both(result) -> None:
    validate(result, RemoteAction.action_response_format_spec())
    assert rasa_patches.validate_action_result(None, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_results_fail_both(result) -> None:
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as caught:
        rasa_patches.validate_action_result(None, result)
    assert "Failed to validate Action server response" in caught.value.message


def test_the_channel_installs_it(monkeypatch) -> None:
    original = RemoteAction._validate_action_result
    try:
        monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
        TokenRestInput.from_credentials({"token": "t"})
        assert RemoteAction._validate_action_result is rasa_patches.validate_action_result
    finally:
        RemoteAction._validate_action_result = original


def test_event_classes_are_found_as_rasa_finds_them() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    rasa_patches.install()
    original = rasa_patches._ORIGINAL_RESOLVE
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is original(name)
        assert Event.resolve_by_type(name) is original(name)  # and from the dict
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


def test_an_event_class_imported_later_is_found() -> None:
    from rasa.shared.core.events import Event, SlotSet

    rasa_patches.install()
    assert Event.resolve_by_type("accord_test_event", default=SlotSet) is SlotSet

    class LaterEvent(SlotSet):
        type_name = "accord_test_event"

    assert Event.resolve_by_type("accord_test_event") is LaterEvent


def test_stored_events_read_back_equal() -> None:
    from rasa.shared.core.events import (ActionExecuted, BotUttered, Event, SessionStarted,
                                         SlotSet, UserUttered)

    rasa_patches.install()
    events = [SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("bonjour", {"name": "greet", "confidence": 0.9}),
              SlotSet("language", "fr"), BotUttered("Bonjour !", {"buttons": []})]
    for event in events:
        assert Event.from_parameters(event.as_dict()) == event
