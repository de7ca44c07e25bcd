"""Writing-system helpers shared by the tokenizer and the language identifier."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

HAN = regex.compile(r"\p{Han}")
HAN_RUN = regex.compile(r"\p{Han}+|[^\p{Han}]+")
CYRILLIC = regex.compile(r"\p{Cyrillic}")
LATIN = regex.compile(r"\p{Latin}")
# scripts of languages Accord does not speak
FOREIGN = regex.compile(
    r"[\p{Hiragana}\p{Katakana}\p{Hangul}\p{Arabic}\p{Hebrew}\p{Greek}"
    r"\p{Devanagari}\p{Thai}\p{Armenian}\p{Georgian}\p{Bengali}\p{Tamil}]"
)
# letters that Russian does not use but Ukrainian / Belarusian / Serbian do
NON_RUSSIAN_CYRILLIC = regex.compile(r"[іїєґўјљњћђџІЇЄҐЎЈЉЊЋЂЏ]")


@dataclass(frozen=True)
class ScriptCounts:
    """How many letters of each writing system a text holds."""

    han: int
    cyrillic: int
    latin: int
    foreign: int
    non_russian_cyrillic: int

    @property
    def letters(self) -> int:
        return self.han + self.cyrillic + self.latin + self.foreign

    @property
    def dominant(self) -> str:
        """`han`, `cyrillic`, `latin`, `foreign` or `none` (no letters at all).

        Han characters carry a word's worth of meaning each, so they weigh double
        against alphabetic letters. Latin letters count a third next to Han or
        Cyrillic: Chinese and Russian users mix in English words, names and case
        references ("cancel掉", "дело DR-4K7Q2M"), while a French message with a Chinese
        or Russian name in it is still mostly French. A tie goes to Han, then Cyrillic.
        """
        mixed = self.han or self.cyrillic
        weights = {
            "han": 2 * self.han,
            "cyrillic": self.cyrillic,
            "latin": self.latin / 3 if mixed else self.latin,
            "foreign": 2 * self.foreign,
        }
        best = max(weights, key=lambda key: weights[key])
        return best if weights[best] > 0 else "none"


def count_scripts(text: str) -> ScriptCounts:
    """Count the letters of each writing system in `text`."""
    return ScriptCounts(
        han=len(HAN.findall(text)),
        cyrillic=len(CYRILLIC.findall(text)),
        latin=len(LATIN.findall(text)),
        foreign=len(FOREIGN.findall(text)),
        non_russian_cyrillic=len(NON_RUSSIAN_CYRILLIC.findall(text)),
    )


def fold(text: str) -> str:
    """Lower-case, NFKC-normalise, drop accents and map `ё` to `е`.

    Used for lemmas and lexicon matching, so that "reserver" matches "réserver",
    "еще" matches "ещё" and full-width digits match ASCII ones.
    """
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    decomposed = unicodedata.normalize("NFD", text)
    # keep the combining breve of "й" (it is a letter of its own in Russian)
    kept = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) or ch == "\u0306"
    )
    return unicodedata.normalize("NFC", kept)
