"""partial_fit_chunks: out-of-core training over row slices of an array."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from sklearn_simple import SimpleRegressor, ThresholdClassifier
from sklearn_simple.stream import chunk_bounds, partial_fit_chunks


class RowSlices:
    """An array that records every row slice read from it, and allows no other."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape
        self.reads = []

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        assert isinstance(key, slice) and key.step is None, key
        self.reads.append((key.start, key.stop))
        return self.array[key]


def _regression(rng, n_samples=20_000, n_features=10):
    """Correlated, badly scaled, off-center features and a noisy target.

    The model is the same for every call; ``rng`` draws the rows and the noise.
    """
    model = np.random.RandomState(42)
    mixing = np.eye(n_features) + 0.5 * model.normal(size=(n_features, n_features))
    scales = model.uniform(0.5, 10.0, size=n_features)
    coef = model.normal(size=n_features)
    X = 3.0 + (rng.normal(size=(n_samples, n_features)) @ mixing) * scales
    y = X @ coef + 5.0 + rng.normal(scale=20.0, size=n_samples)
    return X, y


@pytest.fixture
def memmapped(tmp_path, rng):
    """A regression whose X lives in a .npy file, opened as a read-only memmap."""
    X, y = _regression(rng)
    np.save(tmp_path / "X.npy", X)
    return np.load(tmp_path / "X.npy", mmap_mode="r"), y


