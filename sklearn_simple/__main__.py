"""Demo: ``python -m sklearn_simple``.

Cross-validates both estimators, inside a Pipeline with a StandardScaler, at
every learning rate of a grid, on the data sets bundled with scikit-learn (no
downloads), beside scikit-learn's own estimators. Each rate's row is printed
as soon as it is done: its score, its epochs, whether it converged and its
fit time. A rate that diverges is reported as such; a fit that stops at
``max_iter`` is reported as not converged, and one whose steps, longer than
the safe one, stopped short of the optimum as short (their ConvergenceWarning
is recorded, not hidden). With matplotlib installed, the loss curves are saved as a PNG.
"""

import argparse
import importlib.util
import os
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import DivergenceError, SimpleRegressor, ThresholdClassifier

LEARNING_RATES = [0.01, 0.1, 0.5, 1.0, 1.5, 5.0]

DATASETS = [
    ("diabetes", load_diabetes, SimpleRegressor, LinearRegression, KFold),
    (
        "breast_cancer",
        load_breast_cancer,
        ThresholdClassifier,
        LogisticRegression,
        StratifiedKFold,
    ),
    ("iris", load_iris, ThresholdClassifier, LogisticRegression, StratifiedKFold),
    ("wine", load_wine, ThresholdClassifier, LogisticRegression, StratifiedKFold),
]

# Scores are printed with 4 decimals; scores equal at that precision are a tie
# (the same optimum reached, up to where each rate stopped).
DECIMALS = 4

# (header, width) of the table, fixed so that rows can be printed as they come.
COLUMNS = [
    ("data set", 13),
    ("model", 19),
    ("learning_rate", 13),
    ("score", 8),
    ("epochs", 6),
    ("converged", 17),
    ("fit time", 9),
]

HELP = """\
Cross-validates SimpleRegressor and ThresholdClassifier, inside a Pipeline
with a StandardScaler, at the learning rates {rates} on scikit-learn's bundled
data sets (diabetes, breast_cancer, iris, wine; no downloads), beside
LinearRegression and LogisticRegression. For each data set and rate it prints
the mean score (R² or accuracy), the mean number of epochs, whether every fold
converged and the mean fit time of that rate. With matplotlib installed, the
loss curves of every rate are saved as a PNG.
"""


def _reference(estimator_class):
    if estimator_class is LogisticRegression:
        # Same penalty as ThresholdClassifier's default alpha=1e-4 per sample.
        return LogisticRegression(max_iter=10_000)
    return estimator_class()


def _cross_validate(pipeline, X, y, cv):
    """Fit and score ``pipeline`` on every fold, recording what happened.

    Returns the mean score (NaN if a fold diverged), the mean epochs, the
    number of folds that stopped at ``max_iter`` and of those that stopped
    short of the optimum before it (from their ConvergenceWarning), the mean
    fit time in seconds, and, for the plot, the model of the first fold (or
    its DivergenceError) and whether it stopped at ``max_iter``.
    """
    scores, epochs, fit_times = [], [], []
    unconverged, short, first = 0, 0, None
    for train, test in cv.split(X, y):
        model = clone(pipeline)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            tic = time.perf_counter()
            try:
                model.fit(X[train], y[train])
            except DivergenceError as exc:
                model = exc
            fit_times.append(time.perf_counter() - tic)
        warned = [
            str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)
        ]
        # The estimators warn at max_iter, or where long steps stopped short.
        stopped = any("stopped at max_iter" in message for message in warned)
        unconverged += stopped
        short += bool(warned) and not stopped
        # Other warnings are not this demo's to judge: pass them on.
        for w in caught:
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if first is None:
            first, first_stopped = model, stopped
        if isinstance(model, DivergenceError):
            scores.append(np.nan)
            continue
        scores.append(model.score(X[test], y[test]))
        epochs.append(getattr(model[-1], "n_iter_", np.nan))
    return {
        "score": float(np.mean(scores)),
        "epochs": float(np.mean(epochs)) if epochs else np.nan,
        "unconverged": unconverged,
        "short": short,
        "fit time": float(np.mean(fit_times)),
        "first fold": (first, first_stopped),
    }


