"""Mini-batches and streams converge to the full-batch fit (issue 13).

Specifications against the full-batch fit, scikit-learn's SGD on the same
chunks, and least squares; on standardized data, as the issue measured.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sklearn_simple import SimpleRegressor, ThresholdClassifier
from sklearn_simple._curvature import SAGA_SAFETY, minibatch_curvature
from sklearn_simple._losses import SquaredError
from sklearn_simple._objective import L2Penalty, Objective
from sklearn_simple._solver import safe_curvature
from sklearn_simple._standardization import Standardization


def _standardized(X, y):
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def diabetes():
    return _standardized(*load_diabetes(return_X_y=True))


@pytest.fixture(scope="module")
def stream_data():
    return _standardized(*make_regression(5000, 20, noise=10, random_state=0))


@pytest.mark.parametrize("optimizer", ["nesterov", "gd"])
@pytest.mark.parametrize("batch_size", [1, 2, 8, 32, 256])
def test_every_batch_size_reaches_the_full_batch_fit(diabetes, optimizer, batch_size):
    X, y = diabetes
    full = SimpleRegressor(optimizer=optimizer).fit(X, y).score(X, y)
    model = SimpleRegressor(optimizer=optimizer, batch_size=batch_size, random_state=0)
    assert model.fit(X, y).score(X, y) == pytest.approx(full, abs=0.005)


@pytest.fixture(scope="module")
def breast_cancer():
    return _standardized(*load_breast_cancer(return_X_y=True))


def _gaps(model, reference, X, y):
    """Log loss and accuracy of ``model`` minus those of ``reference``."""
    loss = log_loss(y, model.predict_proba(X)) - log_loss(y, reference.predict_proba(X))
    return loss, model.score(X, y) - reference.score(X, y)


# Batches of 1 and 2 rows meet the same target (see docs/user_guide/
# learning_rate.rst) but take 5 to 10 s each on breast_cancer: left to the
# benchmark, not run here.
@pytest.mark.parametrize("batch_size", [8, 32, 256])
def test_classifier_batches_reach_the_full_batch_fit(breast_cancer, batch_size):
    X, y = breast_cancer
    full = ThresholdClassifier().fit(X, y)
    model = ThresholdClassifier(batch_size=batch_size, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    loss_gap, accuracy_gap = _gaps(model, full, X, y)
    assert abs(loss_gap) <= 0.01
    assert abs(accuracy_gap) <= 0.01


def test_plain_gd_batches_stay_near_the_full_batch_gd_fit(breast_cancer):
    # Plain gradient descent is not converged after max_iter on this log
    # loss, in full batch or not: the specification is closeness, not
    # convergence.
    X, y = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = ThresholdClassifier(optimizer="gd").fit(X, y)
        model = ThresholdClassifier(optimizer="gd", batch_size=256, random_state=0)
        model.fit(X, y)
    loss_gap, accuracy_gap = _gaps(model, full, X, y)
    assert abs(loss_gap) <= 0.01
    assert abs(accuracy_gap) <= 0.01


@pytest.mark.parametrize("ordinal", [False, True])
def test_many_classes_in_batches_converge(ordinal):
    X, y = load_iris(return_X_y=True)
    full = ThresholdClassifier(ordinal=ordinal).fit(X, y)
    model = ThresholdClassifier(batch_size=16, ordinal=ordinal, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ < model.max_iter
    loss_gap, accuracy_gap = _gaps(model, full, X, y)
    assert abs(loss_gap) <= 0.001
    assert abs(accuracy_gap) <= 0.01


@pytest.mark.parametrize("batch_size", [1, 2, 8])
def test_every_batch_size_gets_saga_safety_factor(batch_size):
    # SAGA's theorem asks for a step of 1 / (3 L) at single rows as at any
    # batch: batches of one row are no exception.
    X = np.random.RandomState(0).randn(40, 3)
    Y = np.ones((40, 1))
    std = Standardization.of(X, np.ones(40), True)
    objective = Objective(
        X, Y, np.ones(40), SquaredError(), L2Penalty(0.0, std.scale), std
    )
    bound, _ = safe_curvature(
        objective, np.ones(3), batch_size=batch_size, n_rows=40, rough=False
    )
    largest = objective.row_curvature(40)
    whole, _ = objective.curvature(np.ones(3), 10)
    unsafe = minibatch_curvature(whole, largest, batch_size, 40) / SAGA_SAFETY
    assert bound == pytest.approx(SAGA_SAFETY * unsafe)
    if batch_size == 1:
        assert bound == pytest.approx(SAGA_SAFETY * largest)


def _stream(model, X, y, chunks, epochs):
    for _ in range(epochs):
        for chunk in chunks:
            model.partial_fit(X[chunk], y[chunk])
    return model


def test_a_stream_gains_on_sgd_and_keeps_converging(stream_data):
    X, y = stream_data
    full = SimpleRegressor().fit(X, y).score(X, y)
    chunks = np.array_split(np.arange(len(y)), 50)
    ours = _stream(SimpleRegressor(), X, y, chunks, 10)
    sgd = _stream(SGDRegressor(random_state=0), X, y, chunks, 10)
    assert full - ours.score(X, y) <= max(full - sgd.score(X, y), 2e-5)
    _stream(ours, X, y, chunks, 20)
    assert full - ours.score(X, y) <= 1e-5


def test_a_first_chunk_of_three_rows_is_harmless(stream_data):
    X, y = stream_data
    full = SimpleRegressor().fit(X, y).score(X, y)
    chunks = [np.arange(3), *np.array_split(np.arange(3, len(y)), 50)]
    ours = _stream(SimpleRegressor(), X, y, chunks, 10)
    assert full - ours.score(X, y) <= 2e-5


def test_a_stream_sorted_by_y_learns_as_well_as_sgd(stream_data):
    X, y = stream_data
    chunks = np.array_split(np.argsort(y), 50)
    ours = _stream(SimpleRegressor(), X, y, chunks, 10)
    sgd = _stream(SGDRegressor(random_state=0), X, y, chunks, 10)
    assert ours.score(X, y) >= sgd.score(X, y) - 0.01


def test_a_column_constant_in_the_first_chunk_gets_its_least_squares_coefficient(
    stream_data,
):
    # Column 11 on a scale of 10 around 3 (least-squares coefficient 8.6),
    # at its mean in the whole first chunk: statistics frozen by that chunk
    # would give the column a scale of 1, a hundred times too small.
    X, y = stream_data
    X = X.copy()
    X[:, 11] = 3 + 10 * X[:, 11]
    X[:100, 11] = 3.0
    exact = np.linalg.lstsq(np.c_[X, np.ones(len(y))], y, rcond=None)[0][11]
    chunks = np.array_split(np.arange(len(y)), 50)
    ours = _stream(SimpleRegressor(), X, y, chunks, 10)
    assert ours.coef_[11] == pytest.approx(exact, rel=0.01)


def test_an_unusual_first_chunk_raises_no_false_divergence(stream_data):
    # A first chunk of 40 rows where column 11 is 5 (five standard
    # deviations out), as in 60 rows more: the next epoch's first calls make
    # large corrections, which momentum carried into a false DivergenceError.
    X, y = stream_data
    X = X.copy()
    X[:100, 11] = 5.0
    exact = np.linalg.lstsq(np.c_[X, np.ones(len(y))], y, rcond=None)[0][11]
    chunks = [np.arange(40), *np.array_split(np.arange(40, len(y)), 49)]
    ours = _stream(SimpleRegressor(), X, y, chunks, 10)
    sgd = _stream(SGDRegressor(random_state=0), X, y, chunks, 10)
    assert abs(ours.coef_[11] - exact) <= abs(sgd.coef_[11] - exact)


def test_a_stream_chunk_unlike_the_others_is_no_divergence():
    # Sorted by y: the middle chunks' targets are near 0, so a good model's
    # loss there exceeds the all-zero model's.
    X, y = make_regression(2000, 5, noise=10, random_state=0)
    chunks = np.array_split(np.argsort(y), 20)
    model = _stream(SimpleRegressor(), X, y, chunks, 3)
    assert np.all(np.isfinite(model.coef_))
