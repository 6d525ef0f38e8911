"""The training loop, in the order the user guide teaches it.

1. Start from initial weights (zeros, the last fit's with ``warm_start``, or
   where the last ``partial_fit`` stopped).
2. Predict: the raw score of every training row.
3. Compare the predictions with the targets through the loss.
4. Adjust the weights against the gradient (``_solver``).
5. Repeat until the loss stops improving (``_stopping``), or is shown to be
   within ``tol`` of its minimum (:class:`Monitor`), or runs away.

:func:`train` is that loop and nothing else. What it works on is passed in:
the objective (``_objective``: steps 2 and 3), the optimizer
(``_optimizers``), the state to continue from and the settings. The
estimators (``_base``) build those from the data and the parameters, and
turn the result into fitted attributes.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np

from ._array_api import dtype_name
from ._exceptions import DivergenceError
from ._objective import UNKNOWN, Excess
from ._solver import (
    SolverState,
    full_batch_step,
    lookahead,
    minibatch_epoch,
    plain_step,
    running_average,
    stream_step,
    with_memory,
)
from ._standardization import Standardization
from ._stopping import Stopper, is_diverging, is_stream_diverging, is_unsettled

__all__ = [
    "EpochHooks",
    "LoopSettings",
    "Outcome",
    "TrainingState",
    "TrainingStatePickling",
    "train",
]


@dataclass
class TrainingState:
    """What training carries from one call to the next (``partial_fit``).

    It always describes the last finished epoch: an interrupted call can
    keep it, a failed one throws it away.
    """

    standardization: Standardization  # the coordinates of the weights
    solver: SolverState
    rng: np.random.RandomState  # shuffles and splits
    eigenvector: object  # of the curvature, to warm-start the next estimate
    lipschitz: float = np.inf  # the curvature bound of every row seen so far
    # lipschitz from a few rounds only: the first trial step of a line search
    rough_curvature: bool = False
    average: object = None  # partial_fit: running average of the weights
    n_averaged: int = 0  # calls in that average
    null: float = 0.0  # partial_fit: mean loss of the all-zero model per call
    best: float = np.inf  # best monitored loss so far
    no_improvement: int = 0  # epochs in a row without improvement
    history: list[float] = field(default_factory=list)  # loss of every epoch

    def to_plain(self) -> dict:
        """The state as dicts of arrays and numbers, for pickle and skops.

        skops loads only types it trusts: plain containers, arrays and random
        states are, this package's dataclasses would not be.
        """
        plain = {f.name: getattr(self, f.name) for f in fields(self)}
        plain["standardization"] = vars(self.standardization).copy()
        plain["solver"] = vars(self.solver).copy()
        return plain

    @classmethod
    def from_plain(cls, plain: dict) -> "TrainingState":
        """Inverse of :meth:`to_plain`."""
        return cls(
            **{
                **plain,
                "standardization": Standardization(**plain["standardization"]),
                "solver": SolverState(**plain["solver"]),
            }
        )


class TrainingStatePickling:
    """Pickles an estimator's ``_state`` as plain containers (a mixin).

    The history is ``loss_curve_`` itself: stored once (skops, unlike pickle,
    would write a shared list twice).
    """

    def __getstate__(self):
        state = super().__getstate__()
        if "_state" in state:
            plain = state["_state"].to_plain()
            if plain["history"] is state.get("loss_curve_"):
                del plain["history"]
            state["_state"] = plain
        return state

    def __setstate__(self, state):
        if "_state" in state:
            plain = {"history": state.get("loss_curve_"), **state["_state"]}
            state = {**state, "_state": TrainingState.from_plain(plain)}
        super().__setstate__(state)


@dataclass(frozen=True)
class LoopSettings:
    """How long and on what to train, from the estimator's parameters."""

    max_epochs: int
    tol: float | None
    n_iter_no_change: int
    batch_size: int | None = None  # None: full batch
    shuffle: bool = True
    incremental: bool = False  # partial_fit: continue, never stop early
    learning_rate: float = 1.0  # for the error messages


class Outcome(NamedTuple):
    """How training ended."""

    stopped: bool  # by the stopping rule or a hook, before max_epochs
    validation_scores: list[float]  # negated validation loss of each epoch
    best_weights: object  # to keep instead of the last ones, or None
    # The loss one step of the safe size reaches from where the stopping rule
    # ended a fit, where that is more than tol lower (Monitor.check_settled).
    overshot: float | None = None


