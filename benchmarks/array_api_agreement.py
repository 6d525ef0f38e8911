"""How close fits in other array namespaces come to the numpy fit.

The figures of the table in docs/user_guide/array_api.rst::

    python benchmarks/array_api_agreement.py

For scikit-learn's diabetes (regression), breast cancer (standardized, two
classes) and iris (three classes) data sets, in float64 and float32, each
estimator is fitted with its defaults on numpy and, under
``array_api_dispatch=True``, on array-api-strict (its default device and
``device1``), PyTorch on the CPU and on CUDA where available. Prints the
largest difference of ``coef_`` from the numpy fit's relative to the largest
coefficient, how the predictions compare, and the epochs each fit ran.
"""

import os

# scikit-learn's array API dispatch needs SciPy's, read once at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler

from sklearn_simple import SimpleRegressor, ThresholdClassifier


def namespaces():
    import array_api_strict as strict

    yield "array-api-strict", strict.asarray
    device1 = strict.Device("device1")
    yield "array-api-strict device1", lambda a: strict.asarray(a, device=device1)
    try:
        import torch
    except ImportError:
        return
    yield "torch cpu", torch.asarray
    if torch.cuda.is_available():
        yield "torch cuda", lambda a: torch.asarray(a, device="cuda")


def to_numpy(array):
    return array.cpu().numpy() if hasattr(array, "cpu") else np.from_dlpack(array)


def datasets():
    yield "diabetes", SimpleRegressor, load_diabetes(return_X_y=True)
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast cancer", ThresholdClassifier, (StandardScaler().fit_transform(X), y)
    yield "iris", ThresholdClassifier, load_iris(return_X_y=True)


def main():
    for data_name, estimator, (X, y) in datasets():
        for dtype in ("float64", "float32"):
            X_d = X.astype(dtype)
            y_d = y.astype(dtype) if estimator is SimpleRegressor else y
            reference = estimator().fit(X_d, y_d)
            expected = reference.predict(X_d)
            scale = np.max(np.abs(reference.coef_))
            for space, to_space in namespaces():
                with sklearn.config_context(array_api_dispatch=True):
                    model = estimator().fit(to_space(X_d), to_space(y_d))
                    predicted = to_numpy(model.predict(to_space(X_d)))
                coef = to_numpy(model.coef_)
                difference = np.max(np.abs(coef - reference.coef_)) / scale
                if estimator is SimpleRegressor:
                    gap = np.max(np.abs(predicted - expected)) / np.max(
                        np.abs(expected)
                    )
                    predictions = f"predictions differ by {gap:.1e} (relative)"
                else:
                    predictions = f"{np.mean(predicted == expected):.0%} same labels"
                print(
                    f"{estimator.__name__} on {data_name}, {dtype}, {space}: coef_ "
                    f"differs by {difference:.1e}, {predictions}, epochs "
                    f"{model.n_iter_} against {reference.n_iter_}"
                )


if __name__ == "__main__":
    main()
