"""The training loop shared by every estimator of the package.

One loop, in the textbook's order: start from initial weights, predict (raw
scores), compare the prediction with the target through a loss, move the
weights against the gradient, and repeat until the loss stops improving.
The estimators only say how targets are coded, which loss to use and how to
turn raw scores into predictions.
"""

import copy
import logging
import math
import time
import warnings
from dataclasses import replace
from functools import partial
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._array_api import (
    asarray,
    astype,
    copy_of,
    dtype_name,
    get_namespace,
    move_to,
    namespace_of,
    to_numpy,
    zeros,
)
from ._compat import (
    CallbackSupportMixin,
    Integral,
    Interval,
    Real,
    StrOptions,
    check_sample_weight,
    one_blas_thread,
    with_callbacks,
)
from ._compat import validate_params as _validate_params
from ._context import progress_logging, restored_on_error
from ._loop import (
    EpochHooks,
    LoopSettings,
    TrainingState,
    TrainingStatePickling,
    train,
)
from ._losses import ALL_LOSSES
from ._objective import GramObjective, L2Penalty, Objective
from ._optimizers import OPTIMIZERS, optimizer_for
from ._prediction import LinearPredictor
from ._rows import take_rows
from ._solver import SolverState, initial_eigenvector, safe_curvature
from ._standardization import Standardization
from ._stopping import effective_tol

__all__ = ["LinearModelBase"]

logger = logging.getLogger("sklearn_simple")

# Up to this many features, the squared error is trained through its Gram
# matrix (8 MB of float64 at most): one pass over X instead of two per epoch.
_GRAM_MAX_FEATURES = 1000


class _EstimatorHooks(EpochHooks):
    """Reports every epoch to scikit-learn's callbacks and, if verbose, the log.

    A callback sees the model of an epoch through ``reconstruction_attributes``
    (``coef_`` and ``intercept_``, computed only when asked for), and can stop
    training by returning True.
    """

    def __init__(self, estimator, callbacks, task, objective):
        self.estimator, self.callbacks, self.task = estimator, callbacks, task
        self.objective = objective
        self.epoch_callbacks = None
        self.tic = time.perf_counter()

    def announce(self, n_rows, settings, state):
        """Log what is about to be trained, and with what step."""
        if self.estimator.verbose:
            logger.info(
                "%s: training on %d rows, %s, step size %.3g (learning_rate %g / "
                "curvature %.3g)",
                type(self.estimator).__name__,
                n_rows,
                "full batch"
                if settings.batch_size is None
                else f"batches of {settings.batch_size}",
                state.solver.step,
                float(self.estimator.learning_rate),
                state.lipschitz,
            )

    def _attributes(self, weights):
        return partial(self.estimator._attributes_at, self.objective, weights)

    def begin(self, epoch, weights):
        self.epoch_callbacks = self.callbacks.subcontext(task_name="epoch")
        self.epoch_callbacks.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=self._attributes(weights),
            **self.task,
        )

    def end(self, epoch, weights, loss, score, step, excess):
        if self.estimator.verbose:
            logger.info(
                "epoch %d: loss %.6g%s%s, step %.3g, %.3f s",
                epoch,
                loss,
                "" if score is None else f", validation score {score:.6g}",
                ""
                if math.isinf(excess)
                else f" (at most {excess:.3g} above its minimum)",
                step,
                time.perf_counter() - self.tic,
            )
        return self.epoch_callbacks.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self._attributes(weights),
            **self.task,
        )


