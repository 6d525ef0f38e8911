"""SimpleRegressor: a quantitative estimate, ``y = X @ coef_ + intercept_``."""

from typing import ClassVar

from sklearn.base import RegressorMixin

from ._array_api import namespace_of
from ._base import LinearModelBase

__all__ = ["SimpleRegressor"]


class SimpleRegressor(RegressorMixin, LinearModelBase):
    """Linear regression learned by an explicit gradient-descent loop.

    The model is ``y = X @ coef_ + intercept_``. Training starts from zero
    weights, predicts, measures the half squared error against the target,
    steps against its gradient and repeats until the loss stops improving.
    It minimises ``sum(sw * (y - X @ w - b) ** 2 / 2) / sum(sw) + alpha / 2 *
    ||w|| ** 2``, which is :class:`~sklearn.linear_model.Ridge` with
    ``alpha * sum(sw)`` (and least squares for ``alpha=0``).

    Features are standardized implicitly (no copy of ``X``), so the
    ``learning_rate`` is a multiple of the safe step of the data: 1.0 always
    converges in full-batch training, whatever the scale of the features,
    and in mini-batches (SAGA) too; in a stream of :meth:`partial_fit` calls
    no call diverges, and the running average of the weights approaches
    the full-batch fit (see the user guide's learning-rate page).

    With ``sklearn.set_config(array_api_dispatch=True)``, data from an array
    API library (PyTorch, CuPy, ...) is trained on in that library and on its
    device (a GPU, for instance): see :ref:`array_api`.

    Parameters
    ----------
    learning_rate : float, default=1.0
        Step size as a multiple of ``1 / L``, where ``L`` is the curvature of
        the loss on the standardized data (estimated by power iteration).
        Values up to 1.0 converge for full-batch training and, with the
        mini-batches' own safe step, for mini-batches. Larger ones may
        overshoot the minimum. A full-batch fit whose loss runs away raises
        :class:`DivergenceError`; one whose loss stalls where a single step
        of the safe size would still lower it by more than
        ``n_iter_no_change * tol`` warns (``ConvergenceWarning``), or raises
        if it stalled far above that. Nothing checks how far short of the
        minimum the stopping rule ends otherwise, at any rate (see ``tol``).
        With a line search (the default
        ``optimizer`` for a wide sparse ``X``) it is only the first step
        tried. The absolute step is stored in ``step_size_``.
    optimizer : {"auto", "nesterov", "gd", "linesearch"}, default="auto"
        ``"gd"``: plain gradient descent, the textbook loop. ``"nesterov"``:
        accelerated gradient with adaptive restart (far fewer epochs).
        ``"linesearch"``: Nesterov with a backtracking line search that adapts
        the step size, starting from ``learning_rate``. ``"auto"`` is
        ``"linesearch"`` for a sparse ``X`` too wide for the Gram matrix
        (more than 1000 features, or more features than rows), whose safe
        step is several times too small (its curvature is estimated on a
        sample of rows, dominated on sparse data by rows of rare features),
        except in :meth:`partial_fit`; ``"nesterov"`` otherwise.
    alpha : float, default=0.0
        L2 penalty on the coefficients (not on the intercept).
    fit_intercept : bool, default=True
        Whether to learn ``intercept_``; if False the model goes through 0.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the training data).
    tol : float or None, default=1e-4
        Training stops when the loss (or the validation loss, with early
        stopping) has not improved by at least ``tol`` relative to the best for
        ``n_iter_no_change`` epochs, or, with a line search, ``alpha > 0``
        and float64 data, as soon as a step shows that the loss is within
        ``tol`` (relative) of its minimum. Never taken below what the dtype of ``X``
        can resolve. ``None`` runs ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, monitor the loss
        on it and keep the weights of the best epoch. Ignored by
        :meth:`partial_fit`.
    validation_fraction : float, default=0.1
        Fraction of the samples held out when ``early_stopping=True``.
    batch_size : int or None, default=None
        ``None`` trains on all rows at once (full batch, deterministic). An
        integer trains on shuffled mini-batches of that many rows, by SAGA
        (a variance-reduced gradient: a constant step reaches the full-batch
        fit) with momentum between epochs only.
    shuffle : bool, default=True
        Whether to shuffle the rows at each epoch (mini-batches only).
    warm_start : bool, default=False
        Start ``fit`` from the weights of the previous fit.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling and the validation split.
    verbose : int, default=0
        If positive, log the loss of every epoch to the ``sklearn_simple``
        logger (shown on standard error unless logging is configured).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Learned weights.
    intercept_ : float or ndarray of shape (n_targets,)
        Learned bias.
    n_iter_ : int
        Epochs run (over successive :meth:`partial_fit` calls, their total).
    loss_curve_ : list of float
        Training objective after each epoch. With mini-batches, the mean of
        each batch's loss as the epoch visited it, plus the penalty at the
        epoch's end: no extra pass over X, but not the objective at any one
        point, and it can dip below the minimum (by 1.4e-4 relative on a
        2000 x 10 regression in batches of one row).
    best_loss_ : float
        Smallest value in ``loss_curve_``.
    validation_scores_ : list of float
        With early stopping: the negated loss on the validation set after each
        epoch (greater is better).
    best_validation_score_ : float
        With early stopping: the best of ``validation_scores_``.
    step_size_ : float
        The absolute step size used (on the standardized problem).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    ThresholdClassifier : The same training loop, for classification.
    sklearn.linear_model.LinearRegression : Least squares by a direct solver.
    sklearn.linear_model.SGDRegressor : Linear model fitted by SGD.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple import SimpleRegressor
    >>> X = np.array([[1.0, 2.0], [2.0, 0.0], [3.0, 1.0], [4.0, 3.0]])
    >>> y = 2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5
    >>> reg = SimpleRegressor(tol=1e-10).fit(X, y)
    >>> np.round(reg.coef_, 4), round(float(reg.intercept_), 4)
    (array([ 2., -1.]), 0.5)
    >>> np.round(reg.predict([[5.0, 1.0]]), 4)
    array([9.5])
    """

    _validate_kwargs: ClassVar[dict] = {"multi_output": True, "y_numeric": True}

    def __init__(
        self,
        *,
        learning_rate=1.0,
        optimizer="auto",
        alpha=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        batch_size=None,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Train the model from zero weights (or the last ones, with warm_start).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight is the same as repeating
            the row that many times.

        Returns
        -------
        self : SimpleRegressor
            The fitted estimator.
        """
        return self._fit_public(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X``, continuing from the current state.

        The first call fixes the feature standardization; the optimizer state
        (momentum, step size) carries over between calls, so successive calls
        on chunks of a data set train as on the whole of it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : SimpleRegressor
            The updated estimator.
        """
        return self._fit_public(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values.
        """
        return self._linear_scores(X, "predict")

    def _loss_name(self):
        return "squared_error"

    def _prepare_targets(self, y, sample_weight, *, continuing, incremental, classes):
        if not continuing:
            self._single_output = y.ndim == 1
        elif (y.ndim == 1) != self._single_output:
            raise ValueError(
                "y has a different number of targets than in earlier partial_fit "
                "calls; give every call the same targets."
            )
        Y = namespace_of(y)[0].reshape(y, (y.shape[0], -1))
        trained = self._state.solver.weights.shape[1] if continuing else Y.shape[1]
        if Y.shape[1] != trained:
            raise ValueError(
                f"y has {Y.shape[1]} targets but the model was trained on "
                f"{trained}; give every call the same targets."
            )
        return Y, sample_weight

    def _coef_attributes(self, coef, intercept):
        if self._single_output:
            return {"coef_": coef[0, :], "intercept_": intercept[0]}
        return {"coef_": coef, "intercept_": intercept}
