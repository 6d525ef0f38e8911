"""Step rules, alone and inside the training loop."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from sklearn_simple import SimpleRegressor, ThresholdClassifier, _objective
from sklearn_simple._optimizers import (
    OPTIMIZERS,
    STOCHASTIC_MOMENTUM,
    GradientDescent,
    Nesterov,
)


def test_gradient_descent_has_no_momentum():
    optimizer = GradientDescent()
    assert optimizer.momentum(10.0, stochastic=False) == 0.0
    assert optimizer.momentum(optimizer.advance(10.0, restart=False), False) == 0.0


def test_nesterov_momentum_follows_the_fista_sequence():
    optimizer, t = Nesterov(), 1.0
    for _ in range(5):
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        expected = (t - 1) / t_next
        assert optimizer.momentum(t, stochastic=False) == pytest.approx(expected)
        t = optimizer.advance(t, restart=False)
        assert t == pytest.approx(t_next)


def test_restart_drops_the_momentum():
    optimizer = Nesterov()
    t = optimizer.advance(optimizer.advance(1.0, restart=False), restart=False)
    assert optimizer.momentum(t, stochastic=False) > 0
    assert optimizer.momentum(optimizer.advance(t, restart=True), False) == 0


def test_mini_batches_take_no_momentum():
    assert STOCHASTIC_MOMENTUM == 0.0
    assert Nesterov().momentum(1.0, stochastic=True) == 0.0
    assert Nesterov().momentum(50.0, stochastic=True) == 0.0


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_reaches_least_squares(optimizer):
    X, y = make_regression(200, 8, noise=5.0, random_state=0)
    reg = SimpleRegressor(optimizer=optimizer, tol=1e-12, max_iter=20_000).fit(X, y)
    A = np.column_stack([X, np.ones(len(X))])
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(reg.coef_, expected[:-1], rtol=1e-6)
    np.testing.assert_allclose(reg.intercept_, expected[-1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_reaches_the_same_logistic_optimum(optimizer, breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier(
        optimizer=optimizer, alpha=1e-2, tol=1e-12, max_iter=50_000
    )
    reference = ThresholdClassifier(optimizer="linesearch", alpha=1e-2, tol=1e-14)
    clf.fit(X, y)
    reference.fit(X, y)
    assert clf.best_loss_ == pytest.approx(reference.best_loss_, rel=1e-8)
    # A loss within 1e-8 of the optimum pins the weights to about
    # sqrt(2e-8 * loss / alpha), alpha being the strong convexity.
    np.testing.assert_allclose(clf.coef_, reference.coef_, atol=2e-4)


def test_acceleration_needs_fewer_epochs_than_gradient_descent():
    X, y = make_regression(300, 20, effective_rank=5, noise=1.0, random_state=0)
    gd = SimpleRegressor(optimizer="gd", tol=1e-8, max_iter=100_000).fit(X, y)
    nesterov = SimpleRegressor(optimizer="nesterov", tol=1e-8, max_iter=100_000).fit(
        X, y
    )
    assert nesterov.n_iter_ < gd.n_iter_ / 2


@pytest.mark.parametrize(
    ("n_classes", "ordinal", "chosen"),
    [(3, False, "linesearch"), (2, False, "nesterov"), (3, True, "nesterov")],
)
def test_auto_is_a_line_search_for_the_multinomial_only(n_classes, ordinal, chosen):
    X, y = make_classification(
        300, 6, n_informative=4, n_classes=n_classes, random_state=0
    )
    auto = ThresholdClassifier(ordinal=ordinal).fit(X, y)
    named = ThresholdClassifier(ordinal=ordinal, optimizer=chosen).fit(X, y)
    assert auto.n_iter_ == named.n_iter_
    np.testing.assert_array_equal(auto.coef_, named.coef_)


def test_auto_is_nesterov_for_the_regressor_on_dense_data():
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    auto = SimpleRegressor().fit(X, y)
    nesterov = SimpleRegressor(optimizer="nesterov").fit(X, y)
    np.testing.assert_array_equal(auto.coef_, nesterov.coef_)


def _sparse_text_like(n_samples, n_features, seed=0):
    """Rows of about 10 features each, drawn with Zipf frequencies, as text is."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_features + 1) ** 1.1
    indptr = np.arange(0, 10 * n_samples + 1, 10)
    columns = rng.choice(n_features, size=indptr[-1], p=p / p.sum())
    X = sp.csr_matrix(
        (rng.exponential(size=indptr[-1]), columns, indptr),
        shape=(n_samples, n_features),
    )
    X.sum_duplicates()
    coef = rng.normal(size=n_features)
    return X, X @ coef + rng.normal(scale=0.1, size=n_samples)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_auto_is_a_line_search_on_sparse_rows(task):
    X, y = _sparse_text_like(400, 2000)
    if task == "classification":
        model, y = ThresholdClassifier(), y > np.median(y)
    else:
        model = SimpleRegressor(alpha=1e-4)
    auto = clone(model).fit(X, y)
    searched = clone(model).set_params(optimizer="linesearch").fit(X, y)
    assert auto.n_iter_ == searched.n_iter_
    np.testing.assert_array_equal(auto.coef_, searched.coef_)


