"""SimpleRegressor against closed forms and scikit-learn's own estimators."""

import logging
import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge

from sklearn_simple import DivergenceError, SimpleRegressor
from sklearn_simple._passes import count_passes

TIGHT = {"tol": 1e-12, "max_iter": 5000}


def _lstsq(X, y, sample_weight=None):
    """Weighted least squares with an intercept, by numpy's direct solver."""
    sw = np.ones(len(X)) if sample_weight is None else sample_weight
    A = np.column_stack([X, np.ones(len(X))]) * np.sqrt(sw)[:, None]
    b = y * (np.sqrt(sw)[:, None] if y.ndim == 2 else np.sqrt(sw))
    solution = np.linalg.lstsq(A, b, rcond=None)[0]
    return solution[:-1].T, solution[-1]


@pytest.fixture
def regression():
    return make_regression(300, 10, noise=10.0, random_state=0)


def test_reaches_least_squares(regression):
    X, y = regression
    reg = SimpleRegressor(**TIGHT).fit(X, y)
    coef, intercept = _lstsq(X, y)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, intercept, rtol=1e-8)


def test_reaches_least_squares_on_sparse_input(regression):
    X, y = regression
    X[np.abs(X) < 0.8] = 0.0
    reg = SimpleRegressor(**TIGHT).fit(sp.csr_matrix(X), y)
    coef, intercept = _lstsq(X, y)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, intercept, rtol=1e-8)


def test_sparse_csc_and_csr_give_the_dense_fit(regression):
    X, y = regression
    X[np.abs(X) < 0.8] = 0.0
    dense = SimpleRegressor().fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        fitted = SimpleRegressor().fit(fmt(X), y)
        np.testing.assert_allclose(fitted.coef_, dense.coef_, rtol=1e-10)


def test_reaches_weighted_least_squares(regression, rng):
    X, y = regression
    sw = rng.uniform(0.1, 5.0, size=len(y))
    reg = SimpleRegressor(**TIGHT).fit(X, y, sample_weight=sw)
    coef, intercept = _lstsq(X, y, sw)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, intercept, rtol=1e-8)


def test_integer_weights_equal_repeated_rows(regression, rng):
    X, y = regression
    sw = rng.randint(0, 4, size=len(y))
    weighted = SimpleRegressor().fit(X, y, sample_weight=sw)
    repeated = SimpleRegressor().fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
    assert weighted.n_iter_ == repeated.n_iter_


def test_reaches_least_squares_for_several_targets(rng):
    X, Y = make_regression(200, 6, n_targets=3, noise=5.0, random_state=0)
    reg = SimpleRegressor(**TIGHT).fit(X, Y)
    coef, intercept = _lstsq(X, Y)
    assert reg.coef_.shape == (3, 6) and reg.intercept_.shape == (3,)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, intercept, rtol=1e-8)
    assert reg.predict(X).shape == (200, 3)


def test_reaches_least_squares_with_features_over_six_orders_of_magnitude(rng):
    X, y = make_regression(500, 6, noise=1.0, random_state=0)
    X = X * np.logspace(-3, 3, 6) + np.logspace(3, -3, 6)
    reg = SimpleRegressor(**TIGHT).fit(X, y)
    coef, intercept = _lstsq(X, y)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-7)
    np.testing.assert_allclose(reg.intercept_, intercept, rtol=1e-7)
    assert reg.n_iter_ < 200


def test_badly_scaled_features_converge_as_fast_as_scaled_ones(regression):
    X, y = regression
    scaled = SimpleRegressor().fit(X, y)
    stretched = SimpleRegressor().fit(X * np.logspace(-3, 3, X.shape[1]), y)
    assert stretched.n_iter_ == scaled.n_iter_


def test_float32_stays_float32_and_reaches_least_squares(regression):
    X, y = regression
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    reg = SimpleRegressor(tol=0).fit(X32, y32)
    assert reg.coef_.dtype == np.float32
    assert reg.predict(X32).dtype == np.float32
    coef, _ = _lstsq(X, y)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-4)


@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_alpha_matches_ridge_with_alpha_times_weight_sum(regression, rng, alpha):
    X, y = regression
    sw = rng.uniform(0.5, 2.0, size=len(y))
    reg = SimpleRegressor(alpha=alpha, **TIGHT).fit(X, y, sample_weight=sw)
    ridge = Ridge(alpha=alpha * sw.sum(), solver="cholesky").fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(reg.coef_, ridge.coef_, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, ridge.intercept_, rtol=1e-8)


def test_without_intercept_matches_least_squares_through_origin(regression):
    X, y = regression
    reg = SimpleRegressor(fit_intercept=False, **TIGHT).fit(X, y + 3.0)
    expected = LinearRegression(fit_intercept=False).fit(X, y + 3.0)
    np.testing.assert_allclose(reg.coef_, expected.coef_, rtol=1e-8)
    assert reg.intercept_ == 0.0


