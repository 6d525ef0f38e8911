"""How things are measured: fit time, peak memory, and the machine they ran on."""

import contextlib
import datetime
import gc
import os
import platform
import subprocess
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from sklearn_simple._passes import count_passes

# Environment variables that change which OpenBLAS kernel runs (and can make a
# current numpy much slower): recorded, and warned about when set.
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_PACKAGES = (
    "sklearn-simple",
    "scikit-learn",
    "numpy",
    "scipy",
    "threadpoolctl",
    "matplotlib",
)


@dataclass
class Fit:
    """The outcome of fitting one model on one data set, best of its repeats."""

    model: BaseEstimator | None = None  # the last fitted copy
    times: list[float] = field(default_factory=list)
    converged: bool = True  # no ConvergenceWarning in any repeat
    warnings: list[str] = field(default_factory=list)  # distinct messages
    error: str | None = None  # why the fit failed, if it did
    passes: float = 0.0  # passes over X of the last fit (ours only count them)

    @property
    def best(self) -> float | None:
        return min(self.times) if self.times else None


def timed_fits(estimator: BaseEstimator, X, y, repeats: int, budget_s: float) -> Fit:
    """Fit fresh clones of ``estimator`` and keep the best time.

    At most ``repeats`` fits, and no new one once ``budget_s`` seconds have been
    spent: a slow model is fitted once, a fast one ``repeats`` times.
    """
    fit = Fit()
    while len(fit.times) < repeats and sum(fit.times) < budget_s:
        model = clone(estimator)
        with (
            warnings.catch_warnings(record=True) as caught,
            _no_gc(),
            count_passes() as count,
        ):
            warnings.simplefilter("always")
            start = time.perf_counter()
            try:
                model.fit(X, y)
            except Exception as exc:  # a failed peer is a result, not a crash
                fit.error = f"{type(exc).__name__}: {exc}"
                return fit
            fit.times.append(time.perf_counter() - start)
        fit.passes = count.passes
        for w in caught:
            fit.converged &= not issubclass(w.category, ConvergenceWarning)
            message = f"{w.category.__name__}: {str(w.message)[:200]}"
            if message not in fit.warnings:
                fit.warnings.append(message)
        fit.model = model
    return fit


@contextlib.contextmanager
def _no_gc():
    """Keep the cyclic garbage collector out of a timed fit, as timeit does.

    Arrays are freed by reference counting; a collection, whose cost depends
    on everything else alive in the process, would only add noise.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def peak_fit_memory(estimator: BaseEstimator, X, y) -> int:
    """Peak bytes allocated while fitting a fresh clone, beyond what existed.

    Counted by tracemalloc, which sees every array numpy and scipy allocate,
    in a fit of its own: tracing slows allocations, so it never runs while a
    fit is timed.
    """
    model = clone(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        try:
            model.fit(X, y)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def environment() -> dict:
    """Date, machine, versions and the BLAS that actually runs, for the record."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "machine": {
            "cpu": _cpu_model(),
            "logical_cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "memory_gib": _memory_gib(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load_average": load_average(),
        "versions": {name: _version(name) for name in _PACKAGES},
        "git_commit": _git_commit(),
        "blas": [
            {
                key: info.get(key)
                for key in (
                    "user_api",
                    "internal_api",
                    "prefix",
                    "version",
                    "architecture",
                    "threading_layer",
                    "num_threads",
                )
            }
            for info in threadpool_info()
        ],
        "environment_variables": {
            name: os.environ.get(name) for name in BLAS_VARIABLES
        },
    }


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: above the core count, timings
    share the machine with other work and BLAS threads wait for each other."""
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * page_size / 2**30, 1)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()