def test_auto_is_nesterov_on_sparse_data_the_gram_matrix_takes():
    # Few features: the regressor trains on the Gram matrix, whose curvature
    # is exact, whether X is sparse or not.
    X, y = make_regression(300, 8, noise=1.0, random_state=0)
    X = sp.csr_matrix(X * (np.abs(X) > 0.5))
    auto = SimpleRegressor().fit(X, y)
    nesterov = SimpleRegressor(optimizer="nesterov").fit(X, y)
    np.testing.assert_array_equal(auto.coef_, nesterov.coef_)


def test_the_line_search_takes_fewer_epochs_on_text_like_rows():
    # The reason for the choice: the safe step is estimated on a sample of
    # rows, which rows of rare features dominate. The data must be larger
    # than that sample for the effect to show.
    X, y = _sparse_text_like(30_000, 5000)
    nesterov = SimpleRegressor(alpha=1e-4, optimizer="nesterov").fit(X, y)
    searched = SimpleRegressor(alpha=1e-4, optimizer="linesearch").fit(X, y)
    assert searched.step_size_ > 1.5 * nesterov.step_size_
    assert searched.n_iter_ < nesterov.n_iter_
    assert searched.loss_curve_[-1] <= nesterov.loss_curve_[-1]


@pytest.mark.parametrize("sparse", [False, True])
def test_auto_keeps_one_step_size_on_a_stream(sparse):
    # A stream's running average needs every call to step the same size: no
    # line search there, even where fit would use one.
    X, y = make_classification(600, 6, n_informative=4, n_classes=3, random_state=0)
    if sparse:
        X = sp.csr_matrix(X * (np.abs(X) > 0.5))
    models = {
        name: ThresholdClassifier(optimizer=name, random_state=0)
        for name in ("auto", "nesterov")
    }
    for start in range(0, 600, 200):
        for model in models.values():
            model.partial_fit(
                X[start : start + 200], y[start : start + 200], classes=[0, 1, 2]
            )
    assert models["auto"].step_size_ == models["nesterov"].step_size_
    np.testing.assert_array_equal(models["auto"].coef_, models["nesterov"].coef_)


@pytest.fixture
def power_rounds(monkeypatch):
    """The rounds of every power iteration made from now on."""
    calls, estimate = [], _objective.power_iteration

    def recorded(X, sample_weight, standardization, start, n_iter):
        calls.append(n_iter)
        return estimate(X, sample_weight, standardization, start, n_iter)

    monkeypatch.setattr(_objective, "power_iteration", recorded)
    return calls


@pytest.mark.parametrize(("optimizer", "rounds"), [("nesterov", 10), ("linesearch", 3)])
def test_a_line_search_starts_from_a_rough_curvature_estimate(
    power_rounds, optimizer, rounds
):
    # The line search finds the step itself: its first trial needs no
    # converged power iteration.
    X, y = make_classification(300, 6, random_state=0)
    ThresholdClassifier(optimizer=optimizer).fit(X, y)
    assert power_rounds == [rounds]


@pytest.mark.parametrize(("n_classes", "rounds"), [(2, 3), (3, 10)])
def test_partial_fit_after_a_rough_estimate_makes_a_full_one(
    power_rounds, n_classes, rounds
):
    # With more than two classes, fit searches (from a rough estimate) and
    # partial_fit steps a fixed size from the estimate: it makes a full one.
    X, y = make_classification(
        300, 6, n_informative=4, n_classes=n_classes, random_state=0
    )
    model = ThresholdClassifier().fit(X, y)
    power_rounds.clear()
    model.partial_fit(X, y)
    assert power_rounds == [rounds]
