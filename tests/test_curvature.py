"""The curvature estimates behind the safe step, against dense linear algebra."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_simple._curvature import gram_top_eigenvalue, max_row_norm, power_iteration
from sklearn_simple._standardization import Standardization


def _data(sparse=False, fit_intercept=True):
    rng = np.random.RandomState(0)
    X = rng.randn(60, 5) * [1, 10, 0.1, 1000, 1] + [0, 5, -3, 1e4, 2]
    if sparse:
        X[rng.rand(*X.shape) < 0.5] = 0
        X = sp.csr_matrix(X)
    sw = rng.uniform(0.5, 2, size=60)
    std = Standardization.of(X, sw, fit_intercept)
    Xd = X.toarray() if sparse else X
    Z = (Xd - std.mean) / std.scale
    return X, sw, std, Z


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_power_iteration_finds_the_largest_eigenvalue(sparse, fit_intercept):
    X, sw, std, Z = _data(sparse, fit_intercept)
    gram = (Z * sw[:, None]).T @ Z / sw.sum()
    expected = np.linalg.eigvalsh(gram).max()
    if fit_intercept:
        expected = max(expected, 1.0)
    top, _ = power_iteration(X, sw, std, np.ones(5), n_iter=200)
    assert top == pytest.approx(expected, rel=1e-6)


def test_power_iteration_leaves_its_start_vector_alone():
    X, sw, std, _ = _data()
    start = np.ones(5)
    power_iteration(X, sw, std, start, n_iter=3)
    np.testing.assert_array_equal(start, 1.0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_max_row_norm_is_the_largest_weighted_row_norm(sparse, fit_intercept):
    X, sw, std, Z = _data(sparse, fit_intercept)
    norms = (Z**2).sum(axis=1) + (1.0 if fit_intercept else 0.0)
    expected = np.max(sw * norms) * 60 / sw.sum()
    assert max_row_norm(X, sw, std, n_rows=60) == pytest.approx(expected, rel=1e-9)


def test_the_gram_eigenvalue_is_exact_and_leaves_out_the_intercept_without_one():
    A = np.diag([3.0, 2.0, 5.0])
    assert gram_top_eigenvalue(A, fit_intercept=True) == pytest.approx(5.0)
    assert gram_top_eigenvalue(A, fit_intercept=False) == pytest.approx(3.0)
