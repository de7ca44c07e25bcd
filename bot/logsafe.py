"""A logging filter that keeps secrets out of every log line, tracebacks included.

The code never logs the bot token, the Rasa token or the webhook secret on purpose, but
libraries quote URLs in their messages and exceptions (Telegram's carry the bot token,
Rasa's API the `?token=`). `install(settings)` puts this filter on the root logger's
handlers (`python -m bot …` does it on start), so whatever a library logs, the secret
is replaced by `[secret]`.
"""

from __future__ import annotations

import logging
from typing import Iterable, List, Optional

from bot.settings import Settings

MASK = "[secret]"


def secrets_of(settings: Settings) -> List[str]:
    """The values to hide: tokens, the webhook secret, and the bot token's secret half."""
    found: List[str] = []
    token = settings.telegram_bot_token or ""
    for value in (token, token.partition(":")[2], settings.rasa_token,
                  settings.telegram_webhook_secret):
        if value and len(value) >= 6 and value not in found:
            found.append(value)
    return sorted(found, key=len, reverse=True)  # the whole token before its half


class SecretFilter(logging.Filter):
    """Replaces each secret in the formatted message and the exception text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _hide(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        hidden = self._hide(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._hide(record.exc_text)
        if record.stack_info:
            record.stack_info = self._hide(record.stack_info)
        return True


def install(settings: Settings, logger: Optional[logging.Logger] = None) -> SecretFilter:
    """Adds the filter to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    secret_filter = SecretFilter(secrets_of(settings))
    for handler in target.handlers:
        handler.addFilter(secret_filter)
    return secret_filter
