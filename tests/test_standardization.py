"""The change of coordinates: weighted statistics, and its inverse."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

from sklearn_simple import _rows, _standardization
from sklearn_simple._rows import SparseRows
from sklearn_simple._standardization import Standardization


def test_weighted_statistics_match_numpy():
    rng = np.random.RandomState(1)
    X = rng.randn(50, 3) * [1, 1e3, 1e-3] + [1e6, 0, 1]
    sw = rng.uniform(0, 3, size=50)
    std = Standardization.of(X, sw, fit_intercept=True)
    expected_mean = np.average(X, axis=0, weights=sw)
    expected_std = np.sqrt(np.average((X - expected_mean) ** 2, axis=0, weights=sw))
    np.testing.assert_allclose(std.mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(std.scale, expected_std, rtol=1e-8)


def test_constant_column_gets_unit_scale():
    X = np.column_stack([np.full(10, 0.1), np.arange(10.0)])
    std = Standardization.of(X, np.ones(10), fit_intercept=True)
    assert std.scale[0] == 1.0
    np.testing.assert_array_equal(std.constant, [True, False])


def test_without_intercept_columns_are_scaled_but_not_centered():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    std = Standardization.of(X, np.ones(2), fit_intercept=False)
    np.testing.assert_array_equal(std.mean, 0.0)
    np.testing.assert_allclose(std.scale, np.sqrt((X**2).mean(axis=0)))


def _with_a_constant_column():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 4) * [1, 10, 0.1, 1000] + [0, 5, -3, 1e4]
    X[:, 2] = 3.0
    return X, Standardization.of(X, rng.uniform(0.5, 2, 40), fit_intercept=True), rng


def test_standardize_inverts_unstandardize():
    _, std, rng = _with_a_constant_column()
    weights = rng.randn(5, 2)
    weights[:-1][std.constant] = 0.0  # the weights training can produce
    coef, intercept = std.unstandardize(weights)
    np.testing.assert_allclose(std.standardize(coef, intercept), weights, rtol=1e-10)


def test_standardize_moves_a_constant_columns_term_into_the_intercept():
    X, std, rng = _with_a_constant_column()
    coef = rng.randn(4, 2)
    weights = std.standardize(coef, np.zeros(2))
    np.testing.assert_array_equal(weights[:-1][std.constant], 0.0)
    refit_coef, refit_intercept = std.unstandardize(weights)
    np.testing.assert_allclose(X @ refit_coef + refit_intercept, X @ coef, rtol=1e-10)


def test_releasing_constant_columns_keeps_the_coordinates():
    _, std, _ = _with_a_constant_column()
    released = std.releasing_constant_columns()
    assert not released.constant.any()
    np.testing.assert_array_equal(released.mean, std.mean)
    np.testing.assert_array_equal(released.scale, std.scale)


def test_overflowing_statistics_name_the_columns():
    X = np.array([[1e300, 1.0], [-1e300, 2.0]])
    with np.errstate(over="ignore"):  # as inside fit
        std = Standardization.of(X, np.ones(2), fit_intercept=True)
    with pytest.raises(ValueError, match=r"column\(s\) \[0\]"):
        std.check_finite()


@pytest.fixture
def split(monkeypatch):
    """Parts of a few nonzeros: small sparse data takes the threaded path."""
    monkeypatch.setattr(_rows, "PART_NONZEROS", 8)


def _sparse_columns(rng, n=200):
    """Sparse columns of several scales; column 3 is 1e8 plus noise of 1e-2,
    stored in every row (E[x^2] - E[x]^2 computes its variance as 6, not
    1e-4), column 4 is 3.0 in every row (constant), column 5 never stored."""
    X = rng.randn(n, 6) * [1, 1e3, 1e-3, 1, 0, 0]
    X[rng.rand(n, 6) < 0.6] = 0
    X[:, 3] = 1e8 + 1e-2 * np.random.RandomState(0).randn(n)
    X[:, 4] = 3.0
    return sp.csr_matrix(X)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_statistics_of_the_threaded_path_match_two_passes(split, fit_intercept):
    rng = np.random.RandomState(0)
    X = _sparse_columns(rng)
    sw = rng.uniform(0.5, 2, X.shape[0])
    assert SparseRows(X).split
    std = Standardization.of(X, sw, fit_intercept=fit_intercept)
    dense = X.toarray()
    mean = np.average(dense, axis=0, weights=sw) if fit_intercept else 0.0
    expected = np.sqrt(np.average((dense - mean) ** 2, axis=0, weights=sw))
    varying = [0, 1, 2, 3] if fit_intercept else [0, 1, 2, 3, 4]
    np.testing.assert_allclose(std.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(std.scale[varying], expected[varying], rtol=1e-6)


def test_a_constant_column_stored_in_full_is_constant_on_the_threaded_path(split):
    X = _sparse_columns(np.random.RandomState(0))
    std = Standardization.of(X, np.ones(X.shape[0]), fit_intercept=True)
    np.testing.assert_array_equal(std.constant, [False] * 4 + [True, True])


@pytest.mark.parametrize("form", ["csr", "csc"])
def test_sparse_underflow_names_the_column_and_not_the_empty_ones(split, form):
    X = _sparse_columns(np.random.RandomState(0)).tolil()
    X[:, 3] = 0.0
    X[::3, 3] = 1e-170
    X = X.asformat(form)
    with pytest.raises(ValueError, match=r"Column\(s\) \[3\] of X vary by too little"):
        Standardization.of(X, np.ones(X.shape[0]), fit_intercept=True)


@pytest.mark.parametrize("form", ["csr", "csc"])
def test_the_underflow_check_reads_no_column_without_stored_values(monkeypatch, form):
    # Column 5 stores nothing: its variance is 0, but nothing in it can
    # underflow, and reading it again would cost a pass over X.
    asked = []
    spread = _standardization._spread

    def recorded(X, rows, mean, columns):
        asked.extend(columns.tolist())
        return spread(X, rows, mean, columns)

    monkeypatch.setattr(_standardization, "_spread", recorded)
    X = _sparse_columns(np.random.RandomState(0)).tolil()
    X[::3, 3] = 1e-170
    Standardization.of(X.asformat(form), np.ones(X.shape[0]), fit_intercept=True)
    assert 5 not in asked


def test_a_variance_that_cancels_is_computed_again_in_two_passes(split):
    # Column 3: E[x^2] - E[x]^2 gives 8.0 on these data, the variance is 1e-4.
    X = _sparse_columns(np.random.RandomState(0))
    std = Standardization.of(X, np.ones(X.shape[0]), fit_intercept=True)
    np.testing.assert_allclose(std.scale[3], X[:, [3]].toarray().std(), rtol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_threaded_statistics_take_values_whose_squares_add_up_past_float64(
    split, fit_intercept
):
    # About 80 squares near 2e306 a column overflow when summed; the two
    # passes of mean_variance_axis centre them first and stay finite, and the
    # threaded path must accept these values as they do.
    rng = np.random.RandomState(0)
    X = sp.random(400, 5, density=0.2, format="csr", random_state=rng)
    X.data = (1.0 + X.data) * 1e153
    with np.errstate(over="ignore"):
        assert not np.all(np.isfinite((X.multiply(X)).sum(axis=0)))
    std = Standardization.of(X, np.ones(400), fit_intercept=fit_intercept)
    std.check_finite()
    mean, var = mean_variance_axis(X, axis=0)
    if not fit_intercept:
        mean, var = 0.0, var + mean**2
    np.testing.assert_allclose(std.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(std.scale, np.sqrt(var), rtol=1e-12)