def _cells(name, model, rate, result, n_splits):
    diverged = not np.isfinite(result["score"])
    if diverged:
        converged = "diverged"
    elif rate is None:
        converged = ""
    elif result["unconverged"]:
        converged = f"no ({result['unconverged']}/{n_splits} folds)"
    elif result.get("short"):
        converged = f"short ({result['short']}/{n_splits} folds)"
    else:
        converged = "yes"
    return [
        name,
        model,
        "" if rate is None else f"{rate:g}",
        "" if diverged else f"{result['score']:.{DECIMALS}f}",
        "" if diverged or rate is None else f"{result['epochs']:.0f}",
        converged,
        f"{1e3 * result['fit time']:.1f} ms",
    ]


def _line(cells):
    return "  ".join(
        str(c).ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True)
    ).rstrip()


def _best(name, results):
    """A sentence naming the best rate(s): ties as ties, unconverged flagged."""
    finite = {r: res for r, res in results.items() if np.isfinite(res["score"])}
    top = max(round(res["score"], DECIMALS) for res in finite.values())
    best = [r for r, res in finite.items() if round(res["score"], DECIMALS) == top]
    rates = ", ".join(f"{r:g}" + _flag(finite[r]) for r in best)
    if len(best) == 1:
        return f"{name}: best score {top:.{DECIMALS}f} at learning_rate {rates}"
    return f"{name}: best score {top:.{DECIMALS}f}, a tie of learning_rate {rates}"


def _flag(result):
    if result["unconverged"]:
        return " (not converged)"
    return " (short)" if result.get("short") else ""


def _summary(all_results):
    """The closing lines: what the table shows, worded from what it holds."""
    spreads, diverged = [], {}
    for name, results in all_results.items():
        converged = [
            res["score"]
            for rate, res in results.items()
            if rate is not None
            and np.isfinite(res["score"])
            and not (res["unconverged"] or res.get("short"))
        ]
        if len(converged) > 1:
            spreads.append((max(converged) - min(converged), name))
        for rate, res in results.items():
            if rate is not None and not np.isfinite(res["score"]):
                diverged.setdefault(rate, []).append(name)
    lines = [
        "Full batch: every safe learning rate heads for the same optimum, and "
        "the rate changes only the number of epochs it takes."
    ]
    spread, name = max(spreads)
    if round(spread, DECIMALS) == 0:
        lines.append("Here every rate that converged reached the same score.")
    else:
        lines.append(
            f"Here the scores of converged rates differ by up to {spread:.{DECIMALS}f} "
            f"({name}): a fit stops once its loss has improved by less than tol "
            "(relative) for n_iter_no_change epochs, a little short of the "
            "optimum and not at the same point for every rate."
        )
    short = sorted(
        {r for res in all_results.values() for r, x in res.items() if x.get("short")}
    )
    overshot = ""
    if short:
        overshot = (
            f"; 'short' rows (learning_rate {', '.join(f'{r:g}' for r in short)}) "
            "stopped short of it: their steps, longer than the safe one, "
            "overshot, and one safe step from where they stopped still improved "
            "the loss by more than their last n_iter_no_change epochs could"
        )
    lines.append(
        "'not converged' rows stopped at max_iter on their way there"
        + overshot
        + "".join(
            f"; learning_rate {rate:g}, beyond the safe range, diverged on "
            + ", ".join(names)
            for rate, names in diverged.items()
        )
        + ". With mini-batches (batch_size), the rate changes the result too."
    )
    return "\n".join(lines)


