"""How curved the objective is: the constant behind the safe step size.

Gradient descent on a function whose gradient is ``L``-Lipschitz (whose
curvature is at most ``L`` in every direction) decreases it at every step of
size ``1 / L`` or less, and converges for steps below ``2 / L`` (Nesterov,
*Introductory Lectures on Convex Optimization*, 2004, section 2.1.5). The
accelerated method (FISTA) needs ``1 / L`` (Beck & Teboulle, 2009). That is
why ``learning_rate`` is a multiple of ``1 / L``: 1.0 is the safe step of
every data set.

For the data term of the objective, ``F(w) = sum_i sw_i l(y_i, z_i . w) /
sum(sw)`` with standardized rows ``z_i`` (and a 1 for the intercept), the
Hessian is ``Z.T @ diag(sw_i l''_i) @ Z / sum(sw)``. The loss curvature
``l''`` is bounded by a constant ``c`` (1 for the squared error, 1/4 for the
log loss), so

    L <= c * lambda_max(Z.T @ diag(sw) @ Z / sum(sw)).

A mini-batch step must be safe for whatever rows the batch holds: its
objective is an average of per-row terms scaled by ``n / sum(sw)``, whose
curvature is at most ``c * n * sw_i * (||z_i||**2 + 1) / sum(sw)``. The
largest of these bounds every batch, the bound scikit-learn's SAG solvers use
(``get_auto_step_size`` in ``sklearn/linear_model/_sag.py``; Schmidt, Le Roux
& Bach, *Minimizing finite sums with the stochastic average gradient*, 2017).

For batches of ``b`` of the ``n`` rows drawn without replacement, the
step of a variance-reduced method (SAGA) can be set by the *expected
smoothness* of the batches, which runs from the largest row's bound at
``b = 1`` to the full-batch ``L`` at ``b = n`` (Gazagnadou, Gower & Salmon,
*Optimal mini-batch and step sizes for SAGA*, ICML 2019, section 3.2):

    L(b) = n (b - 1) / (b (n - 1)) * L + (n - b) / (b (n - 1)) * L_max.

These functions return the matrix part (the largest eigenvalue or row norm);
:func:`lipschitz` multiplies by the loss curvature;
:func:`minibatch_curvature` combines two bounds that already include it.
"""

import numpy as np
import scipy.sparse as sp

from ._array_api import (
    accumulation_dtype,
    astype,
    get_namespace,
    move_to,
    namespace_of,
    zeros,
)
from ._passes import record_passes
from ._rows import (
    SCRATCH_ELEMENTS,
    SparseRows,
    centered_blocks,
    dense_1d,
    sparse_row_sums,
)

__all__ = [
    "gram_top_eigenvalue",
    "lipschitz",
    "max_row_norm",
    "minibatch_curvature",
    "power_iteration",
]

# SAGA converges for steps up to 1 / (3 L_max) (Defazio, Bach & Lacoste-Julien,
# 2014, theorem 1); at 1 / L_max, the step of scikit-learn's SAG, a few of
# scikit-learn's estimator checks diverged on their tiny data sets.
SAGA_SAFETY = 3.0
# Beyond this many rows, the power iteration works on evenly spaced rows.
POWER_ITERATION_ROWS = 20_000


def lipschitz(loss_curvature: float, top: float, dtype, xp=np) -> float:
    """``loss_curvature * top``, floored at the smallest normal number of ``dtype``.

    The floor keeps the step ``learning_rate / L`` finite on data whose
    standardized features are all zero (every column constant).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._curvature import lipschitz
    >>> lipschitz(0.25, 4.0, np.float64)
    1.0
    """
    return loss_curvature * max(top, float(xp.finfo(dtype).smallest_normal))


