"""Out-of-core training: feed an estimator's ``partial_fit`` chunk by chunk.

``partial_fit`` trains one epoch on the rows it is given and keeps the
optimizer state (standardization, momentum, step size) between calls, so a
data set too large for memory can be trained on one slice of rows at a time.
:func:`partial_fit_chunks` is that loop: epochs over row slices of an array
that is never read whole, such as a :class:`numpy.memmap`.
"""

from itertools import pairwise
from numbers import Integral
from typing import Any, TypeVar

import numpy as np
from sklearn.utils import check_random_state

from ._exceptions import plain

__all__ = ["chunk_bounds", "partial_fit_chunks"]

Estimator = TypeVar("Estimator")


def chunk_bounds(n_samples: int, chunk_size: int) -> list[tuple[int, int]]:
    """Split ``n_samples`` rows into contiguous chunks of at most ``chunk_size``.

    The chunks are as even as possible (their sizes differ by one row at
    most) rather than full chunks followed by a remainder: the step size of
    ``partial_fit`` never grows back once a chunk made it shrink, and a small
    remainder chunk, whose curvature estimate is pessimistic, would shrink it
    for every later chunk.

    Parameters
    ----------
    n_samples : int
        Number of rows to split.
    chunk_size : int
        Largest number of rows in a chunk.

    Returns
    -------
    bounds : list of (start, stop) tuples
        The chunks, in row order; ``X[start:stop]`` is one chunk.

    See Also
    --------
    partial_fit_chunks : Trains an estimator on these chunks.

    Examples
    --------
    >>> from sklearn_simple.stream import chunk_bounds
    >>> chunk_bounds(10, 4)
    [(0, 3), (3, 6), (6, 10)]
    """
    _check_positive_int(n_samples, "n_samples")
    _check_positive_int(chunk_size, "chunk_size")
    n_chunks = -(-n_samples // chunk_size)
    edges = [i * n_samples // n_chunks for i in range(n_chunks + 1)]
    return list(pairwise(edges))


def partial_fit_chunks(
    estimator: Estimator,
    X: Any,
    y: Any,
    *,
    chunk_size: int,
    n_epochs: int = 1,
    sample_weight: Any = None,
    shuffle: bool = True,
    random_state: int | np.random.RandomState | None = None,
    **partial_fit_params: Any,
) -> Estimator:
    """Train ``estimator`` by ``partial_fit`` on row chunks of ``X``, for epochs.

    Each epoch calls ``estimator.partial_fit`` once per chunk of at most
    ``chunk_size`` rows, each chunk read as ``X[start:stop]`` when it is
    trained on: only one chunk of ``X`` (and of ``y`` and ``sample_weight``)
    is in memory at a time, so ``X`` can be a :class:`numpy.memmap` (or an
    ``h5py`` or ``zarr`` array) larger than memory. The estimator continues
    from its current state: call this again to train more epochs.

    Parameters
    ----------
    estimator : estimator with a ``partial_fit`` method
        Trained in place, for example a
        :class:`~sklearn_simple.SimpleRegressor`.
    X : array-like of shape (n_samples, n_features)
        Training data supporting row slices ``X[start:stop]``.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Target values, sliced like ``X``.
    chunk_size : int
        Largest number of rows per ``partial_fit`` call; the chunks are as
        even as possible (see :func:`chunk_bounds`). Larger chunks give better
        gradient and step-size estimates; the memory used grows with them.
    n_epochs : int, default=1
        Number of passes over all the chunks.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, sliced like ``X``.
    shuffle : bool, default=True
        Visit the chunks in a new random order at each epoch; the rows inside
        a chunk keep their order. Leave it on unless the rows are already in
        random order: chunks of data sorted by time or by target would
        otherwise pull the model one way, then the other.
    random_state : int, RandomState instance or None, default=None
        Seeds the chunk order when ``shuffle`` is True.
    **partial_fit_params : dict
        Passed to every ``partial_fit`` call, for example ``classes`` for a
        classifier.

    Returns
    -------
    estimator : estimator
        The trained ``estimator`` itself.

    See Also
    --------
    chunk_bounds : How the rows are split into chunks.
    dask_ml.wrappers.Incremental : The same loop over the blocks of a dask array.

    Notes
    -----
    For :class:`~sklearn_simple.SimpleRegressor` and
    :class:`~sklearn_simple.ThresholdClassifier`, the first chunk trained on
    fixes the standardization of the features, so it should be
    representative of the data: another reason to shuffle. Each call is one
    gradient step on the whole chunk (``batch_size=None``) or one epoch of
    mini-batches over it.

    Examples
    --------
    Write a data set to disk, then train on it 2,000 rows at a time:

    >>> import os
    >>> import tempfile
    >>> import numpy as np
    >>> from sklearn_simple import SimpleRegressor
    >>> from sklearn_simple.stream import partial_fit_chunks
    >>> rng = np.random.RandomState(0)
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "X.npy")
    >>> X = np.lib.format.open_memmap(path, mode="w+", shape=(20_000, 5))
    >>> X[:] = rng.normal(size=X.shape)
    >>> y = X @ np.arange(1.0, 6.0) + 3.0 + rng.normal(scale=0.1, size=len(X))
    >>> X.flush()
    >>> X_disk = np.load(path, mmap_mode="r")  # nothing read yet
    >>> model = partial_fit_chunks(
    ...     SimpleRegressor(), X_disk, y, chunk_size=2000, n_epochs=3, random_state=0
    ... )
    >>> model.n_iter_  # one partial_fit call per chunk and epoch
    30
    >>> np.round(model.coef_, 2), round(float(model.intercept_), 2)
    (array([1., 2., 3., 4., 5.]), 3.0)
    >>> del X, X_disk
    >>> folder.cleanup()
    """
    if not callable(getattr(estimator, "partial_fit", None)):
        raise TypeError(
            f"{type(estimator).__name__} has no partial_fit method: it cannot be "
            "trained chunk by chunk."
        )
    _check_positive_int(chunk_size, "chunk_size")
    _check_positive_int(n_epochs, "n_epochs")
    n_samples = X.shape[0]
    lengths = {"y": len(y)}
    if sample_weight is not None:
        lengths["sample_weight"] = len(sample_weight)
    for name, length in lengths.items():
        if length != n_samples:
            raise ValueError(
                f"X has {n_samples} rows but {name} has {length}; give them the "
                "same number of samples."
            )
    if n_samples == 0:
        raise ValueError("X has no rows: there is nothing to train on.")
    bounds = chunk_bounds(n_samples, chunk_size)
    rng = check_random_state(random_state)
    for _ in range(n_epochs):
        order = rng.permutation(len(bounds)) if shuffle else range(len(bounds))
        for i in order:
            start, stop = bounds[i]
            params = partial_fit_params
            if sample_weight is not None:
                params = {**params, "sample_weight": sample_weight[start:stop]}
            estimator.partial_fit(X[start:stop], y[start:stop], **params)
    return estimator


def _check_positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {plain(value)!r}.")
