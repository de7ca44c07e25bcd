"""Unit tests of the custom NLU components (no training, no server)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu.components.language_id import LanguageIdentifier, LatinModel
from nlu.components.lexicon import LexiconEntityExtractor
from nlu.components.scripts import count_scripts, fold
from nlu.components.tokenizer import ScriptAwareTokenizer, StableToken


@pytest.fixture(scope="module")
def tokenizer() -> ScriptAwareTokenizer:
    return ScriptAwareTokenizer(ScriptAwareTokenizer.get_default_config(), None, None)


def words(tokenizer: ScriptAwareTokenizer, text: str) -> list:
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_chinese_is_segmented_into_words(tokenizer):
    tokens = words(tokenizer, "我的客户对照片不满意，要求退款")
    assert len(tokens) >= 5
    assert "客户" in tokens and "退款" in tokens
    assert "，" not in tokens


def test_chinese_is_not_dropped_in_mixed_text(tokenizer):
    # the WhitespaceTokenizer's emoji range drops these Han words entirely
    assert words(tokenizer, "我想 book 一个摄影师") == ["我", "想", "book", "一个", "摄影师"]


def test_french_elisions_split_and_accents_kept(tokenizer):
    tokens = words(tokenizer, "L'appareil n'a pas réservé d'hôtel")
    assert "L'" in tokens and "appareil" in tokens and "réservé" in tokens
    assert "hôtel" in tokens


def test_russian_words_stay_whole(tokenizer):
    assert words(tokenizer, "Здравствуйте, фото размытые!") == [
        "Здравствуйте",
        "фото",
        "размытые",
    ]


def test_lemmas_are_folded(tokenizer):
    tokens = tokenizer.tokenize(Message(data={"text": "Réservé ЕЩЁ"}), "text")
    assert [t.lemma for t in tokens] == ["reserve", "еще"]


def test_offsets_point_into_the_text(tokenizer):
    text = "客户 refuse de payer, клиент"
    for token in tokenizer.tokenize(Message(data={"text": text}), "text"):
        assert text[token.start : token.end] == token.text


def test_punctuation_only_message_still_has_a_token(tokenizer):
    assert words(tokenizer, "?!") == ["?!"]


def test_tokens_keep_rasas_fingerprint_until_they_change(tokenizer, monkeypatch):
    from rasa.nlu.tokenizers.tokenizer import Token

    token = tokenizer.tokenize(Message(data={"text": "Merci beaucoup"}), "text")[0]
    assert isinstance(token, StableToken)
    assert token.fingerprint() == Token("Merci", 0, lemma="merci").fingerprint()
    computed = []
    original = Token.fingerprint
    monkeypatch.setattr(Token, "fingerprint",
                        lambda self: computed.append(self.text) or original(self))
    token.fingerprint()
    assert computed == []  # kept
    token.set("pos", "INTJ")
    assert token.fingerprint() == original(Token("Merci", 0, data={"pos": "INTJ"},
                                                 lemma="merci"))
    token.lemma = "merci!"
    assert token.fingerprint() == original(Token("Merci", 0, data={"pos": "INTJ"},
                                                 lemma="merci!"))
    assert computed == ["Merci", "Merci"]  # once after each change


def test_fold():
    assert fold("ÉTÉ Ёлка １２") == "ete елка 12"
    assert fold("йод") == "йод"  # й is a letter, not й without its breve


@pytest.mark.parametrize(
    "text,dominant",
    [("你好", "han"), ("привет", "cyrillic"), ("salut", "latin"), ("123 👍", "none"),
     ("こんにちは", "foreign"), ("我想 book 一个房间", "han"), ("hello呀", "han"),
     ("Accord你好", "han"), ("我的邮箱是 zhang.wei.photo@gmail.com", "han"),
     ("cancel掉", "han"), ("mon client 王先生 refuse de payer", "latin"),
     ("mon client Иван refuse de payer", "latin"), ("写真のキャンセル", "foreign"),
     ("дело DR-4K7Q2M", "cyrillic")],
)
def test_dominant_script(text, dominant):
    assert count_scripts(text).dominant == dominant


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    french = ["bonjour je suis photographe", "mon client ne veut pas payer",
              "les photos sont floues", "je veux porter réclamation contre le studio",
              "merci beaucoup pour votre aide", "comment se passe la médiation"]
    other = ["hello I am a photographer", "my client does not want to pay",
             "the photos are blurry", "I want to file a complaint against the studio",
             "thank you very much for your help", "how does mediation work"]
    model = LatinModel.fit([(t, "fr") for t in french] + [(t, "other") for t in other])
    return LanguageIdentifier({}, None, None, model)


@pytest.mark.parametrize(
    "text,language",
    [("你好", "zh"), ("謝謝", "zh"), ("да", "ru"), ("好的", "zh"), ("merci", "fr"),
     ("ok", "fr"), ("le client refuse de payer la facture", "fr")],
)
def test_language_of_supported_messages(identifier, text, language):
    found, _, unsupported = identifier.identify(text)
    assert (found, unsupported) == (language, None)


def test_one_word_latin_is_french_but_not_confident(identifier):
    _, confidence, unsupported = identifier.identify("ok")
    assert unsupported is None and confidence <= 0.5


@pytest.mark.parametrize(
    "text", ["the client does not want to pay the invoice", "こんにちは、写真について",
             "안녕하세요 사진작가", "клієнт не хоче платити"],
)
def test_unsupported_languages_are_flagged(identifier, text):
    assert identifier.identify(text)[2] is not None


def test_unsupported_message_becomes_out_of_scope(identifier):
    message = Message(data={"text": "the client does not want to pay the invoice"})
    message.set("intent", {"name": "describe_dispute", "confidence": 0.9})
    identifier.process([message])
    assert message.get("intent")["name"] == "out_of_scope"
    names = {e["entity"] for e in message.get("entities")}
    assert names == {"language", "unsupported_language"}


def test_every_message_gets_a_language_entity(identifier):
    messages = [Message(data={"text": t}) for t in ["", "👍", "123", "bonjour"]]
    identifier.process(messages)
    for message in messages:
        assert [e["entity"] for e in message.get("entities")][0] == "language"


@pytest.fixture(scope="module")
def lexicon() -> LexiconEntityExtractor:
    entries = [
        ("flou", "dispute_type", "quality"),
        ("размыт", "dispute_type", "quality"),
        ("退款", "dispute_type", "refund"),
        ("rembours", "dispute_type", "refund"),
        ("не плат", "dispute_type", "non_payment"),
        ("по-русски", "requested_language", "ru"),
    ]
    return LexiconEntityExtractor({}, None, None, entries)


def test_lexicon_matches_word_prefixes(lexicon):
    found = lexicon.extract("Les photos sont FLOUES et il veut être remboursé")
    assert [(e["value"], e["start"]) for e in found] == [("quality", 16), ("refund", 39)]


def test_lexicon_does_not_match_inside_words(lexicon):
    assert lexicon.extract("c'est superflou") == []


def test_lexicon_cyrillic_and_chinese(lexicon):
    assert {e["value"] for e in lexicon.extract("Фото размытые, клиент не платит")} == {
        "quality",
        "non_payment",
    }
    found = lexicon.extract("客户要求退款")
    assert found[0]["value"] == "refund"
    assert "客户要求退款"[found[0]["start"] : found[0]["end"]] == "退款"


def test_lexicon_spans_map_back_to_the_original_text(lexicon):
    text = "ОТВЕЧАЙ ПО-РУССКИ"
    entity = lexicon.extract(text)[0]
    assert text[entity["start"] : entity["end"]] == "ПО-РУССКИ"
