"""Unit tests of LinearSVMIntentClassifier (nlu/components/svm.py)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from scipy.special import softmax
from sklearn.svm import LinearSVC

from nlu import trial
from nlu.components.svm import LinearSVMIntentClassifier
from tests.nlu.test_classifier import (  # noqa: F401 (`data` is a fixture)
    INTENTS, data, message, trained,
)


def rasa_rows(rows: np.ndarray) -> scipy.sparse.csr_matrix:
    """The rows as the classifier lays out the messages' features."""
    component = LinearSVMIntentClassifier(LinearSVMIntentClassifier.get_default_config(),
                                          "rows", None, None)
    return component._create_X([message(r) for r in rows])


def test_scores_are_scikit_learns_svm_and_probabilities_its_softmax(tmp_path, data):
    rows, labels = data
    ours = trained(LinearSVMIntentClassifier, tmp_path, data)
    X = rasa_rows(rows)
    config = LinearSVMIntentClassifier.get_default_config()
    svm = LinearSVC(C=config["C"], class_weight="balanced",
                    random_state=config["random_state"]).fit(X, labels)
    expected = softmax(svm.decision_function(X[:10]) * config["temperature"], axis=1)
    for found, probabilities, predicted in zip(
        ours.process([message(r) for r in rows[:10]]), expected, svm.predict(X[:10])
    ):
        ranking = found.get("intent_ranking")
        assert found.get("intent") == ranking[0]
        assert ranking[0]["name"] == predicted
        by_name = {r["name"]: r["confidence"] for r in ranking}
        assert np.allclose([by_name[c] for c in svm.classes_], probabilities,
                           rtol=0, atol=1e-9)
    assert list(ours.clf.classes_) == sorted(INTENTS)


def test_the_temperature_sharpens_the_probabilities_not_the_ranking(tmp_path, data):
    rows, labels = data
    X = rasa_rows(rows)
    config = LinearSVMIntentClassifier.get_default_config()
    soft, sharp = (trial.fit(X, labels, svm={**config, "temperature": t})
                   for t in (1.0, 4.0))
    assert np.array_equal(soft.predict(X), sharp.predict(X))
    assert (sharp.predict_proba(X).max(axis=1) > soft.predict_proba(X).max(axis=1)).all()


def test_trial_fits_the_components_weights(tmp_path, data):
    rows, labels = data
    ours = trained(LinearSVMIntentClassifier, tmp_path, data)
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n"
                      "  - name: nlu.components.svm.LinearSVMIntentClassifier\n")
    fitted = trial.fit(rasa_rows(rows), labels, svm=trial.svm_options(config))
    assert np.array_equal(fitted.coef_, ours.clf.coef_)
    assert np.array_equal(fitted.intercept_, ours.clf.intercept_)


def test_svm_options_read_the_config_or_say_none(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: nlu.components.svm.LinearSVMIntentClassifier\n"
                      "    temperature: 2.5\n")
    options = trial.svm_options(config)
    assert options["temperature"] == 2.5
    assert options["C"] == LinearSVMIntentClassifier.get_default_config()["C"]
    config.write_text("pipeline:\n  - name: LogisticRegressionClassifier\n")
    assert trial.svm_options(config) is None


def test_two_intents_are_refused(tmp_path, data):
    rows, labels = data
    kept = [i for i, label in enumerate(labels) if label != INTENTS[2]]
    with pytest.raises(ValueError, match="three intents"):
        trained(LinearSVMIntentClassifier, tmp_path,
                (rows[kept], [labels[i] for i in kept]))
