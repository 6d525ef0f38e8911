"""Saving and loading models: every bit survives, and loading runs no foreign code.

Pickle compares byte for byte only when the same objects are pickled: a
loaded model holds new dtype objects, which pickle's memo writes out anew.
So round trips are compared on content: every array, scalar and random state
bit for bit, through ``_bits``.
"""

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