class EpochHooks:
    """Called around each epoch; this base class does nothing.

    ``end`` returns True to stop training (as a scikit-learn callback can).
    """

    def begin(self, epoch: int, weights) -> None:
        """Before the epoch, at its starting weights."""

    def end(
        self, epoch: int, weights, loss: float, score, step: float, excess: float
    ) -> bool:
        """After the epoch: its weights, loss, validation score, step size,
        and how far the loss can be above its minimum (``inf``: unknown)."""
        return False


def train(
    objective,
    optimizer,
    state: TrainingState,
    settings: LoopSettings,
    *,
    rows: Sequence[int],
    validation=None,
    hooks: EpochHooks | None = None,
) -> Outcome:
    """Train from ``state`` (updated in place after every epoch) on ``rows``.

    ``validation`` is an objective on held-out rows, monitored instead of the
    training loss. Raises :class:`DivergenceError` when the loss runs away.
    """
    hooks = hooks or EpochHooks()
    # A partial_fit call on one batch is a stream's step, not a full batch.
    full_batch = settings.batch_size is None and not settings.incremental
    solver = state.solver
    # 1.-3. Start from the initial weights: predict, and compare (in full
    # batch, the same pass takes the gradient for the first step).
    # Not kept in a variable: the first point is often the initial weights
    # themselves, which would then outlive them (hashed features: 8 MB).
    evaluation = objective.evaluate(
        solver.weights,
        lookahead(optimizer, solver) if settings.batch_size is None else None,
        lookahead_loss=optimizer.line_search,
    )
    if not (full_batch or settings.incremental):
        # Variance reduction needs every row's derivative (see _solver).
        solver = with_memory(objective, solver, rows)
    start = evaluation.loss + objective.penalty.value(solver.weights)
    _check_start(start, objective.dtype)
    # The bound that proves a fit converged takes an extra pass where a step
    # gives none (see Monitor); worth it where steps are few and a pass costs
    # little against the epochs it saves: a line search.
    certify = full_batch and optimizer.line_search
    monitor = Monitor(objective, state, settings, start, validation, certify=certify)
    first = len(state.history) + 1
    for epoch in range(first, first + settings.max_epochs):
        hooks.begin(epoch, solver.weights)
        # 2.-4. Predict, compare through the loss, adjust against the gradient.
        if full_batch:
            solver, evaluation, excess = full_batch_step(
                objective, optimizer, solver, evaluation
            )
            loss = evaluation.loss + objective.penalty.value(solver.weights)
        else:
            solver, loss = _stochastic_epoch(
                objective, optimizer, state, solver, evaluation, settings, rows
            )
            excess = UNKNOWN
        # 5. Repeat until the loss stops improving, or runs away.
        stop, score, excess = monitor.judge(epoch, solver, loss, excess)
        state.solver = solver
        state.best, state.no_improvement = (
            monitor.stopper.best,
            monitor.stopper.no_improvement,
        )
        state.history.append(loss)
        if settings.incremental:
            # A stream's steps are noisy for good: its model is their average.
            state.average, state.n_averaged = running_average(
                state.average, solver.weights, state.n_averaged
            )
        converged = stop
        stop |= hooks.end(epoch, solver.weights, loss, score, solver.step, excess)
        if stop and not settings.incremental:
            break
    else:
        stop = converged = False
    overshot = None
    if full_batch:
        fixed_step = converged and not optimizer.line_search
        overshot = monitor.check_settled(epoch, solver if fixed_step else None)
    return Outcome(stop, monitor.validation_scores, monitor.best_weights, overshot)


def _stochastic_epoch(objective, optimizer, state, solver, evaluation, settings, rows):
    """``(solver, loss)`` after a mini-batch epoch or a stream's step.

    A ``partial_fit`` call on one batch makes one step from ``evaluation``
    (its chunk's loss and gradient at the weights, already computed).
    """
    if settings.batch_size is None:
        return stream_step(objective, optimizer, solver, evaluation, state.null)
    n_rows = len(rows)
    order = state.rng.permutation(n_rows) if settings.shuffle else np.arange(n_rows)
    return minibatch_epoch(
        objective, optimizer, solver, rows, order, settings.batch_size
    )


# How far above the stopping target a step's bound, but for the intercept,
# may be for re-fitting the intercept to be worth a pass (see Monitor.judge).
HOPE = 10.0


