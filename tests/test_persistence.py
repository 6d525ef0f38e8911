"""Saving and loading models: every bit survives, and loading runs no foreign code.

Pickle compares byte for byte only when the same objects are pickled: a
loaded model holds new dtype objects, which pickle's memo writes out anew.
So round trips are compared on content: every array, scalar and random state
bit for bit, through ``_bits``.
"""

import dataclasses
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification, make_regression

from sklearn_simple import SimpleRegressor, ThresholdClassifier


def _bits(obj):
    """A comparable form of ``obj`` that is equal only if every bit is."""
    if isinstance(obj, BaseEstimator):
        return (type(obj).__name__, _bits(vars(obj)))
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, np.generic):
        return ("scalar", obj.dtype.str, obj.tobytes())
    if isinstance(obj, float):
        return ("float", obj.hex())
    if dataclasses.is_dataclass(obj):
        return (type(obj).__name__, _bits(vars(obj)))
    if isinstance(obj, np.random.RandomState):
        return ("RandomState", _bits(obj.get_state(legacy=False)))
    if isinstance(obj, dict):
        return ("dict", tuple((key, _bits(value)) for key, value in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_bits(item) for item in obj))
    return (type(obj).__name__, obj)


def _regression():
    return make_regression(120, 4, noise=1.0, random_state=0)


def _classification(n_classes=2):
    return make_classification(
        120, 4, n_informative=3, n_redundant=0, n_classes=n_classes, random_state=0
    )


@pytest.mark.parametrize("make", [SimpleRegressor, ThresholdClassifier])
def test_pickling_a_model_leaves_its_attributes_as_they_were(make):
    X, y = _classification()
    model = make().fit(X, y)
    before = _bits(model)
    pickle.dumps(model)
    assert _bits(model) == before


def _fitted_models():
    X, y = _regression()
    Xc, yc = _classification()
    Xm, ym = _classification(n_classes=3)
    return [
        SimpleRegressor().fit(X, y),
        SimpleRegressor(batch_size=16, random_state=0).fit(X, y),
        SimpleRegressor(early_stopping=True, random_state=0).fit(X, y),
        SimpleRegressor().fit(X.astype(np.float32), np.column_stack([y, -y])),
        ThresholdClassifier().fit(Xc, yc),
        ThresholdClassifier(class_weight="balanced").fit(Xm, ym),
        ThresholdClassifier(ordinal=[2, 0, 1]).fit(Xm, ym),
        ThresholdClassifier(ordinal=True, loss="hinge").fit(Xm, ym),
    ]


def _streaming(model, X, y, calls):
    """``calls`` partial_fit calls on the chunks of 30 rows, cycling."""
    kwargs = {"classes": np.unique(y)} if isinstance(model, ThresholdClassifier) else {}
    for i in range(calls):
        rows = slice(30 * (i % 4), 30 * (i % 4 + 1))
        model.partial_fit(X[rows], y[rows], **kwargs)
    return model


def _mid_training():
    """Models in the middle of mini-batch partial_fit training (shuffled rows)."""
    X, y = _regression()
    Xc, yc = _classification(n_classes=3)
    return [
        (_streaming(SimpleRegressor(batch_size=8, random_state=0), X, y, 3), X, y),
        (
            _streaming(
                ThresholdClassifier(
                    batch_size=8, class_weight="balanced", random_state=0
                ),
                Xc,
                yc,
                3,
            ),
            Xc,
            yc,
        ),
        (_streaming(ThresholdClassifier(ordinal=True), Xc, yc, 3), Xc, yc),
    ]


@pytest.mark.parametrize("model", _fitted_models(), ids=repr)
def test_pickle_round_trip_keeps_every_bit(model):
    assert _bits(pickle.loads(pickle.dumps(model))) == _bits(model)


@pytest.mark.parametrize(
    "model, X, y", _mid_training(), ids=["regressor", "classifier", "ordinal"]
)
def test_partial_fit_after_unpickling_continues_as_if_never_pickled(model, X, y):
    copy = pickle.loads(pickle.dumps(model))
    _streaming(model, X, y, 5)
    _streaming(copy, X, y, 5)
    assert _bits(copy) == _bits(model)


@pytest.mark.parametrize("model", _fitted_models(), ids=repr)
def test_skops_file_holds_no_untrusted_type_but_the_estimator_class(model):
    sio = pytest.importorskip("skops.io")
    untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    assert untrusted == [f"{type(model).__module__}.{type(model).__name__}"]


@pytest.mark.parametrize("model", _fitted_models(), ids=repr)
def test_skops_round_trip_keeps_every_bit(model):
    sio = pytest.importorskip("skops.io")
    trusted = [type(model)]
    loaded = sio.loads(sio.dumps(model), trusted=trusted)
    assert _bits(loaded) == _bits(model)


@pytest.mark.parametrize(
    "model, X, y", _mid_training(), ids=["regressor", "classifier", "ordinal"]
)
def test_partial_fit_after_a_skops_round_trip_continues_as_if_never_saved(model, X, y):
    sio = pytest.importorskip("skops.io")
    copy = sio.loads(sio.dumps(model), trusted=[type(model)])
    _streaming(model, X, y, 5)
    _streaming(copy, X, y, 5)
    assert _bits(copy) == _bits(model)
