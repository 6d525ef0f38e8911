"""Plots of the training loop: loss curves, following scikit-learn's Display API.

matplotlib is an optional dependency (the ``plot`` extra): it is imported
only when something is drawn, so importing this module never needs it.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone

from ._exceptions import DivergenceError, plain

__all__ = ["LossCurveDisplay"]

_YSCALES = ("auto", "linear", "log")
# "auto" switches to a log scale when the loss spans at least this factor:
# below it a linear axis shows the curve better.
_LOG_RANGE = 10.0


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "LossCurveDisplay needs matplotlib, which is not installed. Install "
            'it with: pip install "sklearn-simple[plot]"'
        ) from exc
    return plt


def _fitted_model(estimator):
    """The estimator that holds ``loss_curve_``: itself or a Pipeline's last step."""
    if hasattr(estimator, "loss_curve_"):
        return estimator
    if hasattr(estimator, "steps") and hasattr(estimator[-1], "loss_curve_"):
        return estimator[-1]
    raise ValueError(
        f"{type(estimator).__name__} has no loss_curve_: pass a fitted "
        "SimpleRegressor or ThresholdClassifier, or a fitted Pipeline ending in one."
    )


def _candidate_label(params):
    # "simpleregressor__learning_rate" reads better as "learning_rate".
    return ", ".join(
        f"{name.split('__')[-1]}={plain(value)!r}" for name, value in params
    )


