"""The training loop shared by every estimator of the package.

One loop, in the textbook's order: start from initial weights, predict (raw
scores), compare the prediction with the target through a loss, move the
weights against the gradient, and repeat until the loss stops improving.
The estimators only say how targets are coded, which loss to use and how to
turn raw scores into predictions.
"""

import contextlib
import copy
import logging
import time
import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import Integral, Interval, Real, StrOptions, check_sample_weight
from ._compat import validate_params as _validate_params
from ._losses import LOSSES
from ._objective import Objective, standardization
from ._optimizers import OPTIMIZERS, STEP_GROWTH, STEP_SHRINK, StepState
from ._stopping import Stopper, effective_tol, is_diverging
from ._version import __version__

__all__ = ["DivergenceError", "InconsistentVersionWarning", "LinearModelBase"]

logger = logging.getLogger("sklearn_simple")

_POWER_ITERATIONS = 10  # estimating the safe step from scratch
_POWER_ITERATIONS_WARM = 3  # re-estimating it from the last eigenvector


class DivergenceError(ValueError):
    """Training diverged: the loss became non-finite or grew instead of falling.

    Raised by ``fit`` and ``partial_fit`` instead of returning a model with
    meaningless weights. The estimator is left as it was before the call. In a
    :class:`~sklearn.model_selection.GridSearchCV` the candidate is recorded
    as failed (score NaN, with a ``FitFailedWarning``) and the search carries on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple import DivergenceError, SimpleRegressor
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> try:
    ...     SimpleRegressor(learning_rate=5.0, optimizer="gd").fit(X, X[:, 0])
    ... except DivergenceError as exc:
    ...     print("diverged:", "learning_rate=5.0" in str(exc))
    diverged: True
    """


class InconsistentVersionWarning(_SklearnVersionWarning):
    """A model is unpickled by another version of sklearn-simple than saved it.

    The model may still work, but nothing guarantees it: refit it, or use the
    version that saved it. A subclass of scikit-learn's own warning of the same
    name, so that filters set for scikit-learn's catch it too.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_simple import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     estimator_name="SimpleRegressor",
    ...     current_sklearn_version="0.2.0",
    ...     original_sklearn_version="0.1.0",
    ... )
    >>> print(warning)  # doctest: +ELLIPSIS
    Unpickling SimpleRegressor saved by sklearn-simple 0.1.0 with version 0.2.0...
    """

    def __str__(self):
        return (
            f"Unpickling {self.estimator_name} saved by sklearn-simple "
            f"{self.original_sklearn_version} with version "
            f"{self.current_sklearn_version}: this might lead to breaking code "
            "or invalid results. Refit the model, or load it with the version "
            "that saved it."
        )


class _Interruption:
    """Lets the loop ask :func:`_restored_on_error` to keep what it finished."""

    keep = False


@contextlib.contextmanager
def _restored_on_error(estimator):
    """Put back every attribute of ``estimator`` if the block raises.

    A shallow copy suffices because the training code never modifies a stored
    array in place; the training state is deep-copied before it is continued.
    The one exception: a ``fit`` interrupted by the user keeps the weights of
    its last finished epoch (the loop says so through the yielded object).
    """
    saved = dict(estimator.__dict__)
    interruption = _Interruption()
    try:
        yield interruption
    except BaseException as exc:
        if not (interruption.keep and isinstance(exc, KeyboardInterrupt)):
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)
        raise


def _emits(log):
    while log is not None:
        if any(not isinstance(h, logging.NullHandler) for h in log.handlers):
            return True
        log = log.parent if log.propagate else None
    return False


@contextlib.contextmanager
def _progress_logging(verbose):
    """With ``verbose``, make the package logger's INFO records visible.

    If the application configured no handler for them, one that writes to
    standard error is attached for the duration of the call and removed after
    it, as is the logger level: no logging configuration outlives the call.
    """
    if not verbose:
        yield
        return
    level = logger.level
    handler = None
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if not _emits(logger):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    try:
        yield
    finally:
        logger.setLevel(level)
        if handler is not None:
            logger.removeHandler(handler)


