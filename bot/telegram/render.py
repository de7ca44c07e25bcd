"""Rasa replies rendered for Telegram: split texts, inline keyboards, callback data.

Texts are sent as plain text (no parse mode), so nothing a user typed can break the
markup. Callback data is at most 64 bytes and never trusted: it is either the payload
with an HMAC tag bound to the chat, or a short random id kept server-side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional

import regex
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts
MAX_CALLBACK_BYTES = 64
TAG_CHARS = 12  # base64 of 9 bytes of HMAC-SHA256
MAPPED_PREFIX = "~"  # never the first character of a base64url tag
_GRAPHEME = regex.compile(r"\X", regex.DOTALL)


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units (a lone surrogate counts for one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> List[str]:
    """Parts of at most `limit` UTF-16 units, cut between graphemes, at a line or space
    break where there is one in the second half of the part."""
    if utf16_len(text) <= limit:
        return [text] if text else []
    parts: List[str] = []
    chunk: List[str] = []
    size = 0
    for grapheme in _GRAPHEME.findall(text):
        width = utf16_len(grapheme)
        if size + width > limit and chunk:
            cut = _break_point(chunk)
            parts.append("".join(chunk[:cut]))
            chunk = chunk[cut:]
            size = sum(utf16_len(g) for g in chunk)
        chunk.append(grapheme)
        size += width
    if chunk:
        parts.append("".join(chunk))
    return [part for part in (p.strip("\n") for p in parts) if part]


def _break_point(chunk: List[str]) -> int:
    """Where to cut a full chunk: after its last newline, else its last space."""
    half = len(chunk) // 2
    for separators in (("\n",), (" ", "\u3000", "。", "，")):
        for index in range(len(chunk) - 1, half, -1):
            if chunk[index] in separators:
                return index + 1
    return len(chunk)


@dataclass(frozen=True)
class Pressed:
    """A decoded button press: the payload, and its title when known server-side."""

    payload: str
    title: Optional[str] = None


class CallbackCodec:
    """Encodes buttons as callback data and checks what comes back."""

    def __init__(self, secret: str, per_chat: int = 200, chats: int = 20_000) -> None:
        self._key = hashlib.sha256(b"accord-callback\x00" + secret.encode()).digest()
        self._per_chat = per_chat
        self._chats = chats  # the most recent chats keep their mapped buttons
        self._mapped: "OrderedDict[str, OrderedDict[str, Pressed]]" = OrderedDict()

    def _tag(self, chat_id: str, payload: str) -> str:
        digest = hmac.new(
            self._key, f"{chat_id}\x00{payload}".encode("utf-8", "surrogatepass"),
            hashlib.sha256,
        ).digest()
        return base64.urlsafe_b64encode(digest[:9]).decode()

    def encode(self, chat_id: str, title: str, payload: str) -> str:
        """Callback data of at most 64 bytes for this button in this chat."""
        signed = self._tag(chat_id, payload) + payload
        if len(signed.encode("utf-8", "surrogatepass")) <= MAX_CALLBACK_BYTES:
            return signed
        mapped = self._mapped.setdefault(chat_id, OrderedDict())
        self._mapped.move_to_end(chat_id)
        key = MAPPED_PREFIX + secrets.token_urlsafe(9)
        mapped[key] = Pressed(payload=payload, title=title)
        while len(mapped) > self._per_chat:
            mapped.popitem(last=False)
        while len(self._mapped) > self._chats:
            self._mapped.popitem(last=False)
        return key

    def decode(self, chat_id: str, data: Optional[str]) -> Optional[Pressed]:
        """The button behind `data`, or None when it is unknown, forged or stale."""
        if not data:
            return None
        if data.startswith(MAPPED_PREFIX):
            return self._mapped.get(chat_id, {}).get(data)
        tag, payload = data[:TAG_CHARS], data[TAG_CHARS:]
        # bytes: compare_digest refuses (TypeError) str holding non-ASCII characters
        expected = self._tag(chat_id, payload).encode()
        if payload and hmac.compare_digest(tag.encode("utf-8", "replace"), expected):
            return Pressed(payload=payload)
        return None

    def forget(self, chat_id: str) -> None:
        """Drops the chat's mapped buttons (after an erasure)."""
        self._mapped.pop(chat_id, None)

    def keyboard(
        self, chat_id: str, buttons: List[Dict[str, str]]
    ) -> Optional[InlineKeyboardMarkup]:
        """One button per row, or None when there are none."""
        rows = [
            [
                InlineKeyboardButton(
                    button["title"][:64] or button["payload"][:64],
                    callback_data=self.encode(chat_id, button["title"], button["payload"]),
                )
            ]
            for button in buttons
            if button.get("payload")
        ]
        return InlineKeyboardMarkup(rows) if rows else None
