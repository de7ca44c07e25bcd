"""`make run-prod`: the production topology on one machine.

PostgreSQL holds Rasa's tracker store and Accord's tables (migrated on start), Redis
holds Rasa's ticket locks (`RedisLockStore`), N Rasa replicas and M action servers run
behind the loopback load balancer (`bot/loadbalancer.py`) on the usual ports (5005 and
5055), and the Telegram adapter serves its webhook when `TELEGRAM_BOT_TOKEN` and
`TELEGRAM_WEBHOOK_URL` are set. Configuration is read from the environment
(`ProdConfig.from_env`); `endpoints.prod.yml` takes the same variables.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

from bot.settings import ROOT, Settings
from bot.supervisor import RASA_COMMAND, Stack

logger = logging.getLogger(__name__)
PROD_ENDPOINTS = ROOT / "endpoints.prod.yml"


@dataclass(frozen=True)
class ProdConfig:
    """Where PostgreSQL and Redis are, and how many replicas run where."""

    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "postgres"
    postgres_password: str = ""
    postgres_db: str = "accord"
    rasa_tracker_db: str = "accord"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 1
    redis_password: str = ""
    redis_key_prefix: str = "accord"
    rasa_ports: Tuple[int, ...] = (5105, 5106)
    action_ports: Tuple[int, ...] = (5155, 5156)
    ticket_lock_lifetime: int = 20
    upstream_timeout: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ProdConfig":
        """Reads POSTGRES_*, REDIS_*, RASA_REPLICAS, ACTION_REPLICAS, REPLICA_BASE_PORT…"""
        get = lambda name, default: env.get(name) or default  # noqa: E731
        base = int(get("REPLICA_BASE_PORT", 5100))
        rasa_n = int(get("RASA_REPLICAS", 2))
        action_n = int(get("ACTION_REPLICAS", 2))
        db = get("POSTGRES_DB", cls.postgres_db)
        return cls(
            postgres_host=get("POSTGRES_HOST", cls.postgres_host),
            postgres_port=int(get("POSTGRES_PORT", cls.postgres_port)),
            postgres_user=get("POSTGRES_USER", cls.postgres_user),
            postgres_password=env.get("POSTGRES_PASSWORD", ""),
            postgres_db=db,
            rasa_tracker_db=get("RASA_TRACKER_DB", db),
            redis_host=get("REDIS_HOST", cls.redis_host),
            redis_port=int(get("REDIS_PORT", cls.redis_port)),
            redis_db=int(get("REDIS_DB", cls.redis_db)),
            redis_password=env.get("REDIS_PASSWORD", ""),
            redis_key_prefix=get("REDIS_KEY_PREFIX", cls.redis_key_prefix),
            rasa_ports=tuple(base + 5 + i for i in range(rasa_n)),
            action_ports=tuple(base + 55 + i for i in range(action_n)),
            ticket_lock_lifetime=int(get("TICKET_LOCK_LIFETIME", 20)),
            upstream_timeout=float(get("UPSTREAM_TIMEOUT_SECONDS", 60.0)),
        )

    def postgres_url(self, db: Optional[str] = None) -> str:
        """SQLAlchemy URL of database `db` (default: Accord's)."""
        auth = quote(self.postgres_user, safe="")
        if self.postgres_password:
            auth += ":" + quote(self.postgres_password, safe="")
        return (f"postgresql+psycopg2://{auth}@{self.postgres_host}:{self.postgres_port}"
                f"/{db or self.postgres_db}")

    def endpoint_env(self, action_url: str) -> Dict[str, str]:
        """The variables `endpoints.prod.yml` substitutes."""
        return {
            "ACTION_ENDPOINT_URL": action_url,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "RASA_TRACKER_DB": self.rasa_tracker_db,
            "REDIS_HOST": self.redis_host,
            "REDIS_PORT": str(self.redis_port),
            "REDIS_DB": str(self.redis_db),
            "REDIS_PASSWORD": self.redis_password,
            "REDIS_KEY_PREFIX": self.redis_key_prefix,
            "TICKET_LOCK_LIFETIME": str(self.ticket_lock_lifetime),
        }


def prod_settings(env: Mapping[str, str], config: ProdConfig) -> Settings:
    """Accord's settings with PostgreSQL defaults for both databases."""
    settings = Settings.from_env(env)
    return replace(
        settings,
        database_url=env.get("DATABASE_URL") or config.postgres_url(),
        rasa_tracker_store_url=env.get("RASA_TRACKER_STORE_URL")
        or config.postgres_url(config.rasa_tracker_db),
    )


@dataclass
class ProdStack(Stack):
    """Rasa replicas and action servers behind the load balancer (plus the console).

    The balancer listens on `settings.rasa_url`'s port and on `action_server_port`;
    replica `rasa-<i>` on `prod.rasa_ports[i-1]`, `actions-<i>` on `prod.action_ports`."""

    prod: ProdConfig = field(default_factory=ProdConfig)
    endpoints: Path = PROD_ENDPOINTS

    def _env(self) -> Dict[str, str]:
        env = super()._env()
        action_lb = f"http://127.0.0.1:{self.settings.action_server_port}/webhook"
        env.update(self.prod.endpoint_env(action_lb))
        env["RASA_TOKEN"] = self.settings.rasa_token  # the balancer's health probe
        return env

    def commands(self) -> Dict[str, List[str]]:
        """The command line of each process."""
        rasa = RASA_COMMAND
        commands: Dict[str, List[str]] = {}
        if self.with_console:
            commands["console"] = [sys.executable, "-m", "bot", "console"]
        for i, port in enumerate(self.prod.action_ports, 1):
            commands[f"actions-{i}"] = [*rasa, "run", "actions", "--actions", "actions",
                                        "--port", str(port)]
        for i, port in enumerate(self.prod.rasa_ports, 1):
            commands[f"rasa-{i}"] = [
                *rasa, "run", "--enable-api", "--auth-token", self.settings.rasa_token,
                "--interface", "127.0.0.1", "--port", str(port),
                "--model", str(self.model), "--endpoints", str(self.endpoints),
                "--credentials", str(ROOT / "credentials.yml"),
            ]
        local = "http://127.0.0.1:"
        commands["lb"] = [
            sys.executable, "-m", "bot.loadbalancer",
            "--timeout", str(self.prod.upstream_timeout),
            "--pool", f"{self.settings.rasa_port}="
            + ",".join(f"{local}{p}" for p in self.prod.rasa_ports)
            + "@/status?token=$RASA_TOKEN",  # 200 only once the model is loaded
            "--pool", f"{self.settings.action_server_port}="
            + ",".join(f"{local}{p}" for p in self.prod.action_ports) + "@/health",
        ]
        return commands

    def health_checks(self) -> Dict[str, Tuple[str, Dict[str, str]]]:
        """Every replica, then both balanced ports."""
        token = {"token": self.settings.rasa_token}
        checks = {f"rasa-{i}": (f"http://127.0.0.1:{p}/status", token)
                  for i, p in enumerate(self.prod.rasa_ports, 1)}
        checks.update({f"actions-{i}": (f"http://127.0.0.1:{p}/health", {})
                       for i, p in enumerate(self.prod.action_ports, 1)})
        checks["lb"] = (f"http://127.0.0.1:{self.settings.rasa_port}/status", token)
        checks["lb-actions"] = (
            f"http://127.0.0.1:{self.settings.action_server_port}/health", {})
        if "console" in self.processes:
            checks["console"] = (
                f"http://127.0.0.1:{self.settings.staff_console_port}/healthz", {})
        return checks

    def kill(self, name: str) -> None:
        """SIGKILLs one process (tests: a replica dying mid-load)."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def ensure_database(config: ProdConfig, db: str) -> None:
    """Creates PostgreSQL database `db` when it does not exist (needs CREATEDB)."""
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(
        host=config.postgres_host, port=config.postgres_port, user=config.postgres_user,
        password=config.postgres_password or None, dbname="postgres", connect_timeout=10)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
                logger.info("created database %s", db)
    finally:
        connection.close()


def prepare_databases(settings: Settings, config: ProdConfig) -> None:
    """Creates the databases if missing, applies Alembic migrations to Accord's tables,
    creates Rasa's tracker tables once (replicas starting together would race)."""
    from bot.storage.db import migrate_all

    for db in {config.postgres_db, config.rasa_tracker_db}:
        ensure_database(config, db)
    migrate_all(settings)  # the regional databases get Rasa's events table too
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(
        dialect="postgresql", host=config.postgres_host, port=config.postgres_port,
        db=config.rasa_tracker_db, username=config.postgres_user,
        password=config.postgres_password,
    )
    store.engine.dispose()


def run_prod(env: Mapping[str, str]) -> int:
    """The whole production topology in the foreground, until SIGINT or SIGTERM."""
    import importlib.util

    config = ProdConfig.from_env(env)
    settings = prod_settings(env, config)
    prepare_databases(settings, config)
    stack = ProdStack(settings, prod=config,
                      with_console=importlib.util.find_spec("bot.console") is not None)
    stack.start()
    from bot.retention_job import start_retention

    retention = start_retention(settings)
    try:
        stack.wait_ready()
        logger.info("ready: Rasa on %s (%s replicas), actions on :%s (%s replicas)",
                    settings.rasa_url, len(config.rasa_ports),
                    settings.action_server_port, len(config.action_ports))
        if settings.telegram_bot_token and settings.telegram_webhook_url:
            from bot.telegram.app import run_telegram

            run_telegram(settings)
        else:
            if settings.telegram_bot_token:
                logger.warning("TELEGRAM_WEBHOOK_URL is not set: production mode serves "
                               "Telegram only by webhook; the adapter is not started")
            stopped = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stopped.set())
            while not stopped.wait(1.0):
                pass
    finally:
        if retention is not None:
            retention.stop()
        stack.stop()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m bot.prod [all|prepare|adapter]` (deploy/ runs each part alone)."""
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m bot.prod", description=__doc__)
    parser.add_argument("part", nargs="?", default="all",
                        choices=["all", "prepare", "adapter"],
                        help="all: the whole topology (make run-prod); prepare: "
                        "migrations and tracker tables only; adapter: the Telegram "
                        "webhook adapter only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot import logsafe

    config = ProdConfig.from_env(os.environ)
    settings = prod_settings(os.environ, config)
    logsafe.install(settings)  # tokens never reach the logs, whoever logs them
    if args.part == "all":
        return run_prod(os.environ)
    if args.part == "prepare":
        prepare_databases(settings, config)
        return 0
    from bot.telegram.app import run_telegram

    run_telegram(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