class Monitor:
    """Judges each epoch: divergence, the value to stop on, the weights to keep.

    Training stops when the monitored loss stopped improving (``Stopper``),
    or sooner, once a full-batch step shows that the training loss is within
    ``tol`` (relative) of its minimum (``excess``, see
    ``_solver.full_batch_step``): then no later epoch could improve it by
    ``tol``, which is what the first rule's ``n_iter_no_change`` epochs
    wait to see.

    The weights to keep in the end, when not the last ones, are those of the
    best validation epoch, or of the lowest loss for a non-smooth loss (a
    subgradient method does not descend monotonically).
    """

    def __init__(self, objective, state, settings, start, validation, *, certify=False):
        self.settings, self.start, self.validation = settings, start, validation
        self.null = objective.null_loss()
        if settings.incremental:
            # One chunk's all-zero loss says little (a chunk of targets near
            # 0 has almost none): a stream is judged by the mean over calls.
            state.null += (self.null - state.null) / (state.n_averaged + 1)
            self.null = state.null
        self.smooth = objective.loss.smooth
        self.objective = objective
        # Bounds on the distance to the minimum are built from losses and
        # gradients; in float32 those are too inexact for them (features
        # offset by 1000: a bound 3x below the excess).
        self.bounded = objective.xp.finfo(objective.dtype).bits == 64
        # Objectives that read rows can re-fit the intercept on their scores.
        self.certify = (
            certify
            and self.bounded
            and self.smooth
            and hasattr(objective, "with_best_intercept")
        )
        self.history = state.history
        self.stopper = Stopper(
            settings.tol,
            settings.n_iter_no_change,
            best=state.best,
            no_improvement=state.no_improvement,
        )
        self.keep_lowest = not settings.incremental and not self.smooth
        keep = validation is not None or self.keep_lowest
        self.best_weights = state.solver.weights if keep else None
        self.lowest = start
        self.losses, self.validation_scores = [], []

    def judge(
        self, epoch: int, solver: SolverState, loss: float, excess: Excess = UNKNOWN
    ):
        """``(stop, validation score or None, bound)`` after an epoch.

        ``excess`` is what the epoch's step showed of how far ``loss`` is
        above its minimum; ``bound`` is what is known of it in the end
        (``inf``: nothing). Raises on divergence.
        """
        bound = excess.bound if self.bounded else math.inf
        self.losses.append(loss)
        settings = self.settings
        if self._diverging(loss):
            raise DivergenceError(
                f"Training diverged at epoch {epoch}: the loss reached {loss:.6g}, "
                f"up from {self.start:.6g} at the start, with learning_rate="
                f"{float(settings.learning_rate)!r} (a step of {solver.step:.3g}). "
                + self._advice(),
                loss_curve=[*self.history, loss],
            )
        if self.validation is None:
            if self.keep_lowest and loss < self.lowest:
                self.best_weights, self.lowest = solver.weights, loss
            stop = self.stopper.update(loss)
            tol = self.stopper.tol
            if tol is None:
                return stop, None, bound
            target = tol * abs(loss)
            # The extra pass is paid where the step's bound, but for the
            # intercept, is near the target already: at a point with
            # momentum it is pessimistic (text-like data: 4e-4 of the loss
            # where re-fitting the intercept showed 1e-4). Elsewhere (dense
            # 2e5 x 100 data stall at 0.5 of it) the pass would be wasted.
            hopeful = excess.at_best_intercept <= HOPE * target
            if bound > target and hopeful and self._stalling():
                bound = min(bound, self._certified_excess(solver.weights, loss))
            return stop or bound <= target, None, bound
        validation_loss = self.validation.evaluate(solver.weights).loss
        score = -validation_loss
        if not self.validation_scores or score > max(self.validation_scores):
            self.best_weights = solver.weights
        self.validation_scores.append(score)
        return self.stopper.update(validation_loss), score, bound

    def _stalling(self) -> bool:
        """Whether this epoch did not improve the loss by ``tol``."""
        return self.certify and self.stopper.no_improvement > 0

    def _certified_excess(self, weights, loss: float) -> float:
        """A bound on how far ``loss`` is above its minimum, from one more pass.

        A log loss has no curvature along the intercept to bound a step's
        excess with (see ``L2Penalty.excess_bound``). With the intercept at
        its best for the coefficients (to rounding), the objective is
        strongly convex in what is left, the coefficients, and their
        gradient bounds the rest: ``loss`` exceeds the minimum by at most
        what the best intercept saves plus that bound.
        """
        objective = self.objective
        best = objective.with_best_intercept(weights)
        if best is None:
            return math.inf
        evaluation = objective.evaluate(best)
        saved = loss - evaluation.loss - objective.penalty.value(best)
        return saved + objective.penalty.coefficient_bound(best, evaluation.gradient)

    def _diverging(self, loss: float) -> bool:
        settings = self.settings
        if settings.incremental:
            return is_stream_diverging(loss, start=self.start, null=self.null)
        return is_diverging(
            self.losses,
            start=self.start,
            null=self.null,
            best=self._best(),
            window=settings.n_iter_no_change,
            full_batch=settings.batch_size is None,
        )

    def _best(self) -> float:
        """The best loss that divergence is judged against."""
        if self.settings.batch_size is None:
            return min(self.losses)
        # Mini-batch losses can stay far above the start without growing (a
        # log loss at huge weights is linear in them): judged against the
        # start too, not only against the best epoch of a diverged run.
        return min(self.start, *self.losses)

    def check_settled(self, epoch: int, stopped_at=None) -> float | None:
        """Raise if a full-batch run did not settle at a minimum.

        A run that ended far above its best loss did not (mini-batch losses
        are noisy by nature; a full batch has no excuse). ``stopped_at`` is
        the solver's state where the stopping rule ended a run whose steps
        had a fixed size: with a ``learning_rate`` above 1.0 the steps may
        have been too long to converge, and have stopped improving the loss
        short of its minimum. At 2.0 a squared error's steps flip its
        steepest direction back and forth forever (diabetes, plain gradient
        descent: R² 0.21 against 0.51), and near 2.0 they shrink it too
        slowly to be seen. One step of the safe size, ``1 / L``, from the end
        tells where they were missing the minimum: it lowers the loss by more
        than the last ``n_iter_no_change`` epochs were allowed to together
        (two passes over X, at such rates only). Returns the loss that step
        reaches, then, or None; raises where the run ended far above it, as
        above its best loss.
        """
        losses, rate = self.losses, float(self.settings.learning_rate)
        ended = f"it stopped at epoch {epoch} with a loss of {losses[-1]:.6g}"
        if self.smooth and is_unsettled(losses, self.start):
            raise DivergenceError(
                f"Training did not settle: {ended}, well above the best, "
                f"{min(losses):.6g}, with learning_rate={rate!r}: the steps "
                "overshoot. " + self._advice(),
                loss_curve=self.history,
            )
        lower = None if stopped_at is None else self._after_safe_step(stopped_at)
        if lower is None:
            return None
        # The stopping rule let n_iter_no_change epochs gain up to tol each.
        # At tol itself, steps near 2.0 that end as close to the minimum as
        # a rate of 1.0 does would count (their steepest direction decays
        # slowly: a safe step gains 1.2e-4 of the loss on diabetes at 1.9).
        allowed = self.settings.n_iter_no_change * self.stopper.tol
        if losses[-1] - lower <= allowed * abs(losses[-1]):
            return None
        if is_unsettled([lower, losses[-1]], self.start):
            raise DivergenceError(
                f"Training did not settle: {ended}, but one step of the safe size "
                f"(learning_rate=1.0) from there lowers it to {lower:.6g}: the "
                f"steps of learning_rate={rate!r} overshoot the minimum. "
                + self._advice(),
                loss_curve=self.history,
            )
        return lower

    def _after_safe_step(self, solver: SolverState) -> float | None:
        """The loss after one step of size ``1 / L`` from ``solver.weights``,
        where the steps were longer and that step is known to descend."""
        rate = float(self.settings.learning_rate)
        # Early stopping stops short of the minimum on purpose, and a
        # subgradient step need not descend.
        unchecked = self.validation is not None or not self.smooth
        if rate <= 1.0 or self.stopper.tol is None or unchecked:
            return None
        return plain_step(self.objective, solver.weights, solver.step / rate)[1]

    def _advice(self):
        return (
            f"Use a smaller learning_rate, such as "
            f"{float(self.settings.learning_rate) / 10:g}; "
            "1.0 and below converge for full-batch training and for "
            "mini-batches of a smooth loss."
        )


def _check_start(start: float, dtype) -> None:
    if not np.isfinite(start):
        raise ValueError(
            f"The loss is {start} before the first step: the values of X, y or "
            f"sample_weight are too large to compute it in {dtype_name(dtype)}. "
            "Rescale them: X e.g. with sklearn.preprocessing.MaxAbsScaler, y by "
            "dividing it by a constant, sample_weight by its largest value."
        )
