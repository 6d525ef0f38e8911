"""The objective on implicitly standardized data equals the explicit one."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_simple._losses import LOSSES
from sklearn_simple._objective import Objective, standardization


def _problem(sparse=False, fit_intercept=True, loss="squared_error", alpha=0.3):
    rng = np.random.RandomState(0)
    X = rng.randn(60, 5) * [1, 10, 0.1, 1000, 1] + [0, 5, -3, 1e4, 2]
    X[:, 4] = 3.0  # constant column
    if sparse:
        X[rng.rand(*X.shape) < 0.5] = 0
        X = sp.csr_matrix(X)
    lo = LOSSES[loss]()
    Y = rng.choice(lo.targets, size=(60, 2))
    sw = rng.uniform(0.5, 2, size=60)
    mean, scale, constant = standardization(X, sw, fit_intercept)
    obj = Objective(X, Y, sw, lo, alpha, mean, scale, fit_intercept, constant)
    return obj, rng


def test_weighted_statistics_match_numpy():
    rng = np.random.RandomState(1)
    X = rng.randn(50, 3) * [1, 1e3, 1e-3] + [1e6, 0, 1]
    sw = rng.uniform(0, 3, size=50)
    mean, scale, _ = standardization(X, sw, fit_intercept=True)
    expected_mean = np.average(X, axis=0, weights=sw)
    expected_std = np.sqrt(np.average((X - expected_mean) ** 2, axis=0, weights=sw))
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(scale, expected_std, rtol=1e-8)


def test_constant_column_gets_unit_scale():
    X = np.column_stack([np.full(10, 0.1), np.arange(10.0)])
    _, scale, constant = standardization(X, np.ones(10), fit_intercept=True)
    assert scale[0] == 1.0
    np.testing.assert_array_equal(constant, [True, False])


def test_without_intercept_columns_are_scaled_but_not_centered():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    mean, scale, _ = standardization(X, np.ones(2), fit_intercept=False)
    np.testing.assert_array_equal(mean, 0.0)
    np.testing.assert_allclose(scale, np.sqrt((X**2).mean(axis=0)))


@pytest.mark.parametrize("sparse", [False, "csr", "csc"])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "hinge"])
def test_evaluate_equals_the_explicit_standardized_computation(sparse, loss):
    obj, rng = _problem(sparse=bool(sparse), loss=loss)
    if sparse == "csc":
        obj.X = obj.X.tocsc()
    x, y = rng.randn(6, 2), rng.randn(6, 2)
    Xd = obj.X.toarray() if sparse else obj.X
    Z = (Xd - obj.mean) / obj.scale
    sw = obj.sample_weight / obj.sample_weight.sum()

    def explicit(theta):
        raw = Z @ theta[:-1] + theta[-1]
        return sw @ obj.loss.value(obj.Y, raw).sum(axis=1), raw

    loss_x, loss_y, grad_y = obj.evaluate(x, y)
    (expected_x, _), (expected_y, raw_y) = explicit(x), explicit(y)
    G = obj.loss.derivative(obj.Y, raw_y) * sw[:, None]
    expected_grad = np.vstack([Z.T @ G, G.sum(axis=0)])
    assert loss_x == pytest.approx(expected_x, rel=1e-12)
    assert loss_y == pytest.approx(expected_y, rel=1e-12)
    np.testing.assert_allclose(grad_y, expected_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "hinge"])
def test_gradient_matches_finite_differences(sparse, fit_intercept, loss):
    obj, rng = _problem(sparse=sparse, fit_intercept=fit_intercept, loss=loss)
    theta = 0.1 * rng.randn(6, 2)
    if not fit_intercept:
        theta[-1] = 0.0
    grad = obj.evaluate(theta)[2]
    h = 1e-6
    numeric = np.zeros_like(theta)
    for idx in np.ndindex(*theta.shape):
        if idx[0] == theta.shape[0] - 1 and not fit_intercept:
            continue
        step = np.zeros_like(theta)
        step[idx] = h
        up = obj.evaluate(theta + step)[0]
        down = obj.evaluate(theta - step)[0]
        numeric[idx] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_prox_is_the_minimiser_of_the_penalised_step():
    obj, rng = _problem(alpha=0.7)
    v = rng.randn(6, 2)
    step = 0.3
    x = obj.prox(v, step)
    # The prox minimises penalty(x) + ||x - v||^2 / (2 step): zero gradient.
    coef_grad = obj.alpha * x[:-1] / obj.scale[:, None] ** 2 + (x[:-1] - v[:-1]) / step
    np.testing.assert_allclose(coef_grad, 0, atol=1e-12)
    np.testing.assert_array_equal(x[-1], v[-1])  # the intercept is not penalised


def test_standardize_inverts_unstandardize():
    obj, rng = _problem()
    theta = rng.randn(6, 2)
    theta[:-1][obj.constant] = 0.0  # the weights training can produce
    coef, intercept = obj.unstandardize(theta)
    np.testing.assert_allclose(obj.standardize(coef, intercept), theta, rtol=1e-10)


def test_standardize_moves_a_constant_columns_term_into_the_intercept():
    obj, rng = _problem()
    assert obj.constant.any()
    coef = rng.randn(5, 2)
    theta = obj.standardize(coef, np.zeros(2))
    np.testing.assert_array_equal(theta[:-1][obj.constant], 0.0)
    # Same predictions on the rows: same loss.
    refit_coef, refit_intercept = obj.unstandardize(theta)
    np.testing.assert_allclose(
        obj.X @ refit_coef + refit_intercept, obj.X @ coef, rtol=1e-10
    )


def test_lipschitz_matches_the_largest_eigenvalue():
    obj, _ = _problem()
    Z = (obj.X - obj.mean) / obj.scale
    gram = (Z * obj.sample_weight[:, None]).T @ Z / obj.sample_weight.sum()
    top = max(np.linalg.eigvalsh(gram).max(), 1.0)
    start = np.random.RandomState(0).randn(5)
    L, _ = obj.lipschitz(start, n_iter=50)
    np.testing.assert_allclose(L, top, rtol=1e-6)


def test_evaluate_reads_x_once():
    obj, rng = _problem()
    obj.evaluate(rng.randn(6, 2), rng.randn(6, 2))
    assert obj.counter.passes == 1
    obj.batch(np.arange(15), n_rows=60).evaluate(rng.randn(6, 2))
    assert obj.counter.passes == 1.25


def _gram_and_rowwise(sparse=False, fit_intercept=True, y_offset=0.0):
    from sklearn_simple._objective import GramObjective

    rng = np.random.RandomState(2)
    X = rng.randn(80, 4) * [1, 100, 0.01, 1] + [0, 50, 1, 1e3]
    if sparse:
        X[rng.rand(*X.shape) < 0.5] = 0
        X = sp.csr_matrix(X)
    Y = rng.randn(80, 2) + y_offset
    sw = rng.uniform(0.5, 2, size=80)
    loss = LOSSES["squared_error"]()
    gram = GramObjective(X, Y, sw, loss, 0.1, fit_intercept)
    rowwise = Objective(X, Y, sw, loss, 0.1, gram.mean, gram.scale, fit_intercept)
    theta = rng.randn(5, 2)
    if not fit_intercept:
        theta[-1] = 0.0
    return gram, rowwise, theta


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gram_form_equals_the_row_wise_squared_error(sparse, fit_intercept):
    gram, rowwise, theta = _gram_and_rowwise(sparse, fit_intercept)
    expected_mean, expected_scale, _ = standardization(
        rowwise.X, rowwise.sample_weight, fit_intercept
    )
    np.testing.assert_allclose(gram.mean, expected_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gram.scale, expected_scale, rtol=1e-10)
    y = theta + 0.5
    if not fit_intercept:
        y[-1] = 0.0
    gram_x, gram_y, gram_grad = gram.evaluate(theta, y)
    row_x, row_y, row_grad = rowwise.evaluate(theta, y)
    assert gram_x == pytest.approx(row_x, rel=1e-10)
    assert gram_y == pytest.approx(row_y, rel=1e-10)
    np.testing.assert_allclose(gram_grad, row_grad, rtol=1e-9, atol=1e-12)
    assert gram.null_loss() == pytest.approx(rowwise.null_loss(), rel=1e-10)


def test_gram_form_keeps_precision_when_y_has_a_large_mean():
    gram, rowwise, theta = _gram_and_rowwise(y_offset=1e8)
    theta[-1] += 1e8  # near the optimum the loss is small against mean(y)**2
    assert gram.evaluate(theta)[0] == pytest.approx(
        rowwise.evaluate(theta)[0], rel=1e-6
    )


def test_gram_lipschitz_is_the_exact_largest_eigenvalue():
    gram, rowwise, _ = _gram_and_rowwise()
    start = np.random.RandomState(0).randn(4)
    exact, _ = gram.lipschitz(start, n_iter=0)
    estimated, _ = rowwise.lipschitz(start, n_iter=100)
    assert exact == pytest.approx(estimated, rel=1e-8)
