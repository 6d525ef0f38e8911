"""Every case of the bad-input specification gets its documented outcome.

The cases live in ``bad_input_cases.py``; the docs render the same list.
"""

import importlib.util
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from bad_input_cases import CASES, CLF, REG, clean_data
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sklearn_simple import DivergenceError, SimpleRegressor, ThresholdClassifier
from sklearn_simple._compat import InvalidParameterError

ESTIMATORS = {REG: SimpleRegressor, CLF: ThresholdClassifier}
EXCEPTIONS = {
    e.__name__: e
    for e in (
        ValueError,
        InvalidParameterError,
        DivergenceError,
        NotFittedError,
        AttributeError,
    )
}
WARNINGS = {w.__name__: w for w in (UserWarning, ConvergenceWarning)}
RAISING = [case for case in CASES if case.raises]
ACCEPTED = [case for case in CASES if not case.raises]


def _prepare(case):
    """The model after the case's setup, and the call with the bad input."""
    X, y = clean_data(case.estimator)
    model = case.setup(ESTIMATORS[case.estimator], X, y)
    return model, lambda: case.act(model, X, y)


def _assert_finite(result):
    if isinstance(result, BaseEstimator):
        for name in ("coef_", "intercept_", "loss_curve_"):
            assert np.all(np.isfinite(getattr(result, name))), name
    elif isinstance(result, float):
        assert np.isfinite(result)
    else:
        result = np.asarray(result)
        if result.dtype.kind in "fc":
            assert np.all(np.isfinite(result))


@pytest.mark.parametrize("case", RAISING, ids=lambda case: case.id)
def test_bad_input_raises_the_documented_error(case):
    _, act = _prepare(case)
    expected = EXCEPTIONS[case.raises]
    with pytest.raises(expected, match=case.match) as info:
        act()
    # Exactly that type: a ValueError must not be a DivergenceError in disguise.
    assert type(info.value) is expected


@pytest.mark.parametrize("case", RAISING, ids=lambda case: case.id)
def test_messages_show_plain_numbers(case):
    # A numpy scalar's repr (np.float64(0.1)) is noise in a message to a user.
    _, act = _prepare(case)
    with pytest.raises(EXCEPTIONS[case.raises]) as info:
        act()
    assert "np.float" not in str(info.value) and "np.int" not in str(info.value)


@pytest.mark.parametrize("case", RAISING, ids=lambda case: case.id)
def test_a_call_that_raises_leaves_the_model_as_it_was(case):
    model, act = _prepare(case)
    before = pickle.dumps(model)
    with pytest.raises(EXCEPTIONS[case.raises]):
        act()
    assert pickle.dumps(model) == before


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: case.id)
def test_accepted_input_gives_finite_results_and_only_documented_warnings(case):
    _, act = _prepare(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = act()
    _assert_finite(result)
    if case.warns is None:
        assert [str(w.message) for w in caught] == []
    else:
        name, pattern = case.warns
        assert {w.category for w in caught} == {WARNINGS[name]}
        assert any(re.search(pattern, str(w.message)) for w in caught), pattern


def test_the_specification_covers_every_public_method_of_both_estimators():
    methods = {
        REG: {"fit", "partial_fit", "predict", "score"},
        CLF: {
            "fit",
            "partial_fit",
            "predict",
            "score",
            "decision_function",
            "predict_proba",
        },
    }
    covered = {(case.estimator, case.method) for case in CASES}
    assert covered == {(est, m) for est, names in methods.items() for m in names}
    assert len(CASES) >= 40


def test_the_docs_table_is_a_fresh_rendering_of_these_cases():
    path = Path(__file__).resolve().parent.parent / "docs" / "make_bad_input_table.py"
    spec = importlib.util.spec_from_file_location("make_bad_input_table", path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    committed = generator.TABLE.read_text(encoding="utf-8")
    assert committed == generator.render(CASES), (
        "docs/bad_input_table.rst is stale: run python docs/make_bad_input_table.py"
    )
