"""Resource safety: memory-mapped input, threads, no global state left changed.

The numpy error state and the logging configuration are covered in
test_base.py and test_regressor.py.
"""

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_simple import SimpleRegressor, ThresholdClassifier


def _read_only_memmap(tmp_path, array):
    path = tmp_path / "data.npy"
    np.save(path, array)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize(
    "make, data",
    [
        (SimpleRegressor, make_regression(200, 5, noise=1.0, random_state=0)),
        (ThresholdClassifier, make_classification(200, 5, random_state=0)),
    ],
    ids=["regressor", "classifier"],
)
def test_fitting_a_read_only_memmap_gives_the_in_memory_fit(tmp_path, make, data):
    X, y = data
    X_map = _read_only_memmap(tmp_path, X)
    assert isinstance(X_map, np.memmap) and not X_map.flags.writeable
    params = {"batch_size": 16, "early_stopping": True, "random_state": 0}
    from_map = make(**params).fit(X_map, y)
    np.testing.assert_array_equal(from_map.coef_, make(**params).fit(X, y).coef_)
    np.testing.assert_array_equal(from_map.predict(X_map), from_map.predict(X))


def test_partial_fit_on_read_only_memmap_chunks(tmp_path):
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    X_map = _read_only_memmap(tmp_path, X)
    streamed, in_memory = SimpleRegressor(), SimpleRegressor()
    for rows in (slice(0, 100), slice(100, 200)):
        streamed.partial_fit(X_map[rows], y[rows])
        in_memory.partial_fit(X[rows], y[rows])
    np.testing.assert_array_equal(streamed.coef_, in_memory.coef_)


@pytest.mark.parametrize(
    "model, data, methods",
    [
        (
            SimpleRegressor(),
            make_regression(2000, 20, noise=1.0, random_state=0),
            ["predict", "score"],
        ),
        (
            ThresholdClassifier(),
            make_classification(2000, 20, n_classes=3, n_informative=5, random_state=0),
            ["predict", "predict_proba", "decision_function", "score"],
        ),
    ],
    ids=["regressor", "classifier"],
)
def test_concurrent_predictions_from_threads_equal_serial_ones(model, data, methods):
    X, y = data
    model.fit(X, y)
    chunks = np.array_split(np.arange(len(y)), 40)

    def call(method, rows):
        args = (X[rows], y[rows]) if method == "score" else (X[rows],)
        return getattr(model, method)(*args)

    jobs = [(method, rows) for method in methods for rows in chunks] * 5
    serial = [call(*job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda job: call(*job), jobs))
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [SimpleRegressor, ThresholdClassifier])
def test_fit_leaves_global_random_error_and_warning_state_as_it_was(make):
    X, y = make_classification(200, 5, random_state=0)
    # The legacy global generator is exactly what must be left alone.
    global_rng = np.random.get_state(legacy=False)  # noqa: NPY002
    errors = np.geterr()
    filters = list(warnings.filters)
    make(batch_size=16, early_stopping=True, random_state=0, verbose=1).fit(X, y)
    after = np.random.get_state(legacy=False)  # noqa: NPY002
    np.testing.assert_array_equal(after["state"]["key"], global_rng["state"]["key"])
    assert after["state"]["pos"] == global_rng["state"]["pos"]
    assert np.geterr() == errors
    assert warnings.filters == filters


def test_fits_running_at_once_in_threads_leave_blas_threads_as_they_were():
    # Each fit limits BLAS to one thread; fits overlapping in threads (joblib's
    # threading backend) must not leave the whole process on one thread.
    X, y = make_classification(3000, 20, random_state=0)

    def blas_threads():
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    original = threadpool_limits(limits=None)  # what to restore if it fails
    before = blas_threads()
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda _: ThresholdClassifier().fit(X, y), range(8)))
        assert blas_threads() == before
    finally:
        original.restore_original_limits()
