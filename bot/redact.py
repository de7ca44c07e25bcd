"""Redaction of phone numbers and e-mail addresses in free text (exports).

Phone numbers are found by `phonenumbers` (Google's libphonenumber), once for each
region Accord serves, so that national forms count too: "06 12 34 56 78" (France),
"8 (912) 345-67-89" (Russia), "138 0013 8000" (China), and any "+<country> …" form.
Only numbers that are valid for their region are redacted (`Leniency.VALID`), so dates,
amounts and case references stay readable. E-mail addresses are matched by a regular
expression that accepts non-ASCII local parts and domains.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Tuple

import phonenumbers

REGIONS = ("FR", "RU", "CN")
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"
# a phone number has at least 7 digits: texts with fewer skip the (slow) matcher
MIN_DIGITS = 7
EMAIL_RE = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![^\W\d_]|-)",
    re.UNICODE,
)

Span = Tuple[int, int, str]


def _phone_spans(text: str) -> List[Span]:
    if sum(ch.isdigit() for ch in text) < MIN_DIGITS:
        return []
    spans: List[Span] = []
    for region in REGIONS:
        matcher = phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        )
        spans.extend((m.start, m.end, PHONE) for m in matcher)
    return spans


def _merge(spans: Iterable[Span]) -> List[Span]:
    """Overlapping spans become one (the earliest placeholder wins)."""
    merged: List[Span] = []
    for start, end, label in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, label))
    return merged


def redact(text: str) -> str:
    """`text` with every e-mail address and phone number replaced by a placeholder.

    Repeated until nothing changes: removing one number can free a digit run that the
    matcher had skipped as part of a longer candidate. Each pass removes digits or an
    `@`, so this ends (usually after one or two passes)."""
    while True:
        once = _redact_once(text) if text else text
        if once == text:
            return once
        text = once


def _redact_once(text: str) -> str:
    spans: List[Span] = []
    masked = text
    if "@" in text:
        spans = [(m.start(), m.end(), EMAIL) for m in EMAIL_RE.finditer(text)]
        masked = EMAIL_RE.sub(lambda m: " " * len(m.group()), text)  # no phone in them
    spans.extend(_phone_spans(masked))
    if not spans:
        return text
    out, position = [], 0
    for start, end, label in _merge(spans):
        out.append(text[position:start])
        out.append(label)
        position = end
    out.append(text[position:])
    result = "".join(out)
    # pieces glued together by a removed number can form an address: no second chance
    return EMAIL_RE.sub(EMAIL, result) if "@" in result else result


def redact_optional(text: object) -> object:
    """`redact` for values that may be None or not text (left as they are)."""
    return redact(text) if isinstance(text, str) else text
