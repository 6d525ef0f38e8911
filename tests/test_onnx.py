"""ONNX export: onnxruntime computes what predict, predict_proba and
decision_function compute.

Needs the ``onnx`` extra (skl2onnx and onnxruntime); skipped without it.
"""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

# Importing it registers the converters; it needs skl2onnx.
import sklearn_simple.onnx  # noqa: E402, F401
from sklearn_simple import SimpleRegressor, ThresholdClassifier  # noqa: E402

DTYPES = [np.float32, np.float64]
# Scores and probabilities of float32 graphs carry float32 rounding: about
# 1e-7 relative, accumulated over a few dozen features.
ATOL = 1e-4


def _session(model, X, **options):
    onx = skl2onnx.to_onnx(model, X[:1], **options)
    return ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _run(model, X, **options):
    session = _session(model, X, **options)
    return session.run(None, {session.get_inputs()[0].name: X})


def _no_zipmap(**extra):
    return {"options": {ThresholdClassifier: {"zipmap": False, **extra}}}


def _boundary_rows(clf, X, tol):
    """Rows whose label hinges on float rounding: the compared value lies
    within ``tol`` of the threshold (two classes) or the two best scores lie
    within ``tol`` of each other (more classes)."""
    scores = clf.decision_function(X)
    if scores.ndim == 2:
        top_two = np.sort(scores, axis=1)[:, -2:]
        return top_two[:, 1] - top_two[:, 0] <= tol
    value = scores
    classes = list(clf.classes_)
    if clf.pos_label is not None and classes.index(clf.pos_label) == 0:
        value = -value
    if clf.loss == "log_loss":
        value = expit(value)
        threshold = 0.5 if clf.threshold == "auto" else clf.threshold
    else:
        threshold = 0.0 if clf.threshold == "auto" else clf.threshold
    return np.abs(value - threshold) <= tol


def _assert_labels_equal(labels, model, X, dtype):
    expected = model.predict(X)
    clf = model[-1] if hasattr(model, "steps") else model
    Xt = model[:-1].transform(X) if hasattr(model, "steps") else X
    # float64 graphs agree on every row; float32 ones may differ on the rows
    # where float32 rounding decides the side of the boundary.
    tol = 1e-5 if dtype == np.float32 else 0.0
    differ = labels != expected
    assert not np.any(differ & ~_boundary_rows(clf, Xt, tol))
    assert np.count_nonzero(differ) <= 2


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, np.array(["benign", "malignant"])[y]


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


# ---------------------------------------------------------------- regressor
@pytest.mark.parametrize("dtype", DTYPES)
def test_regressor_predictions_equal_predict(diabetes, dtype):
    X, y = diabetes
    X = X.astype(dtype)
    model = make_pipeline(StandardScaler(), SimpleRegressor()).fit(X, y)
    (prediction,) = _run(model, X)
    assert prediction.dtype == dtype
    assert prediction.shape == (len(X), 1)
    # Targets in the hundreds: float32 rounding is about 3e-5 there.
    np.testing.assert_allclose(prediction[:, 0], model.predict(X), rtol=1e-6, atol=ATOL)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_output_regressor_predicts_every_target(diabetes, dtype):
    X, y = diabetes
    X = X.astype(dtype)
    Y = np.column_stack([y, -y / 100, np.log(y)])
    model = SimpleRegressor(alpha=0.1).fit(X, Y)
    (prediction,) = _run(model, X)
    assert prediction.shape == (len(X), 3)
    np.testing.assert_allclose(prediction, model.predict(X), rtol=1e-6, atol=ATOL)


def test_model_fitted_in_float64_exports_to_float32_input(diabetes):
    X, y = diabetes
    model = SimpleRegressor().fit(X, y)
    X32 = X.astype(np.float32)
    (prediction,) = _run(model, X32)
    assert prediction.dtype == np.float32
    np.testing.assert_allclose(prediction[:, 0], model.predict(X32), atol=ATOL)


# --------------------------------------------------------- binary classifier
BINARY = [
    {},
    {"threshold": 0.3},
    {"threshold": 0.8, "pos_label": "benign"},
    {"pos_label": "benign"},
    {"loss": "hinge"},
    {"loss": "hinge", "threshold": 0.5, "pos_label": "benign"},
    {"loss": "squared_error", "threshold": -0.2},
    {"loss": "squared_error", "threshold": 0.3, "pos_label": "benign"},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", BINARY, ids=lambda p: str(p) or "default")
def test_binary_labels_honour_threshold_and_pos_label(cancer, dtype, params):
    X, y = cancer
    X = X.astype(dtype)
    model = make_pipeline(StandardScaler(), ThresholdClassifier(**params)).fit(X, y)
    labels, second = _run(model, X, **_no_zipmap())
    _assert_labels_equal(labels, model, X, dtype)
    assert second.dtype == dtype
    if params.get("loss", "log_loss") == "log_loss":
        np.testing.assert_allclose(second, model.predict_proba(X), atol=ATOL)
    else:
        # No probabilities: the scores, [-s, s] as skl2onnx gives them for
        # scikit-learn's hinge-loss classifiers.
        scores = model.decision_function(X)
        np.testing.assert_allclose(
            second, np.column_stack([-scores, scores]), atol=ATOL
        )


def test_a_threshold_changes_the_exported_labels(cancer):
    """The threshold is in the graph, not only in predict: two thresholds, two
    label sets, each equal to predict's."""
    X, y = cancer
    low = make_pipeline(StandardScaler(), ThresholdClassifier(threshold=0.05))
    high = make_pipeline(StandardScaler(), ThresholdClassifier(threshold=0.95))
    low_labels, _ = _run(low.fit(X, y), X, **_no_zipmap())
    high_labels, _ = _run(high.fit(X, y), X, **_no_zipmap())
    assert np.count_nonzero(low_labels != high_labels) > 10
    np.testing.assert_array_equal(low_labels, low.predict(X))
    np.testing.assert_array_equal(high_labels, high.predict(X))


@pytest.mark.parametrize("labels", [[0, 1], [-1, 7], [False, True], [3.0, 5.0]])
def test_numeric_labels_come_out_as_int64(cancer, labels):
    X, y = cancer
    y = np.asarray(labels)[(y == "malignant").astype(int)]
    model = make_pipeline(StandardScaler(), ThresholdClassifier()).fit(X, y)
    predicted, _ = _run(model, X, **_no_zipmap())
    assert predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted, model.predict(X).astype(np.int64))


