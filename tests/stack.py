"""A real Rasa server and action server for tests, on free loopback ports."""

from __future__ import annotations

import os
import socket
from dataclasses import replace
from pathlib import Path

from bot.settings import ROOT, Settings
from bot.storage.db import migrate
from bot.supervisor import MODEL, Stack


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_settings(workdir: Path) -> Settings:
    """Settings whose every file lives under `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port = free_port()
    env = {
        "ACCORD_VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir}/accord.db",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_TOKEN": "test-token",
        "ACTION_SERVER_PORT": str(free_port()),
        "RASA_TRACKER_STORE_URL": f"sqlite:///{workdir}/tracker.db",
    }
    return Settings.from_env(env)


def start_stack(workdir: Path) -> Stack:
    """Starts both servers (migrating Accord's database first); waits until ready."""
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` (make test does)")
    settings = stack_settings(workdir)
    migrate(settings.database_url)
    stack = Stack(settings)  # endpoints written from the settings (bot/endpoints.py)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    stack.start()
    try:
        stack.wait_ready(timeout=300)
    except Exception:
        stack.stop()
        raise
    return stack


__all__ = ["ROOT", "free_port", "replace", "stack_settings", "start_stack"]
