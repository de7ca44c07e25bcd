"""The user-text normaliser: property-based, it never raises and always bounds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import MAX_LENGTH, clean


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_never_raises_and_is_bounded(text):
    result = clean(text)
    assert len(result.text) <= MAX_LENGTH
    assert "\x00" not in result.text
    assert result.text == clean(result.text).text  # idempotent


@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text())))
def test_non_text_input(value):
    assert isinstance(clean(value).text, str)


def test_controls_bidi_and_zero_width_are_removed():
    assert clean("\u200bbon\x00jour\u202e\x07\u200d").text == "bonjour"


def test_newlines_are_kept():
    assert clean("ligne 1\nligne 2").text == "ligne 1\nligne 2"


def test_long_cjk_cyrillic_and_emoji_are_cut():
    for unit in ("照片", "фото", "📷"):
        result = clean(unit * 5000)
        assert result.truncated and len(result.text) == MAX_LENGTH


def test_whitespace_only_is_empty():
    assert clean(" \n\t\u200b ").is_empty
