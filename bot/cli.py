"""Command line: `python -m bot {run,chat,db,transcripts,cases,retention}` (README.md)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import signal
import sys
import threading
from dataclasses import asdict
from typing import Any, Dict, List, Optional, Tuple

from bot.settings import Settings


def _since(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Accord")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the whole stack (make run)")
    run.add_argument("--sender", help="terminal chat: conversation id to use")
    chat = sub.add_parser("chat", help="terminal chat against a running Rasa server")
    chat.add_argument("--sender")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])

    transcripts = sub.add_parser("transcripts", help="transcript store")
    transcripts.add_argument("action", choices=["export"])
    transcripts.add_argument("--format", choices=["jsonl"], default="jsonl")
    transcripts.add_argument("--since", type=_since)
    transcripts.add_argument("--redact", action="store_true",
                             help="replace phone numbers and e-mails by placeholders")

    console = sub.add_parser("console", help="the staff console (web), in the foreground")
    console.add_argument("--port", type=int)
    staff = sub.add_parser("staff", help="staff console users")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add_user = staff_sub.add_parser("add-user", help="create a staff user")
    add_user.add_argument("name")
    add_user.add_argument("--role", choices=["viewer", "agent", "admin"], required=True)

    cases = sub.add_parser("cases", help="complaint cases")
    cases.add_argument("action", choices=["export"])
    cases.add_argument("--format", choices=["jsonl"], default="jsonl")
    cases.add_argument("--redact", action="store_true",
                       help="replace phone numbers and e-mails by placeholders")

    retention = sub.add_parser("retention", help="anonymise and delete expired data")
    retention.add_argument("action", choices=["run"])
    retention.add_argument("--loop", action="store_true",
                           help="run again every ACCORD_RETENTION_INTERVAL_HOURS")
    return parser


def _migrate_all(settings: Settings) -> None:
    from bot.storage.db import migrate

    for url in settings.all_database_urls():
        migrate(url)


def _write(row: Dict[str, Any], redacted: bool, fields: Tuple[str, ...]) -> None:
    if redacted:
        from bot.redact import redact_optional

        row = {k: redact_optional(v) if k in fields else v for k, v in row.items()}
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


def _export_transcripts(
    settings: Settings, since: Optional[dt.datetime], redacted: bool = False
) -> None:
    """Every turn of every database (DATABASE_URL and the regional ones), by time."""
    from bot.storage.db import make_engine, make_sessionmaker
    from bot.storage.transcripts import iter_all_turns, turn_as_dict

    _migrate_all(settings)
    engines = [make_engine(url) for url in settings.all_database_urls()]
    try:
        for turn in iter_all_turns([make_sessionmaker(e) for e in engines], since=since):
            _write(turn_as_dict(turn), redacted, ("text",))
    finally:
        for engine in engines:
            engine.dispose()


def _export_cases(settings: Settings, redacted: bool = False) -> None:
    """Every case of every database (DATABASE_URL and the regional ones), by date."""
    from bot.storage.cases import iter_cases
    from bot.storage.db import make_engine, make_sessionmaker

    _migrate_all(settings)
    rows: List[Dict[str, Any]] = []
    for url in settings.all_database_urls():
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            rows.extend(iter_cases(session=session))
        engine.dispose()
    rows.sort(key=lambda row: row["created_at"])
    for row in rows:
        _write(row, redacted, ("description",))


def _retention(settings: Settings, loop: bool) -> int:
    from bot.retention_job import RetentionThread, run_once

    _migrate_all(settings)
    if not loop:
        report = run_once(settings)
        sys.stdout.write(json.dumps(asdict(report)) + "\n")
        return 0
    if settings.retention_days <= 0:
        logging.getLogger(__name__).warning("ACCORD_RETENTION_DAYS=0: nothing to do")
        return 0
    thread = RetentionThread(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    thread.start()
    stop.wait()
    thread.stop()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of `python -m bot`."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every URL, and Telegram URLs carry the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    from bot import logsafe

    logsafe.install(settings)  # tokens never reach the logs, whoever logs them
    if args.command == "run":
        from bot.supervisor import run

        return run(settings, args.sender)
    if args.command == "chat":
        from bot.supervisor import _terminal

        asyncio.run(_terminal(settings, args.sender))
        return 0
    if args.command == "db":
        from bot.storage.db import migrate_all

        migrate_all(settings)
        return 0
    if args.command == "console":
        from bot.console.app import serve

        return serve(settings, port=args.port)
    if args.command == "staff":
        from bot.console.users import add_user_cli

        return add_user_cli(settings, args.name, args.role)
    if args.command == "transcripts":
        _export_transcripts(settings, args.since, args.redact)
        return 0
    if args.command == "cases":
        _export_cases(settings, args.redact)
        return 0
    if args.command == "retention":
        return _retention(settings, args.loop)
    return 2
