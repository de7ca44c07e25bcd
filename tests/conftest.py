"""Shared fixtures: a real Rasa stack (session), services against it, databases."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest

from bot.services import Services, build_services
from bot.supervisor import Stack
from tests.stack import start_stack


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The trained model served by a real Rasa server and action server."""
    stack = start_stack(Path(tmp_path_factory.mktemp("stack")))
    yield stack
    stack.stop()


@pytest.fixture
async def services(rasa_stack: Stack) -> AsyncIterator[Services]:
    """Database, tracker store and Rasa client of the running stack."""
    built = build_services(rasa_stack.settings)
    yield built
    await built.aclose()


@pytest.fixture
def sender() -> str:
    """A fresh conversation id."""
    return f"test-{uuid.uuid4().hex[:12]}"
