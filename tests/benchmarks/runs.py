"""The sections that run as subprocesses: end to end through the fake Telegram Bot API
(`tests.telegram.load`), training (cold and after an NLU-only change), the console."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from bot.settings import ROOT
from tests.benchmarks import procstat

logger = logging.getLogger(__name__)


def _env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2", **extra})
    return env


def scenarios(chats: List[int], think_chats: List[int], think: float,
              rates: List[float], seconds: float = 60.0) -> List[Dict[str, object]]:
    """The end-to-end runs: closed loop (0.5 s of reading) for each of `chats`, closed
    loop with `think` seconds for each of `think_chats`, open loop at each of `rates`
    messages/s (ten chats per message/s: each chat writes every 10 s)."""
    runs: List[Dict[str, object]] = [{"chats": n, "think": 0.5} for n in chats]
    runs += [{"chats": n, "think": think} for n in think_chats]
    runs += [{"chats": max(1, int(rate * 10)), "rate": rate, "seconds": seconds}
             for rate in rates]
    return runs


def label(run: Dict[str, object]) -> str:
    """How a scenario is named in tables and charts."""
    if run.get("rate"):
        return f"{run['rate']:g} msg/s open ({run['chats']} chats)"
    return f"{run['chats']} chats, {run.get('think', 0.5):g} s think"


def end_to_end(runs: List[Dict[str, object]], logs: Path, messages: int = 4,
               timeout: float = 900.0) -> Optional[List[Dict[str, object]]]:
    """`python -m tests.telegram.load` for each scenario of `scenarios()` (None when the
    load script does not exist); its JSON result plus CPU and peak RSS of every process
    it ran. Each run's stderr and its stack's process logs are kept in `logs/<run>/`."""
    if not (ROOT / "tests" / "telegram" / "load.py").exists():
        logger.warning("tests/telegram/load.py is missing: end-to-end section skipped")
        return None
    rows: List[Dict[str, object]] = []
    for run in runs:
        folder = logs / re.sub(r"[^\w.]+", "-", label(run)).strip("-")
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "tests.telegram.load", "--chats", str(run["chats"]),
                   "--messages", str(messages), "--keep-logs", str(folder)]
        if run.get("rate"):
            command += ["--rate", str(run["rate"]), "--seconds", str(run["seconds"])]
        else:
            command += ["--think", str(run.get("think", 0.5))]
        stderr = open(folder / "load.stderr.log", "w", encoding="utf-8")  # noqa: SIM115
        process = subprocess.Popen(command, cwd=ROOT, env=_env(), text=True,
                                   stdout=subprocess.PIPE, stderr=stderr,
                                   start_new_session=True)
        with stderr, procstat.TreeSampler(process.pid) as sampler:
            try:
                out, _ = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:  # its stack too, not only the driver
                logger.warning("e2e %s: no result after %s s, killed", label(run), timeout)
                os.killpg(process.pid, signal.SIGKILL)
                out, _ = process.communicate()
        result: Dict[str, object] = {**run, "label": label(run), "logs": str(folder),
                                     "returncode": process.returncode}
        for line in out.splitlines():
            if line.startswith("{"):
                result.update(json.loads(line))
        result["processes"] = sampler.summary()
        rows.append(result)
        logger.info("e2e %s: %s", result["label"], result)
    return rows


def _change_one_example(nlu_dir: Path) -> str:
    """Appends a word to the first French example; returns the changed line."""
    path = sorted((nlu_dir / "fr").glob("*.yml"))[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("- ") and "intent" not in line and ":" not in line:
            lines[i] = line.rstrip("\n") + " svp\n"
            path.write_text("".join(lines), encoding="utf-8")
            return lines[i].strip()
    raise RuntimeError(f"no example to change in {path}")


def training() -> Dict[str, object]:
    """`rasa data validate`, then training as `make train` runs it (validation skipped,
    it was just done): cold (a fresh Rasa cache), then again after one NLU example
    changed."""
    with tempfile.TemporaryDirectory(prefix="accord-train-") as tmp:
        work = Path(tmp)
        for name in ("nlu", "stories"):
            shutil.copytree(ROOT / name, work / name,
                            ignore=shutil.ignore_patterns("*.py", "__pycache__",
                                                          "components", "configs"))
        env = _env(RASA_CACHE_DIRECTORY=str(work / "cache"))
        rasa = str(Path(sys.executable).with_name("rasa"))
        inputs = ["--config", str(ROOT / "config.yml"), "--domain", str(ROOT / "domain.yml"),
                  "--data", str(work / "nlu"), str(work / "stories")]
        command = [rasa, "train", *inputs, "--out", str(work / "models"), "--quiet",
                   "--skip-validation"]
        quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL,
                 "stderr": subprocess.DEVNULL}
        validate = procstat.run_measured([rasa, "data", "validate", *inputs], **quiet)
        cold = procstat.run_measured(command + ["--fixed-model-name", "cold"], **quiet)
        changed = _change_one_example(work / "nlu")
        warm = procstat.run_measured(command + ["--fixed-model-name", "warm"], **quiet)
        return {"validate": validate, "cold": cold, "nlu_change": {**warm, "changed": changed}}


ROW = re.compile(r"^(?P<page>.+?)\s+(?P<median>[\d.]+)\s+(?P<worst>[\d.]+)\s+(?P<status>\d{3})$")


def console(turns: int = 100_000, timeout: float = 900.0) -> Dict[str, object]:
    """`python -m tests.console.bench --turns N`: median and worst ms per page."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.console.bench", "--turns", str(turns)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout)
    pages = [{"page": m["page"].strip(), "median_ms": float(m["median"]),
              "worst_ms": float(m["worst"]), "status": int(m["status"])}
             for m in (ROW.match(line.strip()) for line in result.stdout.splitlines()) if m]
    seeded = re.search(r"seeded \d+ turns in ([\d.]+) s", result.stdout)
    return {"turns": turns, "returncode": result.returncode,
            "seed_s": float(seeded.group(1)) if seeded else None, "pages": pages}
