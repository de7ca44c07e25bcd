"""Unit tests of the feature-trial helpers (nlu/trial.py) on small made-up matrices."""

import numpy as np
import scipy.sparse

from nlu import trial


def test_matrix_scales_blocks_and_leaves_out_zero():
    blocks = {"a": scipy.sparse.csr_matrix([[1.0], [2.0]]),
              "b": scipy.sparse.csr_matrix([[3.0, 4.0], [5.0, 6.0]]),
              "c": scipy.sparse.csr_matrix([[7.0], [8.0]])}
    result = trial.matrix(blocks, {"a": 10.0, "c": 0})
    assert result.toarray().tolist() == [[10.0, 3.0, 4.0], [20.0, 5.0, 6.0]]


def test_accuracy_per_language():
    gold = ["x", "y", "x", "y", "x"]
    predicted = ["x", "x", "x", "y", "y"]
    languages = ["fr", "fr", "zh", "ru", "other"]
    assert trial.accuracy(gold, predicted, languages) == {"fr": 0.5, "zh": 1.0, "ru": 1.0}


def test_predict_falls_back_below_threshold():
    features = np.array([[0.0], [0.1], [5.0], [5.1]])
    model = trial.classifier().fit(features, ["low", "low", "high", "high"])
    assert trial.predict(model, np.array([[0.0], [5.0]]), 0.0) == ["low", "high"]
    assert all(type(p) is str for p in trial.predict(model, np.array([[0.0]]), 0.0))
    assert trial.predict(model, np.array([[2.55]]), 0.99) == [trial.FALLBACK]


def test_cross_validation_scores_held_out_folds():
    rng = np.random.default_rng(0)
    labels = ["a", "b"] * 30
    # the label is in the first feature, with noise on the second
    features = scipy.sparse.csr_matrix(
        [[1.0 if y == "a" else -1.0, rng.normal()] for y in labels])
    languages = ["fr", "zh", "ru"] * 20
    assert trial.cross_validate(features, labels, languages, 3, 0.25) == {
        "fr": 1.0, "zh": 1.0, "ru": 1.0}
    shuffled = list(rng.permutation(labels))
    noise = scipy.sparse.csr_matrix(rng.normal(size=(60, 2)))
    assert min(trial.cross_validate(noise, shuffled, languages, 3, 0.25).values()) < 1.0


def test_component_class_finds_rasa_and_project_components():
    from nlu.components.roles import RoleFeaturizer

    assert trial.component_class("nlu.components.roles.RoleFeaturizer") is RoleFeaturizer
    import rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer as cvf

    assert trial.component_class("CountVectorsFeaturizer") is cvf.CountVectorsFeaturizer


def test_step_option_reads_the_config_or_falls_back(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.4\n"
                      "  - name: nlu.components.classifier.FastLogisticRegressionClassifier\n"
                      "    max_iter: 50\n")
    assert trial.step_option(config, ["FallbackClassifier"], "threshold", 0.3) == 0.4
    assert trial.step_option(config, trial.CLASSIFIERS[:2], "max_iter", 100) == 50
    assert trial.step_option(config, ["DIETClassifier"], "epochs", 300) == 300


def test_misses_lists_only_wrong_predictions_grouped():
    texts = ["b2", "a1", "a2", "b1"]
    gold = ["b", "a", "a", "b"]
    predicted = ["a", "a", "b", "nlu_fallback"]
    languages = ["zh", "fr", "fr", "zh"]
    assert trial.misses(texts, gold, predicted, languages) == [
        {"language": "fr", "intent": "a", "predicted": "b", "text": "a2"},
        {"language": "zh", "intent": "b", "predicted": "a", "text": "b2"},
        {"language": "zh", "intent": "b", "predicted": "nlu_fallback", "text": "b1"},
    ]


def test_fit_keeps_full_columns_dense_and_gives_scikit_learns_weights():
    """Columns with a number in every row are fitted apart, in any position."""
    rng = np.random.default_rng(5)
    labels = ["a", "b", "c"] * 20
    dense = rng.normal(size=(60, 3)) + np.eye(3)[[i % 3 for i in range(60)]]
    counts = rng.integers(0, 2, size=(60, 4)) * (rng.random((60, 4)) < 0.3)
    features = scipy.sparse.csr_matrix(np.hstack([counts[:, :2], dense, counts[:, 2:]]))
    ours = trial.fit(features, labels)
    expected = trial.classifier().fit(features, labels)
    assert np.allclose(ours.coef_, expected.coef_, atol=1e-7)
    assert np.allclose(ours.intercept_, expected.intercept_, atol=1e-7)
