"""Rasa's REST channel with a token: `bot.rasa_channel.TokenRestInput` in credentials.yml.

Rasa's `--auth-token` protects its HTTP API but not the channel webhooks, and the stock
REST channel believes any `sender` it is given: whoever reaches the port could write
into any conversation. This channel keeps the REST channel's URL
(`/webhooks/rest/webhook`), input channel name and behaviour, and refuses (401) every
message that does not carry the Rasa token, as `Authorization: Bearer <token>` or
`?token=`, compared in constant time. The token is the credentials' `token`, else
RASA_TOKEN, else the one generated under var/ (bot/settings.py) — the same one the
adapter (bot/rasa_client.py) sends.

`POST /webhooks/rest/turn` (same body, same token) answers with the replies *and* what
the turn understood — `{"messages": [...], "intent": ..., "confidence": ...,
"language": ..., "case_ref": ..., "jurisdiction": ...}` — read from the tracker the turn
has just saved, so the adapter does not fetch the whole tracker again over the HTTP API
after every message (that second request cost as much as the turn itself). A turn that
raises answers 500 instead of the REST channel's 200 with whatever was collected: the
adapter keeps the message and retries it.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.exceptions import Unauthorized
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


def _configured_token() -> str:
    from bot.settings import Settings

    return Settings.from_env().rasa_token


def presented_token(request: Request) -> Optional[str]:
    """The token of a request: the Bearer header, else the `token` query argument."""
    header = request.headers.get("Authorization") or ""
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    return request.args.get("token")


class TokenRestInput(RestInput):
    """The REST channel, for callers that present the Rasa token only."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token or _configured_token()
        if not self.token:
            raise ValueError("the REST channel needs a token (RASA_TOKEN)")

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TokenRestInput":
        """The channel of credentials.yml; also speeds up this Rasa server's action
        result validation (bot/rasa_patches.py)."""
        from bot import rasa_patches

        rasa_patches.install()
        return cls((credentials or {}).get("token"))

    def authorised(self, request: Request) -> bool:
        """Whether the request carries the token (constant-time comparison)."""
        sent = presented_token(request)
        return bool(sent) and hmac.compare_digest(
            str(sent).encode("utf-8"), self.token.encode("utf-8")
        )

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        # the first thing the webhook route does with a message: refuse it here
        if not self.authorised(req):
            raise Unauthorized("the Rasa token is required")
        return await super()._extract_sender(req)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The REST channel's routes, plus `POST /turn`."""
        blueprint = super().blueprint(on_new_message)

        @blueprint.route("/turn", methods=["POST"])
        async def turn(request: Request) -> HTTPResponse:
            """One user message: the replies and what the turn understood."""
            sender_id = await self._extract_sender(request)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded"}, status=503)
            collector = CollectingOutputChannel()
            message = UserMessage(
                self._extract_message(request), collector, sender_id,
                input_channel=self.name(), metadata=self.get_metadata(request),
            )
            try:
                async with agent.lock_store.lock(sender_id):
                    tracker = await run_turn(agent.processor, message)
            except Exception:  # the turn failed as a whole: the caller retries it
                logger.exception("turn of one conversation failed")
                return response.json({"error": "the turn failed"}, status=500)
            return response.json(turn_answer(collector.messages, tracker))

        return blueprint


async def run_turn(processor: Any, message: UserMessage) -> DialogueStateTracker:
    """`MessageProcessor.handle_message` of Rasa 3.6, returning the saved tracker."""
    tracker = await processor.log_message(message, should_save_tracker=False)
    tracker = await processor.run_action_extract_slots(message.output_channel, tracker)
    await processor._run_prediction_loop(message.output_channel, tracker)
    await processor.run_anonymization_pipeline(tracker)
    await processor.save_tracker(tracker)
    return tracker


def turn_answer(messages: List[Dict[str, Any]], tracker: DialogueStateTracker
                ) -> Dict[str, Any]:
    """The `/turn` answer: replies, intent and confidence, the language, case and
    jurisdiction slots (where the adapter keeps the conversation's rows)."""
    intent = tracker.latest_message.intent if tracker.latest_message else {}
    return {
        "messages": messages,
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
        "language": tracker.get_slot("language"),
        "case_ref": tracker.get_slot("case_ref"),
        "jurisdiction": tracker.get_slot("jurisdiction"),
    }
