"""What a run leaves behind: JSON, a markdown report, a plot, and the targets."""

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PEERS = {
    "regression": ("LinearRegression", "Ridge", "SGDRegressor"),
    "classification": ("LogisticRegression", "SGDClassifier", "RidgeClassifier"),
}
QUALITY = {
    "regression": ("r2", "r2_gap"),
    "classification": ("objective", "objective_gap"),
}
_LABELS = {
    "r2": "R²",
    "r2_gap": "R² gap",
    "objective": "objective",
    "objective_gap": "objective gap",
}
_DENSE_KINDS = ("dense", "float32", "badscale")
HEADLINE_SHAPE = (1_000_000, 100)


# ------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    """A goal of the performance issue: ``measure(model entry) <= limit``."""

    text: str
    config: str
    model: str
    limit: float
    measure: Callable[[dict], float | None]


def _ratio(peer: str) -> Callable[[dict], float | None]:
    return lambda entry: entry.get("time_ratio", {}).get(peer)


def _field(key: str) -> Callable[[dict], float | None]:
    return lambda entry: entry.get(key)


# Each goal is measured on the dense float64 1e6 x 100 case of its task.
TARGETS = tuple(
    Target(text, config, model, limit, measure)
    for config, models, goals in (
        (
            "regression-dense-1e6-100",
            ("SimpleRegressor",),
            (
                ("time / SGDRegressor", 0.10, _ratio("SGDRegressor")),
                ("time / LinearRegression", 0.35, _ratio("LinearRegression")),
                ("R2 gap to least squares", 1e-6, _field("r2_gap")),
                ("passes over X", 20, _field("passes")),
            ),
        ),
        (
            "classification-dense-1e6-100",
            ("ThresholdClassifier", "ThresholdClassifier(linesearch)"),
            (
                ("time / LogisticRegression", 2.5, _ratio("LogisticRegression")),
                ("time / SGDClassifier", 0.7, _ratio("SGDClassifier")),
                ("objective gap to the optimum", 1e-4, _field("objective_gap")),
            ),
        ),
    )
    for model in models
    for text, limit, measure in goals
)
MEMORY_LIMIT = 0.05  # peak extra memory of a fit, as a fraction of X
FLOAT32_MIN_ROWS = 100_000


def targets(configs: list[dict]) -> list[dict]:
    """Each target, met or missed with its measured value, or not measured."""
    by_name = {c["name"]: c for c in configs}
    rows = []
    for target in TARGETS:
        entry = _model(by_name.get(target.config), target.model)
        measured = None if entry is None else target.measure(entry)
        rows.append(
            _row(target.text, target.config, target.model, measured, target.limit)
        )
    ours = sorted({m["name"] for c in configs for m in c["models"] if m["ours"]})
    for model in ours:
        rows.append(_worst_memory(configs, model))
        rows.append(_float32_speedup(by_name, model))
    return rows


def _model(config: dict | None, name: str) -> dict | None:
    if config is None:
        return None
    return next((m for m in config["models"] if m["name"] == name), None)


def _row(text, where, model, measured, limit, strict=False) -> dict:
    if measured is None or not math.isfinite(measured):
        status = "not measured"
    else:
        met = measured < limit if strict else measured <= limit
        status = "met" if met else "missed"
    return {
        "target": text,
        "where": where,
        "model": model,
        "measured": measured,
        "limit": f"{'<' if strict else '<='} {limit:g}",
        "status": status,
    }


def _worst_memory(configs, model) -> dict:
    """The largest peak extra memory on dense data of the headline shape.

    Only there is the goal meaningful: at 1e4 rows a fixed-size work block
    is a sizeable part of X, and sparse data at 1 % density holds one value
    per row, so that any vector of n_samples is as large as X itself.
    """
    worst, where = None, "dense kinds at 1e6 x 100"
    for config in configs:
        entry = _model(config, model)
        if (
            (config["n_samples"], config["n_features"]) == HEADLINE_SHAPE
            and config["kind"] in _DENSE_KINDS
            and entry is not None
            and entry.get("peak_memory_fraction") is not None
            and (worst is None or entry["peak_memory_fraction"] > worst)
        ):
            worst, where = entry["peak_memory_fraction"], config["name"]
    return _row("peak extra memory / X (worst)", where, model, worst, MEMORY_LIMIT)


