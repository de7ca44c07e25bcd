"""Staff console benchmark: `python -m tests.console.bench [--turns 100000]`.

Seeds a temp SQLite database with N transcript turns (fr/zh/ru) and some cases, serves the
console on a loopback port, and times list, search, filter and transcript pages over real
HTTP. Prints a table (median and worst of several requests). No assertions."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

import httpx
from sqlalchemy import insert

from bot.console.users import add_user
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessionmaker, migrate
from bot.storage.models import Case, Turn

TEXTS = {
    "fr": ["Bonjour, le photographe ne m'a pas rendu mes photos",
           "Je voudrais un remboursement partiel", "Les photos sont floues et mal cadrées",
           "Merci beaucoup pour votre aide"],
    "zh": ["你好，摄影师拒绝退款", "照片质量很差，我要投诉", "婚纱照一直没有交付", "谢谢你的帮助"],
    "ru": ["Привет, фотограф не отдаёт снимки", "Хочу вернуть деньги за съёмку",
           "Фотографии испорчены, что делать?", "Спасибо за помощь"],
}
INTENTS = ["greet", "file_complaint", "describe_dispute", "ask_negotiation", "thank", None]


def seed(url: str, turns: int) -> None:
    engine = make_engine(url)
    rng = random.Random(6)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    per_conversation = 10
    rows = []
    cases = []
    for i in range(turns):
        conversation = i // per_conversation
        lang = ("fr", "zh", "ru")[conversation % 3]
        direction = "in" if i % 2 == 0 else "out"
        rows.append({
            "conversation_id": str(100000 + conversation), "channel": "telegram",
            "timestamp": start + dt.timedelta(minutes=conversation * 13 + i % per_conversation),
            "direction": direction, "language": lang,
            "text": f"{rng.choice(TEXTS[lang])} #{i}",
            "intent": rng.choice(INTENTS) if direction == "in" else None,
            "confidence": rng.random() if direction == "in" else None,
            "case_ref": None, "buttons": None, "attachments": 0,
        })
        if i % per_conversation == 0 and conversation % 7 == 0:
            cases.append({"ref": f"DR-B{conversation:07d}", "conversation_id": str(100000 + conversation),
                          "status": rng.choice(["new", "in_review", "negotiating", "resolved"]),
                          "dispute_type": rng.choice(["quality", "refund", "delay"]),
                          "language": lang, "description": "bench", "handoff": conversation % 3 == 0,
                          "created_at": start + dt.timedelta(minutes=conversation * 13),
                          "updated_at": start + dt.timedelta(minutes=conversation * 13)})
    with engine.begin() as connection:
        for offset in range(0, len(rows), 10000):
            connection.execute(insert(Turn), rows[offset:offset + 10000])
        connection.execute(insert(Case), cases)
    with make_sessionmaker(engine)() as session:
        add_user(session, "bench", "admin", "bench password 123")
        session.commit()
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def timed(client: httpx.Client, path: str, repeat: int) -> Tuple[float, float, int]:
    samples: List[float] = []
    status = 0
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        status = response.status_code
    return statistics.median(samples), max(samples), status


def main() -> int:
    from tests.console.server import ThreadServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        began = time.perf_counter()
        seed(url, args.turns)
        print(f"seeded {args.turns} turns in {time.perf_counter() - began:.1f} s")
        server = ThreadServer(Settings(database_url=url, var_dir=Path(tmp),
                                       evidence_dir=Path(tmp) / "evidence")).start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                import re
                page = client.get("/login")
                token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                client.post("/login", data={"csrf": token, "username": "bench",
                                            "password": "bench password 123"})
                pages = [
                    ("list, page 1", "/conversations"),
                    ("list, page 100", "/conversations?page=100"),
                    ("list, last page", "/conversations?page=200"),
                    ("search fr 'remboursement'", "/conversations?q=remboursement"),
                    ("search zh '退款'", "/conversations?q=%E9%80%80%E6%AC%BE"),
                    ("search ru 'фотограф'", "/conversations?q=" + httpx.URL(
                        "/", params={"q": "фотограф"}).query.decode().split("=", 1)[1]),
                    ("search, no hit", "/conversations?q=zzzzqqq"),
                    ("filter language+intent", "/conversations?language=ru&intent=greet"),
                    ("filter has case", "/conversations?has_case=yes"),
                    ("filter dates", "/conversations?from=2026-01-10&to=2026-01-20"),
                    ("transcript", "/conversations/100042"),
                    ("case queue", "/cases"),
                    ("dashboard chart", "/charts/status.svg"),
                ]
                print(f"\n{'page':<28}{'median ms':>11}{'worst ms':>10}{'status':>8}")
                for label, path in pages:
                    median, worst, status = timed(client, path, args.repeat)
                    print(f"{label:<28}{median:>11.1f}{worst:>10.1f}{status:>8}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
