"""Normalisation of user text before it is stored or sent to Rasa."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Telegram's own limit for one message; longer input (the terminal, a forwarded text)
# is cut here so that nothing downstream has to cope with megabytes of text.
MAX_LENGTH = 4096
KEEP_CONTROLS = {"\n", "\t"}
# bidi overrides, isolates and marks can disguise text in logs and in the console
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                    "\u200e\u200f\u061c")
# invisible and meaningless anywhere: zero-width space, word joiner, BOM (the zero-width
# joiners stay: emoji sequences such as 👨‍👩‍👧 need them)
ZERO_WIDTH = set("\u200b\u2060\ufeff")


@dataclass(frozen=True)
class CleanText:
    """The cleaned text and what was done to it."""

    text: str
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        """True when nothing readable is left."""
        return not self.text.strip()


def clean(text: object, max_length: int = MAX_LENGTH) -> CleanText:
    """NFC, no NUL/control/bidi characters, no zero-width space, word joiner or BOM, no
    zero-width (non-)joiner at the ends, at most `max_length` characters (never cutting
    a surrogate pair: str is code points). Never raises."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        if char in KEEP_CONTROLS:
            kept.append(char)
        elif char in BIDI_CONTROLS or char in ZERO_WIDTH:
            continue
        elif unicodedata.category(char) in ("Cc", "Cs"):
            continue
        else:
            kept.append(char)
    text = "".join(kept).strip().strip("\u200b\u200c\u200d\ufeff").strip()
    truncated = len(text) > max_length
    if truncated:
        text = text[:max_length]
    return CleanText(text, truncated)