def _float32_speedup(by_name, model) -> dict:
    """The slowest float32 fit relative to float64 on the same rows.

    From 1e5 rows on: below, a fit takes milliseconds and the ratio is noise.
    """
    worst, where = None, "float32 configs with n >= 1e5"
    for name, config in by_name.items():
        if config["kind"] != "float32" or config["n_samples"] < FLOAT32_MIN_ROWS:
            continue
        fast = _model(config, model)
        slow = _model(by_name.get(name.replace("-float32-", "-dense-")), model)
        if fast and slow and fast["fit_time_s"] and slow["fit_time_s"]:
            ratio = fast["fit_time_s"] / slow["fit_time_s"]
            if worst is None or ratio > worst:
                worst, where = ratio, name
    return _row("time float32 / float64 (worst)", where, model, worst, 1.0, strict=True)


def print_targets(rows: list[dict]) -> None:
    print("\ntargets")
    for row in rows:
        measured = "-" if row["measured"] is None else f"{row['measured']:.3g}"
        print(
            f"  {row['status']:>12}  {row['model']:32} {row['target']:32} "
            f"{measured:>9} {row['limit']:>9}  {row['where']}"
        )


# ------------------------------------------------------------------- outputs
def write_results(results: dict, out: Path) -> list[Path]:
    """Write results.json, results.md and fit_time.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "results.json", out / "results.md", out / "fit_time.png"]
    paths[0].write_text(json.dumps(_plain(results), indent=1, allow_nan=False) + "\n")
    paths[1].write_text(markdown(results))
    plot(results["configs"], paths[2])
    return paths


def _plain(value):
    """JSON-ready: non-finite floats become null, numpy scalars Python ones."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _num(value, spec: str = ".3g") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def markdown(results: dict) -> str:
    meta = results["meta"]
    machine = meta["machine"]
    lines = [
        "# sklearn-simple benchmarks",
        "",
        f"- date: {meta['date']}; command: `{meta['command']}`; "
        f"wall time {meta['wall_time_s']} s",
        f"- machine: {machine['cpu']}, {machine['usable_cores']} usable cores of "
        f"{machine['logical_cores']}, {machine['memory_gib']} GiB; "
        f"{machine['platform']}; load average (1, 5, 15 min) "
        f"{meta['load_average']} at the start, "
        f"{meta['load_average_at_end']} at the end",
        "- versions: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f", python {machine['python']}; git {meta['git_commit']}",
        "- BLAS: "
        + "; ".join(
            f"{b['internal_api']} {b['version']} ({b['prefix']}, {b['architecture']}, "
            f"{b['num_threads']} threads)"
            for b in meta["blas"]
            if b["user_api"] == "blas"
        ),
        "- environment: "
        + ", ".join(f"{k}={v}" for k, v in meta["environment_variables"].items()),
        f"- best of {meta['repeats']} fits per model (fewer once a model's fits "
        f"took {meta['repeat_budget_s']:g} s); memory from one more fit under "
        "tracemalloc (for a peer, only if its fits took less than that)",
        "",
        "Ratios are our fit time divided by the peer's (below 1: ours is faster). "
        "Gaps are to the optimum: the best of an independent reference and every "
        "model (R2 below it for regression; mean log loss + penalty above it for "
        "classification). Memory is the peak of allocations during the fit, as a "
        "fraction of the bytes of X. Passes are the products with all rows of X "
        "that the core counts, the column statistics and the step-size estimate "
        "included.",
        "",
        "## Targets",
        "",
        *_table(
            ["status", "model", "target", "measured", "limit", "where"],
            [
                [
                    r["status"],
                    r["model"],
                    r["target"],
                    _num(r["measured"]),
                    r["limit"],
                    r["where"],
                ]
                for r in results["targets"]
            ],
        ),
    ]
    for task in ("regression", "classification"):
        configs = [c for c in results["configs"] if c["task"] == task]
        if configs:
            lines += _task_tables(task, configs)
    if results["searches"]:
        lines += _search_table(results["searches"])
    lines += ["![fit time against n](fit_time.png)", ""]
    return "\n".join(lines)


