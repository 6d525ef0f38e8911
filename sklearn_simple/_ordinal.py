"""Ordered classes from one score and increasing thresholds: the training side.

The model has one score ``s = z . w`` on the standardized features and
``K - 1`` thresholds ``theta_0 < ... < theta_{K-2}``; the class is the number
of thresholds the score passes. Every loss is a sum of terms in ``s -
theta_j``, so the model is trained by the package's own objective
(``_objective``) on weights of shape ``(n_features + 1, K - 1)`` whose
columns share the coefficients and whose intercept row holds ``-theta_j``:
the score against each threshold is one column of raw scores.

The solver's weights are smaller than that. They are one column of
``n_features + K - 1`` rows::

    [ w (n_features rows) | theta_0 | theta_1 - theta_0 | ... ]

the coefficients, the first threshold and the gaps between consecutive
thresholds. Thresholds stay ordered by this parametrization: the proximal
step keeps every gap positive (see :class:`OrdinalPenalty`).

The proportional-odds likelihood of a class between two thresholds is
``sigmoid(theta_k - s) - sigmoid(theta_{k-1} - s)``, which is 0 when the
thresholds meet, so its curvature has no bound. It factors, though, as
``sigmoid(theta_k - s) * sigmoid(s - theta_{k-1}) * (1 - exp(-gap_k))``: two
logistic terms, whose curvature is at most 1/4 (:class:`CumulativeLogit`),
and a term of the gap alone, ``-log(1 - exp(-gap_k))``. The gap term goes
into the proximal step with the L2 penalty, where its barrier keeps the gap
positive; the gradient step sees only the logistic terms, and the safe step
``learning_rate / L`` keeps its meaning.
"""

import numpy as np

from ._array_api import (
    asarray,
    astype,
    concat,
    copy_of,
    move_to,
    namespace_of,
    ones,
    to_numpy,
    zeros,
)
from ._curvature import lipschitz
from ._objective import UNKNOWN, Evaluation, Excess, L2Penalty

__all__ = [
    "OrdinalObjective",
    "OrdinalPenalty",
    "class_shares",
    "gap_prox",
    "gap_value",
    "ordinal_attributes",
    "ordinal_initial_weights",
]

# Gaps kept at least this large when no barrier holds them apart (a class
# without weight, or the hinge and squared losses): a later partial_fit call
# that has the class then starts from a finite loss.
MIN_GAP = 1e-6
# Newton steps for the proximal step of a gap: from the lower bound it
# starts at, Newton's method converges monotonically and quadratically.
GAP_NEWTON_STEPS = 30


def _positive_root(v, a):
    """``(v + sqrt(v**2 + a)) / 2`` for ``a >= 0``, without cancellation."""
    s = np.sqrt(v * v + a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v >= 0, (v + s) / 2, a / (2 * (s - v)))


def gap_value(gaps, weights) -> float:
    """``sum(weights * -log(1 - exp(-gaps)))`` over the weighted gaps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._ordinal import gap_value
    >>> round(gap_value(np.array([np.log(2.0), 0.0]), np.array([1.0, 0.0])), 6)
    0.693147
    """
    held = weights > 0
    if not held.any():
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -np.log(-np.expm1(-gaps[held]))
    terms = np.where(gaps[held] > 0, terms, np.inf)
    return float(weights[held] @ terms)


def gap_prox(v, step: float, weights):
    """Proximal step of :func:`gap_value` on gaps ``v``: every gap comes out positive.

    For a gap of weight ``c > 0`` it solves ``argmin_g c * -log(1 - exp(-g)) +
    (g - v)**2 / (2 * step)``, whose optimality condition ``h(g) = g - v -
    c * step / expm1(g) = 0`` has an increasing, concave left side: Newton's
    method from a point where ``h <= 0`` climbs to the root without
    overshooting. Such a point is ``(v + sqrt(v**2 + 4 c step exp(-hi))) /
    2``, ``hi`` being the same root with ``exp(-hi)`` left out, an upper
    bound. A gap without weight is projected onto ``g >= MIN_GAP``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._ordinal import gap_prox
    >>> g = gap_prox(np.array([-1.0, 2.0]), 0.5, np.array([1.0, 0.0]))
    >>> float(g[1]), bool(g[0] > 0)
    (2.0, True)
    >>> h = g[0] + 1.0 - 0.5 / np.expm1(g[0])  # the optimality condition
    >>> bool(abs(h) < 1e-12)
    True
    """
    v = np.asarray(v, dtype=np.float64)
    out = np.maximum(v, MIN_GAP)
    held = weights > 0
    if not held.any():
        return out
    v, ct = v[held], weights[held] * step
    hi = _positive_root(v, 4 * ct)
    g = _positive_root(v, 4 * ct * np.exp(-hi))
    for _ in range(GAP_NEWTON_STEPS):
        e = -np.expm1(-g)  # 1 - exp(-g), accurate for small g
        h = g - v - ct * np.exp(-g) / e
        slope = 1.0 + ct * np.exp(-g) / (e * e)
        new = g - h / slope
        if np.all(new <= g * (1 + 4 * np.finfo(float).eps)):
            break
        g = np.maximum(new, g)
    out[held] = g
    return out


class OrdinalPenalty:
    """The L2 penalty on the coefficients plus the gap terms of the likelihood.

    ``gap_weights[k]`` is the share of the total weight of class ``k + 1``
    (a class between two thresholds) for the proportional-odds model, and
    zeros otherwise. Everything about the gaps is computed on the host: there
    are ``K - 2`` of them.
    """

    def __init__(self, l2: L2Penalty, gap_weights, n_features: int):
        self.l2, self.gap_weights, self.d = l2, gap_weights, n_features
        self.alpha = l2.alpha

    def _gaps(self, weights):
        return to_numpy(weights[self.d + 1 :, 0]).astype(np.float64)

    def gap_term(self, weights) -> float:
        """The gap part of :meth:`value`: the likelihood's factor of the gaps."""
        return gap_value(self._gaps(weights), self.gap_weights)

    def value(self, weights) -> float:
        return self.l2.value(weights[: self.d + 1, :]) + self.gap_term(weights)

    def excess_bound(
        self, point, new, gradient, step: float, intercept_curvature: float
    ) -> Excess:
        """Unknown: the thresholds are free, with no known curvature to bound by."""
        return UNKNOWN

    def prox(self, weights, step: float):
        """Shrink the coefficients, keep the first threshold, push gaps apart."""
        xp, device = namespace_of(weights)
        top = self.l2.prox(weights[: self.d + 1, :], step)
        gaps = gap_prox(self._gaps(weights), step, self.gap_weights)
        gaps = asarray(xp, gaps[:, None], weights.dtype, device)
        return concat(xp, [top, gaps], axis=0)


class OrdinalObjective:
    """The objective of an ordinal model, on the solver's weights.

    Wraps ``inner``, an objective (``Objective`` or ``GramObjective``) whose
    targets have one column per threshold: each evaluation expands the
    solver's weights to those columns, and sums the gradient back.
    ``per_row`` is how many thresholds enter a row's loss (2 for the
    proportional odds, all for the all-threshold losses), which the
    curvature bound needs. With ``complete=True`` (a held-out objective) the
    reported loss includes the gap terms, so it is the whole likelihood.
    ``start_thresholds`` are those of the model without features. Build it
    with :meth:`of`.
    """

    def __init__(self, inner, penalty, n_thresholds, per_row, start, complete):
        self.inner, self.penalty, self.per_row = inner, penalty, per_row
        self.start_thresholds, self.complete = start, complete
        self.loss, self.standardization = inner.loss, inner.standardization
        self.sparse = inner.sparse
        self.xp, self.device, self.dtype = inner.xp, inner.device, inner.dtype
        self.d, self.m = penalty.d, n_thresholds
        # theta = T @ (theta_0, gaps): T is lower triangular, all ones.
        T = np.tril(np.ones((n_thresholds, n_thresholds)))
        self._T = asarray(self.xp, T, self.dtype, self.device)
        self._T_norm = float(np.linalg.eigvalsh(T.T @ T)[-1])

    @classmethod
    def of(cls, inner, Y, sample_weight, alpha: float, *, complete=False):
        """The ordinal objective over ``inner``, whose targets ``Y`` are coded
        by ``_multiclass.ordinal_targets``; the gap weights come from them."""
        proportional_odds = inner.loss.name == "cumulative_logit"
        shares = class_shares(Y, sample_weight, proportional_odds)
        n_thresholds = len(shares) - 1
        gap_weights = shares[1:-1] if proportional_odds else np.zeros(len(shares) - 2)
        std = inner.standardization
        penalty = OrdinalPenalty(
            L2Penalty(alpha, std.scale), gap_weights, std.scale.shape[0]
        )
        per_row = min(2, n_thresholds) if proportional_odds else n_thresholds
        start = _start_thresholds(shares)
        return cls(inner, penalty, n_thresholds, per_row, start, complete)

    @property
    def normalizer(self):
        return self.inner.normalizer

    def expand(self, weights):
        """The ``(n_features + 1, K - 1)`` weights of the wrapped objective."""
        xp, d, m = self.xp, self.d, self.m
        w = weights[:d, :] * ones(xp, (1, m), weights.dtype, self.device)
        thresholds = self._T @ weights[d:, :]
        return concat(xp, [w, -thresholds.T], axis=0)

    def contract(self, gradient):
        """The gradient for the solver's weights, from the expanded one."""
        xp, d = self.xp, self.d
        g_w = xp.sum(gradient[:d, :], axis=1, keepdims=True)
        g_t = self._T.T @ -gradient[d:, :].T
        return concat(xp, [g_w, g_t], axis=0)

    def evaluate(
        self,
        weights,
        lookahead=None,
        *,
        lookahead_loss: bool = True,
        extrapolated_from=None,
    ) -> Evaluation:
        # The expanded weights are new arrays: no scores to reuse by identity.
        same = lookahead is None or lookahead is weights
        W = self.expand(weights)
        result = self.inner.evaluate(
            W, None if same else self.expand(lookahead), lookahead_loss=lookahead_loss
        )
        loss, ahead = result.loss, result.lookahead_loss
        if self.complete:
            loss += self.penalty.gap_term(weights)
            if same:
                ahead = loss
            elif ahead is not None:
                ahead += self.penalty.gap_term(lookahead)
        return Evaluation(loss, ahead, self.contract(result.gradient))

    def derivative_change(self, weights, memory):
        """As ``Objective.derivative_change``; the memory is the inner one's."""
        loss, derivatives, change = self.inner.derivative_change(
            self.expand(weights), memory
        )
        return loss, derivatives, self.contract(change)

    def null_loss(self) -> float:
        return self.inner.null_loss()

    def batch(self, rows, n_rows: int) -> "OrdinalObjective":
        return OrdinalObjective(
            self.inner.batch(rows, n_rows),
            self.penalty,
            self.m,
            self.per_row,
            self.start_thresholds,
            self.complete,
        )

    def _bound(self, top: float) -> float:
        """``c * (per_row * top + ||T||**2)``: the curvature bound, see below.

        The Hessian of a row is ``sum_j l''_j a_j a_j.T`` over its thresholds,
        with ``a_j = (z, -T_j)`` and ``l'' <= c``; ``(a . u)**2 <= (1 + e)
        (z . u_w)**2 + (1 + 1/e) (T_j . u_t)**2`` for any ``e > 0``, which
        summed over rows and thresholds and minimised over ``e`` gives
        ``c * (per_row * lambda + ||T||**2)`` with ``lambda`` the top
        eigenvalue of the weighted Gram matrix of the standardized features.
        """
        return self.per_row * top + self._T_norm

    def initial_weights(self, coef=None, thresholds=None):
        """The solver's weights of a model; without one, of the model with
        zero coefficients and the thresholds of the class shares."""
        xp, d, m = self.xp, self.d, self.m
        if coef is None:
            theta = asarray(xp, self.start_thresholds, self.dtype, self.device)
            w = zeros(xp, (d, 1), self.dtype, self.device)
        else:
            coef = xp.reshape(coef, (d, 1)) * ones(xp, (1, m), coef.dtype, self.device)
            W = self.standardization.standardize(coef, -xp.reshape(thresholds, (m,)))
            w, theta = W[:-1, :1], -W[-1, :]
        theta = to_numpy(theta).astype(np.float64)
        free = np.concatenate([theta[:1], np.diff(theta)])[:, None]
        return concat(xp, [w, asarray(xp, free, self.dtype, self.device)], axis=0)

    def reexpress(self, weights, old):
        """``weights`` of the coordinates ``old`` in this objective's; None stays.

        The same coefficients and thresholds on the original features.
        """
        if weights is None:
            return None
        coef, intercept = old.unstandardize(self.expand(weights))
        return self.initial_weights(coef[:, 0], -intercept)

    def curvature(self, start, n_iter: int):
        inner_bound, v = self.inner.curvature(start, n_iter)
        top = inner_bound / self.inner.loss.curvature
        return lipschitz(self.loss.curvature, self._bound(top), self.dtype, self.xp), v

    def row_curvature(self, n_rows: int) -> float:
        # Per row, (||z||**2 + 1) * max(per_row, ||T||**2) bounds the same sum.
        bound = self.inner.row_curvature(n_rows) / self.inner.loss.curvature
        factor = max(self.per_row, self._T_norm)
        return lipschitz(self.loss.curvature, factor * bound, self.dtype, self.xp)


