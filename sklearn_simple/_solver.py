"""The optimization algorithm: accelerated proximal gradient steps.

One step moves the weights against the gradient of the data loss, then
applies the L2 penalty exactly through its proximal operator::

    lookahead = w + beta * (w - w_prev)                  # momentum (0 for "gd")
    w_next    = prox(lookahead - step * grad F(lookahead))

which is FISTA (Beck & Teboulle, *A fast iterative shrinkage-thresholding
algorithm*, 2009) with adaptive restart (O'Donoghue & Candès, *Adaptive
restart for accelerated gradient schemes*, 2015). The step size is
``learning_rate / L`` (see ``_curvature``).

Mini-batches (:func:`minibatch_epoch`) make the same proximal step with a
variance-reduced gradient estimate, SAGA (Defazio, Bach & Lacoste-Julien,
*SAGA: a fast incremental gradient method with support for non-strongly
convex composite objectives*, 2014; scikit-learn's ``saga`` solver): each
row's loss derivative from its last visit is remembered, so the estimate's
noise vanishes as the weights converge and a constant step reaches the
optimum. Each epoch of SAGA then counts as one step of the accelerated
method: ``"nesterov"`` extrapolates from the last two epochs' ends, with the
same adaptive restart (the outer momentum of Katyusha X, Allen-Zhu, *Katyusha
X: practical momentum method for stochastic sum-of-nonconvex optimization*,
2018). Without it SAGA's epochs progress like plain gradient descent's
steps, which on an ill-conditioned log loss (breast_cancer) did not reach
the full-batch fit in 1000 epochs. Streams (``partial_fit``) cannot
remember rows they will not see again; there the model reported is a running
average of the weights of each call (:func:`running_average`). Everything
the algorithm carries from one step to the next is in :class:`SolverState`,
and every function here takes the objective as an argument: the solver can
be run on any objective with ``evaluate`` and ``penalty`` (see
``_objective``), a toy quadratic too.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from ._array_api import asarray, concat
from ._curvature import minibatch_curvature
from ._objective import UNKNOWN
from ._rows import take_rows

__all__ = [
    "SolverState",
    "full_batch_step",
    "lookahead",
    "minibatch_epoch",
    "plain_step",
    "running_average",
    "safe_curvature",
    "stream_step",
    "with_memory",
]

# Line search: try a step this much larger than the last accepted one, and
# shrink it by STEP_SHRINK until the sufficient-decrease condition holds.
STEP_GROWTH = 1.5
STEP_SHRINK = 0.5
# Power iteration rounds for the curvature: from scratch, and for a rough
# estimate: from the eigenvector of an earlier call (partial_fit), which is
# already close, or for the first trial of a line search, which then finds
# the step itself (text 1e5 x 1e5: 10 epochs against 11, 0.244 s against
# 0.281 s; the rounds on a sample of its rows took 56 ms).
POWER_ITERATIONS = 10
POWER_ITERATIONS_ROUGH = 3
# The running average of a stream forgets early weights polynomially: the
# weights of call t count (AVERAGING_DECAY + 1) / (t + AVERAGING_DECAY).
AVERAGING_DECAY = 3


@dataclass
class SolverState:
    """Where the optimization stands after a step.

    ``weights`` and ``previous`` are ``(n_features + 1, n_outputs)`` arrays
    in standardized coordinates (see ``_standardization``); ``t`` is
    Nesterov's sequence (1 means "no momentum yet"). During a mini-batch
    ``fit``, ``memory`` holds each training row's loss derivative at its last
    visit, ``(n_rows, n_outputs)`` in the order of the rows, and
    ``average_gradient`` the gradient those derivatives make (SAGA's table);
    both are None otherwise.
    """

    weights: object
    previous: object
    step: float
    t: float = 1.0
    memory: object = None
    average_gradient: object = None


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
    search, and once more when the momentum made the objective rise: then
    the step is undone and the next gradient is taken at the old weights.

    Returns the new state, its evaluation, and how far the objective at the
    new weights can be above its minimum: the bound a step of the line
    search gives (an ``Excess``, see ``L2Penalty.excess_bound``), unknown
    otherwise.
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
        beta = optimizer.momentum(t, stochastic=False)
        new_evaluation = objective.evaluate(
            weights,
            next_point,
            lookahead_loss=optimizer.line_search,
            extrapolated_from=(state.weights, beta),
        )
        if not optimizer.line_search or _sufficient_decrease(
            objective.xp, evaluation, point, weights, step, new_evaluation.loss
        ):
            break
        step *= STEP_SHRINK
    if point is not state.weights and new_evaluation.loss + penalty.value(
        weights
    ) > evaluation.loss + penalty.value(state.weights):
        # The momentum overshot: undo the step and restart the momentum, so
        # that the loss never rises (monotone FISTA, Beck & Teboulle 2009b).
        # A step without momentum is kept: at learning_rate 1.0 or below it
        # never raises the loss, and above, a rise is how divergence shows.
        t = optimizer.advance(t, restart=True)
        new = SolverState(state.weights, state.weights, step, t)
        return new, objective.evaluate(state.weights), UNKNOWN
    # The bound needs the sufficient decrease, which only a line search checks.
    excess = UNKNOWN
    if optimizer.line_search:
        excess = penalty.excess_bound(
            point, weights, gradient, step, objective.loss.smallest_curvature
        )
    return new, new_evaluation, excess


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


def with_memory(objective, state: SolverState, rows) -> SolverState:
    """``state`` with SAGA's table filled at its weights: one pass over X.

    ``rows`` are the training rows (the others have zero weight in
    ``objective``); the table is in their order.
    """
    _, derivatives, gradient = objective.derivative_change(state.weights, None)
    memory = take_rows(derivatives, np.asarray(rows))
    return replace(state, memory=memory, average_gradient=gradient)


def minibatch_epoch(
    objective, optimizer, state: SolverState, rows, permutation, batch_size: int
):
    """One pass over ``rows`` in the order ``permutation``, in mini-batches.

    Each batch makes one proximal step of the fixed size ``state.step``.
    With SAGA's table (``state.memory``, see :func:`with_memory`) the
    gradient estimate of a batch ``B`` is ``grad_B(w) - grad_B(memory) +
    average_gradient``: unbiased, and exact at the optimum. Without it (the
    batches of one ``partial_fit`` call) it is the batch's own gradient.
    No batch step carries momentum (see ``_optimizers``). With SAGA's table,
    the epoch as a whole does: it starts from Nesterov's lookahead of the
    last two epochs' ends, and the momentum restarts when the epoch moved
    against it, as a full-batch step does, the epoch standing for one step.
    The table keeps the estimate unbiased wherever the epoch starts.

    Returns the new state and the epoch's loss: the weighted mean of the
    losses seen on the batches during the epoch (no extra pass over X), plus
    the penalty at the end.
    """
    xp, penalty = objective.xp, objective.penalty
    n_rows = len(permutation)
    # Sent to the device once per epoch, not once per batch.
    order = asarray(xp, np.asarray(rows)[permutation], xp.int64, objective.device)
    saga = state.memory is not None
    beta = 0.0 if saga else optimizer.momentum(state.t, stochastic=True)
    start_point = lookahead(optimizer, state) if saga else state.weights
    weights, previous, step = start_point, state.previous, state.step
    memory, average = state.memory, state.average_gradient
    data_loss, seen = 0.0, []
    for start in range(0, n_rows, batch_size):
        # Bounded: the array API standard leaves out-of-range slices undefined.
        stop = min(start + batch_size, n_rows)
        batch = objective.batch(order[start:stop], n_rows)
        point = weights + beta * (weights - previous) if beta else weights
        if memory is None:
            evaluation = batch.evaluate(point)
            loss, gradient = evaluation.loss, evaluation.gradient
        else:
            remembered = take_rows(memory, permutation[start:stop])
            loss, derivatives, change = batch.derivative_change(point, remembered)
            seen.append(derivatives)
            gradient = change + average
            # The batch's rows are a (stop - start) / n_rows share of the mean.
            average = average + change * ((stop - start) / n_rows)
        data_loss += loss * batch.normalizer / objective.normalizer
        previous, weights = weights, penalty.prox(point - step * gradient, step)
    if memory is not None:
        # Every row was visited once: the table is replaced as a whole, in
        # the rows' order (no scattered writes, which the array API lacks).
        memory = take_rows(concat(xp, seen, axis=0), np.argsort(permutation))
    if saga:
        restart = _vdot(xp, start_point - weights, weights - state.weights) > 0
        t = optimizer.advance(state.t, restart=restart)
        previous = state.weights
    else:
        t = optimizer.advance(state.t, restart=False)
    new = SolverState(weights, previous, step, t, memory, average)
    return new, data_loss + penalty.value(weights)


def stream_step(objective, optimizer, state: SolverState, evaluation, null: float):
    """One call of a stream: ``(state, loss)``, the loss of the chunk after it.

    ``evaluation`` is the chunk's loss at ``state.weights`` and its gradient
    at their lookahead point (see :func:`full_batch_step`). The step is the
    full-batch one on the chunk, momentum included: on a few large chunks a
    stream is nearly a full batch, and needs it as much. But
    a step that raised the chunk's loss above both its loss before and
    ``null`` (the mean loss of the all-zero model over the calls) is taken
    again without momentum, which then restarts: a stream's chunks differ,
    and momentum carried the large correction of an unusual chunk (a column
    constant in the first one, at another value than elsewhere) into the
    next, where it overshot that far. At ``learning_rate`` 1.0 or below a
    step without momentum never raises its chunk's loss, so a loss that is
    still that high after it is divergence (``_stopping``).
    """
    penalty = objective.penalty
    before = evaluation.loss + penalty.value(state.weights)
    new, new_evaluation, _ = full_batch_step(objective, optimizer, state, evaluation)
    loss = new_evaluation.loss + penalty.value(new.weights)
    if loss <= max(before, null):
        return new, loss
    weights, loss = plain_step(objective, state.weights, state.step)
    return SolverState(weights, state.weights, state.step), loss


def plain_step(objective, weights, step: float):
    """``(new weights, objective there)``: one proximal gradient step of size
    ``step`` from ``weights``, without momentum (two passes over X)."""
    penalty = objective.penalty
    gradient = objective.evaluate(weights).gradient
    new = penalty.prox(weights - step * gradient, step)
    return new, objective.evaluate(new).loss + penalty.value(new)


def running_average(average, weights, count: int):
    """``(average, count + 1)``: ``average`` moved towards ``weights``.

    Polynomial-decay averaging (Shamir & Zhang, *Stochastic gradient descent
    for non-smooth optimization: convergence results and optimal averaging
    schemes*, 2013): the share of the newest weights is ``(eta + 1) / (count
    + 1 + eta)`` with ``eta = AVERAGING_DECAY``, so the noise of constant
    steps averages out, as in ``SGDRegressor(average=True)`` (Polyak &
    Juditsky, 1992), while the weights of the first calls, far from the
    optimum, are forgotten instead of weighing 1 / count forever.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._solver import running_average
    >>> average, count = running_average(None, np.array([4.0]), 0)
    >>> average, count
    (array([4.]), 1)
    >>> running_average(average, np.array([0.0]), count)  # a share of 4 / 5
    (array([0.8]), 2)
    """
    count += 1
    share = (AVERAGING_DECAY + 1) / (count + AVERAGING_DECAY)
    if average is None or share >= 1:
        return weights, count
    return average + share * (weights - average), count


def safe_curvature(
    objective, eigenvector, *, batch_size: int | None, n_rows: int, rough: bool
):
    """``(L, eigenvector)``: the curvature bound the step size is built from.

    Full batch (``batch_size`` None): the curvature of the whole objective,
    by power iteration from ``eigenvector`` (exact for the Gram objective);
    ``rough`` takes fewer rounds: for the estimate of an earlier call,
    already close, or the first trial step of a line search. Mini-batches:
    the expected smoothness of batches of ``batch_size`` of the ``n_rows``
    rows (see ``_curvature``), from the same estimate and the largest row's
    curvature.
    """
    n_iter = POWER_ITERATIONS_ROUGH if rough else POWER_ITERATIONS
    if batch_size is None:
        return objective.curvature(eigenvector, n_iter)
    largest_row = objective.row_curvature(n_rows)
    if batch_size == 1 or n_rows == 1:
        # Single rows: the whole objective's curvature is not needed, only
        # the largest row's (the same number when there is one row).
        return minibatch_curvature(largest_row, largest_row, 1, n_rows), eigenvector
    whole, eigenvector = objective.curvature(eigenvector, n_iter)
    return minibatch_curvature(whole, largest_row, batch_size, n_rows), eigenvector


def initial_eigenvector(n_features: int):
    """A fixed, data-independent start for the power iteration.

    Not a data row: weighted and repeated rows must get the same step.
    """
    return np.random.RandomState(0).randn(n_features)


def _vdot(xp, a, b):
    """The inner product of two arrays of the same shape, as a float."""
    return float(xp.sum(a * b))