class LossCurveDisplay:
    """Loss curves: the training loss after each epoch, one line per model.

    A model whose training failed (it raised, for example a
    :class:`~sklearn_simple.DivergenceError`) is kept in the legend, marked as
    failed, instead of being left out. Validation scores, recorded with
    ``early_stopping=True``, are drawn on a second y axis.

    Create it with :meth:`from_estimator`, :meth:`from_estimators` or
    :meth:`from_cv_results`; all attributes are set by :meth:`plot`.

    Parameters
    ----------
    loss_curves : list of (list of float or None)
        The ``loss_curve_`` of each model; ``None`` for a model whose training
        failed.
    labels : list of str or None, default=None
        Legend label of each model; ``None`` draws a legend only for failed
        models and validation scores.
    validation_scores : list of (list of float or None) or None, default=None
        The ``validation_scores_`` of each model, ``None`` where there are none.
    errors : list of (Exception or None) or None, default=None
        Why each failed model failed, shown in its legend entry.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the loss curves.
    figure_ : matplotlib Figure
        Figure containing the curves.
    lines_ : list of matplotlib Line2D
        One line per model, in the order of ``loss_curves``; a failed model's
        line has no points and only serves as its legend entry.
    line_ : matplotlib Line2D
        The first of ``lines_`` (the curve, for a single model).
    validation_ax_ : matplotlib Axes or None
        Second y axis with the validation scores, if any were given.
    validation_lines_ : list of matplotlib Line2D
        The validation score lines, one per model that has them.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training samples.
    sklearn.model_selection.ValidationCurveDisplay : Scores against a
        parameter's value.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_simple import SimpleRegressor
    >>> from sklearn_simple.plot import LossCurveDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = SimpleRegressor(optimizer="gd").fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(reg)
    >>> len(display.line_.get_xdata()) == reg.n_iter_
    True
    >>> display.ax_.get_xlabel()
    'Epoch'
    """

    def __init__(
        self,
        *,
        loss_curves: Sequence[Sequence[float] | None],
        labels: Sequence[str] | None = None,
        validation_scores: Sequence[Sequence[float] | None] | None = None,
        errors: Sequence[BaseException | None] | None = None,
    ) -> None:
        self.loss_curves = loss_curves
        self.labels = labels
        self.validation_scores = validation_scores
        self.errors = errors

    def plot(
        self, ax: Any = None, *, yscale: str = "auto", **kwargs: Any
    ) -> "LossCurveDisplay":
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; ``None`` creates a new figure, with a
            constrained layout so that no axis label is cut off. In a figure
            of your own, use ``layout="constrained"`` (or save it with
            ``bbox_inches="tight"``) for the same.
        yscale : {"auto", "linear", "log"}, default="auto"
            Scale of the loss axis. ``"auto"`` uses a log scale when the
            losses are positive and span a factor of 10 or more.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every loss curve.

        Returns
        -------
        display : LossCurveDisplay
            This object, with its attributes set.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_simple.plot import LossCurveDisplay
        >>> display = LossCurveDisplay(loss_curves=[[8.0, 4.0, 3.5], [8.0, 2.0, 1.5]])
        >>> fig, ax = plt.subplots()
        >>> display = display.plot(ax=ax, yscale="log", linewidth=2)
        >>> display.ax_ is ax, [line.get_linewidth() for line in display.lines_]
        (True, [2.0, 2.0])
        """
        if yscale not in _YSCALES:
            raise ValueError(f"yscale must be one of {_YSCALES}, got {yscale!r}.")
        plt = _import_pyplot()
        if ax is None:
            # A constrained layout makes room for every axis label, the
            # validation axis's on the right included: the default layout
            # cuts it off at the figure's edge.
            _, ax = plt.subplots(layout="constrained")
        n_models = len(self.loss_curves)
        labels = self.labels
        errors = self.errors if self.errors is not None else [None] * n_models
        val_scores = self.validation_scores or [None] * n_models

        self.lines_ = []
        for i, curve in enumerate(self.loss_curves):
            label = None if labels is None else labels[i]
            if curve is None:
                self.lines_.append(self._failed_entry(ax, label, errors[i]))
                continue
            epochs = np.arange(1, len(curve) + 1)
            (line,) = ax.plot(epochs, curve, label=label, **kwargs)
            self.lines_.append(line)
        self.line_ = self.lines_[0] if self.lines_ else None

        finite = [
            v for c in self.loss_curves if c is not None for v in c if np.isfinite(v)
        ]
        if yscale == "auto":
            positive = bool(finite) and min(finite) > 0
            spread = positive and max(finite) / min(finite) >= _LOG_RANGE
            yscale = "log" if spread else "linear"
        ax.set_yscale(yscale)
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Training loss")

        self.validation_ax_ = None
        self.validation_lines_ = []
        if any(s is not None and len(s) for s in val_scores):
            self._plot_validation(ax, val_scores, labels)

        # A failed model is only visible in the legend: draw one for it even
        # without labels. matplotlib names unlabelled lines "_child<n>".
        handles = [
            h
            for h in self.lines_ + self.validation_lines_
            if not h.get_label().startswith("_")
        ]
        if handles:
            # matplotlib's "best" sees only the loss axes' lines. A falling loss
            # ends low and a rising validation score ends high (each filling
            # its own axis), which leaves the middle of the right side free.
            loc = "center right" if self.validation_lines_ else "best"
            ax.legend(handles=handles, labels=[h.get_label() for h in handles], loc=loc)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @staticmethod
    def _failed_entry(ax, label, error):
        if isinstance(error, DivergenceError):
            reason = "diverged"
        elif error is None:
            reason = "failed"
        else:
            reason = f"failed: {type(error).__name__}"
        # An empty line with a cross marker: nothing to draw, but the legend
        # still lists the model, so that a failure is never silently dropped.
        (line,) = ax.plot(
            [],
            [],
            linestyle="none",
            marker="x",
            color="black",
            label=f"{label or 'model'} ({reason})",
        )
        return line

    def _plot_validation(self, ax, val_scores, labels):
        # The validation score is a negated loss on held-out rows, on another
        # scale than the training objective: it gets its own y axis.
        vax = ax.twinx()
        # The loss axes go on top so that the legend, drawn there, is never
        # hidden under a validation line; their background must not hide the
        # validation axes either.
        ax.set_zorder(vax.get_zorder() + 1)
        ax.patch.set_visible(False)
        single = len(val_scores) == 1
        for i, scores in enumerate(val_scores):
            if scores is None or not len(scores):
                continue
            # One model: a colour of its own. Several: the colour of the
            # model's loss curve, dashed.
            color = "C1" if single else self.lines_[i].get_color()
            name = (
                "validation score"
                if labels is None or single
                else f"{labels[i]} (validation)"
            )
            (line,) = vax.plot(
                np.arange(1, len(scores) + 1),
                scores,
                linestyle="--",
                color=color,
                label=name,
            )
            self.validation_lines_.append(line)
        vax.set_ylabel("Validation score (negated loss)")
        self.validation_ax_ = vax

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        ax: Any = None,
        label: str | None = None,
        yscale: str = "auto",
        **kwargs: Any,
    ) -> "LossCurveDisplay":
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~sklearn_simple.SimpleRegressor` or
            :class:`~sklearn_simple.ThresholdClassifier`, or a fitted
            :class:`~sklearn.pipeline.Pipeline` ending in one.
        ax : matplotlib Axes, default=None
            Axes to draw into; ``None`` creates a new figure.
        label : str, default=None
            Legend label; ``None`` draws no legend unless there are
            validation scores.
        yscale : {"auto", "linear", "log"}, default="auto"
            Scale of the loss axis, see :meth:`plot`.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the curve drawn.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn_simple import SimpleRegressor
        >>> from sklearn_simple.plot import LossCurveDisplay
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = SimpleRegressor(early_stopping=True, random_state=0).fit(X, y)
        >>> display = LossCurveDisplay.from_estimator(reg, label="training loss")
        >>> display.validation_ax_.get_ylabel()
        'Validation score (negated loss)'
        """
        model = _fitted_model(estimator)
        scores = getattr(model, "validation_scores_", None)
        if scores is not None and label is None:
            label = "training loss"
        return cls(
            loss_curves=[model.loss_curve_],
            labels=None if label is None else [label],
            validation_scores=None if scores is None else [scores],
        ).plot(ax=ax, yscale=yscale, **kwargs)

    @classmethod
    def from_estimators(
        cls,
        estimators: Sequence[Any],
        *,
        labels: Sequence[str] | None = None,
        ax: Any = None,
        yscale: str = "auto",
        **kwargs: Any,
    ) -> "LossCurveDisplay":
        """Plot the loss curves of several fitted estimators in one axes.

        Parameters
        ----------
        estimators : list of estimators or exceptions
            Fitted estimators (or Pipelines ending in one). An exception in
            the list stands for a model whose training raised it: it is shown
            as failed in the legend.
        labels : list of str, default=None
            One legend label per estimator; ``None`` numbers them.
        ax : matplotlib Axes, default=None
            Axes to draw into; ``None`` creates a new figure.
        yscale : {"auto", "linear", "log"}, default="auto"
            Scale of the loss axis, see :meth:`plot`.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the curves drawn.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn_simple import DivergenceError, SimpleRegressor
        >>> from sklearn_simple.plot import LossCurveDisplay
        >>> X, y = load_diabetes(return_X_y=True)
        >>> models = []
        >>> for rate in [0.5, 1.0, 3.0]:
        ...     try:
        ...         models.append(SimpleRegressor(learning_rate=rate).fit(X, y))
        ...     except DivergenceError as exc:
        ...         models.append(exc)
        >>> display = LossCurveDisplay.from_estimators(
        ...     models, labels=["0.5", "1.0", "3.0"]
        ... )
        >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
        ['0.5', '1.0', '3.0 (diverged)']
        """
        if labels is not None and len(labels) != len(estimators):
            raise ValueError(
                f"labels has {len(labels)} entries for {len(estimators)} estimators."
            )
        if labels is None:
            labels = [f"model {i}" for i in range(len(estimators))]
        curves, scores, errors = [], [], []
        for estimator in estimators:
            if isinstance(estimator, BaseException):
                curves.append(None)
                scores.append(None)
                errors.append(estimator)
                continue
            model = _fitted_model(estimator)
            curves.append(model.loss_curve_)
            scores.append(getattr(model, "validation_scores_", None))
            errors.append(None)
        return cls(
            loss_curves=curves,
            labels=list(labels),
            validation_scores=scores,
            errors=errors,
        ).plot(ax=ax, yscale=yscale, **kwargs)

    @classmethod
    def from_cv_results(
        cls,
        search: Any,
        X: Any,
        y: Any,
        *,
        ax: Any = None,
        yscale: str = "auto",
        fit_params: dict | None = None,
        **kwargs: Any,
    ) -> "LossCurveDisplay":
        """Plot one loss curve per candidate of a fitted search, such as GridSearchCV.

        A search keeps only its best model, so every candidate of
        ``search.cv_results_["params"]`` is refitted on ``X, y`` from a clone
        of ``search.estimator``. A candidate whose refit raises (a learning
        rate that diverges raises :class:`~sklearn_simple.DivergenceError`)
        stays in the legend, marked as failed, unless the search has
        ``error_score="raise"``, in which case the error propagates.

        Parameters
        ----------
        search : GridSearchCV or RandomizedSearchCV
            A fitted search over an estimator of this package or a Pipeline
            ending in one.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to refit each candidate on, usually the data of the search.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        ax : matplotlib Axes, default=None
            Axes to draw into; ``None`` creates a new figure.
        yscale : {"auto", "linear", "log"}, default="auto"
            Scale of the loss axis, see :meth:`plot`.
        fit_params : dict, default=None
            Passed to each candidate's ``fit``.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, with one curve per candidate.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.model_selection import GridSearchCV
        >>> from sklearn_simple import SimpleRegressor
        >>> from sklearn_simple.plot import LossCurveDisplay
        >>> X, y = load_diabetes(return_X_y=True)
        >>> search = GridSearchCV(
        ...     SimpleRegressor(optimizer="gd"), {"learning_rate": [0.5, 1.0, 3.0]}
        ... ).fit(X, y)
        >>> display = LossCurveDisplay.from_cv_results(search, X, y)
        >>> [line.get_label() for line in display.lines_]
        ['learning_rate=0.5', 'learning_rate=1.0', 'learning_rate=3.0 (diverged)']
        """
        fitted, labels = [], []
        for params in search.cv_results_["params"]:
            labels.append(_candidate_label(params.items()))
            estimator = clone(search.estimator).set_params(**params)
            try:
                fitted.append(estimator.fit(X, y, **(fit_params or {})))
            except Exception as exc:
                # The search's own rule: a failed fit is a result to show
                # unless the search was told to raise.
                if search.error_score == "raise":
                    raise
                fitted.append(exc)
        return cls.from_estimators(
            fitted, labels=labels, ax=ax, yscale=yscale, **kwargs
        )
