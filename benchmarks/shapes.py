"""The shapes SGD-style linear models are used on, side by side with scikit-learn.

Text-like sparse data (tf-idf rows over 1e5 terms, and hashed over 2**20),
sparse regression, a moderately wide sparse matrix, tall-narrow and wide
dense data, and many classes. Every model of a case is fitted in this one
process on the same arrays; ours is reported as a ratio of fit times to each
peer (below 1: ours is faster), next to each model's distance from the
optimum of the same objective::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        python benchmarks/shapes.py [--quick] [--out DIR] [--only PATTERN ...]

Classification minimises mean log loss + ALPHA / 2 ||w||^2 (scikit-learn's
SGD ``alpha``; ``LogisticRegression(C=1 / (ALPHA * n))``), regression mean
squared error / 2 + ALPHA / 2 ||w||^2 (``Ridge(alpha=ALPHA * n)``).
"""

import argparse
import fnmatch
import gc
import importlib.util
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _cases import logistic_optimum, objective
from _measure import environment, load_average, peak_fit_memory, timed_fits
from sklearn.datasets import make_classification
from sklearn.linear_model import (
    LogisticRegression,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)

from sklearn_simple import SimpleRegressor, ThresholdClassifier

ALPHA = 1e-4
SGD_MAX_ITER = 50
REPEAT_BUDGET_S = 10.0


# ---------------------------------------------------------------------- data
def text_like(n_samples, n_features, nonzeros_per_row, task, seed=0):
    """tf-idf-like CSR rows: Zipf-distributed terms, unit-norm rows.

    Term j is drawn with probability proportional to 1 / rank**1.1, values
    are exponential draws times the term's idf, and each row is scaled to
    unit length, as TfidfVectorizer does. The target is a sparse random
    linear model of the rows plus noise (thresholded at its median for
    classification).
    """
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_features + 1) ** 1.1
    counts = rng.poisson(nonzeros_per_row, n_samples).clip(1, None)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    columns = rng.permutation(n_features)[
        rng.choice(n_features, size=indptr[-1], p=p / p.sum())
    ]
    idf = np.log(n_samples / (1 + np.bincount(columns, minlength=n_features))) + 1
    data = rng.exponential(1.0, size=indptr[-1]) * idf[columns]
    X = sp.csr_matrix((data, columns, indptr), shape=(n_samples, n_features))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = (sp.diags(1.0 / norms) @ X).tocsr()
    coef = rng.normal(size=n_features) * (rng.random(n_features) < 0.1) * 20
    score = X @ coef
    if task == "regression":
        return X, score + rng.normal(scale=0.5 * score.std(), size=n_samples)
    noisy = score + 0.3 * rng.logistic(size=n_samples)
    return X, (noisy > np.median(score)).astype(np.int64)


def uniform_sparse(n_samples, n_features, density, seed=0):
    """CSR with standard normal nonzeros and a logistic target."""
    rng = np.random.default_rng(seed)
    X = sp.random(
        n_samples,
        n_features,
        density=density,
        format="csr",
        random_state=rng,
        data_rvs=rng.standard_normal,
    )
    score = X @ rng.uniform(-1, 1, n_features)
    return X, (score + rng.logistic(size=n_samples) > 0).astype(np.int64)


