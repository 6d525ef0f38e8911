"""Mini-batches and streams converge to the full-batch fit (issue 13).

Specifications against the full-batch fit, scikit-learn's SGD on the same
chunks, and least squares; on standardized data, as the issue measured.
"""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_regression
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_simple import SimpleRegressor


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
