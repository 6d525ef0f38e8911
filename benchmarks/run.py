"""Benchmark sklearn-simple side by side with scikit-learn's linear estimators.

Every model of a configuration is fitted in this one process on the same
arrays, and only numbers from the same run are compared. Run it with the
OpenBLAS overrides unset, so that the BLAS kernel of the machine runs::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        python benchmarks/run.py [--quick] [--out DIR] [--only PATTERN ...]

See benchmarks/README.md for what is measured.
"""

import argparse
import gc
import itertools
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _cases import (
    SIZES,
    TASKS,
    WIDTHS,
    Config,
    accuracy,
    configs,
    datasets,
    is_ours,
    least_squares,
    logistic_optimum,
    models,
    nbytes,
    objective,
    r2,
    scores,
    search_name,
    searches,
    selected,
)
from _measure import (
    BLAS_VARIABLES,
    environment,
    load_average,
    peak_fit_memory,
    timed_fits,
)
from _report import print_targets, targets, write_results
from sklearn.exceptions import ConvergenceWarning

# A model whose fits have taken this long in total is not fitted again: the
# slowest peers at 1e6 rows get one timed fit instead of --repeats.
REPEAT_BUDGET_S = 10.0
QUICK = {"sizes": (5_000,), "widths": (20,), "repeats": 1}
SEARCH_SIZE = {"full": (100_000, 100), "quick": (2_000, 20)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run (5e3 x 20, one fit per model) that takes seconds; for CI",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "results",
        help="directory for results.json, results.md and fit_time.png "
        "(default: benchmarks/results)",
    )
    parser.add_argument(
        "--only",
        "--config",
        nargs="+",
        metavar="PATTERN",
        help="run only the configurations (and grid searches) whose name matches "
        "one of these shell patterns, e.g. regression-dense-1e6-100 or "
        "'classification-*-1e5-*' or 'search-*'",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed fits per model, the best is kept (default 3, 1 with --quick)",
    )
    parser.add_argument(
        "--list", action="store_true", help="print the configuration names and exit"
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK["sizes"] if args.quick else SIZES
    widths = QUICK["widths"] if args.quick else WIDTHS
    repeats = args.repeats or (QUICK["repeats"] if args.quick else 3)
    search_n, search_d = SEARCH_SIZE["quick" if args.quick else "full"]
    plan = configs(sizes=sizes, widths=widths, only=args.only)
    planned_searches = [
        task
        for task in TASKS
        if selected(search_name(task, search_n, search_d), args.only)
    ]
    if args.list:
        print("\n".join(c.name for c in plan))
        for task in planned_searches:
            print(search_name(task, search_n, search_d))
        return 0
    if not plan and not planned_searches:
        print(f"no configuration matches {args.only}; see --list", file=sys.stderr)
        return 2
    for name in BLAS_VARIABLES:
        if name in os.environ:
            print(
                f"warning: {name}={os.environ[name]} is set and may select a slower "
                "BLAS kernel; run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`",
                file=sys.stderr,
            )

    warm_up()
    start = time.perf_counter()
    results = {
        "meta": {
            **environment(),
            "command": " ".join(["run.py", *(sys.argv[1:] if argv is None else argv)]),
            "quick": args.quick,
            "repeats": repeats,
            "repeat_budget_s": REPEAT_BUDGET_S,
        },
        "configs": [],
        "searches": [],
    }
    for task, n, d in itertools.product(TASKS, sizes, widths):
        kinds = [
            c.kind for c in plan if (c.task, c.n_samples, c.n_features) == (task, n, d)
        ]
        if not kinds:
            continue
        for kind, X, y in datasets(task, n, d, kinds):
            config = Config(task, kind, n, d)
            results["configs"].append(run_config(config, X, y, repeats))
            del X
            gc.collect()
    for task in planned_searches:
        results["searches"].append(run_search(task, search_n, search_d))
    results["meta"]["wall_time_s"] = round(time.perf_counter() - start, 1)
    results["meta"]["load_average_at_end"] = load_average()
    results["targets"] = targets(results["configs"])

    paths = write_results(results, args.out)
    print_targets(results["targets"])
    print(f"\n{results['meta']['wall_time_s']} s; wrote", *map(str, paths))
    return 0


def warm_up() -> None:
    """Fit every model once on tiny data before anything is timed.

    A first call pays for lazy imports and for starting the BLAS threads; with
    one fit per model (--quick) that cost would land on whichever model runs
    first.
    """
    for task in TASKS:
        ((_, X, y),) = datasets(task, 500, 5, ["dense"])
        for estimator in models(task, len(y)).values():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator.fit(X, y)


def run_config(config: Config, X, y, repeats: int) -> dict:
    """Fit every model of ``config`` on ``X, y``; times, passes, quality, memory."""
    record = {
        "name": config.name,
        "task": config.task,
        "kind": config.kind,
        "n_samples": config.n_samples,
        "n_features": config.n_features,
        "dtype": str(X.dtype),
        "sparse": sp.issparse(X),
        "X_nbytes": nbytes(X),
        "reference": reference(config, X, y),
        "models": [],
    }
    for name, estimator in models(config.task, config.n_samples).items():
        fit = timed_fits(estimator, X, y, repeats, REPEAT_BUDGET_S)
        entry = {
            "name": name,
            "ours": is_ours(estimator),
            "estimator": repr(estimator),
            "fit_time_s": fit.best,
            "times_s": fit.times,
            "converged": fit.converged,
            "warnings": fit.warnings,
            "error": fit.error,
        }
        if fit.error is None:
            model = fit.model
            n_iter = getattr(model, "n_iter_", None)
            # Memory takes one more fit: not for a peer too slow to be fitted
            # twice (its memory is measured on the smaller data sets).
            peak = (
                peak_fit_memory(estimator, X, y)
                if entry["ours"] or sum(fit.times) < REPEAT_BUDGET_S
                else None
            )
            entry.update(
                n_iter=None if n_iter is None else int(np.max(n_iter)),
                # The core counts its products with X (statistics, step-size
                # estimate and epochs) when asked to, as timed_fits does.
                passes=fit.passes if entry["ours"] else None,
                peak_memory_bytes=peak,
                peak_memory_fraction=None
                if peak is None
                else peak / record["X_nbytes"],
                **quality(config.task, X, y, model),
            )
        record["models"].append(entry)
        print(f"{config.name:34} {_summary(entry)}", flush=True)
    _compare(record)
    return record


def reference(config: Config, X, y) -> dict:
    """The optimum every model is judged against, with what it took to get it."""
    start = time.perf_counter()
    if config.task == "regression":
        coef, intercept = least_squares(X, y)
        result = {"method": "normal equations", "r2": r2(y, scores(X, coef, intercept))}
    else:
        coef, intercept, report = logistic_optimum(X, y)
        result = {
            "method": "L-BFGS-B, column-scaled",
            "objective": objective(X, y, coef, intercept),
            "accuracy": accuracy(X, y, coef, intercept),
            **report,
        }
    result["time_s"] = time.perf_counter() - start
    return result


def quality(task: str, X, y, model) -> dict:
    """The quality of a fitted model's coefficients, computed in float64."""
    coef, intercept = model.coef_, model.intercept_
    if task == "regression":
        return {"r2": r2(y, scores(X, coef, intercept))}
    return {
        "objective": objective(X, y, coef, intercept),
        "accuracy": accuracy(X, y, coef, intercept),
    }


def _compare(record: dict) -> None:
    """Add each model's gap to the optimum and our time ratios to each peer.

    The optimum is the best of the reference and every model, so that a gap is
    never negative; the reference's own value is kept in the record.
    """
    fitted = [m for m in record["models"] if m["error"] is None]
    if record["task"] == "regression":
        values = [record["reference"]["r2"], *(m["r2"] for m in fitted)]
        best = max(v for v in values if np.isfinite(v))
        for m in fitted:
            m["r2_gap"] = best - m["r2"]
    else:
        values = [record["reference"]["objective"], *(m["objective"] for m in fitted)]
        best = min(v for v in values if np.isfinite(v))
        for m in fitted:
            m["objective_gap"] = m["objective"] - best
    record["optimum"] = best
    for ours in (m for m in fitted if m["ours"]):
        ours["time_ratio"] = {
            peer["name"]: ours["fit_time_s"] / peer["fit_time_s"]
            for peer in fitted
            if not peer["ours"]
        }


def run_search(task: str, n_samples: int, n_features: int) -> dict:
    """Time the grid searches of ``task`` on one data set, ours and SGD's."""
    name = search_name(task, n_samples, n_features)
    ((_, X, y),) = datasets(task, n_samples, n_features, ["dense"])
    record = {
        "name": name,
        "task": task,
        "n_samples": n_samples,
        "n_features": n_features,
        "models": [],
    }
    for model_name, search in searches(task, n_samples).items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            search.fit(X, y)
            wall = time.perf_counter() - start
        scores_ = search.cv_results_["mean_test_score"]
        entry = {
            "name": model_name,
            "search": repr(search.estimator),
            "grid": {k: list(v) for k, v in search.param_grid.items()},
            "wall_time_s": wall,
            "best_score": float(search.best_score_),
            "best_params": search.best_params_,
            "mean_test_scores": [float(s) for s in scores_],
            "failed_candidates": int(np.sum(~np.isfinite(scores_))),
            "convergence_warnings": sum(
                issubclass(w.category, ConvergenceWarning) for w in caught
            ),
        }
        record["models"].append(entry)
        print(
            f"{name:34} {model_name:32} {wall:8.2f} s  best score "
            f"{entry['best_score']:.6f} at {entry['best_params']}",
            flush=True,
        )
    return record


def _summary(entry: dict) -> str:
    if entry["error"] is not None:
        return f"{entry['name']:32} failed: {entry['error'][:80]}"
    quality_ = (
        f"R2 {entry['r2']:.9f}"
        if "r2" in entry
        else f"objective {entry['objective']:.9f}"
    )
    passes = f"  {entry['passes']:.0f} passes" if entry["passes"] is not None else ""
    converged = "" if entry["converged"] else "  NOT CONVERGED"
    memory = entry["peak_memory_fraction"]
    memory = "" if memory is None else f"  memory {memory:.3f} X"
    return (
        f"{entry['name']:32} {entry['fit_time_s']:8.3f} s  {quality_}"
        f"{memory}{passes}{converged}"
    )


if __name__ == "__main__":
    sys.exit(main())
