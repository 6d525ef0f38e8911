"""Do two versions of the package fit the same models? A refactoring's check.

Fits both estimators on a grid of data sets (dense, float32, sparse, badly
scaled, multi-output, multiclass, the benchmark's quick grid) and settings
(every optimizer, mini-batches, early stopping, penalties, no intercept,
weights, partial_fit, warm start) and saves every ``coef_``, ``intercept_``,
``n_iter_`` and ``loss_curve_``; then compares two such files::

    PYTHONPATH=<checkout A> python benchmarks/equivalence.py fit a.npz
    PYTHONPATH=<checkout B> python benchmarks/equivalence.py fit b.npz
    python benchmarks/equivalence.py compare a.npz b.npz 1e-10

``compare`` prints every quantity whose largest difference, relative to its
largest value, exceeds the tolerance (0 asks for identical bits).
"""

import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_classification,
    make_regression,
)

from sklearn_simple import SimpleRegressor, ThresholdClassifier


def data():
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", "reg", X, y
    X, y = make_regression(300, 6, n_targets=2, noise=3.0, random_state=0)
    yield "multiout", "reg", X, y
    rng = np.random.default_rng(0)
    Xs = sp.random(400, 50, density=0.1, format="csr", random_state=rng)
    yield "sparse_reg", "reg", Xs, Xs @ rng.normal(size=50) + rng.normal(size=400)
    yield "sparse_clf", "clf", Xs, (Xs @ rng.normal(size=50) > 0).astype(int)
    X, y = load_breast_cancer(return_X_y=True)
    yield "cancer", "clf", X, y
    yield "cancer32", "clf", X.astype(np.float32), y
    X, y = load_iris(return_X_y=True)
    yield "iris", "clf", X, y
    # the benchmark's quick grid (5e3 x 20)
    for task in ("regression", "classification"):
        if task == "regression":
            X, y = make_regression(
                5000, 20, n_informative=10, noise=10.0, random_state=0
            )
        else:
            X, y = make_classification(
                5000, 20, n_informative=10, n_redundant=0, flip_y=0.05, random_state=0
            )
        kind = "reg" if task == "regression" else "clf"
        yield f"bench_{kind}_dense", kind, X, y
        yield f"bench_{kind}_f32", kind, X.astype(np.float32), y
        yield f"bench_{kind}_badscale", kind, X * np.logspace(-3, 3, 20), y


CONFIGS = [
    {},
    {"optimizer": "gd", "max_iter": 200},
    {"optimizer": "linesearch"},
    {"alpha": 0.1},
    {"fit_intercept": False},
    {"batch_size": 16, "random_state": 0, "max_iter": 30},
    {"batch_size": 16, "random_state": 0, "max_iter": 30, "optimizer": "gd"},
    {"early_stopping": True, "random_state": 0},
    {"tol": None, "max_iter": 50},
]
CLF_ONLY = [
    {"loss": "hinge"},
    {"loss": "squared_error"},
    {"class_weight": "balanced"},
    {"loss": "hinge", "batch_size": 32, "random_state": 0, "max_iter": 20},
]


def main(out):
    results = {}
    warnings.simplefilter("ignore")
    for name, kind, X, y in data():
        Est = SimpleRegressor if kind == "reg" else ThresholdClassifier
        configs = CONFIGS + (CLF_ONLY if kind == "clf" else [])
        if name.startswith("bench"):
            configs = [{}, {"optimizer": "linesearch"}] if kind == "clf" else [{}]
        sw = np.random.default_rng(1).uniform(0.2, 2, X.shape[0])
        for i, params in enumerate(configs):
            for weighted in (False, True) if i == 0 else (False,):
                key = f"{name}/{params}/{'w' if weighted else ''}"
                try:
                    est = Est(**params).fit(
                        X, y, sample_weight=sw if weighted else None
                    )
                except Exception as exc:
                    results[key + "/error"] = np.array(repr(exc))
                    continue
                store(results, key, est)
        # partial_fit sequence and warm start
        est = Est(random_state=0)
        chunks = np.array_split(np.arange(X.shape[0]), 5)
        kw = {"classes": np.unique(y)} if kind == "clf" else {}
        for _ in range(3):  # epochs
            for c in chunks:
                est.partial_fit(X[c], y[c], **kw)
        store(results, f"{name}/partial_fit/", est)
        est = Est(warm_start=True, max_iter=5).fit(X, y)
        est.set_params(max_iter=20).fit(X, y)
        store(results, f"{name}/warm_start/", est)
        if kind == "clf":
            est = Est(batch_size=8, random_state=0)
            for c in chunks:
                est.partial_fit(X[c], y[c], **kw)
            store(results, f"{name}/partial_fit_batch/", est)
    np.savez(out, **results)
    print(len(results), "entries")


def store(results, key, est):
    results[key + "/coef"] = np.asarray(est.coef_, dtype=np.float64)
    results[key + "/intercept"] = np.asarray(est.intercept_, dtype=np.float64)
    results[key + "/n_iter"] = np.asarray(est.n_iter_)
    results[key + "/loss"] = np.asarray(est.loss_curve_, dtype=np.float64)


def compare(path_a, path_b, tol):
    a, b = np.load(path_a), np.load(path_b)
    bad = 0
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            print("MISSING", k, k in a, k in b)
            bad += 1
            continue
        x, y = a[k], b[k]
        if x.dtype.kind in "US" or y.dtype.kind in "US":
            if str(x) != str(y):
                print("DIFF", k, x, y)
                bad += 1
            continue
        if x.shape != y.shape:
            print("SHAPE", k, x.shape, y.shape)
            bad += 1
            continue
        if x.size == 0:
            continue
        scale = max(np.max(np.abs(x)), 1e-300)
        d = np.max(np.abs(x - y)) / scale
        if d > tol:
            print(f"DIFF {k}: rel {d:.3g}")
            bad += 1
    print("compared", len(a), "differing", bad)
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "fit":
        main(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3], float(sys.argv[4])) > 0)
