"""Demo: ``python -m sklearn_simple``.

Grid-searches the learning rate of both estimators inside a Pipeline on the
data sets bundled with scikit-learn (no downloads) and prints the results
beside scikit-learn's own estimators. A learning rate that diverges is
reported as failed, as GridSearchCV records it. With matplotlib installed,
the loss curves of every learning rate are saved as a PNG.
"""

import argparse
import importlib.util
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import SimpleRegressor, ThresholdClassifier

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


def _reference(estimator_class):
    if estimator_class is LogisticRegression:
        # Same penalty as ThresholdClassifier's default alpha=1e-4 per sample.
        return LogisticRegression(max_iter=10_000)
    return estimator_class()


def run_demo(n_splits=5, plot_path=None):
    """Run the grid searches and return one row of results per data set.

    Parameters
    ----------
    n_splits : int, default=5
        Number of cross-validation folds.
    plot_path : str or None, default=None
        If given, save the loss curves of every candidate of every search
        there as a PNG (needs matplotlib).

    Returns
    -------
    rows : list of dict
        One dict per data set with the best learning rate, the CV scores of
        both models, their mean fit times and the number of diverged fits.
    """
    rows = []
    searches = []
    for name, load, ours, reference, splitter in DATASETS:
        X, y = load(return_X_y=True)
        cv = splitter(n_splits=n_splits, shuffle=True, random_state=0)
        search = GridSearchCV(
            make_pipeline(StandardScaler(), ours(random_state=0)),
            {f"{ours.__name__.lower()}__learning_rate": LEARNING_RATES},
            cv=cv,
        )
        with warnings.catch_warnings():
            # A diverging learning rate is an expected, reported outcome here.
            warnings.simplefilter("ignore", FitFailedWarning)
            # The smallest rates may stop at max_iter; their scores still count.
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", message="One or more of the test scores")
            search.fit(X, y)
        searches.append((name, search, X, y))
        scores = search.cv_results_["mean_test_score"]
        ref = cross_validate(
            make_pipeline(StandardScaler(), _reference(reference)), X, y, cv=cv
        )
        best = search.best_index_
        rows.append(
            {
                "data set": name,
                "model": ours.__name__,
                "best learning_rate": search.best_params_[
                    f"{ours.__name__.lower()}__learning_rate"
                ],
                "CV score": scores[best],
                "reference": type(_reference(reference)).__name__,
                "reference score": ref["test_score"].mean(),
                "fit time (ms)": 1e3 * search.cv_results_["mean_fit_time"][best],
                "reference fit time (ms)": 1e3 * ref["fit_time"].mean(),
                "diverged rates": [
                    rate
                    for rate, score in zip(LEARNING_RATES, scores, strict=True)
                    if not np.isfinite(score)
                ],
            }
        )
    if plot_path is not None:
        _save_loss_curves(searches, plot_path)
    return rows


def _save_loss_curves(searches, path):
    """Save one panel of loss curves per grid search, one curve per rate."""
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    from .plot import LossCurveDisplay

    ncols = min(2, len(searches))
    nrows = -(-len(searches) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(6 * ncols, 4.5 * nrows), squeeze=False
    )
    for ax in axes.flat[len(searches) :]:
        ax.set_visible(False)
    for ax, (name, search, X, y) in zip(axes.flat, searches, strict=False):
        with warnings.catch_warnings():
            # The smallest rates may stop at max_iter when refitted.
            warnings.simplefilter("ignore", ConvergenceWarning)
            LossCurveDisplay.from_cv_results(search, X, y, ax=ax)
        ax.set_title(name)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def format_table(rows):
    """Render ``rows`` as a fixed-width text table."""
    columns = list(rows[0])
    cells = [[_format(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells
    ]
    return "\n".join(lines)


def _format(value):
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_simple", description=__doc__
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
    rows = run_demo(n_splits=args.cv, plot_path=plot_path)
    out = sys.stdout
    out.write(
        "Grid search over learning_rate in "
        f"{LEARNING_RATES} (Pipeline: StandardScaler + model), "
        f"{args.cv}-fold CV; scores are R² (regression) or accuracy.\n\n"
    )
    out.write(format_table(rows) + "\n\n")
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
