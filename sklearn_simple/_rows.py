"""How ``X`` is read: blocks of rows, row subsets, products with sparse matrices.

Dense ``X`` is visited in blocks of rows small enough to stay in the
processor's cache, so that two products with one block (``block @ weights``
and ``block.T @ derivative``) read the block from memory once.
"""

import functools
import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from ._array_api import asarray, namespace_of
from ._compat import available_threads

__all__ = [
    "BLOCK_ELEMENTS",
    "DEVICE_BLOCK_ELEMENTS",
    "SCRATCH_ELEMENTS",
    "SparseRows",
    "centered_blocks",
    "dense_1d",
    "dense_2d",
    "in_threads",
    "row_blocks",
    "sparse_row_chunks",
    "sparse_row_sums",
    "sparse_times_dense",
    "sum_in_order",
    "take_rows",
]

# Rows are processed in blocks of about 2 MB of float64: small enough to stay
# in cache between the two products of an epoch. Loops that make a scratch
# copy of their block use a quarter of that, to keep the extra memory small.
BLOCK_ELEMENTS = 2**18
SCRATCH_ELEMENTS = 2**16
# Other namespaces get large blocks: a GPU needs big products to be busy, and
# every block's result that is read back to the host waits for the device.
DEVICE_BLOCK_ELEMENTS = 2**24
# Work that makes a temporary per nonzero goes through sparse matrices in
# chunks of rows holding about this many nonzeros, to bound its memory.
SPARSE_CHUNK_NONZEROS = 2**20
# scipy's sparse products run on one thread, and release the GIL: a large CSR
# matrix is multiplied in parts of consecutive rows, side by side in threads.
# A part holds at least this many nonzeros (below, a thread costs more than
# it saves). X.T @ G adds the products of its parts, in an order that must
# not depend on the threads: its parts are fixed by X alone, two of them at
# most (more parts cost more in additions and cache misses than they saved
# on 2 cores: hashed 1e5 x 2**20, 17.6 ms with 2 parts, 21 ms with 4).
PART_NONZEROS = 2**17
TRANSPOSED_PARTS = 2
# (X ** 2).T @ w squares this many nonzeros at a time, or as many as X has
# columns: half a megabyte of float64 a chunk, which stays in cache.
SQUARES_CHUNK_NONZEROS = 2**16


