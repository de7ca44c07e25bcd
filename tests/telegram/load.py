"""A 50-chat run through the fake Bot API: `python -m tests.telegram.load --chats 50`.

Starts the real Rasa stack (trained model), the fake Bot API and the adapter (long
polling), then every chat talks at once: each message waits for its first reply before
the next one, and the user reads for `--think` seconds (closed loop; the chats' first
messages are spread over one think time, as users do not all start at the same instant). With `--rate R`
the messages arrive at a fixed rate instead (open loop, `--seconds` long, spread over
`--chats` chats, each chat still waiting for its reply): a message's latency counts from
the moment it was due, so a backlog shows in the numbers (no coordinated omission). At
the end Telegram re-delivers every update (as after a crash) to check that nothing is
answered twice. Prints replies, lost, duplicates and p50/p95/p99/max latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
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
              rasa_url: Optional[str] = None, rasa_token: str = "",
              think: float = 0.5, rate: Optional[float] = None,
              rotate: int = 0) -> Dict[str, object]:
    """The load run (against a running Rasa when `rasa_url` is given); its numbers.
    Closed loop with `think` seconds between a reply and the next message, or, with
    `rate`, each chat's messages due every `chats / rate` seconds. With `rotate`, a chat
    is a new user (a new Telegram chat) after every `rotate` messages."""
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
    by_turn: Dict[int, List[float]] = {}  # latencies of each chat's n-th message
    by_window: Dict[int, List[float]] = {}  # by 10 s window of the run
    no_reply = 0

    async def chat(first_id: int, language: str, due: Optional[float],
                   delay: float = 0.0) -> None:
        nonlocal no_reply
        script = SCRIPTS[language]
        await asyncio.sleep(delay)  # closed loop: users do not all start at once
        for n in range(messages):
            chat_id = first_id + (n // rotate) * 10_000_000 if rotate else first_id
            if due is not None:  # open loop: wait for this message's slot
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            event = arrived.setdefault(chat_id, asyncio.Event())
            event.clear()
            started = due if due is not None else time.monotonic()
            fake.push_text(chat_id, script[n % len(script)], language)
            try:
                await asyncio.wait_for(event.wait(), timeout=60)
                latency = time.monotonic() - started
                latencies.append(latency)
                by_turn.setdefault(n % len(script), []).append(latency)
                by_window.setdefault(int((started - begun) // 10), []).append(latency)
            except asyncio.TimeoutError:
                no_reply += 1
            if due is None:
                await asyncio.sleep(think)  # the user reads
            else:
                due += chats / rate

    try:
        await services.rasa.send("load-warm-up", "bonjour")  # the first turn loads models
        async with running(settings, services, fast_adapter(settings, services)):
            started = begun = time.monotonic()
            languages = list(SCRIPTS)
            await asyncio.gather(*(
                chat(5_000_000 + n, languages[n % 3],
                     started + n / rate if rate else None, n * think / chats)
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
            "duplicates": sum(max(0, count - min(rotate or messages, messages))
                              for count in turns.values()),
            **{f"p{int(share * 100)}_ms": round(percentile(latencies, share) * 1000)
               if latencies else None for share in (0.5, 0.95, 0.99)},
            "max_ms": round(max(latencies) * 1000) if latencies else None,
            "elapsed_s": round(elapsed, 1),
            "msg_per_s": round(len(latencies) / elapsed, 1) if elapsed else None,
            # p50/p99 ms of each turn of the script, and of each 10 s of the run
            "by_turn": _summary(by_turn),
            "by_10s": _summary(by_window),
            "think_s": None if rate else think,
            "rate": rate,
        }
    finally:
        await services.aclose()
        await fake.stop()
        await asyncio.to_thread(stack.stop)


def _summary(groups: Dict[int, List[float]]) -> Dict[int, List[int]]:
    return {key: [round(percentile(values, 0.5) * 1000), round(percentile(values, 0.99) * 1000)]
            for key, values in sorted(groups.items())}


def _rows(services, model) -> list:
    with services.sessions() as session:
        return list(session.execute(select(model)).scalars())


def main(argv: List[str] = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=4, help="messages per chat")
    parser.add_argument("--think", type=float, default=0.5,
                        help="seconds a user reads before the next message (closed loop)")
    parser.add_argument("--rate", type=float,
                        help="open loop: messages per second over all chats")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="open loop: how long the messages arrive")
    parser.add_argument("--rotate", type=int, default=0,
                        help="a chat becomes a new user after this many messages")
    parser.add_argument("--rasa-url", help="a running Rasa server (else one is started)")
    parser.add_argument("--rasa-token", default="test-token")
    parser.add_argument("--keep-logs", type=Path,
                        help="copy the stack's process logs to this folder at the end")
    args = parser.parse_args(argv)
    if args.rate:  # every chat sends its share of rate x seconds
        args.messages = max(1, round(args.rate * args.seconds / args.chats))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="accord-load-") as workdir:
        try:
            result = asyncio.run(run(args.chats, args.messages, Path(workdir),
                                     args.rasa_url, args.rasa_token, args.think, args.rate,
                                     args.rotate))
        finally:
            if args.keep_logs:
                shutil.copytree(Path(workdir) / "stack" / "logs", args.keep_logs,
                                dirs_exist_ok=True)
    print(json.dumps(result, ensure_ascii=False))
    for key in ("replies", "lost", "duplicates", "p50_ms", "p95_ms", "p99_ms", "max_ms",
                "msg_per_s"):
        print(f"{key}: {result[key]}")
    return 0 if result["lost"] == 0 and result["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
