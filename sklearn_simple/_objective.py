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

import numpy as np
import scipy.sparse as sp

__all__ = ["Objective", "standardization"]

_CHUNK_ELEMENTS = 2**18  # rows are processed in blocks of about 2 MB of float64


def _row_blocks(n_samples, n_features):
    step = max(1, _CHUNK_ELEMENTS // max(n_features, 1))
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def standardization(X, sample_weight, fit_intercept):
    """Weighted column means and scales of ``X``, in ``X``'s dtype.

    Without an intercept the columns are not centered (the model must go
    through the origin), so ``mean`` is zero and ``scale`` is the weighted root
    mean square. Constant columns get scale 1.
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
        for rows in _row_blocks(X.shape[0], d):
            dev = X[rows] - mean_x
            var += sw[rows] @ (dev * dev)
        var /= total
    eps = np.finfo(X.dtype).eps
    n = X.shape[0]
    # A column is constant when its variance is within rounding of zero
    # (the bound scikit-learn's StandardScaler uses). An overflowed variance
    # is not: its infinite scale lets the caller report the overflow.
    constant = np.isfinite(var) & (var <= n * eps * var + (n * mean * eps) ** 2)
    scale = np.where(constant, 1.0, np.sqrt(var))
    return mean.astype(X.dtype), scale.astype(X.dtype)


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
        self.fit_intercept = fit_intercept
        self.normalizer = (
            float(sample_weight.sum()) if normalizer is None else normalizer
        )
        self.counter = PassCounter() if counter is None else counter
        self._pass_fraction = X.shape[0] / (n_rows_full or X.shape[0])

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
            normalizer=len(rows) * self.normalizer / n_rows,
            counter=self.counter,
            n_rows_full=n_rows,
        )

    def _count(self):
        self.counter.passes += self._pass_fraction

    def raw(self, theta):
        """Raw scores ``Z @ W + b`` of the rows, as ``X @ coef + intercept``."""
        self._count()
        return self.scores(self.X, theta)

    def scores(self, X, theta):
        """Raw scores of other rows ``X`` (not counted as a pass)."""
        coef, intercept = self.unstandardize(theta)
        return np.asarray(X @ coef) + intercept

    def unstandardize(self, theta):
        """``(coef, intercept)`` for the original features, coef ``(d, k)``."""
        coef = theta[:-1] / self.scale[:, None]
        return coef, theta[-1] - self.mean @ coef

    def standardize(self, coef, intercept):
        """Inverse of :meth:`unstandardize`."""
        theta = np.empty((coef.shape[0] + 1, coef.shape[1]), dtype=self.X.dtype)
        theta[:-1] = coef * self.scale[:, None]
        theta[-1] = intercept + self.mean @ coef if self.fit_intercept else 0.0
        return theta

    def data_loss(self, raw):
        """Weighted mean loss of raw scores (the smooth part of ``F``)."""
        per_sample = self.loss.value(self.Y, raw).sum(axis=1)
        return float(self.sample_weight @ per_sample) / self.normalizer

    def penalty(self, theta):
        coef = theta[:-1] / self.scale[:, None]
        return 0.5 * self.alpha * float(np.sum(coef * coef))

    def value(self, raw, theta):
        return self.data_loss(raw) + self.penalty(theta)

    def gradient(self, raw):
        """Gradient of the data loss with respect to ``theta``."""
        G = self.loss.derivative(self.Y, raw)
        G *= (self.sample_weight / self.normalizer).astype(G.dtype)[:, None]
        self._count()
        XtG = np.asarray(self.X.T @ G)
        g_sum = G.sum(axis=0)
        grad = np.empty((XtG.shape[0] + 1, XtG.shape[1]), dtype=XtG.dtype)
        grad[:-1] = (XtG - self.mean[:, None] * g_sum) / self.scale[:, None]
        grad[-1] = g_sum if self.fit_intercept else 0.0
        return grad

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
            for rows in _row_blocks(X.shape[0], X.shape[1]):
                dev = (X[rows] - self.mean) / self.scale
                sq[rows] = np.einsum("ij,ij->i", dev, dev)
        self.counter.passes += 1
        sq = np.maximum(sq, 0.0) + (1.0 if self.fit_intercept else 0.0)
        bound = float(np.max(self.sample_weight * sq)) * n_rows / self.normalizer
        return self.loss.curvature * max(bound, np.finfo(X.dtype).tiny)
