"""RoleFeaturizer: which side a message says the user is on, and which it denies."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.roles import RoleFeaturizer, pattern_of
from nlu.components.tokenizer import ScriptAwareTokenizer

NLU = Path(__file__).resolve().parents[2] / "nlu"
SAID_P, SAID_C, DENIED_P, DENIED_C, SELF_P, SELF_C = range(6)


def project_lexicon(*files: str) -> TrainingData:
    """The project's own lookup tables of the three languages (role_words.yml and
    `files`)."""
    return TrainingData().merge(*(
        load_data(str(NLU / lang / name))
        for lang in ("fr", "zh", "ru") for name in ("role_words.yml", *files)
    ))


def trained_and_loaded(cls, directory: Path, data: TrainingData) -> RoleFeaturizer:
    """A featurizer of class `cls` trained on `data`, stored, and loaded back."""
    storage = LocalModelStorage(directory)
    resource = Resource(cls.__name__)
    context = ExecutionContext(GraphSchema({}), "test")
    cls.create({}, storage, resource, context).train(data)
    return cls.load({}, storage, resource, context)


@pytest.fixture(scope="module")
def featurizer(tmp_path_factory) -> RoleFeaturizer:
    """Trained on the project's lookup tables, stored, and loaded back."""
    return trained_and_loaded(
        RoleFeaturizer, tmp_path_factory.mktemp("storage"), project_lexicon()
    )


def on(featurizer: RoleFeaturizer, text: str) -> set:
    return {i for i, value in enumerate(featurizer.sides(text)) if value}


@pytest.mark.parametrize("text, expected", [
    ("je ne suis pas client, je suis photographe", {SAID_P, DENIED_C, SELF_P}),
    ("moi je suis pas photographe, c'est moi qui ai payé la séance", {DENIED_P, SAID_C}),
    ("je ne suis pas photographe je suis le client", {DENIED_P, SAID_C, SELF_C}),
    ("Je suis PHOTOGRAPHE", {SAID_P, SELF_P}),
    ("J’ai payé la séance", {SAID_C}),
    ("我不是摄影师，我是客户", {DENIED_P, SAID_C, SELF_C}),
    ("不是客人啦，我是攝影師", {DENIED_C, SAID_P, SELF_P}),
    ("我是商家，不是消费者", {SAID_P, SELF_P, DENIED_C}),
    ("я не клиент, а фотограф", {DENIED_C, SAID_P}),
    ("Я НЕ ФОТОГРАФ", {DENIED_P}),
    ("меня снимали в студии", {SAID_C}),
])
def test_sides_said_and_denied_in_each_language(featurizer, text, expected):
    assert on(featurizer, text) == expected


def test_words_inside_other_words_do_not_count(featurizer):
    # "pro" is a word of its own, not the start of "problème"; "фотограф" is not
    # "фотографии" (the photos)
    assert on(featurizer, "un problème avec les fotos") == set()
    assert on(featurizer, "фотографии размытые") == set()


def test_negation_reaches_only_a_few_words_and_stops_at_a_clause(featurizer):
    assert on(featurizer, "je ne suis pas du tout le photographe") == {DENIED_P}
    far = "ce n'est pas ce que je voulais dire sur le photographe"
    assert on(featurizer, far) == {SAID_P}
    assert on(featurizer, "pas d'accord. photographe") == {SAID_P}
    # "moi" ends the negation's clause, and names the user's side
    assert on(featurizer, "pas moi photographe") == {SAID_P, SELF_P}


