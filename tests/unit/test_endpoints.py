"""bot/endpoints.py: the development endpoints file, as Rasa reads it."""

from __future__ import annotations

from pathlib import Path

from rasa.core.utils import AvailableEndpoints

from bot.endpoints import tracker_store_keys, write_dev_endpoints
from bot.settings import Settings


def read(settings: Settings, tmp_path: Path) -> AvailableEndpoints:
    return AvailableEndpoints.read_endpoints(str(write_dev_endpoints(settings, tmp_path / "e.yml")))


def test_ports_and_var_dir_reach_rasa(tmp_path):
    settings = Settings.from_env({"ACCORD_VAR_DIR": str(tmp_path / "var"),
                                  "ACTION_SERVER_PORT": "6123"})
    endpoints = read(settings, tmp_path)
    assert endpoints.action.url == "http://127.0.0.1:6123/webhook"
    store = endpoints.tracker_store
    assert store.type == "bot.regional_tracker_store.RegionalTrackerStore"
    assert store.kwargs == {"dialect": "sqlite", "db": str(tmp_path / "var" / "rasa_tracker.db")}


def test_default_path_is_var_dir_of_settings(tmp_path):
    settings = Settings.from_env({"ACCORD_VAR_DIR": str(tmp_path)})
    path = write_dev_endpoints(settings)
    assert path == tmp_path / "endpoints.yml"
    assert "5055" in path.read_text(encoding="utf-8")


def test_a_server_database_url_is_split_into_rasa_keys(tmp_path):
    url = "postgresql://accord:p%40ss:w0rd@db.internal:6543/rasa"
    assert tracker_store_keys(url) == {"dialect": "postgresql", "url": "db.internal",
                                       "port": 6543, "db": "rasa", "username": "accord",
                                       "password": "p@ss:w0rd"}
    settings = Settings.from_env({"ACCORD_VAR_DIR": str(tmp_path),
                                  "RASA_TRACKER_STORE_URL": url})
    assert read(settings, tmp_path).tracker_store.kwargs["password"] == "p@ss:w0rd"
