"""NLU regression on the held-out split (never trained on), per language.

The model is trained on the training split once per data/config version and cached
under models/heldout/. Thresholds sit a little under the figures `make eval` measured;
a change that makes a language worse fails here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nlu import dataset, evaluate

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = {
    "fr": {"intent_accuracy": 0.85, "language_id_accuracy": 0.98},
    "zh": {"intent_accuracy": 0.85, "language_id_accuracy": 0.98},
    "ru": {"intent_accuracy": 0.85, "language_id_accuracy": 0.98},
}
DISPUTE_TYPE_MIN = 0.9
ONE_WORD_MIN = 0.99
# French messages naming foreign places or brands: still French, not the language choice
FRENCH_WITH_FOREIGN_NAMES = [
    "j'habite à Shanghai", "mon client vit à Londres depuis deux ans",
    "le shooting a eu lieu à Vladivostok", "on a fait les photos à Chongqing",
    "je fais surtout du street photography à Brooklyn",
    "la cliente travaille chez Google et refuse de payer",
]


def fingerprint() -> str:
    digest = hashlib.sha256()
    # the data, the components, and the code that writes the training files
    files = sorted((ROOT / "nlu").rglob("*.yml")) + sorted(
        (ROOT / "nlu").rglob("*.py")
    )
    for path in [ROOT / "config.yml", *files]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def held_out():
    examples = dataset.load_examples()
    train_set, test_set = dataset.split(examples)
    cache = ROOT / "models" / "heldout"
    cache.mkdir(parents=True, exist_ok=True)
    name = f"heldout-{fingerprint()}"
    model = cache / f"{name}.tar.gz"
    if not model.exists():
        for old in cache.glob("heldout-*"):
            old.unlink()
        model = Path(evaluate.train(evaluate.CONFIGS["accord"], train_set, cache, name))
    texts = [e.text for e in test_set] + [w for w, _ in evaluate.ONE_WORD]
    parses = evaluate.parse_all(str(model), texts + FRENCH_WITH_FOREIGN_NAMES)
    return test_set, parses[: len(texts)], parses[len(texts):]


def test_split_is_disjoint_and_covers_every_intent():
    train_set, test_set = dataset.split(dataset.load_examples())
    assert not {id(e) for e in train_set} & {id(e) for e in test_set}
    train_keys = {(e.language, e.intent) for e in train_set}
    assert {(e.language, e.intent) for e in test_set} <= train_keys
    for language in dataset.LANGUAGES:
        intents = {e.intent for e in train_set if e.language == language}
        for intent in intents:
            n = sum(1 for e in train_set if (e.language, e.intent) == (language, intent))
            assert n >= 25, (language, intent, n)


@pytest.mark.parametrize("language", sorted(THRESHOLDS))
def test_held_out_accuracy_per_language(held_out, language):
    test_set, parses, _ = held_out
    scores = evaluate.score(test_set, parses[: len(test_set)])[language]
    for metric, minimum in THRESHOLDS[language].items():
        assert scores[metric] >= minimum, (language, metric, scores[metric])
    if scores["dispute_type_accuracy"] is not None:
        assert scores["dispute_type_accuracy"] >= DISPUTE_TYPE_MIN, scores


def test_unsupported_languages_are_recognised(held_out):
    test_set, parses, _ = held_out
    scores = evaluate.score(test_set, parses[: len(test_set)])["other"]
    assert scores["language_id_accuracy"] >= 0.8, scores


def test_one_word_messages_get_their_language(held_out):
    test_set, parses, _ = held_out
    one_word = parses[len(test_set):]
    correct = [
        evaluate.predicted_language(p) == lang
        for p, (_, lang) in zip(one_word, evaluate.ONE_WORD)
    ]
    assert sum(correct) / len(correct) >= ONE_WORD_MIN, list(
        zip(evaluate.ONE_WORD, correct)
    )


def test_foreign_names_do_not_make_french_foreign(held_out):
    *_, parses = held_out
    found = [evaluate.predicted_language(p) for p in parses]
    assert found == ["fr"] * len(FRENCH_WITH_FOREIGN_NAMES), list(
        zip(FRENCH_WITH_FOREIGN_NAMES, found)
    )