@pytest.mark.parametrize("text, expected", [
    ("je suis la photographe qui a fait la séance", {SAID_P, SELF_P}),
    # too far for a self cue; hired, the photographer is the other party
    ("c'est moi qui ai embauché le photographe", {SAID_C}),
    ("я заказчик, а снимал фотограф", {SAID_C, SELF_C}),
    ("мы не клиенты, мы фотографы", {DENIED_C, SAID_P, SELF_P}),
    ("我是消费者，摄影师是对方", {SAID_C, SELF_C, SAID_P}),
    # a phrase that tells the side is matched whole, before its words
    ("我是给客户拍照的摄影师", {SAID_P, SELF_P}),
])
def test_the_side_the_user_names_as_their_own(featurizer, text, expected):
    assert on(featurizer, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("mon photographe ne répond plus", {SAID_C}),
    ("une cliente m'a réservée pour son mariage", {SAID_P}),
    ("我请的摄影师不回消息", {SAID_C}),
    ("客户找我拍了一组写真", {SAID_P}),
    ("заказывала съёмку у фотографа", {SAID_C}),
    ("мой клиент недоволен", {SAID_P}),
    ("я не нанимала фотографа", {DENIED_C}),
    # a side's word after a counterpart cue names the other party
    ("je travaille pour un client exigeant", {SAID_P}),
    ("je suis cliente du studio", {SAID_C, SELF_C}),
    ("у меня спор с клиентом", {SAID_P}),
    ("поругалась с фотографом", {SAID_C}),
    # ...unless the cue is part of a self cue
    ("мы с женой фотографы", {SAID_P, SELF_P}),
    # Chinese has no counterpart cues (they measured worse), so nothing is given away
    ("我是婚礼跟拍摄影师", {SAID_P, SELF_P}),
    ("我被客户投诉了", {SAID_C}),
])
def test_phrases_tell_the_side_of_the_speaker(featurizer, text, expected):
    assert on(featurizer, text) == expected


def test_a_cue_inside_a_match_of_the_words_own_side_gives_nothing_away(tmp_path):
    """"跟" of "婚礼跟拍" does not give "摄影师" to the client; "请了" of the client's
    "我请了" gives it."""
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    featurizer = RoleFeaturizer.create({}, storage, Resource("cues"), context)
    featurizer.train(TrainingData(lookup_tables=[
        {"name": "role_word=photographer", "elements": ["摄影师"]},
        {"name": "role_phrase=photographer", "elements": ["婚礼跟拍"]},
        {"name": "role_phrase=client", "elements": ["我请了"]},
        {"name": "counterpart_cue", "elements": ["跟", "请了"]},
    ]))
    assert on(featurizer, "婚礼跟拍摄影师") == {SAID_P}
    assert on(featurizer, "我请了个摄影师") == {SAID_C}
    assert on(featurizer, "跟摄影师吵架") == {SAID_C}


def test_features_are_one_scaled_sentence_row(featurizer):
    message = Message(data={TEXT: "я не клиент, а фотограф"})
    featurizer.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    assert sequence is None
    assert sentence.features.shape == (1, 6)
    assert sentence.features.toarray().tolist() == [[3.0, 0.0, 0.0, 3.0, 0.0, 0.0]]


def test_messages_without_text_get_no_features(featurizer):
    message = Message(data={TEXT: ""})
    featurizer.process([message])
    assert message.features == []


def test_only_its_own_lookup_tables_are_learnt():
    data = TrainingData(lookup_tables=[
        {"name": "dispute_type=refund", "elements": ["rembours"]},
        {"name": "role_word=judge", "elements": ["juge"]},
        {"name": "role_word=client", "elements": ["client"]},
        {"name": "role_phrase=client", "elements": ["mon photographe"]},
        {"name": "role_phrase=judge", "elements": ["mon juge"]},
        {"name": "negation", "elements": ["pas"]},
        {"name": "self_cue", "elements": ["je suis"]},
    ])
    assert RoleFeaturizer.collect(data) == {
        "role_word=client": ["client"], "role_phrase=client": ["mon photographe"],
        "negation": ["pas"], "self_cue": ["je suis"],
    }


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        RoleFeaturizer.validate_config({"scale": 0})


def test_function_words_do_not_become_jieba_words():
    words = ScriptAwareTokenizer.collect_chinese_words(project_lexicon())
    assert "摄影师" in words
    assert not {"不是", "我是", "而是", "给客户拍", "我请的摄影师"} & set(words)


@pytest.mark.parametrize("text, expected", [
    ("摄影工作室", ["摄影工作室"]),
    ("我是vip客户", ["vip客户"]),
    ("vip", ["vip"]),
    ("vip 客户", ["vip 客户"]),
    ("le client final", ["client final"]),
    ("le client, final", ["client"]),
    ("les clients", []),
    ("l'client", []),
    ("工作室 client", ["工作室", "client"]),
])
def test_patterns_match_whole_words_longest_first(text, expected):
    pattern = pattern_of(["工作室", "摄影工作室", "vip", "vip客户", "vip 客户", "client", "client final"])
    assert [m.group() for m in pattern.finditer(text)] == expected
