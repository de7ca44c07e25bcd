"""Unit tests of the block-wise logistic regression fit (nlu/components/multinomial.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from nlu.components.multinomial import BlockMatrix, fit_lbfgs


@pytest.fixture
def problem() -> tuple:
    """Sparse counts and dense embeddings of 90 examples of four unbalanced classes."""
    rng = np.random.default_rng(1)
    labels = np.array(["a"] * 40 + ["b"] * 25 + ["c"] * 15 + ["d"] * 10)
    counts = scipy.sparse.random(90, 60, density=0.08, random_state=2, format="csr",
                                 data_rvs=lambda n: rng.integers(1, 4, n))
    dense = rng.normal(size=(90, 12))
    for index, label in enumerate(labels):
        dense[index, "abcd".index(label)] += 1.5
    return counts, dense, labels


def model(**options) -> LogisticRegression:
    """Rasa's settings (`LogisticRegressionClassifier`)."""
    return LogisticRegression(**{"solver": "lbfgs", "max_iter": 100, "tol": 1e-4,
                                 "class_weight": "balanced", "random_state": 42,
                                 **options})


@pytest.mark.parametrize("threaded", [False, True])
def test_products_match_the_joined_matrix(problem, threaded):
    counts, dense, _ = problem
    blocks = BlockMatrix(counts, dense, ThreadPoolExecutor(1) if threaded else None)
    joined = scipy.sparse.hstack([counts, dense], format="csr")
    weights = np.random.default_rng(3).normal(size=(72, 4))
    gradient = np.random.default_rng(4).normal(size=(4, 90))
    assert blocks.shape == joined.shape
    assert np.allclose(blocks @ weights, joined @ weights)
    assert np.allclose(gradient @ blocks, gradient @ joined)
    assert np.array_equal(blocks.tocsr().toarray(), joined.toarray())


@pytest.mark.parametrize("max_iter", [5, 100])
def test_fit_gives_scikit_learns_weights(problem, max_iter):
    """Converged or stopped early, the same coefficients as `fit` on one CSR matrix."""
    counts, dense, labels = problem
    expected = model(max_iter=max_iter).fit(
        scipy.sparse.hstack([counts, dense], format="csr"), labels)
    ours = fit_lbfgs(model(max_iter=max_iter), BlockMatrix(counts, dense), labels)
    assert list(ours.classes_) == list(expected.classes_)
    assert ours.n_iter_.tolist() == expected.n_iter_.tolist()
    assert ours.coef_.shape == expected.coef_.shape == (4, 72)
    assert np.allclose(ours.coef_, expected.coef_, atol=1e-7)
    assert np.allclose(ours.intercept_, expected.intercept_, atol=1e-7)
    assert ours.n_features_in_ == 72
    joined = scipy.sparse.hstack([counts, dense], format="csr")
    assert np.allclose(ours.predict_proba(joined), expected.predict_proba(joined))


def test_class_weights_are_applied(problem):
    """Without the balanced weights the fit differs: the comparison above can fail."""
    counts, dense, labels = problem
    balanced = fit_lbfgs(model(), BlockMatrix(counts, dense), labels)
    plain = model(class_weight=None).fit(
        scipy.sparse.hstack([counts, dense], format="csr"), labels)
    assert not np.allclose(balanced.coef_, plain.coef_, atol=1e-3)


def test_other_settings_fall_back_to_scikit_learn(problem):
    counts, dense, labels = problem
    two = np.where(labels == "a", "a", "b")  # binary: scikit-learn's one-vs-rest path
    ours = fit_lbfgs(model(), BlockMatrix(counts, dense), two)
    expected = model().fit(scipy.sparse.hstack([counts, dense], format="csr"), two)
    assert ours.coef_.shape == (1, 72)
    assert np.array_equal(ours.coef_, expected.coef_)


def test_rows_must_match():
    with pytest.raises(ValueError, match="3 sparse rows, 2 dense rows"):
        BlockMatrix(scipy.sparse.csr_matrix((3, 4)), np.zeros((2, 5)))
