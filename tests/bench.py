"""`make bench`: `python -m tests.bench --out reports [--no-train] [--no-e2e]`.

NLU `/model/parse` latency and throughput per language (sequential and 8 at a time)
against a real Rasa server on a free port; end to end through the fake Telegram Bot API
(`tests.telegram.load`: 10/50/200 chats reading 0.5 s between turns, 50 chats reading
5 s, and 10/20/30 messages/s arriving open loop) when it exists; CPU and peak RSS of every
process (/proc); training time cold and after an NLU-only change; the staff console's
pages with 100 000 turns. Prints a table, writes `<out>/bench.json` and `<out>/bench.png`.
Numbers only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from tests.benchmarks import nlu, runs

logger = logging.getLogger(__name__)


def nlu_section(sequential: int, concurrent: int) -> Dict[str, Any]:
    """Starts Rasa + the action server on free ports, benchmarks, stops them."""
    from tests.stack import start_stack

    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            return nlu.run(stack, sequential, concurrent)
        finally:
            stack.stop()


def table(results: Dict[str, Any]) -> List[str]:
    """The human-readable summary."""
    lines = [f"Accord benchmarks {results['when']} ({results['machine']})", ""]
    lines.append(f"{'NLU /model/parse':<26}{'conc':>5}{'p50 ms':>9}{'p99 ms':>9}"
                 f"{'req/s':>8}{'errors':>8}")
    for row in results["nlu"]["parse"]:
        lines.append(f"  {row['language']:<24}{row['concurrency']:>5}{row['p50_ms']:>9}"
                     f"{row['p99_ms']:>9}{row['rps']:>8}{row['errors']:>8}")
    lines.append("")
    lines.append(f"{'process (NLU run)':<34}{'CPU s':>8}{'peak RSS MB':>13}")
    for proc in results["nlu"]["processes"]:
        lines.append(f"  {proc['name']:<32}{proc['cpu_s']:>8}{proc['peak_rss_mb']:>13}")
    e2e = results.get("e2e")
    lines.append("")
    if e2e is None:
        lines.append("end to end: skipped (" + results.get("e2e_note", "") + ")")
    else:
        lines.append(f"{'end to end (fake Bot API)':<34}{'msgs':>6}{'lost':>6}{'dup':>5}"
                     f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'msg/s':>7}"
                     f"{'RSS MB*':>8}")
        for row in e2e:
            rss = round(sum(p["peak_rss_mb"] for p in row["processes"]))
            lines.append(f"  {row.get('label', row['chats'])!s:<32}{row.get('messages')!s:>6}"
                         f"{row.get('lost')!s:>6}{row.get('duplicates')!s:>5}"
                         f"{row.get('p50_ms')!s:>8}{row.get('p95_ms')!s:>8}"
                         f"{row.get('p99_ms')!s:>8}{row.get('max_ms')!s:>8}"
                         f"{row.get('msg_per_s')!s:>7}{rss:>8}")
        lines.append("  * peak RSS summed over every process of the run (Rasa, actions, "
                     "adapter + fake API + load driver)")
    train = results.get("training")
    lines.append("")
    if train is None:
        lines.append("training: skipped (--no-train)")
    else:
        lines.append(f"{'training':<26}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}{'rc':>4}")
        for key, label in (("validate", "rasa data validate"),
                           ("cold", "cold (empty cache)"),
                           ("nlu_change", "one NLU example changed")):
            row = train[key]
            lines.append(f"  {label:<24}{row['wall_s']:>8}{row['cpu_s']:>8}"
                         f"{row['peak_rss_mb']:>13}{row['returncode']:>4}")
    console = results.get("console")
    lines.append("")
    if console:
        title = f"console, {console['turns']} turns (seeded in {console['seed_s']} s)"
        lines.append(f"{title:<52}{'median ms':>10}{'worst ms':>10}")
        for page in console["pages"]:
            lines.append(f"  {page['page']:<50}{page['median_ms']:>10}{page['worst_ms']:>10}")
    return lines


def chart(results: Dict[str, Any], path: Path) -> None:
    """Four panels: NLU latency, end-to-end latency, training time, console pages."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    parse = results["nlu"]["parse"]
    labels = [f"{r['language']} c={r['concurrency']}" for r in parse]
    x = range(len(parse))
    axes[0][0].bar([i - 0.2 for i in x], [r["p50_ms"] or 0 for r in parse], 0.4, label="p50")
    axes[0][0].bar([i + 0.2 for i in x], [r["p99_ms"] or 0 for r in parse], 0.4, label="p99")
    axes[0][0].set_xticks(list(x), labels, rotation=30)
    axes[0][0].set(title="NLU /model/parse latency (ms)")
    axes[0][0].legend()
    e2e = results.get("e2e") or []
    if e2e:
        names = [str(r.get("label", r["chats"])).replace(" (", "\n(") for r in e2e]
        x = range(len(e2e))
        axes[0][1].bar([i - 0.2 for i in x], [r.get("p50_ms") or 0 for r in e2e], 0.4,
                       label="p50")
        axes[0][1].bar([i + 0.2 for i in x], [r.get("p99_ms") or 0 for r in e2e], 0.4,
                       label="p99")
        axes[0][1].set_xticks(list(x), names, rotation=30, fontsize=7)
        axes[0][1].set_yscale("log")
        axes[0][1].legend()
    axes[0][1].set(title="end to end, update → reply (ms, log scale)")
    train = results.get("training")
    if train:
        axes[1][0].bar(["cold", "NLU change"],
                       [train["cold"]["wall_s"], train["nlu_change"]["wall_s"]])
    axes[1][0].set(title="training wall time (s)")
    pages = (results.get("console") or {}).get("pages") or []
    axes[1][1].barh([p["page"].split(" '")[0] for p in pages],  # no CJK glyphs in fonts
                    [p["median_ms"] for p in pages])
    axes[1][1].set(title="console pages, 100 000 turns: median (ms)")
    fig.suptitle("Accord benchmarks (2 shared cores: noisy)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description="Accord performance benchmarks")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--no-train", action="store_true", help="skip training times")
    parser.add_argument("--no-e2e", action="store_true", help="skip the Telegram runs")
    parser.add_argument("--no-console", action="store_true", help="skip console pages")
    parser.add_argument("--chats", type=int, nargs="*", default=[10, 50, 200],
                        help="closed-loop runs, 0.5 s of reading between turns")
    parser.add_argument("--think-chats", type=int, nargs="*", default=[50],
                        help="closed-loop runs with --think seconds of reading")
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--rates", type=float, nargs="*", default=[10, 20, 30],
                        help="open-loop runs, messages per second for 60 s")
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--sequential", type=int, default=100, help="parses per language")
    parser.add_argument("--concurrent", type=int, default=200, help="parses, 8 at a time")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "matplotlib"):  # one line per request / per chart otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    results: Dict[str, Any] = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.python_version()}, load "
                   f"{os.getloadavg()[0]:.1f} at start",
    }
    args.out.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every section, so an interrupted run keeps its numbers
        text = json.dumps(results, indent=2, ensure_ascii=False)
        (args.out / "bench.json").write_text(text, encoding="utf-8")

    results["nlu"] = nlu_section(args.sequential, args.concurrent)
    save()
    if args.no_e2e:
        results["e2e"], results["e2e_note"] = None, "--no-e2e"
    else:
        results["e2e"] = runs.end_to_end(
            runs.scenarios(args.chats, args.think_chats, args.think, args.rates),
            args.out / "logs")
        if results["e2e"] is None:
            results["e2e_note"] = "tests/telegram/load.py not present"
    save()
    results["training"] = None if args.no_train else runs.training()
    save()
    results["console"] = None if args.no_console else runs.console(args.turns)
    results["load_at_end"] = round(os.getloadavg()[0], 1)
    save()
    chart(results, args.out / "bench.png")
    print("\n".join(table(results)))
    print(f"\nwrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
