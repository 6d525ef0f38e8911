"""Array namespaces: where the training loop computes.

With ``sklearn.set_config(array_api_dispatch=True)``, data that comes from an
array API library (PyTorch, array-api-strict, CuPy, ...) is computed on in
that library and on its device; anything else (numpy arrays, lists, pandas,
sparse matrices) in numpy. The namespace is found with the public
``array-api-compat`` package (the ``array-api`` extra), which is only
imported when dispatch is on.

In the numpy namespace ``xp`` is the ``numpy`` module itself, so the numpy
code path stays exactly what it is without dispatch; the few calls whose
signatures differ between numpy and the array API standard (creating arrays
on a device, casting) go through the helpers here.
"""

from numbers import Number

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn import get_config

__all__ = [
    "accumulation_dtype",
    "asarray",
    "astype",
    "bool_dtype",
    "concat",
    "copy_of",
    "dtype_name",
    "get_namespace",
    "move_to",
    "namespace_of",
    "ones",
    "sigmoid",
    "sigmoid_of",
    "sum_along",
    "to_numpy",
    "zero_like",
    "zeros",
]


def _compat():
    try:
        import array_api_compat
    except ImportError as error:
        raise ImportError(
            "array_api_dispatch=True needs the array-api-compat package to find "
            "the namespace of the input; install it with "
            "pip install 'sklearn-simple[array-api]'."
        ) from error
    return array_api_compat


def _is_foreign(array):
    """Whether ``array`` is an array API array that numpy does not own."""
    if (
        array is None
        or isinstance(array, np.ndarray | np.generic)
        or sp.issparse(array)
    ):
        return False
    try:
        import array_api_compat
    except ImportError:
        # Without the package only an object that says it is an array of
        # some library needs it; lists and data frames are numpy's business.
        if hasattr(array, "__array_namespace__") or hasattr(array, "__dlpack__"):
            _compat()
        return False
    return array_api_compat.is_array_api_obj(array)


def get_namespace(X):
    """``(xp, device)`` to compute on ``X`` with: ``(numpy, None)`` by default.

    Only with array API dispatch enabled does an array of another library
    select that library's namespace (wrapped by array-api-compat) and device.
    """
    if not get_config()["array_api_dispatch"]:
        return np, None
    if _is_foreign(X) and _compat().is_lazy_array(X):
        # Every epoch reads its loss back: a lazy array would recompute the
        # whole graph, its pass over X included, several times per epoch.
        raise TypeError(
            f"{type(X).__module__}.{type(X).__name__} is a lazy array: under "
            "array_api_dispatch the training loop needs arrays it can compute "
            "with eagerly. For a dask array larger than memory, train chunk by "
            "chunk with dask_ml.wrappers.Incremental (see the user guide's "
            "Scaling out page); otherwise compute it into memory first."
        )
    return namespace_of(X)


def namespace_of(array):
    """``(xp, device)`` that ``array`` lives in, whatever the configuration."""
    if _is_foreign(array):
        compat = _compat()
        return compat.array_namespace(array), compat.device(array)
    return np, None


def to_numpy(array):
    """``array`` as a numpy array, copied to the host if it lives elsewhere."""
    if isinstance(array, np.ndarray) or not _is_foreign(array):
        return np.asarray(array)
    try:
        return np.asarray(array)
    except (TypeError, RuntimeError, ValueError):
        pass
    try:
        # array-api-strict's extra devices, for one, export through DLPack.
        return np.from_dlpack(array)
    except (TypeError, RuntimeError, ValueError, BufferError, AttributeError):
        return np.asarray(_compat().to_device(array, "cpu"))


def move_to(array, xp, device):
    """``array`` in namespace ``xp`` on ``device``; ``None`` and numbers unchanged.

    ``y`` and ``sample_weight`` follow ``X``: when they come from another
    library or device they are moved, by DLPack where both sides support it
    and through a host copy otherwise.
    """
    if not get_config()["array_api_dispatch"]:
        # scikit-learn's validation turns everything into numpy arrays.
        return array
    if xp is np:
        return to_numpy(array) if _is_foreign(array) else array
    if array is None or isinstance(array, Number) or sp.issparse(array):
        return array
    compat = _compat()
    if not compat.is_array_api_obj(array):
        # Lists and pandas objects go through numpy: scikit-learn 1.6 cannot
        # validate them beside an X of another library.
        array = np.asarray(array)
    if isinstance(array, np.ndarray | np.generic):
        if array.dtype.kind not in "biuf":
            return array  # labels such as strings exist only in numpy
        # A C-ordered copy: torch.asarray would otherwise share the caller's
        # memory, and cannot take negative strides.
        return xp.asarray(np.array(array, order="C"), device=device)
    if compat.array_namespace(array) is xp and compat.device(array) == device:
        return array
    try:
        return xp.from_dlpack(array, device=device)
    except (TypeError, RuntimeError, ValueError, BufferError, AttributeError):
        return xp.asarray(to_numpy(array), device=device)


