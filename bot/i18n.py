"""The adapter's own texts (bot/locales/<lang>.yml), in the user's language."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict, Optional

import yaml

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("fr", "zh", "ru")
DEFAULT = "fr"


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> Dict[str, str]:
    """All texts of one language."""
    with open(LOCALES_DIR / f"{language}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def text(key: str, language: Optional[str]) -> str:
    """The text `key` in `language` (French when the language is unknown)."""
    return catalogue(language if language in LANGUAGES else DEFAULT)[key]


def all_languages(key: str) -> str:
    """The text in the three languages, one per line (when the language is unknown)."""
    return "\n".join(text(key, language) for language in LANGUAGES)


def guess_language(code: Optional[str]) -> Optional[str]:
    """A supported language from a locale code such as Telegram's `ru-RU`."""
    prefix = (code or "").split("-")[0].lower()
    return prefix if prefix in LANGUAGES else None
