"""Accord's Rasa processes start without Rasa's crash reports to Sentry, even where
Rasa's telemetry is on (its default unless `RASA_TELEMETRY_ENABLED=false` or the user's
global Rasa config says otherwise).

Each check runs in a fresh interpreter: whether Sentry got a client is process-wide
state that other tests (running Rasa in-process) can change."""

from __future__ import annotations

import subprocess  # nosec B404
import sys

from bot.settings import ROOT

SENTRY_CLIENT = "import sentry_sdk; print('client:', sentry_sdk.Hub.current.client is not None)"


def run(code: str) -> str:
    """`code` run by this Python in the project's directory; its output."""
    result = subprocess.run(  # nosec B603
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                          "RASA_TELEMETRY_ENABLED": "true"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_rasa_itself_would_report_to_sentry() -> None:
    out = run("import rasa.telemetry; rasa.telemetry.initialize_error_reporting(); "
              + SENTRY_CLIENT)
    assert "client: True" in out


def test_the_entry_point_runs_rasa_without_error_reporting() -> None:
    out = run(
        "import sys, rasa.__main__, rasa.telemetry\n"
        "def fake_main():  # what rasa/__main__.py does first\n"
        "    rasa.telemetry.initialize_error_reporting()\n"
        "    print('argv:', sys.argv)\n"
        "rasa.__main__.main = fake_main\n"
        "from bot import rasa_entry\n"
        "rasa_entry.main(['run', 'actions', '--port', '5055'])\n"
        + SENTRY_CLIENT
    )
    assert "argv: ['rasa', 'run', 'actions', '--port', '5055']" in out
    assert "client: False" in out


def test_the_stack_starts_rasa_through_it() -> None:
    from bot.settings import Settings
    from bot.supervisor import Stack

    commands = Stack(Settings.from_env({})).commands()
    for name in ("rasa", "actions"):
        assert commands[name][1:3] == ["-m", "bot.rasa_entry"], commands[name]
