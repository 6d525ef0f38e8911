"""The line search's bound on the distance to the minimum, and the stop it allows.

Each step of the line search bounds how far the objective at its new weights
is above the minimum (``L2Penalty.excess_bound``) where the loss has a known
curvature along the intercept (the squared error), or there is no intercept.
A binary log loss with an intercept gets its bound from one more pass, at
an epoch without improvement (``Monitor``). Training stops as soon as
a bound is within ``tol`` of the loss. The minimum is taken from
scikit-learn's converged ``LogisticRegression`` and ``Ridge`` (or a tighter
fit of ours where it is lower), each objective computed here from the
fitted coefficients.
"""

import logging
import re

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

from sklearn_simple import SimpleRegressor, ThresholdClassifier
from sklearn_simple._loop import LoopSettings, Monitor
from sklearn_simple._objective import L2Penalty

TIGHT = {"tol": 1e-13, "max_iter": 5000, "optimizer": "linesearch"}


def _objective(model, X, y, alpha, sw):
    """The mean loss plus ``alpha / 2 * ||coef||**2``, from the coefficients."""
    coef = np.atleast_2d(model.coef_)
    P = X @ coef.T + model.intercept_
    if P.shape[1] > 1:  # multinomial
        rows = np.searchsorted(model.classes_, y)
        loss = logsumexp(P, axis=1) - P[np.arange(len(y)), rows]
    elif hasattr(model, "classes_"):
        y01 = (y == model.classes_[1]).astype(float)
        loss = np.logaddexp(0, P[:, 0]) - y01 * P[:, 0]
    else:
        loss = 0.5 * (np.ravel(P) - y) ** 2
    return np.average(loss, weights=sw) + 0.5 * alpha * np.sum(coef * coef)


def _minimum(X, y, alpha, sw, ours):
    """The lowest objective of a converged scikit-learn model and of ``ours``."""
    if hasattr(ours, "classes_"):
        # Not always converged at that tol (text-like): its objective is only
        # an upper bound on the minimum, as is that of our tight fit.
        peer = LogisticRegression(
            C=1 / (alpha * sw.sum()),
            fit_intercept=ours.fit_intercept,
            tol=1e-12,
            max_iter=100_000,
        ).fit(X, y, sample_weight=sw)
    else:
        peer = Ridge(
            alpha=alpha * sw.sum(),
            fit_intercept=ours.fit_intercept,
            tol=1e-12,
            max_iter=100_000,
        )
        peer.fit(X, y, sample_weight=sw)
    tight = ours.set_params(**TIGHT).fit(X, y, sample_weight=sw)
    return min(_objective(m, X, y, alpha, sw) for m in (peer, tight))


def _text_like(n_rows, n_features, per_row, rng):
    rows = np.repeat(np.arange(n_rows), per_row)
    cols = rng.zipf(1.3, n_rows * per_row) % n_features
    X = sp.csr_matrix(
        (rng.exponential(size=len(rows)), (rows, cols)), (n_rows, n_features)
    )
    X.sum_duplicates()
    return X, X @ rng.normal(size=n_features) + rng.normal(size=n_rows)


def _case(name, fit_intercept=False):
    """``(estimator, X, y, alpha, sample_weight)`` of a regime to try.

    Classifiers without an intercept unless asked: their steps bound their
    excess, as the regressor's do.
    """
    rng = np.random.RandomState(0)
    if name in ("text-like", "text-like regression"):
        X, score = _text_like(2000, 5000, 20, rng)
        if name == "text-like regression":
            return SimpleRegressor(), X, score, 1e-4, np.ones(X.shape[0])
        y = score > np.median(score)
        return ThresholdClassifier(fit_intercept=fit_intercept), X, y, 1e-4, None
    if name == "imbalanced":
        # 1 % positive, well separated, far from the origin: where counting
        # the intercept with alpha fell short by 3x.
        X, y = make_classification(
            5000, 20, weights=[0.99], class_sep=3.0, flip_y=0, random_state=0
        )
        model = ThresholdClassifier(fit_intercept=fit_intercept)
        return model, X + 5.0, y, 0.01, None
    if name == "weighted regression":
        X, y = make_regression(2000, 20, noise=10.0, bias=50.0, random_state=0)
        return SimpleRegressor(), X + 3.0, y, 1e-3, rng.uniform(0, 3, len(y))
    n_rows, n_features, classes = {
        "tall": (50_000, 3, 2),
        "5 classes": (3000, 10, 5),
        "30 classes": (3000, 30, 30),
    }.get(name, (2000, 20, 2))
    X, y = make_classification(
        n_rows,
        n_features,
        n_informative=n_features // 2 + 1,
        n_redundant=0,
        n_classes=classes,
        class_sep=4.0 if name == "nearly separable" else 1.0,
        random_state=0,
    )
    alpha = {"large alpha": 1.0, "nearly separable": 0.05}.get(name, 1e-3)
    if name == "extreme magnitudes":
        X = X * np.logspace(-6, 6, n_features)
    sw = rng.uniform(0, 3, n_rows) if name == "sample weights" else None
    return ThresholdClassifier(fit_intercept=fit_intercept), X, y, alpha, sw