def _task_tables(task: str, configs: list[dict]) -> list[str]:
    value, gap = QUALITY[task]
    peers = PEERS[task]
    summary = []
    for config in configs:
        for m in (m for m in config["models"] if m["ours"]):
            ratios = m.get("time_ratio", {})
            summary.append(
                [
                    config["name"],
                    m["name"],
                    _num(m["fit_time_s"]),
                    _num(m.get("passes"), ".1f"),
                    _num(m.get(gap), ".1e"),
                    _num(m.get("peak_memory_fraction"), ".3f"),
                    *(_num(ratios.get(peer), ".3f") for peer in peers),
                ]
            )
    detail = []
    for config in configs:
        ref = config["reference"]
        detail.append(
            [
                config["name"],
                "reference",
                _num(ref["time_s"]),
                "",
                "",
                "",
                "",
                "yes" if ref.get("converged", True) else "no",
                _num(ref[value], ".9f"),
                "",
                "",
                "",
            ]
        )
        for m in config["models"]:
            if m["error"] is not None:
                detail.append(
                    [config["name"], m["name"], f"failed: {m['error'][:60]}", *[""] * 9]
                )
                continue
            detail.append(
                [
                    config["name"],
                    m["name"],
                    _num(m["fit_time_s"]),
                    str(len(m["times_s"])),
                    _num(m.get("n_iter"), "d"),
                    _num(m.get("passes"), ".1f"),
                    _num(m.get("peak_memory_fraction"), ".3f"),
                    "yes" if m["converged"] else "no",
                    _num(m[value], ".9f"),
                    _num(m[gap], ".1e"),
                    _num(m.get("accuracy"), ".4f"),
                    ", ".join(m["warnings"])[:80],
                ]
            )
    return [
        f"## {task.capitalize()}: ours against each peer",
        "",
        *_table(
            [
                "config",
                "ours",
                "fit (s)",
                "passes",
                _LABELS[gap],
                "memory / X",
                *(f"/ {peer}" for peer in peers),
            ],
            summary,
        ),
        f"## {task.capitalize()}: every model",
        "",
        *_table(
            [
                "config",
                "model",
                "fit (s)",
                "fits",
                "n_iter",
                "passes",
                "memory / X",
                "converged",
                _LABELS[value],
                _LABELS[gap],
                "accuracy",
                "warnings",
            ],
            detail,
        ),
    ]


def _search_table(searches: list[dict]) -> list[str]:
    rows = [
        [
            s["name"],
            m["name"],
            ", ".join(f"{k} in {v}" for k, v in m["grid"].items()),
            _num(m["wall_time_s"]),
            _num(m["best_score"], ".6f"),
            ", ".join(f"{k}={v}" for k, v in m["best_params"].items()),
            str(m["failed_candidates"]),
            str(m["convergence_warnings"]),
        ]
        for s in searches
        for m in s["models"]
    ]
    return [
        "## Grid search: Pipeline(StandardScaler, model), 5 values x 5 folds",
        "",
        *_table(
            [
                "search",
                "model",
                "grid",
                "wall (s)",
                "best score",
                "best",
                "failed",
                "convergence warnings",
            ],
            rows,
        ),
    ]


def plot(configs: list[dict], path: Path) -> None:
    """Log-log fit time against n: a panel per task and kind, a line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in PEERS if any(c["task"] == t for c in configs)]
    kinds = list(dict.fromkeys(c["kind"] for c in configs))
    fig, axes = plt.subplots(
        len(tasks),
        len(kinds),
        figsize=(4 * len(kinds) + 2.5, 3.5 * len(tasks)),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    for (i, task), (j, kind) in itertools.product(enumerate(tasks), enumerate(kinds)):
        ax = axes[i][j]
        cells = [c for c in configs if c["task"] == task and c["kind"] == kind]
        names = list(dict.fromkeys(m["name"] for c in cells for m in c["models"]))
        for color, name in enumerate(names):
            for d, style in ((100, "-o"), (20, "--s")):
                points = sorted(
                    (c["n_samples"], m["fit_time_s"])
                    for c in cells
                    if c["n_features"] == d
                    for m in c["models"]
                    if m["name"] == name and m["fit_time_s"] is not None
                )
                if points:
                    ax.plot(
                        *zip(*points, strict=True),
                        style,
                        color=f"C{color}",
                        label=f"{name}, d={d}",
                    )
        ax.set(
            xscale="log",
            yscale="log",
            title=f"{task}, {kind}",
            xlabel="n_samples",
            ylabel="fit time (s)",
        )
        ax.grid(True, which="both", alpha=0.3)
        if j == len(kinds) - 1:  # one legend per row, outside: same models
            ax.legend(
                *axes[i][0].get_legend_handles_labels(),
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                fontsize=7,
            )
    fig.savefig(path, dpi=110)
    plt.close(fig)
