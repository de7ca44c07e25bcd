"""`make run` without a Telegram token (`python -m bot run`): the whole stack started by
the supervisor and the terminal chat, with the var directory and every port moved from
their defaults — Rasa must write where the adapter checks each turn (bot/endpoints.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess  # nosec B404
import sys

import pytest

from bot import i18n
from bot.settings import ROOT
from tests.stack import free_port

pytestmark = pytest.mark.stack


def test_make_run_with_its_var_dir_and_ports_moved(tmp_path):
    var = tmp_path / "var"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "RASA_TRACKER_STORE_URL", "RASA_TOKEN",
                          "TELEGRAM_BOT_TOKEN", "ACCORD_VAR_DIR"}}
    env.update({"ACCORD_VAR_DIR": str(var),
                "RASA_URL": f"http://127.0.0.1:{free_port()}",
                "ACTION_SERVER_PORT": str(free_port()),
                "STAFF_CONSOLE_PORT": str(free_port()),
                "RASA_TELEMETRY_ENABLED": "false"})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--sender", "make-run-test"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        input="bonjour\nje ne suis pas photographe, je suis le client\n/quit\n",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert i18n.text("terminal_rasa_down", "fr") not in out
    assert "Je suis Accord" in out  # the French greeting
    assert "Je peux enregistrer votre réclamation" in out  # the client's side
    with sqlite3.connect(var / "rasa_tracker.db") as db:
        (events,) = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = 'make-run-test'"
        ).fetchone()
    assert events > 0
