"""The shared training loop: interruption, persistence across versions."""

import logging
import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from sklearn_simple import (
    DivergenceError,
    InconsistentVersionWarning,
    SimpleRegressor,
    ThresholdClassifier,
)


@pytest.fixture
def regression():
    return make_regression(200, 5, noise=1.0, random_state=0)


class _Interrupt(logging.Handler):
    """Presses Ctrl-C when the verbose log reaches its ``at``-th record.

    The first record announces the training, each later one ends an epoch.
    """

    def __init__(self, at):
        super().__init__()
        self.at, self.seen = at, 0

    def emit(self, record):
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt


@pytest.fixture
def interrupt():
    """``interrupt(at)``: a Ctrl-C at the ``at``-th verbose log record."""
    logger = logging.getLogger("sklearn_simple")
    handlers = []

    def install(at):
        handlers.append(_Interrupt(at))
        logger.addHandler(handlers[-1])

    yield install
    for handler in handlers:
        logger.removeHandler(handler)


def test_interrupted_fit_keeps_the_last_finished_epoch(regression, interrupt, caplog):
    X, y = regression
    interrupt(at=1 + 4)  # during the report of epoch 4, before it is kept
    reg = SimpleRegressor(verbose=1)
    with caplog.at_level(logging.WARNING, logger="sklearn_simple"):
        with pytest.raises(KeyboardInterrupt):
            reg.fit(X, y)
    assert reg.n_iter_ == 4
    reference = SimpleRegressor(max_iter=4, tol=None).fit(X, y)
    np.testing.assert_array_equal(reg.coef_, reference.coef_)
    assert "keeping the weights of epoch 4" in caplog.text


def test_interrupted_partial_fit_rolls_back(regression, interrupt):
    X, y = regression
    reg = SimpleRegressor(verbose=1).partial_fit(X, y)
    before = pickle.dumps(reg)
    interrupt(at=1 + 1)
    with pytest.raises(KeyboardInterrupt):
        reg.partial_fit(X, y)
    assert pickle.dumps(reg) == before


def test_interrupt_before_the_first_epoch_leaves_the_model_unfitted(
    regression, interrupt
):
    X, y = regression
    interrupt(at=1)
    reg = SimpleRegressor(verbose=1)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    assert not hasattr(reg, "coef_")


def test_divergence_raises_without_numpy_warnings(regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError):
            SimpleRegressor(optimizer="gd", learning_rate=50.0).fit(X, y)


def test_numpy_error_state_is_left_as_it_was(regression):
    X, y = regression
    before = np.geterr()
    with pytest.raises(DivergenceError):
        SimpleRegressor(optimizer="gd", learning_rate=50.0).fit(X, y)
    assert np.geterr() == before


@pytest.mark.parametrize("estimator", [SimpleRegressor(), ThresholdClassifier()])
def test_unpickling_a_model_of_another_version_warns(regression, estimator):
    X, y = regression
    estimator.fit(X, y > 0)
    state = estimator.__getstate__()
    state["_sklearn_simple_version"] = "0.0.1"
    restored = type(estimator).__new__(type(estimator))
    with pytest.warns(InconsistentVersionWarning, match="sklearn-simple 0.0.1"):
        restored.__setstate__(state)


def test_unpickling_a_model_of_this_version_is_silent(regression):
    X, y = regression
    data = pickle.dumps(SimpleRegressor().fit(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(data)


def test_partial_fit_after_unpickling_continues_identically(regression):
    X, y = regression
    reg = SimpleRegressor().partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(reg))
    for model in (reg, copy):
        for _ in range(3):
            model.partial_fit(X, y)
    np.testing.assert_array_equal(copy.coef_, reg.coef_)
