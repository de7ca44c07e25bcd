"""The loopback load balancer against two small aiohttp upstreams (no Rasa needed)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, List, Tuple

import httpx
import pytest
from aiohttp import web

from bot.loadbalancer import LoadBalancer, Pool, Upstream, conversation_of, parse_pool
from tests.stack import free_port


async def _upstream(name: str, delay: float = 0.0) -> Tuple[web.AppRunner, str]:
    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.json_response({"upstream": name, "path": request.path_qs,
                                  "body": (await request.read()).decode()})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def balanced() -> AsyncIterator[Tuple[LoadBalancer, List[web.AppRunner], str]]:
    """Two upstreams (the second slow) behind a balancer on a free port."""
    first, url_a = await _upstream("a")
    second, url_b = await _upstream("b", delay=0.3)
    pool = Pool(free_port(), [Upstream(url_a), Upstream(url_b)], "/health", timeout=5.0)
    balancer = LoadBalancer([pool], interval=0.2)
    await balancer.start()
    yield balancer, [first, second], f"http://127.0.0.1:{pool.port}"
    await balancer.stop()
    for runner in (first, second):
        await runner.cleanup()


def test_parse_pool_expands_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """`$VAR` in the health path comes from the environment."""
    monkeypatch.setenv("RASA_TOKEN", "s3cret")
    pool = parse_pool("5005=http://a:1,http://b:2/@/status?token=$RASA_TOKEN", 9.0)
    assert (pool.port, pool.health_path, pool.timeout) == (5005, "/status?token=s3cret", 9.0)
    assert [u.url for u in pool.upstreams] == ["http://a:1", "http://b:2"]
    assert conversation_of(b'{"sender": "42", "message": "hi"}') == "42"
    assert conversation_of(b"not json") is None


async def test_round_robin_failover_and_503(balanced) -> None:
    """Requests alternate; a stopped upstream is skipped (its refused connection is
    retried on the other); with none left the answer is 503."""
    balancer, runners, url = balanced
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        names = [(await client.post("/x?q=1", content=b"{}")).json()["upstream"]
                 for _ in range(4)]
        assert sorted(names) == ["a", "a", "b", "b"]
        assert (await client.post("/x?q=1", content=b"{}")).json()["path"] == "/x?q=1"
        await runners[0].cleanup()
        answers = [await client.post("/x", content=b"{}") for _ in range(4)]
        assert [r.json()["upstream"] for r in answers] == ["b"] * 4
        stats = (await client.get("/_lb/stats")).json()
        assert [u["healthy"] for u in stats] == [False, True]
        await runners[1].cleanup()
        await asyncio.sleep(0.5)
        response = await client.post("/x", content=b"{}")
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"


async def test_concurrent_messages_of_one_conversation_share_an_upstream(balanced) -> None:
    """While a message of conversation X is in flight, the next one of X goes to the
    same upstream (Rasa's Redis lock is only atomic within one process)."""
    _, _, url = balanced
    body = b'{"sender": "X", "message": "hi"}'
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        for _ in range(3):
            answers = await asyncio.gather(*(client.post("/webhooks/rest/webhook",
                                                         content=body) for _ in range(4)))
            assert len({r.json()["upstream"] for r in answers}) == 1