def _check_standardization(mean, scale):
    """Refuse data whose column statistics overflow, before they poison the loop.

    Without this check an overflowed variance makes the step size NaN, and the
    run ends in a DivergenceError that blames the learning rate.
    """
    overflowed = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
    if overflowed.size:
        raise ValueError(
            f"The weighted mean or variance of column(s) {overflowed.tolist()} of X "
            f"overflows {scale.dtype.name}: the values of X (or of sample_weight) "
            "are too large to compute with. Rescale X, e.g. with "
            "sklearn.preprocessing.MaxAbsScaler, or divide sample_weight by its "
            "largest value."
        )


class LinearModelBase(BaseEstimator):
    """Shared parameters, validation and training loop of the linear models.

    Subclasses define ``__init__`` (storing parameters only) and the hooks
    ``_loss_name``, ``_prepare_targets``, ``_set_coef`` and
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

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )

    def _linear_scores(self, X):
        """``X @ coef_.T + intercept_`` for validated ``X``; never inf or NaN.

        Finite ``X`` can still overflow the product (values far outside the
        training range): an error says so instead of returning inf or NaN.
        """
        X = self._validate_for_predict(X)
        with np.errstate(over="ignore", invalid="ignore"):
            coef = self.coef_.astype(X.dtype, copy=False)
            scores = np.asarray(X @ coef.T) + self.intercept_
        overflowed = ~np.isfinite(scores)
        if overflowed.any():
            n_bad = int(overflowed.reshape(len(scores), -1).any(axis=1).sum())
            raise ValueError(
                f"X @ coef_ + intercept_ overflows {scores.dtype.name} for {n_bad} "
                f"of {len(scores)} samples: their values are far outside the range "
                "of the training data. Check that X is in the units the model was "
                "trained on (and scaled the same way)."
            )
        return scores

    def _fit_public(self, X, y, sample_weight, *, incremental, classes=None):
        _validate_params(self)
        with (
            _restored_on_error(self) as interruption,
            _progress_logging(self.verbose),
            # Overflow in a diverging run is detected and raised as a
            # DivergenceError: numpy's own warnings would only add noise.
            np.errstate(over="ignore", under="ignore", invalid="ignore"),
        ):
            self._train(X, y, sample_weight, incremental, classes, interruption)
        return self

    # --------------------------------------------------------------- the loop
    def _train(self, X, y, sample_weight, incremental, classes, interruption):
        continuing = incremental and hasattr(self, "_state")
        state = copy.deepcopy(self._state) if continuing else None
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse=("csr", "csc"),
            dtype=state["theta"].dtype if continuing else (np.float64, np.float32),
            **self._validate_kwargs,
        )
        sw = check_sample_weight(sample_weight, X, dtype=X.dtype)
        Y, sw = self._prepare_targets(
            y, sw, continuing=continuing, incremental=incremental, classes=classes
        )
        Y = Y.astype(X.dtype, copy=False)
        rng = state["rng"] if continuing else check_random_state(self.random_state)

        # Early stopping holds out rows by giving them zero training weight,
        # which needs no copy of X.
        train_rows, val_rows = np.arange(X.shape[0]), None
        sw_train = sw
        if self.early_stopping and not incremental:
            train_rows, val_rows = self._validation_split(y, rng)
            sw_train = sw.copy()
            sw_train[val_rows] = 0.0
            if not np.any(sw_train > 0):
                raise ValueError(
                    "early_stopping=True left no training sample with a positive "
                    "sample_weight; use a smaller validation_fraction or "
                    "early_stopping=False."
                )
        if not continuing:
            mean, scale = standardization(X, sw_train, self.fit_intercept)
            _check_standardization(mean, scale)
            state = {"mean": mean, "scale": scale, "rng": rng, "passes": 0.0}
        obj = Objective(
            X,
            Y,
            sw_train,
            LOSSES[self._loss_name()](),
            self.alpha,
            state["mean"],
            state["scale"],
            self.fit_intercept,
        )
        if not continuing:
            theta = self._initial_theta(obj, X.shape[1], Y.shape[1])
            state.update(
                theta=theta,
                theta_prev=theta,
                t=1.0,
                # The power iteration starts from a fixed, data-independent
                # vector, so that weighted and repeated rows get the same step.
                eigvec=np.random.RandomState(0).randn(X.shape[1]),
                lipschitz=0.0,
                best=np.inf,
                no_improvement=0,
                history=[],
            )
        rule = OPTIMIZERS[self.optimizer]()
        full_batch = self.batch_size is None or self.batch_size >= len(train_rows)
        self._set_step(obj, state, rule, full_batch, len(train_rows), continuing)
        if not np.isfinite(state["lipschitz"]):
            # Possible after the standardization check when partial_fit gets
            # values far larger than the call that fixed the standardization.
            raise ValueError(
                f"The curvature of the loss overflows {X.dtype.name}: the values "
                "of X are too large to compute with. Rescale X, e.g. with "
                "sklearn.preprocessing.MaxAbsScaler, the same way for every call."
            )
        validation = None
        if val_rows is not None:
            validation = (val_rows, None if full_batch else X[val_rows], Y, sw)
        try:
            converged, val_scores, best_theta = self._epochs(
                obj, state, rule, full_batch, train_rows, validation, incremental
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
            # Momentum belongs to the last iterate, not to the best one.
            state["theta"] = state["theta_prev"] = best_theta
        self._finish(obj, state, state["theta"])

    def _set_step(self, obj, state, rule, full_batch, n_rows, continuing):
        """Estimate the curvature ``L`` and set the step ``learning_rate / L``."""
        if full_batch:
            n_power = _POWER_ITERATIONS_WARM if continuing else _POWER_ITERATIONS
            lipschitz, state["eigvec"] = obj.lipschitz(state["eigvec"], n_power)
        else:
            lipschitz = obj.max_row_curvature(n_rows=n_rows)
        # partial_fit never takes a larger step than an earlier call did.
        state["lipschitz"] = max(lipschitz, state["lipschitz"])
        # A line search carries its adapted step from one partial_fit to the next.
        if not (continuing and rule.line_search and full_batch):
            state["step"] = self.learning_rate / state["lipschitz"]

    def _epochs(
        self, obj, state, rule, full_batch, train_rows, validation, incremental
    ):
        """Run the epochs; the state holds the last finished one at any time.

        Returns whether the stopping rule ended the run, the validation scores
        and the weights of the best validation epoch (with early stopping).
        """
        tol = effective_tol(self.tol, obj.X.dtype)
        stopper = Stopper(
            tol, self.n_iter_no_change, state["best"], state["no_improvement"]
        )
        theta, theta_prev = state["theta"], state["theta_prev"]
        steps = StepState(step=state["step"], t=state["t"])
        r = obj.raw(theta)
        r_prev = r if theta_prev is theta else obj.raw(theta_prev)
        F = start = obj.value(r, theta)
        if not np.isfinite(start):
            raise ValueError(
                f"The loss is {start} before the first step: the values of X, y or "
                f"sample_weight are too large to compute it in {obj.X.dtype.name}. "
                "Rescale them: X e.g. with sklearn.preprocessing.MaxAbsScaler, y by "
                "dividing it by a constant, sample_weight by its largest value."
            )
        null = obj.data_loss(np.zeros_like(r))
        losses, val_scores, best_theta = [], [], theta
        done = len(state["history"])
        tic = time.perf_counter()
        for epoch in range(done + 1, done + 1 + (1 if incremental else self.max_iter)):
            if full_batch:
                theta, theta_prev, r, r_prev, F, steps = self._full_batch_epoch(
                    obj, rule, steps, theta, theta_prev, r, r_prev, F
                )
            else:
                rows = (
                    state["rng"].permutation(train_rows) if self.shuffle else train_rows
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
                    f"{self.learning_rate!r} (a step of {steps.step:.3g}). Use a "
                    f"smaller learning_rate, such as {self.learning_rate / 10:g}; "
                    "1.0 and below converge for full-batch training."
                )
            monitored = F
            if validation is not None:
                val_rows, X_val, Y, sw = validation
                raw = r[val_rows] if X_val is None else obj.scores(X_val, theta)
                monitored = self._validation_loss(obj, raw, Y[val_rows], sw[val_rows])
                if not val_scores or -monitored > max(val_scores):
                    best_theta = theta
                val_scores.append(-monitored)
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
            if stop and not incremental:
                return True, val_scores, best_theta
        return False, val_scores, best_theta

    def _finish(self, obj, state, theta):
        """Set the fitted attributes from the weights ``theta``."""
        coef, intercept = obj.unstandardize(theta)
        self._set_coef(coef.T.copy(), intercept)
        self.loss_curve_ = state["history"]
        self.best_loss_ = min(state["history"])
        self.n_iter_ = len(state["history"])
        self.step_size_ = state["step"]
        self._state = state

    def _initial_theta(self, obj, n_features, n_outputs):
        if self.warm_start and hasattr(self, "coef_"):
            if np.shape(self.coef_)[-1] != n_features:
                raise ValueError(
                    f"warm_start=True but the fitted model has "
                    f"{np.shape(self.coef_)[-1]} features and the new data "
                    f"{n_features}; set warm_start=False to start afresh."
                )
            coef = np.asarray(self.coef_, dtype=obj.X.dtype).reshape(-1, n_features).T
            intercept = np.asarray(self.intercept_, dtype=obj.X.dtype).reshape(-1)
            if coef.shape[1] != n_outputs:
                raise ValueError(
                    f"warm_start=True but the fitted model has {coef.shape[1]} "
                    f"output(s) and the new data {n_outputs}; set warm_start=False "
                    "to start afresh."
                )
            return obj.standardize(coef, intercept)
        return np.zeros((n_features + 1, n_outputs), dtype=obj.X.dtype)

    @staticmethod
    def _full_batch_epoch(obj, rule, steps, theta, theta_prev, r, r_prev, F):
        """One proximal (accelerated) gradient step on all rows.

        Raw scores are linear in the weights, so those of the extrapolated
        point are combined from the cached scores of the last two iterates:
        a step costs two products with X (one with a line search trial more).
        """
        beta = rule.momentum(steps, stochastic=False)
        if beta:
            y = theta + beta * (theta - theta_prev)
            ry = r + beta * (r - r_prev)
        else:
            y, ry = theta, r
        grad = obj.gradient(ry)
        step = steps.step
        if rule.line_search:
            f_y = obj.data_loss(ry)
            # Bounded: where the loss is flat (an exact fit) every trial is
            # accepted, and the step would grow to inf, then make NaN forever.
            step = min(step * STEP_GROWTH, np.sqrt(np.finfo(theta.dtype).max))
        while True:
            x = obj.prox(y - step * grad, step)
            rx = obj.raw(x)
            if not rule.line_search:
                break
            dx = x - y
            bound = f_y + float(np.vdot(grad, dx)) + float(np.vdot(dx, dx)) / (2 * step)
            if obj.data_loss(rx) <= bound or step < np.finfo(x.dtype).tiny:
                break
            step *= STEP_SHRINK
        F_new = obj.value(rx, x)
        # Restart the momentum when it stopped helping: the objective rose, or
        # the step went against the direction of the momentum.
        restart = F_new > F or float(np.vdot(y - x, x - theta)) > 0
        steps = rule.advance(StepState(step=step, t=steps.t), restart)
        return x, theta, rx, r, F_new, steps

    def _minibatch_epoch(self, obj, rule, steps, theta, theta_prev, order):
        """One pass over the rows in mini-batches; returns the epoch's loss.

        The loss reported is the weighted mean of the losses seen on the
        batches during the epoch (no extra pass over X), plus the penalty.
        """
        n_rows = len(order)
        beta = rule.momentum(steps, stochastic=True)
        data_loss = 0.0
        for start in range(0, n_rows, self.batch_size):
            batch = obj.batch(order[start : start + self.batch_size], n_rows)
            y = theta + beta * (theta - theta_prev) if beta else theta
            ry = batch.raw(y)
            data_loss += batch.data_loss(ry) * batch.normalizer / obj.normalizer
            grad = batch.gradient(ry)
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

    @staticmethod
    def _validation_loss(obj, raw, Y, sw):
        total = float(sw.sum())
        if total == 0:
            sw, total = np.ones_like(sw), float(len(sw))
        return float(sw @ obj.loss.value(Y, raw).sum(axis=1)) / total
