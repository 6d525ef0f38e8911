"""Reading X: sparse helpers agree with dense arithmetic, chunk by chunk."""

import multiprocessing
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from sklearn_simple import ThresholdClassifier, _objective, _rows
from sklearn_simple._compat import available_threads
from sklearn_simple._rows import (
    SparseRows,
    in_threads,
    sparse_row_chunks,
    sparse_row_sums,
    sparse_times_dense,
)


def _sparse(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(30, 6)
    X[rng.rand(*X.shape) < 0.6] = 0
    X[[3, 17]] = 0  # empty rows
    return sp.csr_matrix(X), rng


@pytest.mark.parametrize("nonzeros", [1, 7, 10**6])
def test_row_chunks_cover_every_row_once(nonzeros):
    X, _ = _sparse()
    chunks = sparse_row_chunks(X, nonzeros)
    covered = np.concatenate([np.arange(30)[rows] for rows in chunks])
    np.testing.assert_array_equal(covered, np.arange(30))


@pytest.mark.parametrize("nonzeros", [1, 7, 10**6])
def test_row_sums_equal_the_dense_weighted_squares(nonzeros):
    X, rng = _sparse()
    weights = rng.uniform(0.5, 2, 6)
    expected = (X.toarray() ** 2) @ weights
    np.testing.assert_allclose(sparse_row_sums(X, weights, nonzeros), expected)


@pytest.mark.parametrize("n_columns", [1, 2, 5])
def test_sparse_times_dense_equals_the_dense_product(n_columns):
    X, rng = _sparse()
    W = rng.randn(6, n_columns)
    np.testing.assert_allclose(sparse_times_dense(X, W), X.toarray() @ W)


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of a few nonzeros, so that a small X is cut into several."""
    monkeypatch.setattr(_rows, "PART_NONZEROS", 5)


def _threads(monkeypatch, n):
    monkeypatch.setattr(_rows, "available_threads", lambda: n)


@pytest.mark.parametrize("n_threads", [1, 3])
@pytest.mark.parametrize("n_columns", [1, 3])
def test_sparse_rows_products_equal_scipy_products(
    small_parts, monkeypatch, n_threads, n_columns
):
    _threads(monkeypatch, n_threads)
    X, rng = _sparse()
    rows = SparseRows(X)
    W, G = rng.randn(6, n_columns), rng.randn(30, n_columns)
    np.testing.assert_array_equal(rows.times(W), X @ W)
    np.testing.assert_allclose(rows.transposed_times(G), X.T @ G, rtol=1e-13)


def test_sparse_rows_sum_the_same_parts_on_any_number_of_threads(
    small_parts, monkeypatch
):
    X, rng = _sparse()
    G = rng.randn(30, 2)
    sums = []
    for n_threads in (1, 2, 3):
        _threads(monkeypatch, n_threads)
        sums.append(SparseRows(X).transposed_times(G))
    np.testing.assert_array_equal(sums[0], sums[1])
    np.testing.assert_array_equal(sums[0], sums[2])


def test_sparse_rows_take_scikit_learns_thread_limits(small_parts):
    X, _ = _sparse()
    assert SparseRows(X).threads == available_threads()
    with threadpool_limits(limits=1, user_api="openmp"):
        assert SparseRows(X).threads == 1


def test_a_small_sparse_matrix_is_multiplied_whole_on_one_thread():
    X, _ = _sparse()
    rows = SparseRows(X)
    assert rows.threads == 1
    assert len(rows._row_parts) == len(rows._sum_parts) == 1


def test_sparse_rows_cut_a_large_matrix_into_views(small_parts, monkeypatch):
    # Three parts: scipy's constructors copy a view of less than half an array.
    _threads(monkeypatch, 3)
    X, _ = _sparse()
    rows = SparseRows(X)
    assert len(rows._row_parts) == 3
    assert len(rows._sum_parts) == _rows.TRANSPOSED_PARTS
    for _, part, transposed in rows._sum_parts + rows._row_parts:
        for matrix in (part, transposed):
            assert np.shares_memory(matrix.data, X.data)
            assert np.shares_memory(matrix.indices, X.indices)
            assert np.shares_memory(matrix.indptr, X.indptr)


def test_a_sparse_fit_is_the_same_on_one_thread_as_on_three(small_parts, monkeypatch):
    # Chunks of 8 rows: the losses of the chunks are computed in threads too.
    monkeypatch.setattr(_objective, "SCRATCH_ELEMENTS", 8)
    X, rng = _sparse()
    y = (X @ rng.randn(6) > 0).astype(int)
    fits = []
    for n_threads in (1, 3):
        _threads(monkeypatch, n_threads)
        fits.append(ThresholdClassifier().fit(X, y))
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].n_iter_ == fits[1].n_iter_


def _fit_coef(X, y):
    return ThresholdClassifier().fit(X, y).coef_


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)
def test_a_process_forked_after_a_threaded_fit_fits_too(small_parts, monkeypatch):
    # The child inherits the parent's pool object but not its threads: it
    # must make its own, or its first product would wait forever.
    _threads(monkeypatch, 2)
    X, rng = _sparse()
    y = (X @ rng.randn(6) > 0).astype(int)
    in_parent = _fit_coef(X, y)
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads may deadlock.
        warnings.simplefilter("ignore", DeprecationWarning)
        with multiprocessing.get_context("fork").Pool(1) as pool:
            in_child = pool.apply_async(_fit_coef, (X, y)).get(timeout=60)
    np.testing.assert_array_equal(in_child, in_parent)


def test_work_in_threads_keeps_the_callers_numpy_error_state():
    big = [np.array([1e300]), np.array([2e300])]
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        in_threads(np.square, big, threads=2)


def test_work_in_threads_runs_in_the_caller_when_pools_are_closed(monkeypatch):
    # At interpreter shutdown, pools refuse work that a fit still running in
    # a non-main thread would give them.
    class Closed:
        def submit(self, *args):
            raise RuntimeError("cannot schedule new futures after shutdown")

    monkeypatch.setattr(_rows, "_pool", lambda pid: Closed())
    assert in_threads(lambda x: x + 1, [1, 2, 3], threads=2) == [2, 3, 4]


def test_work_in_threads_keeps_the_order_of_its_items_and_one_pool():
    for n_items in range(2, 9):
        items = list(range(n_items))
        assert in_threads(lambda x: 10 * x, items, threads=3) == [10 * x for x in items]
    assert _rows._pool.cache_info().currsize == 1
