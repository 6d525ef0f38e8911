"""Properties that hold for any data, checked with hypothesis.

Random shapes, dtypes, scales, weights and labels either raise an error
documented in the bad-input specification or give finite results; and
fits are invariant where the mathematics says they must be. The profile is
derandomized (the same examples on every run) with a bounded number of
examples, so that CI is fast and reproducible.
"""

import re
import warnings

import numpy as np
import pytest
from bad_input_cases import CASES
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning

from sklearn_simple import DivergenceError, SimpleRegressor, ThresholdClassifier

settings.register_profile(
    "sklearn-simple",
    derandomize=True,
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("sklearn-simple")

DOCUMENTED = {(case.raises, case.match) for case in CASES if case.raises}

# A fixed number of epochs: runs compared below then take the same steps, and
# differ only by rounding (sums in another order), amplified by conditioning.
# Over 200 random problems that stayed below 3e-9 of the largest prediction;
# 1e-6 leaves room for worse-conditioned draws and is far below the change
# any real difference (a weight ignored, a row lost) makes.
FIXED = {"tol": None, "max_iter": 60}
RTOL = 1e-6


def _assert_close(actual, expected):
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL * scale)


@st.composite
def problems(draw, classifier):
    """``(X, y, sample_weight)``: any shape, dtype, scale, weights, labels."""
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    finfo = np.finfo(dtype)
    X = draw(
        hnp.arrays(
            dtype,
            (n, d),
            elements=st.floats(-1e3, 1e3, width=finfo.bits, allow_subnormal=False),
        )
    )
    # Scale each column by a power of ten, up to the edge of what the dtype
    # can square (where the documented overflow error is the right answer).
    exponents = draw(
        hnp.arrays(np.int64, d, elements=st.integers(-finfo.maxexp // 8, 25))
    )
    X = (X * 10.0 ** exponents.astype(float)).astype(dtype)
    if classifier:
        # 2 to 4 classes, all present as far as n allows (a single class is
        # a row of the bad-input specification), in any order.
        n_classes = draw(st.integers(2, 4))
        y = np.array(draw(st.permutations(np.arange(n) % n_classes)))
    else:
        y = draw(hnp.arrays(np.float64, n, elements=st.floats(-1e6, 1e6)))
    sample_weight = draw(
        st.none() | hnp.arrays(np.float64, n, elements=st.floats(0.0, 10.0))
    )
    return X, y, sample_weight


def _fit_or_documented_error(model, X, y, sample_weight):
    """The fitted model, or None when fit raised a documented error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("error", RuntimeWarning)
            fitted = model.fit(X, y, sample_weight=sample_weight)
    except ValueError as exc:
        # The promise of the default learning_rate=1.0, for full batches.
        full_batch = model.batch_size is None
        assert not (full_batch and isinstance(exc, DivergenceError)), str(exc)
        documented = [
            pattern
            for name, pattern in DOCUMENTED
            if type(exc).__name__ == name and re.search(pattern, str(exc))
        ]
        assert documented, f"undocumented {type(exc).__name__}: {exc}"
        event(f"{type(exc).__name__}: {documented[0]}")
        return None
    event("fitted")
    return fitted


@given(
    problem=problems(classifier=False),
    params=st.fixed_dictionaries(
        {
            "optimizer": st.sampled_from(["nesterov", "gd", "linesearch"]),
            "alpha": st.sampled_from([0.0, 1e-4, 1.0]),
            "fit_intercept": st.booleans(),
            "batch_size": st.sampled_from([None, 4]),
        }
    ),
)
def test_regressor_gives_a_documented_error_or_finite_predictions(problem, params):
    X, y, sample_weight = problem
    model = SimpleRegressor(max_iter=200, random_state=0, **params)
    if _fit_or_documented_error(model, X, y, sample_weight) is not None:
        assert np.all(np.isfinite(model.coef_))
        assert np.all(np.isfinite(model.predict(X)))


@given(
    problem=problems(classifier=True),
    params=st.fixed_dictionaries(
        {
            "loss": st.sampled_from(["log_loss", "hinge", "squared_error"]),
            "alpha": st.sampled_from([0.0, 1e-4, 1.0]),
            "class_weight": st.sampled_from([None, "balanced"]),
            "batch_size": st.sampled_from([None, 4]),
        }
    ),
)
def test_classifier_gives_a_documented_error_or_finite_scores(problem, params):
    X, y, sample_weight = problem
    model = ThresholdClassifier(max_iter=200, random_state=0, **params)
    if _fit_or_documented_error(model, X, y, sample_weight) is not None:
        assert np.all(np.isfinite(model.decision_function(X)))
        assert set(model.predict(X)) <= set(y)


@st.composite
def well_posed(draw, max_rows=25):
    """Float64 data with varied column scales, safely inside float range."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(2, max_rows))
    d = draw(st.integers(1, 4))
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d) * 10.0 ** rng.uniform(-3, 3, size=d)
    return X, rng.randn(n), rng


@given(data=well_posed(), fit_intercept=st.booleans())
def test_integer_weights_equal_repeated_rows(data, fit_intercept):
    X, y, rng = data
    weights = rng.randint(0, 4, size=len(y))
    weights[0] += 1  # at least one row counts
    params = {"fit_intercept": fit_intercept, **FIXED}
    weighted = SimpleRegressor(**params).fit(X, y, sample_weight=weights)
    repeated = SimpleRegressor(**params).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    _assert_close(weighted.predict(X), repeated.predict(X))


@given(data=well_posed())
def test_row_order_does_not_change_a_full_batch_fit(data):
    X, y, rng = data
    order = rng.permutation(len(y))
    fitted = SimpleRegressor(**FIXED).fit(X, y)
    shuffled = SimpleRegressor(**FIXED).fit(X[order], y[order])
    _assert_close(shuffled.predict(X), fitted.predict(X))


@given(
    data=well_posed(),
    exponent=st.floats(-6, 6),
    make=st.sampled_from([SimpleRegressor, ThresholdClassifier]),
)
def test_rescaling_a_feature_rescales_its_coefficient_inversely(data, exponent, make):
    X, y, rng = data
    if make is ThresholdClassifier:
        y = (y > np.median(y)).astype(int)
        if len(np.unique(y)) < 2:
            y[0] = 1 - y[0]
    column, factor = rng.randint(X.shape[1]), 10.0**exponent
    X_scaled = X.copy()
    X_scaled[:, column] *= factor
    # alpha=0: a penalty on coef_ would depend on the units of the feature.
    original = make(alpha=0.0, **FIXED).fit(X, y)
    rescaled = make(alpha=0.0, **FIXED).fit(X_scaled, y)
    expected = np.ravel(original.coef_).copy()
    expected[column] /= factor
    # In units of each column's spread: the columns' scales differ by orders
    # of magnitude, and so do their coefficients.
    spread = X_scaled.std(axis=0)
    _assert_close(np.ravel(rescaled.coef_) * spread, expected * spread)
    predict = "predict" if make is SimpleRegressor else "decision_function"
    _assert_close(getattr(rescaled, predict)(X_scaled), getattr(original, predict)(X))


def _mini_batch_coef(make, X, y, seed):
    return make(batch_size=5, random_state=seed, max_iter=20, tol=None).fit(X, y).coef_


@pytest.mark.parametrize("make", [SimpleRegressor, ThresholdClassifier])
def test_same_random_state_gives_bit_identical_coefficients_here_and_in_workers(make):
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = X @ [1.0, -1.0, 2.0] + rng.randn(60)
    if make is ThresholdClassifier:
        y = (y > 0).astype(int)
    seeds = [0, 1, 2]
    serial = [_mini_batch_coef(make, X, y, seed) for seed in seeds]
    again = [_mini_batch_coef(make, X, y, seed) for seed in seeds]
    in_workers = Parallel(n_jobs=2)(
        delayed(_mini_batch_coef)(make, X, y, seed) for seed in seeds
    )
    for a, b, c in zip(serial, again, in_workers, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # The seed matters: otherwise the comparison above proves nothing.
    assert not np.array_equal(serial[0], serial[1])


@pytest.mark.parametrize("optimizer", ["nesterov", "gd"])
@pytest.mark.parametrize("offset", [1e7, 1e16])
def test_a_constant_feature_far_from_zero_does_not_spoil_the_fit(optimizer, offset):
    # The weight of a constant column stays at 0: otherwise the implicit
    # centering X @ coef_ - mean @ coef_ cancels catastrophically.
    rng = np.random.RandomState(0)
    informative = rng.randn(40)
    X = np.column_stack([np.full(40, offset), informative])
    y = 2.0 * informative
    reg = SimpleRegressor(optimizer=optimizer).fit(X, y)
    assert reg.score(X, y) > 0.99
    assert reg.coef_[0] == 0.0
    clf = ThresholdClassifier(optimizer=optimizer).fit(X, informative > 0)
    assert clf.score(X, informative > 0) > 0.95
    assert clf.coef_[0, 0] == 0.0
