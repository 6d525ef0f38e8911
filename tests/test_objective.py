"""The objective on implicitly standardized data equals the explicit one."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_simple import _objective, _rows
from sklearn_simple._losses import LOSSES, Multinomial
from sklearn_simple._objective import GramObjective, L2Penalty, Objective
from sklearn_simple._passes import count_passes
from sklearn_simple._standardization import Standardization


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
    std = Standardization.of(X, sw, fit_intercept)
    obj = Objective(X, Y, sw, lo, L2Penalty(alpha, std.scale), std)
    return obj, rng


@pytest.mark.parametrize("sparse", [False, "csr", "csc"])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "hinge"])
def test_evaluate_equals_the_explicit_standardized_computation(sparse, loss):
    obj, rng = _problem(sparse=bool(sparse), loss=loss)
    if sparse == "csc":
        obj.X = obj.X.tocsc()
    weights, lookahead = rng.randn(6, 2), rng.randn(6, 2)
    Xd = obj.X.toarray() if sparse else obj.X
    std = obj.standardization
    Z = (Xd - std.mean) / std.scale
    sw = obj.sample_weight / obj.sample_weight.sum()

    def explicit(at):
        raw = Z @ at[:-1] + at[-1]
        return sw @ obj.loss.value(obj.Y, raw).sum(axis=1), raw

    evaluation = obj.evaluate(weights, lookahead)
    (expected, _), (expected_lookahead, raw) = explicit(weights), explicit(lookahead)
    G = obj.loss.derivative(obj.Y, raw) * sw[:, None]
    expected_grad = np.vstack([Z.T @ G, G.sum(axis=0)])
    assert evaluation.loss == pytest.approx(expected, rel=1e-12)
    assert evaluation.lookahead_loss == pytest.approx(expected_lookahead, rel=1e-12)
    np.testing.assert_allclose(
        evaluation.gradient, expected_grad, rtol=1e-10, atol=1e-14
    )


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "hinge"])
def test_gradient_matches_finite_differences(sparse, fit_intercept, loss):
    obj, rng = _problem(sparse=sparse, fit_intercept=fit_intercept, loss=loss)
    weights = 0.1 * rng.randn(6, 2)
    if not fit_intercept:
        weights[-1] = 0.0
    grad = obj.evaluate(weights).gradient
    h = 1e-6
    numeric = np.zeros_like(weights)
    for idx in np.ndindex(*weights.shape):
        if idx[0] == weights.shape[0] - 1 and not fit_intercept:
            continue
        step = np.zeros_like(weights)
        step[idx] = h
        up = obj.evaluate(weights + step).loss
        down = obj.evaluate(weights - step).loss
        numeric[idx] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_prox_is_the_minimiser_of_the_penalised_step():
    obj, rng = _problem(alpha=0.7)
    v = rng.randn(6, 2)
    step = 0.3
    x = obj.penalty.prox(v, step)
    scale = obj.standardization.scale
    # The prox minimises penalty(x) + ||x - v||^2 / (2 step): zero gradient.
    coef_grad = (
        obj.penalty.alpha * x[:-1] / scale[:, None] ** 2 + (x[:-1] - v[:-1]) / step
    )
    np.testing.assert_allclose(coef_grad, 0, atol=1e-12)
    np.testing.assert_array_equal(x[-1], v[-1])  # the intercept is not penalised


def test_penalty_is_on_the_coefficients_of_the_original_features():
    obj, rng = _problem(alpha=0.7)
    weights = rng.randn(6, 2)
    coef, _ = obj.standardization.unstandardize(weights)
    expected = 0.5 * 0.7 * np.sum(coef**2)
    assert obj.penalty.value(weights) == pytest.approx(expected, rel=1e-12)


def test_evaluate_reads_x_once_and_a_batch_its_share():
    obj, rng = _problem()
    with count_passes() as count:
        obj.evaluate(rng.randn(6, 2), rng.randn(6, 2))
    assert count.passes == 1
    with count_passes() as count:
        obj.batch(np.arange(15), n_rows=60).evaluate(rng.randn(6, 2))
    assert count.passes == 0.25


def test_batch_gradients_average_to_the_full_gradient():
    obj, rng = _problem()
    weights = rng.randn(6, 2)
    batches = np.array_split(np.arange(60), 4)
    mean_gradient = sum(
        obj.batch(rows, n_rows=60).evaluate(weights).gradient for rows in batches
    ) / len(batches)
    np.testing.assert_allclose(
        mean_gradient, obj.evaluate(weights).gradient, rtol=1e-10, atol=1e-14
    )


def _gram_and_rowwise(sparse=False, fit_intercept=True, y_offset=0.0):
    rng = np.random.RandomState(2)
    X = rng.randn(80, 4) * [1, 100, 0.01, 1] + [0, 50, 1, 1e3]
    if sparse:
        X[rng.rand(*X.shape) < 0.5] = 0
        X = sp.csr_matrix(X)
    Y = rng.randn(80, 2) + y_offset
    sw = rng.uniform(0.5, 2, size=80)
    loss = LOSSES["squared_error"]()
    gram = GramObjective.of(X, Y, sw, loss, 0.1, fit_intercept)
    std = gram.standardization
    rowwise = Objective(X, Y, sw, loss, L2Penalty(0.1, std.scale), std)
    weights = rng.randn(5, 2)
    if not fit_intercept:
        weights[-1] = 0.0
    return gram, rowwise, weights


@pytest.mark.parametrize("sparse", [False, True, "in chunks"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gram_form_equals_the_row_wise_squared_error(
    sparse, fit_intercept, monkeypatch
):
    if sparse == "in chunks":  # the sparse Gram matrix summed over row chunks
        monkeypatch.setattr(_rows, "SPARSE_CHUNK_NONZEROS", 17)
    gram, rowwise, weights = _gram_and_rowwise(bool(sparse), fit_intercept)
    expected = Standardization.of(rowwise.X, rowwise.sample_weight, fit_intercept)
    std = gram.standardization
    np.testing.assert_allclose(std.mean, expected.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(std.scale, expected.scale, rtol=1e-10)
    lookahead = weights + 0.5
    if not fit_intercept:
        lookahead[-1] = 0.0
    from_gram, from_rows = (
        gram.evaluate(weights, lookahead),
        rowwise.evaluate(weights, lookahead),
    )
    assert from_gram.loss == pytest.approx(from_rows.loss, rel=1e-10)
    assert from_gram.lookahead_loss == pytest.approx(
        from_rows.lookahead_loss, rel=1e-10
    )
    np.testing.assert_allclose(
        from_gram.gradient, from_rows.gradient, rtol=1e-9, atol=1e-12
    )
    assert gram.null_loss() == pytest.approx(rowwise.null_loss(), rel=1e-10)


def test_gram_form_keeps_precision_when_y_has_a_large_mean():
    gram, rowwise, weights = _gram_and_rowwise(y_offset=1e8)
    weights[-1] += 1e8  # near the optimum the loss is small against mean(y)**2
    assert gram.evaluate(weights).loss == pytest.approx(
        rowwise.evaluate(weights).loss, rel=1e-6
    )


def test_gram_curvature_is_the_exact_largest_eigenvalue():
    gram, rowwise, _ = _gram_and_rowwise()
    start = np.random.RandomState(0).randn(4)
    exact, _ = gram.curvature(start, n_iter=0)
    estimated, _ = rowwise.curvature(start, n_iter=100)
    assert exact == pytest.approx(estimated, rel=1e-8)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_extrapolated_lookahead_scores_equal_computed_ones_on_sparse_x(loss):
    # Scores are linear in the weights: the lookahead's may be combined from
    # the remembered scores of the previous weights instead of computed.
    obj, rng = _problem(sparse=True, loss=loss)
    previous, weights = rng.randn(6, 2), rng.randn(6, 2)
    beta = 0.7
    lookahead = weights + beta * (weights - previous)
    obj.evaluate(previous)  # remembered
    hinted = obj.evaluate(weights, lookahead, extrapolated_from=(previous, beta))
    fresh, _ = _problem(sparse=True, loss=loss)
    computed = fresh.evaluate(weights, lookahead)
    assert hinted.loss == pytest.approx(computed.loss, rel=1e-12)
    assert hinted.lookahead_loss == pytest.approx(computed.lookahead_loss, rel=1e-12)
    np.testing.assert_allclose(hinted.gradient, computed.gradient, rtol=1e-10)


def test_a_hint_about_unknown_previous_weights_is_not_trusted():
    obj, rng = _problem(sparse=True)
    weights, lookahead = rng.randn(6, 2), rng.randn(6, 2)
    # previous was never evaluated: the lookahead's scores are computed.
    hinted = obj.evaluate(weights, lookahead, extrapolated_from=(rng.randn(6, 2), 9.0))
    computed = obj.evaluate(weights, lookahead)
    assert hinted.lookahead_loss == pytest.approx(computed.lookahead_loss, rel=1e-12)


def test_sparse_steps_compute_one_product_of_scores_each(monkeypatch):
    # A chain of extrapolated steps, as the solver makes them: each step's
    # lookahead is combined from the scores of the two last weights, so only
    # the new weights' scores are a product with X.
    obj, rng = _problem(sparse=True, loss="log_loss")
    products, product = [], _rows.sparse_times_dense

    def counted(X, W, out=None):
        products.append(W.shape)
        return product(X, W, out=out)

    monkeypatch.setattr(_rows, "sparse_times_dense", counted)
    chain = [rng.randn(6, 2) for _ in range(6)]
    obj.evaluate(chain[0])
    for previous, weights in itertools.pairwise(chain):
        lookahead = weights + 0.5 * (weights - previous)
        obj.evaluate(weights, lookahead, extrapolated_from=(previous, 0.5))
    assert len(products) == len(chain)


def test_all_zero_weights_are_scored_without_a_product_with_sparse_x(monkeypatch):
    # A fit starts from zero weights: every row scores the intercept, which
    # needs no pass over X; the gradient there is the same.
    obj, rng = _problem(sparse=True, loss="log_loss")
    zero = np.zeros((6, 2))
    zero[-1] = rng.randn(2)  # an intercept alone still needs no product
    dense = Objective(
        obj.X.toarray(),
        obj.Y,
        obj.sample_weight,
        obj.loss,
        obj.penalty,
        obj.standardization,
    )
    expected = dense.evaluate(zero)

    def refused(X, W, out=None):
        raise AssertionError("X @ W computed for all-zero coefficients")

    monkeypatch.setattr(_rows, "sparse_times_dense", refused)
    evaluation = obj.evaluate(zero)
    assert evaluation.loss == pytest.approx(expected.loss, rel=1e-12)
    np.testing.assert_allclose(evaluation.gradient, expected.gradient, rtol=1e-12)


def test_a_large_dense_pass_gives_the_same_numbers_on_one_thread_as_on_two(
    monkeypatch,
):
    # A dense X of DENSE_PARTS * DENSE_PART_BLOCKS blocks or more is read in
    # parts, side by side in threads; the parts depend on X alone.
    rng = np.random.RandomState(0)
    rows = 2 * _objective.DENSE_PARTS * _objective.DENSE_PART_BLOCKS
    X = rng.randn(rows * (_rows.BLOCK_ELEMENTS // 40), 40)
    loss = Multinomial()
    Y = np.eye(3)[rng.randint(0, 3, X.shape[0])]
    sw = rng.uniform(0.5, 2, X.shape[0])
    std = Standardization.of(X, sw, True)
    weights, lookahead = rng.randn(41, 3), rng.randn(41, 3)
    evaluations = []
    for threads in (1, 2):
        monkeypatch.setattr(_objective, "available_threads", lambda t=threads: t)
        obj = Objective(X, Y, sw, loss, L2Penalty(0.1, std.scale), std)
        assert len(obj._dense_parts()) == _objective.DENSE_PARTS
        evaluations.append(obj.evaluate(weights, lookahead))
    one, two = evaluations
    assert (one.loss, one.lookahead_loss) == (two.loss, two.lookahead_loss)
    np.testing.assert_array_equal(one.gradient, two.gradient)
    # The same objective as one pass in a single part, to rounding.
    monkeypatch.setattr(Objective, "_dense_parts", lambda self: [list(self._blocks())])
    whole = Objective(X, Y, sw, loss, L2Penalty(0.1, std.scale), std)
    single = whole.evaluate(weights, lookahead)
    assert single.loss == pytest.approx(one.loss, rel=1e-12)
    np.testing.assert_allclose(single.gradient, one.gradient, rtol=1e-10, atol=1e-12)
