"""The Rasa server over HTTP: the REST channel for messages, the API for trackers."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import httpx

logger = logging.getLogger(__name__)
TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s'\"]+")


class RasaUnavailable(Exception):
    """Rasa (or its action server) did not answer, or answered with an error.

    httpx's errors quote the URL, and the API's URLs carry `?token=`: the message keeps
    the URL but never the token (these errors are logged)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(TOKEN_IN_URL.sub(r"\1***", str(message)))


class RasaTimeout(RasaUnavailable):
    """Rasa did not answer in time: it may still be working on the message."""


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


class Replies(List[BotReply]):
    """The replies of one turn, and what the turn understood (None when unknown)."""

    turn: Optional[LatestTurn] = None


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
        """Sends a user message; returns the bot's replies and what Rasa understood."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            response = await self._client.post(
                "/webhooks/rest/turn", json=body,  # bot/rasa_channel.py
                headers={"Authorization": f"Bearer {self._token}"},
            )
            response.raise_for_status()
            answer = response.json()
        except httpx.TimeoutException as error:
            raise RasaTimeout(f"no answer in time: {error!r}") from error
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error) or repr(error)) from error
        items = answer.get("messages") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise RasaUnavailable(f"unexpected answer: {answer!r}"[:200])
        replies = Replies(BotReply.from_rasa(item) for item in items if isinstance(item, dict))
        slots = {key: answer.get(key) for key in ("language", "case_ref", "jurisdiction")}
        replies.turn = LatestTurn(
            intent=answer.get("intent"), confidence=answer.get("confidence"),
            language=slots["language"], slots=slots,
        )
        return replies

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

    async def rewind(self, sender: str, metadata: Optional[Dict[str, Any]] = None) -> None:
        """Undoes the latest user message and what followed it in the tracker (it is
        sent again later), then listens again."""
        events = [{"event": "rewind", "metadata": metadata or {}},
                  {"event": "action", "name": "action_listen"}]
        try:
            response = await self._client.post(
                f"/conversations/{sender}/tracker/events",
                params={"token": self._token}, json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"rewind failed: {error!r}") from error

    async def url_ok(self, url: str) -> bool:
        """True when `url` (e.g. the action server's /health) answers 200."""
        try:
            response = await self._client.get(url, timeout=5.0)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def is_ready(self) -> bool:
        """True when the server answers and has a model loaded."""
        try:
            response = await self._client.get("/status", params={"token": self._token})
            return response.status_code == 200 and bool(
                response.json().get("model_file")
            )
        except (httpx.HTTPError, ValueError):
            return False
