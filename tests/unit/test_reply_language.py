"""`make eval`'s reply-language measure follows the `language` slot's rule."""

from __future__ import annotations

from nlu.evaluate import reply_language


def parse(language: str, confidence: float, unsupported: bool = False) -> dict:
    entities = [{"entity": "language", "value": language, "confidence_entity": confidence}]
    if unsupported:
        entities.append({"entity": "unsupported_language", "value": "latin"})
    return {"entities": entities}


def test_a_confident_language_is_the_reply_language():
    assert reply_language(parse("ru", 1.0), "zh") == "ru"
    assert reply_language(parse("fr", 0.95), "zh") == "fr"


def test_a_short_latin_message_keeps_the_conversation_language():
    # "hello" in a Chinese conversation: French at 0.5 is not enough to switch
    assert reply_language(parse("fr", 0.5), "zh") == "zh"
    assert reply_language(parse("fr", 0.5), "fr") == "fr"


def test_an_unsupported_language_gets_the_language_choice():
    assert reply_language(parse("fr", 0.1, unsupported=True), "fr") == "other"


def test_no_entity_keeps_the_conversation_language():
    assert reply_language({"entities": []}, "ru") == "ru"
    assert reply_language({}, "zh") == "zh"
