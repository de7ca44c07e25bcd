"""`/model/parse` latency and throughput per language against a real Rasa server."""

from __future__ import annotations

import asyncio
import itertools
import logging
import statistics
import time
from typing import Dict, List

import httpx

from bot.supervisor import Stack
from tests.benchmarks import procstat

logger = logging.getLogger(__name__)
TEXTS = {
    "fr": ["bonjour", "je suis photographe", "le client refuse de payer la séance",
           "quelles sont les étapes ?", "comment proposer un remboursement partiel",
           "je veux porter réclamation contre un studio", "c'est quoi la médiation ?",
           "merci beaucoup", "les photos sont floues", "et ensuite ?"],
    "zh": ["你好", "我是摄影师", "客户拒绝付款", "我该怎么办", "怎么协商退款",
           "我要投诉摄影工作室", "什么是调解", "谢谢", "照片质量很差", "下一步呢"],
    "ru": ["здравствуйте", "я фотограф", "клиент отказывается платить", "что делать?",
           "как предложить частичный возврат", "хочу подать жалобу на студию",
           "что такое медиация?", "спасибо", "фотографии размыты", "а дальше?"],
}


def percentile(values: List[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def _load(client: httpx.AsyncClient, token: str, texts: List[str],
                requests: int, concurrency: int) -> Dict[str, float]:
    """`requests` parses, `concurrency` at a time; latency p50/p99 (ms) and req/s."""
    source = itertools.cycle(texts)
    queue = [next(source) for _ in range(requests)]
    latencies: List[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while queue:
            text = queue.pop()
            began = time.perf_counter()
            try:
                response = await client.post("/model/parse", params={"token": token},
                                             json={"text": text})
                response.raise_for_status()
                latencies.append(time.perf_counter() - began)
            except httpx.HTTPError as error:
                errors += 1
                logger.warning("parse failed: %s", error)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "requests": requests, "errors": errors,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "rps": round(len(latencies) / elapsed, 1),
    }


async def _bench(stack: Stack, sequential: int, concurrent: int) -> List[Dict[str, object]]:
    rows: List[Dict[str, object]] = []
    token = stack.settings.rasa_token
    async with httpx.AsyncClient(base_url=stack.settings.rasa_url,
                                 timeout=httpx.Timeout(30.0, connect=5.0)) as client:
        for text in TEXTS["fr"][:3]:  # warm-up
            await client.post("/model/parse", params={"token": token}, json={"text": text})
        for language, texts in TEXTS.items():
            for concurrency, requests in ((1, sequential), (8, concurrent)):
                row = await _load(client, token, texts, requests, concurrency)
                rows.append({"language": language, "concurrency": concurrency, **row})
                logger.info("nlu %s c=%s: %s", language, concurrency, row)
    return rows


def run(stack: Stack, sequential: int = 100, concurrent: int = 200) -> Dict[str, object]:
    """The NLU section against a running stack, with its processes' CPU and memory."""
    rows = asyncio.run(_bench(stack, sequential, concurrent))
    processes = [procstat.read(p.pid, name) for name, p in stack.processes.items()]
    return {"parse": rows,
            "processes": [p.__dict__ for p in processes if p is not None]}
