"""What a fitted linear model does without training: score new data, persist.

Shared by both estimators through :class:`LinearPredictor`; the training side
is in ``_base``.
"""

import warnings

import numpy as np
from sklearn import get_config
from sklearn.utils.validation import check_is_fitted, validate_data

from ._array_api import astype, dtype_name, get_namespace, namespace_of, to_numpy
from ._exceptions import InconsistentVersionWarning
from ._version import __version__

__all__ = ["LinearPredictor"]


class LinearPredictor:
    """Raw scores ``X @ coef_.T + intercept_``, and pickling with a version check.

    A mixin: the estimator provides ``coef_`` and ``intercept_``.
    """

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
