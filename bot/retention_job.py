"""Runs the retention job (bot/retention.py) with the settings' databases: once
(`python -m bot retention run`), or every `ACCORD_RETENTION_INTERVAL_HOURS` in a thread
of the running stack (`make run`, `make run-prod`) or in the foreground (`--loop`)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable, Optional

from bot.erasure import expire_tracker_events, has_events
from bot.retention import Clock, RetentionReport, run_retention, utcnow
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessionmaker

logger = logging.getLogger(__name__)
Job = Callable[[Settings, dt.datetime], RetentionReport]


def run_once(settings: Settings, now: Optional[dt.datetime] = None) -> RetentionReport:
    """One run over DATABASE_URL and every regional database, and Rasa's events in the
    tracker store and in the regional databases (bot/regional_tracker_store.py)."""
    engines = [make_engine(url) for url in settings.all_database_urls()]
    tracker = make_engine(settings.rasa_tracker_store_url)
    trackers = [tracker, *engines[1:]]
    try:
        return run_retention(
            databases=[make_sessionmaker(engine) for engine in engines],
            days=settings.retention_days,
            now=now or utcnow(),
            evidence_dir=settings.all_evidence_dirs(),
            documents_dir=settings.var_dir / "documents",
            expire_tracker=lambda cutoff, keep: sum(
                expire_tracker_events(engine, cutoff, keep)
                for engine in trackers if has_events(engine)
            ),
        )
    finally:
        for engine in (*engines, tracker):
            engine.dispose()


class RetentionThread(threading.Thread):
    """Runs the job at once, then every `interval` seconds, until `stop()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        interval: Optional[float] = None,
        job: Job = run_once,
    ) -> None:
        super().__init__(name="accord-retention", daemon=True)
        self.settings = settings
        self.clock = clock
        self.interval = (
            interval if interval is not None else settings.retention_interval_hours * 3600
        )
        self.job = job
        self.runs = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                self.job(self.settings, self.clock())
            except Exception:  # the next run tries again
                logger.exception("retention run failed")
            self.runs += 1
            if self._stopped.wait(self.interval):
                return

    def stop(self, timeout: float = 30.0) -> None:
        """Asks the loop to end and waits for the run under way."""
        self._stopped.set()
        if self.is_alive():
            self.join(timeout)


def start_retention(settings: Settings) -> Optional[RetentionThread]:
    """The background job of a running stack (None when retention is disabled)."""
    if settings.retention_days <= 0:
        logger.info("retention disabled (ACCORD_RETENTION_DAYS=0): data kept for ever")
        return None
    thread = RetentionThread(settings)
    thread.start()
    return thread