@pytest.mark.parametrize(
    "estimator", [SimpleRegressor(), SimpleRegressor(optimizer="gd", alpha=0.1)]
)
def test_fit_needs_under_five_percent_of_x_in_extra_memory(estimator):
    X, y = make_regression(200_000, 100, random_state=0)
    clone(estimator).fit(X[:1000], y[:1000])  # warm up imports and caches
    tracemalloc.start()
    estimator.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # No copy of X, and no more than a few vectors as long as y.
    assert peak < 0.05 * X.nbytes


def test_sparse_input_is_never_densified():
    rng = np.random.RandomState(0)
    X = sp.random(20_000, 200, density=0.01, format="csr", random_state=rng)
    y = rng.randn(20_000)
    tracemalloc.start()
    SimpleRegressor(max_iter=20).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * X.shape[0] * X.shape[1] * 8


def test_read_only_input_is_accepted_and_left_unchanged(regression):
    X, y = regression
    X_before = X.copy()
    X.setflags(write=False)
    y.setflags(write=False)
    SimpleRegressor().fit(X, y).predict(X)
    np.testing.assert_array_equal(X, X_before)


def test_pandas_input_records_feature_names(regression):
    pd = pytest.importorskip("pandas")
    X, y = regression
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    reg = SimpleRegressor().fit(df, pd.Series(y))
    np.testing.assert_array_equal(reg.feature_names_in_, df.columns)
    np.testing.assert_allclose(reg.predict(df), X @ reg.coef_ + reg.intercept_)
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(df.rename(columns={"x0": "other"}))


def test_learning_rate_is_a_multiple_of_the_safe_step(regression):
    X, y = regression
    full = SimpleRegressor(learning_rate=1.0).fit(X, y)
    half = SimpleRegressor(learning_rate=0.5).fit(X, y)
    assert half.step_size_ == pytest.approx(full.step_size_ / 2, rel=1e-12)


@pytest.mark.parametrize("learning_rate", [0.01, 0.1, 0.5, 1.0, 1.5, 1.9])
def test_learning_rates_below_two_converge_with_plain_gradient_descent(
    regression, learning_rate
):
    X, y = regression
    reg = SimpleRegressor(optimizer="gd", learning_rate=learning_rate, max_iter=50_000)
    reg.fit(X, y)
    assert reg.score(X, y) == pytest.approx(
        LinearRegression().fit(X, y).score(X, y), abs=1e-3
    )


def test_a_diverging_learning_rate_raises_a_clear_error(regression):
    X, y = regression
    reg = SimpleRegressor(optimizer="gd", learning_rate=3.0)
    with pytest.raises(
        DivergenceError, match=r"epoch \d+.*learning_rate=3\.0.*smaller"
    ):
        reg.fit(X, y)
    assert not hasattr(reg, "coef_")


def test_steps_that_overshoot_the_minimum_warn_where_a_safe_step_shows_it():
    # At 2.0 plain gradient descent flips the steepest direction back and
    # forth: the loss stalls above least squares, and the stopping rule ends
    # the fit. One step of the safe size from there still lowers the loss.
    X, y = load_diabetes(return_X_y=True)
    reg = SimpleRegressor(optimizer="gd", learning_rate=2.0)
    with pytest.warns(ConvergenceWarning, match=r"safe size.*2\.0 overshoot"):
        reg.fit(X, y)
    assert reg.score(X, y) < LinearRegression().fit(X, y).score(X, y) - 0.1


def test_a_stop_far_above_where_a_safe_step_reaches_is_an_error():
    # Momentum at 2.0: every other step is undone, and the loss stalls at
    # two and a half times its minimum.
    X, y = load_diabetes(return_X_y=True)
    reg = SimpleRegressor(optimizer="nesterov", learning_rate=2.0)
    with pytest.raises(DivergenceError, match="one step of the safe size"):
        reg.fit(X, y)
    assert not hasattr(reg, "coef_")