class LinearModelBase(
    TrainingStatePickling, LinearPredictor, CallbackSupportMixin, BaseEstimator
):
    """Shared parameters, validation and training loop of the linear models.

    Subclasses define ``__init__`` (storing parameters only) and the hooks
    ``_loss_name``, ``_prepare_targets``, ``_coef_attributes`` and
    ``_stratification``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions({"auto", *OPTIMIZERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    _validate_kwargs: ClassVar[dict] = {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    @with_callbacks
    def _fit_public(self, X, y, sample_weight, *, incremental, classes=None):
        _validate_params(self)
        # scikit-learn's callbacks (1.9+) see the fit as a task with one
        # subtask per epoch. The context is created before the attributes are
        # saved for a rollback, so that a failed fit still tears it down.
        callbacks = self._init_callback_context(
            max_subtasks=1 if incremental else self.max_iter
        )
        with (
            restored_on_error(self) as interruption,
            progress_logging(self.verbose),
            # Overflow in a diverging run is detected and raised as a
            # DivergenceError: numpy's own warnings would only add noise.
            np.errstate(over="ignore", under="ignore", invalid="ignore"),
        ):
            self._train(
                X, y, sample_weight, incremental, classes, interruption, callbacks
            )
        return self

    # ------------------------------------------------------- orchestration
    def _train(
        self, X, y, sample_weight, incremental, classes, interruption, callbacks
    ):
        """Validate, build the objective and the state, run the loop, finish."""
        continuing = incremental and hasattr(self, "_state")
        # A copy: a call that fails must leave the fitted state as it was.
        state = copy.deepcopy(self._state) if continuing else None
        X, y, Y, sw = self._validated(X, y, sample_weight, state, incremental, classes)
        task = {"X": X, "y": y, "metadata": {"sample_weight": sw}}
        callbacks.call_on_fit_task_begin(estimator=self, **task)
        rng = state.rng if continuing else check_random_state(self.random_state)
        rows, held_out, sw_train = self._training_rows(X, y, sw, rng, incremental)
        full_batch = self.batch_size is None or self.batch_size >= len(rows)
        objective = self._objective(X, Y, sw_train, state, full_batch, incremental)
        optimizer = optimizer_for(
            self.optimizer, objective.loss, stream=incremental, sparse=objective.sparse
        )
        searched = optimizer.line_search and full_batch
        state = self._ready_state(
            objective, state, rng, full_batch, (len(rows), Y.shape[1]), searched
        )
        validation = self._validation_objective(X, Y, sw, held_out, objective)
        settings = LoopSettings(
            max_epochs=1 if incremental else self.max_iter,
            tol=effective_tol(self.tol, objective.xp.finfo(objective.dtype).eps),
            n_iter_no_change=self.n_iter_no_change,
            batch_size=None if full_batch else self.batch_size,
            shuffle=self.shuffle,
            incremental=incremental,
            learning_rate=self.learning_rate,
        )
        hooks = _EstimatorHooks(self, callbacks, task, objective)
        hooks.announce(len(rows), settings, state)
        try:
            # One BLAS thread: an epoch makes many small products, and BLAS
            # threads that wait for each other on a busy machine made a
            # tall-narrow fit 7 times slower (in CPU time) than one thread.
            with one_blas_thread():
                outcome = train(
                    objective,
                    optimizer,
                    state,
                    settings,
                    rows=rows,
                    validation=validation,
                    hooks=hooks,
                )
        except KeyboardInterrupt:
            if incremental or not state.history:
                raise
            logger.warning(
                "%s.fit interrupted: keeping the weights of epoch %d, the last "
                "finished one.",
                type(self).__name__,
                len(state.history),
            )
            self._finish(objective, state)
            interruption.keep = True
            raise
        self._conclude(outcome, objective, state, incremental)
        callbacks.call_on_fit_task_end(
            estimator=self, reconstruction_attributes={}, **task
        )

    def _validated(self, X, y, sample_weight, state, incremental, classes):
        """``X``, ``y``, the targets ``Y`` and the sample weights, validated.

        Training computes in the namespace and on the device of X (numpy
        unless array API dispatch is on); y and sample_weight follow X.
        """
        xp, device = get_namespace(X)
        continuing = state is not None
        weights = state.solver.weights if continuing else None
        fitted_xp, fitted_device = namespace_of(weights) if continuing else (xp, device)
        if (fitted_xp, fitted_device) != (xp, device):
            raise ValueError(
                f"partial_fit got {xp.__name__} data on device {device}, but the "
                f"model was trained on {fitted_xp.__name__} data on device "
                f"{fitted_device}: give every call data of the same library and "
                "device (under the same array_api_dispatch setting)."
            )
        y, sample_weight = (move_to(a, xp, device) for a in (y, sample_weight))
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse=("csr", "csc"),
            dtype=weights.dtype if continuing else (xp.float64, xp.float32),
            **self._validate_kwargs,
        )
        sw = check_sample_weight(sample_weight, X, X.dtype, xp, device)
        Y, sw = self._prepare_targets(
            y, sw, continuing=continuing, incremental=incremental, classes=classes
        )
        return X, y, astype(xp, Y, X.dtype), sw

    def _training_rows(self, X, y, sample_weight, rng, incremental):
        """The rows to train on, the held-out rows, and the training weights.

        Row indices are only needed for mini-batches or a held-out set: a
        range stands for all rows without allocating them. Early stopping
        holds rows out by giving them zero training weight (no copy of X).
        """
        if not self.early_stopping or incremental:
            return range(X.shape[0]), None, sample_weight
        xp, device = namespace_of(sample_weight)
        rows, held_out = _validation_split(
            to_numpy(y), self.validation_fraction, rng, self._stratification
        )
        in_training = np.ones(X.shape[0], dtype=bool)
        in_training[held_out] = False
        sw_train = sample_weight * asarray(xp, in_training, sample_weight.dtype, device)
        if not bool(xp.any(sw_train > 0)):
            raise ValueError(
                "early_stopping=True left no training sample with a positive "
                "sample_weight; use a smaller validation_fraction or "
                "early_stopping=False."
            )
        return rows, held_out, sw_train

    def _objective(self, X, Y, sample_weight, state, full_batch, incremental):
        """The objective to train on, in the coordinates it standardizes to.

        A continued ``partial_fit`` standardizes by the statistics of every
        row seen so far, these included; a full-batch ``fit`` of the squared
        error (with fewer features than ``_GRAM_MAX_FEATURES`` and than rows)
        trains on the Gram matrix; anything else on the rows, standardized by
        their own statistics.
        """
        loss = ALL_LOSSES[self._loss_name()]()
        if state is not None:
            # Statistics frozen by the first chunk would bias every later
            # one, and hold a column constant there at 0 for good.
            standardization = state.standardization.updated(X, sample_weight)
        else:
            gram = X.shape[1] <= min(_GRAM_MAX_FEATURES, X.shape[0])
            if loss.name == "squared_error" and full_batch and not incremental and gram:
                return GramObjective.of(
                    X, Y, sample_weight, loss, self.alpha, self._fits_intercept()
                )
            standardization = Standardization.of(
                X, sample_weight, self._fits_intercept()
            )
        penalty = L2Penalty(self.alpha, standardization.scale)
        return Objective(X, Y, sample_weight, loss, penalty, standardization)

    def _ready_state(self, objective, state, rng, full_batch, shape, searched):
        """The state to train from, with the step size ``learning_rate / L``.

        A new state starts from the initial weights; a continued one keeps
        its weights, momentum, average and history, re-expressed in the
        coordinates of the updated statistics. ``L`` is the largest bound of
        the calls so far: a small chunk (a large bound of its own) shrinks
        the steps of later ones too, which ``stream.chunk_bounds`` avoids by
        making chunks even (see the learning-rate page of the user guide).
        ``shape`` is ``(n_rows, n_outputs)``; a line search (``searched``)
        only needs a rough ``L`` for its first trial step.
        """
        continuing, (n_rows, n_outputs) = state is not None, shape
        objective.standardization.check_finite()
        if continuing:
            eigenvector = state.eigenvector
            _reexpress(state, objective)
        else:
            weights = self._initial_weights(objective, n_outputs)
            eigenvector = initial_eigenvector(objective.standardization.scale.shape[0])
        lipschitz, eigenvector = safe_curvature(
            objective,
            eigenvector,
            batch_size=None if full_batch else self.batch_size,
            n_rows=n_rows,
            # A partial_fit call after a line search's rough estimate makes
            # a full one: its fixed step rests on it.
            rough=searched or (continuing and not state.rough_curvature),
        )
        if not np.isfinite(lipschitz):
            # Possible after the standardization check when partial_fit gets
            # values far larger than the call that fixed the standardization.
            raise ValueError(
                f"The curvature of the loss overflows {dtype_name(objective.dtype)}: "
                "the values of X are too large to compute with. Rescale X, e.g. "
                "with sklearn.preprocessing.MaxAbsScaler, the same way for every "
                "call."
            )
        if continuing and np.isfinite(state.lipschitz):
            # Every row seen so far: a step safe for each call's rows, and
            # one size for all chunks of a stream, which its running average
            # needs (chunks stepped further would weigh more in it).
            lipschitz = max(lipschitz, state.lipschitz)
        step = self.learning_rate / lipschitz
        if not continuing:
            solver = SolverState(weights, weights, step)
            return TrainingState(
                objective.standardization,
                solver,
                rng,
                eigenvector,
                lipschitz,
                rough_curvature=searched,
            )
        state.solver = replace(state.solver, step=step)
        state.eigenvector, state.lipschitz = eigenvector, lipschitz
        state.rough_curvature = searched
        return state

    def _validation_objective(self, X, Y, sample_weight, held_out, objective):
        """The objective on the held-out rows (no penalty), or None."""
        if held_out is None:
            return None
        xp = objective.xp
        weight = take_rows(sample_weight, held_out)
        if not bool(xp.any(weight > 0)):
            weight = xp.ones_like(weight)
        std = objective.standardization
        # The held-out rows are a tenth of X or so: a copy costs little.
        return Objective(
            take_rows(X, held_out),
            take_rows(Y, held_out),
            weight,
            objective.loss,
            L2Penalty(0.0, std.scale),
            std,
            n_rows_full=X.shape[0],
        )

    def _conclude(self, outcome, objective, state, incremental):
        """Warn if unconverged, keep the best weights, set the fitted attributes."""
        _warn_if_unconverged(self, outcome, state.history, incremental)
        if outcome.validation_scores:
            self.validation_scores_ = outcome.validation_scores
            self.best_validation_score_ = max(outcome.validation_scores)
        best = outcome.best_weights
        if best is not None:
            # Momentum belongs to the last iterate, not to the best one.
            state.solver = replace(state.solver, weights=best, previous=best)
        self._finish(objective, state)

    def _attributes_at(self, objective, weights):
        """``coef_`` and ``intercept_`` of the standardized ``weights``."""
        coef, intercept = objective.standardization.unstandardize(weights)
        # A copy: coef_ must not be a view that later steps could write into.
        return self._coef_attributes(copy_of(objective.xp, coef.T), intercept)

    def _finish(self, objective, state):
        """Set the fitted attributes from the state's weights.

        After ``partial_fit``, the model is the running average of the
        weights (see ``_solver.running_average``). SAGA's table belongs to
        the rows of one fit: it is dropped, not kept in the model.
        """
        state.solver = replace(state.solver, memory=None, average_gradient=None)
        weights = state.solver.weights if state.average is None else state.average
        self.__dict__.update(self._attributes_at(objective, weights))
        self.loss_curve_ = state.history
        self.best_loss_ = min(state.history)
        self.n_iter_ = len(state.history)
        self.step_size_ = state.solver.step
        self._state = state

    def _stratification(self, y, n_val):
        return None

    def _fits_intercept(self):
        # A hook: the ordinal classifier's thresholds are intercepts.
        return self.fit_intercept

    def _initial_weights(self, objective, n_outputs):
        return _initial_weights(self, objective, n_outputs)


def _validation_split(y, fraction, rng, stratification):
    """Sorted training and held-out row indices for early stopping.

    ``stratification(y, n_held_out)`` gives the labels to stratify by, or None.
    """
    n = len(y)
    n_val = int(np.ceil(fraction * n))
    if n_val >= n:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={fraction} of "
            f"n_samples={n}, which leaves no sample to train on; use more "
            "samples, a smaller validation_fraction or early_stopping=False."
        )
    train, val = train_test_split(
        np.arange(n),
        test_size=n_val,
        stratify=stratification(y, n_val),
        random_state=rng,
    )
    return np.sort(train), np.sort(val)


def _reexpress(state, objective):
    """Bring ``state``'s weights into the coordinates of ``objective``.

    The model they describe (coefficients and intercept on the original
    features) is unchanged, and so are the momentum's direction and the
    running average; only the coordinates move with the statistics.
    """
    old = state.standardization
    if objective.standardization is old:
        return
    solver = state.solver
    state.solver = replace(
        solver,
        weights=objective.reexpress(solver.weights, old),
        previous=objective.reexpress(solver.previous, old),
    )
    state.average = objective.reexpress(state.average, old)
    state.standardization = objective.standardization


def _warn_if_unconverged(estimator, outcome, history, incremental: bool) -> None:
    """Warn where a fit ended at ``max_iter`` or short of the minimum."""
    name = type(estimator).__name__
    if not incremental and not outcome.stopped and estimator.tol is not None:
        warnings.warn(
            f"{name} stopped at max_iter={estimator.max_iter} before the loss "
            f"stopped improving by tol={estimator.tol}. Increase max_iter, or "
            "raise learning_rate (up to 1.0 is safe, for mini-batches of a "
            "smooth loss too) or tol.",
            ConvergenceWarning,
            stacklevel=6,
        )
    if outcome.overshot is not None:
        warnings.warn(
            f"{name} stopped at a loss of {history[-1]:.6g}, but one step of the "
            f"safe size (learning_rate=1.0) from there lowers it to "
            f"{outcome.overshot:.6g}: the steps of learning_rate="
            f"{estimator.learning_rate!r} overshoot the minimum, and the model "
            "falls short of it. Use a learning_rate of 1.0 or below.",
            ConvergenceWarning,
            stacklevel=6,
        )


def _initial_weights(estimator, objective, n_outputs):
    """Zeros, or with ``warm_start`` the last fit's, in standardized coordinates."""
    xp, dtype, device = objective.xp, objective.dtype, objective.device
    n_features = objective.standardization.scale.shape[0]
    if not (estimator.warm_start and hasattr(estimator, "coef_")):
        return zeros(xp, (n_features + 1, n_outputs), dtype, device)
    if estimator.coef_.shape[-1] != n_features:
        raise ValueError(
            f"warm_start=True but the fitted model has "
            f"{estimator.coef_.shape[-1]} features and the new data "
            f"{n_features}; set warm_start=False to start afresh."
        )
    # The weights to start from, brought to where X is.
    coef, intercept = (
        to_numpy(a) if xp is np else move_to(a, xp, device)
        for a in (estimator.coef_, estimator.intercept_)
    )
    coef = xp.reshape(asarray(xp, coef, dtype, device), (-1, n_features)).T
    intercept = xp.reshape(asarray(xp, intercept, dtype, device), (-1,))
    if coef.shape[1] != n_outputs:
        raise ValueError(
            f"warm_start=True but the fitted model has {coef.shape[1]} "
            f"output(s) and the new data {n_outputs}; set warm_start=False "
            "to start afresh."
        )
    return objective.standardization.standardize(coef, intercept)
