"""The set-up-free L-BFGS-B driver follows scipy's to the bit (nlu/components/lbfgsb.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from nlu.components.lbfgsb import minimize_unbounded


def rosenbrock(x: np.ndarray, scale: float) -> tuple:
    return scale * optimize.rosen(x), scale * optimize.rosen_der(x)


@pytest.mark.parametrize("options", [
    {"maxiter": 5},                  # stopped by the iteration limit
    {"maxiter": 15000, "gtol": 1e-3},  # converged (gradient)
    {"maxiter": 15000, "gtol": 0.0},  # converged (relative reduction of f)
    {"maxiter": 15000, "maxfun": 7},  # stopped by the evaluation limit
])
def test_same_iterations_as_scipy(options):
    start = np.random.default_rng(0).uniform(-1.5, 1.5, 30)
    expected = optimize.minimize(rosenbrock, start, args=(2.0,), method="L-BFGS-B",
                                 jac=True, options={"iprint": -1, **options})
    found = minimize_unbounded(rosenbrock, start, args=(2.0,), **options)
    assert np.array_equal(found.x, expected.x)
    assert found.fun == expected.fun
    assert np.array_equal(found.jac, expected.jac)
    assert (found.nit, found.nfev, found.status, found.message) == (
        expected.nit, expected.nfev, expected.status, expected.message)
    assert not np.array_equal(found.x, start)
