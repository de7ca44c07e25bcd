"""`make run`: starts the action server and the Rasa server, waits until they answer,
then serves Telegram (with a token) or the terminal chat, and stops them on exit."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import signal
# starts our own servers, fixed argv, no shell
import subprocess  # nosec B404
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import httpx

from bot.settings import ROOT, Settings

logger = logging.getLogger(__name__)
# one message per script the tokenizer treats differently (not shown to anyone)
WARM_UP_TEXTS = ("bonjour", "你好", "здравствуйте")
MODEL = ROOT / "models" / "accord.tar.gz"
DEV_ENDPOINTS = ROOT / "endpoints.yml"
# `rasa …` without Rasa's crash reports to its Sentry project (bot/rasa_entry.py)
RASA_COMMAND = (sys.executable, "-m", "bot.rasa_entry")


@dataclass
class Stack:
    """The child processes of the stack."""

    settings: Settings
    model: Path = MODEL
    endpoints: Path = DEV_ENDPOINTS
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)

    def _env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # one BLAS/OpenMP thread per server: on a few cores shared by several servers,
        # threaded matrix products spin against each other (README, "Benchmarks")
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")
        env["PYTHONPATH"] = str(ROOT)
        env["SANIC_HOST"] = "127.0.0.1"  # the action server is never reachable outside
        env["DATABASE_URL"] = self.settings.database_url
        for code, url in self.settings.regional_database_urls.items():
            env[f"ACCORD_DATABASE_URL_{code}"] = url  # where the actions file cases
        # the REST channel (bot/rasa_channel.py) checks this token on every message
        env["RASA_TOKEN"] = self.settings.rasa_token
        # the action server writes generated documents under var_dir/documents, where
        # the channels look for them
        env["ACCORD_VAR_DIR"] = str(self.settings.var_dir)
        return env

    with_console: bool = False

    def commands(self) -> Dict[str, List[str]]:
        """The command line of each process."""
        rasa = RASA_COMMAND
        console = (
            {"console": [sys.executable, "-m", "bot", "console"]}
            if self.with_console
            else {}
        )
        return {
            **console,
            "actions": [
                *rasa, "run", "actions", "--actions", "actions",
                "--port", str(self.settings.action_server_port),
            ],
            "rasa": [
                *rasa, "run", "--enable-api", "--auth-token", self.settings.rasa_token,
                "--interface", "127.0.0.1", "--port", str(self.settings.rasa_port),
                "--model", str(self.model), "--endpoints", str(self.endpoints),
                "--credentials", str(ROOT / "credentials.yml"),
            ],
        }

    def start(self) -> None:
        """Starts every process, logging to var/logs/<name>.log. With the development
        endpoints.yml, Rasa gets a copy written from the settings (bot/endpoints.py)."""
        if self.endpoints == DEV_ENDPOINTS:
            from bot.endpoints import write_dev_endpoints

            self.endpoints = write_dev_endpoints(self.settings)
        logs = self.settings.var_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name, command in self.commands().items():
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
            # argv built from settings, no shell
            self.processes[name] = subprocess.Popen(  # nosec B603
                command,
                cwd=ROOT,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
            logger.info("started %s (pid %s)", name, self.processes[name].pid)

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Blocks until Rasa has its model loaded and the action server answers."""
        deadline = time.monotonic() + timeout
        pending = dict(self.health_checks())
        while pending:
            for name, (url, params) in list(pending.items()):
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
                try:
                    response = httpx.get(url, params=params, timeout=2.0)
                    if response.status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready: {', '.join(pending)}")
            time.sleep(0.5)
        self.warm_up()

    def warm_up(self) -> None:
        """Parses one message per language on every Rasa server: the tokenizers and
        encoders load on first use, which otherwise costs the first French, Chinese
        and Russian users about a second each."""
        for name, (url, params) in self.health_checks().items():
            if not name.startswith("rasa") or not url.endswith("/status"):
                continue
            for text in WARM_UP_TEXTS:
                try:
                    httpx.post(url[: -len("/status")] + "/model/parse", params=params,
                               json={"text": text}, timeout=30.0)
                except httpx.HTTPError as error:
                    logger.warning("warm-up of %s failed: %s", name, type(error).__name__)

    def health_checks(self) -> Dict[str, Tuple[str, Dict[str, str]]]:
        """Per process name: the URL (and query) that answers 200 once it is ready."""
        checks: Dict[str, Tuple[str, Dict[str, str]]] = {
            "actions": (f"http://127.0.0.1:{self.settings.action_server_port}/health", {}),
            "rasa": (
                f"http://127.0.0.1:{self.settings.rasa_port}/status",
                {"token": self.settings.rasa_token},
            ),
        }
        if "console" in self.processes:
            checks["console"] = (
                f"http://127.0.0.1:{self.settings.staff_console_port}/healthz",
                {},
            )
        return checks

    def stop(self) -> None:
        """Stops the processes (SIGTERM, then SIGKILL after 15 s)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the supervisor dies, even by SIGKILL (Linux), so
    that no server outlives a crashed `make run` or test run and keeps its port."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run(settings: Settings, sender: Optional[str] = None) -> int:
    """The whole stack in the foreground."""
    from bot.retention_job import start_retention
    from bot.storage.db import migrate_all

    migrate_all(settings)
    stack = Stack(settings, with_console=importlib.util.find_spec("bot.console") is not None)
    stack.start()
    retention = start_retention(settings)
    try:
        stack.wait_ready()
        if settings.telegram_bot_token:
            from bot.telegram.app import run_telegram

            run_telegram(settings)
        else:
            asyncio.run(_terminal(settings, sender))
    finally:
        if retention is not None:
            retention.stop()
        stack.stop()
    return 0


async def _terminal(settings: Settings, sender: Optional[str]) -> None:
    from bot.services import build_services
    from bot.terminal import chat

    services = build_services(settings)
    try:
        await chat(services.conversations("terminal"), sender)
    finally:
        await services.aclose()