CASES = [
    "dense",
    "text-like",
    "text-like regression",
    "weighted regression",
    "tall",
    "5 classes",
    "30 classes",
    "sample weights",
    "imbalanced",
    "extreme magnitudes",
    "large alpha",
    "nearly separable",
]


def _steps(model, X, y, sw, monkeypatch):
    """Fit ``model``; return the ``(loss, excess bound)`` of every epoch."""
    steps, judge = [], Monitor.judge

    def recording(self, epoch, solver, loss, excess):
        stop, score, excess = judge(self, epoch, solver, loss, excess)
        steps.append((loss, excess))
        return stop, score, excess

    with monkeypatch.context() as patch:
        patch.setattr(Monitor, "judge", recording)
        model.fit(X, y, sample_weight=sw)
    return steps


@pytest.mark.filterwarnings("ignore:lbfgs failed to converge")
@pytest.mark.parametrize("name", CASES)
def test_every_line_search_step_bounds_its_distance_to_the_minimum(name, monkeypatch):
    model, X, y, alpha, sw = _case(name)
    sw = np.ones(X.shape[0]) if sw is None else sw
    model.set_params(alpha=alpha, optimizer="linesearch")
    steps = _steps(model, X, y, sw, monkeypatch)
    minimum = _minimum(X, y, alpha, sw, model)
    # A step undone because its momentum overshot has no bound.
    bounded = [(loss, bound) for loss, bound in steps if np.isfinite(bound)]
    assert len(bounded) > len(steps) / 2
    # What the dtype of X can resolve of the loss, which is computed in it.
    resolution = 10 * np.finfo(X.dtype).eps * abs(minimum)
    for loss, bound in bounded:
        assert loss - minimum <= bound + resolution


@pytest.mark.parametrize(
    "name, alpha, fit_intercept",
    [
        ("text-like", 1e-2, False),
        ("text-like", 1e-2, True),
        ("text-like regression", 0.1, True),
        ("5 classes", 0.1, False),
    ],
)
def test_a_line_search_stops_within_tol_of_the_minimum_without_waiting(
    name, alpha, fit_intercept
):
    model, X, y, _, _ = _case(name, fit_intercept)
    sw = np.ones(X.shape[0])
    model.set_params(alpha=alpha, optimizer="linesearch")
    model.fit(X, y, sample_weight=sw)
    losses = np.asarray(model.loss_curve_)
    # Epochs at the end that did not improve on the best loss by tol.
    improved = losses[1:] < np.minimum.accumulate(losses)[:-1] * (1 - model.tol)
    waited = len(improved) - 1 - np.flatnonzero(improved)[-1]
    assert waited < model.n_iter_no_change and model.n_iter_ < model.max_iter
    tol = model.tol
    assert losses[-1] - _minimum(X, y, alpha, sw, model) <= tol * abs(losses[-1])


def test_without_a_penalty_training_waits_n_iter_no_change_epochs():
    model, X, y, _, _ = _case("text-like")
    model.set_params(alpha=0.0, optimizer="linesearch", max_iter=10_000)
    losses = np.asarray(model.fit(X, y).loss_curve_)
    best = np.minimum.accumulate(losses)
    last_improvement = np.flatnonzero(losses[1:] < best[:-1] * (1 - model.tol))[-1]
    assert len(losses) - 2 - last_improvement == model.n_iter_no_change


def test_verbose_logs_the_bound_the_fit_stopped_on(caplog):
    model, X, y, _, _ = _case("text-like")
    model.set_params(alpha=1e-2, optimizer="linesearch", verbose=1)
    with caplog.at_level(logging.INFO, logger="sklearn_simple"):
        model.fit(X, y)
    last = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch")
    ]
    bound = float(re.search(r"at most (\S+) above its minimum", last[-1]).group(1))
    assert 0 <= bound <= model.tol * model.loss_curve_[-1]


def test_verbose_logs_no_bound_without_a_line_search(caplog):
    model, X, y, _, _ = _case("text-like")
    model.set_params(alpha=1e-2, optimizer="nesterov", verbose=1)
    with caplog.at_level(logging.INFO, logger="sklearn_simple"):
        model.fit(X, y)
    assert "above its minimum" not in caplog.text


BINARY = ["dense", "tall", "sample weights", "imbalanced", "extreme magnitudes"]
BINARY += ["large alpha", "nearly separable", "text-like"]


