"""Accord's Rasa processes start without Rasa's crash reports to Sentry."""

from __future__ import annotations

import sys

import pytest
import rasa.__main__
import rasa.telemetry
import sentry_sdk

from bot import rasa_entry


@pytest.fixture()
def no_client():
    sentry_sdk.Hub.current.bind_client(None)
    yield
    sentry_sdk.Hub.current.bind_client(None)


def test_rasa_itself_would_report_to_sentry(no_client, monkeypatch) -> None:
    monkeypatch.delenv("RASA_EXCEPTION_WRITE_KEY", raising=False)
    rasa.telemetry.initialize_error_reporting()
    client = sentry_sdk.Hub.current.client
    assert client is not None and "sentry.io" in str(client.dsn)


def test_the_entry_point_runs_rasa_without_error_reporting(no_client, monkeypatch) -> None:
    seen = {}

    def fake_rasa_main() -> None:  # what rasa/__main__.py does first
        rasa.telemetry.initialize_error_reporting()
        seen["argv"] = list(sys.argv)
        seen["client"] = sentry_sdk.Hub.current.client

    monkeypatch.setattr(rasa.__main__, "main", fake_rasa_main)
    monkeypatch.setattr(rasa.telemetry, "initialize_error_reporting",
                        rasa.telemetry.initialize_error_reporting)  # restored after
    monkeypatch.setattr(sys, "argv", ["python -m bot.rasa_entry"])
    rasa_entry.main(["run", "actions", "--port", "5055"])
    assert seen == {"argv": ["rasa", "run", "actions", "--port", "5055"], "client": None}


def test_the_stack_starts_rasa_through_it() -> None:
    from bot.settings import Settings
    from bot.supervisor import Stack

    commands = Stack(Settings.from_env({})).commands()
    for name in ("rasa", "actions"):
        assert commands[name][1:3] == ["-m", "bot.rasa_entry"], commands[name]
