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
from functools import partial
from typing import ClassVar

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

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
    with_callbacks,
)
from ._compat import validate_params as _validate_params
from ._context import progress_logging, restored_on_error
from ._exceptions import DivergenceError, InconsistentVersionWarning
from ._losses import LOSSES
from ._objective import GramObjective, Objective, standardization, take_rows
from ._optimizers import OPTIMIZERS, STEP_GROWTH, STEP_SHRINK, StepState
from ._stopping import Stopper, effective_tol, is_diverging, is_unsettled
from ._version import __version__

__all__ = ["LinearModelBase"]

logger = logging.getLogger("sklearn_simple")

_POWER_ITERATIONS = 10  # estimating the safe step from scratch
_POWER_ITERATIONS_WARM = 3  # re-estimating it from the last eigenvector
# Up to this many features, the squared error is trained through its Gram
# matrix (8 MB of float64 at most): one pass over X instead of two per epoch.
_GRAM_MAX_FEATURES = 1000


def _check_standardization(mean, scale):
    """Refuse data whose column statistics overflow, before they poison the loop.

    Without this check an overflowed variance makes the step size NaN, and the
    run ends in a DivergenceError that blames the learning rate.
    """
    mean, scale = to_numpy(mean), to_numpy(scale)
    overflowed = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
    if overflowed.size:
        raise ValueError(
            f"The weighted mean or variance of column(s) {overflowed.tolist()} of X "
            f"overflows {scale.dtype.name}: the values of X (or of sample_weight) "
            "are too large to compute with. Rescale X, e.g. with "
            "sklearn.preprocessing.MaxAbsScaler, or divide sample_weight by its "
            "largest value."
        )


def _vdot(xp, a, b):
    """The inner product of two arrays of the same shape, as a float."""
    return float(xp.sum(a * b))