def test_raw_scores_option_gives_the_decision_function(cancer):
    X, y = cancer
    model = make_pipeline(StandardScaler(), ThresholdClassifier()).fit(X, y)
    _, scores = _run(model, X, **_no_zipmap(raw_scores=True))
    s = model.decision_function(X)
    np.testing.assert_allclose(scores, np.column_stack([-s, s]), atol=1e-10)


def test_zipmap_gives_one_dictionary_per_row(cancer):
    X, y = cancer
    model = make_pipeline(StandardScaler(), ThresholdClassifier()).fit(X, y)
    X32 = X.astype(np.float32)
    _, dictionaries = _run(model, X32)
    proba = model.predict_proba(X32)
    assert set(dictionaries[0]) == {"benign", "malignant"}
    np.testing.assert_allclose(
        [[row["benign"], row["malignant"]] for row in dictionaries], proba, atol=ATOL
    )


# --------------------------------------------------------------- multiclass
def _assert_outputs_equal(model, X, dtype, loss):
    """Labels as predict, and probabilities (log loss) or scores as the model."""
    labels, second = _run(model, X, **_no_zipmap())
    _assert_labels_equal(labels, model, X, dtype)
    expected = model.predict_proba if loss == "log_loss" else model.decision_function
    np.testing.assert_allclose(second, expected(X), atol=ATOL)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["log_loss", "hinge", "squared_error"])
def test_multiclass_labels_and_probabilities(iris, dtype, loss):
    # log_loss: the multinomial model; the others: one-vs-rest.
    X, y = iris
    X = X.astype(dtype)
    y = np.array(["setosa", "versicolor", "virginica"])[y]
    model = make_pipeline(StandardScaler(), ThresholdClassifier(loss=loss)).fit(X, y)
    _assert_outputs_equal(model, X, dtype, loss)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multinomial_probabilities_far_from_every_class(iris, dtype):
    """Rows far outside the training data: the softmax stays finite."""
    X, y = iris
    model = ThresholdClassifier().fit(X, y)
    far = (X[::10] * 50).astype(dtype)
    labels, proba = _run(model, far, **_no_zipmap())
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba, model.predict_proba(far), atol=ATOL)
    _assert_labels_equal(labels, model, far, dtype)


def _ordered_data(n=600, seed=0):
    """Three ordered classes from one latent score of two features."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 2)
    latent = X @ [2.0, 1.0] + rng.logistic(size=n)
    names = np.array(["approach", "ignore", "run away"])
    return X, names[np.digitize(latent, [-1.5, 1.5])]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_ordinal_labels_probabilities_and_scores(dtype, loss):
    X, y = _ordered_data()
    # The labels' sorted order is not the classes' order: it is given.
    order = ["approach", "ignore", "run away"][::-1]
    model = ThresholdClassifier(loss=loss, ordinal=order).fit(X, y)
    X = X.astype(dtype)
    _assert_outputs_equal(model, X, dtype, loss)
    (_, raw) = _run(model, X, **_no_zipmap(raw_scores=True))
    np.testing.assert_allclose(raw, model.decision_function(X), atol=ATOL)


def test_two_class_ordinal_model_is_refused_with_advice():
    X, y = _ordered_data()
    model = ThresholdClassifier(ordinal=True).fit(X, y != "ignore")
    with pytest.raises(NotImplementedError, match="ordinal=False"):
        _run(model, X.astype(np.float32))


# ------------------------------------------------------- column transformers
def test_column_transformer_with_a_categorical_column(cancer):
    pd = pytest.importorskip("pandas")
    X, y = cancer
    frame = pd.DataFrame(X[:, :4].astype(np.float32), columns=["a", "b", "c", "d"])
    # A categorical column that carries signal: a coarse bin of column "c".
    frame["size"] = np.where(X[:, 2] > np.median(X[:, 2]), "large", "small")
    preprocess = ColumnTransformer(
        [
            ("scaled", StandardScaler(), ["a", "b", "c", "d"]),
            ("onehot", OneHotEncoder(), ["size"]),
        ]
    )
    model = make_pipeline(preprocess, ThresholdClassifier(threshold=0.4)).fit(frame, y)
    session = _session(model, frame[:1], **_no_zipmap())
    inputs = {name: frame[name].to_numpy().reshape(-1, 1) for name in frame.columns}
    labels, proba = session.run(None, inputs)
    _assert_labels_equal(labels, model, frame, np.float32)
    np.testing.assert_allclose(proba, model.predict_proba(frame), atol=ATOL)


def test_column_transformer_regressor(diabetes):
    X, y = diabetes
    X = X.astype(np.float32)
    preprocess = ColumnTransformer(
        [("scaled", StandardScaler(), [0, 2, 3]), ("kept", "passthrough", [1, 4, 5])]
    )
    model = make_pipeline(preprocess, SimpleRegressor()).fit(X, y)
    (prediction,) = _run(model, X)
    np.testing.assert_allclose(prediction[:, 0], model.predict(X), atol=ATOL)
