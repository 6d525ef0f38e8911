"""More than two classes: multinomial like LogisticRegression, ordinal like
statsmodels' OrderedModel, and the maths both rest on."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_simple import ThresholdClassifier
from sklearn_simple._losses import CumulativeLogit, Multinomial
from sklearn_simple._ordinal import gap_prox

TIGHT = {"tol": 1e-12, "max_iter": 20_000, "optimizer": "linesearch"}


def ordered_data(n=600, seed=0):
    """Three ordered classes from one latent score of two features.

    The cat's danger: sharpness and hardness make a score, and two cut
    points on it (plus logistic noise) decide between approach (0), ignore
    (1) and run away (2).
    """
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 1, size=(n, 2))
    score = 6 * X[:, 0] + 4 * X[:, 1] + rng.logistic(size=n)
    return X, np.digitize(score, [3.5, 6.5])


# ------------------------------------------------------------- the losses
def test_multinomial_derivative_matches_finite_differences():
    rng = np.random.RandomState(0)
    Y = np.eye(4)[rng.randint(4, size=50)]
    P = rng.uniform(-4, 4, size=(50, 4))
    loss, h = Multinomial(), 1e-6
    numeric = np.empty_like(P)
    for k in range(4):
        step = np.zeros(4)
        step[k] = h
        numeric[:, k] = (loss.value(Y, P + step) - loss.value(Y, P - step))[:, 0] / (
            2 * h
        )
    np.testing.assert_allclose(loss.derivative(Y, P), numeric, rtol=1e-6, atol=1e-8)


def test_multinomial_curvature_is_the_largest_eigenvalue_of_the_softmax_hessian():
    rng = np.random.RandomState(0)
    tops = []
    for K in (2, 3, 10):
        for p in rng.uniform(-5, 5, size=(300, K)):
            s = np.exp(p - p.max())
            s /= s.sum()
            tops.append(np.linalg.eigvalsh(np.diag(s) - np.outer(s, s))[-1])
    # Reached at s = (1/2, 1/2, 0, ...): the bound cannot be lowered.
    s = np.array([0.5, 0.5, 0.0])
    tops.append(np.linalg.eigvalsh(np.diag(s) - np.outer(s, s))[-1])
    assert max(tops) <= Multinomial.curvature
    assert max(tops) == pytest.approx(Multinomial.curvature)


def test_cumulative_logit_derivative_matches_finite_differences():
    rng = np.random.RandomState(0)
    y = rng.choice([-1.0, 0.0, 1.0], size=200)
    p = rng.uniform(-4, 4, size=200)
    loss, h = CumulativeLogit(), 1e-6
    numeric = (loss.value(y, p + h) - loss.value(y, p - h)) / (2 * h)
    np.testing.assert_allclose(loss.derivative(y, p), numeric, rtol=1e-6, atol=1e-8)


def test_gap_prox_solves_its_optimality_condition_and_keeps_gaps_positive():
    v = np.array([-50.0, -1.0, 0.0, 1e-8, 0.3, 5.0, 40.0])
    weights = np.array([0.3, 0.1, 0.5, 1e-6, 0.2, 0.25, 0.4])
    for step in (1e-6, 0.1, 10.0):
        g = gap_prox(v, step, weights)
        assert np.all(g > 0)
        ct = weights * step
        # d/dg [c * -log(1 - exp(-g))] = -c / expm1(g)
        np.testing.assert_allclose(g - v, ct / np.expm1(g), rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------ multinomial
@pytest.mark.parametrize("load", [load_iris, load_wine, load_digits])
def test_multinomial_probabilities_match_logistic_regression(load):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha = 1e-2
    ours = ThresholdClassifier(alpha=alpha, **TIGHT).fit(X, y)
    theirs = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000)
    with warnings.catch_warnings():
        # scikit-learn 1.6 with a recent SciPy warns about lbfgs' options.
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs.fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-4
    )
    np.testing.assert_array_equal(ours.predict(X), ours.predict_proba(X).argmax(1))


def test_multinomial_step_is_safe_plain_gradient_descent_never_rises():
    X, y = load_wine(return_X_y=True)
    model = ThresholdClassifier(optimizer="gd", max_iter=200, tol=None).fit(X, y)
    assert np.all(np.diff(model.loss_curve_) <= 1e-12)


# ---------------------------------------------------------------- ordinal
def test_ordinal_probabilities_match_statsmodels_ordered_model():
    ordinal_model = pytest.importorskip("statsmodels.miscmodels.ordinal_model")
    X, y = ordered_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = ordinal_model.OrderedModel(y, X, distr="logit").fit(
            method="bfgs", disp=False, gtol=1e-10, maxiter=2000
        )
    ours = ThresholdClassifier(ordinal=True, alpha=0.0, **TIGHT).fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X), reference.predict(X), rtol=0, atol=1e-3
    )
    # statsmodels' parameters: the coefficients, the first threshold and
    # the logarithms of the gaps.
    coef, first, log_gaps = np.split(reference.params, [2, 3])
    np.testing.assert_allclose(ours.coef_[0], coef, rtol=1e-3)
    thresholds = first[0] + np.concatenate([[0.0], np.cumsum(np.exp(log_gaps))])
    np.testing.assert_allclose(ours.thresholds_, thresholds, rtol=1e-3, atol=1e-3)


def test_ordinal_middle_class_is_improbable_at_the_extremes():
    X, y = ordered_data()
    extremes = np.array([[0.0, 0.0], [1.0, 1.0]])
    ordinal = ThresholdClassifier(ordinal=True).fit(X, y)
    assert np.all(ordinal.predict_proba(extremes)[:, 1] < 0.1)
    np.testing.assert_array_equal(ordinal.predict(extremes), [0, 2])


def test_ordinal_class_is_the_number_of_thresholds_the_score_passes():
    X, y = ordered_data()
    nominal = LogisticRegression().fit(X, y).score(X, y)
    for loss in ("log_loss", "hinge", "squared_error"):
        model = ThresholdClassifier(ordinal=True, loss=loss).fit(X, y)
        score = X @ model.coef_[0] + model.intercept_[0]
        passed = (score[:, None] > model.thresholds_).sum(axis=1)
        np.testing.assert_array_equal(model.predict(X), passed)
        decision = model.decision_function(X)
        assert decision.shape == (len(X), 3)
        np.testing.assert_array_equal(decision.argmax(axis=1), passed)
        assert np.all(np.diff(model.thresholds_) > 0)
        # One score fits ordered data as well as one score per class.
        assert model.score(X, y) >= nominal - 0.02


def test_ordinal_hinge_and_squared_error_have_no_probabilities():
    X, y = ordered_data(200)
    for loss in ("hinge", "squared_error"):
        model = ThresholdClassifier(ordinal=True, loss=loss).fit(X, y)
        assert not hasattr(model, "predict_proba")


def test_ordinal_order_given_as_labels_keeps_classes_sorted():
    X, y = ordered_data(300)
    names = np.array(["approach", "ignore", "run away"])[y]
    order = ["approach", "ignore", "run away"]
    by_code = ThresholdClassifier(ordinal=True).fit(X, y)
    # Sorted, "run away" < "ignore" is wrong: relabel so that sorting breaks it.
    relabelled = np.array(["c", "a", "b"])[y]
    by_name = ThresholdClassifier(ordinal=["c", "a", "b"]).fit(X, relabelled)
    np.testing.assert_array_equal(by_name.classes_, ["a", "b", "c"])
    np.testing.assert_array_equal(by_name.class_order_, ["c", "a", "b"])
    np.testing.assert_allclose(by_name.thresholds_, by_code.thresholds_)
    np.testing.assert_allclose(
        by_name.predict_proba(X), by_code.predict_proba(X)[:, [1, 2, 0]]
    )
    np.testing.assert_array_equal(
        by_name.predict(X), np.array(["c", "a", "b"])[by_code.predict(X)]
    )
    model = ThresholdClassifier(ordinal=order).fit(X, names)
    np.testing.assert_array_equal(model.class_order_, order)


def test_ordinal_list_missing_a_class_is_an_error():
    X, y = ordered_data(100)
    with pytest.raises(ValueError, match="misses"):
        ThresholdClassifier(ordinal=[0, 1]).fit(X, y)


def test_ordinal_integer_weights_equal_repeated_rows():
    X, y = ordered_data(150)
    weights = np.random.RandomState(1).randint(0, 3, size=len(y))
    weighted = ThresholdClassifier(ordinal=True, **TIGHT).fit(X, y, weights)
    rows = np.repeat(np.arange(len(y)), weights)
    repeated = ThresholdClassifier(ordinal=True, **TIGHT).fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6)
    np.testing.assert_allclose(weighted.thresholds_, repeated.thresholds_, rtol=1e-6)


def test_ordinal_class_weight_multiplies_the_sample_weights():
    X, y = ordered_data(200)
    by_class = ThresholdClassifier(ordinal=True, class_weight={1: 3.0}, **TIGHT)
    by_sample = ThresholdClassifier(ordinal=True, **TIGHT)
    by_class.fit(X, y)
    by_sample.fit(X, y, np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(by_class.thresholds_, by_sample.thresholds_)


def test_ordinal_partial_fit_over_chunks_approaches_the_full_fit():
    X, y = ordered_data(600)
    full = ThresholdClassifier(ordinal=True).fit(X, y)
    model = ThresholdClassifier(ordinal=True)
    for _ in range(60):
        for rows in np.array_split(np.arange(len(y)), 3):
            model.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    np.testing.assert_allclose(model.coef_, full.coef_, rtol=0.05)
    np.testing.assert_allclose(model.thresholds_, full.thresholds_, rtol=0.05)


def test_ordinal_partial_fit_survives_a_chunk_without_the_middle_class():
    X, y = ordered_data(600)
    model = ThresholdClassifier(ordinal=True)
    model.partial_fit(X[y != 1], y[y != 1], classes=[0, 1, 2])
    assert np.all(np.diff(model.thresholds_) > 0)
    model.partial_fit(X, y)
    assert np.isfinite(model.loss_curve_[-1])


def test_ordinal_early_stopping_monitors_the_held_out_likelihood():
    X, y = ordered_data(600)
    model = ThresholdClassifier(ordinal=True, early_stopping=True, random_state=0)
    model.fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert -1.0 < model.best_validation_score_ < 0


def test_ordinal_warm_start_continues_from_the_fitted_thresholds():
    X, y = ordered_data(300)
    model = ThresholdClassifier(ordinal=True, warm_start=True, **TIGHT).fit(X, y)
    n_iter = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ < n_iter


def test_ordinal_step_is_safe_plain_gradient_descent_never_rises():
    X, y = ordered_data(300)
    for loss in ("log_loss", "squared_error"):
        model = ThresholdClassifier(
            ordinal=True, loss=loss, optimizer="gd", max_iter=300, tol=None
        ).fit(X, y)
        assert np.all(np.diff(model.loss_curve_) <= 1e-12)


def test_ordinal_model_survives_pickling():
    X, y = ordered_data(200)
    model = ThresholdClassifier(ordinal=True).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    loaded.partial_fit(X, y)
    model.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.thresholds_, model.thresholds_)


def test_ordinal_order_of_a_pandas_ordered_categorical():
    pd = pytest.importorskip("pandas")
    X, y = ordered_data(300)
    levels = pd.Series(
        pd.Categorical(
            np.array(["low", "mid", "high"])[y],
            categories=["low", "mid", "high"],
            ordered=True,
        )
    )
    model = ThresholdClassifier(ordinal=levels.cat.categories).fit(X, levels)
    np.testing.assert_array_equal(model.class_order_, ["low", "mid", "high"])
    by_code = ThresholdClassifier(ordinal=True).fit(X, y)
    np.testing.assert_allclose(model.thresholds_, by_code.thresholds_)


def test_ordinal_ignores_fit_intercept_its_thresholds_are_the_intercepts():
    X, y = ordered_data(300)
    centered = ThresholdClassifier(ordinal=True).fit(X, y)
    through_origin = ThresholdClassifier(ordinal=True, fit_intercept=False).fit(X, y)
    np.testing.assert_array_equal(through_origin.thresholds_, centered.thresholds_)
    np.testing.assert_array_equal(through_origin.intercept_, [0.0])