@pytest.mark.parametrize("learning_rate", [1.0, 1.5, 1.8, 1.9])
def test_long_steps_that_end_as_near_the_minimum_as_safe_ones_do_not_warn(
    learning_rate,
):
    # At 1.9 the steepest direction decays slowly, but the fit ends as near
    # least squares as at 1.0: a warning would advise a worse model.
    X, y = load_diabetes(return_X_y=True)
    reg = SimpleRegressor(optimizer="gd", learning_rate=learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.score(X, y) == pytest.approx(
        LinearRegression().fit(X, y).score(X, y), abs=0.005
    )


def test_divergence_is_a_value_error():
    assert issubclass(DivergenceError, ValueError)


def test_failed_warm_start_fit_leaves_the_model_as_it_was(regression):
    X, y = regression
    reg = SimpleRegressor(warm_start=True).fit(X, y)
    before = pickle.dumps(reg)
    reg.set_params(learning_rate=3.0, optimizer="gd")
    with pytest.raises(DivergenceError):
        reg.fit(X, y * 10)
    reg.set_params(learning_rate=1.0, optimizer="auto")
    assert pickle.dumps(reg) == before


def test_failed_partial_fit_leaves_the_model_as_it_was(regression):
    X, y = regression
    reg = SimpleRegressor().partial_fit(X, y)
    before = pickle.dumps(reg)
    with pytest.raises(ValueError, match="features"):
        reg.partial_fit(X[:, :3], y)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg.partial_fit(X_nan, y)
    assert pickle.dumps(reg) == before


def test_partial_fit_over_chunks_reaches_the_full_fit(regression):
    X, y = regression
    full = SimpleRegressor(**TIGHT).fit(X, y)
    streamed = SimpleRegressor()
    for _ in range(100):
        for chunk in np.array_split(np.arange(len(y)), 4):
            streamed.partial_fit(X[chunk], y[chunk])
    assert streamed.score(X, y) == pytest.approx(full.score(X, y), abs=1e-3)
    np.testing.assert_allclose(streamed.coef_, full.coef_, rtol=0.05, atol=0.5)


def test_partial_fit_keeps_the_optimizer_state_between_calls(regression):
    X, y = regression
    fitted = SimpleRegressor(max_iter=8, tol=None).fit(X, y)
    streamed = SimpleRegressor()
    for _ in range(8):
        streamed.partial_fit(X, y)
    # Eight calls follow the accelerated path of eight epochs of fit (up to
    # the step, whose estimate each call refines); the model they report is
    # the running average of that path.
    assert streamed.loss_curve_[-1] == pytest.approx(fitted.loss_curve_[-1], rel=1e-3)
    assert streamed.n_iter_ == 8
    assert len(streamed.loss_curve_) == 8


def test_partial_fit_continues_a_fit(regression):
    X, y = regression
    reg = SimpleRegressor(max_iter=3, tol=None).fit(X, y)
    reg.partial_fit(X, y)
    assert reg.n_iter_ == 4
    assert reg.loss_curve_[-1] <= reg.loss_curve_[-2]


def test_warm_start_resumes_from_the_last_weights(regression):
    X, y = regression
    cold = SimpleRegressor(max_iter=3, tol=None).fit(X, y)
    warm = clone(cold).set_params(warm_start=True).fit(X, y)
    warm.set_params(max_iter=1000, tol=1e-4).fit(X, y)
    assert warm.loss_curve_[0] < cold.loss_curve_[-1]
    fresh = SimpleRegressor(max_iter=1000).fit(X, y)
    assert warm.loss_curve_[0] < fresh.loss_curve_[0]


def test_max_iter_reached_warns(regression):
    X, y = regression
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        SimpleRegressor(max_iter=2).fit(X, y)


def test_loss_curve_and_n_iter_describe_the_run(regression):
    X, y = regression
    reg = SimpleRegressor().fit(X, y)
    assert len(reg.loss_curve_) == reg.n_iter_ >= 1
    assert reg.best_loss_ == min(reg.loss_curve_)
    assert np.all(np.diff(reg.loss_curve_[:5]) < 0)
    residual = y - reg.predict(X)
    assert reg.loss_curve_[-1] == pytest.approx(0.5 * np.mean(residual**2), rel=1e-10)


def test_early_stopping_stops_on_the_validation_loss(rng):
    X = rng.randn(200, 150)
    y = X[:, 0] + rng.randn(200)  # many noise features: the fit overfits
    reg = SimpleRegressor(
        early_stopping=True,
        optimizer="gd",
        learning_rate=0.1,
        tol=1e-8,
        max_iter=5000,
        random_state=0,
    ).fit(X, y)
    assert reg.n_iter_ < 5000
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    best_epoch = int(np.argmax(reg.validation_scores_))
    assert best_epoch < reg.n_iter_ - reg.n_iter_no_change + 1


def test_mini_batches_reach_least_squares(regression):
    X, y = regression
    reg = SimpleRegressor(batch_size=32, random_state=0, max_iter=200).fit(X, y)
    lstsq = LinearRegression().fit(X, y)
    assert reg.score(X, y) == pytest.approx(lstsq.score(X, y), abs=1e-3)


def test_same_random_state_gives_identical_mini_batch_fits(regression):
    X, y = regression
    one = SimpleRegressor(batch_size=20, random_state=3).fit(X, y)
    two = SimpleRegressor(batch_size=20, random_state=3).fit(X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)


def test_verbose_logs_every_epoch(regression, caplog):
    X, y = regression
    with caplog.at_level(logging.INFO, logger="sklearn_simple"):
        reg = SimpleRegressor(verbose=1).fit(X, y)
    epochs = [r for r in caplog.records if r.getMessage().startswith("epoch")]
    assert len(epochs) == reg.n_iter_


def test_verbose_without_logging_configured_writes_to_stderr(
    regression, capsys, monkeypatch
):
    X, y = regression
    # pytest's own log capture counts as configured logging: remove it.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    logger = logging.getLogger("sklearn_simple")
    handlers, level = list(logger.handlers), logger.level
    SimpleRegressor(verbose=1, max_iter=3, tol=None).fit(X, y)
    assert capsys.readouterr().err.count("epoch") == 3
    assert logger.handlers == handlers and logger.level == level


def test_quiet_by_default(regression, capsys):
    X, y = regression
    SimpleRegressor().fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_pickle_round_trip_predicts_identically(regression):
    X, y = regression
    reg = SimpleRegressor().fit(X, y)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X)
    )


