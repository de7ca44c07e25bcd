"""scikit-learn's multinomial logistic regression (L-BFGS), fitted on a matrix kept in
two parts: the sparse count features and the dense sentence-encoder features.

Rasa's classifier puts both in one CSR matrix. The two encoders' 896 numbers per message
are then nine tenths of its non-zeros, and scipy multiplies them one stored number at a
time, twice per evaluation of the loss: 0.45 s of each of the ~105 evaluations over the
12 000 training examples. Kept as a dense array they go through BLAS: 0.21 s per
evaluation, and the whole fit 48 s instead of 75 (README, "Training time"). The sparse
and the dense products then run side by side on the two cores: 0.10 s per evaluation
over the 15 000 examples of the full model (0.23 s one after the other), the fit 50 s ->
38 s.

`fit_lbfgs` runs what `LogisticRegression.fit` runs for Rasa's settings (lbfgs,
multinomial, `class_weight="balanced"`, intercept): the same loss object, the same
sample weights, the same starting point, the same optimiser and options. Only the matrix
products are done block by block, so the coefficients agree to rounding
(`tests/nlu/test_multinomial.py`).
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Callable, Optional, Sequence

import numpy as np
import scipy.sparse
from threadpoolctl import threadpool_limits

from nlu.components.lbfgsb import minimize_unbounded


class BlockMatrix:
    """`[sparse | dense]` side by side, for the two products the logistic loss needs:
    `X @ W` and `G @ X`."""

    # numpy leaves `G @ X` to `__rmatmul__` instead of converting X to an array
    __array_ufunc__ = None

    def __init__(self, sparse: scipy.sparse.spmatrix, dense: np.ndarray,
                 pool: Optional[Executor] = None) -> None:
        if sparse.shape[0] != dense.shape[0]:
            raise ValueError(f"{sparse.shape[0]} sparse rows, {dense.shape[0]} dense rows")
        self.sparse = scipy.sparse.csr_matrix(sparse, dtype=np.float64)
        self.sparse_t = self.sparse.T.tocsr()
        self.dense = np.ascontiguousarray(dense, dtype=np.float64)
        self.width = self.sparse.shape[1]
        self.shape = (self.sparse.shape[0], self.width + self.dense.shape[1])
        self.dtype = np.dtype(np.float64)
        # with a pool, the sparse product runs in a worker while this thread does the
        # dense one (scipy's sparse products release the GIL)
        self.pool = pool

    def _both(self, sparse: Callable[[], Any], dense: Callable[[], Any]) -> tuple:
        """Both products; the sparse one in the pool's worker if there is a pool."""
        if self.pool is None:
            return sparse(), dense()
        future = self.pool.submit(sparse)
        other = dense()
        return future.result(), other

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        sparse, dense = self._both(lambda: self.sparse @ other[: self.width],
                                   lambda: self.dense @ other[self.width:])
        return sparse + dense

    def __rmatmul__(self, other: np.ndarray) -> np.ndarray:
        sparse, dense = self._both(lambda: self.sparse_t @ other.T,
                                   lambda: other @ self.dense)
        return np.hstack([sparse.T, dense])

    def tocsr(self) -> scipy.sparse.csr_matrix:
        """The same numbers as one CSR matrix (zeros of the dense part left out)."""
        return scipy.sparse.hstack(
            [self.sparse, scipy.sparse.csr_matrix(self.dense)], format="csr"
        )


def supported(model: Any, classes: int) -> bool:
    """Whether `model` (a `LogisticRegression`) has the settings `fit_lbfgs` follows."""
    return (model.solver == "lbfgs" and model.penalty == "l2" and model.fit_intercept
            and model.multi_class in ("auto", "multinomial") and classes > 2
            and model.class_weight in (None, "balanced") and not model.warm_start)


def fit_lbfgs(model: Any, X: BlockMatrix, y: Sequence[str]) -> Any:
    """Fits `model` on `X` as `model.fit(X.tocsr(), y)` would, and returns it."""
    from sklearn._loss.loss import HalfMultinomialLoss
    from sklearn.linear_model._linear_loss import LinearModelLoss
    from sklearn.linear_model._logistic import _LOGISTIC_SOLVER_CONVERGENCE_MSG
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils.class_weight import compute_class_weight
    from sklearn.utils.optimize import _check_optimize_result

    y = np.asarray(y)
    classes = np.unique(y)
    if not supported(model, len(classes)):
        return model.fit(X.tocsr(), y)
    target = LabelEncoder().fit_transform(y)
    sample_weight = np.ones(len(y), dtype=np.float64)
    sample_weight *= compute_class_weight(model.class_weight, classes=classes, y=y)[target]
    loss = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=classes.size),
                           fit_intercept=True)
    start = np.zeros((classes.size, X.shape[1] + 1), order="F").ravel(order="F")
    # two threads: the sparse product in one, the dense one on one BLAS thread in the
    # other. OpenBLAS's own second thread only slowed the loss (207 -> 160 ms each
    # evaluation without it: its idle workers spin on the core the sparse product needs)
    with ThreadPoolExecutor(max_workers=1) as pool, threadpool_limits(1, user_api="blas"):
        X.pool = pool
        try:
            # scipy's L-BFGS-B with the options scikit-learn gives it (lbfgsb.py)
            result = minimize_unbounded(
                loss.loss_gradient, start,
                args=(X, target.astype(np.float64), sample_weight, 1.0 / model.C, 1),
                gtol=model.tol, maxiter=model.max_iter,
            )
        finally:
            X.pool = None
    iterations = _check_optimize_result("lbfgs", result, model.max_iter,
                                        extra_warning_msg=_LOGISTIC_SOLVER_CONVERGENCE_MSG)
    weights = np.reshape(result.x, (classes.size, -1), order="F").copy()
    model.classes_ = classes
    model.n_features_in_ = X.shape[1]
    model.n_iter_ = np.asarray([iterations], dtype=np.int32)
    model.coef_, model.intercept_ = weights[:, :-1], weights[:, -1]
    return model