def dense(n_samples, n_features, n_classes=2, seed=0):
    return make_classification(
        n_samples,
        n_features,
        n_informative=max(2, n_features // 2),
        n_redundant=0,
        n_classes=n_classes,
        flip_y=0.05,
        random_state=seed,
    )


# --------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    name: str
    task: str  # "classification", "multiclass" or "regression"
    full: Callable  # () -> X, y at the size of the issue
    quick: Callable  # () -> X, y small enough for CI
    peers: tuple[str, ...]


CASES = (
    Case(
        "text-classification-1e5x1e5",
        "classification",
        lambda: text_like(100_000, 100_000, 80, "classification"),
        lambda: text_like(2_000, 5_000, 40, "classification"),
        ("LogisticRegression", "SGDClassifier"),
    ),
    Case(
        "hashed-classification-1e5x2^20",
        "classification",
        lambda: text_like(100_000, 2**20, 80, "classification"),
        lambda: text_like(2_000, 2**12, 40, "classification"),
        ("LogisticRegression", "SGDClassifier"),
    ),
    Case(
        "text-regression-1e5x1e5",
        "regression",
        lambda: text_like(100_000, 100_000, 80, "regression"),
        lambda: text_like(2_000, 5_000, 40, "regression"),
        ("Ridge", "SGDRegressor"),
    ),
    Case(
        "sparse-classification-2e5x2000",
        "classification",
        lambda: uniform_sparse(200_000, 2000, 0.01),
        lambda: uniform_sparse(2_000, 200, 0.05),
        ("LogisticRegression", "LogisticRegression(newton-cholesky)", "SGDClassifier"),
    ),
    Case(
        "tall-classification-1e6x10",
        "classification",
        lambda: dense(1_000_000, 10),
        lambda: dense(5_000, 10),
        ("LogisticRegression", "LogisticRegression(newton-cholesky)", "SGDClassifier"),
    ),
    Case(
        "dense-classification-2e5x100",
        "classification",
        lambda: dense(200_000, 100),
        lambda: dense(2_000, 20),
        ("LogisticRegression", "LogisticRegression(newton-cholesky)", "SGDClassifier"),
    ),
    Case(
        "wide-classification-5e3x2000",
        "classification",
        lambda: dense(5_000, 2000),
        lambda: dense(300, 100),
        ("LogisticRegression", "LogisticRegression(newton-cholesky)", "SGDClassifier"),
    ),
    Case(
        "multiclass-20-1e5x100",
        "multiclass",
        lambda: dense(100_000, 100, n_classes=20),
        lambda: dense(2_000, 20, n_classes=20),
        ("LogisticRegression", "SGDClassifier"),
    ),
)


def models(case: Case, n_samples: int) -> dict:
    """Ours and the case's peers, set up to minimise the same objective."""
    if case.task == "regression":
        every = {
            "SimpleRegressor": SimpleRegressor(alpha=ALPHA),
            "Ridge": Ridge(alpha=ALPHA * n_samples),
            "SGDRegressor": SGDRegressor(
                alpha=ALPHA, max_iter=SGD_MAX_ITER, random_state=0
            ),
        }
    else:
        C = 1.0 / (ALPHA * n_samples)
        every = {
            "ThresholdClassifier": ThresholdClassifier(alpha=ALPHA),
            "LogisticRegression": LogisticRegression(C=C, max_iter=1000),
            "LogisticRegression(newton-cholesky)": LogisticRegression(
                C=C, solver="newton-cholesky"
            ),
            "SGDClassifier": SGDClassifier(
                loss="log_loss", alpha=ALPHA, max_iter=SGD_MAX_ITER, random_state=0
            ),
        }
    ours = next(iter(every))
    return {name: every[name] for name in (ours, *case.peers)}


# ------------------------------------------------------------------- quality
def logistic_minimum(X, y) -> float:
    """The minimum of mean log loss + ALPHA / 2 ||coef||^2, by the reference
    of ``benchmarks/run.py`` (scipy's L-BFGS-B run far past the usual
    tolerance): an independent check on every model."""
    coef, intercept, _ = logistic_optimum(X, y, ALPHA)
    return objective(X, y, coef, intercept, ALPHA)


def r2(model, X, y) -> float:
    residual = y - model.predict(X)
    return 1.0 - float(residual @ residual) / float(np.sum((y - y.mean()) ** 2))


def quality(case: Case, model, X, y) -> dict:
    if case.task == "regression":
        return {"r2": r2(model, X, y)}
    result = {"accuracy": float(np.mean(model.predict(X) == y))}
    if case.task == "classification":
        result["objective"] = objective(X, y, model.coef_, model.intercept_, ALPHA)
    return result


# ----------------------------------------------------------------------- run
def run_case(case: Case, X, y, repeats: int) -> dict:
    record = {
        "name": case.name,
        "task": case.task,
        "shape": list(X.shape),
        "nonzeros": int(X.nnz) if sp.issparse(X) else None,
        "X_nbytes": X.data.nbytes + X.indices.nbytes if sp.issparse(X) else X.nbytes,
        "models": [],
    }
    if case.task == "classification":
        record["optimum"] = logistic_minimum(X, y)
    for name, estimator in models(case, X.shape[0]).items():
        ours = name in ("SimpleRegressor", "ThresholdClassifier")
        fit = timed_fits(estimator, X, y, repeats, REPEAT_BUDGET_S)
        entry = {
            "name": name,
            "ours": ours,
            "fit_time_s": fit.best,
            "converged": fit.converged,
            "error": fit.error,
        }
        if fit.error is None:
            entry.update(quality(case, fit.model, X, y))
            n_iter = getattr(fit.model, "n_iter_", None)
            entry["n_iter"] = None if n_iter is None else int(np.max(n_iter))
            if ours:
                entry["passes"] = fit.passes
                peak = peak_fit_memory(estimator, X, y)
                entry["peak_memory_fraction"] = peak / record["X_nbytes"]
        record["models"].append(entry)
        print(f"{case.name:34} {_summary(entry)}", flush=True)
        gc.collect()
    _compare(record)
    return record


def _compare(record: dict) -> None:
    fitted = [m for m in record["models"] if m["error"] is None]
    if record["task"] == "classification":
        best = min([record["optimum"], *(m["objective"] for m in fitted)])
        for m in fitted:
            m["objective_gap"] = m["objective"] - best
    if record["task"] == "regression":
        ridge = next((m for m in fitted if m["name"] == "Ridge"), None)
        for m in fitted:
            m["r2_gap_to_ridge"] = None if ridge is None else ridge["r2"] - m["r2"]
    for ours in (m for m in fitted if m["ours"]):
        ours["time_ratio"] = {
            peer["name"]: ours["fit_time_s"] / peer["fit_time_s"]
            for peer in fitted
            if not peer["ours"]
        }


def _summary(entry: dict) -> str:
    if entry["error"] is not None:
        return f"{entry['name']:36} failed: {entry['error'][:80]}"
    quality_ = "  ".join(
        f"{key} {entry[key]:.6f}"
        for key in ("objective", "r2", "accuracy")
        if key in entry
    )
    extra = (
        f"  {entry['passes']:.0f} passes  memory {entry['peak_memory_fraction']:.2f} X"
        if entry["ours"]
        else ""
    )
    converged = "" if entry["converged"] else "  NOT CONVERGED"
    return (
        f"{entry['name']:36} {entry['fit_time_s']:8.3f} s  {entry['n_iter']} it  "
        f"{quality_}{extra}{converged}"
    )


def report(results: dict, image: str | None = None) -> str:
    """A markdown table per case: time, ratio of ours to each peer, quality."""
    meta = results["meta"]
    lines = [
        "# Shapes benchmark",
        "",
        f"`{meta['command']}` on {meta['date']}, {meta['machine']['cpu']} "
        f"({meta['machine']['usable_cores']} cores), load average "
        f"{meta['load_average']} at the start and {meta['load_average_at_end']} at "
        f"the end; scikit-learn {meta['versions']['scikit-learn']}, numpy "
        f"{meta['versions']['numpy']}, scipy {meta['versions']['scipy']}. "
        "Fit times are the best of the repeats; `ours / peer` below 1 means ours "
        "is faster. Gaps are to the best objective of every model and of an "
        "L-BFGS-B reference (classification), or to Ridge's R² (regression).",
        "",
        *([f"![ours / peer fit time per shape]({image})", ""] if image else []),
        "| case | model | fit (s) | iterations | ours / this peer | quality | gap | "
        "passes | memory / X |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for record in results["cases"]:
        ours = next((m for m in record["models"] if m["ours"]), {})
        for m in record["models"]:
            if m["error"] is not None:
                lines.append(f"| {record['name']} | {m['name']} | failed | | | | | | |")
                continue
            ratio = ours.get("time_ratio", {}).get(m["name"])
            quality_ = ", ".join(
                f"{k} {m[k]:.6f}" for k in ("objective", "r2", "accuracy") if k in m
            )
            gap = m.get("objective_gap", m.get("r2_gap_to_ridge"))
            lines.append(
                f"| {record['name']} | {m['name']} | {m['fit_time_s']:.3f} | "
                f"{m['n_iter']} | {'' if ratio is None else f'{ratio:.2f}'} | "
                f"{quality_} | {'' if gap is None else f'{gap:.1e}'} | "
                f"{m['passes']:.0f} | {m['peak_memory_fraction']:.2f} |"
                if m["ours"]
                else f"| {record['name']} | {m['name']} | {m['fit_time_s']:.3f} | "
                f"{m['n_iter']} | {'' if ratio is None else f'{ratio:.2f}'} | "
                f"{quality_} | {'' if gap is None else f'{gap:.1e}'} | | |"
            )
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> str | None:
    """Ours / peer fit time per case, a bar per peer, on a log scale.

    Returns the image's file name, or None when there was nothing to draw
    or no matplotlib (the bench extra) to draw it.
    """
    if importlib.util.find_spec("matplotlib") is None:
        print("No plot: matplotlib is in the bench extra.")
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [
        (f"{record['name']}\n/ {peer}", ratio)
        for record in results["cases"]
        for ours in record["models"]
        if ours["ours"] and ours["error"] is None
        for peer, ratio in ours["time_ratio"].items()
    ]
    if not bars:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(bars) + 1.2), layout="constrained")
    labels, ratios = zip(*reversed(bars), strict=True)
    ax.barh(labels, ratios, color=["C2" if r <= 1 else "C3" for r in ratios])
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set(
        xscale="log",
        xlabel="ours / peer fit time (below 1: ours is faster)",
        title="Fit time per shape, against each peer in the same run",
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, for CI")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--only", nargs="+", help="shell patterns of case names")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    cases = [
        c
        for c in CASES
        if not args.only or any(fnmatch.fnmatchcase(c.name, p) for p in args.only)
    ]
    results = {
        "meta": {
            **environment(),
            "command": " ".join(
                ["shapes.py", *(sys.argv[1:] if argv is None else argv)]
            ),
            "quick": args.quick,
            "repeats": repeats,
        },
        "cases": [],
    }
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            X, y = case.quick() if args.quick else case.full()
            results["cases"].append(run_case(case, X, y, repeats))
            del X, y
            gc.collect()
    results["meta"]["wall_time_s"] = round(time.perf_counter() - start, 1)
    results["meta"]["load_average_at_end"] = load_average()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "shapes-quick" if args.quick else "shapes"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    image = plot(results, args.out / f"{stem}.png")
    (args.out / f"{stem}.md").write_text(report(results, image))
    wall = results["meta"]["wall_time_s"]
    print(f"{wall} s; wrote {args.out / stem}.json, .md{' and .png' if image else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
