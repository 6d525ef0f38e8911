"""The one module that touches private or version-sensitive scikit-learn names.

Everything scikit-learn does not promise to keep stable is imported here and
nowhere else, so that an upgrade that moves or renames one of these names
breaks in a single place. Supported: scikit-learn 1.6 to the newest release.
"""

from numbers import Integral, Real

import numpy as np
import sklearn
from sklearn.utils._param_validation import (  # private: no public path
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_sample_weight  # private

__all__ = [
    "SKLEARN_VERSION",
    "Integral",
    "Interval",
    "InvalidParameterError",
    "Real",
    "StrOptions",
    "check_sample_weight",
    "validate_params",
]

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])


def validate_params(estimator) -> None:
    """Validate ``estimator``'s parameters against its ``_parameter_constraints``."""
    validate_parameter_constraints(
        estimator._parameter_constraints,
        estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )


def check_sample_weight(sample_weight, X, dtype) -> np.ndarray:
    """Validated, non-negative, finite sample weights as a new array of ``dtype``.

    The weights are always copied, so that later arithmetic can never write
    into the caller's array. All-zero weights raise on every supported
    version (scikit-learn only checks this itself from 1.9 on).
    """
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=True, copy=True
    )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError(
            "sample_weight contains NaN or infinity; give every sample a finite, "
            "non-negative weight."
        )
    # The objective divides by the sum of the weights: it must be finite.
    if not np.isfinite(sample_weight.sum()):
        raise ValueError(
            f"sample_weight sums to infinity in {np.dtype(dtype).name}: the weights "
            "are too large to add up. Only their ratios matter: divide them all by "
            "their largest value."
        )
    if not np.any(sample_weight > 0):
        raise ValueError(
            "sample_weight is zero for every sample, so there is nothing to learn "
            "from; give at least one sample a positive weight."
        )
    return sample_weight