def test_invalid_parameters_get_a_clear_error(regression):
    X, y = regression
    with pytest.raises(ValueError, match="learning_rate"):
        SimpleRegressor(learning_rate=0.0).fit(X, y)
    with pytest.raises(ValueError, match="optimizer"):
        SimpleRegressor(optimizer="adam").fit(X, y)


def test_predict_before_fit_says_to_fit():
    with pytest.raises(Exception, match="fit"):
        SimpleRegressor().predict(np.zeros((2, 2)))


def test_nan_in_x_is_rejected_with_a_message(regression):
    X, y = regression
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SimpleRegressor().fit(X, y)


def test_all_zero_weights_are_rejected(regression):
    X, y = regression
    with pytest.raises(ValueError, match="zero"):
        SimpleRegressor().fit(X, y, sample_weight=np.zeros(len(y)))


def test_squared_error_fit_reads_x_twice(regression):
    X, y = regression
    # One pass for the means, one for the Gram matrix: the epochs then work
    # on d x d statistics, whatever their number.
    reg = SimpleRegressor(tol=1e-12)
    with count_passes() as count:
        reg.fit(X, y)
    assert count.passes == 2
    assert reg.n_iter_ > 10


def test_large_target_mean_keeps_least_squares_precision(regression):
    X, y = regression
    reg = SimpleRegressor(**TIGHT).fit(X, y + 1e9)
    coef, intercept = _lstsq(X, y + 1e9)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-6)
    np.testing.assert_allclose(reg.intercept_, intercept, rtol=1e-12)


@pytest.mark.parametrize("learning_rate", [1.8, 1.9])
def test_overshooting_momentum_is_an_error_not_a_bad_model(learning_rate):
    X, y = load_diabetes(return_X_y=True)
    reg = SimpleRegressor(learning_rate=learning_rate)
    try:
        reg.fit(X, y)
    except DivergenceError as exc:
        assert "learning_rate" in str(exc)
        assert len(exc.loss_curve) >= 1
    else:
        # If it does not raise, the model it returns is the least-squares one.
        best = LinearRegression().fit(X, y).score(X, y)
        assert reg.score(X, y) == pytest.approx(best, abs=0.01)


def test_the_step_is_safe_for_every_chunk_seen_so_far(regression):
    X, y = regression
    first, rest = slice(0, 150), slice(150, None)
    plain = SimpleRegressor().partial_fit(X[first], y[first])
    with_tiny = SimpleRegressor().partial_fit(X[first], y[first])
    with_tiny.partial_fit(X[:1], y[:1])
    assert with_tiny.step_size_ < plain.step_size_ / 2  # one row: large curvature
    plain.partial_fit(X[rest], y[rest])
    with_tiny.partial_fit(X[rest], y[rest])
    # The bound covers the one-row chunk too: one step size for the stream.
    assert with_tiny.step_size_ < plain.step_size_ / 2


def test_partial_fit_learns_a_feature_constant_in_the_first_chunk(rng):
    X = rng.randn(400, 2)
    y = 3.0 * X[:, 0] + X[:, 1]
    X[:100, 0] = 0.0  # the first chunk sees the first feature constant
    reg = SimpleRegressor()
    for _ in range(100):
        for chunk in np.array_split(np.arange(400), 4):
            reg.partial_fit(X[chunk], y[chunk])
    assert reg.coef_[0] == pytest.approx(3.0, rel=0.05)


def test_sparse_x_too_large_for_the_gram_matrix_is_refused_clearly():
    # Few features: the Gram path. Its matrix overflows, while the column
    # statistics stay finite; LAPACK's "did not converge" said nothing of X.
    rng = np.random.RandomState(0)
    X = sp.random(400, 30, density=0.2, format="csr", random_state=rng)
    X.data = (1.0 + X.data) * 1e154
    with pytest.raises(ValueError, match=r"overflows float64.*Rescale X, e\.g\."):
        SimpleRegressor().fit(X, rng.randn(400))
