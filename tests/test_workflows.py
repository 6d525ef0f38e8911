"""The estimators inside scikit-learn's workflows, on its bundled data sets."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import make_scorer, recall_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_simple import DivergenceError, SimpleRegressor, ThresholdClassifier

RATES = [0.1, 0.5, 1.0, 1.5]
CLASSIFICATION = [load_breast_cancer, load_iris, load_wine]


def _search(estimator, rates=RATES, cv=5):
    name = type(estimator).__name__.lower()
    return GridSearchCV(
        make_pipeline(StandardScaler(), estimator),
        {f"{name}__learning_rate": rates},
        cv=cv,
    )


def test_regressor_cross_validates_like_linear_regression():
    X, y = load_diabetes(return_X_y=True)
    cv = KFold(5, shuffle=True, random_state=0)
    ours = cross_val_score(
        make_pipeline(StandardScaler(), SimpleRegressor()), X, y, cv=cv
    )
    ref = cross_val_score(
        make_pipeline(StandardScaler(), LinearRegression()), X, y, cv=cv
    )
    assert ours.mean() == pytest.approx(ref.mean(), abs=0.01)


@pytest.mark.parametrize("load", CLASSIFICATION, ids=lambda f: f.__name__)
def test_classifier_cross_validates_like_logistic_regression(load):
    X, y = load(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    pipe = make_pipeline(StandardScaler(), ThresholdClassifier())
    ours = cross_validate(pipe, X, y, cv=cv)["test_score"]
    # The same penalty: alpha * n_train = 1 / C (beyond two classes both
    # models are multinomial).
    n_train = len(y) * 4 // 5
    C = 1 / (ThresholdClassifier().alpha * n_train)
    ref = cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000)),
        X,
        y,
        cv=cv,
    )
    assert ours.mean() == pytest.approx(ref.mean(), abs=0.02)


def test_grid_search_over_learning_rate_regression():
    X, y = load_diabetes(return_X_y=True)
    search = _search(SimpleRegressor()).fit(X, y)
    ref = cross_val_score(make_pipeline(StandardScaler(), LinearRegression()), X, y)
    assert search.best_score_ == pytest.approx(ref.mean(), abs=0.01)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize("load", CLASSIFICATION, ids=lambda f: f.__name__)
def test_grid_search_over_learning_rate_classification(load):
    X, y = load(return_X_y=True)
    search = _search(ThresholdClassifier()).fit(X, y)
    ref = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y)
    assert search.best_score_ == pytest.approx(ref.mean(), abs=0.02)


def test_grid_with_a_diverging_rate_completes_and_marks_it_failed():
    X, y = load_diabetes(return_X_y=True)
    search = _search(SimpleRegressor(optimizer="gd"), rates=[0.5, 1.0, 5.0], cv=3)
    with pytest.warns(FitFailedWarning, match="DivergenceError"):
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[2])
    assert np.all(np.isfinite(scores[:2]))
    assert search.best_params_["simpleregressor__learning_rate"] in (0.5, 1.0)


def test_grid_with_a_diverging_rate_completes_in_parallel():
    X, y = load_diabetes(return_X_y=True)
    search = _search(SimpleRegressor(optimizer="gd"), rates=[1.0, 5.0], cv=3)
    search.set_params(n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])


def test_randomized_search_over_learning_rate():
    X, y = load_breast_cancer(return_X_y=True)
    search = RandomizedSearchCV(
        make_pipeline(StandardScaler(), ThresholdClassifier()),
        {"thresholdclassifier__learning_rate": [0.2, 0.4, 0.6, 0.8, 1.0]},
        n_iter=3,
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert search.best_score_ > 0.95


def test_string_labels_in_a_pipeline():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    pipe = make_pipeline(StandardScaler(), ThresholdClassifier())
    scores = cross_val_score(
        pipe, X, names, cv=StratifiedKFold(5, shuffle=True, random_state=0)
    )
    assert scores.mean() > 0.9
    assert set(pipe.fit(X, names).predict(X)) <= set(names)


def test_grid_search_over_threshold_with_a_recall_scorer():
    X, y = load_breast_cancer(return_X_y=True)
    thresholds = [0.2, 0.5, 0.8]
    search = GridSearchCV(
        make_pipeline(StandardScaler(), ThresholdClassifier()),
        {"thresholdclassifier__threshold": thresholds},
        scoring=make_scorer(recall_score),
        cv=5,
    ).fit(X, y)
    recalls = search.cv_results_["mean_test_score"]
    # A lower threshold predicts more positives: recall can only grow.
    assert recalls[0] >= recalls[1] >= recalls[2]
    assert search.best_params_["thresholdclassifier__threshold"] == 0.2


def test_tuned_threshold_classifier_cv():
    X, y = load_breast_cancer(return_X_y=True)
    tuned = TunedThresholdClassifierCV(
        make_pipeline(StandardScaler(), ThresholdClassifier()),
        scoring="balanced_accuracy",
        cv=3,
    ).fit(X, y)
    assert 0.0 < tuned.best_threshold_ < 1.0
    assert tuned.score(X, y) > 0.95


def test_tuned_threshold_classifier_cv_directly_on_the_estimator():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    tuned = TunedThresholdClassifierCV(ThresholdClassifier(), cv=3).fit(X, y)
    assert tuned.best_score_ > 0.95


@pytest.mark.parametrize("estimator", [SimpleRegressor(), ThresholdClassifier()])
def test_clone_and_pickle_keep_the_parameters(estimator):
    estimator.set_params(learning_rate=0.3, alpha=0.01)
    for copy in (clone(estimator), pickle.loads(pickle.dumps(estimator))):
        assert copy.get_params() == estimator.get_params()


DIVERGED = (
    r"DivergenceError: Training diverged at epoch \d+.*Use a smaller learning_rate"
)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_classifier_grid_marks_a_diverging_rate_failed_and_picks_among_the_rest(
    n_jobs,
):
    X, y = load_breast_cancer(return_X_y=True)
    search = _search(
        ThresholdClassifier(optimizer="gd"), rates=[0.5, 1e5, 1.0], cv=3
    ).set_params(n_jobs=n_jobs)
    with pytest.warns(FitFailedWarning, match=DIVERGED):
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[1]) and np.all(np.isfinite(scores[[0, 2]]))
    assert search.best_params_["thresholdclassifier__learning_rate"] in (0.5, 1.0)
    assert search.best_estimator_.score(X, y) > 0.95


@pytest.mark.parametrize(
    "estimator, load",
    [
        (SimpleRegressor(learning_rate=1000.0, optimizer="gd"), load_diabetes),
        (ThresholdClassifier(learning_rate=1e5, optimizer="gd"), load_breast_cancer),
    ],
    ids=["regressor", "classifier"],
)
def test_cross_validate_where_every_fold_diverges_names_the_cause(estimator, load):
    X, y = load(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), estimator)
    with pytest.raises(ValueError, match=rf"(?s)All the 3 fits failed.*{DIVERGED}"):
        cross_validate(pipe, X, y, cv=3)


def test_cross_validated_grid_search_skips_the_diverging_rate_in_every_fold():
    X, y = load_diabetes(return_X_y=True)
    search = _search(SimpleRegressor(optimizer="gd"), rates=[1000.0, 1.0], cv=3)
    with warnings.catch_warnings():
        # Raised inside each outer fit: tested above.
        warnings.simplefilter("ignore", FitFailedWarning)
        result = cross_validate(search, X, y, cv=3, n_jobs=2, return_estimator=True)
    assert np.all(np.isfinite(result["test_score"]))
    assert all(
        inner.best_params_["simpleregressor__learning_rate"] == 1.0
        for inner in result["estimator"]
    )


def test_cross_validate_with_error_score_raise_reraises_the_divergence():
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), SimpleRegressor(learning_rate=1000.0, optimizer="gd")
    )
    with pytest.raises(DivergenceError, match=r"Use a smaller learning_rate"):
        cross_validate(pipe, X, y, cv=3, error_score="raise")
