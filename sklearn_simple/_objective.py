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

Everything is computed in the array namespace of ``X`` (see ``_array_api``):
numpy by default, or e.g. PyTorch on a GPU under array API dispatch.
"""

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ._array_api import (
    accumulation_dtype,
    asarray,
    astype,
    bool_dtype,
    concat,
    get_namespace,
    move_to,
    namespace_of,
    sum_along,
    zero_like,
    zeros,
)

__all__ = ["GramObjective", "Objective", "standardization", "take_rows"]

# Rows are processed in blocks of about 2 MB of float64: small enough to stay
# in cache between the two products of an epoch. Loops that make a scratch
# copy of their block use a quarter of that, to keep the extra memory small.
_BLOCK_ELEMENTS = 2**18
_SCRATCH_ELEMENTS = 2**16
# Other namespaces get large blocks: a GPU needs big products to be busy, and
# every block's result that is read back to the host waits for the device.
_DEVICE_BLOCK_ELEMENTS = 2**24


def _row_blocks(n_samples, n_features, elements=_BLOCK_ELEMENTS):
    step = max(1, elements // max(n_features, 1))
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def _centered_blocks(X, mean, elements):
    """``(rows, X[rows] - mean)`` block by block, in one reused scratch array.

    Allocating a fresh block each time costs page faults that can take longer
    than the arithmetic on it. The yielded array is overwritten by the next
    block: use it before asking for the next. Namespaces other than numpy
    have no ``out=``: they get a new, larger block each time.
    """
    d = X.shape[1]
    if not isinstance(X, np.ndarray):
        for rows in _row_blocks(X.shape[0], d, _DEVICE_BLOCK_ELEMENTS):
            yield rows, X[rows, :] - mean
        return
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
    xp, device = get_namespace(X)
    acc = accumulation_dtype(xp, device, X.dtype)
    sw = astype(xp, sample_weight, X.dtype)
    total = float(xp.sum(sample_weight))
    d = X.shape[1]
    if fit_intercept:
        mean = astype(xp, _dense(X.T @ sw), acc) / total
    else:
        mean = zeros(xp, d, acc, device)
    if sp.issparse(X):
        second = _dense(X.multiply(X).T @ sw).astype(np.float64) / total
        var = np.maximum(second - mean**2, 0.0)
    else:
        # Two passes (mean, then squared deviations) avoid the cancellation of
        # E[x^2] - E[x]^2 on columns whose mean is large against their spread.
        var = zeros(xp, d, acc, device)
        mean_x = astype(xp, mean, X.dtype)
        for rows, dev in _centered_blocks(X, mean_x, _SCRATCH_ELEMENTS):
            dev *= dev
            var += sw[rows] @ dev
        var /= total
    return (astype(xp, mean, X.dtype), *_scale(xp, var, mean, X.shape[0], X.dtype))


def _dense(product):
    """A product of a sparse matrix as a dense 1-D array (others unchanged)."""
    return np.asarray(product).ravel() if isinstance(product, np.matrix) else product


def _scale(xp, var, mean, n_samples, dtype):
    """Standard deviations (1 for constant columns, in ``dtype``), constant columns."""
    eps = xp.finfo(dtype).eps
    # A column is constant when its variance is within rounding of zero
    # (the bound scikit-learn's StandardScaler uses). An overflowed variance
    # is not: its infinite scale lets the caller report the overflow.
    bound = n_samples * eps * var + (n_samples * mean * eps) ** 2
    constant = xp.isfinite(var) & (var <= bound)
    scale = xp.where(constant, xp.ones_like(var), xp.sqrt(var))
    return astype(xp, scale, dtype), constant


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

    ``X``, ``Y``, ``sample_weight``, ``mean`` and ``scale`` are arrays of one
    namespace and device (``xp``, ``device``), and so are ``theta`` and the
    gradients; losses are returned as Python floats.
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
        namespace=None,
    ):
        self.X = X
        self.Y = Y
        self.sample_weight = sample_weight
        self.loss = loss
        self.alpha = alpha
        self.mean = mean
        self.scale = scale
        # A batch inherits its parent's namespace: it is made once per batch.
        self.xp, self.device = namespace or get_namespace(X)
        xp = self.xp
        self.constant = (
            zeros(xp, scale.shape[0], bool_dtype(xp), self.device)
            if constant is None
            else constant
        )
        self.fit_intercept = fit_intercept
        self.normalizer = (
            float(xp.sum(sample_weight)) if normalizer is None else normalizer
        )
        self.counter = PassCounter() if counter is None else counter
        self._pass_fraction = X.shape[0] / (n_rows_full or X.shape[0])
        self._acc = accumulation_dtype(xp, self.device, X.dtype)

    @cached_property
    def _weight(self):
        """Each row's share of the mean loss, in the dtype of X."""
        return astype(self.xp, self.sample_weight / self.normalizer, self.X.dtype)

    def batch(self, rows, n_rows):
        """The objective restricted to ``rows``, scaled as an unbiased estimate.

        ``rows`` are integer row indices, as numpy or in the namespace of X.
        """
        return Objective(
            take_rows(self.X, rows),
            take_rows(self.Y, rows),
            take_rows(self.sample_weight, rows),
            self.loss,
            self.alpha,
            self.mean,
            self.scale,
            self.fit_intercept,
            constant=self.constant,
            normalizer=rows.shape[0] * self.normalizer / n_rows,
            counter=self.counter,
            n_rows_full=n_rows,
            namespace=(self.xp, self.device),
        )

    def _count(self):
        self.counter.passes += self._pass_fraction

    def unstandardize(self, theta):
        """``(coef, intercept)`` for the original features, coef ``(d, k)``."""
        coef = theta[:-1, :] / self.scale[:, None]
        return coef, theta[-1, :] - self.mean @ coef

    def standardize(self, coef, intercept):
        """Inverse of :meth:`unstandardize`."""
        xp = self.xp
        weights = coef * self.scale[:, None]
        if self.fit_intercept:
            # On these rows a constant column's term is part of the intercept.
            weights = xp.where(self.constant[:, None], xp.zeros_like(weights), weights)
            bias = intercept + self.mean @ coef
        else:
            bias = xp.zeros_like(intercept)
        theta = concat(xp, [weights, bias[None, :]], axis=0)
        return astype(xp, theta, self.X.dtype)

    def _blocks(self):
        """Row blocks for :meth:`evaluate`: cache-sized for numpy, else large."""
        X = self.X
        # A CSC matrix has no cheap row blocks: take it whole.
        if sp.issparse(X) and X.format == "csc":
            return [slice(None)]
        elements = _BLOCK_ELEMENTS if self.xp is np else _DEVICE_BLOCK_ELEMENTS
        return _row_blocks(X.shape[0], X.shape[1], elements)

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
        grad_y : array of shape (n_features + 1, n_outputs)
            Gradient of the data loss at ``y``.
        """
        xp = self.xp
        k = x.shape[1]
        same = y is None or y is x
        coef, intercept = self.unstandardize(x if same else concat(xp, [x, y], 1))
        X, Y, weight, loss = self.X, self.Y, self._weight, self.loss
        # Losses are summed as Python floats (float64), one read-back per
        # block: blocks are few on a GPU, and a float is cheaper than a 0-d
        # array for the many small blocks of numpy and of mini-batches.
        loss_x = loss_y = 0.0
        XtG = zeros(xp, (X.shape[1], k), self._acc, self.device)
        g_sum = zeros(xp, k, self._acc, self.device)
        for rows in self._blocks():
            block = X if rows == slice(None) else X[rows, :]
            raw = _dense_2d(block @ coef) + intercept
            rx, ry = (raw, raw) if same else (raw[:, :k], raw[:, k:])
            w, y_rows = weight[rows], Y[rows, :]
            loss_x += float(w @ sum_along(xp, loss.value(y_rows, rx, xp), axis=1))
            if not same:
                loss_y += float(w @ sum_along(xp, loss.value(y_rows, ry, xp), axis=1))
            G = loss.derivative(y_rows, ry, xp)
            G *= w[:, None]
            XtG += _dense_2d(block.T @ G)
            g_sum += sum_along(xp, G, axis=0)
        self._count()
        return loss_x, loss_x if same else loss_y, self._assemble(XtG, g_sum, x.dtype)

    def _assemble(self, XtG, g_sum, dtype):
        """The gradient for ``theta`` from ``X.T @ G`` and ``sum(G)``."""
        xp = self.xp
        if xp is np:
            # In place, without temporaries: mini-batches assemble per batch.
            grad = np.empty((XtG.shape[0] + 1, XtG.shape[1]), dtype=dtype)
            grad[:-1] = (XtG - self.mean[:, None] * g_sum) / self.scale[:, None]
            grad[:-1][self.constant] = 0.0
            grad[-1] = g_sum if self.fit_intercept else 0.0
            return grad
        mean, scale = (astype(xp, a, self._acc) for a in (self.mean, self.scale))
        top = (XtG - mean[:, None] * g_sum) / scale[:, None]
        top = xp.where(self.constant[:, None], xp.zeros_like(top), top)
        bottom = g_sum if self.fit_intercept else xp.zeros_like(g_sum)
        return astype(xp, concat(xp, [top, bottom[None, :]], axis=0), dtype)

    def null_loss(self):
        """Data loss of the all-zero model (every prediction 0)."""
        xp = self.xp
        total = zeros(xp, (), self._acc, self.device)
        for rows in _row_blocks(*self.Y.shape, _SCRATCH_ELEMENTS):
            Y = self.Y[rows, :]
            per_sample = xp.sum(self.loss.value(Y, zero_like(xp, Y), xp), axis=1)
            total += self._weight[rows] @ per_sample
        return float(total)

    def penalty(self, theta):
        coef = theta[:-1, :] / self.scale[:, None]
        return 0.5 * self.alpha * float(self.xp.sum(coef * coef))

    def prox(self, theta, step):
        """Exact proximal step of the L2 penalty (a per-row shrinkage).

        Applying the penalty through its proximal operator keeps the step size
        independent of ``alpha`` and of the feature scales.
        """
        if self.alpha == 0:
            return theta
        xp = self.xp
        shrink = 1.0 / (1.0 + step * self.alpha / self.scale**2)
        one = xp.ones_like(shrink[:1])  # the intercept is not penalised
        shrink = astype(xp, concat(xp, [shrink, one], axis=0), theta.dtype)
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
        xp = self.xp
        X, sw = self.X, self.sample_weight
        stride = -(-X.shape[0] // max_rows)
        if stride > 1 and float(xp.sum(sw[::stride])) > 0:
            X, sw = X[::stride, :], sw[::stride]
        total = float(xp.sum(sw))
        sw = astype(xp, sw, X.dtype)
        # Copied: the division below must not write into the caller's vector.
        v = astype(xp, move_to(start, xp, self.device), X.dtype) * 1
        v /= _norm(xp, v)
        top = 0.0
        offset_scale = self.mean / self.scale
        for _ in range(n_iter):
            coef = v / self.scale
            u = _dense(X @ coef) - offset_scale @ v
            u *= sw
            w = (_dense(X.T @ u) - self.mean * xp.sum(u)) / self.scale
            w /= total
            top = _norm(xp, w)
            if top == 0.0:
                break
            v = w / top
        self.counter.passes += 2 * n_iter * X.shape[0] / self.X.shape[0]
        if self.fit_intercept:
            top = max(top, 1.0)
        return self.loss.curvature * max(
            top, float(xp.finfo(X.dtype).smallest_normal)
        ), v

    def max_row_curvature(self, n_rows):
        """Bound on the curvature of any single weighted sample's term.

        ``max_i sw_i * (||z_i||**2 + 1) * n_rows / sum(sw)`` times the loss
        curvature, where ``n_rows`` is the number of rows batches are drawn
        from: the safe step for a mini-batch of any composition.
        """
        xp = self.xp
        X = self.X
        acc = self._acc
        inv_var = astype(xp, 1.0 / self.scale**2, acc)
        if sp.issparse(X):
            m = self.mean.astype(np.float64) * inv_var
            sq = (
                _dense(X.multiply(X) @ inv_var)
                - 2 * _dense(X @ m)
                + float(self.mean @ m)
            )
        else:
            sq = zeros(xp, X.shape[0], acc, self.device)
            for rows, dev in _centered_blocks(X, self.mean, _SCRATCH_ELEMENTS):
                dev /= self.scale
                dev *= dev
                sq[rows] = astype(xp, xp.sum(dev, axis=1), acc)
        self.counter.passes += 1
        sq = xp.where(sq > 0, sq, xp.zeros_like(sq))
        sq += 1.0 if self.fit_intercept else 0.0
        weighted = astype(xp, self.sample_weight, acc) * sq
        bound = float(xp.max(weighted)) * n_rows / self.normalizer
        return self.loss.curvature * max(
            bound, float(xp.finfo(X.dtype).smallest_normal)
        )


def take_rows(array, rows):
    """``array[rows]`` for an array of any namespace, or sparse.

    ``rows`` are integer indices, as numpy or in the namespace of ``array``.
    """
    if isinstance(array, np.ndarray) or sp.issparse(array):
        return array[rows]
    xp, device = namespace_of(array)
    return xp.take(array, asarray(xp, rows, xp.int64, device), axis=0)


def _norm(xp, v):
    return float(xp.sqrt(xp.sum(v * v)))


def _dense_2d(product):
    """A product of a sparse matrix as a dense 2-D array (others unchanged)."""
    return np.asarray(product) if isinstance(product, np.matrix) else product


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
        xp, device = get_namespace(X)
        acc = accumulation_dtype(xp, device, X.dtype)
        total = float(xp.sum(sample_weight))
        sw = astype(xp, sample_weight, X.dtype)
        d, k = X.shape[1], Y.shape[1]
        mean = zeros(xp, d, acc, device)
        y_mean = zeros(xp, k, acc, device)
        if fit_intercept:
            mean = astype(xp, _dense(X.T @ sw), acc) / total
            y_mean = astype(xp, sw @ Y, acc) / total
        gram, cross, offset, y_square = _centered_gram(
            X, Y, sw, astype(xp, mean, X.dtype), astype(xp, y_mean, Y.dtype), acc
        )
        var = xp.linalg.diagonal(gram) if xp is not np else np.diag(gram)
        var = xp.where(var > 0, var, xp.zeros_like(var)) / total
        scale, constant = _scale(xp, var, mean, X.shape[0], X.dtype)
        super().__init__(
            X,
            Y,
            sample_weight,
            loss,
            alpha,
            astype(xp, mean, X.dtype),
            scale,
            fit_intercept,
            constant=constant,
        )
        self.counter.passes = 2.0 if fit_intercept else 1.0
        scale = astype(xp, scale, acc)
        edge = (offset / scale / total)[None, :]
        A = gram / (scale[:, None] * scale[None, :]) / total
        corner = xp.ones_like(A[:1, :1])
        self.A = concat(
            xp,
            [concat(xp, [A, edge.T], axis=1), concat(xp, [edge, corner], axis=1)],
            axis=0,
        )
        self.B = concat(
            xp, [cross / scale[:, None] / total, zeros(xp, (1, k), acc, device)], 0
        )
        self.c = 0.5 * y_square / total
        # Per epoch, the intercept is taken relative to the mean of y, and
        # the gradient is kept only for the varying columns (and the
        # intercept, when there is one).
        self._shift = concat(
            xp, [zeros(xp, (d, k), acc, device), xp.reshape(y_mean, (1, -1))], 0
        )
        keep = asarray(xp, [fit_intercept], bool_dtype(xp), device)
        self._keep = concat(xp, [~constant, keep], axis=0)[:, None]

    def _quadratic(self, theta):
        """Data loss and gradient of the quadratic form at ``theta``."""
        xp = self.xp
        t = astype(xp, theta, self._acc) - self._shift
        At = self.A @ t
        value = 0.5 * xp.sum(t * At) - xp.sum(self.B * t) + self.c
        grad = xp.where(self._keep, At - self.B, xp.zeros_like(At))
        # Rounding can take the last digits of a zero loss below zero.
        return max(float(value), 0.0), astype(xp, grad, theta.dtype)

    def evaluate(self, x, y=None):
        """As :meth:`Objective.evaluate`, from the statistics: no pass over X."""
        loss_x, grad_x = self._quadratic(x)
        if y is None or y is x:
            return loss_x, loss_x, grad_x
        loss_y, grad_y = self._quadratic(y)
        return loss_x, loss_y, grad_y

    def null_loss(self):
        return self._quadratic(self.xp.zeros_like(self.B))[0]

    def lipschitz(self, start, n_iter, max_rows=None):
        """The exact largest eigenvalue of ``A``, times the loss curvature."""
        A = self.A if self.fit_intercept else self.A[:-1, :-1]
        top = float(self.xp.linalg.eigvalsh(A)[-1])
        return self.loss.curvature * max(
            top, float(self.xp.finfo(self.X.dtype).smallest_normal)
        ), start


def _centered_gram(X, Y, sw, mean, y_mean, acc):
    """Weighted sums over the rows, with ``x`` and ``y`` centered, in one pass.

    Returns ``sum(sw (x - mean) (x - mean).T)``, ``sum(sw (x - mean) (y -
    y_mean).T)``, ``sum(sw (x - mean))`` and ``sum(sw |y - y_mean|**2)``, in
    the dtype ``acc``, computed by blocks of rows: no copy of X and no vector
    as long as X.
    """
    xp, device = get_namespace(X)
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
    gram = zeros(xp, (d, d), acc, device)
    cross = zeros(xp, (d, k), acc, device)
    offset = zeros(xp, d, acc, device)
    y_square = zeros(xp, (), acc, device)
    for rows, dev in _centered_blocks(X, mean, _BLOCK_ELEMENTS):
        # Weighting both sides by sqrt(sw) makes the product dev.T @ dev,
        # which numpy computes as a symmetric rank-k update: half the work.
        root = xp.sqrt(sw[rows])
        dev *= root[:, None]
        gram += dev.T @ dev
        y_dev = (Y[rows, :] - y_mean) * root[:, None]
        cross += dev.T @ y_dev
        offset += root @ dev
        y_square += xp.sum(y_dev * y_dev)
    return gram, cross, offset, float(y_square)
