"""Each loss: its derivative is the derivative of its value."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from sklearn_simple._losses import ALL_LOSSES, LOSSES, Multinomial


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_derivative_matches_finite_differences(name):
    loss = LOSSES[name]()
    rng = np.random.RandomState(0)
    neg, pos = loss.targets
    y = rng.choice([neg, pos], size=200)
    p = rng.uniform(-4, 4, size=200)
    # The hinge has a kink at y * p = 1: compare away from it.
    p = p[np.abs(y * p - 1) > 1e-3]
    y = y[: len(p)]
    h = 1e-6
    numeric = (loss.value(y, p + h) - loss.value(y, p - h)) / (2 * h)
    np.testing.assert_allclose(loss.derivative(y, p), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["squared_error", "log_loss"])
def test_curvature_bounds_the_second_derivative(name):
    loss = LOSSES[name]()
    p = np.linspace(-10, 10, 2001)
    y = np.full_like(p, loss.targets[1])
    h = 1e-4
    second = (loss.derivative(y, p + h) - loss.derivative(y, p - h)) / (2 * h)
    assert second.max() <= loss.curvature * (1 + 1e-6)
    assert second.max() >= loss.curvature * (1 - 1e-3)


def test_log_loss_derivatives_are_the_derivative_and_its_derivative():
    loss = LOSSES["log_loss"]()
    p = np.linspace(-10, 10, 201)
    y = np.tile([0.0, 1.0], 101)[:201]
    h = 1e-5
    numeric = (loss.derivative(y, p + h) - loss.derivative(y, p - h)) / (2 * h)
    first, second = loss.derivatives(y, p)
    np.testing.assert_array_equal(first, loss.derivative(y, p))
    np.testing.assert_allclose(second, numeric, rtol=1e-6, atol=1e-10)


def test_log_loss_is_finite_for_extreme_scores():
    loss = LOSSES["log_loss"]()
    p = np.array([-1e4, 1e4])
    y = np.array([1.0, 0.0])
    np.testing.assert_allclose(loss.value(y, p), [1e4, 1e4])
    np.testing.assert_allclose(loss.derivative(y, p), [-1.0, 1.0])


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_keeps_float32(name):
    loss = LOSSES[name]()
    y = np.ones(3, dtype=np.float32)
    p = np.zeros(3, dtype=np.float32)
    assert loss.value(y, p).dtype == np.float32
    assert loss.derivative(y, p).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spread", [3.0, 1e4])
def test_multinomial_matches_scipy_softmax_at_ordinary_and_extreme_scores(
    dtype, spread
):
    # 1e4: scores far above their row's mean, where exp would overflow
    # without the shift by the row's largest score.
    rng = np.random.RandomState(0)
    p = (rng.normal(size=(50, 4)) * spread).astype(dtype)
    y = np.eye(4, dtype=dtype)[rng.randint(4, size=50)]
    value, derivative = Multinomial().value_and_derivative(y, p)
    p64 = p.astype(np.float64)
    expected = logsumexp(p64, axis=1) - np.sum(y * p64, axis=1)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert value.dtype == derivative.dtype == dtype
    np.testing.assert_allclose(value[:, 0], expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(derivative, softmax(p64, axis=1) - y, atol=tol)


def _targets_and_scores(name, dtype, spread):
    rng = np.random.RandomState(0)
    if name == "multinomial":
        y = np.eye(4)[rng.randint(4, size=40)]
    elif name == "cumulative_logit":
        y = rng.choice([-1.0, 0.0, 1.0], size=(40, 3))
    else:
        y = rng.choice(ALL_LOSSES[name].targets, size=(40, 1))
    p = rng.normal(size=y.shape) * spread
    return y.astype(dtype), p.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spread", [3.0, 1e4])
@pytest.mark.parametrize("name", sorted(ALL_LOSSES))
def test_value_and_derivative_equal_the_two_halves_and_keep_the_dtype(
    name, spread, dtype
):
    # The objective takes both halves at once where it needs both, and each
    # alone elsewhere: the gradient must not depend on which was asked for.
    loss = ALL_LOSSES[name]()
    y, p = _targets_and_scores(name, dtype, spread)
    value, derivative = loss.value_and_derivative(y, p)
    assert value.dtype == derivative.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(derivative))
    np.testing.assert_array_equal(value, loss.value(y, p))
    np.testing.assert_array_equal(derivative, loss.derivative(y, p))
