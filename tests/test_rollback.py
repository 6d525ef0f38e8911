"""Nothing is lost on failure: a call that raises leaves the model bit-identical.

Every kind of failure of a call that continues training (``partial_fit``, or
``fit`` with ``warm_start=True``) is tried on a trained model, with full
batches and with shuffled mini-batches (whose random state advances during
an epoch), and the model must pickle to the same bytes as before the call.
Interrupts are covered in test_base.py.
"""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from sklearn_simple import DivergenceError, SimpleRegressor, ThresholdClassifier
from sklearn_simple._compat import InvalidParameterError


def _nan_in_x(model, X, y):
    X = X.copy()
    X[0, 0] = np.nan
    return X, y, None


def _fewer_features(model, X, y):
    return X[:, :2], y, None


def _negative_weight(model, X, y):
    return X, y, np.r_[-1.0, np.ones(len(y) - 1)]


def _overflowing_x(model, X, y):
    return X * 1e200, y, None


def _other_targets(model, X, y):
    # Two targets for the regressor, a third class for the classifier.
    if isinstance(model, SimpleRegressor):
        return X, np.column_stack([y, y]), None
    return X, np.arange(len(y)) % 3, None


def _invalid_parameter(model, X, y):
    model.set_params(alpha=-1.0)
    return X, y, None


def _diverging_rate(model, X, y):
    # On targets the model does not fit yet (negated, or labels swapped), so
    # that the first step is large: at the optimum the gradient is near 0.
    model.set_params(learning_rate=1e6, optimizer="gd")
    return X, -y if isinstance(model, SimpleRegressor) else 1 - y, None


FAILURES = {
    "NaN in X": (_nan_in_x, ValueError),
    "fewer features": (_fewer_features, ValueError),
    "negative sample_weight": (_negative_weight, ValueError),
    "overflowing X": (_overflowing_x, ValueError),
    "other targets or classes": (_other_targets, ValueError),
    "invalid parameter": (_invalid_parameter, InvalidParameterError),
    "diverging learning rate": (_diverging_rate, DivergenceError),
}


def _data(make):
    if make is SimpleRegressor:
        return make_regression(100, 4, noise=1.0, random_state=0)
    return make_classification(100, 4, random_state=0)


@pytest.mark.parametrize("batch_size", [None, 8], ids=["full-batch", "mini-batch"])
@pytest.mark.parametrize("method", ["partial_fit", "fit"])
@pytest.mark.parametrize("failure", FAILURES, ids=str)
@pytest.mark.parametrize("make", [SimpleRegressor, ThresholdClassifier])
def test_a_continued_training_that_raises_leaves_the_model_bit_identical(
    make, failure, method, batch_size
):
    X, y = _data(make)
    model = make(warm_start=True, batch_size=batch_size, random_state=0).fit(X, y)
    corrupt, error = FAILURES[failure]
    X_bad, y_bad, sample_weight = corrupt(model, X, y)
    before = pickle.dumps(model)
    with pytest.raises(error):
        getattr(model, method)(X_bad, y_bad, sample_weight=sample_weight)
    assert pickle.dumps(model) == before


def test_partial_fit_diverging_call_by_call_keeps_the_last_good_call():
    X, y = _data(SimpleRegressor)
    # Just past the stable range of plain gradient descent: each call makes
    # the model a little worse; no single call explodes. From a trained
    # model: a call that makes its own chunk worse than the all-zero model
    # is caught at once, which the first call from zeros would be.
    model = SimpleRegressor(optimizer="gd").partial_fit(X, y)
    model.set_params(learning_rate=2.2)
    for _ in range(100):
        last_good = pickle.dumps(model)
        try:
            model.partial_fit(X, y)
        except DivergenceError:
            break
    else:
        pytest.fail("100 partial_fit calls at learning_rate=2.2 never raised")
    assert pickle.dumps(model) == last_good
    assert np.all(np.isfinite(model.coef_))
