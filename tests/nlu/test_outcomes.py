"""OutcomeFeaturizer: whether a message says the step worked or failed, negation
included."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.outcomes import OutcomeFeaturizer
from nlu.components.tokenizer import ScriptAwareTokenizer
from tests.nlu.test_roles import on, project_lexicon, trained_and_loaded

SAID_OK, SAID_FAIL, DENIED_OK, DENIED_FAIL = range(4)


@pytest.fixture(scope="module")
def featurizer(tmp_path_factory) -> OutcomeFeaturizer:
    """Trained on the project's lookup tables, stored, and loaded back."""
    return trained_and_loaded(OutcomeFeaturizer, tmp_path_factory.mktemp("storage"),
                              project_lexicon("outcome_words.yml"))


@pytest.mark.parametrize("text, expected", [
    ("ça a marché, elle a accepté le geste commercial", {SAID_OK}),
    ("ça n'a pas marché", {DENIED_OK}),
    ("elle n'est pas d'accord, elle campe sur ses positions", {DENIED_OK, SAID_FAIL}),
    ("il n'a pas refusé, on a signé hier", {DENIED_FAIL, SAID_OK}),
    ("他同意了，问题解决了", {SAID_OK}),
    ("没成功，客户直接拉黑我了", {DENIED_OK, SAID_FAIL}),
    ("沒有用", {DENIED_OK}),
    ("всё получилось, клиентка довольна", {SAID_OK}),
    ("не сработало, она по-прежнему требует всю сумму", {DENIED_OK, SAID_FAIL}),
    ("она не отказалась, договорились на пересъёмку", {DENIED_FAIL, SAID_OK}),
    ("как мне составить договор?", set()),
])
def test_outcomes_said_and_denied_in_each_language(featurizer, text, expected):
    assert on(featurizer, text) == expected


def test_features_are_four_scaled_numbers_and_roles_are_not_learnt(featurizer):
    message = Message(data={TEXT: "не получилось"})
    featurizer.process([message])
    _, sentence = message.get_sparse_features(TEXT)
    assert sentence.features.toarray().tolist() == [[0.0, 0.0, 3.0, 0.0]]
    assert on(featurizer, "je suis photographe, mon client") == set()


def test_outcome_words_do_not_become_jieba_words():
    words = ScriptAwareTokenizer.collect_chinese_words(
        project_lexicon("outcome_words.yml")
    )
    assert "摄影师" in words
    assert not {"成功", "拉黑", "没用", "谈妥"} & set(words)
