"""ThresholdClassifier: a class made from a quantitative score and a threshold."""

from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from ._array_api import (
    asarray,
    astype,
    move_to,
    namespace_of,
    sigmoid,
    to_numpy,
)
from ._base import LinearModelBase
from ._compat import Real, StrOptions
from ._exceptions import plain
from ._losses import LOSSES
from ._multiclass import (
    cumulative_proba,
    model_loss,
    ordinal_decision,
    ordinal_rank,
    ordinal_targets,
    softmax,
)
from ._ordinal import OrdinalObjective, ordinal_attributes, ordinal_initial_weights
from ._targets import balanced_weights, coded_targets, known_classes, weight_per_class

__all__ = ["ThresholdClassifier"]


def _has_proba(estimator):
    if estimator.loss != "log_loss":
        raise AttributeError(
            f"probabilities are only available for loss='log_loss', not "
            f"loss={estimator.loss!r}"
        )
    return True


class ThresholdClassifier(ClassifierMixin, LinearModelBase):
    """Linear classifier: score the input, then compare the score with a threshold.

    The score is the quantitative estimate ``X @ coef_ + intercept_``, learned
    by the same gradient-descent loop as :class:`SimpleRegressor` with a
    classification loss. For two classes, :meth:`predict` returns ``pos_label``
    where the score reaches ``threshold``: the probability
    (:meth:`predict_proba`) for the log loss, :meth:`decision_function`
    otherwise. For more classes, one score per class and the class with the
    highest score wins: the multinomial (softmax) model for the log loss,
    like :class:`~sklearn.linear_model.LogisticRegression`, one-vs-rest for
    the others. With ``ordinal``, ordered classes come from one score and
    increasing ``thresholds_``: the class is the number of thresholds the
    score passes. See :ref:`multiclass`.

    It minimises ``sum(sw * loss) / sum(sw) + alpha / 2 * ||coef||**2``.

    With ``sklearn.set_config(array_api_dispatch=True)``, data from an array
    API library (PyTorch, CuPy, ...) is trained on in that library and on its
    device (a GPU, for instance): see :ref:`array_api`.

    Parameters
    ----------
    loss : {"log_loss", "squared_error", "hinge"}, default="log_loss"
        ``"log_loss"``: logistic regression, with probabilities (multinomial
        beyond two classes; proportional odds with ``ordinal``).
        ``"squared_error"``: regression on targets coded -1/+1 (like
        :class:`~sklearn.linear_model.RidgeClassifier`). ``"hinge"``: a linear
        support vector machine. Beyond two classes these two are one-vs-rest,
        and with ``ordinal`` summed over all thresholds (Rennie & Srebro,
        *Loss functions for preference levels*, 2005).
    threshold : float or "auto", default="auto"
        For two classes, the score at or above which ``pos_label`` is
        predicted. ``"auto"``: 0.5 for the log loss (a probability), else 0.0
        (the decision function), so that by default :meth:`predict` agrees with
        ``decision_function(X) > 0``. A number is an error with more classes.
    pos_label : int, float, bool or str, default=None
        The class the threshold is about (two classes only); ``None`` means
        ``classes_[1]``.
    class_weight : dict, "balanced" or None, default=None
        Weights multiplying the sample weights of each class. "balanced" uses
        ``sum(sw) / (n_classes * sum(sw of the class))``; in :meth:`partial_fit`
        over all the data seen so far.
    ordinal : bool or array-like of labels, default=False
        Whether the classes are ordered. ``True``: in their sorted order; a
        list: in its order, lowest first (e.g. ``["low", "medium", "high"]``,
        the categories of a pandas ordered Categorical). The model is then one
        score ``X @ coef_.T + intercept_`` and ``n_classes - 1`` increasing
        ``thresholds_``; the class predicted is the number of thresholds the
        score passes. With the log loss it is the proportional-odds
        (cumulative logit) model, ``P(class <= k) = sigmoid(thresholds_[k] -
        score)``, with :meth:`predict_proba`. The thresholds stay ordered by
        parametrization: the model learns the first threshold and the gaps
        between the next ones, and each step keeps every gap positive.
        ``fit_intercept`` is ignored: the thresholds are the intercepts.
    learning_rate : float, default=1.0
        Step size as a multiple of the safe step ``1 / L`` of the standardized
        data; 1.0 converges in full batch and, for the log loss, in
        mini-batches (the hinge loss is not smooth: no promise there). See
        :class:`SimpleRegressor`. With a line search (the default
        ``optimizer`` in ``fit`` for more than two classes, not ordinal, and
        for a sparse ``X`` with a smooth loss) it is only the first step
        tried; ``step_size_`` is where the search ended.
    optimizer : {"auto", "nesterov", "gd", "linesearch"}, default="auto"
        See :class:`SimpleRegressor`. ``"auto"`` is ``"linesearch"`` where the
        safe step is several times too small: for the multinomial log loss
        (more than two classes, not ordinal; its curvature bound is reached
        only where a row's probability is split between two classes) and for
        a sparse ``X`` with a smooth loss, not the hinge (its curvature is
        estimated on a sample of rows, dominated on sparse data by rows of
        rare features); never in
        :meth:`partial_fit`. ``"nesterov"`` otherwise.
    alpha : float, default=1e-4
        L2 penalty on the coefficients; the default keeps separable data from
        driving the weights to infinity.
    fit_intercept : bool, default=True
        Whether to learn ``intercept_``.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-4
        Relative improvement of the loss under which an epoch counts as no
        improvement. With a line search, ``alpha > 0`` and float64 data,
        training also stops as soon as it shows that the loss is within
        ``tol`` (relative) of its minimum: each step shows it for
        ``loss="squared_error"`` or without an intercept, one more pass at
        an epoch without improvement for the log loss with two classes (not
        for more classes with an intercept, nor ordinal ones).
        ``None`` runs ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified when
        possible), monitor the loss on it, keep the best epoch's weights.
        Ignored by :meth:`partial_fit`.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    batch_size : int or None, default=None
        ``None`` for full batch, an integer for mini-batches.
    shuffle : bool, default=True
        Whether to shuffle the rows at each epoch (mini-batches only).
    warm_start : bool, default=False
        Start ``fit`` from the weights of the previous fit.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling and the validation split.
    verbose : int, default=0
        If positive, log every epoch to the ``sklearn_simple`` logger.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights of the score (one row per class beyond two classes, unless
        ``ordinal``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Bias of the score (0 with ``ordinal``: the thresholds hold it).
    thresholds_ : ndarray of shape (n_classes - 1,)
        With ``ordinal``: the increasing thresholds between consecutive
        classes of ``class_order_``.
    class_order_ : ndarray of shape (n_classes,)
        With ``ordinal``: the classes from lowest to highest.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Training objective after each epoch. With mini-batches, the mean of
        each batch's loss as the epoch visited it, plus the penalty at the
        epoch's end: no extra pass over X, but not the objective at any one
        point, and it can dip below the minimum (by 1.4e-4 relative on a
        2000 x 10 regression in batches of one row).
    best_loss_ : float
        Smallest value in ``loss_curve_``.
    validation_scores_ : list of float
        With early stopping: negated validation loss after each epoch.
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
    SimpleRegressor : The same loop for a quantitative estimate.
    sklearn.linear_model.LogisticRegression : The log loss by a direct solver.
    sklearn.model_selection.TunedThresholdClassifierCV : Tunes ``threshold``.

    Examples
    --------
    A cat avoids objects that are sharp and hard enough:

    >>> import numpy as np
    >>> from sklearn_simple import ThresholdClassifier
    >>> sharp_hard = np.array([[0.9, 0.8], [0.8, 0.9], [0.7, 0.9],
    ...                        [0.1, 0.2], [0.2, 0.1], [0.3, 0.2]])
    >>> action = np.array(["avoid"] * 3 + ["approach"] * 3)
    >>> clf = ThresholdClassifier(pos_label="avoid").fit(sharp_hard, action)
    >>> clf.predict([[0.85, 0.85], [0.15, 0.1]])
    array(['avoid', 'approach'], dtype='<U8')
    >>> clf.set_params(threshold=0.99).predict([[0.6, 0.6]])
    array(['approach'], dtype='<U8')

    Or, with a third action in between, from one score and two thresholds:

    >>> sharp_hard = np.array([[0.9, 0.8], [0.8, 0.9], [0.5, 0.5],
    ...                        [0.6, 0.4], [0.1, 0.2], [0.2, 0.1]])
    >>> action = np.array(["run away"] * 2 + ["ignore"] * 2 + ["approach"] * 2)
    >>> order = ["approach", "ignore", "run away"]
    >>> clf = ThresholdClassifier(ordinal=order, alpha=0.01).fit(sharp_hard, action)
    >>> clf.coef_.round(1), clf.thresholds_.round()
    (array([[4.5, 4.5]]), array([3., 6.]))
    >>> clf.predict([[0.85, 0.85], [0.5, 0.5], [0.15, 0.1]])
    array(['run away', 'ignore', 'approach'], dtype='<U8')
    """

    _parameter_constraints: ClassVar[dict] = {
        **LinearModelBase._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "threshold": [Real, StrOptions({"auto"})],
        "pos_label": [Real, str, "boolean", None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "ordinal": ["boolean", "array-like"],
    }

    def __init__(
        self,
        *,
        loss="log_loss",
        threshold="auto",
        pos_label=None,
        class_weight=None,
        ordinal=False,
        learning_rate=1.0,
        optimizer="auto",
        alpha=1e-4,
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
        self.loss = loss
        self.threshold = threshold
        self.pos_label = pos_label
        self.class_weight = class_weight
        self.ordinal = ordinal
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

    def fit(self, X, y, sample_weight=None):
        """Train the classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is trained in float32.
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings); at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, multiplied by ``class_weight``.

        Returns
        -------
        self : ThresholdClassifier
            The fitted estimator.
        """
        return self._fit_public(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on ``X``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels, all among ``classes``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever be seen; required on the first
            call, ignored (but checked if given) on later ones.

        Returns
        -------
        self : ThresholdClassifier
            The updated estimator.
        """
        return self._fit_public(X, y, sample_weight, incremental=True, classes=classes)

    # --------------------------------------------------------------- targets
    def _loss_name(self):
        n_classes = len(self._host_classes())
        return model_loss(self.loss, n_classes, self._is_ordinal())

    def _is_ordinal(self):
        # Not `bool(self.ordinal)`: a numpy array of labels has no truth value.
        return not (isinstance(self.ordinal, (bool, np.bool_)) and not self.ordinal)

    def _fits_intercept(self):
        # An ordinal model is centered always: its thresholds are intercepts.
        return self.fit_intercept or self._is_ordinal()

    def _prepare_targets(self, y, sample_weight, *, continuing, incremental, classes):
        # Labels are bookkeeping of O(n_samples) done on the host in numpy
        # (they may be strings); the targets are then built where X lives.
        y = to_numpy(y)
        check_classification_targets(y)
        xp, device = namespace_of(sample_weight)
        previous = self._host_classes() if continuing else None
        known = known_classes(y, previous, incremental, classes)
        # Numeric labels live where X does, as scikit-learn's classifiers do.
        self.classes_ = move_to(known, xp, device)
        n_classes = len(known)
        if n_classes < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but "
                f"the data contains only one class: {plain(known[0])!r}."
            )
        codes = np.searchsorted(known, y)
        per_class = weight_per_class(codes, to_numpy(sample_weight), n_classes)
        seen = getattr(self, "_seen_class_weight", None) if continuing else None
        class_weights, seen = balanced_weights(
            self.class_weight, known, per_class, seen
        )
        if isinstance(self.class_weight, str):
            # partial_fit balances the classes over all the data seen so far.
            self._seen_class_weight = seen
        if self.class_weight is not None:
            sample_weight = sample_weight * asarray(
                xp, class_weights[codes], sample_weight.dtype, device
            )
        # Checked after class_weight, which can zero a class (or all of them:
        # the loss would then divide by a zero total weight).
        # partial_fit may see one class per chunk (label-sorted streams), as
        # long as classes= names them all; fit needs two to tell apart.
        weighted = np.count_nonzero(per_class * class_weights)
        if weighted < (1 if incremental else 2):
            raise ValueError(
                f"{'No class' if weighted == 0 else 'Only one class'} has a "
                "positive total sample_weight (times class_weight); "
                + (
                    "give some sample a positive weight."
                    if incremental
                    else "at least 2 classes need positive weight to learn to "
                    "tell them apart."
                )
            )
        self._check_threshold()
        if not self._is_ordinal():
            self.__dict__.pop("thresholds_", None)
            targets = LOSSES[self.loss].targets
            Y = coded_targets(codes, n_classes, targets, sample_weight)
            return Y, sample_weight
        rank = ordinal_rank(known, self.ordinal)
        # A tuple: host bookkeeping, not an array of the fitted namespace.
        self._rank = tuple(rank.tolist())
        self.class_order_ = move_to(known[np.argsort(rank)], xp, device)
        odds = self.loss == "log_loss"
        Y = ordinal_targets(rank[codes], n_classes, odds, sample_weight)
        return Y, sample_weight

    # ---------------------------------------------------- the ordinal model
    def _objective(self, X, Y, sample_weight, *args):
        objective = super()._objective(X, Y, sample_weight, *args)
        if not self._is_ordinal():
            return objective
        return OrdinalObjective.of(objective, Y, sample_weight, self.alpha)

    def _validation_objective(self, X, Y, sample_weight, held_out, objective):
        if not isinstance(objective, OrdinalObjective):
            return super()._validation_objective(
                X, Y, sample_weight, held_out, objective
            )
        inner = super()._validation_objective(
            X, Y, sample_weight, held_out, objective.inner
        )
        if inner is None:
            return None
        return OrdinalObjective.of(
            inner, inner.Y, inner.sample_weight, 0.0, complete=True
        )

    def _initial_weights(self, objective, n_outputs):
        if not isinstance(objective, OrdinalObjective):
            return super()._initial_weights(objective, n_outputs)
        return ordinal_initial_weights(self, objective)

    def _attributes_at(self, objective, weights):
        if not isinstance(objective, OrdinalObjective):
            return super()._attributes_at(objective, weights)
        return ordinal_attributes(objective, weights)

    def _host_classes(self):
        """``classes_`` as a numpy array, wherever the model was fitted."""
        return to_numpy(self.classes_)

    def _check_threshold(self):
        # NaN passes the parameter constraints, but no score is ever >= NaN.
        if self.threshold != "auto" and np.isnan(self.threshold):
            raise ValueError(
                "threshold=nan compares false with every score, so the negative "
                "class would always be predicted; give a number or 'auto'."
            )
        classes = self._host_classes().tolist()
        if len(classes) > 2:
            if self.threshold != "auto":
                raise ValueError(
                    f"threshold={plain(self.threshold)!r} only applies to two classes, "
                    f"but there are {len(classes)}: the class with the highest "
                    "score is predicted. Use threshold='auto'."
                )
            if self.pos_label is not None:
                raise ValueError(
                    f"pos_label={plain(self.pos_label)!r} only applies to two "
                    "classes, "
                    f"but there are {len(classes)}; leave it as None."
                )
        elif self.pos_label is not None and self.pos_label not in classes:
            raise ValueError(
                f"pos_label={plain(self.pos_label)!r} is not one of the classes "
                f"{classes}."
            )

    def _stratification(self, y, n_val):
        _, counts = np.unique(y, return_counts=True)
        n_classes = len(counts)
        if counts.min() >= 2 and n_val >= n_classes and len(y) - n_val >= n_classes:
            return y
        return None

    def _coef_attributes(self, coef, intercept):
        return {"coef_": coef, "intercept_": intercept}

    # ------------------------------------------------------------ prediction
    def decision_function(self, X):
        """The score ``X @ coef_.T + intercept_``; with ``ordinal``, per class.

        With ``ordinal``, column ``k`` of class ``class_order_[k]`` holds ``k *
        score - (thresholds_[0] + ... + thresholds_[k - 1])``: consecutive
        classes differ by ``score - thresholds_[k]``, so the largest is the
        class whose thresholds the score passes (the scores of the
        equivalent one-score-per-class linear model). Columns follow
        ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive scores favour ``classes_[1]``; for
            more, the argmax is the predicted class.
        """
        return self._scores(X, "decision_function")

    def _scores(self, X, method):
        scores = self._linear_scores(X, method)
        if hasattr(self, "thresholds_"):
            scores = ordinal_decision(scores[:, 0], self.thresholds_, self._rank)
            # Two ordered classes: the binary convention, in classes_ order.
            return scores if scores.shape[1] > 2 else scores[:, 1] - scores[:, 0]
        if scores.shape[1] == 1:
            return namespace_of(scores)[0].reshape(scores, (-1,))
        return scores

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities (log loss only).

        For more than two classes, the softmax of the scores (multinomial);
        with ``ordinal``, the differences of ``sigmoid(thresholds_ - score)``
        (proportional odds).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        return self._proba(X, "predict_proba")

    def _proba(self, X, method):
        if hasattr(self, "thresholds_"):
            score = self._linear_scores(X, method)[:, 0]
            return cumulative_proba(score, self.thresholds_, self._rank)
        scores = self._scores(X, method)
        xp = namespace_of(scores)[0]
        if scores.ndim == 1:
            p = sigmoid(xp, scores)
            return xp.stack([1.0 - p, p], axis=1)
        return softmax(scores)

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (log loss only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class.
        """
        proba = self._proba(X, "predict_log_proba")
        with np.errstate(divide="ignore"):
            return namespace_of(proba)[0].log(proba)

    def predict(self, X):
        """Predict class labels.

        Two classes: ``pos_label`` where the score (probability for the log
        loss, decision function otherwise) is at least ``threshold``. More:
        the class with the highest score; with ``ordinal``, the class whose
        thresholds the score passes (for the log loss the median of the
        predicted distribution, which a narrow middle class can make differ
        from the most probable class).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self._scores(X, "predict")
        xp = namespace_of(scores)[0]
        # Before the multiclass branch: a threshold or pos_label set after fit
        # must be refused there too, not silently ignored.
        self._check_threshold()
        if scores.ndim == 2:
            return self._labels(xp.argmax(scores, axis=1))
        pos = (
            1
            if self.pos_label is None
            else self._host_classes().tolist().index(self.pos_label)
        )
        if pos == 0:
            scores = -scores
        if self.loss == "log_loss":
            scores = sigmoid(xp, scores)
            threshold = 0.5 if self.threshold == "auto" else self.threshold
        else:
            threshold = 0.0 if self.threshold == "auto" else self.threshold
        index = astype(xp, scores >= threshold, xp.int64)
        return self._labels(index if pos == 1 else 1 - index)

    def _labels(self, index):
        """``classes_[index]``, in the namespace of ``index`` when it can be.

        Numeric labels were kept next to the data at fit time; other labels
        (strings) exist only in numpy, so those predictions are numpy arrays.
        """
        xp = namespace_of(index)[0]
        if xp is np:
            return self._host_classes()[index]
        if namespace_of(self.classes_)[0] is xp:
            return xp.take(self.classes_, index)
        return self.classes_[to_numpy(index)]