@pytest.mark.filterwarnings("ignore:lbfgs failed to converge")
@pytest.mark.parametrize("name", BINARY)
def test_a_log_loss_with_an_intercept_is_bounded_once_it_stalls(name, monkeypatch):
    model, X, y, alpha, sw = _case(name, fit_intercept=True)
    # Text-like data at alpha=1e-4 stall far above the target, where the
    # extra pass is not paid.
    alpha = 1e-2 if name == "text-like" else alpha
    sw = np.ones(X.shape[0]) if sw is None else sw
    model.set_params(alpha=alpha, optimizer="linesearch")
    steps = _steps(model, X, y, sw, monkeypatch)
    minimum = _minimum(X, y, alpha, sw, model)
    bounded = [(loss, bound) for loss, bound in steps if np.isfinite(bound)]
    assert bounded
    resolution = 10 * np.finfo(X.dtype).eps * abs(minimum)
    for loss, bound in bounded:
        assert loss - minimum <= bound + resolution


def test_a_multinomial_with_an_intercept_has_no_bound(monkeypatch):
    model, X, y, alpha, _ = _case("5 classes", fit_intercept=True)
    model.set_params(alpha=alpha, optimizer="linesearch")
    steps = _steps(model, X, y, np.ones(X.shape[0]), monkeypatch)
    assert all(bound == np.inf for _, bound in steps)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_float32_fits_get_no_bound(fit_intercept, monkeypatch):
    # Features far from the origin: float32 scores too inexact for a bound.
    model, X, y, alpha, _ = _case("dense", fit_intercept=fit_intercept)
    X = (X + 1000.0).astype(np.float32)
    model.set_params(alpha=alpha, optimizer="linesearch")
    steps = _steps(model, X, y, np.ones(X.shape[0]), monkeypatch)
    assert all(bound == np.inf for _, bound in steps)


def _fitted_monitor(model, X, y, monkeypatch):
    """Fit ``model`` and return the ``Monitor`` of its training."""
    monitors, init = [], Monitor.__init__

    def keeping(self, *args, **kwargs):
        init(self, *args, **kwargs)
        monitors.append(self)

    with monkeypatch.context() as patch:
        patch.setattr(Monitor, "__init__", keeping)
        model.fit(X, y)
    return monitors[-1]


@pytest.mark.parametrize("shift", [-5.0, -0.5, 0.5, 5.0])
def test_the_bound_with_the_intercept_refitted_covers_a_misplaced_intercept(
    shift, monkeypatch
):
    model, X, y, alpha, _ = _case("imbalanced", fit_intercept=True)
    model.set_params(alpha=alpha, **TIGHT)
    objective = _fitted_monitor(model, X, y, monkeypatch).objective
    weights = model._state.solver.weights.copy()
    minimum = objective.evaluate(weights).loss + objective.penalty.value(weights)
    weights[-1, :] += shift
    loss = objective.evaluate(weights).loss + objective.penalty.value(weights)
    settings = LoopSettings(max_epochs=1, tol=1e-4, n_iter_no_change=5)
    monitor = Monitor(objective, model._state, settings, loss, None, certify=True)
    bound = monitor._certified_excess(weights, loss)
    # Exact but for the coefficients' own (tiny) excess.
    assert loss - minimum <= bound <= (loss - minimum) * (1 + 1e-6) + 1e-12


def test_a_step_lost_to_rounding_gives_no_bound():
    penalty = L2Penalty(alpha=1e-30, scale=np.ones(1))
    point, gradient = np.array([[1e10], [0.0]]), np.array([[1e-10], [0.0]])
    new = penalty.prox(point - gradient, step=1.0)
    assert np.array_equal(new, point)  # the move is below the last digit
    assert penalty.excess_bound(point, new, gradient, 1.0, 1.0).bound == np.inf


def test_a_step_that_moved_is_bounded_by_its_mapping():
    penalty = L2Penalty(alpha=0.5, scale=np.array([2.0]))
    point, gradient = np.array([[1.0], [3.0]]), np.array([[0.25], [0.5]])
    new = penalty.prox(point - gradient, step=1.0)
    g = (point - new) / 1.0
    expected = (2 * g[0, 0]) ** 2 / (2 * 0.5) + (g**2).sum() / 2 + g[1, 0] ** 2 / 2
    excess = penalty.excess_bound(point, new, gradient, 1.0, 1.0)
    assert excess.bound == pytest.approx(expected)
    assert excess.at_best_intercept == pytest.approx(expected - g[1, 0] ** 2)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_an_ordinal_model_has_no_bound(fit_intercept, monkeypatch):
    model, X, y, alpha, _ = _case("5 classes", fit_intercept)
    model.set_params(alpha=alpha, optimizer="linesearch", ordinal=True)
    steps = _steps(model, X, y, np.ones(X.shape[0]), monkeypatch)
    assert all(bound == np.inf for _, bound in steps)


def test_early_stopping_stops_on_the_validation_loss_alone():
    model, X, y, _, _ = _case("text-like")
    model.set_params(alpha=1e-2, optimizer="linesearch", early_stopping=True)
    scores = -np.asarray(model.fit(X, y).validation_scores_)
    improved = scores[1:] < np.minimum.accumulate(scores)[:-1] * (1 - model.tol)
    waited = len(improved) - 1 - np.flatnonzero(improved)[-1]
    assert waited == model.n_iter_no_change
