"""Step rules, alone and inside the training loop."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from sklearn_simple import SimpleRegressor, ThresholdClassifier
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


def test_auto_is_nesterov_for_the_regressor():
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    auto = SimpleRegressor(optimizer="auto").fit(X, y)
    nesterov = SimpleRegressor(optimizer="nesterov").fit(X, y)
    np.testing.assert_array_equal(auto.coef_, nesterov.coef_)


def test_auto_keeps_one_step_size_on_a_stream_of_many_classes():
    # A stream's running average needs every call to step the same size: no
    # line search there, even where fit would use one.
    X, y = make_classification(600, 6, n_informative=4, n_classes=3, random_state=0)
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
