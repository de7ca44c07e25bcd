"""`make eval`'s scores: a pipeline without language identification gets no
language figures (the stock pipeline used to score 1.000 in reply language)."""

from __future__ import annotations

from nlu.dataset import Example
from nlu.evaluate import score

TEST = [Example("bonjour", "greet", "fr"), Example("你好", "greet", "zh"),
        Example("hello", "greet", "zh")]


def parse(intent: str, language: str = "") -> dict:
    entities = ([{"entity": "language", "value": language, "confidence_entity": 0.5}]
                if language else [])
    return {"intent": {"name": intent, "confidence": 0.9}, "entities": entities}


def test_a_pipeline_without_language_identification_gets_no_language_figures():
    result = score(TEST, [parse("greet"), parse("greet"), parse("goodbye")])
    assert result["zh"]["intent_accuracy"] == 0.5
    for language in ("fr", "zh"):
        assert result[language]["language_id_accuracy"] is None
        assert result[language]["reply_language_accuracy"] is None


def test_language_figures_of_a_pipeline_that_identifies():
    result = score(TEST, [parse("greet", "fr"), parse("greet", "zh"), parse("greet", "fr")])
    assert result["fr"]["language_id_accuracy"] == 1.0
    # "hello" in the Chinese data: French by its letters, Chinese by the conversation
    assert result["zh"]["language_id_accuracy"] == 0.5
    assert result["zh"]["reply_language_accuracy"] == 1.0