def run_demo(n_splits=5, plot_path=None, out=None):
    """Cross-validate every learning rate on every data set.

    Parameters
    ----------
    n_splits : int, default=5
        Number of cross-validation folds.
    plot_path : str or None, default=None
        If given, save the loss curves of every rate (first fold) of every
        data set there as a PNG (needs matplotlib).
    out : file-like or None, default=None
        Where to print the table, one row as soon as it is computed (flushed);
        ``None`` prints nothing.

    Returns
    -------
    results : dict
        ``{data set: {learning rate: result}}``, where each result holds the
        mean ``"score"`` (NaN if a fold diverged), the mean ``"epochs"``, the
        number of ``"unconverged"`` folds and the mean ``"fit time"`` in
        seconds; the reference estimator's result is under the key ``None``.

    Examples
    --------
    >>> from sklearn_simple.__main__ import run_demo
    >>> results = run_demo(n_splits=2)
    >>> results["diabetes"][1.0]["unconverged"], results["diabetes"][5.0]["score"]
    (0, nan)
    """

    def emit(text):
        if out is not None:
            out.write(text + "\n")
            out.flush()

    emit(_line([header for header, _ in COLUMNS]))
    emit(_line(["-" * width for _, width in COLUMNS]))
    all_results, curves = {}, []
    for name, load, ours, reference, splitter in DATASETS:
        X, y = load(return_X_y=True)
        cv = splitter(n_splits=n_splits, shuffle=True, random_state=0)
        results = {}
        for rate in LEARNING_RATES:
            pipeline = make_pipeline(
                StandardScaler(), ours(learning_rate=rate, random_state=0)
            )
            results[rate] = _cross_validate(pipeline, X, y, cv)
            emit(_line(_cells(name, ours.__name__, rate, results[rate], n_splits)))
        ref = make_pipeline(StandardScaler(), _reference(reference))
        results[None] = _cross_validate(ref, X, y, cv)
        emit(_line(_cells(name, reference.__name__, None, results[None], n_splits)))
        emit(_best(name, {r: v for r, v in results.items() if r is not None}))
        emit("")
        all_results[name] = results
        curves.append((name, results))
    emit(_summary(all_results))
    if plot_path is not None:
        _save_loss_curves(curves, plot_path)
    for results in all_results.values():
        for result in results.values():
            del result["first fold"]
    return all_results


def _save_loss_curves(curves, path):
    """Save one panel of loss curves per data set, one curve per rate."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    from .plot import LossCurveDisplay

    ncols = min(2, len(curves))
    nrows = -(-len(curves) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(6 * ncols, 4.5 * nrows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat[len(curves) :]:
        ax.set_visible(False)
    for ax, (name, results) in zip(axes.flat, curves, strict=False):
        rates = [r for r in results if r is not None]
        models, labels = [], []
        for rate in rates:
            model, stopped = results[rate]["first fold"]
            models.append(model)
            labels.append(
                f"learning_rate={rate:g}" + (" (not converged)" if stopped else "")
            )
        LossCurveDisplay.from_estimators(models, labels=labels, ax=ax)
        ax.set_title(f"{name} (first fold)")
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    """Run the demo from the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_simple",
        description=HELP.format(rates=", ".join(f"{r:g}" for r in LEARNING_RATES)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cv", type=int, default=5, help="number of folds (default 5)")
    parser.add_argument(
        "--plot",
        metavar="PATH",
        default="sklearn_simple_loss_curves.png",
        help="where to save the loss curves as PNG if matplotlib is installed "
        "(default: %(default)s in the current directory)",
    )
    args = parser.parse_args(argv)
    tic = time.perf_counter()
    plot_path = args.plot if importlib.util.find_spec("matplotlib") else None
    out = sys.stdout
    out.write(
        "Learning rates "
        + ", ".join(f"{r:g}" for r in LEARNING_RATES)
        + f", each cross-validated over {args.cv} folds in a Pipeline "
        "(StandardScaler + model); score: R² (regression) or accuracy, "
        "epochs and fit time: means over the folds.\n\n"
    )
    out.flush()
    run_demo(n_splits=args.cv, plot_path=plot_path, out=out)
    out.write("\n")
    if plot_path is None:
        out.write(
            "Install matplotlib to also save the loss curves: "
            'pip install "sklearn-simple[plot]"\n'
        )
    else:
        out.write(f"Loss curves of every learning rate: {os.path.abspath(plot_path)}\n")
    out.write(f"Done in {time.perf_counter() - tic:.1f} s.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
