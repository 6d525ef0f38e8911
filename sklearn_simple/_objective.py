"""The objective: weighted mean loss plus L2 penalty, at given weights.

``F(w) = sum_i sw_i * sum_k loss(y_ik, p_ik) / normalizer + alpha / 2 *
||coef||**2``, with raw scores ``p = Z @ W + b`` on the standardized features
``Z`` (see ``_standardization``) and ``coef = W / scale``: the penalty is on
the coefficients of the original features, as in Ridge. The normalizer is
``sum(sw)`` for the full data; a mini-batch uses ``len(batch) * sum(sw) / n``
so that its gradient is an unbiased estimate of the full one even when the
batch's own weights sum to zero.

Conventions (those of scikit-learn's ``LinearModelLoss``): the weights are one
array of shape ``(n_features + 1, n_outputs)``, the intercept in the last row;
the data term and the penalty are separate, because the solver takes the
gradient of the first and the proximal step of the second. Two objectives
give the same answers by different arithmetic:

* :class:`Objective` reads the rows of ``X`` (any loss, any batch);
* :class:`GramObjective` reads ``X`` once to build the sufficient statistics
  of the squared error, and then needs no pass over ``X`` at all.

Both have ``evaluate(weights, lookahead)``, ``null_loss()``, ``curvature()``,
``penalty``, ``loss``, ``standardization``, ``dtype``, ``xp`` and ``device``.
This module is the only place that multiplies by ``X`` or ``X.T`` during
training. Everything is computed in the array namespace of ``X`` (see
``_array_api``); losses are returned as Python floats.
"""

import math
from functools import cached_property
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._array_api import (
    accumulation_dtype,
    asarray,
    astype,
    bool_dtype,
    concat,
    get_namespace,
    namespace_of,
    sum_along,
    zero_like,
    zeros,
)
from ._compat import available_threads
from ._curvature import gram_top_eigenvalue, lipschitz, max_row_norm, power_iteration
from ._passes import record_passes
from ._rows import (
    BLOCK_ELEMENTS,
    DEVICE_BLOCK_ELEMENTS,
    SCRATCH_ELEMENTS,
    SparseRows,
    centered_blocks,
    dense_1d,
    in_threads,
    row_blocks,
    sparse_row_chunks,
    sum_in_order,
    take_rows,
)
from ._standardization import Standardization, check_underflow

__all__ = ["UNKNOWN", "Evaluation", "Excess", "GramObjective", "L2Penalty", "Objective"]

# A dense pass over X runs in this many parts of consecutive blocks of rows,
# side by side in threads (numpy's products and arithmetic release the GIL),
# where each part has at least DENSE_PART_BLOCKS blocks. The parts depend on
# X alone, so their sums are the same whatever the number of threads; on
# one thread the parts are read one after the other.
DENSE_PARTS = 2
DENSE_PART_BLOCKS = 4
# Newton's method on the intercept converges quadratically near its best;
# from far, steps capped at 1 take as many as the distance. It reads the
# scores in chunks of rows whose temporaries (32 KB) stay in cache and add
# nothing to a fit's peak memory.
INTERCEPT_NEWTON_STEPS = 50
INTERCEPT_CHUNK_ROWS = 2**12
# A step's move differing from its gradient mapping by this much (relative)
# lost it to rounding; in float64 near convergence the two agree to 1e-8 or
# better until the mapping is ~1e-13 of the weights.
ROUNDING_LOSS = 1e-3


class Evaluation(NamedTuple):
    """What one pass over the data tells the solver."""

    loss: float  # data loss at the weights
    lookahead_loss: float | None  # data loss at the lookahead point, if asked
    gradient: object  # gradient of the data loss at the lookahead point


class Excess(NamedTuple):
    """How far a step landed above the minimum, at most (``inf``: unknown)."""

    bound: float
    # The bound were the intercept at its best for the coefficients: what
    # re-fitting it (``Objective.with_best_intercept``) could show at best.
    at_best_intercept: float


UNKNOWN = Excess(math.inf, math.inf)


