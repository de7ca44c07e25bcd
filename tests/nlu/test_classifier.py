"""Unit tests of FastLogisticRegressionClassifier (nlu/components/classifier.py), and of
what LinearSVMIntentClassifier (nlu/components/svm.py) keeps of it."""

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
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.classifier import FastLogisticRegressionClassifier
from nlu.components.svm import LinearSVMIntentClassifier

INTENTS = ("greet", "thank", "cancel")


def message(row: np.ndarray, intent: str = "") -> Message:
    """A message as the pipeline leaves it: two sparse and two dense sentence feature
    blocks, interleaved, with sequence features (which the classifier does not read)."""
    result = Message(data={TEXT: "x", **({"intent": intent} if intent else {})})
    counts = np.where(row[:30] > 0.5, np.round(row[:30]), 0.0)
    for origin, block in (("counts", counts[:20]), ("encoder", row[30:36]),
                          ("roles", counts[20:]), ("encoder2", row[36:])):
        sentence = (scipy.sparse.coo_matrix(block) if origin in ("counts", "roles")
                    else block.reshape(1, -1))
        sequence = (scipy.sparse.coo_matrix(np.ones((2, 3))) if origin == "counts"
                    else np.ones((2, 4)))
        result.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, origin))
        result.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, origin))
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
    for ours_, rasas in zip(first, second):
        # the weights are fitted block by block (multinomial.py): equal to rounding
        ranking = ours_.get("intent_ranking")
        assert [r["name"] for r in ranking] == [
            r["name"] for r in rasas.get("intent_ranking")]
        assert np.allclose([r["confidence"] for r in ranking],
                           [r["confidence"] for r in rasas.get("intent_ranking")],
                           rtol=0, atol=1e-9)
        assert ours_.get("intent") == ranking[0]
    assert {m.get("intent")["name"] for m in first} == set(INTENTS)


def test_rows_hold_the_numbers_rasa_puts_there_in_the_same_order(tmp_path, data):
    rows, _ = data
    ours = trained(FastLogisticRegressionClassifier, tmp_path, data)
    rows = rows.copy()
    rows[:, 31] = 0.0  # a zero in a dense block: csr_matrix leaves it out
    messages = [message(r) for r in rows[:12]]
    fast = ours._create_X(messages)
    rasa = LogisticRegressionClassifier._create_X(ours, messages).tocsr()
    assert fast.shape == rasa.shape == (12, 40)
    assert fast.dtype == rasa.dtype
    assert np.array_equal(fast.indptr, rasa.indptr)
    assert np.array_equal(fast.indices, rasa.indices)
    assert np.array_equal(fast.data, rasa.data)
    assert fast.nnz < 12 * 40  # the zeros are left out


def test_rows_of_different_widths_are_refused(tmp_path, data):
    rows, _ = data
    ours = trained(FastLogisticRegressionClassifier, tmp_path, data)
    short = Message(data={TEXT: "x"})
    short.add_features(Features(rows[0, :5].reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT,
                                "dense"))
    with pytest.raises(ValueError, match="different feature widths"):
        ours._create_X([message(rows[0]), short])


def load(cls, tmp_path, name: str) -> LogisticRegressionClassifier:
    storage = LocalModelStorage(tmp_path / name)
    context = ExecutionContext(GraphSchema({}), "test", node_name=name)
    return cls.load(cls.get_default_config(), storage, Resource(name), context)


def rankings(component, rows) -> list:
    return [m.get("intent_ranking") for m in component.process([message(r) for r in rows])]


@pytest.mark.parametrize("cls", [FastLogisticRegressionClassifier,
                                 LinearSVMIntentClassifier])
def test_stored_weights_load_back_to_the_same_rankings(tmp_path, data, cls):
    rows, _ = data
    ours = trained(cls, tmp_path, data)
    name = cls.__name__
    assert [p.name for p in (tmp_path / name / name).iterdir()] == ["weights.npz"]
    loaded = load(cls, tmp_path, name)
    assert isinstance(loaded, cls)
    assert rankings(loaded, rows[:10]) == rankings(ours, rows[:10])
    assert loaded.clf.n_iter_.tolist() == ours.clf.n_iter_.tolist()


def test_a_classifier_stored_by_rasas_class_still_loads(tmp_path, data):
    rows, _ = data
    rasa = trained(LogisticRegressionClassifier, tmp_path, data)
    name = LogisticRegressionClassifier.__name__
    loaded = load(FastLogisticRegressionClassifier, tmp_path, name)
    assert isinstance(loaded, FastLogisticRegressionClassifier)
    assert rankings(loaded, rows[:5]) == rankings(rasa, rows[:5])


def test_nothing_stored_gives_an_untrained_classifier(tmp_path):
    (tmp_path / "empty").mkdir()
    loaded = load(FastLogisticRegressionClassifier, tmp_path, "empty")
    assert not hasattr(loaded.clf, "coef_")
