"""The training cache of sentence vectors (nlu/components/vector_cache.py)."""

from __future__ import annotations

from typing import List

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.sentence_encoder import SentenceEncoderFeaturizer
from nlu.components.vector_cache import FILE_NAME, VectorCache, cached_encode


class FakeEncoder:
    """Vectors from the text's length; remembers what it was asked to encode."""

    def __init__(self) -> None:
        self.asked: List[str] = []
        self.calls: List[int] = []

    def __call__(self, texts: List[str]) -> np.ndarray:
        self.asked.extend(texts)
        self.calls.append(len(texts))
        return np.array([[len(t), 1.0, 2.0] for t in texts], dtype=np.float32)


def test_only_new_texts_are_encoded(tmp_path):
    cache = VectorCache(tmp_path / FILE_NAME, "e5:1.0")
    encoder = FakeEncoder()
    first = cached_encode(encoder, ["bonjour", "你好"], cache)
    second = cached_encode(encoder, ["你好", "здравствуйте", "bonjour", "здравствуйте"], cache)
    assert encoder.asked == ["bonjour", "你好", "здравствуйте"]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert second.shape == (4, 3) and second.dtype == np.float32


def test_another_encoder_or_version_does_not_share_vectors(tmp_path):
    encoder = FakeEncoder()
    cached_encode(encoder, ["merci"], VectorCache(tmp_path / FILE_NAME, "e5:1.0"))
    cached_encode(encoder, ["merci"], VectorCache(tmp_path / FILE_NAME, "e5:1.1"))
    cached_encode(encoder, ["merci"], VectorCache(tmp_path / FILE_NAME, "usem3:1.0"))
    assert encoder.asked == ["merci"] * 3


def test_an_unusable_cache_only_costs_time(tmp_path, caplog):
    (tmp_path / FILE_NAME).mkdir()  # a directory where the file should be
    encoder = FakeEncoder()
    vectors = cached_encode(encoder, ["ok"], VectorCache(tmp_path / FILE_NAME, "e5:1.0"))
    assert vectors.tolist() == [[2.0, 1.0, 2.0]]
    assert "not readable" in caplog.text


@pytest.fixture
def featurizer(tmp_path, monkeypatch):
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))

    def make(encoder: FakeEncoder, batch_size: int = 64) -> SentenceEncoderFeaturizer:
        component = SentenceEncoderFeaturizer(
            {**SentenceEncoderFeaturizer.get_default_config(), "encoder": "e5", "scale": 10.0,
             "batch_size": batch_size},
            "encoder",
        )
        component._encoder = encoder
        return component

    return make


def test_training_reuses_vectors_and_serving_does_not_touch_the_cache(featurizer, tmp_path):
    texts = ["je suis photographe", "我是客户", "клиент не платит"]
    first = FakeEncoder()
    featurizer(first).process_training_data(
        TrainingData([Message(data={TEXT: t}) for t in texts]))
    assert first.asked == texts
    again = FakeEncoder()
    data = TrainingData([Message(data={TEXT: t}) for t in texts + ["merci"]])
    featurizer(again).process_training_data(data)
    assert again.asked == ["merci"]  # one changed example: one text encoded
    vector = data.training_examples[0].get_dense_features(TEXT)[1].features
    assert vector.tolist() == [[190.0, 10.0, 20.0]]  # scaled after the cache
    serving = FakeEncoder()
    featurizer(serving).process([Message(data={TEXT: "je suis photographe"})])
    assert serving.asked == ["je suis photographe"]


def test_training_encodes_the_missing_texts_in_batches(featurizer):
    known = ["merci", "谢谢"]
    featurizer(FakeEncoder()).process_training_data(
        TrainingData([Message(data={TEXT: t}) for t in known]))
    texts = ["je suis photographe", "merci", "我是客户", "клиент не платит", "谢谢",
             "bonjour", "你好"]
    encoder = FakeEncoder()
    data = TrainingData([Message(data={TEXT: t}) for t in texts])
    featurizer(encoder, batch_size=2).process_training_data(data)
    assert encoder.calls == [2, 2, 1]  # five new texts, two at a time
    assert [m.get_dense_features(TEXT)[1].features[0, 0] for m in data.training_examples] \
        == [10.0 * len(t) for t in texts]  # each message its own vector, in order
