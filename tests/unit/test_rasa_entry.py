"""Accord's Rasa processes start without Rasa's crash reports to Sentry."""

from __future__ import annotations

import sys
from typing import Any, Dict, List

import pytest
import rasa.__main__
import rasa.telemetry
import sentry_sdk

from bot import rasa_entry

RASA_ERROR_REPORTING = rasa.telemetry.initialize_error_reporting


@pytest.fixture()
def sentry_inits(monkeypatch: pytest.MonkeyPatch) -> List[Dict[str, Any]]:
    """Every `sentry_sdk.init` call, recorded instead of made."""
    calls: List[Dict[str, Any]] = []
    monkeypatch.setattr(sentry_sdk, "init",
                        lambda *args, **kwargs: calls.append({"args": args, **kwargs}))
    monkeypatch.delenv("RASA_EXCEPTION_WRITE_KEY", raising=False)
    return calls


def test_rasa_itself_would_report_to_sentry(sentry_inits) -> None:
    RASA_ERROR_REPORTING()
    assert len(sentry_inits) == 1 and "sentry.io" in sentry_inits[0]["args"][0]


def test_the_entry_point_runs_rasa_without_error_reporting(
    sentry_inits, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}

    def fake_rasa_main() -> None:  # what rasa/__main__.py does first
        rasa.telemetry.initialize_error_reporting()
        seen["argv"] = list(sys.argv)

    monkeypatch.setattr(rasa.__main__, "main", fake_rasa_main)
    monkeypatch.setattr(rasa.telemetry, "initialize_error_reporting",
                        RASA_ERROR_REPORTING)  # restored after the test
    monkeypatch.setattr(sys, "argv", ["python -m bot.rasa_entry"])
    rasa_entry.main(["run", "actions", "--port", "5055"])
    assert seen == {"argv": ["rasa", "run", "actions", "--port", "5055"]}
    assert sentry_inits == []


def test_the_stack_starts_rasa_through_it() -> None:
    from bot.settings import Settings
    from bot.supervisor import Stack

    commands = Stack(Settings.from_env({})).commands()
    for name in ("rasa", "actions"):
        assert commands[name][1:3] == ["-m", "bot.rasa_entry"], commands[name]
