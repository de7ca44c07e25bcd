"""A 50-chat run through the fake Bot API: `python -m tests.telegram.load --chats 50`.

Starts the real Rasa stack (trained model), the fake Bot API and the adapter (long
polling), then every chat talks at once: each message waits for its first reply before
the next one. At the end Telegram re-delivers every update (as after a crash) to check
that nothing is answered twice. Prints replies, lost, duplicates and p50/p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import select

from bot.services import build_services
from bot.settings import Settings
from bot.storage.models import InboxUpdate, Turn
from bot.supervisor import Stack
from tests.stack import start_stack
from tests.telegram.conftest import fast_adapter, running, telegram_settings
from tests.telegram.fake_api import FakeTelegram

TOKEN = "123456:LOAD-token"
SCRIPTS = {
    "fr": ["bonjour", "je suis photographe", "le client refuse de payer", "merci"],
    "zh": ["你好", "我是摄影师", "客户不付款", "谢谢"],
    "ru": ["здравствуйте", "я фотограф", "клиент не платит", "спасибо"],
}


def percentile(values: List[float], share: float) -> float:
    """The `share` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def run(chats: int, messages: int, workdir: Path,
              rasa_url: Optional[str] = None, rasa_token: str = "") -> Dict[str, object]:
    """The load run (against a running Rasa when `rasa_url` is given); its numbers."""
    if rasa_url:
        stack = Stack(Settings.from_env({"ACCORD_VAR_DIR": str(workdir / "stack"),
                                         "RASA_URL": rasa_url, "RASA_TOKEN": rasa_token}))
    else:
        stack = await asyncio.to_thread(start_stack, workdir / "stack")
    fake = FakeTelegram(TOKEN)
    await fake.start()
    arrived: Dict[int, asyncio.Event] = {}
    fake.on_delivered = lambda call: (
        call.method == "sendMessage"
        and arrived.get(int(call.params["chat_id"]), asyncio.Event()).set()
    )
    settings = telegram_settings(stack.settings, fake, workdir / "app",
                                 telegram_staff_chat_id=None)
    services = build_services(settings)
    latencies: List[float] = []
    no_reply = 0

    async def chat(chat_id: int, language: str) -> None:
        nonlocal no_reply
        script = SCRIPTS[language]
        for n in range(messages):
            event = arrived.setdefault(chat_id, asyncio.Event())
            event.clear()
            started = time.monotonic()
            fake.push_text(chat_id, script[n % len(script)], language)
            try:
                await asyncio.wait_for(event.wait(), timeout=60)
                latencies.append(time.monotonic() - started)
            except asyncio.TimeoutError:
                no_reply += 1
            await asyncio.sleep(0.5)  # the user reads

    try:
        await services.rasa.send("load-warm-up", "bonjour")  # the first turn loads models
        async with running(settings, services, fast_adapter(settings, services)):
            started = time.monotonic()
            languages = list(SCRIPTS)
            await asyncio.gather(*(chat(5_000_000 + n, languages[n % 3])
                                   for n in range(chats)))
            elapsed = time.monotonic() - started
            fake.rewind(0)  # Telegram delivers everything once more
            await asyncio.sleep(3)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(
                r.done_at is None for r in _rows(services, InboxUpdate)
            ):
                await asyncio.sleep(0.2)
        rows = _rows(services, InboxUpdate)
        turns = Counter(t.conversation_id for t in _rows(services, Turn)
                        if t.direction == "in")
        expected = chats * messages
        return {
            "chats": chats,
            "messages": expected,
            "replies": sum(1 for c in fake.delivered if c.method == "sendMessage"),
            "answered_messages": len(latencies),
            "lost": no_reply + sum(1 for r in rows if r.done_at is None)
            + max(0, expected - len(rows)),
            "duplicates": sum(max(0, count - messages) for count in turns.values()),
            "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99) * 1000) if latencies else None,
            "elapsed_s": round(elapsed, 1),
        }
    finally:
        await services.aclose()
        await fake.stop()
        await asyncio.to_thread(stack.stop)


def _rows(services, model) -> list:
    with services.sessions() as session:
        return list(session.execute(select(model)).scalars())


def main(argv: List[str] = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=4, help="messages per chat")
    parser.add_argument("--rasa-url", help="a running Rasa server (else one is started)")
    parser.add_argument("--rasa-token", default="test-token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="accord-load-") as workdir:
        result = asyncio.run(run(args.chats, args.messages, Path(workdir),
                                 args.rasa_url, args.rasa_token))
    print(json.dumps(result, ensure_ascii=False))
    for key in ("replies", "lost", "duplicates", "p50_ms", "p99_ms"):
        print(f"{key}: {result[key]}")
    return 0 if result["lost"] == 0 and result["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