@pytest.mark.parametrize(
    ("n_samples", "chunk_size"), [(1, 1), (10, 4), (10, 10), (10, 11), (1001, 100)]
)
def test_chunk_bounds_cover_every_row_once_in_even_chunks(n_samples, chunk_size):
    bounds = chunk_bounds(n_samples, chunk_size)
    starts, stops = zip(*bounds, strict=True)
    assert starts[0] == 0 and stops[-1] == n_samples
    assert list(starts[1:]) == list(stops[:-1])
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) <= chunk_size
    assert max(sizes) - min(sizes) <= 1
    assert len(bounds) == -(-n_samples // chunk_size)


def test_memmap_training_reaches_the_in_memory_score(memmapped, rng):
    X, y = memmapped
    in_memory = SimpleRegressor().fit(np.asarray(X), y)
    streamed = partial_fit_chunks(
        SimpleRegressor(), X, y, chunk_size=2000, n_epochs=3, random_state=0
    )
    X_test, y_test = _regression(np.random.RandomState(1), n_samples=5000)
    assert streamed.score(X_test, y_test) == pytest.approx(
        in_memory.score(X_test, y_test), abs=0.01
    )


def test_memmap_training_approaches_least_squares(memmapped):
    X, y = memmapped
    exact = LinearRegression().fit(np.asarray(X), y)
    streamed = partial_fit_chunks(
        SimpleRegressor(), X, y, chunk_size=2000, n_epochs=10, random_state=0
    )
    scale = np.asarray(X).std(axis=0)
    np.testing.assert_allclose(
        streamed.coef_ * scale, exact.coef_ * scale, atol=0.05 * np.abs(y).std()
    )


def test_reads_x_y_and_weights_only_in_slices_of_at_most_chunk_size(rng):
    X, y = _regression(rng, n_samples=1000)
    X_read, y_read, w_read = RowSlices(X), RowSlices(y), RowSlices(np.ones(len(y)))
    partial_fit_chunks(
        SimpleRegressor(), X_read, y_read, sample_weight=w_read, chunk_size=300
    )
    for reads in (X_read.reads, y_read.reads, w_read.reads):
        assert sorted(reads) == chunk_bounds(1000, 300)
        assert all(stop - start <= 300 for start, stop in reads)


def test_is_exactly_a_loop_of_partial_fit_calls_in_row_order(rng):
    X, y = _regression(rng, n_samples=1000)
    weights = rng.uniform(0.0, 2.0, size=len(y))
    by_hand = SimpleRegressor()
    for _ in range(2):
        for start, stop in chunk_bounds(len(y), 300):
            by_hand.partial_fit(X[start:stop], y[start:stop], weights[start:stop])
    streamed = partial_fit_chunks(
        SimpleRegressor(),
        X,
        y,
        sample_weight=weights,
        chunk_size=300,
        n_epochs=2,
        shuffle=False,
    )
    np.testing.assert_array_equal(streamed.coef_, by_hand.coef_)
    assert streamed.intercept_ == by_hand.intercept_
    assert streamed.n_iter_ == by_hand.n_iter_ == 8


def test_shuffle_visits_every_chunk_once_per_epoch_in_a_seeded_order(rng):
    X, y = _regression(rng, n_samples=1000)
    orders = []
    for _ in range(2):
        X_read = RowSlices(X)
        partial_fit_chunks(
            SimpleRegressor(), X_read, y, chunk_size=100, n_epochs=3, random_state=7
        )
        orders.append(X_read.reads)
    assert orders[0] == orders[1]
    epochs = [orders[0][i : i + 10] for i in range(0, 30, 10)]
    for epoch in epochs:
        assert sorted(epoch) == chunk_bounds(1000, 100)
    assert epochs[0] != chunk_bounds(1000, 100)
    assert epochs[0] != epochs[1]


def test_continues_from_the_estimators_state(rng):
    X, y = _regression(rng, n_samples=1000)
    once = partial_fit_chunks(
        SimpleRegressor(), X, y, chunk_size=250, n_epochs=2, shuffle=False
    )
    twice = SimpleRegressor()
    for _ in range(2):
        partial_fit_chunks(twice, X, y, chunk_size=250, shuffle=False)
    np.testing.assert_array_equal(twice.coef_, once.coef_)
    assert twice.loss_curve_ == once.loss_curve_


def test_passes_partial_fit_params_such_as_classes(breast_cancer):
    X, y = breast_cancer
    in_memory = ThresholdClassifier().fit(X, y)
    streamed = partial_fit_chunks(
        ThresholdClassifier(),
        X,
        y,
        chunk_size=100,
        n_epochs=20,
        random_state=0,
        classes=[0, 1],
    )
    np.testing.assert_array_equal(streamed.classes_, [0, 1])
    assert streamed.score(X, y) == pytest.approx(in_memory.score(X, y), abs=0.02)


def test_rejects_an_estimator_without_partial_fit(rng):
    X, y = _regression(rng, n_samples=10)
    with pytest.raises(TypeError, match="LinearRegression has no partial_fit"):
        partial_fit_chunks(LinearRegression(), X, y, chunk_size=5)


@pytest.mark.parametrize("name", ["y", "sample_weight"])
def test_rejects_a_length_that_differs_from_x(rng, name):
    X, y = _regression(rng, n_samples=10)
    arrays = {"y": y, "sample_weight": np.ones(10)}
    arrays[name] = arrays[name][:9]
    with pytest.raises(ValueError, match=f"X has 10 rows but {name} has 9"):
        partial_fit_chunks(
            SimpleRegressor(),
            X,
            arrays["y"],
            sample_weight=arrays["sample_weight"],
            chunk_size=5,
        )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"chunk_size": 0}, "chunk_size must be a positive integer"),
        ({"chunk_size": 2.5}, "chunk_size must be a positive integer"),
        ({"chunk_size": 5, "n_epochs": 0}, "n_epochs must be a positive integer"),
    ],
)
def test_rejects_invalid_chunk_size_and_epochs(rng, params, message):
    X, y = _regression(rng, n_samples=10)
    with pytest.raises(ValueError, match=message):
        partial_fit_chunks(SimpleRegressor(), X, y, **params)


def test_rejects_empty_data():
    with pytest.raises(ValueError, match="X has no rows"):
        partial_fit_chunks(
            SimpleRegressor(), np.empty((0, 3)), np.empty(0), chunk_size=5
        )