class L2Penalty:
    """``alpha / 2 * ||coef||**2`` with ``coef = W / scale``; the intercept is free.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._objective import L2Penalty
    >>> penalty = L2Penalty(alpha=1.0, scale=np.array([2.0]))
    >>> weights = np.array([[4.0], [7.0]])  # coef 2, intercept 7
    >>> penalty.value(weights)
    2.0
    >>> penalty.prox(weights, step=4.0)  # coef shrunk by 1 / (1 + 4 / 2**2)
    array([[2.],
           [7.]])
    """

    def __init__(self, alpha: float, scale):
        self.alpha = alpha
        self.scale = scale
        self._xp = namespace_of(scale)[0]
        self._shrinks = (None, None)  # (step, its factors) of the last prox

    def value(self, weights) -> float:
        if self.alpha == 0:
            # Not 0 * ||coef||**2, which is NaN once the coefficients overflow.
            return 0.0
        total = 0.0
        for rows in self._chunks(weights.shape[1]):
            coef = weights[rows, :] / self.scale[rows][:, None]
            total += _dot(self._xp, coef, coef)
        return 0.5 * self.alpha * total

    def excess_bound(
        self, point, new, gradient, step: float, intercept_curvature: float
    ) -> Excess:
        """How far above its minimum a proximal step of size ``step`` landed.

        The step went from ``point``, where the data loss has ``gradient``,
        to ``new``; its gradient mapping ``g = (point - new) / step`` is the
        objective's gradient, the penalty's included, at ``point``. Let the
        step have met the line search's sufficient-decrease condition. Then,
        for any weights ``x``, the convexity of the data loss at ``point``,
        that condition, and the strong convexity of the penalty at ``new``
        (``alpha / scale**2`` in each coefficient) add up to::

            F(x) >= F(new) + g . (x - new) - step / 2 * ||g||**2
                    + sum(alpha / scale**2 * (x - new)**2) / 2

        whose minimum over ``x`` bounds how far ``F(new)`` is above the
        minimum of ``F``: ``sum((scale * g)**2) / (2 * alpha) + step / 2 *
        ||g||**2`` (the fundamental prox-grad inequality: Beck, *First-Order
        Methods in Optimization*, 2017, section 10.4).

        ``g`` is also known in closed form, ``(gradient + alpha * point /
        scale**2) * shrink``. Where the move ``point - new`` lost it to
        rounding (a step too small to change the weights' last digits),
        there is no bound (``inf``); otherwise the larger of the two counts.

        The free intercept has no curvature from the penalty: it needs the
        loss's own, ``intercept_curvature``. The squared error's is 1
        everywhere, and the features are centered, so that nothing couples
        the intercept to the coefficients: its part is ``g_b**2 / 2``. A log
        loss has none (the mean of ``p * (1 - p)``, as small as the fit is
        confident): there is no bound then (``inf``) unless no intercept is
        fitted (``g_b`` is 0). Counting its intercept with ``alpha`` instead
        fell short by a factor of 3 on imbalanced classes (1 % positive) of
        well separated data. ``inf`` without a penalty. Also returned: the
        bound without the intercept's part (and its gradient's share of the
        step's), what a step would give with the intercept at its best.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_simple._objective import L2Penalty
        >>> penalty = L2Penalty(alpha=0.5, scale=np.array([1.0]))
        >>> point, gradient = np.array([[2.0], [0.0]]), np.array([[-1.0], [0.0]])
        >>> new = penalty.prox(point - gradient, step=1.0)
        >>> penalty.excess_bound(point, new, gradient, 1.0, 0.0)  # a minimum
        Excess(bound=0.0, at_best_intercept=0.0)
        >>> point, gradient = np.zeros((2, 1)), np.array([[0.0], [0.5]])
        >>> new = penalty.prox(point - gradient, step=1.0)
        >>> penalty.excess_bound(point, new, gradient, 1.0, 1.0)  # squared error
        Excess(bound=0.25, at_best_intercept=0.0)
        >>> penalty.excess_bound(point, new, gradient, 1.0, 0.0)  # a log loss
        Excess(bound=inf, at_best_intercept=0.0)
        """
        if self.alpha == 0:
            return UNKNOWN
        xp = self._xp
        shrink = self._shrink(step, point.dtype)
        # g as moved and as computed: their squares, their cross product and
        # their squares in the penalty's metric, summed a chunk of features
        # at a time (whole temporaries here were a fit's peak of memory).
        sums = [0.0] * 5
        for rows in self._chunks(point.shape[1]):
            moved = point[rows, :] - new[rows, :]
            moved /= step
            exact = self._coefficient_gradient(point, gradient, rows)
            exact *= shrink[rows][:, None]
            parts = (
                _dot(xp, moved, moved),
                _dot(xp, exact, exact),
                _dot(xp, moved, exact),
                self._scaled_squares(moved, rows),
                self._scaled_squares(exact, rows),
            )
            sums = [total + part for total, part in zip(sums, parts, strict=True)]
        moved_squares, exact_squares, cross, moved_scaled, exact_scaled = sums
        moved_intercept = (point[-1:, :] - new[-1:, :]) / step
        intercept = gradient[-1:, :]  # the intercept's g: not shrunk
        intercept_squares = _dot(xp, intercept, intercept)
        off = moved_intercept - intercept
        lost = moved_squares + exact_squares - 2 * cross + _dot(xp, off, off)
        if lost > ROUNDING_LOSS**2 * (exact_squares + intercept_squares):
            return UNKNOWN
        coefficients = max(moved_scaled, exact_scaled) / (2 * self.alpha)
        coefficients += step / 2 * max(moved_squares, exact_squares)
        if not intercept_squares:  # no intercept fitted, or at its best
            return Excess(coefficients, coefficients)
        if not intercept_curvature:
            return Excess(math.inf, coefficients)
        intercept = intercept_squares * (step / 2 + 1 / (2 * intercept_curvature))
        return Excess(coefficients + intercept, coefficients)

    def coefficient_bound(self, weights, gradient) -> float:
        """How far the objective at ``weights`` is above its minimum over the
        coefficients, the intercept kept at its best for them.

        ``gradient`` is the data loss's gradient at ``weights``. Minimised
        over the intercept, the objective is still ``alpha /
        scale**2``-strongly convex in each coefficient, so that it exceeds
        its minimum by at most ``sum((scale * g)**2) / (2 * alpha)``, ``g``
        its gradient, the penalty's included (a ``mu``-strongly convex ``f``
        is at most ``||grad f||**2 / (2 * mu)`` above its minimum).
        ``inf`` without a penalty.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_simple._objective import L2Penalty
        >>> penalty = L2Penalty(alpha=0.5, scale=np.array([1.0]))
        >>> weights = np.array([[2.0], [0.0]])  # coef 2, intercept 0
        >>> penalty.coefficient_bound(weights, np.array([[-1.0], [0.0]]))  # a minimum
        0.0
        >>> penalty.coefficient_bound(weights, np.array([[0.0], [0.0]]))
        1.0
        """
        if self.alpha == 0:
            return math.inf
        total = 0.0
        for rows in self._chunks(weights.shape[1]):
            total += self._scaled_squares(
                self._coefficient_gradient(weights, gradient, rows), rows
            )
        return total / (2 * self.alpha)

    def _chunks(self, n_outputs: int):
        """Slices of the coefficients' rows, a chunk of features at a time.

        The penalty's sums are taken chunk by chunk, in temporaries that stay
        in cache, not on whole vectors as long as the features (2**20 of them
        when hashed). Other namespaces than numpy take one large chunk: each
        sum read back waits for the device.
        """
        elements = SCRATCH_ELEMENTS if self._xp is np else DEVICE_BLOCK_ELEMENTS
        return row_blocks(self.scale.shape[0], n_outputs, elements)

    def _coefficient_gradient(self, weights, gradient, rows):
        """The objective's gradient in the coefficients of ``rows``, the
        penalty's included: ``gradient + alpha * W / scale**2`` (a new array)."""
        full = weights[rows, :] / self.scale[rows][:, None] ** 2
        full *= self.alpha
        full += gradient[rows, :]
        return full

    def _scaled_squares(self, g, rows) -> float:
        """``sum((scale * g)**2)`` over ``rows``: ``g`` squared in the
        penalty's metric."""
        scaled = g * self.scale[rows][:, None]
        return _dot(self._xp, scaled, scaled)

    def prox(self, weights, step: float):
        """Exact proximal step: ``argmin_x penalty(x) + ||x - weights||**2 / (2 step)``.

        A per-row shrinkage. Applying the penalty this way, rather than adding
        its gradient, keeps the safe step independent of ``alpha`` and of the
        feature scales.
        """
        if self.alpha == 0:
            return weights
        return weights * self._shrink(step, weights.dtype)[:, None]

    def _shrink(self, step: float, dtype):
        # One factor per feature, computed once per step size: the step
        # changes rarely (never without a line search), and on hashed
        # features each vector is as long as 2**20 columns.
        known, shrink = self._shrinks
        if known != (step, dtype):
            xp = self._xp
            shrink = 1.0 / (1.0 + step * self.alpha / self.scale**2)
            one = xp.ones_like(shrink[:1])  # the intercept is not penalised
            shrink = astype(xp, concat(xp, [shrink, one], axis=0), dtype)
            self._shrinks = ((step, dtype), shrink)
        return shrink


