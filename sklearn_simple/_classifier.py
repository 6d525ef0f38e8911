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
    zero_like,
)
from ._base import LinearModelBase
from ._compat import Real, StrOptions
from ._exceptions import plain
from ._losses import LOSSES
from ._targets import coded_targets, weight_per_class

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
    otherwise. For more classes, one score per class (one-vs-rest) and the
    class with the highest score wins.

    It minimises ``sum(sw * loss) / sum(sw) + alpha / 2 * ||coef||**2``.

    With ``sklearn.set_config(array_api_dispatch=True)``, data from an array
    API library (PyTorch, CuPy, ...) is trained on in that library and on its
    device (a GPU, for instance): see :ref:`array_api`.

    Parameters
    ----------
    loss : {"log_loss", "squared_error", "hinge"}, default="log_loss"
        ``"log_loss"``: logistic regression, with probabilities.
        ``"squared_error"``: regression on targets coded -1/+1 (like
        :class:`~sklearn.linear_model.RidgeClassifier`). ``"hinge"``: a linear
        support vector machine.
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
    learning_rate : float, default=1.0
        Step size as a multiple of the safe step ``1 / L`` of the standardized
        data; see :class:`SimpleRegressor`.
    optimizer : {"nesterov", "gd", "linesearch"}, default="nesterov"
        See :class:`SimpleRegressor`. ``"linesearch"`` pays off for the log loss.
    alpha : float, default=1e-4
        L2 penalty on the coefficients; the default keeps separable data from
        driving the weights to infinity.
    fit_intercept : bool, default=True
        Whether to learn ``intercept_``.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-4
        Relative improvement of the loss under which an epoch counts as no
        improvement; ``None`` runs ``max_iter`` epochs.
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
        Weights of the score (one row per class beyond two classes).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Bias of the score.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Training objective after each epoch.
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
    """

    _parameter_constraints: ClassVar[dict] = {
        **LinearModelBase._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "threshold": [Real, StrOptions({"auto"})],
        "pos_label": [Real, str, "boolean", None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        loss="log_loss",
        threshold="auto",
        pos_label=None,
        class_weight=None,
        learning_rate=1.0,
        optimizer="nesterov",
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
        return self.loss

    def _prepare_targets(self, y, sample_weight, *, continuing, incremental, classes):
        # Labels are bookkeeping of O(n_samples) done on the host in numpy
        # (they may be strings); the targets are then built where X lives.
        y = to_numpy(y)
        check_classification_targets(y)
        xp, device = namespace_of(sample_weight)
        known = self._known_classes(y, continuing, incremental, classes)
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
        class_weights = self._class_weights(per_class, incremental, continuing)
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
        targets = LOSSES[self.loss].targets
        return coded_targets(codes, n_classes, targets, sample_weight), sample_weight

    def _known_classes(self, y, continuing, incremental, classes):
        """Every class of the model, sorted, as numpy; checks ``y`` against them."""
        if continuing:
            known = self._host_classes()
            if classes is not None and not np.array_equal(
                np.unique(to_numpy(classes)), known
            ):
                raise ValueError(
                    f"classes={plain(classes)!r} differs from the classes of the first "
                    f"partial_fit call, {plain(known)!r}."
                )
        elif incremental:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: the "
                    "list of every class the model will ever see."
                )
            known = np.unique(to_numpy(classes))
        else:
            known = np.unique(y)
        # fit takes its classes from y; partial_fit must check y against them.
        unknown = np.setdiff1d(y, known) if incremental else ()
        if len(unknown):
            raise ValueError(
                f"y contains labels {plain(unknown)!r} that are not in classes "
                f"{plain(known)!r}; pass every label in classes on the first "
                "partial_fit call."
            )
        return known

    def _host_classes(self):
        """``classes_`` as a numpy array, wherever the model was fitted."""
        return to_numpy(self.classes_)

    def _class_weights(self, weight_per_class, incremental, continuing):
        classes = self._host_classes()
        n_classes = len(classes)
        if self.class_weight is None:
            return np.ones(n_classes)
        if isinstance(self.class_weight, str):
            # partial_fit balances the classes over all the data seen so far.
            if incremental and continuing:
                weight_per_class = weight_per_class + np.asarray(
                    self._seen_class_weight
                )
            # A tuple, not an array: host bookkeeping, whatever the namespace.
            self._seen_class_weight = tuple(weight_per_class.tolist())
            # The weighted form of compute_class_weight("balanced", ...), by
            # hand: scikit-learn 1.6 does not take sample_weight there.
            present = weight_per_class > 0
            weights = np.ones(n_classes)
            weights[present] = weight_per_class.sum() / (
                np.count_nonzero(present) * weight_per_class[present]
            )
            return weights
        if not all(
            isinstance(w, Real) and np.isfinite(w) and w >= 0
            for w in self.class_weight.values()
        ):
            raise ValueError(
                f"class_weight={plain(self.class_weight)!r} must map classes to "
                "finite, non-negative numbers (weights multiplying sample_weight)."
            )
        unknown = set(self.class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has keys {sorted(map(str, unknown))} that are not "
                f"classes; the classes are {classes.tolist()}."
            )
        return np.array([float(self.class_weight.get(c, 1.0)) for c in classes])

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
        """The score ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive scores favour ``classes_[1]``.
        """
        return self._scores(X, "decision_function")

    def _scores(self, X, method):
        scores = self._linear_scores(X, method)
        if scores.shape[1] == 1:
            return namespace_of(scores)[0].reshape(scores, (-1,))
        return scores

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities (log loss only).

        For more than two classes, the one-vs-rest probabilities normalised to
        sum to 1.

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
        scores = self._scores(X, method)
        xp = namespace_of(scores)[0]
        if scores.ndim == 1:
            p = sigmoid(xp, scores)
            return xp.stack([1.0 - p, p], axis=1)
        # Normalised in logs: for a sample far from every class, each
        # one-vs-rest probability underflows to 0, and p / sum(p) is 0 / 0.
        log_p = -xp.logaddexp(zero_like(xp, scores), -scores)
        p = xp.exp(log_p - xp.max(log_p, axis=1, keepdims=True))
        return p / xp.sum(p, axis=1, keepdims=True)

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
        the class with the highest one-vs-rest score.

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
