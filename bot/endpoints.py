"""The endpoints file of the development stack, written from the settings.

`endpoints.yml` shows the development defaults (action server on 5055, tracker store in
`var/rasa_tracker.db`). The stack started by `make run` gives Rasa a copy written from
the settings instead, under `ACCORD_VAR_DIR`, so that `ACTION_SERVER_PORT`,
`ACCORD_VAR_DIR` and `RASA_TRACKER_STORE_URL` reach Rasa too: the adapter checks each turn
in the same tracker database Rasa writes (`bot/turns.py`). Production uses
`endpoints.prod.yml` with `${VAR}`s (`bot/prod.py`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional

from sqlalchemy.engine import make_url

from bot.settings import Settings

HEADER = "# written by bot/endpoints.py from the settings (`make run`); see endpoints.yml\n"


def tracker_store_keys(url: str) -> Dict[str, object]:
    """The SQL tracker store's keys (dialect, db, url, port…) for a SQLAlchemy URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {"dialect": "sqlite", "db": parsed.database or ""}
    keys: Dict[str, object] = {"dialect": parsed.drivername, "url": parsed.host,
                               "port": parsed.port, "db": parsed.database,
                               "username": parsed.username, "password": parsed.password}
    return {key: value for key, value in keys.items() if value is not None}


def dev_endpoints(settings: Settings) -> str:
    """The endpoints file's text (JSON values are valid YAML: no quoting rules to get
    wrong with paths or passwords)."""
    lines = [
        HEADER,
        "action_endpoint:\n",
        f'  url: {json.dumps(f"http://127.0.0.1:{settings.action_server_port}/webhook")}\n',
        "tracker_store:\n",
        "  type: bot.regional_tracker_store.RegionalTrackerStore\n",
    ]
    for key, value in tracker_store_keys(settings.rasa_tracker_store_url).items():
        lines.append(f"  {key}: {json.dumps(value)}\n")
    return "".join(lines)


def write_dev_endpoints(settings: Settings, path: Optional[Path] = None) -> Path:
    """Writes `dev_endpoints` to `path` (default: var_dir/endpoints.yml); returns it."""
    path = path or settings.var_dir / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dev_endpoints(settings), encoding="utf-8")
    return path
