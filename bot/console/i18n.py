"""The console's own translations (translations/<lang>.yml), chosen per request."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict

import yaml
from aiohttp import web

DIR = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("en", "fr", "zh", "ru")
DEFAULT = "en"
COOKIE = "accord_lang"


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> Dict[str, str]:
    """Every text of one language (English fills any gap)."""
    with open(DIR / f"{language}.yml", encoding="utf-8") as handle:
        texts = yaml.safe_load(handle) or {}
    if language != DEFAULT:
        texts = {**catalogue(DEFAULT), **texts}
    return texts


def translate(language: str, key: str, **values: object) -> str:
    """The text `key` in `language`, with `{placeholders}` filled."""
    texts = catalogue(language if language in LANGUAGES else DEFAULT)
    value = texts.get(key, key)
    return value.format(**values) if values else value


def choose_language(request: web.Request) -> str:
    """?lang=, then the cookie, then Accept-Language, then English."""
    wanted = request.query.get("lang")
    if wanted in LANGUAGES:
        return wanted
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT
