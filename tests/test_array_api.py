"""Array API support: fit and predict compute in the namespace of X.

Run for array-api-strict (always, with the test extra) and PyTorch on CPU and
CUDA where they are installed and available; everything else is skipped. Each
result is compared with the same estimator fitted on numpy arrays.
"""

import warnings

import numpy as np
import pytest
import sklearn
from array_api_support import DISPATCH_UNAVAILABLE, dispatch_available
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from sklearn_simple import SimpleRegressor, ThresholdClassifier

compat = pytest.importorskip("array_api_compat")


pytestmark = pytest.mark.skipif(not dispatch_available(), reason=DISPATCH_UNAVAILABLE)

NAMESPACES = [
    ("array_api_strict", None),
    ("array_api_strict", "device1"),
    ("torch", "cpu"),
    ("torch", "cuda"),
]


@pytest.fixture(params=NAMESPACES, ids=lambda p: f"{p[0]}-{p[1]}")
def space(request):
    """``(xp, device)`` of an installed, available namespace."""
    name, device_name = request.param
    module = pytest.importorskip(name)
    if name == "torch":
        if device_name == "cuda" and not module.cuda.is_available():
            pytest.skip("no CUDA device")
        device = module.device(device_name)
    else:
        device = module.Device(device_name) if device_name else None
    xp = compat.array_namespace(module.asarray([1.0], device=device))
    return xp, device


@pytest.fixture(autouse=True)
def dispatch():
    with sklearn.config_context(array_api_dispatch=True):
        yield


def to(space, array, dtype=None):
    xp, device = space
    return xp.asarray(array, dtype=dtype, device=device)


def assert_in(space, array):
    """``array`` is an array of the namespace and on the device of ``space``."""
    xp, device = space
    assert compat.array_namespace(array) is xp
    assert compat.device(array) == device or device is None


def numpy_of(array):
    if hasattr(array, "cpu"):  # a torch tensor, maybe on a GPU
        return array.cpu().numpy()
    return np.from_dlpack(array)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


def test_estimators_declare_array_api_support():
    for estimator in (SimpleRegressor(), ThresholdClassifier()):
        assert get_tags(estimator).array_api_support is True


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-8), ("float32", 2e-4)])
def test_regressor_fits_in_the_namespace_of_x_and_matches_numpy(
    space, diabetes, dtype, rtol
):
    X, y = (a.astype(dtype) for a in diabetes)
    params = dict(tol=1e-9, max_iter=5000)
    reference = SimpleRegressor(**params).fit(X, y)
    xp = space[0]
    model = SimpleRegressor(**params).fit(to(space, X), to(space, y))
    for name in ("coef_", "intercept_"):
        assert_in(space, getattr(model, name))
        assert getattr(model, name).dtype == getattr(xp, dtype)
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=rtol)
    np.testing.assert_allclose(float(model.intercept_), reference.intercept_, rtol=rtol)


def test_regressor_predictions_are_arrays_of_the_namespace(space, diabetes):
    X, y = diabetes
    model = SimpleRegressor().fit(to(space, X), to(space, y))
    prediction = model.predict(to(space, X))
    assert_in(space, prediction)
    reference = SimpleRegressor().fit(X, y).predict(X)
    np.testing.assert_allclose(numpy_of(prediction), reference, rtol=1e-9)


def test_regressor_score_is_a_float(space, diabetes):
    X, y = diabetes
    model = SimpleRegressor().fit(to(space, X), to(space, y))
    score = model.score(to(space, X), to(space, y))
    assert isinstance(score, float)
    assert score == pytest.approx(SimpleRegressor().fit(X, y).score(X, y), rel=1e-9)


@pytest.mark.parametrize(
    "params",
    [
        dict(batch_size=32, random_state=0, tol=None, max_iter=20),
        dict(early_stopping=True, random_state=0),
        dict(alpha=0.1, optimizer="linesearch"),
        dict(optimizer="gd", fit_intercept=False),
    ],
    ids=["mini-batch", "early-stopping", "alpha-linesearch", "gd-no-intercept"],
)
def test_regressor_options_follow_the_numpy_path(space, diabetes, params):
    """Mini-batches and validation splits are drawn on the host: same rows."""
    X, y = diabetes
    reference = SimpleRegressor(**params).fit(X, y)
    model = SimpleRegressor(**params).fit(to(space, X), to(space, y))
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=1e-6)
    assert model.n_iter_ == reference.n_iter_


def test_multi_output_regression_in_the_namespace(space, diabetes):
    X, y = diabetes
    Y = np.column_stack([y, -2 * y])
    model = SimpleRegressor().fit(to(space, X), to(space, Y))
    assert model.coef_.shape == (2, X.shape[1])
    assert_in(space, model.predict(to(space, X)))
    reference = SimpleRegressor().fit(X, Y)
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=1e-8)


def test_sample_weight_and_y_from_numpy_follow_x(space, diabetes):
    X, y = diabetes
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    reference = SimpleRegressor().fit(X, y, sample_weight=sw)
    model = SimpleRegressor().fit(to(space, X), y, sample_weight=sw)
    assert_in(space, model.coef_)
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=1e-8)


@pytest.mark.parametrize("loss", ["log_loss", "hinge", "squared_error"])
def test_binary_classifier_matches_numpy(space, loss):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reference = ThresholdClassifier(loss=loss).fit(X, y)
    model = ThresholdClassifier(loss=loss).fit(to(space, X), to(space, y))
    assert_in(space, model.coef_)
    scores = model.decision_function(to(space, X))
    assert_in(space, scores)
    np.testing.assert_allclose(
        numpy_of(scores), reference.decision_function(X), rtol=1e-6, atol=1e-8
    )
    labels = model.predict(to(space, X))
    assert_in(space, labels)
    np.testing.assert_array_equal(numpy_of(labels), reference.predict(X))


def test_probabilities_are_arrays_of_the_namespace(space):
    X, y = load_iris(return_X_y=True)
    reference = ThresholdClassifier().fit(X, y)
    model = ThresholdClassifier().fit(to(space, X), to(space, y))
    for method in ("predict_proba", "predict_log_proba"):
        result = getattr(model, method)(to(space, X))
        assert_in(space, result)
        np.testing.assert_allclose(
            numpy_of(result), getattr(reference, method)(X), rtol=1e-6, atol=1e-12
        )
    np.testing.assert_array_equal(
        numpy_of(model.predict(to(space, X))), reference.predict(X)
    )


def test_threshold_and_pos_label_apply_in_the_namespace(space):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(threshold=0.9, pos_label=0, class_weight="balanced")
    reference = ThresholdClassifier(**params).fit(X, y)
    model = ThresholdClassifier(**params).fit(to(space, X), to(space, y))
    np.testing.assert_array_equal(
        numpy_of(model.predict(to(space, X))), reference.predict(X)
    )


def test_string_labels_are_predicted_as_numpy_strings(space):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = ThresholdClassifier().fit(to(space, X), names)
    prediction = model.predict(to(space, X))
    assert isinstance(prediction, np.ndarray)
    np.testing.assert_array_equal(
        prediction, ThresholdClassifier().fit(X, names).predict(X)
    )


def test_partial_fit_keeps_its_state_in_the_namespace(space, diabetes):
    X, y = diabetes
    reference, model = SimpleRegressor(), SimpleRegressor()
    for rows in np.array_split(np.arange(len(y)), 3):
        reference.partial_fit(X[rows], y[rows])
        model.partial_fit(to(space, X[rows]), to(space, y[rows]))
    assert_in(space, model.coef_)
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=1e-8)


def test_partial_fit_refuses_data_from_another_namespace(space, diabetes):
    X, y = diabetes
    model = SimpleRegressor().partial_fit(to(space, X), to(space, y))
    coef = model.coef_
    with pytest.raises(ValueError, match="same library and device"):
        model.partial_fit(X, y)
    assert model.coef_ is coef


@pytest.mark.parametrize("method", ["predict", "decision_function", "predict_proba"])
def test_predicting_on_another_namespace_says_so(space, method):
    X, y = load_iris(return_X_y=True)
    model = ThresholdClassifier().fit(to(space, X), to(space, y))
    with pytest.raises(ValueError, match=rf"ThresholdClassifier\.{method}\(\) must"):
        getattr(model, method)(X)


def test_without_dispatch_a_fitted_model_predicts_numpy(space, diabetes):
    X, y = diabetes
    model = SimpleRegressor().fit(to(space, X), to(space, y))
    with sklearn.config_context(array_api_dispatch=False):
        prediction = model.predict(X)
    assert isinstance(prediction, np.ndarray)
    np.testing.assert_allclose(prediction, numpy_of(model.predict(to(space, X))))


def test_pipeline_with_a_scaler_runs_on_torch_tensors(diabetes):
    # On torch: scikit-learn 1.6's StandardScaler rejects array-api-strict 2.x.
    torch = pytest.importorskip("torch")
    X, y = diabetes
    pipeline = make_pipeline(StandardScaler(), SimpleRegressor())
    prediction = pipeline.fit(torch.asarray(X), torch.asarray(y)).predict(
        torch.asarray(X)
    )
    assert isinstance(prediction, torch.Tensor)
    reference = make_pipeline(StandardScaler(), SimpleRegressor()).fit(X, y)
    np.testing.assert_allclose(prediction.numpy(), reference.predict(X), rtol=1e-8)


def test_grid_search_over_learning_rate_on_torch_tensors(diabetes):
    torch = pytest.importorskip("torch")
    X, y = diabetes
    grid = {"learning_rate": [0.1, 1.0]}
    search = GridSearchCV(SimpleRegressor(), grid, cv=3)
    search.fit(torch.asarray(X), torch.asarray(y))
    reference = GridSearchCV(SimpleRegressor(), grid, cv=3).fit(X, y)
    assert isinstance(search.best_estimator_.coef_, torch.Tensor)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        reference.cv_results_["mean_test_score"],
        rtol=1e-9,
    )


def test_probabilities_of_extreme_scores_are_exact_and_silent(space):
    X, y = load_iris(return_X_y=True)
    model = ThresholdClassifier().fit(to(space, X), to(space, y))
    far = to(space, 1e4 * X[:5, :])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = numpy_of(model.predict_proba(far))
    reference = ThresholdClassifier().fit(X, y).predict_proba(1e4 * X[:5, :])
    np.testing.assert_allclose(proba, reference, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("kind", ["list", "pandas"])
def test_regression_targets_given_as_list_or_series_follow_x(space, diabetes, kind):
    X, y = diabetes
    targets = y.tolist() if kind == "list" else pytest.importorskip("pandas").Series(y)
    model = SimpleRegressor().fit(to(space, X), targets)
    assert_in(space, model.coef_)
    reference = SimpleRegressor().fit(X, y)
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=1e-8)


def test_partial_fit_takes_classes_on_the_device(space):
    X, y = load_iris(return_X_y=True)
    model = ThresholdClassifier().partial_fit(
        to(space, X), to(space, y), classes=to(space, np.array([0, 1, 2]))
    )
    np.testing.assert_array_equal(numpy_of(model.classes_), [0, 1, 2])


def test_overflowing_data_gets_the_error_that_names_the_dtype(space):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"float64.*Rescale"):
        SimpleRegressor().fit(to(space, X), to(space, y * 1e300))


def test_infinite_sample_weight_sum_names_the_dtype(space):
    X, y = load_iris(return_X_y=True)
    weights = to(space, np.full(len(y), 1e308))
    with pytest.raises(ValueError, match=r"sums to infinity in float64:"):
        SimpleRegressor().fit(to(space, X), to(space, y), sample_weight=weights)


def test_warm_start_brings_the_weights_of_a_numpy_fit_to_the_device(space, diabetes):
    X, y = diabetes
    model, reference = (
        SimpleRegressor(warm_start=True, max_iter=3, tol=None).fit(X, y)
        for _ in range(2)
    )
    model.set_params(max_iter=1000, tol=1e-4).fit(to(space, X), to(space, y))
    reference.set_params(max_iter=1000, tol=1e-4).fit(X, y)
    assert_in(space, model.coef_)
    np.testing.assert_allclose(numpy_of(model.coef_), reference.coef_, rtol=1e-8)


@pytest.mark.parametrize("loss", ["log_loss", "hinge", "squared_error"])
def test_ordinal_classifier_matches_numpy(space, loss):
    X, y = load_iris(return_X_y=True)
    # Iris species ordered by petal size: setosa, versicolor, virginica.
    reference = ThresholdClassifier(ordinal=True, loss=loss).fit(X, y)
    model = ThresholdClassifier(ordinal=True, loss=loss).fit(to(space, X), to(space, y))
    for name in ("coef_", "thresholds_", "class_order_"):
        assert_in(space, getattr(model, name))
    np.testing.assert_allclose(
        numpy_of(model.thresholds_), reference.thresholds_, rtol=1e-6
    )
    methods = ["decision_function", "predict"]
    methods += ["predict_proba"] if loss == "log_loss" else []
    for method in methods:
        result = getattr(model, method)(to(space, X))
        assert_in(space, result)
        np.testing.assert_allclose(
            numpy_of(result), getattr(reference, method)(X), rtol=1e-6, atol=1e-9
        )


def test_ordinal_partial_fit_with_early_stopping_settings_in_the_namespace(space):
    X, y = load_iris(return_X_y=True)
    reference = ThresholdClassifier(ordinal=True, class_weight="balanced")
    model = ThresholdClassifier(ordinal=True, class_weight="balanced")
    for rows in np.array_split(np.random.RandomState(0).permutation(150), 3):
        reference.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        model.partial_fit(to(space, X[rows]), to(space, y[rows]), classes=[0, 1, 2])
    np.testing.assert_allclose(
        numpy_of(model.thresholds_), reference.thresholds_, rtol=1e-6
    )
    stopped = ThresholdClassifier(ordinal=True, early_stopping=True, random_state=0)
    stopped.fit(to(space, X), to(space, y))
    assert_in(space, stopped.thresholds_)
