"""Fault injectors for the reliability tests: an HTTP front for Rasa that errors or is
slow, an action server that dies during a turn, the stack's action server stopped and
restarted, SQLite write locks held by another connection, and readers of Rasa's store."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess  # nosec B404 - restarts the test stack's own action server
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import httpx
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.settings import ROOT
from bot.supervisor import Stack
from tests.stack import free_port


class RasaFront:
    """An HTTP front for Rasa on a loopback port. Each webhook call takes the next mode
    of `plan`: "error_before" (500, Rasa never sees the message), "error_after" (Rasa
    handles it, the caller gets 500), "slow" (Rasa handles it, the answer is held
    `hold` seconds, longer than the client's timeout); then "pass"."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.plan: List[str] = []
        self.hold = 5.0
        self.webhook_calls = 0
        self.on_answered: Optional[Callable[[], None]] = None
        self._runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        """RASA_URL for the adapter."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Serves on `port`."""
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Stops serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        webhook = request.path.startswith("/webhooks/")
        mode = self.plan.pop(0) if webhook and self.plan else "pass"
        self.webhook_calls += int(webhook)
        if mode == "error_before":
            return web.Response(status=500, text="upstream error")
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "authorization")}
        async with httpx.AsyncClient(timeout=120) as client:
            upstream = await client.request(request.method, self.target + request.path_qs,
                                            content=body, headers=headers)
        if webhook and self.on_answered is not None:
            self.on_answered()
        if mode == "error_after":
            return web.Response(status=500, text="upstream error")
        if mode == "slow":
            await asyncio.sleep(self.hold)
        return web.Response(status=upstream.status_code, body=upstream.content,
                            content_type="application/json")


class DyingActionServer:
    """Stands in for the action server on its port: healthy until Rasa calls an
    action, then the call fails and the health check too (it died mid-turn)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls = 0
        self._runner: Optional[web.AppRunner] = None

    async def start(self) -> None:
        """Serves on the action server's port."""
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        """Frees the port."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=503 if self.calls else 200)

    async def _webhook(self, request: web.Request) -> web.Response:
        self.calls += 1
        return web.Response(status=500, text="action server crashed")


class ActionServer:
    """The test stack's action server process: stopped and started again."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.port = stack.settings.action_server_port

    def stop(self) -> None:
        """SIGTERM, then waits until it is gone."""
        process = self.stack.processes["actions"]
        process.terminate()
        process.wait(timeout=30)

    def start(self, timeout: float = 120.0) -> None:
        """Starts it again on the same port and waits for its health check."""
        log = open(self.stack.settings.var_dir / "logs" / "actions.log", "ab")  # noqa: SIM115
        self.stack.processes["actions"] = subprocess.Popen(  # nosec B603 - fixed argv
            self.stack.commands()["actions"], cwd=ROOT, env=self.stack._env(),
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).is_success:
                    return
            time.sleep(0.3)
        raise TimeoutError("the action server did not come back")

    def running(self) -> bool:
        """True when the process is alive."""
        return self.stack.processes["actions"].poll() is None


@contextlib.contextmanager
def sqlite_write_lock(path: str) -> Iterator[Callable[[], None]]:
    """Another connection holds SQLite's write lock on `path` (BEGIN IMMEDIATE) until
    the block ends or the yielded `release()` is called; readers still read (WAL)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            connection.execute("ROLLBACK")

    try:
        yield release
    finally:
        release()
        connection.close()


def sqlite_path(url: str) -> str:
    """The file of a sqlite:/// URL."""
    return url.split("///", 1)[1]


def tracker_user_texts(engine: Engine, sender: str) -> List[str]:
    """The user messages of `sender` in Rasa's SQL tracker store, in order."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' "
                 "ORDER BY id"), {"s": sender}).scalars().all()
    return [json.loads(row).get("text") for row in rows]


def tracker_events(engine: Engine, sender: str) -> List[Dict[str, Any]]:
    """Every stored event of `sender`, in order."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender}).scalars().all()
    return [json.loads(row) for row in rows]
