"""The one module that touches private or version-sensitive scikit-learn names.

Everything scikit-learn does not promise to keep stable is imported here and
nowhere else, so that an upgrade that moves or renames one of these names
breaks in a single place. Supported: scikit-learn 1.6 to the newest release.
"""

import contextlib
import functools
import os
import threading
import warnings
from numbers import Integral, Real

import numpy as np
import sklearn
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads  # private
from sklearn.utils._param_validation import (  # private: no public path
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_sample_weight  # private

# scikit-learn's own dependency (it limits BLAS threads with it too).
from threadpoolctl import ThreadpoolController

from ._array_api import asarray, dtype_name, to_numpy

try:  # the callback API is new in scikit-learn 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # depends on the installed version

    class _NoCallbackContext:
        """Stands for a callback context where callbacks are not supported."""

        def subcontext(self, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False

    class CallbackSupportMixin:
        """``set_callbacks`` for scikit-learn < 1.9: warns and ignores them."""

        def set_callbacks(self, *callbacks):
            """Ignore ``callbacks``: they need scikit-learn 1.9 or newer.

            Parameters
            ----------
            *callbacks : callback instances
                Ignored.

            Returns
            -------
            self : estimator instance
                The estimator, unchanged.
            """
            if callbacks:
                warnings.warn(
                    "Callbacks need scikit-learn >= 1.9 (this is "
                    f"{sklearn.__version__}); they are ignored.",
                    UserWarning,
                    stacklevel=2,
                )
            return self

        def _init_callback_context(self, **kwargs):
            return _NoCallbackContext()

    def with_callbacks(method):
        return method


__all__ = [
    "CallbackSupportMixin",
    "Integral",
    "Interval",
    "InvalidParameterError",
    "Real",
    "StrOptions",
    "available_threads",
    "check_sample_weight",
    "one_blas_thread",
    "validate_params",
    "with_callbacks",
]


def validate_params(estimator) -> None:
    """Validate ``estimator``'s parameters against its ``_parameter_constraints``."""
    validate_parameter_constraints(
        estimator._parameter_constraints,
        estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )


def check_sample_weight(sample_weight, X, dtype, xp=np, device=None):
    """Validated, non-negative, finite sample weights as a new array of ``dtype``.

    The weights are always copied, so that later arithmetic can never write
    into the caller's array. All-zero weights raise on every supported
    version (scikit-learn only checks this itself from 1.9 on). ``xp`` and
    ``device`` are the array namespace and device of ``X``, and of the result.
    """
    if xp is not np:
        # scikit-learn before 1.9 validates weights in numpy only: they are
        # checked on the host (O(n_samples), once per fit) and moved back.
        sample_weight = check_sample_weight(
            to_numpy(sample_weight) if sample_weight is not None else None,
            np.empty((X.shape[0], 0)),
            np.float32 if dtype_name(dtype) == "float32" else np.float64,
        )
        return asarray(xp, sample_weight, dtype, device)
    sample_weight = _check_sample_weight(
        sample_weight,
        X,
        dtype=dtype,
        ensure_non_negative=True,
        copy=sample_weight is not None,
    )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError(
            "sample_weight contains NaN or infinity; give every sample a finite, "
            "non-negative weight."
        )
    # The objective divides by the sum of the weights: it must be finite.
    if not np.isfinite(sample_weight.sum()):
        raise ValueError(
            f"sample_weight sums to infinity in {dtype_name(dtype)}: the weights "
            "are too large to add up. Only their ratios matter: divide them all by "
            "their largest value."
        )
    if not np.any(sample_weight > 0):
        raise ValueError(
            "sample_weight is zero for every sample, so there is nothing to learn "
            "from; give at least one sample a positive weight."
        )
    return sample_weight


@functools.cache
def _threadpools():
    # Finding the loaded BLAS libraries costs about 0.2 ms: once per process
    # (as scikit-learn does), not once per fit or partial_fit call.
    return ThreadpoolController()


def available_threads() -> int:
    """The number of threads scikit-learn's own parallel loops would use.

    ``OMP_NUM_THREADS``, threadpoolctl's OpenMP limits (which joblib sets in
    its workers) and the CPUs this process may use, as for scikit-learn's
    OpenMP code: the same settings control both.

    Examples
    --------
    >>> from sklearn_simple._compat import available_threads
    >>> available_threads() >= 1
    True
    """
    return _openmp_effective_n_threads()


# The BLAS limit is the process's: fits running at once in threads share it.
_blas_lock = threading.Lock()
_blas_limit = {"users": 0, "limiter": None}


@contextlib.contextmanager
def one_blas_thread():
    """A context in which BLAS libraries run on one thread.

    The limit belongs to the process, not to a thread: contexts entered at
    once in several threads (fits on joblib's threading backend) share it.
    The first sets it, the last restores what was there before; each
    restoring what it saw on entry left the whole process on one thread.

    Examples
    --------
    >>> from sklearn_simple._compat import one_blas_thread
    >>> with one_blas_thread():
    ...     pass
    """
    with _blas_lock:
        if not _blas_limit["users"]:
            _blas_limit["limiter"] = _threadpools().limit(limits=1, user_api="blas")
        _blas_limit["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_limit["users"] -= 1
            if not _blas_limit["users"]:
                _blas_limit["limiter"].restore_original_limits()
                _blas_limit["limiter"] = None


def _forget_blas_limit():
    # A child forked during a fit in another thread has no such fit: its
    # own fits set the limit afresh.
    global _blas_lock
    _blas_lock = threading.Lock()
    _blas_limit.update(users=0, limiter=None)


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_blas_limit)
