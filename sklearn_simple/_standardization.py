"""The change of coordinates that makes every data set equally easy to train.

The weights are learned for standardized features ``Z = (X - mean) / scale``
(weighted statistics), which makes badly scaled data as easy as well scaled
data. ``Z`` is never materialised: the objective rewrites every product with
it as a product with ``X`` plus an O(n_features) correction, so sparse ``X``
stays sparse, read-only ``X`` is never written and no copy of ``X`` is made.

Weights in these coordinates are one array of shape ``(n_features + 1,
n_outputs)``: the weights for ``Z`` on top, the intercept in the last row.
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis

from ._array_api import (
    accumulation_dtype,
    asarray,
    astype,
    concat,
    get_namespace,
    namespace_of,
    to_numpy,
    zeros,
)
from ._passes import record_passes
from ._rows import (
    SCRATCH_ELEMENTS,
    SparseRows,
    centered_blocks,
    dense_1d,
    row_blocks,
    take_rows,
)

__all__ = ["Standardization", "check_underflow"]

# A column's variance taken as E[x^2] - E[x]^2 keeps about 16 - log10(this)
# digits where its squared mean is up to this many times its variance;
# beyond, it is computed again, two-pass (see _sparse_moments).
CANCELLATION = 1e4


@dataclass(frozen=True)
class Standardization:
    """Column means and scales of ``X``: ``z = (x - mean) / scale``.

    Without an intercept the columns are not centered (the model must go
    through the origin): ``mean`` is zero and ``scale`` is the weighted root
    mean square. Columns whose variance is within rounding of zero are
    ``constant``: they get scale 1 and their weight is held at 0 (their term
    is part of the intercept). Arrays are in the dtype, namespace and device
    of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._standardization import Standardization
    >>> X = np.array([[1.0, 5.0], [3.0, 5.0]])
    >>> std = Standardization.of(X, np.ones(2), fit_intercept=True)
    >>> std.mean, std.scale, std.constant
    (array([2., 5.]), array([1., 1.]), array([False,  True]))
    >>> weights = std.standardize(np.array([[2.0], [0.0]]), np.array([1.0]))
    >>> std.unstandardize(weights)
    (array([[2.],
           [0.]]), array([1.]))
    """

    mean: object
    scale: object
    constant: object
    fit_intercept: bool
    # The moments behind mean and scale, for merging with a later chunk
    # (:meth:`updated`): the weighted variance in the accumulation dtype, the
    # sum of the sample weights and the number of rows. None in a model
    # pickled before streams merged statistics.
    variance: object = None
    total_weight: float | None = None
    n_samples: int | None = None

    @classmethod
    def of(cls, X, sample_weight, fit_intercept: bool) -> "Standardization":
        """The weighted statistics of ``X``, in one pass (two with a mean)."""
        moments = _sparse_moments if sp.issparse(X) else _dense_moments
        mean, var = moments(X, sample_weight, fit_intercept)
        record_passes(2.0 if fit_intercept else 1.0)
        check_underflow(X, sample_weight, mean, var)
        total = float(namespace_of(sample_weight)[0].sum(sample_weight))
        return cls.from_moments(
            mean, var, X.shape[0], X.dtype, fit_intercept, total_weight=total
        )

    @classmethod
    def from_moments(
        cls,
        mean,
        var,
        n_samples: int,
        dtype,
        fit_intercept: bool,
        *,
        total_weight: float | None = None,
    ) -> "Standardization":
        """From weighted column means and variances (in the accumulation dtype).

        A column is constant when its variance is within rounding of zero
        (the bound scikit-learn's StandardScaler uses). An overflowed variance
        is not: its infinite scale lets :meth:`check_finite` report it.
        """
        xp = namespace_of(var)[0]
        eps = xp.finfo(dtype).eps
        bound = n_samples * eps * var + (n_samples * mean * eps) ** 2
        constant = xp.isfinite(var) & (var <= bound)
        scale = xp.where(constant, xp.ones_like(var), xp.sqrt(var))
        return cls(
            astype(xp, mean, dtype),
            astype(xp, scale, dtype),
            constant,
            fit_intercept,
            variance=var,
            total_weight=total_weight,
            n_samples=n_samples,
        )

    def updated(self, X, sample_weight) -> "Standardization":
        """The statistics of every row seen so far: these merged with ``X``'s.

        For the chunks of a stream (``partial_fit``): the weighted means and
        variances are combined by the pairwise update of Chan, Golub &
        LeVeque (*Updating formulae and a pairwise algorithm for computing
        sample variances*, 1979), the batch form of Welford's running
        statistics that river's ``preprocessing.StandardScaler`` updates row
        by row. One pass over ``X`` (two with a mean). Without the moments (a
        model pickled by an earlier version), the coordinates stay those of
        the first call, with no column held at 0.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_simple._standardization import Standardization
        >>> X = np.array([[1.0], [3.0], [5.0], [7.0]])
        >>> first = Standardization.of(X[:1], np.ones(1), fit_intercept=True)
        >>> both = first.updated(X[1:], np.ones(3))
        >>> whole = Standardization.of(X, np.ones(4), fit_intercept=True)
        >>> both.mean, both.scale, whole.scale
        (array([4.]), array([2.23606798]), array([2.23606798]))
        """
        if self.variance is None:
            return self.releasing_constant_columns()
        chunk = Standardization.of(X, sample_weight, self.fit_intercept)
        xp = namespace_of(chunk.variance)[0]
        acc = chunk.variance.dtype
        w_old, w_new = self.total_weight, chunk.total_weight
        total = w_old + w_new
        mean_old, mean_new = (astype(xp, a, acc) for a in (self.mean, chunk.mean))
        delta = mean_new - mean_old
        mean = mean_old + delta * (w_new / total)
        # Sums of squared deviations add, plus the spread between the means.
        var = (
            self.variance * w_old
            + chunk.variance * w_new
            + delta * delta * (w_old * w_new / total)
        ) / total
        return Standardization.from_moments(
            mean,
            var,
            self.n_samples + chunk.n_samples,
            chunk.mean.dtype,
            self.fit_intercept,
            total_weight=total,
        )

    def reexpress(self, weights, new: "Standardization"):
        """``weights`` of these coordinates in the ``new`` ones: the same model.

        The coefficients and intercept on the original features are kept;
        only their expression changes. With an intercept, a column still
        constant in ``new`` keeps its term in the intercept.
        """
        if weights is None:
            return None
        coef, intercept = self.unstandardize(weights)
        return new.standardize(coef, intercept)

    def check_finite(self) -> None:
        """Refuse statistics that overflowed, before they poison the loop.

        Without this check an overflowed variance makes the step size NaN, and
        the run ends in a DivergenceError that blames the learning rate.
        """
        mean, scale = to_numpy(self.mean), to_numpy(self.scale)
        overflowed = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
        if overflowed.size:
            raise ValueError(
                f"The weighted mean or variance of column(s) {overflowed.tolist()} "
                f"of X overflows {scale.dtype.name}: the values of X (or of "
                "sample_weight) are too large to compute with. Rescale X, e.g. with "
                "sklearn.preprocessing.MaxAbsScaler, or divide sample_weight by its "
                "largest value."
            )

    def releasing_constant_columns(self) -> "Standardization":
        """The same coordinates with no column held at 0.

        For the later chunks of a stream: a column constant in the first chunk
        may vary in later ones.
        """
        xp = namespace_of(self.constant)[0]
        return replace(self, constant=xp.zeros_like(self.constant))

    def unstandardize(self, weights):
        """``(coef, intercept)`` for the original features; coef ``(d, k)``."""
        coef = weights[:-1, :] / self.scale[:, None]
        return coef, weights[-1, :] - self.mean @ coef

    def standardize(self, coef, intercept):
        """Inverse of :meth:`unstandardize`: the weights of ``(coef, intercept)``."""
        xp = namespace_of(self.scale)[0]
        weights = coef * self.scale[:, None]
        if self.fit_intercept:
            # On these rows a constant column's term is part of the intercept.
            weights = xp.where(self.constant[:, None], xp.zeros_like(weights), weights)
            bias = intercept + self.mean @ coef
        else:
            bias = xp.zeros_like(intercept)
        weights = concat(xp, [weights, bias[None, :]], axis=0)
        return astype(xp, weights, self.scale.dtype)


def _dense_moments(X, sample_weight, fit_intercept):
    """Weighted column means (0 without an intercept) and mean squared deviations.

    Two passes (the mean, then the squared deviations) avoid the cancellation
    of E[x^2] - E[x]^2 on columns whose mean is large against their spread.
    """
    xp, device = get_namespace(X)
    acc = accumulation_dtype(xp, device, X.dtype)
    sw = astype(xp, sample_weight, X.dtype)
    total = float(xp.sum(sample_weight))
    if fit_intercept:
        mean = astype(xp, dense_1d(X.T @ sw), acc) / total
    else:
        mean = zeros(xp, X.shape[1], acc, device)
    var = zeros(xp, X.shape[1], acc, device)
    mean_x = astype(xp, mean, X.dtype)
    for rows, dev in centered_blocks(X, mean_x, SCRATCH_ELEMENTS):
        dev *= dev
        var += sw[rows] @ dev
    return mean, var / total


def _sparse_moments(X, sample_weight, fit_intercept):
    """As :func:`_dense_moments`, for a sparse ``X``.

    A large float64 CSR matrix by its threaded products (``_rows.SparseRows``):
    ``X.T @ sw`` and ``(X ** 2).T @ sw``, whose difference ``E[x^2] -
    E[x]^2`` is the variance. It cancels where the mean is large against the
    spread (a constant column stored in full, for one): those columns are
    computed again, by the two passes of scikit-learn's
    ``mean_variance_axis``, which computes everything else (it holds the GIL,
    and took 129 ms against 40 ms on hashed 1e5 x 2**20 data).
    """
    weights = sample_weight.astype(X.dtype, copy=False)
    rows = SparseRows(X)
    if not (rows.split and X.dtype == np.float64):
        mean, var = mean_variance_axis(X, axis=0, weights=weights)
        mean, var = mean.astype(np.float64), var.astype(np.float64)
        if fit_intercept:
            return mean, var
        return np.zeros_like(mean), var + mean**2
    total = float(np.sum(weights))
    # Computed again, two-pass: where the sum of squares overflowed (summed
    # before it is divided and not centered, it overflows near 1e153, where
    # the two passes do not), and, with a mean, where the difference cancels
    # (its relative error is about eps * mean**2 / var).
    with np.errstate(over="ignore"):  # overflow is looked for, just below
        mean_square = rows.squares_times(weights) / total
        unsure = ~np.isfinite(mean_square)
        if fit_intercept:
            mean = rows.transposed_times(weights[:, None])[:, 0] / total
            var = mean_square - mean**2
            unsure |= mean**2 > CANCELLATION * var
        else:
            mean, var = np.zeros_like(mean_square), mean_square
    unsure = np.flatnonzero(unsure)
    if unsure.size:
        again = mean_variance_axis(X[:, unsure], axis=0, weights=weights)
        if fit_intercept:
            mean[unsure], var[unsure] = again
        else:
            var[unsure] = again[1] + again[0] ** 2
    return mean, var


def check_underflow(X, sample_weight, mean, var) -> None:
    """Refuse columns whose spread is too small for its square to be computed.

    Below about 1e-154 the squares of deviations underflow float64: the
    variance becomes 0 (the column would pass for constant and get a zero
    weight) or loses its digits (the step size would be wrong). A column
    whose largest deviation from its mean is only rounding of the mean is
    constant, and fine; so is a column that varies only on rows of zero
    weight. Only the columns with such a small variance are read again.
    """
    var = to_numpy(var)
    tiny = np.finfo(np.float64).smallest_normal
    candidates = np.flatnonzero(var < tiny)
    if candidates.size and sp.issparse(X):
        # A column without stored values is zero: nothing in it can underflow
        # (text and hashed data have many: 536,350 of 2**20 columns).
        candidates = candidates[_stores_values(X, candidates)]
    if not candidates.size:
        return
    xp = namespace_of(mean)[0]
    weighted = np.flatnonzero(to_numpy(sample_weight) > 0)
    spread = _spread(X, weighted, astype(xp, mean, X.dtype), candidates)
    rounding = 16 * np.finfo(X.dtype).eps * np.abs(to_numpy(mean)[candidates])
    underflows = spread < np.sqrt(tiny / np.finfo(np.float64).eps)
    tiny = candidates[(spread > rounding) & underflows]
    if tiny.size:
        raise ValueError(
            f"Column(s) {tiny.tolist()} of X vary by too little to compute with: "
            f"their largest deviation from the mean is {float(spread.max()):.3g}, "
            "and its square underflows float64. Rescale X, e.g. with "
            "sklearn.preprocessing.MaxAbsScaler or StandardScaler."
        )


def _stores_values(X, columns):
    """Whether each of ``columns`` of a CSR or CSC ``X`` has a stored entry."""
    if X.format == "csc":
        return np.diff(X.indptr)[columns] > 0
    asked = np.zeros(X.shape[1], dtype=bool)
    asked[columns] = True
    stored = np.zeros(X.shape[1], dtype=bool)
    stored[X.indices[asked[X.indices]]] = True
    return stored[columns]


def _spread(X, rows, mean, columns):
    """``max |x - mean|`` over ``rows`` of each of ``columns``, as numpy float64.

    The columns are taken first: they are few, and a sparse matrix would
    copy every row taken.
    """
    centre = to_numpy(mean)[columns]
    if sp.issparse(X):
        low, high = min_max_axis(X[:, columns].tocsr()[rows], axis=0)
        return np.maximum(np.abs(low - centre), np.abs(high - centre)).astype(float)
    if not isinstance(X, np.ndarray):
        xp, device = namespace_of(X)
        picked = take_rows(
            xp.take(X, asarray(xp, columns, xp.int64, device), axis=1), rows
        )
        deviation = xp.abs(picked - asarray(xp, centre, picked.dtype, device))
        return to_numpy(xp.max(deviation, axis=0)).astype(float)
    spread = np.zeros(len(columns))
    for block in row_blocks(len(rows), len(columns), SCRATCH_ELEMENTS):
        deviation = np.abs(X[rows[block]][:, columns] - mean[columns])
        np.maximum(spread, deviation.max(axis=0), out=spread)
    return spread
