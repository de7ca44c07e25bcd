"""Soak run: `python -m tests.benchmarks.soak --minutes 20 --chats 20`.

Runs `tests.telegram.load` (the whole stack, the adapter and the fake Bot API; every chat
talks in a closed loop, 0.5 s between turns, and becomes a new user after `--rotate`
messages, as real conversations end) long enough to last the given minutes, and samples the resident memory (VmRSS) of every process it started every `--every` seconds.
Prints the series and, per process, the median RSS of the first and of the last quarter
of the run after its first 90 s: growth shows as a difference between the two. Writes `<out>/soak.json`.
Numbers only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from tests.benchmarks import procstat
from tests.benchmarks.runs import ROOT, _env

WARM_UP_S = 90
SECONDS_PER_TURN = 1.2  # 0.5 s of reading + the answer, at this load, measured


def rss_mb(pid: int) -> float:
    """The process's resident memory now (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((int(line.split()[1]) for line in status.splitlines()
               if line.startswith("VmRSS:")), 0)
    return round(kb / 1024, 1)


def soak(minutes: float, chats: int, every: float, rotate: int) -> Dict[str, object]:
    """Runs the load for about `minutes`; RSS samples of each process over time."""
    messages = max(4, int(minutes * 60 / SECONDS_PER_TURN))
    command = [sys.executable, "-m", "tests.telegram.load", "--chats", str(chats),
               "--messages", str(messages), "--rotate", str(rotate)]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=_env(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    series: Dict[str, List[List[float]]] = {}
    try:
        while process.poll() is None:
            time.sleep(every)
            elapsed = round(time.monotonic() - started)
            for pid in [process.pid, *procstat.descendants(process.pid)]:
                name = procstat._name(pid)
                series.setdefault(name, []).append([elapsed, rss_mb(pid)])
    finally:
        if process.poll() is None:
            process.kill()
    out = process.stdout.read() if process.stdout else ""
    result: Dict[str, object] = {"minutes": round((time.monotonic() - started) / 60, 1),
                                 "chats": chats, "messages_per_chat": messages,
                                 "rotate": rotate}
    for line in out.splitlines():
        if line.startswith("{"):
            result["load"] = json.loads(line)
    summary = {}
    for name, points in series.items():
        # the first 90 s load the model and warm up: not the steady state
        values = [rss for at, rss in points if rss > 0 and at >= WARM_UP_S]
        if len(values) >= 4:
            quarter = max(1, len(values) // 4)
            first, last = statistics.median(values[:quarter]), statistics.median(values[-quarter:])
            summary[name] = {"first_quarter_mb": first, "last_quarter_mb": last,
                             "growth_mb": round(last - first, 1), "peak_mb": max(values)}
    result["rss"] = summary
    result["series"] = series
    return result


def main(argv: List[str] = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--rotate", type=int, default=40,
                        help="messages per conversation before the chat is a new user "
                             "(0: one conversation per chat for the whole run)")
    parser.add_argument("--out", default="reports")
    args = parser.parse_args(argv)
    result = soak(args.minutes, args.chats, args.every, args.rotate)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "soak.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps(result.get("load"), ensure_ascii=False))
    for name, row in result["rss"].items():
        print(f"{name:<28} first quarter {row['first_quarter_mb']:>8} MB   last quarter "
              f"{row['last_quarter_mb']:>8} MB   growth {row['growth_mb']:>7} MB   "
              f"peak {row['peak_mb']:>8} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