class Objective:
    """The objective over the rows of ``X``, for any loss and any batch of rows.

    ``X``, ``Y``, ``sample_weight`` and the standardization's arrays belong to
    one namespace and device (``xp``, ``device``), and so do the weights and
    gradients. ``n_rows_full`` is the number of rows of the data this is a
    batch of (for counting passes).
    """

    def __init__(
        self,
        X,
        Y,
        sample_weight,
        loss,
        penalty: L2Penalty,
        standardization: Standardization,
        *,
        normalizer: float | None = None,
        n_rows_full: int | None = None,
        namespace=None,
    ):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.loss = loss
        self.penalty = penalty
        self.standardization = standardization
        # A batch inherits its parent's namespace: it is made once per batch.
        self.xp, self.device = namespace or get_namespace(X)
        self.dtype = X.dtype
        self.normalizer = (
            float(self.xp.sum(sample_weight)) if normalizer is None else normalizer
        )
        self._pass_fraction = X.shape[0] / (n_rows_full or X.shape[0])
        self._acc = accumulation_dtype(self.xp, self.device, X.dtype)
        self._memory = []  # (weights, raw scores) of a sparse X, see evaluate
        # Made now, not in the loop: training limits BLAS to one thread, and
        # an OpenMP BLAS would pass that limit on to the threads asked for.
        self._sparse_rows = SparseRows(X) if sp.issparse(X) else None
        # Dense numpy passes run in threads where each part has blocks enough
        # to be worth a thread (asking how many costs 0.4 ms: not per batch).
        self._dense_split = isinstance(X, np.ndarray) and (
            sum(1 for _ in row_blocks(*X.shape)) >= DENSE_PARTS * DENSE_PART_BLOCKS
        )
        self._threads = available_threads() if self._dense_split else 1

    @property
    def sparse(self) -> bool:
        """Whether ``X`` is sparse (see ``_optimizers.optimizer_for``)."""
        return sp.issparse(self.X)

    @cached_property
    def _weight(self):
        """Each row's share of the mean loss, in the dtype of X."""
        return astype(self.xp, self.sample_weight / self.normalizer, self.X.dtype)

    def batch(self, rows, n_rows: int) -> "Objective":
        """The objective restricted to ``rows``, scaled as an unbiased estimate.

        ``rows`` are integer row indices, as numpy or in the namespace of X.
        """
        return Objective(
            take_rows(self.X, rows),
            take_rows(self.Y, rows),
            take_rows(self.sample_weight, rows),
            self.loss,
            self.penalty,
            self.standardization,
            normalizer=rows.shape[0] * self.normalizer / n_rows,
            n_rows_full=n_rows,
            namespace=(self.xp, self.device),
        )

    def _dense_parts(self):
        """The blocks of a pass over a dense ``X`` (see :meth:`_blocks`), in
        ``DENSE_PARTS`` runs of consecutive blocks that threads can read side
        by side (one run where ``X`` is too small to share)."""
        blocks = list(self._blocks())
        if not self._dense_split:
            return [blocks]
        size = -(-len(blocks) // DENSE_PARTS)
        return [blocks[i : i + size] for i in range(0, len(blocks), size)]

    def _blocks(self):
        """``(rows, X[rows])`` for a pass over the rows.

        Dense numpy X in cache-sized blocks, other namespaces in large ones.
        Sparse X whole: scipy's products are as fast on the whole matrix,
        and slicing rows copies them (a block of a wide matrix would be a
        few rows).
        """
        X = self.X
        if sp.issparse(X):
            return [(slice(None), self._sparse_rows)]
        elements = BLOCK_ELEMENTS if self.xp is np else DEVICE_BLOCK_ELEMENTS
        return (
            (rows, X[rows, :]) for rows in row_blocks(X.shape[0], X.shape[1], elements)
        )

    def evaluate(
        self,
        weights,
        lookahead=None,
        *,
        lookahead_loss: bool = True,
        extrapolated_from=None,
    ) -> Evaluation:
        """Data loss at ``weights`` and ``lookahead``, gradient at ``lookahead``.

        This is the loop's predict-and-compare step, in one pass over X.
        ``weights`` are the current weights (their loss is what training
        reports), ``lookahead`` the point where the next step's gradient is
        taken (the extrapolated point of Nesterov's method; ``None`` means
        ``weights``). The rows of X are visited in blocks small enough to stay
        in cache while both products with the block, ``block @ coef`` and
        ``block.T @ derivative``, are computed: X is read from memory once.
        The loss at the lookahead point is only needed by a line search:
        ``lookahead_loss=False`` skips it (it is then None).

        ``extrapolated_from=(previous, beta)`` says that ``lookahead`` is
        ``weights + beta * (weights - previous)``. Raw scores are linear in the
        weights, so on a sparse X, where every product reads all the
        nonzeros again, the lookahead's scores are then combined from those
        of ``weights`` and of ``previous`` (remembered from the last call)
        instead of computed: one product fewer per step.
        """
        xp = self.xp
        k = weights.shape[1]
        same = lookahead is None or lookahead is weights
        X = self.X
        # Losses are summed as Python floats (float64), one read-back per
        # block: blocks are few on a GPU, and a float is cheaper than a 0-d
        # array for the many small blocks of numpy and of mini-batches.
        if sp.issparse(X):
            # The products take the whole matrix; the loss is taken in
            # cache-sized chunks of rows, whose temporaries stay small.
            loss_x = loss_y = 0.0
            g_sum = zeros(xp, k, self._acc, self.device)
            point = None if same else lookahead
            RX, RY = self._sparse_scores(weights, point, extrapolated_from)
            G = np.empty_like(RY)
            self._weight  # noqa: B018 (computed once, before the threads read it)

            def compare(rows):
                parts = self._compare(rows, RX[rows], RY[rows], same, lookahead_loss)
                G[rows] = parts[2]
                return parts[0], parts[1], sum_along(xp, parts[2], axis=0)

            # In threads, as the products: numpy's arithmetic releases the GIL.
            chunks = list(row_blocks(X.shape[0], k, SCRATCH_ELEMENTS))
            for part_x, part_y, part_sum in in_threads(
                compare, chunks, self._sparse_rows.threads
            ):
                loss_x, loss_y = loss_x + part_x, loss_y + part_y
                g_sum += part_sum
            XtG = _transposed_times(self._sparse_rows, G)
            XtG = XtG.astype(self._acc, copy=False)
        else:
            both = weights if same else concat(xp, [weights, lookahead], 1)
            coef, intercept = self.standardization.unstandardize(both)
            loss_x, loss_y, XtG, g_sum = _dense_pass(
                self, coef, intercept, k, same, lookahead_loss
            )
        record_passes(self._pass_fraction)
        gradient = self._assemble(XtG, g_sum, weights.dtype)
        ahead = loss_y if same or lookahead_loss else None
        return Evaluation(loss_x, ahead, gradient)

    def _compare(self, rows, rx, ry, same, lookahead_loss):
        """``(loss at rx, loss at ry, weighted derivative at ry)`` of ``rows``.

        The losses are weighted sums; the loss at ``ry`` is 0.0 unless
        ``same`` (then both are the same) or ``lookahead_loss``.
        """
        xp, loss = self.xp, self.loss
        w, y_rows = self._weight[rows], self.Y[rows, :]
        loss_y = 0.0
        if same or lookahead_loss:
            values, G = loss.value_and_derivative(y_rows, ry, xp)
            loss_y = _weighted_sum(xp, w, values)
        else:
            G = loss.derivative(y_rows, ry, xp)
        if same:
            loss_x = loss_y
        else:
            loss_x = _weighted_sum(xp, w, loss.value(y_rows, rx, xp))
        G *= w[:, None]
        return loss_x, loss_y, G

    def with_best_intercept(self, weights):
        """``weights`` with the intercept at its best for their coefficients.

        A one-dimensional convex problem on the rows' scores, solved by
        Newton's method: no product with ``X`` beyond the scores themselves
        (none at all on sparse X, whose last scores are remembered). The
        steps are capped at 1, within which a log loss's curvature changes
        by a factor ``e`` at most. None without an intercept, where the loss
        has no second ``derivatives``, with more than one output, or where
        Newton's method did not converge to rounding.
        """
        xp, loss = self.xp, self.loss
        if (
            weights.shape[1] != 1
            or not self.standardization.fit_intercept
            or not hasattr(loss, "derivatives")
        ):
            return None
        scores = self._scores(weights)
        shift = 0.0
        for _ in range(INTERCEPT_NEWTON_STEPS):
            slope = curve = 0.0
            for rows in row_blocks(scores.shape[0], 1, INTERCEPT_CHUNK_ROWS):
                point, y = scores[rows, :] + shift, self.Y[rows, :]
                w = self._weight[rows]
                first, second = loss.derivatives(y, point, xp)
                slope += _weighted_sum(xp, w, first)
                curve += _weighted_sum(xp, w, second)
            if not curve:
                return None
            move = min(max(slope / curve, -1.0), 1.0)
            shift -= move
            if abs(move) <= 4 * xp.finfo(weights.dtype).eps * (1 + abs(shift)):
                break
        else:
            return None  # not converged: no intercept to build a bound on
        # One new array: hashed features make it as long as 2**20 columns.
        return concat(xp, [weights[:-1, :], weights[-1:, :] + shift], axis=0)

    def _scores(self, weights):
        """Raw scores ``(n_rows, k)`` of ``weights``."""
        if sp.issparse(self.X):
            return self._sparse_scores(weights, None, None)[0]
        coef, intercept = self.standardization.unstandardize(weights)
        record_passes(0.5)
        shape = (self.X.shape[0], weights.shape[1])
        scores = zeros(self.xp, shape, coef.dtype, self.device)
        for rows, block in self._blocks():
            scores[rows, :] = block @ coef + intercept
        return scores

    def _sparse_scores(self, weights, lookahead, extrapolated_from):
        """Raw scores of ``weights`` and of ``lookahead`` (the same array when
        it is None), reusing remembered scores.

        Scores are remembered by the identity of the weights array: the
        solver never writes into a weights array, it makes new ones.
        """
        previous, beta = extrapolated_from or (None, 0.0)
        # Recalled before the new scores are remembered, which makes them the
        # most recent and keeps them among the two remembered: the next trial
        # of a line search extrapolates from them again.
        if previous is None or lookahead is None:
            earlier = None
        else:
            earlier = self._recall(previous)
        scores = self._recall(weights)
        if scores is None:
            scores = self._sparse_product(weights)
        self._remember(weights, scores)
        if lookahead is None:
            return scores, scores
        if earlier is None:
            return scores, self._sparse_product(lookahead)
        return scores, (1 + beta) * scores - beta * earlier

    def _sparse_product(self, weights):
        # Only weights whose scores are computed are unstandardized: on hashed
        # features each coef is as long as 2**20 columns.
        coef, intercept = self.standardization.unstandardize(weights)
        if not np.any(coef):
            # All-zero coefficients, as at the start of a fit: every row
            # scores the intercept, without reading X.
            return np.zeros((self.X.shape[0], coef.shape[1]), coef.dtype) + intercept
        return self._sparse_rows.times(coef) + intercept

    def _recall(self, weights):
        for i, (known, scores) in enumerate(self._memory):
            if known is weights:
                self._memory.append(self._memory.pop(i))  # the most recent now
                return scores
        return None

    def _remember(self, weights, scores):
        # Two entries: a line search evaluates several trials from the same
        # previous weights, which must stay remembered between the trials.
        self._memory = [entry for entry in self._memory if entry[0] is not weights]
        self._memory = [*self._memory, (weights, scores)][-2:]

    def _assemble(self, XtG, g_sum, dtype):
        """The gradient in standardized coordinates from ``X.T @ G`` and ``sum(G)``.

        ``Z.T @ G = (X.T @ G - mean * sum(G)) / scale``; constant columns get
        0, and so does the intercept when there is none.
        """
        xp, std = self.xp, self.standardization
        if xp is np:
            # In place, with one temporary (mini-batches assemble per batch):
            # XtG is the caller's scratch, in the accumulation dtype.
            XtG -= std.mean[:, None] * g_sum
            XtG /= std.scale[:, None]
            grad = np.empty((XtG.shape[0] + 1, XtG.shape[1]), dtype=dtype)
            grad[:-1] = XtG
            grad[:-1][std.constant] = 0.0
            grad[-1] = g_sum if std.fit_intercept else 0.0
            return grad
        mean, scale = (astype(xp, a, self._acc) for a in (std.mean, std.scale))
        top = (XtG - mean[:, None] * g_sum) / scale[:, None]
        top = xp.where(std.constant[:, None], xp.zeros_like(top), top)
        bottom = g_sum if std.fit_intercept else xp.zeros_like(g_sum)
        return astype(xp, concat(xp, [top, bottom[None, :]], axis=0), dtype)

    def null_loss(self) -> float:
        """Data loss of the all-zero model (every prediction 0)."""
        xp = self.xp
        total = zeros(xp, (), self._acc, self.device)
        for rows in row_blocks(*self.Y.shape, SCRATCH_ELEMENTS):
            Y = self.Y[rows, :]
            per_sample = xp.sum(self.loss.value(Y, zero_like(xp, Y), xp), axis=1)
            total += self._weight[rows] @ per_sample
        return float(total)

    def reexpress(self, weights, old: Standardization):
        """``weights`` of the coordinates ``old`` in this objective's; None stays."""
        return old.reexpress(weights, self.standardization)

    def curvature(self, start, n_iter: int):
        """``(L, v)``: the curvature bound by power iteration (see ``_curvature``)."""
        top, v = power_iteration(
            self.X, self.sample_weight, self.standardization, start, n_iter
        )
        return lipschitz(self.loss.curvature, top, self.dtype, self.xp), v

    def row_curvature(self, n_rows: int) -> float:
        """The curvature bound of any mini-batch of the ``n_rows`` rows."""
        bound = max_row_norm(self.X, self.sample_weight, self.standardization, n_rows)
        return lipschitz(self.loss.curvature, bound, self.dtype, self.xp)

    def derivative_change(self, weights, memory):
        """SAGA's pass over the rows: ``(loss, derivatives, gradient)``.

        At ``weights``: the data loss, each row's loss derivative with
        respect to its raw scores (unweighted, ``(n_rows, n_outputs)``), and
        the gradient of the change since ``memory`` (the rows' derivatives
        at their last visit), ``Z.T @ (weight * (derivatives - memory))`` in
        standardized coordinates; ``memory=None`` gives the gradient itself.
        One pass over the rows (see ``_solver.minibatch_epoch``).
        """
        xp = self.xp
        k = weights.shape[1]
        coef, intercept = self.standardization.unstandardize(weights)
        X, Y, weight, loss = self.X, self.Y, self._weight, self.loss
        loss_sum = 0.0
        XtG = zeros(xp, (X.shape[1], k), self._acc, self.device)
        g_sum = zeros(xp, k, self._acc, self.device)
        parts = []
        for rows, block in self._blocks():
            raw = _times(block, coef) + intercept
            w, y_rows = weight[rows], Y[rows, :]
            values, derivative = loss.value_and_derivative(y_rows, raw, xp)
            loss_sum += _weighted_sum(xp, w, values)
            parts.append(derivative)
            change = derivative if memory is None else derivative - memory[rows, :]
            G = change * w[:, None]
            XtG += _transposed_times(block, G)
            g_sum += sum_along(xp, G, axis=0)
        record_passes(self._pass_fraction)
        derivatives = parts[0] if len(parts) == 1 else concat(xp, parts, axis=0)
        return loss_sum, derivatives, self._assemble(XtG, g_sum, weights.dtype)


class GramObjective:
    """The squared error through its sufficient statistics.

    The squared error is quadratic in the weights: with ``A = Z1.T @ diag(sw)
    @ Z1 / sum(sw)`` (``Z1`` is ``Z`` with a column of ones), ``B = Z1.T @ (sw
    * y) / sum(sw)`` and ``c = sum(sw * y**2) / (2 sum(sw))`` the data loss is
    ``w.T @ A @ w / 2 - B.T @ w + c``. One pass over ``X`` (after one for the
    means) computes ``A``, ``B`` and ``c``; every epoch then costs
    ``O(d**2)`` instead of a pass over ``X``, while the loop, the optimizers
    and the losses it reports stay the same. ``y`` is centered first (its
    mean moves into the intercept) so that the quadratic form does not cancel
    catastrophically when the mean of ``y`` is large against its spread.
    Build it with :meth:`of`.
    """

    # Reads no rows: its curvature is exact (see ``_optimizers.optimizer_for``).
    sparse = False

    def __init__(self, A, B, c, y_mean, loss, penalty, standardization, dtype):
        self.A, self.B, self.c = A, B, c
        self.loss = loss
        self.penalty = penalty
        self.standardization = standardization
        self.dtype = dtype
        self.xp, self.device = get_namespace(A)
        xp, d, k = self.xp, A.shape[0] - 1, B.shape[1]
        self._acc = A.dtype
        # Per epoch, the intercept is taken relative to the mean of y, and
        # the gradient is kept only for the varying columns (and the
        # intercept, when there is one).
        self._shift = concat(
            xp,
            [zeros(xp, (d, k), A.dtype, self.device), xp.reshape(y_mean, (1, -1))],
            0,
        )
        keep = asarray(xp, [standardization.fit_intercept], bool_dtype(xp), self.device)
        self._keep = concat(xp, [~standardization.constant, keep], axis=0)[:, None]

    @classmethod
    def of(cls, X, Y, sample_weight, loss, alpha: float, fit_intercept: bool):
        """The statistics of ``X`` and ``Y``, standardized; two passes over X."""
        xp, device = get_namespace(X)
        acc = accumulation_dtype(xp, device, X.dtype)
        total = float(xp.sum(sample_weight))
        sw = astype(xp, sample_weight, X.dtype)
        d, k = X.shape[1], Y.shape[1]
        mean = zeros(xp, d, acc, device)
        y_mean = zeros(xp, k, acc, device)
        if fit_intercept:
            mean = astype(xp, dense_1d(X.T @ sw), acc) / total
            y_mean = astype(xp, sw @ Y, acc) / total
        gram, cross, offset, y_square = _centered_gram(
            X, Y, sw, astype(xp, mean, X.dtype), astype(xp, y_mean, Y.dtype), acc
        )
        record_passes(2.0 if fit_intercept else 1.0)
        var = xp.linalg.diagonal(gram) if xp is not np else np.diag(gram)
        var = xp.where(var > 0, var, xp.zeros_like(var)) / total
        check_underflow(X, sample_weight, mean, var)
        std = Standardization.from_moments(
            mean, var, X.shape[0], X.dtype, fit_intercept, total_weight=total
        )
        scale = astype(xp, std.scale, acc)
        edge = (offset / scale / total)[None, :]
        A = gram / (scale[:, None] * scale[None, :]) / total
        corner = xp.ones_like(A[:1, :1])
        A = concat(
            xp,
            [concat(xp, [A, edge.T], axis=1), concat(xp, [edge, corner], axis=1)],
            axis=0,
        )
        B = concat(
            xp, [cross / scale[:, None] / total, zeros(xp, (1, k), acc, device)], 0
        )
        penalty = L2Penalty(alpha, std.scale)
        return cls(A, B, 0.5 * y_square / total, y_mean, loss, penalty, std, X.dtype)

    def _quadratic(self, weights):
        """Data loss and gradient of the quadratic form at ``weights``."""
        xp = self.xp
        t = astype(xp, weights, self._acc) - self._shift
        At = self.A @ t
        value = 0.5 * xp.sum(t * At) - xp.sum(self.B * t) + self.c
        grad = xp.where(self._keep, At - self.B, xp.zeros_like(At))
        # Rounding can take the last digits of a zero loss below zero.
        return max(float(value), 0.0), astype(xp, grad, weights.dtype)

    def evaluate(
        self,
        weights,
        lookahead=None,
        *,
        lookahead_loss: bool = True,
        extrapolated_from=None,
    ) -> Evaluation:
        """As :meth:`Objective.evaluate`, from the statistics: no pass over X.

        The lookahead's loss costs nothing extra here: it is always given.
        """
        loss, gradient = self._quadratic(weights)
        if lookahead is None or lookahead is weights:
            return Evaluation(loss, loss, gradient)
        lookahead_loss, gradient = self._quadratic(lookahead)
        return Evaluation(loss, lookahead_loss, gradient)

    def null_loss(self) -> float:
        """Data loss of the all-zero model (every prediction 0)."""
        return self._quadratic(self.xp.zeros_like(self.B))[0]

    def curvature(self, start, n_iter: int):
        """``(L, start)``: the exact curvature; no iteration needed."""
        top = gram_top_eigenvalue(self.A, self.standardization.fit_intercept)
        return lipschitz(self.loss.curvature, top, self.dtype, self.xp), start


def _dense_pass(objective, coef, intercept, k, same, lookahead_loss):
    """``(loss at x, loss at y, X.T @ G, sum(G))`` of a pass over a dense X.

    ``coef`` and ``intercept`` give the raw scores of ``k`` outputs at the
    weights, followed, unless ``same``, by ``k`` more at the lookahead point
    (see ``Objective.evaluate``). Each block is predicted, compared and
    multiplied by its derivatives while it is in cache: X is read from
    memory once. The parts of ``Objective._dense_parts`` are read side by
    side in threads, and their sums added in order: the same numbers on any
    number of threads.
    """
    xp, acc, device, X = objective.xp, objective._acc, objective.device, objective.X
    objective._weight  # noqa: B018 (computed once, before any thread reads it)

    def read(blocks):
        XtG = zeros(xp, (X.shape[1], k), acc, device)
        g_sum = zeros(xp, k, acc, device)
        loss_x = loss_y = 0.0
        for rows, block in blocks:
            raw = block @ coef + intercept
            rx, ry = (raw, raw) if same else (raw[:, :k], raw[:, k:])
            parts = objective._compare(rows, rx, ry, same, lookahead_loss)
            loss_x, loss_y = loss_x + parts[0], loss_y + parts[1]
            XtG += _transposed_times(block, parts[2])
            g_sum += sum_along(xp, parts[2], axis=0)
        return loss_x, loss_y, XtG, g_sum

    results = in_threads(read, objective._dense_parts(), objective._threads)
    return tuple(sum_in_order(column) for column in zip(*results, strict=True))


def _dot(xp, a, b) -> float:
    """``sum(a * b)`` as a float; numpy's float64 without a temporary."""
    if xp is np and a.dtype == np.float64:
        return float(np.vdot(a, b))
    return float(xp.sum(a * b))


def _weighted_sum(xp, weight, values) -> float:
    """``sum_i weight_i * sum_k values_ik``: a block's weighted loss."""
    return float(weight @ sum_along(xp, values, axis=1))


def _transposed_times(block, G):
    """``block.T @ G``: the gradient's share of a block of rows.

    For a dense block it is taken as ``(G.T @ block).T``: BLAS is faster with
    the rows as the inner dimension (18 ms against 30 ms for 1e5 x 100 rows
    and 20 columns of G, measured with one thread; the same for one column).
    """
    if isinstance(block, SparseRows):
        return block.transposed_times(G)
    return (G.T @ block).T


def _times(block, coef):
    """``block @ coef``: raw scores of a block of rows, without the intercept."""
    return block.times(coef) if isinstance(block, SparseRows) else block @ coef


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
        return _centered_sparse_gram(X, Y, sw, mean, y_mean)
    gram = zeros(xp, (d, d), acc, device)
    cross = zeros(xp, (d, k), acc, device)
    offset = zeros(xp, d, acc, device)
    y_square = zeros(xp, (), acc, device)
    for rows, dev in centered_blocks(X, mean, BLOCK_ELEMENTS):
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


def _centered_sparse_gram(X, Y, sw, mean, y_mean):
    """:func:`_centered_gram` for sparse X, in float64.

    The products are taken chunk by chunk of rows (a chunk's weighted copy is
    the only copy of nonzeros), and centered afterwards: centering would fill
    the sparse matrix.
    """
    d = X.shape[1]
    Yc = Y - y_mean
    total = float(sw.sum())
    col_sums = dense_1d(X.T @ sw).astype(np.float64)
    gram = np.zeros((d, d))
    cross = np.zeros((d, Y.shape[1]))
    chunks = sparse_row_chunks(X) if X.format == "csr" else [slice(None)]
    for rows in chunks:
        block = X[rows]
        weighted = block.multiply(sw[rows][:, None]).tocsr()
        gram += (block.T @ weighted).toarray()
        cross += weighted.T @ Yc[rows]
    gram -= np.outer(col_sums, mean) + np.outer(mean, col_sums)
    gram += total * np.outer(mean, mean)
    cross -= np.outer(mean, sw @ Yc)
    y_square = float(sw @ np.sum(Yc * Yc, axis=1))
    return gram, cross, col_sums - total * mean, y_square
