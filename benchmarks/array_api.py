"""The same fits on numpy and on other array libraries, side by side.

Under ``array_api_dispatch=True`` the estimators compute in the namespace and
on the device of ``X``. This script fits both estimators on one dataset in
every namespace available here and reports, per namespace and dtype, the
median wall time of the fits, its ratio to the numpy fit's, and the largest
difference of ``coef_`` from the numpy fit's (relative to the largest
coefficient)::

    python benchmarks/array_api.py --rows 1000000 --features 100 --out /tmp/aa.json

Namespaces: numpy (the baseline), PyTorch on CPU and on CUDA where
available, and array-api-strict with ``--strict`` (a reference
implementation on top of numpy, only useful as a check). Each fit runs a
fixed number of epochs (``tol=None``, ``max_iter=--epochs``), so every
namespace does the same work:

- ``SimpleRegressor``: squared error, trained through the Gram matrix of X
  (one pass over X, then epochs of O(n_features**2));
- ``ThresholdClassifier``: log loss, two products with X per epoch.

The data is moved to the device before the clock starts, as it would be in
a pipeline that keeps its data there; the time includes reading the fitted
coefficients back. For scale, scikit-learn's ``Ridge`` and
``LogisticRegression`` fit the same numpy data in the same run.
"""

import argparse
import json
import os
import statistics
import time

# scikit-learn's array API dispatch needs SciPy's, read once at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge

from sklearn_simple import SimpleRegressor, ThresholdClassifier


def make_data(n_rows, n_features, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_rows, n_features)) * rng.uniform(0.5, 5, n_features)
    w = rng.standard_normal(n_features)
    y = X @ w + rng.standard_normal(n_rows)
    labels = (X @ w + 2 * rng.standard_normal(n_rows) > 0).astype(np.int64)
    return X, y, labels


def namespaces(strict):
    """``(name, to_namespace, synchronize)`` for each namespace available."""
    yield "numpy", lambda a: a, lambda: None
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        yield "torch-cpu", lambda a: torch.asarray(a, device="cpu"), lambda: None
        if torch.cuda.is_available():
            yield (
                "torch-cuda",
                lambda a: torch.asarray(a, device="cuda"),
                torch.cuda.synchronize,
            )
    if strict:
        import array_api_strict

        yield "array-api-strict", array_api_strict.asarray, lambda: None


def to_numpy(array):
    return array.cpu().numpy() if hasattr(array, "cpu") else np.asarray(array)


def time_fit(make_model, X, y, repeats, synchronize):
    times = []
    for _ in range(repeats):
        synchronize()
        tic = time.perf_counter()
        with sklearn.config_context(array_api_dispatch=True):
            model = make_model().fit(X, y)
            coef = to_numpy(model.coef_)
        synchronize()
        times.append(time.perf_counter() - tic)
    return statistics.median(times), coef


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()

    X64, y64, labels = make_data(args.rows, args.features)
    models = {
        "SimpleRegressor": (
            lambda: SimpleRegressor(tol=None, max_iter=args.epochs),
            "y",
            lambda: Ridge(alpha=0.0),
        ),
        "ThresholdClassifier": (
            lambda: ThresholdClassifier(tol=None, max_iter=args.epochs),
            "labels",
            lambda: LogisticRegression(C=1e6, max_iter=args.epochs),
        ),
    }
    rows = []
    for dtype in ("float64", "float32"):
        X = X64.astype(dtype)
        targets = {"y": y64.astype(dtype), "labels": labels}
        for model_name, (make_model, target, make_reference) in models.items():
            tic = time.perf_counter()
            make_reference().fit(X, targets[target])
            sklearn_time = time.perf_counter() - tic
            baseline = None
            for space, to_space, synchronize in namespaces(args.strict):
                X_space, y_space = to_space(X), to_space(targets[target])
                seconds, coef = time_fit(
                    make_model, X_space, y_space, args.repeats, synchronize
                )
                if baseline is None:
                    baseline = (seconds, coef)
                scale = np.max(np.abs(baseline[1]))
                rows.append(
                    dict(
                        model=model_name,
                        dtype=dtype,
                        namespace=space,
                        seconds=seconds,
                        ratio_to_numpy=seconds / baseline[0],
                        sklearn_numpy_seconds=sklearn_time,
                        coef_max_difference=float(
                            np.max(np.abs(coef - baseline[1])) / scale
                        ),
                    )
                )
                print(json.dumps(rows[-1]), flush=True)
    print(
        f"\n{args.rows} x {args.features}, {args.epochs} epochs, "
        f"median of {args.repeats}\n"
    )
    print(
        "| model | dtype | namespace | time | vs numpy | coef_ difference "
        "| scikit-learn on numpy |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['model']} | {row['dtype']} | {row['namespace']} "
            f"| {row['seconds']:.3f} s | {row['ratio_to_numpy']:.2f} "
            f"| {row['coef_max_difference']:.1e} "
            f"| {row['sklearn_numpy_seconds']:.3f} s |"
        )
    if args.out:
        with open(args.out, "w") as file:
            json.dump(dict(args=vars(args), results=rows), file, indent=1)


if __name__ == "__main__":
    main()
