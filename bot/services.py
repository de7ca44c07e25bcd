"""Builds the long-lived parts from the settings (nothing happens at import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

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
        )

    async def aclose(self) -> None:
        """Closes the HTTP client and the engines."""
        await self.rasa.aclose()
        self.engine.dispose()
        self.tracker_engine.dispose()


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
    )
