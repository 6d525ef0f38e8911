"""The change of coordinates: weighted statistics, and its inverse."""

import numpy as np
import pytest

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
