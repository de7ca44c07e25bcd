"""CPU time and peak RSS of processes from /proc (psutil is not installed)."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

logger = logging.getLogger(__name__)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ProcStat:
    """One process: its name, CPU seconds (user + system) and peak RSS (VmHWM)."""

    pid: int
    name: str
    cpu_s: float
    peak_rss_mb: float


def read(pid: int, name: Optional[str] = None) -> Optional[ProcStat]:
    """The process's numbers now, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    hwm = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM:")), 0)
    return ProcStat(pid, name or _name(pid), round(cpu, 1), round(hwm / 1024, 1))


def _name(pid: int) -> str:
    """A short name from the command line (`rasa run actions`, `python -m x`)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    words = [a.decode(errors="replace") for a in argv if a]
    words = [Path(w).name if "/" in w else w for w in words]
    if "bot.rasa_entry" in words:  # Rasa started by Accord (`python -m bot.rasa_entry run`)
        words = ["rasa", *words[words.index("bot.rasa_entry") + 1:]]
    if "-m" in words:
        return " ".join(words[words.index("-m") + 1:][:1])
    if "rasa" in words[:2]:
        return "rasa actions" if "actions" in words else "rasa server"
    return " ".join(words[1:3])


def descendants(root: int) -> List[int]:
    """Every live descendant of `root` (children of children included)."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(text.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


class TreeSampler:
    """Samples a process tree every `period` seconds, keeping each pid's highest numbers
    (VmHWM is already a peak and CPU time only grows, but a zombie reads as 0)."""

    def __init__(self, root: int, period: float = 0.5) -> None:
        self.root = root
        self.period = period
        self.latest: Dict[int, ProcStat] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for pid in [self.root, *descendants(self.root)]:
                    stat, seen = read(pid), self.latest.get(pid)
                    if stat is not None and seen is not None:  # an exiting process
                        stat.cpu_s = max(stat.cpu_s, seen.cpu_s)  # (zombie) reads as 0
                        stat.peak_rss_mb = max(stat.peak_rss_mb, seen.peak_rss_mb)
                        stat.name = stat.name or seen.name  # and has no command line
                    if stat is not None:
                        self.latest[pid] = stat
            except Exception:  # noqa: BLE001 - a sampler must outlive odd /proc entries
                logger.exception("sampling %s failed", self.root)
            self._stop.wait(self.period)

    def summary(self) -> List[Dict[str, object]]:
        """One row per process seen, biggest memory first (short-lived helpers < 20 MB
        are left out)."""
        rows = [s.__dict__ for s in self.latest.values() if s.peak_rss_mb >= 20]
        return sorted(rows, key=lambda r: -float(r["peak_rss_mb"]))


def run_measured(command: List[str], **kwargs: object) -> Dict[str, object]:
    """Runs `command` to completion; its wall time, CPU and peak RSS via wait4 (the
    biggest of the process and its waited-for children)."""
    import time

    began = time.perf_counter()
    process = subprocess.Popen(command, **kwargs)  # type: ignore[call-overload]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "returncode": process.returncode,
        "wall_s": round(time.perf_counter() - began, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
