"""The Rasa server over HTTP: the REST channel for messages, the API for trackers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or its action server) did not answer, or answered with an error."""


@dataclass
class BotReply:
    """One message of the bot: text and buttons, or a custom payload."""

    text: Optional[str] = None
    buttons: List[Dict[str, str]] = field(default_factory=list)
    custom: Optional[Dict[str, Any]] = None
    image: Optional[str] = None

    @classmethod
    def from_rasa(cls, data: Dict[str, Any]) -> "BotReply":
        """Builds a reply from one item of the REST channel's answer."""
        return cls(
            text=data.get("text"),
            buttons=[
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in data.get("buttons") or []
            ],
            custom=data.get("custom"),
            image=data.get("image"),
        )


@dataclass
class LatestTurn:
    """What Rasa understood of the latest user message, and the language slot."""

    intent: Optional[str]
    confidence: Optional[float]
    language: Optional[str]
    slots: Dict[str, Any]


class RasaClient:
    """An async client; open it with `async with` (or call `aclose`)."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self._token = token
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout, connect=5.0)
        )

    async def __aenter__(self) -> "RasaClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the connection pool."""
        await self._client.aclose()

    async def send(
        self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None
    ) -> List[BotReply]:
        """Sends a user message; returns the bot's replies."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            items = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error
        if not isinstance(items, list):
            raise RasaUnavailable(f"unexpected answer: {items!r}"[:200])
        return [BotReply.from_rasa(item) for item in items if isinstance(item, dict)]

    async def latest_turn(self, sender: str) -> LatestTurn:
        """The latest message's intent and confidence, and the tracker's slots."""
        try:
            response = await self._client.get(
                f"/conversations/{sender}/tracker",
                params={"include_events": "NONE", "token": self._token},
            )
            response.raise_for_status()
            tracker = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error
        intent = (tracker.get("latest_message") or {}).get("intent") or {}
        slots = tracker.get("slots") or {}
        return LatestTurn(
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            language=slots.get("language"),
            slots=slots,
        )

    async def is_ready(self) -> bool:
        """True when the server answers and has a model loaded."""
        try:
            response = await self._client.get("/status", params={"token": self._token})
            return response.status_code == 200 and bool(
                response.json().get("model_file")
            )
        except (httpx.HTTPError, ValueError):
            return False
