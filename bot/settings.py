"""All configuration, read once from the environment into one typed object.

Names and defaults are those of ../shared/CONTRACT.md. Secrets (the bot token, the
webhook secret) have no default; the Rasa API token is generated on first use and kept
under `var/` when `RASA_TOKEN` is not set.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

ROOT = Path(__file__).resolve().parents[1]
# jurisdictions that can have their own database (ACCORD_DATABASE_URL_<code>)
JURISDICTIONS = ("FR", "CN", "RU")


def regional_database_urls(env: Mapping[str, str]) -> Dict[str, str]:
    """Jurisdiction code -> `ACCORD_DATABASE_URL_<code>`, for the codes that have one."""
    return {
        code: env[f"ACCORD_DATABASE_URL_{code}"]
        for code in JURISDICTIONS
        if env.get(f"ACCORD_DATABASE_URL_{code}")
    }


def _int(value: Optional[str], default: int) -> int:
    return int(value) if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Accord's settings; build with `Settings.from_env()`."""

    telegram_bot_token: Optional[str] = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: Optional[str] = None
    telegram_webhook_secret: Optional[str] = None
    telegram_staff_chat_id: Optional[int] = None
    webhook_port: int = 8443
    database_url: str = "sqlite:///var/disputebot.db"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    rasa_tracker_store_url: str = "sqlite:///var/rasa_tracker.db"
    action_server_port: int = 5055
    staff_console_port: int = 8080
    var_dir: Path = ROOT / "var"
    evidence_dir: Path = ROOT / "var" / "evidence"
    rasa_timeout_seconds: float = 30.0
    # closed cases are anonymised, and idle conversations without a live case deleted,
    # this many days after closing / the last message (0: kept for ever)
    retention_days: int = 365
    retention_interval_hours: float = 6.0
    # jurisdiction code -> database URL of its users' personal data: cases, transcript
    # turns, inbox rows, reminders and Rasa's tracker events (unset: DATABASE_URL and
    # RASA_TRACKER_STORE_URL; docs/privacy.md, "Data location per jurisdiction")
    regional_database_urls: Mapping[str, str] = field(default_factory=dict)
    # jurisdiction code -> folder of its users' evidence files (unset: evidence_dir)
    regional_evidence_dirs: Mapping[str, Path] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def rasa_port(self) -> int:
        """The port of `rasa_url` (the port the Rasa server is started on)."""
        tail = self.rasa_url.rsplit(":", 1)[-1].split("/")[0]
        return int(tail) if tail.isdigit() else 5005

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Reads the environment (or the given mapping)."""
        env = os.environ if env is None else env
        var_dir = Path(env.get("ACCORD_VAR_DIR") or ROOT / "var")
        staff_chat = env.get("TELEGRAM_STAFF_CHAT_ID")
        return cls(
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL")
            or cls.telegram_api_base_url,
            telegram_file_base_url=env.get("TELEGRAM_FILE_BASE_URL")
            or cls.telegram_file_base_url,
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_staff_chat_id=int(staff_chat) if staff_chat else None,
            webhook_port=_int(env.get("WEBHOOK_PORT"), 8443),
            database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir}/disputebot.db",
            rasa_url=(env.get("RASA_URL") or cls.rasa_url).rstrip("/"),
            rasa_token=env.get("RASA_TOKEN") or _stored_token(var_dir),
            rasa_tracker_store_url=env.get("RASA_TRACKER_STORE_URL")
            or f"sqlite:///{var_dir}/rasa_tracker.db",
            action_server_port=_int(env.get("ACTION_SERVER_PORT"), 5055),
            staff_console_port=_int(env.get("STAFF_CONSOLE_PORT"), 8080),
            var_dir=var_dir,
            evidence_dir=Path(env.get("EVIDENCE_DIR") or var_dir / "evidence"),
            rasa_timeout_seconds=float(env.get("RASA_TIMEOUT_SECONDS") or 30.0),
            retention_days=_int(env.get("ACCORD_RETENTION_DAYS"), 365),
            retention_interval_hours=float(
                env.get("ACCORD_RETENTION_INTERVAL_HOURS") or 6.0
            ),
            regional_database_urls=regional_database_urls(env),
            regional_evidence_dirs={
                code: Path(env[f"EVIDENCE_DIR_{code}"])
                for code in JURISDICTIONS
                if env.get(f"EVIDENCE_DIR_{code}")
            },
        )

    def database_url_for(self, jurisdiction: Optional[str]) -> str:
        """Where the personal data of this jurisdiction is stored."""
        return self.regional_database_urls.get(str(jurisdiction or "").upper()) or (
            self.database_url
        )

    def evidence_dir_for(self, jurisdictions: Iterable[str] = ()) -> Path:
        """The evidence folder of the first of these jurisdictions that has one
        (`EVIDENCE_DIR_<code>`), else EVIDENCE_DIR."""
        for code in jurisdictions:
            folder = self.regional_evidence_dirs.get(str(code).upper())
            if folder is not None:
                return folder
        return self.evidence_dir

    def all_evidence_dirs(self) -> List[Path]:
        """EVIDENCE_DIR first, then each distinct regional evidence folder."""
        return _distinct(self.evidence_dir, self.regional_evidence_dirs.values())

    def all_database_urls(self) -> List[str]:
        """DATABASE_URL first, then each distinct regional database."""
        return _distinct(self.database_url, self.regional_database_urls.values())


def _stored_token(var_dir: Path) -> str:
    """The Rasa API token kept in var/rasa_token, created (0600) on first use."""
    path = var_dir / "rasa_token"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return token


def _distinct(first: Any, others: Iterable[Any]) -> List[Any]:
    """`first`, then each of `others` not seen yet, in order."""
    found = [first]
    for item in others:
        if item not in found:
            found.append(item)
    return found
