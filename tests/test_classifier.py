"""ThresholdClassifier against closed forms and scikit-learn's classifiers."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.model_selection import FixedThresholdClassifier

from sklearn_simple import ThresholdClassifier
from sklearn_simple._passes import count_passes

TIGHT = {"tol": 1e-12, "max_iter": 20_000, "optimizer": "linesearch"}


def _logistic_objective(X, y01, coef, intercept, alpha, sw):
    p = X @ coef.ravel() + intercept[0]
    loss = np.logaddexp(0, p) - y01 * p
    return np.average(loss, weights=sw) + 0.5 * alpha * coef.ravel() @ coef.ravel()


@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_reaches_the_logistic_regression_optimum(breast_cancer, weighted):
    X, y = breast_cancer
    sw = (
        np.random.RandomState(0).uniform(0.5, 2, len(y))
        if weighted
        else np.ones(len(y))
    )
    alpha = 1e-3
    clf = ThresholdClassifier(alpha=alpha, **TIGHT).fit(X, y, sample_weight=sw)
    # LogisticRegression minimises C * sum(sw * loss) + ||w||^2 / 2.
    ref = LogisticRegression(C=1 / (alpha * sw.sum()), tol=1e-12, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw)
    ours = _logistic_objective(X, y, clf.coef_, clf.intercept_, alpha, sw)
    theirs = _logistic_objective(X, y, ref.coef_, ref.intercept_, alpha, sw)
    assert ours <= theirs + 1e-10
    assert ours == pytest.approx(theirs, rel=1e-8)
    np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    assert clf.best_loss_ == pytest.approx(ours, rel=1e-10)


def test_squared_error_matches_ridge_classifier(breast_cancer):
    X, y = breast_cancer
    alpha = 1e-2
    clf = ThresholdClassifier(loss="squared_error", alpha=alpha, **TIGHT).fit(X, y)
    ridge = RidgeClassifier(alpha=alpha * len(y), solver="cholesky").fit(X, y)

    def objective(coef, intercept):
        p = X @ coef.ravel() + intercept
        return (
            np.mean((p - (2 * y - 1)) ** 2) / 2
            + alpha / 2 * coef.ravel() @ coef.ravel()
        )

    ours, theirs = (
        objective(clf.coef_, clf.intercept_),
        objective(ridge.coef_, ridge.intercept_),
    )
    assert ours == pytest.approx(theirs, rel=1e-10)
    # The features are strongly correlated: a loss this close still leaves
    # the weights free in the last digits along the flattest directions.
    np.testing.assert_allclose(
        clf.decision_function(X), ridge.decision_function(X), atol=1e-4
    )
    np.testing.assert_array_equal(clf.predict(X), ridge.predict(X))


def test_hinge_separates_what_a_linear_model_can(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier(loss="hinge").fit(X, y)
    logistic = LogisticRegression().fit(X, y)
    assert clf.score(X, y) >= logistic.score(X, y) - 0.01


def test_multiclass_squared_error_is_ridge_classifier_one_vs_rest():
    # As SGDClassifier and RidgeClassifier do (the log loss is multinomial).
    X, y = load_iris(return_X_y=True)
    alpha = 1e-2
    clf = ThresholdClassifier(loss="squared_error", alpha=alpha, **TIGHT).fit(X, y)
    ridge = RidgeClassifier(alpha=alpha * len(y)).fit(X, y)
    # Iris has correlated features: the coefficients agree to 1e-4 or so.
    np.testing.assert_allclose(clf.coef_, ridge.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(
        clf.predict(X), np.argmax(clf.decision_function(X), axis=1)
    )
    assert not hasattr(clf, "predict_proba")


def test_default_threshold_agrees_with_the_decision_function(breast_cancer):
    X, y = breast_cancer
    for loss in ("log_loss", "hinge", "squared_error"):
        clf = ThresholdClassifier(loss=loss).fit(X, y)
        np.testing.assert_array_equal(clf.predict(X), clf.decision_function(X) > 0)


def test_threshold_is_compared_with_the_probability_for_log_loss(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier(threshold=0.8).fit(X, y)
    expected = clf.predict_proba(X)[:, 1] >= 0.8
    np.testing.assert_array_equal(clf.predict(X), expected)


def test_threshold_is_compared_with_the_decision_function_otherwise(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier(loss="hinge", threshold=-0.5).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), clf.decision_function(X) >= -0.5)


def test_raising_the_threshold_predicts_fewer_positives(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier().fit(X, y)
    counts = [clf.set_params(threshold=t).predict(X).sum() for t in (0.1, 0.5, 0.9)]
    assert counts[0] > counts[1] > counts[2]


def test_pos_label_chooses_the_class_the_threshold_is_about():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array(["cat", "cat", "cat", "dog", "dog", "dog"])
    clf = ThresholdClassifier(pos_label="cat", threshold=0.9).fit(X, y)
    proba_cat = clf.predict_proba(X)[:, 0]
    expected = np.where(proba_cat >= 0.9, "cat", "dog")
    np.testing.assert_array_equal(clf.predict(X), expected)


def test_string_labels_are_predicted_as_strings():
    X, y = make_classification(100, 4, random_state=0)
    labels = np.array(["approach", "avoid"])[y]
    clf = ThresholdClassifier().fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["approach", "avoid"])
    assert set(clf.predict(X)) <= {"approach", "avoid"}
    assert clf.score(X, labels) > 0.8


def test_numeric_threshold_with_more_than_two_classes_is_an_error():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"threshold=0\.3 only applies to two classes"):
        ThresholdClassifier(threshold=0.3).fit(X, y)


def test_pos_label_not_among_the_classes_is_an_error(breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ValueError, match="pos_label=7 is not one of the classes"):
        ThresholdClassifier(pos_label=7).fit(X, y)


def test_a_single_class_is_an_error_that_names_it():
    with pytest.raises(ValueError, match="only one class"):
        ThresholdClassifier().fit(np.zeros((4, 2)), np.ones(4))


@pytest.mark.parametrize("loss", ["hinge", "squared_error"])
def test_probabilities_exist_only_for_log_loss(loss, breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier(loss=loss).fit(X, y)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    assert hasattr(ThresholdClassifier().fit(X, y), "predict_proba")


def test_probabilities_are_the_sigmoid_of_the_score(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier().fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], expit(clf.decision_function(X))
    )
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))


def test_class_weight_multiplies_the_sample_weights(breast_cancer):
    X, y = breast_cancer
    by_class = ThresholdClassifier(class_weight={0: 3.0, 1: 0.5}).fit(X, y)
    by_sample = ThresholdClassifier().fit(
        X, y, sample_weight=np.where(y == 0, 3.0, 0.5)
    )
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-12)


def test_balanced_class_weight_equalises_the_class_totals(breast_cancer):
    X, y = breast_cancer
    counts = np.bincount(y)
    balanced = ThresholdClassifier(class_weight="balanced").fit(X, y)
    explicit = {k: len(y) / (2 * counts[k]) for k in (0, 1)}
    by_dict = ThresholdClassifier(class_weight=explicit).fit(X, y)
    np.testing.assert_allclose(balanced.coef_, by_dict.coef_, rtol=1e-10)


def test_class_weight_with_unknown_class_is_an_error(breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ValueError, match="not classes"):
        ThresholdClassifier(class_weight={5: 2.0}).fit(X, y)


def test_partial_fit_needs_the_classes_on_the_first_call(breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ValueError, match="classes must be passed"):
        ThresholdClassifier().partial_fit(X, y)


def test_partial_fit_rejects_labels_outside_the_classes(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier().partial_fit(X, y, classes=[0, 1])
    before = pickle.dumps(clf)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:5], np.full(5, 2))
    assert pickle.dumps(clf) == before


def test_partial_fit_over_chunks_reaches_the_full_fit(breast_cancer):
    X, y = breast_cancer
    full = ThresholdClassifier(**TIGHT).fit(X, y)
    streamed = ThresholdClassifier()
    chunks = np.array_split(np.random.RandomState(0).permutation(len(y)), 3)
    for _ in range(300):
        for chunk in chunks:
            streamed.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    full_loss = _logistic_objective(X, y, full.coef_, full.intercept_, 1e-4, None)
    loss = _logistic_objective(X, y, streamed.coef_, streamed.intercept_, 1e-4, None)
    assert loss == pytest.approx(full_loss, rel=0.05)
    assert streamed.score(X, y) == pytest.approx(full.score(X, y), abs=0.02)


def test_fixed_threshold_classifier_applies_the_same_threshold(breast_cancer):
    X, y = breast_cancer
    wrapped = FixedThresholdClassifier(ThresholdClassifier(), threshold=0.3).fit(X, y)
    ours = ThresholdClassifier(threshold=0.3).fit(X, y)
    np.testing.assert_array_equal(wrapped.predict(X), ours.predict(X))


def test_early_stopping_uses_a_stratified_validation_split(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier(early_stopping=True, random_state=0).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.score(X, y) > 0.95


def test_float32_stays_float32(breast_cancer):
    X, y = breast_cancer
    clf = ThresholdClassifier().fit(X.astype(np.float32), y)
    assert clf.coef_.dtype == np.float32
    assert clf.decision_function(X.astype(np.float32)).dtype == np.float32


def test_partial_fit_accepts_a_first_chunk_of_one_class(breast_cancer):
    X, y = breast_cancer
    order = np.argsort(y, kind="stable")  # a label-sorted stream
    clf = ThresholdClassifier()
    for _ in range(30):
        for chunk in np.array_split(order, 4):
            clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("optimizer", ["nesterov", "linesearch"])
def test_fit_needs_under_five_percent_of_x_in_extra_memory(optimizer):
    X, y = make_classification(200_000, 100, random_state=0)
    ThresholdClassifier().fit(X[:1000], y[:1000])  # warm up imports and caches
    tracemalloc.start()
    ThresholdClassifier(optimizer=optimizer).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.05 * X.nbytes


@pytest.mark.parametrize("optimizer", ["gd", "nesterov"])
def test_log_loss_epoch_reads_x_once(breast_cancer, optimizer):
    X, y = breast_cancer

    def passes(n_epochs):
        model = ThresholdClassifier(optimizer=optimizer, max_iter=n_epochs, tol=None)
        with count_passes() as count:
            model.fit(X, y)
        return count.passes

    # The set-up (statistics, safe step, first evaluation) is the same.
    assert passes(8) - passes(7) == 1


def test_multiclass_probabilities_far_from_every_class_are_finite():
    # Every one-vs-rest probability underflows to 0 there: normalising them
    # naively would divide 0 by 0.
    X, y = load_iris(return_X_y=True)
    model = ThresholdClassifier().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = model.predict_proba(1e4 * X[:5])
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.predict(1e4 * X[:5]))


def test_log_loss_steps_that_overshoot_the_minimum_warn():
    # The log loss's curvature bound is far from reached, so that large rates
    # do not diverge outright; at 50 the steps overshoot, and the fit stops
    # at 3 times LogisticRegression's objective.
    rng = np.random.default_rng(10)
    X = rng.standard_normal((300, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = ThresholdClassifier(optimizer="gd", learning_rate=50.0)
    with pytest.warns(ConvergenceWarning, match=r"safe size.*50\.0 overshoot"):
        clf.fit(X, y)
    best = LogisticRegression(C=1 / (clf.alpha * len(y)), tol=1e-10).fit(X, y)

    def objective(model):
        scores = X @ model.coef_.ravel() + model.intercept_[0]
        loss = np.mean(np.logaddexp(0, scores) - y * scores)
        return loss + clf.alpha / 2 * np.sum(model.coef_**2)

    assert objective(clf) > 2 * objective(best)  # the warning is warranted