def class_shares(Y, sample_weight, proportional_odds: bool):
    """Each class's share of the total weight (numpy), from the coded targets.

    A target of -1 in column ``j`` means "at or below threshold ``j``": for
    the all-threshold coding that holds for every class up to ``j``, for
    the proportional odds only for class ``j`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._ordinal import class_shares
    >>> Y = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [1.0, 1.0]])
    >>> class_shares(Y, np.ones(4), proportional_odds=False)
    array([0.25, 0.25, 0.5 ])
    """
    xp = namespace_of(Y)[0]
    below = to_numpy(sample_weight @ astype(xp, Y < 0, Y.dtype)).astype(np.float64)
    below /= float(to_numpy(sample_weight).astype(np.float64).sum())
    cumulative = np.cumsum(below) if proportional_odds else below
    return np.diff(np.concatenate([[0.0], cumulative, [1.0]]))


def _start_thresholds(shares):
    """``logit(P(class <= j))``, the thresholds of the model without features.

    Shares are smoothed, so that a class without weight still gets a gap.
    """
    smoothed = shares + 1e-2 / len(shares)
    cumulative = np.cumsum(smoothed / smoothed.sum())[:-1]
    return np.log(cumulative) - np.log1p(-cumulative)


def ordinal_attributes(objective: OrdinalObjective, weights):
    """``coef_`` (1, d), ``intercept_`` (0) and ``thresholds_`` of the weights.

    The score needs no intercept of its own: its location is in the
    thresholds, as in statsmodels' ``OrderedModel``.
    """
    xp = objective.xp
    coef, intercept = objective.standardization.unstandardize(objective.expand(weights))
    return {
        "coef_": copy_of(xp, coef[:, :1].T),
        "intercept_": zeros(xp, 1, coef.dtype, objective.device),
        "thresholds_": -intercept,
    }


def ordinal_initial_weights(estimator, objective: OrdinalObjective):
    """The solver's weights to start from: the last fit's with ``warm_start``
    (when it was an ordinal fit of as many classes), else those of the model
    without features."""
    xp, device = objective.xp, objective.device
    thresholds = getattr(estimator, "thresholds_", None)
    if not estimator.warm_start or thresholds is None:
        return objective.initial_weights()
    if len(thresholds) != objective.m or estimator.coef_.shape[1] != objective.d:
        raise ValueError(
            f"warm_start=True but the fitted model has {len(thresholds) + 1} "
            f"classes and {estimator.coef_.shape[1]} features, the new data "
            f"{objective.m + 1} and {objective.d}; set warm_start=False to start "
            "afresh."
        )
    coef, thresholds = (
        asarray(xp, move_to(a, xp, device), objective.dtype, device)
        for a in (estimator.coef_, thresholds)
    )
    return objective.initial_weights(coef, thresholds)
