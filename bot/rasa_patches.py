"""Measured fixes inside the Rasa server process: action results validated by a schema
compiled once, event classes looked up by name in a dict.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result,
schema)` for every answer of the action server, and `jsonschema.validate` first checks
the *schema* against the JSON Schema meta-schema — a deep recursive walk that, profiled
with py-spy under the 50-chat load of `tests.telegram.load`, took 18 % of the Rasa
server's CPU, more than the language model's own logistic regression (README,
"Benchmarks"). `install()` swaps in a validator built once from the same schema and the
same validator class; a response that does not match still raises the same
`jsonschema.ValidationError` with Rasa's message. It is installed by Accord's REST
channel (`bot/rasa_channel.py`) when Rasa builds its channels, i.e. only in Rasa servers
started with Accord's credentials.yml.

`Event.resolve_by_type` walks every subclass of `Event` (recursively, with an
`inspect.isabstract` check each) for every stored event it turns back into an object;
reading a tracker from the tracker store does that once per event, and it was 6 % of
the Rasa server's CPU in the same profile. `resolve_event_type` remembers the class found
for each name; a name never found is looked up again each time (a class imported later
is still found) and unknown names still raise Rasa's `ValueError`.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

HINT = (
    ". Failed to validate Action server response from API, make sure your response "
    "from the Action endpoint is valid. For more information about the format visit "
    "https://rasa.com/docs/rasa/custom-actions"
)


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of action server responses, built (and its schema checked) once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(_action: Any, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the compiled validator."""
    from jsonschema.exceptions import best_match

    error = best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += HINT
        raise error
    return True


_EVENT_TYPES: Dict[str, Any] = {}


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """`Event.resolve_by_type`, with the class found for each name remembered."""
    found = _EVENT_TYPES.get(type_name)
    if found is not None:
        return found
    found = _ORIGINAL_RESOLVE(type_name, default)  # raises for unknown names
    if found is not None and found is not default:
        _EVENT_TYPES[type_name] = found
    return found


_ORIGINAL_RESOLVE: Any = None


def install() -> None:
    """Replaces Rasa's per-call schema check and event class lookup (idempotent)."""
    global _ORIGINAL_RESOLVE
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    if _ORIGINAL_RESOLVE is None:
        _ORIGINAL_RESOLVE = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