def asarray(xp, array, dtype, device):
    """``array`` as an array of ``xp`` on ``device`` (numpy ignores the device)."""
    if xp is np:
        return np.asarray(array, dtype=dtype)
    return xp.asarray(array, dtype=dtype, device=device)


def zeros(xp, shape, dtype, device):
    """``xp.zeros`` on ``device`` (numpy before 2.0 takes no ``device``)."""
    if xp is np:
        return np.zeros(shape, dtype=dtype)
    return xp.zeros(shape, dtype=dtype, device=device)


def ones(xp, shape, dtype, device):
    """``xp.ones`` on ``device`` (numpy before 2.0 takes no ``device``)."""
    if xp is np:
        return np.ones(shape, dtype=dtype)
    return xp.ones(shape, dtype=dtype, device=device)


def astype(xp, array, dtype):
    """``array`` cast to ``dtype``, without a copy when it already has it."""
    if xp is np:
        return array.astype(dtype, copy=False)
    return xp.astype(array, dtype, copy=False)


def copy_of(xp, array):
    """A copy of ``array`` (numpy before 2.0 has no ``asarray(copy=True)``)."""
    if xp is np:
        return array.copy()
    return xp.asarray(array, copy=True)


def concat(xp, arrays, axis):
    """Join arrays along ``axis`` (numpy before 2.0 has no ``concat``)."""
    if xp is np:
        return np.concatenate(arrays, axis=axis)
    return xp.concat(arrays, axis=axis)


def bool_dtype(xp):
    """The boolean dtype of ``xp`` (numpy 1.24 to 1.26 have no ``numpy.bool``)."""
    return np.bool_ if xp is np else xp.bool


def dtype_name(dtype):
    """``"float32"`` for numpy's and any array library's float32 alike."""
    if isinstance(dtype, np.dtype) or (
        isinstance(dtype, type) and issubclass(dtype, np.generic)
    ):
        return np.dtype(dtype).name
    return str(dtype).rsplit(".", 1)[-1]


def accumulation_dtype(xp, device, dtype):
    """The dtype sums are accumulated in: float64 wherever the device has it.

    Summing float32 products over many rows in float32 loses digits; numpy,
    PyTorch on CPU and CUDA have float64, while e.g. Apple's MPS does not.
    """
    if xp is np:
        return np.float64
    try:
        available = xp.__array_namespace_info__().dtypes(
            device=device, kind="real floating"
        )
    except (AttributeError, TypeError, ValueError):
        return dtype
    return available.get("float64", dtype)


def sum_along(xp, array, axis):
    """``xp.sum(array, axis=axis)``; for numpy the method, which skips the
    wrapper of ``numpy.sum`` (a few microseconds a call, in per-block loops)."""
    return array.sum(axis=axis) if xp is np else xp.sum(array, axis=axis)


def zero_like(xp, array):
    """Zero, as an operand of an element-wise function beside ``array``.

    A Python float for numpy (no array to allocate); an array of zeros
    elsewhere: the array API standard takes Python scalars in functions such
    as ``maximum`` only from its 2024.12 version on.
    """
    return 0.0 if xp is np else xp.zeros_like(array)


def sigmoid(xp, p):
    """The logistic function ``1 / (1 + exp(-p))`` in any namespace.

    Through ``exp(-|p|)``, which never overflows: no warning, no inf, and
    full relative precision on both tails.
    """
    if xp is np:
        return expit(p)
    return sigmoid_of(xp, p, xp.exp(-xp.abs(p)))


def sigmoid_of(xp, p, e):
    """:func:`sigmoid` of ``p`` from ``e = exp(-|p|)``, for a caller that
    needs ``e`` for more (the log loss takes its value from it too)."""
    return xp.where(p >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