def row_blocks(n_samples, n_features, elements=BLOCK_ELEMENTS):
    """Slices of consecutive rows, each of about ``elements`` entries."""
    step = max(1, elements // max(n_features, 1))
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def centered_blocks(X, mean, elements):
    """``(rows, X[rows] - mean)`` block by block, in one reused scratch array.

    Allocating a fresh block each time costs page faults that can take longer
    than the arithmetic on it. The yielded array is overwritten by the next
    block: use it before asking for the next. Namespaces other than numpy
    have no ``out=``: they get a new, larger block each time.
    """
    d = X.shape[1]
    if not isinstance(X, np.ndarray):
        for rows in row_blocks(X.shape[0], d, DEVICE_BLOCK_ELEMENTS):
            yield rows, X[rows, :] - mean
        return
    scratch = np.empty((max(1, elements // max(d, 1)), d), dtype=X.dtype)
    for rows in row_blocks(X.shape[0], d, elements):
        block = scratch[: rows.stop - rows.start]
        np.subtract(X[rows], mean, out=block)
        yield rows, block


def sparse_row_chunks(X, nonzeros=None):
    """Row slices of a CSR ``X`` holding about ``nonzeros`` nonzeros each.

    ``None`` means ``SPARSE_CHUNK_NONZEROS``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sklearn_simple._rows import sparse_row_chunks
    >>> list(sparse_row_chunks(sp.eye(5, format="csr"), nonzeros=2))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    n = X.shape[0]
    nonzeros = nonzeros or SPARSE_CHUNK_NONZEROS
    # From indptr[0]: a part of a SparseRows has offsets into all of X.
    targets = np.arange(X.indptr[0] + nonzeros, X.indptr[-1], nonzeros)
    cuts = np.unique(np.concatenate([[0], np.searchsorted(X.indptr, targets), [n]]))
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(cuts)]


def sparse_row_sums(X, column_weights, nonzeros=None):
    """``X.multiply(X) @ column_weights`` without a copy of all the nonzeros.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sklearn_simple._rows import sparse_row_sums
    >>> X = sp.csr_matrix(np.array([[1.0, 2.0], [0.0, 3.0]]))
    >>> sparse_row_sums(X, np.array([1.0, 10.0]))
    array([41., 90.])
    """
    X = X.tocsr()
    out = np.empty(X.shape[0])
    for rows in sparse_row_chunks(X, nonzeros):
        first, last = X.indptr[rows.start], X.indptr[rows.stop]
        values = X.data[first:last].astype(np.float64) ** 2
        values *= column_weights[X.indices[first:last]]
        lengths = np.diff(X.indptr[rows.start : rows.stop + 1])
        row_of = np.repeat(np.arange(rows.stop - rows.start), lengths)
        out[rows] = np.bincount(row_of, values, minlength=rows.stop - rows.start)
    return out


def sparse_times_dense(X, W, out=None):
    """``X @ W`` for a sparse ``X`` and a dense 2-D ``W`` with few columns.

    Column by column: scipy's product with one vector is about twice as fast
    per column as its product with a block of a few columns. Written into
    ``out`` if given (a view of rows of a larger result, say).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sklearn_simple._rows import sparse_times_dense
    >>> sparse_times_dense(sp.eye(2, format="csr"), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 2.],
           [3., 4.]])
    """
    if W.shape[1] > 2:
        if out is None:
            return dense_2d(X @ W)
        out[...] = dense_2d(X @ W)
        return out
    if out is None:
        dtype = np.result_type(X.dtype, W.dtype)
        out = np.empty((X.shape[0], W.shape[1]), dtype=dtype)
    for j in range(W.shape[1]):
        out[:, j] = X @ W[:, j]
    return out


class SparseRows:
    """A sparse ``X`` for products in threads: ``X @ W`` and ``X.T @ G``.

    A CSR matrix of at least two parts' worth of nonzeros is cut into parts
    of consecutive rows (views of its arrays: nothing is copied), whose
    products run in threads (see ``PART_NONZEROS``); the number of threads
    is scikit-learn's (:func:`~sklearn_simple._compat.available_threads`).
    ``X @ W`` is exact whatever the cut. ``X.T @ G`` is the sum of its
    parts' products, cut by ``X`` alone, so that the number of threads does
    not change them. Other sparse formats are multiplied whole.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sklearn_simple._rows import SparseRows
    >>> X = SparseRows(sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0]])))
    >>> X.times(np.array([[1.0], [1.0]])).ravel()
    array([1., 5.])
    >>> X.transposed_times(np.array([[1.0], [1.0]])).ravel()
    array([3., 3.])
    """

    def __init__(self, X):
        self.X = X
        whole = [(slice(None), X, X.T)]
        self.split = X.format == "csr" and X.nnz >= 2 * PART_NONZEROS
        if not self.split:
            # Not worth threads; nor asking how many (0.4 ms, per mini-batch).
            self.threads = 1
            self._row_parts = self._sum_parts = whole
            return
        self.threads = available_threads()
        by_threads = min(self.threads, X.nnz // PART_NONZEROS)
        self._row_parts = _parts(X, by_threads) if by_threads > 1 else whole
        self._sum_parts = _parts(X, TRANSPOSED_PARTS)

    def times(self, W):
        """``X @ W`` for a dense 2-D ``W``, as a dense 2-D array."""
        X = self.X
        if len(self._row_parts) == 1:
            return sparse_times_dense(X, W)
        dtype = np.result_type(X.dtype, W.dtype)
        out = np.empty((X.shape[0], W.shape[1]), dtype=dtype)

        def product(rows, part, _):
            # Into out directly: each part's product as one temporary more
            # would add a vector as long as X's rows.
            sparse_times_dense(part, W, out=out[rows])

        self._map(product, self._row_parts)
        return out

    def transposed_times(self, G):
        """``X.T @ G`` for a dense 2-D ``G``, as a dense 2-D array."""
        products = self._map(
            lambda rows, _, transposed: dense_2d(transposed @ G[rows]),
            self._sum_parts,
        )
        return sum_in_order(product for _, product in products)

    def squares_times(self, w):
        """``(X ** 2).T @ w`` for a vector ``w`` and a CSR ``X``, as a vector.

        The squares are taken a chunk of rows at a time within each part (no
        squared copy of X), each chunk as many nonzeros as X has columns (at
        least ``SQUARES_CHUNK_NONZEROS``): a chunk's product makes a vector
        as long as a row of X.T, which its nonzeros then outweigh. The chunks'
        sums are added in order.
        """
        if self.X.format != "csr":
            raise ValueError(f"squares_times needs a CSR matrix, not {self.X.format}")
        nonzeros = max(SQUARES_CHUNK_NONZEROS, self.X.shape[1])

        def part_sum(rows, part, _):
            total = np.zeros(part.shape[1], dtype=np.result_type(part.dtype, w.dtype))
            for chunk in sparse_row_chunks(part, nonzeros):
                first, last = part.indptr[chunk.start], part.indptr[chunk.stop]
                squares = _on_arrays(
                    sp.csc_matrix,
                    (part.shape[1], chunk.stop - chunk.start),
                    part.data[first:last] ** 2,
                    part.indices[first:last],
                    part.indptr[chunk.start : chunk.stop + 1] - first,
                )
                total += squares @ w[rows][chunk]
            return total

        return sum_in_order(total for _, total in self._map(part_sum, self._sum_parts))

    def _map(self, product, parts):
        """``(rows, product(*part))`` for each part, computed in threads."""
        products = in_threads(lambda part: product(*part), parts, self.threads)
        return [(part[0], result) for part, result in zip(parts, products, strict=True)]


def sum_in_order(arrays):
    """The sum of ``arrays`` (new arrays of one shape), added in order into
    the first: the same bits whatever thread computed each."""
    arrays = iter(arrays)
    total = next(arrays)
    for array in arrays:
        total += array
    return total


def _parts(X, n_parts):
    """``(rows, X[rows], X[rows].T)`` for ``n_parts`` runs of rows of about
    equal nonzeros, as CSR and CSC matrices on ``X``'s arrays.

    A part's ``indptr`` is a view of ``X``'s, whose offsets point into all
    of ``X.data`` and ``X.indices``: scipy's products with a dense array
    follow the offsets. Nothing is copied; offsets from 0 would copy
    ``indptr``, which on data of one nonzero a row weighs a third of ``X``.
    A part is for those products only: scipy's other methods (``nnz``,
    slicing, ``.T``, products with another sparse matrix) assume offsets
    from 0, and are wrong or refuse on it.
    """
    parts = []
    for rows in sparse_row_chunks(X, -(-X.nnz // n_parts)):
        arrays = (X.data, X.indices, X.indptr[rows.start : rows.stop + 1])
        shape = (rows.stop - rows.start, X.shape[1])
        part = _on_arrays(sp.csr_matrix, shape, *arrays)
        parts.append((rows, part, _on_arrays(sp.csc_matrix, shape[::-1], *arrays)))
    return parts


def _on_arrays(container, shape, data, indices, indptr):
    """A sparse matrix of ``container``'s format made of these arrays as they are.

    scipy's constructors copy an array that is a view of less than half of
    another (``prune``), and ask for offsets from 0: the arrays are put in
    place of an empty matrix's instead. Its products with a dense array read
    them directly (see :func:`_parts` for what else does not).
    """
    matrix = container(shape, dtype=data.dtype)
    matrix.data, matrix.indices, matrix.indptr = data, indices, indptr
    return matrix


def in_threads(function, items, threads: int) -> list:
    """``[function(item) for item in items]``, on up to ``threads`` threads.

    The results come in the order of ``items``, whatever thread finished
    first, so sums of them are the same on any number of threads.

    Examples
    --------
    >>> from sklearn_simple._rows import in_threads
    >>> in_threads(lambda x: x * x, [1, 2, 3], threads=2)
    [1, 4, 9]
    """
    if threads == 1 or len(items) < 2:
        return [function(item) for item in items]
    n_groups = min(threads, len(items))
    # numpy's error state (np.errstate) belongs to a thread: the caller's
    # applies in the workers too.
    errors = np.geterr()

    def run(group):
        with np.errstate(**errors):
            return [function(item) for item in items[group::n_groups]]

    try:
        futures = [_pool(os.getpid()).submit(run, g) for g in range(n_groups)]
    except RuntimeError:
        # The interpreter is shutting down (a fit in a thread that outlived
        # the main one): pools take no more work, the caller's thread does.
        return [function(item) for item in items]
    results = [None] * len(items)
    for group, future in enumerate(futures):
        results[group::n_groups] = future.result()
    return results


@functools.cache
def _pool(pid: int) -> ThreadPoolExecutor:
    # One pool per process: a child forked from a process whose pool had
    # started its threads gets the pool without them, and would wait forever.
    # It starts a thread only when a task finds none idle, so it holds as
    # many as the most groups in_threads ever gave it at once.
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="sklearn_simple")


def take_rows(array, rows):
    """``array[rows]`` for an array of any namespace, or sparse.

    ``rows`` are integer indices, as numpy or in the namespace of ``array``.
    """
    if isinstance(array, np.ndarray) or sp.issparse(array):
        return array[rows]
    xp, device = namespace_of(array)
    return xp.take(array, asarray(xp, rows, xp.int64, device), axis=0)


def dense_1d(product):
    """A product of a sparse matrix as a dense 1-D array (others unchanged)."""
    return np.asarray(product).ravel() if isinstance(product, np.matrix) else product


def dense_2d(product):
    """A product of a sparse matrix as a dense 2-D array (others unchanged)."""
    return np.asarray(product) if isinstance(product, np.matrix) else product
