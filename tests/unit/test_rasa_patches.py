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
