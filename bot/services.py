"""Builds the long-lived parts from the settings (nothing happens at import)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.conversation import Conversations, HandoffCallback
from bot.erasure import erase_tracker_events
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessionmaker
from bot.storage.homes import Homes


@dataclass
class Services:
    """The database, the tracker store's database and the Rasa client."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker
    tracker_engine: Engine
    rasa: RasaClient
    # the regional databases (ACCORD_DATABASE_URL_<code>): cases, transcripts, inbox,
    # reminders and Rasa's tracker events of their jurisdiction's users
    regional_engines: List[Engine] = field(default_factory=list)
    # jurisdiction code -> session factory of its database (one per distinct database)
    regional: Dict[str, sessionmaker] = field(default_factory=dict)

    @functools.cached_property
    def homes(self) -> Homes:
        """Where each conversation's rows are: `sessions`, or its jurisdiction's database
        (shared by the conversation runners and the Telegram inbox)."""
        return Homes(self.sessions, self.regional)

    @property
    def regional_sessions(self) -> List[sessionmaker]:
        """Session factories of the regional databases."""
        return self.homes.all[1:] if self.homes.regional else [
            make_sessionmaker(engine) for engine in self.regional_engines
        ]

    @property
    def tracker_engines(self) -> List[Engine]:
        """Every database holding Rasa's tracker events: the tracker store's, then the
        regional ones (bot/regional_tracker_store.py)."""
        return [self.tracker_engine, *self.regional_engines]

    def erase_tracker(self, sender: str) -> None:
        """Deletes Rasa's events of one sender in every tracker database."""
        for engine in self.tracker_engines:
            erase_tracker_events(engine, sender)

    def conversations(
        self, channel: str, on_handoff: Optional[HandoffCallback] = None
    ) -> Conversations:
        """A conversation runner for one channel."""
        return Conversations(
            rasa=self.rasa,
            sessions=self.sessions,
            channel=channel,
            erase_tracker=self.erase_tracker,
            evidence_dir=self.settings.all_evidence_dirs(),
            on_handoff=on_handoff,
            tracker_engine=self.tracker_engine,
            tracker_engines=self.regional_engines,
            actions_health_url=self.actions_health_url,
            homes=self.homes,
        )

    @property
    def actions_health_url(self) -> str:
        """The action server's health check (checked around each turn): next to
        ACTION_ENDPOINT_URL (endpoints.prod.yml) when set, else on the local port."""
        endpoint = os.environ.get("ACTION_ENDPOINT_URL", "")
        if endpoint.endswith("/webhook"):
            return endpoint[: -len("/webhook")] + "/health"
        return f"http://127.0.0.1:{self.settings.action_server_port}/health"

    async def aclose(self) -> None:
        """Closes the HTTP client and the engines."""
        await self.rasa.aclose()
        self.engine.dispose()
        self.tracker_engine.dispose()
        for engine in self.regional_engines:
            engine.dispose()


def build_services(settings: Settings) -> Services:
    """Creates engines and clients for these settings."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    # one engine per distinct regional database (a URL equal to DATABASE_URL is none)
    engines: Dict[str, Engine] = {
        url: make_engine(url) for url in settings.all_database_urls()[1:]
    }
    makers = {url: make_sessionmaker(regional) for url, regional in engines.items()}
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        tracker_engine=make_engine(settings.rasa_tracker_store_url),
        rasa=RasaClient(
            settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds
        ),
        regional_engines=list(engines.values()),
        regional={code: makers[url] for code, url in settings.regional_database_urls.items()
                  if url in makers},
    )
