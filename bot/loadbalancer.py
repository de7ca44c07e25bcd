"""Loopback reverse proxy: `python -m bot.loadbalancer --pool PORT=URL,URL@HEALTH_PATH …`.

Round-robin over the upstreams that answer the health probe (every second; `$VAR` in the
path comes from the environment). Refused connections move on to the next upstream; other
failures too for GET/HEAD, else 502 (503 when none is healthy): the client retries.
Concurrent messages of one conversation share an upstream. `GET /_lb/stats`: counters.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
              "te", "trailers", "transfer-encoding", "upgrade", "host", "content-length"}
IDEMPOTENT = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Upstream:
    """One backend and what the balancer knows of it."""

    url: str
    healthy: bool = False
    misses: int = 3
    served: int = 0
    failed: int = 0


@dataclass
class Pool:
    """Upstreams served on one listening port."""

    port: int
    upstreams: List[Upstream]
    health_path: str = "/"
    timeout: float = 60.0
    _cycle: itertools.count = field(default_factory=itertools.count)
    busy: Dict[str, Tuple[Upstream, int]] = field(default_factory=dict)

    def candidates(self, sender: Optional[str] = None) -> List[Upstream]:
        """Healthy upstreams, round-robin; first the one busy with `sender` (Rasa's
        RedisLockStore is not atomic across processes, only within one)."""
        start = next(self._cycle) % len(self.upstreams)
        ordered = self.upstreams[start:] + self.upstreams[:start]
        pinned = self.busy[sender][0] if sender in self.busy else None
        ordered.sort(key=lambda upstream: upstream is not pinned)
        return [upstream for upstream in ordered if upstream.healthy]

    def enter(self, sender: Optional[str], upstream: Upstream, step: int = 1) -> None:
        """Counts requests of `sender` in flight on `upstream` (step -1: one is done)."""
        if sender is not None:
            count = self.busy.pop(sender, (upstream, 0))[1] + step
            if count > 0:
                self.busy[sender] = (upstream, count)


def conversation_of(body: bytes) -> Optional[str]:
    """The `sender` of a REST channel message, else None."""
    try:
        sender = json.loads(body).get("sender") if body[:1] == b"{" else None
    except (ValueError, AttributeError):
        return None
    return None if sender is None else str(sender)


def parse_pool(spec: str, timeout: float) -> Pool:
    """`PORT=URL[,URL…][@HEALTH_PATH]` → Pool (`$VAR`: keeps tokens off command lines)."""
    port, rest = spec.split("=", 1)
    urls, _, health = rest.partition("@")
    return Pool(int(port), [Upstream(u.rstrip("/")) for u in urls.split(",") if u],
                os.path.expandvars(health) or "/", timeout)


class LoadBalancer:
    """Serves every pool; start with `await start()`, stop with `await stop()`."""

    def __init__(self, pools: Sequence[Pool], host: str = "127.0.0.1",
                 interval: float = 1.0) -> None:
        self.pools, self.host, self.interval = list(pools), host, interval
        self._runners: List[web.AppRunner] = []
        self._session: aiohttp.ClientSession  # created in start()
        self._checker: Optional[asyncio.Task] = None

    async def start(self) -> None:
        """Probes every upstream once, then listens on each pool's port."""
        self._session = aiohttp.ClientSession(  # no keep-alive: no stale connection
            connector=aiohttp.TCPConnector(force_close=True, limit=0), auto_decompress=False)
        await self.check_all()
        self._checker = asyncio.create_task(self._check_forever())
        for pool in self.pools:
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}",
                                 lambda request, pool=pool: self._proxy(pool, request))
            self._runners.append(web.AppRunner(app, access_log=None))
            await self._runners[-1].setup()
            await web.TCPSite(self._runners[-1], self.host, pool.port).start()
            logger.info("balancing :%s over %s", pool.port, [u.url for u in pool.upstreams])

    async def stop(self) -> None:
        """Stops listening and probing."""
        if self._checker:
            self._checker.cancel()
        for runner in self._runners:
            await runner.cleanup()
        await self._session.close()

    async def check_all(self) -> None:
        """One health probe of every upstream."""
        async def probe(pool: Pool, upstream: Upstream) -> None:
            try:  # refused or an error status: down now; slow (busy): down after 3
                async with self._session.get(
                        upstream.url + pool.health_path,
                        timeout=aiohttp.ClientTimeout(total=3.0)) as response:
                    upstream.misses = 0 if response.status == 200 else 3
            except aiohttp.ClientConnectorError:
                upstream.misses = 3
            except (aiohttp.ClientError, asyncio.TimeoutError):
                upstream.misses += 1
            healthy = upstream.misses < 3
            if healthy != upstream.healthy:
                logger.info("%s is %s", upstream.url, "up" if healthy else "down")
            upstream.healthy = healthy

        await asyncio.gather(*(probe(p, u) for p in self.pools for u in p.upstreams))

    async def _check_forever(self) -> None:
        while not await asyncio.sleep(self.interval):
            await self.check_all()

    async def _proxy(self, pool: Pool, request: web.Request) -> web.StreamResponse:
        if request.path == "/_lb/stats":
            return web.json_response([u.__dict__ for u in pool.upstreams])
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        sender = conversation_of(body)
        for upstream in pool.candidates(sender):
            pool.enter(sender, upstream)
            try:
                async with self._session.request(
                        request.method, upstream.url + request.path_qs, data=body,
                        headers=headers, allow_redirects=False,
                        timeout=aiohttp.ClientTimeout(total=pool.timeout, connect=2.0),
                ) as response:
                    payload = await response.read()
                    upstream.served += 1
                    out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=response.status, body=payload, headers=out)
            except aiohttp.ClientConnectorError as error:
                upstream.healthy, upstream.misses, upstream.failed = False, 3, upstream.failed + 1
                logger.warning("%s refused (%s): next upstream", upstream.url, error)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                upstream.failed += 1
                logger.warning("%s failed on %s: %r", upstream.url, request.path, error)
                if request.method not in IDEMPOTENT:
                    return web.Response(status=502, text="upstream failed; retry")
            finally:
                pool.enter(sender, upstream, -1)
        return web.Response(status=503, text="no healthy upstream", headers={"Retry-After": "1"})


async def serve(pools: Sequence[Pool], host: str, interval: float) -> None:
    """Runs the balancer until SIGINT or SIGTERM."""
    balancer, stop = LoadBalancer(pools, host, interval), asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await balancer.start()
    try:
        await stop.wait()
    finally:
        await balancer.stop()


def main(argv: Optional[List[str]] = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description="Accord's loopback load balancer")
    parser.add_argument("--pool", action="append", required=True, help="PORT=URLS@HEALTH")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--interval", type=float, default=1.0, help="health probe period")
    parser.add_argument("--timeout", type=float, default=60.0, help="per upstream call")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(serve([parse_pool(p, args.timeout) for p in args.pool], args.host, args.interval))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
