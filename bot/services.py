"""Builds the long-lived parts from the settings (nothing happens at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.conversation import Conversations, HandoffCallback
from bot.erasure import erase_tracker_events
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessionmaker


@dataclass
class Services:
    """The database, the tracker store's database and the Rasa client."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker
    tracker_engine: Engine
    rasa: RasaClient
    # the regional databases (ACCORD_DATABASE_URL_<code>) holding cases, for erasure
    regional_engines: List[Engine] = field(default_factory=list)

    @property
    def regional_sessions(self) -> List[sessionmaker]:
        """Session factories of the regional case databases."""
        return [make_sessionmaker(engine) for engine in self.regional_engines]

    def conversations(
        self, channel: str, on_handoff: Optional[HandoffCallback] = None
    ) -> Conversations:
        """A conversation runner for one channel."""
        return Conversations(
            rasa=self.rasa,
            sessions=self.sessions,
            channel=channel,
            erase_tracker=lambda sender: erase_tracker_events(
                self.tracker_engine, sender
            ),
            evidence_dir=self.settings.evidence_dir,
            on_handoff=on_handoff,
            regional_sessions=self.regional_sessions,
            tracker_engine=self.tracker_engine,
            actions_health_url=self.actions_health_url,
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
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        tracker_engine=make_engine(settings.rasa_tracker_store_url),
        rasa=RasaClient(
            settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds
        ),
        regional_engines=[make_engine(url) for url in settings.all_database_urls()[1:]],
    )
