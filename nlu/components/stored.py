"""What a trainable component keeps in the model: one JSON file in its resource."""

from __future__ import annotations

import json
from typing import Any, Optional

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def write_json(model_storage: ModelStorage, resource: Resource, name: str, value: Any) -> None:
    """Stores `value` as `name` in the component's resource."""
    with model_storage.write_to(resource) as directory:
        (directory / name).write_text(json.dumps(value, ensure_ascii=False), "utf-8")


def read_json(model_storage: ModelStorage, resource: Resource, name: str) -> Optional[Any]:
    """The value stored as `name`, or None when the resource or the file is missing."""
    try:
        with model_storage.read_from(resource) as directory:
            return json.loads((directory / name).read_text("utf-8"))
    except (ValueError, FileNotFoundError):
        return None