class LinearModelBase(CallbackSupportMixin, BaseEstimator):
    """Shared parameters, validation and training loop of the linear models.

    Subclasses define ``__init__`` (storing parameters only) and the hooks
    ``_loss_name``, ``_prepare_targets``, ``_coef_attributes`` and
    ``_stratification``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
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

    def __getstate__(self):
        # A new dict: from Python 3.11 on the parent's state is the live
        # __dict__, and pickling a model must not add an attribute to it.
        return {**super().__getstate__(), "_sklearn_simple_version": __version__}

    def __setstate__(self, state):
        saved_by = state.pop("_sklearn_simple_version", "unknown")
        if saved_by != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_sklearn_version=__version__,
                    original_sklearn_version=saved_by,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)

    def _linear_scores(self, X, method):
        """``X @ coef_.T + intercept_`` for validated ``X``; never inf or NaN.

        Computed in the array namespace of ``X`` (see ``_array_api``), which
        must be the one the model was fitted in. Finite ``X`` can still
        overflow the product (values far outside the training range): an error
        says so instead of returning inf or NaN. ``method`` is the public
        method asking, for the error messages.
        """
        check_is_fitted(self)
        xp, device = get_namespace(X)
        coef, intercept = self._coefficients_in(xp, device, method)
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc"),
            dtype=(xp.float64, xp.float32),
        )
        with np.errstate(over="ignore", invalid="ignore"):
            coef = astype(xp, coef, X.dtype)
            scores = X @ xp.reshape(coef, (-1, X.shape[1])).T
            scores = np.asarray(scores) if xp is np else scores
            # Not cast: a float64 model predicts float32 X in float64.
            scores = scores + intercept
        overflowed = ~xp.isfinite(scores)
        if bool(xp.any(overflowed)):
            n_bad = int(xp.sum(astype(xp, xp.any(overflowed, axis=1), xp.int64)))
            raise ValueError(
                f"X @ coef_ + intercept_ overflows {dtype_name(scores.dtype)} for "
                f"{n_bad} of {scores.shape[0]} samples: their values are far outside "
                "the range of the training data. Check that X is in the units the "
                "model was trained on (and scaled the same way)."
            )
        return xp.reshape(scores, (-1,)) if coef.ndim == 1 else scores

    def _coefficients_in(self, xp, device, method):
        """``coef_`` and ``intercept_`` in the namespace and on the device of X.

        Under array API dispatch, X must come from the namespace and device of
        the data the model was fitted on (scikit-learn's rule: moving data
        between devices is left to the user, explicitly). Without dispatch
        everything is numpy: a model fitted on another library's arrays
        predicts with numpy copies of its coefficients.
        """
        coef, intercept = self.coef_, self.intercept_
        fitted_xp, fitted_device = namespace_of(coef)
        if fitted_xp is xp and fitted_device == device:
            return coef, intercept
        if get_config()["array_api_dispatch"]:
            raise ValueError(
                f"Inputs passed to {type(self).__name__}.{method}() must use the "
                "same namespace and the same device as those passed to fit(). The "
                f"model was fitted on {fitted_xp.__name__} arrays on device "
                f"{fitted_device}, and X is {xp.__name__} on device {device}: move "
                "X there, or fit the model on data like X."
            )
        return to_numpy(coef), to_numpy(intercept)

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

    # --------------------------------------------------------------- the loop
    def _train(
        self, X, y, sample_weight, incremental, classes, interruption, callbacks
    ):
        continuing = incremental and hasattr(self, "_state")
        state = copy.deepcopy(self._state) if continuing else None
        # Training computes in the namespace and on the device of X (numpy
        # unless array API dispatch is on); y and sample_weight follow X.
        xp, device = get_namespace(X)
        fitted_xp, fitted_device = (
            namespace_of(state["theta"]) if continuing else (xp, device)
        )
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
            dtype=state["theta"].dtype if continuing else (xp.float64, xp.float32),
            **self._validate_kwargs,
        )
        sw = check_sample_weight(sample_weight, X, X.dtype, xp, device)
        Y, sw = self._prepare_targets(
            y, sw, continuing=continuing, incremental=incremental, classes=classes
        )
        Y = astype(xp, Y, X.dtype)
        task = {"X": X, "y": y, "metadata": {"sample_weight": sw}}
        callbacks.call_on_fit_task_begin(estimator=self, **task)
        rng = state["rng"] if continuing else check_random_state(self.random_state)

        # Row indices are only needed for mini-batches or a held-out set: a
        # range stands for all rows without allocating them. Early stopping
        # holds rows out by giving them zero training weight (no copy of X).
        train_rows, val_rows = range(X.shape[0]), None
        sw_train = sw
        if self.early_stopping and not incremental:
            train_rows, val_rows = self._validation_split(to_numpy(y), rng)
            in_training = np.ones(X.shape[0], dtype=bool)
            in_training[val_rows] = False
            sw_train = sw * asarray(xp, in_training, sw.dtype, device)
            if not bool(xp.any(sw_train > 0)):
                raise ValueError(
                    "early_stopping=True left no training sample with a positive "
                    "sample_weight; use a smaller validation_fraction or "
                    "early_stopping=False."
                )
        full_batch = self.batch_size is None or self.batch_size >= len(train_rows)
        obj = self._objective(X, Y, sw_train, state, full_batch, incremental)
        if not continuing:
            _check_standardization(obj.mean, obj.scale)
            theta = self._initial_theta(obj, X.shape[1], Y.shape[1])
            state = dict(
                mean=obj.mean,
                scale=obj.scale,
                rng=rng,
                passes=0.0,
                theta=theta,
                theta_prev=theta,
                t=1.0,
                # The power iteration starts from a fixed, data-independent
                # vector, so that weighted and repeated rows get the same step.
                eigvec=np.random.RandomState(0).randn(X.shape[1]),
                best=np.inf,
                no_improvement=0,
                history=[],
            )
        rule = OPTIMIZERS[self.optimizer]()
        self._set_step(obj, state, rule, full_batch, len(train_rows), continuing)
        if not np.isfinite(state["lipschitz"]):
            # Possible after the standardization check when partial_fit gets
            # values far larger than the call that fixed the standardization.
            raise ValueError(
                f"The curvature of the loss overflows {dtype_name(X.dtype)}: the "
                "values of X are too large to compute with. Rescale X, e.g. with "
                "sklearn.preprocessing.MaxAbsScaler, the same way for every call."
            )
        validation = None
        if val_rows is not None:
            val_weight = take_rows(sw, val_rows)
            if not bool(xp.any(val_weight > 0)):
                val_weight = xp.ones_like(val_weight)
            # The held-out rows are a tenth of X or so: a copy costs little.
            validation = Objective(
                take_rows(X, val_rows),
                take_rows(Y, val_rows),
                val_weight,
                obj.loss,
                0.0,
                obj.mean,
                obj.scale,
                self.fit_intercept,
                constant=obj.constant,
                counter=obj.counter,
                n_rows_full=X.shape[0],
            )
        try:
            converged, val_scores, best_theta = self._epochs(
                obj,
                state,
                rule,
                full_batch,
                train_rows,
                validation,
                incremental,
                (callbacks, task),
            )
        except KeyboardInterrupt:
            if incremental or not state["history"]:
                raise
            logger.warning(
                "%s.fit interrupted: keeping the weights of epoch %d, the last "
                "finished one.",
                type(self).__name__,
                len(state["history"]),
            )
            self._finish(obj, state, state["theta"])
            interruption.keep = True
            raise
        if not incremental and not converged and self.tol is not None:
            warnings.warn(
                f"{type(self).__name__} stopped at max_iter={self.max_iter} before "
                f"the loss stopped improving by tol={self.tol}. Increase max_iter, "
                "or raise learning_rate (up to 1.0 is safe) or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if validation is not None:
            self.validation_scores_ = val_scores
            self.best_validation_score_ = max(val_scores)
        if best_theta is not None:
            # Momentum belongs to the last iterate, not to the best one.
            state["theta"] = state["theta_prev"] = best_theta
        self._finish(obj, state, state["theta"])
        callbacks.call_on_fit_task_end(
            estimator=self, reconstruction_attributes={}, **task
        )

    def _objective(self, X, Y, sample_weight, state, full_batch, incremental):
        """The objective to train on, with the statistics it needs.

        A continued ``partial_fit`` keeps the standardization of its first
        call; a full-batch ``fit`` of the squared error (with fewer features
        than ``_GRAM_MAX_FEATURES`` and than rows) trains on the Gram matrix;
        anything else on the rows, standardized by their own statistics.
        """
        loss = LOSSES[self._loss_name()]()
        args = (X, Y, sample_weight, loss, self.alpha)
        if state is not None:
            # A column constant in the first chunk may vary in later ones:
            # only a single fit holds its weight at 0.
            return Objective(*args, state["mean"], state["scale"], self.fit_intercept)
        gram = X.shape[1] <= min(_GRAM_MAX_FEATURES, X.shape[0])
        if loss.name == "squared_error" and full_batch and not incremental and gram:
            return GramObjective(*args, self.fit_intercept)
        mean, scale, constant = standardization(X, sample_weight, self.fit_intercept)
        obj = Objective(*args, mean, scale, self.fit_intercept, constant=constant)
        obj.counter.passes = 2.0 if self.fit_intercept else 1.0  # the statistics
        return obj

    def _set_step(self, obj, state, rule, full_batch, n_rows, continuing):
        """Estimate the curvature ``L`` and set the step ``learning_rate / L``."""
        if full_batch:
            n_power = _POWER_ITERATIONS_WARM if continuing else _POWER_ITERATIONS
            lipschitz, state["eigvec"] = obj.lipschitz(state["eigvec"], n_power)
        else:
            lipschitz = obj.max_row_curvature(n_rows=n_rows)
        # Each call steps by the curvature of its own rows: a small chunk (a
        # larger curvature bound) must not shrink the steps of later ones.
        state["lipschitz"] = lipschitz
        # A line search carries its adapted step from one partial_fit to the next.
        if not (continuing and rule.line_search and full_batch):
            state["step"] = self.learning_rate / state["lipschitz"]

    def _epochs(
        self, obj, state, rule, full_batch, train_rows, validation, incremental, hooks
    ):
        """Run the epochs; the state holds the last finished one at any time.

        Returns whether the stopping rule (or a callback) ended the run, the
        validation scores, and the weights to keep instead of the last ones, or
        None. ``hooks`` is the callback context and the task's data.
        """
        callbacks, task = hooks
        tol = effective_tol(self.tol, obj.xp.finfo(obj.X.dtype).eps)
        stopper = Stopper(
            tol, self.n_iter_no_change, state["best"], state["no_improvement"]
        )
        theta, theta_prev = state["theta"], state["theta_prev"]
        steps = StepState(step=state["step"], t=state["t"])
        # The first pass evaluates the starting weights (and, in full batch,
        # the gradient of the first step); every epoch then costs one pass.
        y = self._extrapolate(rule, steps, theta, theta_prev, full_batch)
        evaluation = obj.evaluate(theta, y)
        F = start = evaluation[0] + obj.penalty(theta)
        if not np.isfinite(start):
            raise ValueError(
                f"The loss is {start} before the first step: the values of X, y or "
                "sample_weight are too large to compute it in "
                f"{dtype_name(obj.X.dtype)}. Rescale them: X e.g. with "
                "sklearn.preprocessing.MaxAbsScaler, y by "
                "dividing it by a constant, sample_weight by its largest value."
            )
        null = obj.null_loss()
        # The weights to keep in the end, when not the last ones: those of the
        # best validation epoch, or of the lowest loss for a non-smooth loss.
        keep_best = not incremental and not obj.loss.smooth
        best_theta = theta if validation is not None or keep_best else None
        losses, val_scores, best_F = [], [], start
        done = len(state["history"])
        tic = time.perf_counter()
        for epoch in range(done + 1, done + 1 + (1 if incremental else self.max_iter)):
            epoch_callbacks = callbacks.subcontext(task_name="epoch")
            epoch_callbacks.call_on_fit_task_begin(
                estimator=self,
                reconstruction_attributes=partial(self._attributes_at, obj, theta),
                **task,
            )
            if full_batch:
                theta, theta_prev, y, evaluation, steps = self._full_batch_epoch(
                    obj, rule, steps, theta, y, evaluation
                )
                F = evaluation[0] + obj.penalty(theta)
            else:
                rows = (
                    state["rng"].permutation(train_rows)
                    if self.shuffle
                    else np.asarray(train_rows)
                )
                theta, theta_prev, F = self._minibatch_epoch(
                    obj, rule, steps, theta, theta_prev, rows
                )
                steps = rule.advance(steps, restart=False)
            losses.append(F)
            # partial_fit compares with its own start and the best loss of the
            # earlier calls, so that a rate diverging call by call is caught.
            if is_diverging(
                losses,
                start,
                null,
                min(start, state["best"]) if incremental else min(losses),
                self.n_iter_no_change,
                full_batch and not incremental,
            ):
                raise DivergenceError(
                    f"Training diverged at epoch {epoch}: the loss reached {F:.6g}, "
                    f"up from {start:.6g} at the start, with learning_rate="
                    f"{self.learning_rate!r} (a step of {steps.step:.3g}). "
                    + self._advice(),
                    loss_curve=[*state["history"], F],
                )
            monitored = F
            if validation is not None:
                monitored = validation.evaluate(theta)[0]
                if not val_scores or -monitored > max(val_scores):
                    best_theta = theta
                val_scores.append(-monitored)
            elif keep_best and F < best_F:
                best_theta, best_F = theta, F
            stop = stopper.update(monitored)
            state.update(
                theta=theta,
                theta_prev=theta_prev,
                t=steps.t,
                step=steps.step,
                best=stopper.best,
                no_improvement=stopper.no_improvement,
                history=[*state["history"], F],
                passes=state["passes"] + obj.counter.passes,
            )
            obj.counter.passes = 0.0
            if self.verbose:
                logger.info(
                    "epoch %d: loss %.6g%s, step %.3g, %.3f s",
                    epoch,
                    F,
                    f", validation score {-monitored:.6g}" if validation else "",
                    steps.step,
                    time.perf_counter() - tic,
                )
            # A callback may ask to stop (returning True), like the stopping rule.
            stop |= epoch_callbacks.call_on_fit_task_end(
                estimator=self,
                reconstruction_attributes=partial(self._attributes_at, obj, theta),
                **task,
            )
            if stop and not incremental:
                break
        else:
            stop = False
        # Mini-batch losses are noisy by nature; a full batch has no excuse.
        unsettled = obj.loss.smooth and is_unsettled(losses, start)
        if full_batch and not incremental and unsettled:
            raise DivergenceError(
                f"Training did not settle: it stopped at epoch {epoch} with a loss "
                f"of {F:.6g}, well above the best, {min(losses):.6g}, with "
                f"learning_rate={self.learning_rate!r}: the steps overshoot. "
                + self._advice(),
                loss_curve=state["history"],
            )
        return stop, val_scores, best_theta

    def _advice(self):
        return (
            f"Use a smaller learning_rate, such as {self.learning_rate / 10:g}; "
            "1.0 and below converge for full-batch training."
        )

    def _attributes_at(self, obj, theta):
        """``coef_`` and ``intercept_`` of the standardized weights ``theta``."""
        coef, intercept = obj.unstandardize(theta)
        # A copy: coef_ must not be a view that later steps could write into.
        return self._coef_attributes(copy_of(obj.xp, coef.T), intercept)

    def _finish(self, obj, state, theta):
        """Set the fitted attributes from the weights ``theta``."""
        self.__dict__.update(self._attributes_at(obj, theta))
        self.loss_curve_ = state["history"]
        self.best_loss_ = min(state["history"])
        self.n_iter_ = len(state["history"])
        self.step_size_ = state["step"]
        self._state = state

    def _initial_theta(self, obj, n_features, n_outputs):
        xp, dtype = obj.xp, obj.X.dtype
        if self.warm_start and hasattr(self, "coef_"):
            if self.coef_.shape[-1] != n_features:
                raise ValueError(
                    f"warm_start=True but the fitted model has "
                    f"{self.coef_.shape[-1]} features and the new data "
                    f"{n_features}; set warm_start=False to start afresh."
                )
            # The weights to start from, brought to where X is.
            coef, intercept = (
                to_numpy(a) if xp is np else move_to(a, xp, obj.device)
                for a in (self.coef_, self.intercept_)
            )
            coef = xp.reshape(asarray(xp, coef, dtype, obj.device), (-1, n_features)).T
            intercept = xp.reshape(asarray(xp, intercept, dtype, obj.device), (-1,))
            if coef.shape[1] != n_outputs:
                raise ValueError(
                    f"warm_start=True but the fitted model has {coef.shape[1]} "
                    f"output(s) and the new data {n_outputs}; set warm_start=False "
                    "to start afresh."
                )
            return obj.standardize(coef, intercept)
        return zeros(xp, (n_features + 1, n_outputs), dtype, obj.device)

    @staticmethod
    def _extrapolate(rule, steps, theta, theta_prev, full_batch):
        """Nesterov's extrapolated point, where the next gradient is taken."""
        beta = rule.momentum(steps, stochastic=False) if full_batch else 0.0
        return theta + beta * (theta - theta_prev) if beta else theta

    def _full_batch_epoch(self, obj, rule, steps, theta, y, evaluation):
        """One proximal (accelerated) gradient step on all rows.

        ``evaluation`` holds the losses at ``theta`` and ``y`` and the gradient
        at ``y`` from the last pass. The step's new weights are evaluated in
        the same pass as the next extrapolated point, so an epoch reads X once
        (once more per halving of the step by a line search, and after a rise
        of the objective, which restarts the momentum).
        """
        _, loss_y, grad = evaluation
        step = steps.step
        if rule.line_search:
            # Bounded: where the loss is flat (an exact fit) every trial is
            # accepted, and the step would grow to inf, then make NaN forever.
            step = min(step * STEP_GROWTH, math.sqrt(obj.xp.finfo(theta.dtype).max))
        while True:
            x = obj.prox(y - step * grad, step)
            # Restart the momentum when the step went against its direction.
            restart = _vdot(obj.xp, y - x, x - theta) > 0
            new_steps = rule.advance(StepState(step=step, t=steps.t), restart)
            y_next = self._extrapolate(rule, new_steps, x, theta, full_batch=True)
            new_evaluation = obj.evaluate(x, y_next)
            if not rule.line_search:
                break
            dx = x - y
            bound = (
                loss_y + _vdot(obj.xp, grad, dx) + _vdot(obj.xp, dx, dx) / (2 * step)
            )
            if (
                new_evaluation[0] <= bound
                or step < obj.xp.finfo(x.dtype).smallest_normal
            ):
                break
            step *= STEP_SHRINK
        if y_next is not x and new_evaluation[0] + obj.penalty(x) > (
            evaluation[0] + obj.penalty(theta)
        ):
            # The objective rose: drop the momentum, which costs a pass to
            # take the next gradient at the new weights instead.
            new_steps = rule.advance(new_steps, restart=True)
            y_next = x
            new_evaluation = obj.evaluate(x)
        return x, theta, y_next, new_evaluation, new_steps

    def _minibatch_epoch(self, obj, rule, steps, theta, theta_prev, order):
        """One pass over the rows in mini-batches; returns the epoch's loss.

        The loss reported is the weighted mean of the losses seen on the
        batches during the epoch (no extra pass over X), plus the penalty.
        """
        n_rows = len(order)
        # Sent to the device once per epoch, not once per batch.
        order = asarray(obj.xp, order, obj.xp.int64, obj.device)
        beta = rule.momentum(steps, stochastic=True)
        data_loss = 0.0
        for start in range(0, n_rows, self.batch_size):
            stop = min(start + self.batch_size, n_rows)
            batch = obj.batch(order[start:stop], n_rows)
            y = theta + beta * (theta - theta_prev) if beta else theta
            loss_y, _, grad = batch.evaluate(y)
            data_loss += loss_y * batch.normalizer / obj.normalizer
            theta_prev, theta = theta, obj.prox(y - steps.step * grad, steps.step)
        return theta, theta_prev, data_loss + obj.penalty(theta)

    def _validation_split(self, y, rng):
        n = len(y)
        n_val = int(np.ceil(self.validation_fraction * n))
        if n_val >= n:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of n_samples={n}, which leaves no "
                "sample to train on; use more samples, a smaller "
                "validation_fraction or early_stopping=False."
            )
        stratify = self._stratification(y, n_val)
        train, val = train_test_split(
            np.arange(n), test_size=n_val, stratify=stratify, random_state=rng
        )
        return np.sort(train), np.sort(val)

    def _stratification(self, y, n_val):
        return None
