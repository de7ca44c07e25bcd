"""A measured fix inside the Rasa server process: action results validated by a
schema compiled once.

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


def install() -> None:
    """Replaces Rasa's per-call schema check (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
