"""Two Rasa replicas on the real PostgreSQL and Redis, behind the load balancer.

Starts a throwaway PostgreSQL database, two Rasa replicas sharing its tracker store and a
Redis lock store, two action servers and `bot.loadbalancer` on free loopback ports
(`bot.prod.ProdStack`, the topology of `make run-prod`), then talks through the balancer.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest

from bot.prod import ProdConfig, ProdStack, prepare_databases
from bot.supervisor import MODEL
from tests.stack import free_port, stack_settings

logger = logging.getLogger(__name__)
pytestmark = [pytest.mark.postgres, pytest.mark.stack]
SCRIPTS = {
    "fr": ["bonjour", "je suis photographe", "le client refuse de payer",
           "quelles sont les étapes ?", "et ensuite ?", "merci"],
    "zh": ["你好", "我是摄影师", "客户不付款", "我该怎么办", "下一步呢", "谢谢"],
    "ru": ["здравствуйте", "я фотограф", "клиент не платит", "что делать?",
           "а дальше?", "спасибо"],
}
RETRIABLE = {502, 503, 504}


def _unreachable(port: int) -> Optional[str]:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return None
    except OSError as error:
        return str(error)


@pytest.fixture(scope="module")
def prod_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdStack]:
    """The replicated stack on a fresh database; dropped afterwards."""
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        error = _unreachable(port)
        if error:
            pytest.skip(f"{name} not reachable at 127.0.0.1:{port}: {error}")
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train`")
    import psycopg2

    db = f"accord_prod_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres",
                             dbname="postgres", connect_timeout=5)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{db}"')
    config = ProdConfig(postgres_db=db, rasa_tracker_db=db,
                        redis_key_prefix=db.replace("_", ""), redis_db=2,
                        rasa_ports=(free_port(), free_port()),
                        action_ports=(free_port(), free_port()),
                        ticket_lock_lifetime=10, upstream_timeout=40.0)
    settings = replace(stack_settings(Path(tmp_path_factory.mktemp("prod"))),
                       database_url=config.postgres_url(),
                       rasa_tracker_store_url=config.postgres_url())
    prepare_databases(settings, config)
    stack = ProdStack(settings, prod=config)
    stack.start()
    try:
        stack.wait_ready(timeout=240)
        yield stack
    finally:
        stack.stop()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()


@dataclass
class Talk:
    """What one conversation sent and got back."""

    sender: str
    sent: List[str] = field(default_factory=list)
    replies: List[List[Optional[str]]] = field(default_factory=list)
    retried: int = 0


async def send(client: httpx.AsyncClient, talk: Talk, text: str,
               budget: float = 120.0) -> List[Optional[str]]:
    """Posts one message, retrying 502/503/504 and broken connections (as the adapter
    does) until it is answered or `budget` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    while True:
        try:
            response = await client.post("/webhooks/rest/webhook",
                                         json={"sender": talk.sender, "message": text})
            if response.status_code not in RETRIABLE:
                response.raise_for_status()
                return [item.get("text") for item in response.json()]
        except httpx.TransportError:
            pass
        if loop.time() > deadline:
            raise AssertionError(f"{talk.sender}: {text!r} never answered")
        talk.retried += 1
        await asyncio.sleep(0.5)


async def converse(client: httpx.AsyncClient, talk: Talk, script: List[str],
                   turns: int, on_reply: Optional[asyncio.Event] = None) -> None:
    """Closed loop: each message waits for its reply."""
    for text in script[:turns]:
        talk.sent.append(text)
        talk.replies.append(await send(client, talk, text))
        if on_reply is not None:
            on_reply.set()


async def tracker_turns(client: httpx.AsyncClient, token: str,
                        sender: str) -> List[Tuple[str, List[Optional[str]]]]:
    """(user text, bot texts that followed) for every user message in the tracker."""
    response = await client.get(f"/conversations/{sender}/tracker",
                                params={"token": token, "include_events": "ALL"})
    response.raise_for_status()
    turns: List[Tuple[str, List[Optional[str]]]] = []
    for event in response.json()["events"]:
        if event["event"] == "user":
            turns.append((event.get("text"), []))
        elif event["event"] == "bot" and turns:
            turns[-1][1].append(event.get("text"))
    return turns


