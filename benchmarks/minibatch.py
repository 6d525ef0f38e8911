"""Mini-batches and streams beside scikit-learn's SGD: time and gap to the full fit.

For each batch size, ``SimpleRegressor`` and ``ThresholdClassifier`` train in
mini-batches (SAGA) at the default ``learning_rate=1.0``, and
``SGDRegressor``/``SGDClassifier`` train on the same standardized data with
their defaults. For a stream of 50 chunks, both learn by ``partial_fit`` over
the same chunks for 10 epochs. Each is judged by its gap to our full-batch
fit (R² for regression, log loss and accuracy for classification) and by its
fit time as a ratio to SGD's. Run from the repository's root::

    python benchmarks/minibatch.py [--quick] [--out DIR]

``--quick`` runs two batch sizes on small data in a few seconds (the test
suite runs it); the full mode writes ``benchmarks/results/minibatch.md`` and
``minibatch.json``. Timings are single runs on a shared machine: read the
ratios, not the seconds.
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sklearn_simple import SimpleRegressor, ThresholdClassifier

RESULTS = Path(__file__).parent / "results"
BATCH_SIZES = (1, 2, 8, 32, 256)
QUICK_BATCH_SIZES = (8, 256)
N_CHUNKS, N_EPOCHS = 50, 10


def _timed(fit):
    """``(model, seconds)`` of ``fit()``; unconverged fits are still measured."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tic = time.perf_counter()
        model = fit()
        return model, time.perf_counter() - tic


def _regression_data(quick):
    X, y = make_regression(1000 if quick else 5000, 20, noise=10, random_state=0)
    return StandardScaler().fit_transform(X), y


def _classification_data(quick):
    X, y = load_breast_cancer(return_X_y=True)
    if quick:
        X, y = X[::3], y[::3]
    return StandardScaler().fit_transform(X), y


def _scores(task, model, X, y, full):
    """The model's gaps to the full-batch fit ``full`` (positive: worse)."""
    if task == "regression":
        return {"r2_gap": full.score(X, y) - model.score(X, y)}
    full_loss = log_loss(y, full.predict_proba(X))
    return {
        "log_loss_gap": log_loss(y, model.predict_proba(X)) - full_loss,
        "accuracy_gap": full.score(X, y) - model.score(X, y),
    }


def _ours_and_sgd(task):
    if task == "regression":
        return SimpleRegressor, lambda: SGDRegressor(random_state=0)
    return ThresholdClassifier, lambda: SGDClassifier(loss="log_loss", random_state=0)


def minibatch_rows(task, X, y, batch_sizes):
    """One row per batch size: our mini-batch fit beside SGD's ``fit``."""
    ours, sgd = _ours_and_sgd(task)
    full = ours().fit(X, y)
    sgd_model, sgd_time = _timed(lambda: sgd().fit(X, y))
    rows = []
    for batch_size in batch_sizes:
        model, seconds = _timed(
            lambda b=batch_size: ours(batch_size=b, random_state=0).fit(X, y)
        )
        rows.append(
            {
                "task": task,
                "regime": f"batch_size={batch_size}",
                "epochs": model.n_iter_,
                "sgd_epochs": sgd_model.n_iter_,
                "time_ratio": seconds / sgd_time,
                "ours": _scores(task, model, X, y, full),
                "sgd": _scores(task, sgd_model, X, y, full),
            }
        )
    return rows


def stream_row(task, X, y, n_epochs):
    """Our ``partial_fit`` beside SGD's, over the same 50 chunks."""
    ours, sgd = _ours_and_sgd(task)
    full = ours().fit(X, y)
    chunks = np.array_split(np.arange(len(y)), N_CHUNKS)
    classes = np.unique(y) if task == "classification" else None

    def stream(model):
        kwargs = {} if classes is None else {"classes": classes}
        for _ in range(n_epochs):
            for chunk in chunks:
                model.partial_fit(X[chunk], y[chunk], **kwargs)
        return model

    model, seconds = _timed(lambda: stream(ours()))
    sgd_model, sgd_time = _timed(lambda: stream(sgd()))
    return {
        "task": task,
        "regime": f"stream of {N_CHUNKS} chunks, {n_epochs} epochs",
        "epochs": n_epochs,
        "sgd_epochs": n_epochs,
        "time_ratio": seconds / sgd_time,
        "ours": _scores(task, model, X, y, full),
        "sgd": _scores(task, sgd_model, X, y, full),
    }


def report(rows, quick):
    """The results as a Markdown table."""
    lines = [
        "# Mini-batches and streams beside SGD",
        "",
        "Gaps to our full-batch fit on standardized data (R² for regression on "
        "make_regression(5000, 20, noise=10), log loss for classification on "
        "breast_cancer; positive: worse), and fit time as a ratio to "
        "SGDRegressor / SGDClassifier(loss='log_loss') with their defaults "
        "(fit for batch sizes, partial_fit over the same chunks for streams). "
        "Generated by `python benchmarks/minibatch.py`"
        + (" --quick (small data)." if quick else "."),
        "",
        "| task | regime | epochs (SGD) | time / SGD | gap | SGD gap |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        key = "r2_gap" if row["task"] == "regression" else "log_loss_gap"
        lines.append(
            f"| {row['task']} | {row['regime']} | {row['epochs']} "
            f"({row['sgd_epochs']}) | {row['time_ratio']:.2f} | "
            f"{row['ours'][key]:.2e} | {row['sgd'][key]:.2e} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast")
    parser.add_argument("--out", type=Path, default=RESULTS, help="output folder")
    args = parser.parse_args(argv)
    batch_sizes = QUICK_BATCH_SIZES if args.quick else BATCH_SIZES
    n_epochs = 2 if args.quick else N_EPOCHS
    rows = []
    for task, data in (
        ("regression", _regression_data),
        ("classification", _classification_data),
    ):
        X, y = data(args.quick)
        rows += minibatch_rows(task, X, y, batch_sizes)
        rows.append(stream_row(task, X, y, n_epochs))
        print(report(rows, args.quick), file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "minibatch.md").write_text(report(rows, args.quick))
    results = {"quick": args.quick, "rows": rows}
    (args.out / "minibatch.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
