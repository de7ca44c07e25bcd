"""Unit tests of FastLogisticRegressionClassifier (nlu/components/classifier.py)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.classifier import FastLogisticRegressionClassifier

INTENTS = ("greet", "thank", "cancel")


def message(row: np.ndarray, intent: str = "") -> Message:
    """A message with one sparse and one dense sentence feature block."""
    result = Message(data={TEXT: "x", **({"intent": intent} if intent else {})})
    result.add_features(Features(scipy.sparse.coo_matrix(row[:-2]), FEATURE_TYPE_SENTENCE,
                                 TEXT, "sparse"))
    result.add_features(Features(row[-2:].reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT,
                                 "dense"))
    return result


@pytest.fixture
def data() -> tuple:
    rng = np.random.default_rng(0)
    labels = [INTENTS[i % 3] for i in range(60)]
    rows = rng.normal(size=(60, 40))
    for index, label in enumerate(labels):
        rows[index, INTENTS.index(label)] += 3.0  # learnable
    return rows, labels


def trained(cls, tmp_path, data) -> LogisticRegressionClassifier:
    rows, labels = data
    (tmp_path / cls.__name__).mkdir()
    storage = LocalModelStorage(tmp_path / cls.__name__)
    context = ExecutionContext(GraphSchema({}), "test", node_name=cls.__name__)
    component = cls.create(cls.get_default_config(), storage, Resource(cls.__name__),
                           context)
    component.train(TrainingData([message(r, y) for r, y in zip(rows, labels)]))
    return component


def test_same_ranking_as_rasas_classifier_with_weights_stored_column_major(
    tmp_path, data
):
    rows, _ = data
    ours = trained(FastLogisticRegressionClassifier, tmp_path, data)
    rasa = trained(LogisticRegressionClassifier, tmp_path, data)
    assert not ours.clf.coef_.flags.f_contiguous  # as scikit-learn fits it
    first = ours.process([message(r) for r in rows[:10]])
    second = rasa.process([message(r) for r in rows[:10]])
    assert ours.clf.coef_.flags.f_contiguous
    assert [m.get("intent") for m in first] == [m.get("intent") for m in second]
    assert [m.get("intent_ranking") for m in first] == [
        m.get("intent_ranking") for m in second]
    assert {m.get("intent")["name"] for m in first} == set(INTENTS)
