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
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import Integral, Interval, Real, StrOptions, check_sample_weight
from ._compat import validate_params as _validate_params
from ._losses import LOSSES
from ._objective import Objective, standardization
from ._optimizers import OPTIMIZERS, STEP_GROWTH, STEP_SHRINK, StepState
from ._stopping import Stopper, effective_tol, is_diverging

__all__ = ["DivergenceError", "LinearModelBase"]

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


@dataclass
class TrainingState:
    """Everything ``partial_fit`` needs to continue where training stopped."""

    mean: np.ndarray  # standardization, fixed after the first call
    scale: np.ndarray
    theta: np.ndarray  # standardized weights with the intercept as last row
    theta_prev: np.ndarray  # previous iterate, for the momentum
    steps: StepState
    lipschitz: float
    eigvec: np.ndarray
    rng: np.random.RandomState
    stopper: Stopper
    passes: float = 0.0  # products with X so far, in full passes
    history: list = field(default_factory=list)


@contextlib.contextmanager
def _restored_on_error(estimator):
    """Put back every attribute of ``estimator`` if the block raises.

    A shallow copy suffices because the training code never modifies a stored
    array in place; the training state is deep-copied before it is continued.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
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

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )

    def _fit_public(self, X, y, sample_weight, *, incremental, classes=None):
        _validate_params(self)
        with _restored_on_error(self), _progress_logging(self.verbose):
            self._train(X, y, sample_weight, incremental=incremental, classes=classes)
        return self

    # --------------------------------------------------------------- the loop
    def _train(self, X, y, sample_weight, *, incremental, classes):
        continuing = incremental and hasattr(self, "_state")
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse=("csr", "csc"),
            dtype=self._state.theta.dtype if continuing else (np.float64, np.float32),
            **self._validate_kwargs,
        )
        sw = check_sample_weight(sample_weight, X, dtype=X.dtype)
        Y, sw = self._prepare_targets(
            y, sw, continuing=continuing, incremental=incremental, classes=classes
        )
        Y = Y.astype(X.dtype, copy=False)
        n, d = X.shape
        loss = LOSSES[self._loss_name()]()
        state = copy.deepcopy(self._state) if continuing else None
        rng = state.rng if continuing else check_random_state(self.random_state)

        # Early stopping holds out rows by giving them zero training weight,
        # which needs no copy of X.
        validate = self.early_stopping and not incremental
        train_rows, val_rows = np.arange(n), None
        sw_train = sw
        if validate:
            train_rows, val_rows = self._validation_split(y, rng)
            sw_train = sw.copy()
            sw_train[val_rows] = 0.0
            if not np.any(sw_train > 0):
                raise ValueError(
                    "early_stopping=True left no training sample with a positive "
                    "sample_weight; use a smaller validation_fraction or "
                    "early_stopping=False."
                )

        if continuing:
            mean, scale = state.mean, state.scale
        else:
            mean, scale = standardization(X, sw_train, self.fit_intercept)
        obj = Objective(
            X, Y, sw_train, loss, self.alpha, mean, scale, self.fit_intercept
        )

        theta = self._initial_theta(obj, state, d, Y.shape[1])
        theta_prev = state.theta_prev if continuing else theta
        rule = OPTIMIZERS[self.optimizer]()
        full_batch = self.batch_size is None or self.batch_size >= len(train_rows)

        # The power iteration starts from a fixed, data-independent vector, so
        # that weighted and repeated rows give the same step size.
        eigvec = state.eigvec if continuing else np.random.RandomState(0).randn(d)
        if full_batch:
            n_power = _POWER_ITERATIONS_WARM if continuing else _POWER_ITERATIONS
            lipschitz, eigvec = obj.lipschitz(eigvec, n_power)
        else:
            lipschitz = obj.max_row_curvature(n_rows=len(train_rows))
        if continuing:
            lipschitz = max(lipschitz, state.lipschitz)
        steps = state.steps if continuing else StepState(step=0.0)
        if not (continuing and rule.line_search and full_batch):
            steps = StepState(step=self.learning_rate / lipschitz, t=steps.t)

        tol = effective_tol(self.tol, X.dtype)
        stopper = state.stopper if continuing else Stopper(tol, self.n_iter_no_change)
        stopper.tol = tol
        history = state.history if continuing else []
        val_history = []
        passes_before = state.passes if continuing else 0.0

        r = obj.raw(theta)
        r_prev = r if theta_prev is theta else obj.raw(theta_prev)
        F = obj.value(r, theta)
        start = F
        null = obj.data_loss(np.zeros_like(r))
        best_theta, best_val = theta, -np.inf
        if validate:
            X_val = None if full_batch else X[val_rows]
        losses = []
        converged = False
        n_epochs = 1 if incremental else self.max_iter
        tic = time.perf_counter()
        for epoch in range(1, n_epochs + 1):
            if full_batch:
                theta, theta_prev, r, r_prev, F, steps = self._full_batch_epoch(
                    obj, rule, steps, theta, theta_prev, r, r_prev, F
                )
            else:
                order = rng.permutation(train_rows) if self.shuffle else train_rows
                theta, theta_prev, F = self._minibatch_epoch(
                    obj, rule, steps, theta, theta_prev, order
                )
                steps = rule.advance(steps, restart=False)
            losses.append(F)
            if is_diverging(
                losses,
                start,
                null,
                np.inf if incremental else min(losses),
                self.n_iter_no_change,
                full_batch and not incremental,
            ):
                raise DivergenceError(
                    f"Training diverged at epoch {len(history) + epoch}: the loss "
                    f"reached {F:.6g}, up from {start:.6g} at the start, with "
                    f"learning_rate={self.learning_rate!r} (a step of "
                    f"{steps.step:.3g}). Use a smaller learning_rate, such as "
                    f"{self.learning_rate / 10:g}; 1.0 and below converge for "
                    "full-batch training."
                )
            monitored = F
            if validate:
                raw_val = r[val_rows] if full_batch else obj.scores(X_val, theta)
                monitored = self._validation_loss(
                    obj, raw_val, Y[val_rows], sw[val_rows]
                )
                val_history.append(-monitored)
                if -monitored > best_val:
                    best_theta, best_val = theta, -monitored
            stop = stopper.update(monitored)
            if self.verbose:
                logger.info(
                    "epoch %d: loss %.6g%s, step %.3g, %.3f s",
                    len(history) + epoch,
                    F,
                    f", validation score {val_history[-1]:.6g}" if validate else "",
                    steps.step,
                    time.perf_counter() - tic,
                )
            if stop and not incremental:
                converged = True
                break

        if not incremental and not converged and tol is not None:
            warnings.warn(
                f"{type(self).__name__} stopped at max_iter={self.max_iter} before "
                f"the loss stopped improving by tol={self.tol}. Increase max_iter, "
                "or raise learning_rate (up to 1.0 is safe) or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if validate:
            theta = best_theta
            self.validation_scores_ = val_history
            self.best_validation_score_ = best_val
        coef, intercept = obj.unstandardize(theta)
        self._set_coef(coef.T.copy(), intercept)
        history = history + losses
        self.loss_curve_ = history
        self.best_loss_ = min(history)
        self.n_iter_ = len(history)
        self.step_size_ = steps.step
        self._state = TrainingState(
            mean=mean,
            scale=scale,
            theta=theta,
            theta_prev=theta if validate else theta_prev,
            steps=steps,
            lipschitz=lipschitz,
            eigvec=eigvec,
            rng=rng,
            stopper=stopper,
            passes=passes_before + obj.counter.passes,
            history=history,
        )

    def _initial_theta(self, obj, state, n_features, n_outputs):
        if state is not None:
            return state.theta
        if self.warm_start and hasattr(self, "coef_"):
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
            step *= STEP_GROWTH
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
