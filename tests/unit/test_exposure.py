"""What is reachable and by whom: the Rasa server and the action server listen on
loopback only, Rasa's HTTP API needs the token, and so does the REST channel (which
would otherwise believe any `sender`). Each test fails if the protection is removed;
none of them starts the Rasa server."""

from __future__ import annotations

import hmac
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, List

import httpx
import pytest
from sanic import Sanic

from bot import rasa_channel
from bot.prod import ProdConfig, ProdStack
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.settings import ROOT, Settings
from bot.supervisor import Stack
from tests.stack import free_port

TOKEN = "exposure-test-token"


def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"RASA_TOKEN": TOKEN, "ACCORD_VAR_DIR": str(tmp_path)})


def _after(argv: List[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_rasa_server_is_loopback_and_token_protected(tmp_path: Path) -> None:
    for stack in (Stack(settings(tmp_path)), ProdStack(settings(tmp_path), prod=ProdConfig())):
        rasa = [argv for name, argv in stack.commands().items() if name.startswith("rasa")]
        assert rasa, stack
        for argv in rasa:
            assert _after(argv, "--interface") == "127.0.0.1"
            assert "--enable-api" in argv and _after(argv, "--auth-token") == TOKEN
            assert Path(_after(argv, "--credentials")) == ROOT / "credentials.yml"
        env = stack._env()
        assert env["SANIC_HOST"] == "127.0.0.1"  # the action server (rasa_sdk)
        assert env["RASA_TOKEN"] == TOKEN  # the REST channel's token


def test_credentials_load_only_the_token_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    assert [type(c) for c in channels] == [rasa_channel.TokenRestInput]
    assert channels[0].url_prefix() == "rest" and channels[0].token == TOKEN


def _listening_addresses(port: int) -> List[str]:
    """Local addresses in LISTEN state on `port` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_action_server_listens_on_loopback_only(tmp_path: Path) -> None:
    """The action server (rasa_sdk) started with the stack's environment binds
    127.0.0.1, not every interface."""
    port = free_port()
    env = {**Stack(settings(tmp_path))._env(), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "json", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _listening_addresses(port):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        assert set(_listening_addresses(port)) == {"0100007F"}  # 127.0.0.1
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
async def rest_server(monkeypatch: pytest.MonkeyPatch):
    """Accord's REST channel in a Sanic app, with an agent that echoes."""
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process
    app = Sanic(f"rest_{free_port()}", configure_logging=False)
    received: List[Any] = []

    from rasa.core.channels.channel import register
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.shared.core.trackers import DialogueStateTracker

    async def reply(message: Any) -> None:
        received.append((message.sender_id, message.text))
        await message.output_channel.send_text_message(message.sender_id, "ok")

    class Processor:
        """The steps of MessageProcessor.handle_message that /turn runs."""

        async def log_message(self, message: Any, should_save_tracker: bool) -> Any:
            await reply(message)
            return DialogueStateTracker(message.sender_id, slots=[])

        async def run_action_extract_slots(self, _channel: Any, tracker: Any) -> Any:
            return tracker

        async def _run_prediction_loop(self, _channel: Any, _tracker: Any) -> None:
            return None

        async def run_anonymization_pipeline(self, _tracker: Any) -> None:
            return None

        async def save_tracker(self, _tracker: Any) -> None:
            return None

    class Agent:
        processor = Processor()
        lock_store = InMemoryLockStore()

        def is_ready(self) -> bool:
            return True

        async def handle_message(self, message: Any) -> None:
            await reply(message)

    app.ctx.agent = Agent()
    register([rasa_channel.TokenRestInput(TOKEN)], app, "/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, access_log=False,
                                     return_asyncio_server=True)
    await server.startup()
    yield f"http://127.0.0.1:{port}", received
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("route", ["webhook", "turn"])
@pytest.mark.parametrize("headers, params, status", [
    ({}, {}, 401),
    ({"Authorization": "Bearer nope"}, {}, 401),
    ({"Authorization": f"Bearer {TOKEN}x"}, {}, 401),
    ({"Authorization": TOKEN}, {}, 401),
    ({}, {"token": "nope"}, 401),
    ({"Authorization": f"Bearer {TOKEN}"}, {}, 200),
    ({}, {"token": TOKEN}, 200),
])
async def test_rest_channel_needs_the_token(rest_server, monkeypatch, headers, params,
                                            status, route) -> None:
    url, received = rest_server
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(rasa_channel.hmac, "compare_digest",
                        lambda a, b: calls.append(1) or real(a, b))
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{url}/webhooks/rest/{route}", headers=headers,
                                     params=params, json={"sender": "victim", "message": "hi"})
    assert response.status_code == status
    assert received == ([("victim", "hi")] if status == 200 else [])
    if headers.get("Authorization", "").startswith("Bearer ") or params:
        assert calls == [1]  # constant-time comparison


async def test_the_adapter_client_sends_the_token(rest_server) -> None:
    url, received = rest_server
    client = RasaClient(url, TOKEN, 10.0)
    try:
        replies = await client.send("42", "bonjour")
    finally:
        await client.aclose()
    assert [r.text for r in replies] == ["ok"] and received == [("42", "bonjour")]
    stranger = RasaClient(url, "not-the-token", 10.0)
    try:
        with pytest.raises(RasaUnavailable):
            await stranger.send("42", "bonjour")
    finally:
        await stranger.aclose()
    assert len(received) == 1


def test_channel_without_any_token_refuses_to_start(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(rasa_channel, "_configured_token", lambda: "")
    with pytest.raises(ValueError):
        rasa_channel.TokenRestInput.from_credentials(None)