def power_iteration(X, sample_weight, standardization, start, n_iter: int):
    """Largest eigenvalue of the weighted Gram matrix of the standardized ``X``.

    ``n_iter`` rounds of the power method on ``v -> Z.T @ diag(sw) @ Z @ v /
    sum(sw)``, computed as products with ``X`` (``Z`` is never built), starting
    from ``start`` (a vector of length n_features, not modified). With an
    intercept the features are centered, so the intercept's direction
    (eigenvalue 1) decouples from theirs: the result is at least 1. Beyond
    ``POWER_ITERATION_ROWS`` rows, evenly spaced rows are used (for dense
    ``X`` a strided view, which copies nothing).

    Returns ``(top, v)``: the eigenvalue estimate and the last eigenvector
    estimate, to warm-start a later call. Each round reads ``X`` twice.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._curvature import power_iteration
    >>> from sklearn_simple._standardization import Standardization
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    >>> std = Standardization.of(X, np.ones(4), fit_intercept=False)
    >>> top, v = power_iteration(X, np.ones(4), std, np.ones(2), n_iter=50)
    >>> round(top, 6)  # Z has orthogonal columns of mean square 1
    1.0
    """
    xp, device = get_namespace(X)
    n_rows = X.shape[0]
    mean, scale = standardization.mean, standardization.scale
    sw = sample_weight
    stride = -(-n_rows // POWER_ITERATION_ROWS)
    if stride > 1 and float(xp.sum(sw[::stride])) > 0:
        # X[::stride] without ", :": scipy would index the columns too.
        X, sw = (X[::stride] if sp.issparse(X) else X[::stride, :]), sw[::stride]
    times, transposed_times = _products(X)
    total = float(xp.sum(sw))
    sw = astype(xp, sw, X.dtype)
    # Copied: the division below must not write into the caller's vector.
    v = astype(xp, move_to(start, xp, device), X.dtype) * 1
    v /= _norm(xp, v)
    top = 0.0
    offset_scale = mean / scale
    for _ in range(n_iter):
        coef = v / scale
        u = times(coef) - offset_scale @ v
        u *= sw
        w = (transposed_times(u) - mean * xp.sum(u)) / scale
        w /= total
        top = _norm(xp, w)
        if top == 0.0:
            break
        v = w / top
    record_passes(2 * n_iter * X.shape[0] / n_rows)
    if standardization.fit_intercept:
        top = max(top, 1.0)
    return top, v


def _products(X):
    """``(v -> X @ v, u -> X.T @ u)`` for vectors; in threads for sparse ``X``."""
    if not sp.issparse(X):
        return (lambda v: dense_1d(X @ v)), (lambda u: dense_1d(X.T @ u))
    rows = SparseRows(X)
    return (
        lambda v: rows.times(v[:, None])[:, 0],
        lambda u: rows.transposed_times(u[:, None])[:, 0],
    )


def max_row_norm(X, sample_weight, standardization, n_rows: int) -> float:
    """``max_i sw_i * (||z_i||**2 + 1) * n_rows / sum(sw)``: the mini-batch bound.

    ``n_rows`` is the number of rows batches are drawn from; the ``+ 1`` is
    the intercept's column of ones (absent without an intercept). One pass
    over ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._curvature import max_row_norm
    >>> from sklearn_simple._standardization import Standardization
    >>> X = np.array([[1.0], [-1.0]])
    >>> std = Standardization.of(X, np.ones(2), fit_intercept=True)
    >>> max_row_norm(X, np.ones(2), std, n_rows=2)  # (1 + 1) * 2 / 2
    2.0
    """
    xp, device = get_namespace(X)
    acc = accumulation_dtype(xp, device, X.dtype)
    mean, scale = standardization.mean, standardization.scale
    inv_var = astype(xp, 1.0 / scale**2, acc)
    if sp.issparse(X):
        m = mean.astype(np.float64) * inv_var
        sq = sparse_row_sums(X, inv_var) - 2 * dense_1d(X @ m) + float(mean @ m)
    else:
        sq = zeros(xp, X.shape[0], acc, device)
        for rows, dev in centered_blocks(X, mean, SCRATCH_ELEMENTS):
            dev /= scale
            dev *= dev
            sq[rows] = astype(xp, xp.sum(dev, axis=1), acc)
    record_passes(1.0)
    sq = xp.where(sq > 0, sq, xp.zeros_like(sq))
    sq += 1.0 if standardization.fit_intercept else 0.0
    weighted = astype(xp, sample_weight, acc) * sq
    return float(xp.max(weighted)) * n_rows / float(xp.sum(sample_weight))


def minibatch_curvature(
    whole: float, largest_row: float, batch_size: int, n_rows: int
) -> float:
    """``L(b)``, the curvature bound of batches of ``batch_size`` rows.

    ``whole`` is the full-batch curvature bound ``L`` and ``largest_row`` the
    largest per-row one ``L_max`` (the ``max_row_norm`` bound), both times
    the loss curvature. The bound of batches of 1 row is ``L_max``; that of a
    batch of every row is ``L``. Between the two it is the larger of the
    expected smoothness and the worst batch's bound ``min(L_max, n L / b)``,
    times ``SAGA_SAFETY``, the margin SAGA's convergence proof needs.

    Examples
    --------
    >>> from sklearn_simple._curvature import minibatch_curvature
    >>> minibatch_curvature(2.0, 20.0, batch_size=1, n_rows=10)  # 3 L_max
    60.0
    >>> minibatch_curvature(2.0, 20.0, batch_size=10, n_rows=10)  # 3 L
    6.0
    >>> minibatch_curvature(2.0, 20.0, batch_size=2, n_rows=10)  # a batch's worst
    30.0
    """
    n, b = n_rows, min(batch_size, n_rows)
    if n == 1:
        return whole
    if b == 1:
        return SAGA_SAFETY * largest_row
    spread = b * (n - 1)
    expected = n * (b - 1) / spread * whole + (n - b) / spread * largest_row
    # No batch's own curvature exceeds n / b times the whole one, nor the
    # largest row's: a step within this bound never overshoots on the batch
    # it is taken on (the expected smoothness alone let a fit of 20 rows in
    # batches of 16 diverge).
    worst = min(largest_row, whole * n / b)
    return SAGA_SAFETY * max(expected, worst)


def gram_top_eigenvalue(A, fit_intercept: bool) -> float:
    """The exact largest eigenvalue of the (d + 1) x (d + 1) matrix ``A``.

    Without an intercept its last row and column (the intercept's) are left out.
    A matrix that overflowed gives inf, which the caller reports (LAPACK's
    own error would not say that X is too large).
    """
    xp = namespace_of(A)[0]
    A = A if fit_intercept else A[:-1, :-1]
    if not bool(xp.all(xp.isfinite(A))):
        return float("inf")
    return float(xp.linalg.eigvalsh(A)[-1])


def _norm(xp, v):
    return float(xp.sqrt(xp.sum(v * v)))
