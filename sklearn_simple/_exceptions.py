"""The package's own exception and warning."""

import numpy as np
from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

__all__ = ["DivergenceError", "InconsistentVersionWarning", "plain"]


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

    The losses up to the failure are kept, to show what went wrong:

    >>> try:
    ...     SimpleRegressor(learning_rate=5.0, optimizer="gd").fit(X, X[:, 0])
    ... except DivergenceError as exc:
    ...     print(exc.loss_curve[-1] > exc.loss_curve[0])
    True
    """

    def __init__(self, message, loss_curve=()):
        super().__init__(message)
        #: Training loss after each epoch up to the failure.
        self.loss_curve = list(loss_curve)


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


def plain(value):
    """``value`` with numpy scalars and arrays as Python numbers and lists.

    For messages: ``0.1`` and ``[0, 1]`` read better than ``np.float64(0.1)``
    and ``array([0, 1])``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._exceptions import plain
    >>> repr(plain(np.float64(0.1))), plain(np.array([0, 1])), plain({"a": np.int64(2)})
    ('0.1', [0, 1], {'a': 2})
    """
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value