async def check_complete(client: httpx.AsyncClient, token: str, talk: Talk) -> None:
    """The tracker holds every message once, in order, each followed by the replies
    its HTTP call returned. A retried message may appear twice in a row only when its
    first attempt was processed before the replica died."""
    turns = await tracker_turns(client, token, talk.sender)
    collapsed: List[Tuple[str, List[Optional[str]]]] = []
    for text, bots in turns:
        if collapsed and collapsed[-1][0] == text and talk.retried:
            collapsed[-1] = (text, bots)
        else:
            collapsed.append((text, bots))
    assert [t for t, _ in collapsed] == talk.sent, talk.sender
    assert [_joined(b) for _, b in collapsed] == [_joined(r) for r in talk.replies]
    assert all(talk.replies), f"{talk.sender}: a message got no reply"


def _joined(texts: List[Optional[str]]) -> str:
    """The REST channel splits a text at blank lines; the tracker keeps it whole."""
    return "\n\n".join(t.strip() for t in texts if t)


def _talks(count: int, tag: str) -> List[Tuple[Talk, List[str]]]:
    languages = list(SCRIPTS)
    return [(Talk(f"{tag}-{n}-{uuid.uuid4().hex[:6]}"), SCRIPTS[languages[n % 3]])
            for n in range(count)]


def _client(stack: ProdStack) -> httpx.AsyncClient:
    # the REST channel refuses messages without the token (bot/rasa_channel.py)
    return httpx.AsyncClient(base_url=stack.settings.rasa_url,
                             headers={"Authorization": f"Bearer {stack.settings.rasa_token}"},
                             timeout=httpx.Timeout(60.0, connect=5.0))


async def test_interleaved_conversations_in_order(prod_stack: ProdStack) -> None:
    """Six conversations at once, round-robin over both replicas: every reply in order,
    every turn in the shared tracker store; both replicas served."""
    token = prod_stack.settings.rasa_token
    async with _client(prod_stack) as client:
        talks = _talks(6, "interleaved")
        await asyncio.gather(*(converse(client, t, s, 4) for t, s in talks))
        for talk, _ in talks:
            await check_complete(client, token, talk)
        stats: List[Dict[str, Any]] = (await client.get("/_lb/stats")).json()
    assert len(stats) == 2 and all(u["served"] > 0 for u in stats), stats


async def test_same_conversation_on_both_replicas_is_serialised(
        prod_stack: ProdStack) -> None:
    """Two messages of one conversation sent at the same moment land on different
    replicas; the Redis lock runs them one after the other (no interleaved events)."""
    token = prod_stack.settings.rasa_token
    async with _client(prod_stack) as client:
        for talk, script in _talks(3, "pair"):
            first, second = script[0], script[1]
            a, b = await asyncio.gather(send(client, talk, first),
                                        send(client, talk, second))
            turns = await tracker_turns(client, token, talk.sender)
            assert sorted(t for t, _ in turns) == sorted([first, second])
            by_text = {t: bots for t, bots in turns}
            assert _joined(by_text[first]) == _joined(a)
            assert _joined(by_text[second]) == _joined(b)
            assert a and b


async def test_replica_killed_mid_load_loses_nothing(prod_stack: ProdStack) -> None:
    """Nine conversations of six turns; one replica is SIGKILLed after a few replies.
    Every message is answered (directly or after a retriable error) and every tracker
    is complete."""
    token = prod_stack.settings.rasa_token
    async with _client(prod_stack) as client:
        talks = _talks(9, "killed")
        replied = asyncio.Event()
        load = asyncio.gather(*(converse(client, t, s, 6, replied) for t, s in talks))
        await asyncio.wait_for(replied.wait(), timeout=120)
        await asyncio.sleep(1.0)  # requests are in flight on both replicas
        await asyncio.to_thread(prod_stack.kill, "rasa-1")
        await load
        for talk, _ in talks:
            await check_complete(client, token, talk)
        stats = (await client.get("/_lb/stats")).json()
    logger.info("after the kill: %s retried sends; balancer %s",
                sum(t.retried for t, _ in talks), stats)
    assert [u["healthy"] for u in stats].count(True) == 1, stats
    assert sum(len(t.sent) for t, _ in talks) == 54
