"""Rasa's REST channel with a token: `bot.rasa_channel.TokenRestInput` in credentials.yml.

Rasa's `--auth-token` protects its HTTP API but not the channel webhooks, and the stock
REST channel believes any `sender` it is given: whoever reaches the port could write
into any conversation. This channel keeps the REST channel's URL
(`/webhooks/rest/webhook`), input channel name and behaviour, and refuses (401) every
message that does not carry the Rasa token, as `Authorization: Bearer <token>` or
`?token=`, compared in constant time. The token is the credentials' `token`, else
RASA_TOKEN, else the one generated under var/ (bot/settings.py) — the same one the
adapter (bot/rasa_client.py) sends.
"""

from __future__ import annotations

import hmac
from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import Unauthorized
from sanic.request import Request


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
