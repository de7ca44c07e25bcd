"""A client's contact, as typed: a phone number (any common national or international
form, parsed by `phonenumbers`) or an e-mail address (internationalised ones too).

What people really type is cleaned first: full-width characters (＋８６…, ＠) are
folded (NFKC), invisible characters (zero-width, bidi marks, NUL) dropped, a `tel:` or
`mailto:` prefix, angle brackets and a final full stop removed. A sentence holding
exactly one number or one address ("mon numéro : 06 12 34 56 78") is accepted too.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Tuple

import phonenumbers

MAX_EMAIL = 200
MAX_INPUT = 500  # longer answers are not a contact
REGION = {"FR": "FR", "CN": "CN", "RU": "RU"}
REGIONS = ("FR", "CN", "RU")
PHONE_CHARS = re.compile(r"^[+\d\s().\-/]+$")
PREFIX = re.compile(r"^(?:tel|phone|mailto)\s*:\s*", re.IGNORECASE)
# local part: no leading, trailing or double dot; domain: letter/digit labels (any
# script) joined by dots, ending with a letter TLD or a punycode one
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[\w.%+-]+(?<!\.)@" + _LABEL + r"(?:\." + _LABEL + r")*"
    r"\.(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)$"
)
SEPARATORS = re.compile(r"[\s,;:，；：]+")


def contact_text(text: str) -> str:
    """NFKC, no invisible characters, no `tel:`/`mailto:`, brackets or final dot."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = "".join(
        " " if char.isspace() else char
        for char in text
        if unicodedata.category(char) not in ("Cc", "Cf") or char in "\t\n"
    )
    text = PREFIX.sub("", " ".join(text.split()))
    text = text.strip(" <>\"'«»“”()[]").rstrip(".,;:!?。，；")
    return text[:MAX_INPUT]


def _parse(candidate: str, region: str) -> Optional[str]:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _regions(jurisdiction: str) -> List[str]:
    """The client's region first, then the other supported ones."""
    first = REGION.get(jurisdiction, "FR")
    return [first] + [region for region in REGIONS if region != first]


def normalise_phone(text: str, jurisdiction: str) -> Optional[str]:
    """A valid phone number in E.164 ("+33612345678"), or None. A national number is
    read in the client's region, else in the other supported ones."""
    text = contact_text(text)
    if not text or not PHONE_CHARS.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not 6 <= len(digits) <= 15:
        return None
    for index, region in enumerate(_regions(jurisdiction)):
        candidates = [text] if text.startswith("+") or index else [text, "+" + digits]
        for candidate in candidates:
            found = _parse(candidate, region)
            if found:
                return found
    return None


def find_phone(text: str, jurisdiction: str) -> Optional[str]:
    """The one valid phone number written in a sentence, else None."""
    text = contact_text(text)
    for region in _regions(jurisdiction):
        found = {
            phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            for match in phonenumbers.PhoneNumberMatcher(text, region)
        }
        if len(found) == 1:
            return found.pop()
        if found:
            return None  # several numbers: ask again rather than guess
    return None


def is_email(text: str) -> bool:
    """A plausible e-mail address (internationalised addresses included)."""
    text = contact_text(text)
    return len(text) <= MAX_EMAIL and bool(EMAIL.match(text))


def find_email(text: str) -> Optional[str]:
    """The address (lower case) when the text is one, or holds exactly one."""
    text = contact_text(text)
    if is_email(text):
        return text.lower()
    found = {
        token.lower()
        for token in (contact_text(word) for word in SEPARATORS.split(text) if "@" in word)
        if is_email(token)
    }
    return found.pop() if len(found) == 1 else None


def parse_contact(text: str, jurisdiction: str) -> Tuple[Optional[str], Optional[str]]:
    """(normalised contact, None) or (None, what is wrong: email / phone / contact)."""
    text = contact_text(text)
    if "@" in text:
        email = find_email(text)
        return (email, None) if email else (None, "email")
    if any(char.isdigit() for char in text):
        phone = normalise_phone(text, jurisdiction) or find_phone(text, jurisdiction)
        return (phone, None) if phone else (None, "phone")
    return None, "contact"
