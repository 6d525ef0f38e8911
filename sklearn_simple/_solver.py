"""The optimization algorithm: accelerated proximal gradient steps.

One step moves the weights against the gradient of the data loss, then
applies the L2 penalty exactly through its proximal operator::

    lookahead = w + beta * (w - w_prev)                  # momentum (0 for "gd")
    w_next    = prox(lookahead - step * grad F(lookahead))

which is FISTA (Beck & Teboulle, *A fast iterative shrinkage-thresholding
algorithm*, 2009) with adaptive restart (O'Donoghue & Candès, *Adaptive
restart for accelerated gradient schemes*, 2015). The step size is
``learning_rate / L`` (see ``_curvature``). Everything the algorithm carries
from one step to the next is in :class:`SolverState`, and every function here
takes the objective as an argument: the solver can be run on any objective
with ``evaluate`` and ``penalty`` (see ``_objective``), a toy quadratic too.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from ._array_api import asarray

__all__ = [
    "SolverState",
    "full_batch_step",
    "lookahead",
    "minibatch_epoch",
    "safe_curvature",
]

# Line search: try a step this much larger than the last accepted one, and
# shrink it by STEP_SHRINK until the sufficient-decrease condition holds.
STEP_GROWTH = 1.5
STEP_SHRINK = 0.5
# Power iteration rounds for the curvature: from scratch, and from the
# eigenvector of an earlier call (partial_fit), which is already close.
POWER_ITERATIONS = 10
POWER_ITERATIONS_WARM = 3


@dataclass
class SolverState:
    """Where the optimization stands after a step.

    ``weights`` and ``previous`` are ``(n_features + 1, n_outputs)`` arrays
    in standardized coordinates (see ``_standardization``); ``t`` is
    Nesterov's sequence (1 means "no momentum yet").
    """

    weights: object
    previous: object
    step: float
    t: float = 1.0


def lookahead(optimizer, state: SolverState, *, stochastic: bool = False):
    """Nesterov's extrapolated point, where the next gradient is taken.

    The weights themselves (the same object) when there is no momentum.
    """
    beta = optimizer.momentum(state.t, stochastic=stochastic)
    if not beta:
        return state.weights
    return state.weights + beta * (state.weights - state.previous)


def full_batch_step(objective, optimizer, state: SolverState, evaluation):
    """One accelerated proximal gradient step on all rows.

    ``evaluation`` is the objective's evaluation at ``state`` (the loss of
    the weights, and the loss and gradient at the lookahead point). The new
    weights are evaluated in the same pass as the next lookahead point, so a
    step reads X once, once more per shrinking of the step by the line
    search, and once more when the objective rose: then the momentum is
    dropped and the next gradient is taken at the new weights.

    Returns the new state and its evaluation.
    """
    penalty = objective.penalty
    point, gradient = lookahead(optimizer, state), evaluation.gradient
    step = state.step
    if optimizer.line_search:
        # Bounded: where the loss is flat (an exact fit) every trial is
        # accepted, and the step would grow to inf, then make NaN forever.
        largest = math.sqrt(objective.xp.finfo(state.weights.dtype).max)
        step = min(step * STEP_GROWTH, largest)
    while True:
        weights = penalty.prox(point - step * gradient, step)
        # Restart the momentum when the step went against its direction.
        restart = _vdot(objective.xp, point - weights, weights - state.weights) > 0
        t = optimizer.advance(state.t, restart)
        new = SolverState(weights, state.weights, step, t)
        next_point = lookahead(optimizer, new)
        new_evaluation = objective.evaluate(weights, next_point)
        if not optimizer.line_search or _sufficient_decrease(
            objective.xp, evaluation, point, weights, step, new_evaluation.loss
        ):
            break
        step *= STEP_SHRINK
    if next_point is not weights and new_evaluation.loss + penalty.value(weights) > (
        evaluation.loss + penalty.value(state.weights)
    ):
        new = replace(new, t=optimizer.advance(t, restart=True))
        new_evaluation = objective.evaluate(weights)
    return new, new_evaluation


def _sufficient_decrease(xp, evaluation, point, weights, step, new_loss):
    """The Armijo condition of the line search, or a step too small to shrink.

    ``f(w) <= f(p) + grad f(p) . (w - p) + ||w - p||**2 / (2 step)``: the
    quadratic model with curvature ``1 / step`` lies above ``f``, as it does
    for every step up to ``1 / L`` (Beck & Teboulle, 2009, section 4).
    """
    move = weights - point
    bound = (
        evaluation.lookahead_loss
        + _vdot(xp, evaluation.gradient, move)
        + _vdot(xp, move, move) / (2 * step)
    )
    return new_loss <= bound or step < xp.finfo(weights.dtype).smallest_normal


def minibatch_epoch(objective, optimizer, state: SolverState, order, batch_size: int):
    """One pass over the rows ``order`` in mini-batches of ``batch_size``.

    Each batch makes one step with the batch's unbiased gradient estimate and
    a constant momentum. Returns the new state and the epoch's loss: the
    weighted mean of the losses seen on the batches during the epoch (no
    extra pass over X), plus the penalty at the end.
    """
    xp, penalty = objective.xp, objective.penalty
    n_rows = len(order)
    # Sent to the device once per epoch, not once per batch.
    order = asarray(xp, order, xp.int64, objective.device)
    beta = optimizer.momentum(state.t, stochastic=True)
    weights, previous, step = state.weights, state.previous, state.step
    data_loss = 0.0
    for start in range(0, n_rows, batch_size):
        # Bounded: the array API standard leaves out-of-range slices undefined.
        stop = min(start + batch_size, n_rows)
        batch = objective.batch(order[start:stop], n_rows)
        point = weights + beta * (weights - previous) if beta else weights
        evaluation = batch.evaluate(point)
        data_loss += evaluation.loss * batch.normalizer / objective.normalizer
        previous, weights = (
            weights,
            penalty.prox(point - step * evaluation.gradient, step),
        )
    t = optimizer.advance(state.t, restart=False)
    return SolverState(weights, previous, step, t), data_loss + penalty.value(weights)


def safe_curvature(
    objective, eigenvector, *, full_batch: bool, n_rows: int, warm: bool
):
    """``(L, eigenvector)``: the curvature bound the step size is built from.

    Full batch: the curvature of the whole objective, by power iteration from
    ``eigenvector`` (exact for the Gram objective); ``warm`` when it is the
    estimate of an earlier call, which needs fewer rounds. Mini-batches: the
    bound for any batch of the ``n_rows`` rows (see ``_curvature``).
    """
    if not full_batch:
        return objective.row_curvature(n_rows), eigenvector
    n_iter = POWER_ITERATIONS_WARM if warm else POWER_ITERATIONS
    return objective.curvature(eigenvector, n_iter)


def initial_eigenvector(n_features: int):
    """A fixed, data-independent start for the power iteration.

    Not a data row: weighted and repeated rows must get the same step.
    """
    return np.random.RandomState(0).randn(n_features)


def _vdot(xp, a, b):
    """The inner product of two arrays of the same shape, as a float."""
    return float(xp.sum(a * b))
