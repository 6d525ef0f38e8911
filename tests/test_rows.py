"""Reading X: sparse helpers agree with dense arithmetic, chunk by chunk."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_simple._rows import sparse_row_chunks, sparse_row_sums, sparse_times_dense


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
