"""The training objective on implicitly standardized data.

The weights are learned for standardized features ``Z = (X - mean) / scale``
(weighted statistics), which makes badly scaled data as easy as well scaled
data, but ``Z`` is never materialised: every product with it is rewritten as a
product with ``X`` plus an O(n_features) correction, so sparse ``X`` stays
sparse, read-only ``X`` is never written and no copy of ``X`` is made.

Parameters are one array ``theta`` of shape ``(n_features + 1, n_outputs)``:
the weights for ``Z`` on top, the intercept in the last row. This module is
the only place that multiplies by ``X`` or ``X.T``; it counts those products in
``passes`` (one pass = one product with all rows of ``X``).
"""

from functools import cached_property

import numpy as np
import scipy.sparse as sp

__all__ = ["GramObjective", "Objective", "standardization"]

# Rows are processed in blocks of about 2 MB of float64: small enough to stay
# in cache between the two products of an epoch. Loops that make a scratch
# copy of their block use a quarter of that, to keep the extra memory small.
_BLOCK_ELEMENTS = 2**18
_SCRATCH_ELEMENTS = 2**16


def _row_blocks(n_samples, n_features, elements=_BLOCK_ELEMENTS):
    step = max(1, elements // max(n_features, 1))
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def _centered_blocks(X, mean, elements):
    """``(rows, X[rows] - mean)`` block by block, in one reused scratch array.

    Allocating a fresh block each time costs page faults that can take longer
    than the arithmetic on it. The yielded array is overwritten by the next
    block: use it before asking for the next.
    """
    d = X.shape[1]
    scratch = np.empty((max(1, elements // max(d, 1)), d), dtype=X.dtype)
    for rows in _row_blocks(X.shape[0], d, elements):
        dev = scratch[: rows.stop - rows.start]
        np.subtract(X[rows], mean, out=dev)
        yield rows, dev


def standardization(X, sample_weight, fit_intercept):
    """Weighted column means and scales of ``X`` (in its dtype), constant columns.

    Without an intercept the columns are not centered (the model must go
    through the origin), so ``mean`` is zero and ``scale`` is the weighted root
    mean square. Constant columns get scale 1 and are flagged in ``constant``.
    """
    sw = sample_weight.astype(X.dtype, copy=False)
    total = float(sample_weight.sum())
    d = X.shape[1]
    if fit_intercept:
        mean = np.asarray(X.T @ sw, dtype=np.float64).ravel() / total
    else:
        mean = np.zeros(d)
    if sp.issparse(X):
        second = np.asarray(X.multiply(X).T @ sw, dtype=np.float64).ravel() / total
        var = np.maximum(second - mean**2, 0.0)
    else:
        # Two passes (mean, then squared deviations) avoid the cancellation of
        # E[x^2] - E[x]^2 on columns whose mean is large against their spread.
        var = np.zeros(d)
        mean_x = mean.astype(X.dtype)
        for rows, dev in _centered_blocks(X, mean_x, _SCRATCH_ELEMENTS):
            dev *= dev
            var += sw[rows] @ dev
        var /= total
    return (mean.astype(X.dtype), *_scale(var, mean, X.shape[0], X.dtype))


def _scale(var, mean, n_samples, dtype):
    """Standard deviations (1 for constant columns, in ``dtype``), constant columns."""
    eps = np.finfo(dtype).eps
    # A column is constant when its variance is within rounding of zero
    # (the bound scikit-learn's StandardScaler uses). An overflowed variance
    # is not: its infinite scale lets the caller report the overflow.
    bound = n_samples * eps * var + (n_samples * mean * eps) ** 2
    constant = np.isfinite(var) & (var <= bound)
    return np.where(constant, 1.0, np.sqrt(var)).astype(dtype), constant


class PassCounter:
    """Counts products with ``X`` in units of full passes over its rows."""

    def __init__(self):
        self.passes = 0.0


class Objective:
    """Weighted mean loss plus L2 penalty, on standardized features.

    ``F(theta) = sum_i sw_i * sum_k loss(y_ik, p_ik) / normalizer
    + alpha / 2 * ||coef||**2`` with ``p = Z @ W + b`` and ``coef = W / scale``.
    The normalizer is ``sum(sw)`` for the full data; a mini-batch uses
    ``len(batch) * sum(sw) / n`` so that its gradient is an unbiased estimate
    of the full one even when the batch's own weights sum to zero.

    The weights of ``constant`` columns stay at 0: their gradient is zero in
    exact arithmetic, and in floating point ``X @ coef - mean @ coef`` would
    cancel catastrophically on a constant far from 0, so it is set to 0.
    """

    def __init__(
        self,
        X,
        Y,
        sample_weight,
        loss,
        alpha,
        mean,
        scale,
        fit_intercept,
        constant=None,
        normalizer=None,
        counter=None,
        n_rows_full=None,
    ):
        self.X = X
        self.Y = Y
        self.sample_weight = sample_weight
        self.loss = loss
        self.alpha = alpha
        self.mean = mean
        self.scale = scale
        self.constant = np.zeros(len(scale), bool) if constant is None else constant
        self.fit_intercept = fit_intercept
        self.normalizer = (
            float(sample_weight.sum()) if normalizer is None else normalizer
        )
        self.counter = PassCounter() if counter is None else counter
        self._pass_fraction = X.shape[0] / (n_rows_full or X.shape[0])

    @cached_property
    def _weight(self):
        """Each row's share of the mean loss, in the dtype of X."""
        return (self.sample_weight / self.normalizer).astype(self.X.dtype)

    def batch(self, rows, n_rows):
        """The objective restricted to ``rows``, scaled as an unbiased estimate."""
        return Objective(
            self.X[rows],
            self.Y[rows],
            self.sample_weight[rows],
            self.loss,
            self.alpha,
            self.mean,
            self.scale,
            self.fit_intercept,
            constant=self.constant,
            normalizer=len(rows) * self.normalizer / n_rows,
            counter=self.counter,
            n_rows_full=n_rows,
        )

    def _count(self):
        self.counter.passes += self._pass_fraction

    def unstandardize(self, theta):
        """``(coef, intercept)`` for the original features, coef ``(d, k)``."""
        coef = theta[:-1] / self.scale[:, None]
        return coef, theta[-1] - self.mean @ coef

    def standardize(self, coef, intercept):
        """Inverse of :meth:`unstandardize`."""
        theta = np.empty((coef.shape[0] + 1, coef.shape[1]), dtype=self.X.dtype)
        theta[:-1] = coef * self.scale[:, None]
        theta[-1] = intercept + self.mean @ coef if self.fit_intercept else 0.0
        # On these rows a constant column's term is part of the intercept.
        if self.fit_intercept:
            theta[:-1][self.constant] = 0.0
        return theta

    def evaluate(self, x, y=None):
        """Data loss at ``x`` and at ``y``, gradient at ``y``, in one pass over X.

        This is the loop's predict-and-compare step. ``x`` is the current
        weights (its loss is what training reports) and ``y`` the point where
        the next step's gradient is taken (the extrapolated point of Nesterov's
        method; ``None`` means ``x``). The rows of X are visited in blocks
        small enough to stay in cache while both products with the block,
        ``block @ weights`` and ``block.T @ derivative``, are computed:
        X is read from memory once.

        Returns
        -------
        loss_x, loss_y : float
            Weighted mean loss at ``x`` and ``y``.
        grad_y : ndarray of shape (n_features + 1, n_outputs)
            Gradient of the data loss at ``y``.
        """
        k = x.shape[1]
        same = y is None or y is x
        coef, intercept = self.unstandardize(x if same else np.hstack([x, y]))
        X, Y, weight, loss = self.X, self.Y, self._weight, self.loss
        loss_x = loss_y = 0.0
        XtG = np.zeros((X.shape[1], k), dtype=np.float64)
        g_sum = np.zeros(k)
        # A CSC matrix has no cheap row blocks: take it whole.
        if sp.issparse(X) and X.format == "csc":
            blocks = [slice(None)]
        else:
            blocks = _row_blocks(X.shape[0], X.shape[1])
        for rows in blocks:
            block = X[rows]
            raw = np.asarray(block @ coef) + intercept
            rx, ry = (raw, raw) if same else (raw[:, :k], raw[:, k:])
            loss_x += float(weight[rows] @ loss.value(Y[rows], rx).sum(axis=1))
            if not same:
                loss_y += float(weight[rows] @ loss.value(Y[rows], ry).sum(axis=1))
            G = loss.derivative(Y[rows], ry)
            G *= weight[rows, None]
            XtG += np.asarray(block.T @ G)
            g_sum += G.sum(axis=0)
        self._count()
        return loss_x, loss_x if same else loss_y, self._assemble(XtG, g_sum, x.dtype)

    def _assemble(self, XtG, g_sum, dtype):
        """The gradient for ``theta`` from ``X.T @ G`` and ``sum(G)``."""
        grad = np.empty((XtG.shape[0] + 1, XtG.shape[1]), dtype=dtype)
        grad[:-1] = (XtG - self.mean[:, None] * g_sum) / self.scale[:, None]
        grad[:-1][self.constant] = 0.0
        grad[-1] = g_sum if self.fit_intercept else 0.0
        return grad

    def null_loss(self):
        """Data loss of the all-zero model (every prediction 0)."""
        total = 0.0
        for rows in _row_blocks(*self.Y.shape, _SCRATCH_ELEMENTS):
            per_sample = self.loss.value(self.Y[rows], 0.0).sum(axis=1)
            total += float(self._weight[rows] @ per_sample)
        return total

    def penalty(self, theta):
        coef = theta[:-1] / self.scale[:, None]
        return 0.5 * self.alpha * float(np.sum(coef * coef))

    def prox(self, theta, step):
        """Exact proximal step of the L2 penalty (a per-row shrinkage).

        Applying the penalty through its proximal operator keeps the step size
        independent of ``alpha`` and of the feature scales.
        """
        if self.alpha == 0:
            return theta
        shrink = np.ones(theta.shape[0], dtype=theta.dtype)
        shrink[:-1] = 1.0 / (1.0 + step * self.alpha / self.scale**2)
        return theta * shrink[:, None]

    def lipschitz(self, start, n_iter, max_rows=20_000):
        """Largest eigenvalue of the data term's curvature, by power iteration.

        Returns ``(L, v)``: ``L`` bounds the curvature of the data loss along any
        direction (loss curvature times the top eigenvalue of the weighted Gram
        matrix of the standardized features) and ``v`` is the eigenvector
        estimate, to warm-start a later call. With an intercept the features
        are centered, so the intercept's direction (eigenvalue 1) decouples
        from the features'. Beyond ``max_rows`` rows, evenly spaced rows are
        used: for dense ``X`` a strided view, which copies nothing.
        """
        X, sw = self.X, self.sample_weight
        stride = -(-X.shape[0] // max_rows)
        if stride > 1 and sw[::stride].sum() > 0:
            X, sw = X[::stride], sw[::stride]
        total = float(sw.sum())
        sw = sw.astype(X.dtype)
        v = start.astype(X.dtype, copy=True)
        v /= np.linalg.norm(v)
        top = 0.0
        offset_scale = self.mean / self.scale
        for _ in range(n_iter):
            coef = v / self.scale
            u = np.asarray(X @ coef).ravel() - offset_scale @ v
            u *= sw
            w = (np.asarray(X.T @ u).ravel() - self.mean * u.sum()) / self.scale
            w /= total
            top = float(np.linalg.norm(w))
            if top == 0.0:
                break
            v = w / top
        self.counter.passes += 2 * n_iter * X.shape[0] / self.X.shape[0]
        if self.fit_intercept:
            top = max(top, 1.0)
        return self.loss.curvature * max(top, np.finfo(X.dtype).tiny), v

    def max_row_curvature(self, n_rows):
        """Bound on the curvature of any single weighted sample's term.

        ``max_i sw_i * (||z_i||**2 + 1) * n_rows / sum(sw)`` times the loss
        curvature, where ``n_rows`` is the number of rows batches are drawn
        from: the safe step for a mini-batch of any composition.
        """
        X = self.X
        inv_var = (1.0 / self.scale**2).astype(np.float64)
        if sp.issparse(X):
            m = self.mean.astype(np.float64) * inv_var
            sq = (
                np.asarray(X.multiply(X) @ inv_var).ravel()
                - 2 * np.asarray(X @ m).ravel()
                + float(self.mean @ m)
            )
        else:
            sq = np.empty(X.shape[0])
            for rows, dev in _centered_blocks(X, self.mean, _SCRATCH_ELEMENTS):
                dev /= self.scale
                sq[rows] = np.einsum("ij,ij->i", dev, dev)
        self.counter.passes += 1
        sq = np.maximum(sq, 0.0) + (1.0 if self.fit_intercept else 0.0)
        bound = float(np.max(self.sample_weight * sq)) * n_rows / self.normalizer
        return self.loss.curvature * max(bound, np.finfo(X.dtype).tiny)


class GramObjective(Objective):
    """The squared error through its sufficient statistics.

    The squared error is quadratic in ``theta``: with ``A = Z1.T @ diag(sw) @ Z1
    / sum(sw)`` (``Z1`` is ``Z`` with a column of ones), ``B = Z1.T @ (sw * y) /
    sum(sw)`` and ``c = sum(sw * y**2) / (2 sum(sw))`` the data loss is
    ``theta.T @ A @ theta / 2 - B.T @ theta + c``. One pass over ``X`` computes
    ``A``, ``B`` and ``c``; every epoch then costs ``O(d**2)`` instead of two
    passes over ``X``, while the loop, the step rules and the losses it reports
    stay the same. ``y`` is centered first (its mean moves into the intercept)
    so that the quadratic form does not cancel catastrophically when the mean
    of ``y`` is large against its spread.

    """

    def __init__(self, X, Y, sample_weight, loss, alpha, fit_intercept):
        total = float(sample_weight.sum())
        sw = sample_weight.astype(X.dtype, copy=False)
        d, k = X.shape[1], Y.shape[1]
        mean = np.zeros(d)
        if fit_intercept:
            mean = np.asarray(X.T @ sw, dtype=np.float64).ravel() / total
        y_mean = (sw @ Y) / total if fit_intercept else np.zeros(k)
        gram, cross, offset, y_square = _centered_gram(
            X, Y, sw, mean.astype(X.dtype), y_mean.astype(Y.dtype)
        )
        var = np.maximum(np.diag(gram) / total, 0.0)
        scale, constant = _scale(var, mean, X.shape[0], X.dtype)
        super().__init__(
            X,
            Y,
            sample_weight,
            loss,
            alpha,
            mean.astype(X.dtype),
            scale.astype(X.dtype),
            fit_intercept,
            constant=constant,
        )
        self.counter.passes = 2.0 if fit_intercept else 1.0
        A = np.empty((d + 1, d + 1))
        A[:-1, :-1] = gram / np.outer(scale, scale) / total
        A[:-1, -1] = A[-1, :-1] = offset / scale / total
        A[-1, -1] = 1.0
        self.A = A
        self.B = np.vstack([cross / scale[:, None] / total, np.zeros((1, k))])
        self.c = 0.5 * y_square / total
        self.y_mean = y_mean

    def _quadratic(self, theta):
        """Data loss and gradient of the quadratic form at ``theta``."""
        t = theta.astype(np.float64)
        t[-1] -= self.y_mean  # the intercept relative to the mean of y
        At = self.A @ t
        value = 0.5 * np.sum(t * At) - np.sum(self.B * t) + self.c
        grad = At - self.B
        grad[:-1][self.constant] = 0.0
        if not self.fit_intercept:
            grad[-1] = 0.0
        # Rounding can take the last digits of a zero loss below zero.
        return max(float(value), 0.0), grad.astype(theta.dtype)

    def evaluate(self, x, y=None):
        """As :meth:`Objective.evaluate`, from the statistics: no pass over X."""
        loss_x, grad_x = self._quadratic(x)
        if y is None or y is x:
            return loss_x, loss_x, grad_x
        loss_y, grad_y = self._quadratic(y)
        return loss_x, loss_y, grad_y

    def null_loss(self):
        return self._quadratic(np.zeros_like(self.B))[0]

    def lipschitz(self, start, n_iter, max_rows=None):
        """The exact largest eigenvalue of ``A``, times the loss curvature."""
        A = self.A if self.fit_intercept else self.A[:-1, :-1]
        top = max(float(np.linalg.eigvalsh(A)[-1]), np.finfo(self.X.dtype).tiny)
        return self.loss.curvature * top, start


def _centered_gram(X, Y, sw, mean, y_mean):
    """Weighted sums over the rows, with ``x`` and ``y`` centered, in one pass.

    Returns ``sum(sw (x - mean) (x - mean).T)``, ``sum(sw (x - mean) (y -
    y_mean).T)``, ``sum(sw (x - mean))`` and ``sum(sw |y - y_mean|**2)``,
    computed by blocks of rows: no copy of X and no vector as long as X.
    """
    d, k = X.shape[1], Y.shape[1]
    if sp.issparse(X):
        Yc = Y - y_mean
        weighted = X.multiply(sw[:, None]).tocsr()
        total = float(sw.sum())
        col_sums = np.asarray(weighted.sum(axis=0)).ravel()
        gram = np.asarray((X.T @ weighted).todense(), dtype=np.float64)
        gram -= np.outer(col_sums, mean) + np.outer(mean, col_sums)
        gram += total * np.outer(mean, mean)
        cross = np.asarray(weighted.T @ Yc, dtype=np.float64) - np.outer(mean, sw @ Yc)
        y_square = float(sw @ np.sum(Yc * Yc, axis=1))
        return gram, cross, col_sums - total * mean, y_square
    gram = np.zeros((d, d))
    cross = np.zeros((d, k))
    offset = np.zeros(d)
    y_square = 0.0
    for rows, dev in _centered_blocks(X, mean, _BLOCK_ELEMENTS):
        # Weighting both sides by sqrt(sw) makes the product dev.T @ dev,
        # which numpy computes as a symmetric rank-k update: half the work.
        root = np.sqrt(sw[rows])
        dev *= root[:, None]
        gram += dev.T @ dev
        y_dev = (Y[rows] - y_mean) * root[:, None]
        cross += dev.T @ y_dev
        offset += root @ dev
        y_square += float(np.sum(y_dev * y_dev))
    return gram, cross, offset, y_square
