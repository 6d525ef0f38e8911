"""What is benchmarked: the configurations, their data, the models and the optima.

A configuration is a task (regression or classification), a kind of data
(dense float64, float32, sparse CSR, badly scaled columns) and a size. Every
model of a task is fitted on the same arrays and judged by the same measure of
quality, computed here in float64 from its ``coef_`` and ``intercept_`` (so
that a float32 model is judged by its solution, not by float32 rounding of its
predictions).
"""

import fnmatch
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse as sp
import scipy.special
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.sparsefuncs import mean_variance_axis

from sklearn_simple import SimpleRegressor, ThresholdClassifier

TASKS = ("regression", "classification")
KINDS = ("dense", "float32", "sparse", "badscale")
SIZES = (10_000, 100_000, 1_000_000)
WIDTHS = (20, 100)

# The classifiers' penalty: ours minimises mean(log loss) + ALPHA / 2 ||w||^2,
# which is LogisticRegression with C = 1 / (ALPHA * n_samples) and
# SGDClassifier(loss="log_loss") with the same alpha.
ALPHA = 1e-4
# SGD runs until its loss stops improving by its tol; at 1e6 rows one epoch
# costs about a second, so a cap keeps the run bounded. Hitting the cap is
# reported as not converged.
SGD_MAX_ITER = 50
# The classification reference: L-BFGS-B run far past scikit-learn's default
# tolerance (1e-4): a gradient of 1e-10 and no relative decrease of the
# objective beyond a few ulps (scikit-learn's own ftol).
REFERENCE_GTOL = 1e-10
REFERENCE_FTOL = 64 * np.finfo(float).eps
REFERENCE_MAX_ITER = 1000
SPARSE_DENSITY = 0.01
# Badly scaled data: column j is multiplied by 10 ** (-3 ... 3).
BADSCALE_DECADES = 6

_ROWS_PER_BLOCK = 65_536  # float64 work on dense X is done in blocks of rows


@dataclass(frozen=True)
class Config:
    """One benchmark case: a task, a kind of data and its shape."""

    task: str
    kind: str
    n_samples: int
    n_features: int

    @property
    def name(self) -> str:
        return f"{self.task}-{self.kind}-{short(self.n_samples)}-{self.n_features}"


def short(n: int) -> str:
    """``10000 -> "1e4"``: sizes as they are written in configuration names."""
    mantissa, exponent = f"{n:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def configs(
    tasks: Sequence[str] = TASKS,
    kinds: Sequence[str] = KINDS,
    sizes: Sequence[int] = SIZES,
    widths: Sequence[int] = WIDTHS,
    only: Sequence[str] | None = None,
) -> list[Config]:
    """Every combination, in running order, kept if it matches a pattern of ``only``."""
    every = [
        Config(task, kind, n, d)
        for task, n, d, kind in itertools.product(tasks, sizes, widths, kinds)
    ]
    return [c for c in every if selected(c.name, only)]


def selected(name: str, only: Sequence[str] | None) -> bool:
    """Whether ``name`` matches one of the shell-style patterns (all if none)."""
    return not only or any(fnmatch.fnmatchcase(name, pattern) for pattern in only)


# ---------------------------------------------------------------------- data
def datasets(
    task: str, n_samples: int, n_features: int, kinds: Sequence[str], seed: int = 0
) -> Iterator[tuple[str, np.ndarray | sp.csr_matrix, np.ndarray]]:
    """Yield ``(kind, X, y)`` for each of ``kinds``.

    The dense kinds are derived from one draw of make_regression or
    make_classification (same rows, same target), each but the float64 one as
    a new array that is freed once the caller drops it; sparse data is drawn on
    its own.
    """
    dense_kinds = [kind for kind in kinds if kind != "sparse"]
    if dense_kinds:
        X, y = _draw_dense(task, n_samples, n_features, seed)
        for kind in dense_kinds:
            yield kind, _derive(X, kind), y
        del X
    if "sparse" in kinds:
        yield "sparse", *_draw_sparse(task, n_samples, n_features, seed)


def _draw_dense(task, n_samples, n_features, seed):
    if task == "regression":
        return make_regression(
            n_samples,
            n_features,
            n_informative=n_features // 2,
            noise=10.0,
            random_state=seed,
        )
    # No redundant (collinear) features and some label noise: a well-posed,
    # non-separable problem.
    return make_classification(
        n_samples,
        n_features,
        n_informative=n_features // 2,
        n_redundant=0,
        flip_y=0.05,
        random_state=seed,
    )


def _derive(X, kind):
    if kind == "dense":
        return X
    if kind == "float32":
        return X.astype(np.float32)
    if kind == "badscale":
        return X * np.logspace(-BADSCALE_DECADES / 2, BADSCALE_DECADES / 2, X.shape[1])
    raise ValueError(f"unknown kind of dense data: {kind!r}")


def _draw_sparse(task, n_samples, n_features, seed):
    """CSR data of 1 % density with standard normal entries and a linear target.

    make_regression and make_classification only make dense data, so the target
    follows their recipe on a sparse design: a random linear model plus noise
    (thresholded at 0 for classification).
    """
    rng = np.random.default_rng(seed)
    X = sp.random(
        n_samples,
        n_features,
        density=SPARSE_DENSITY,
        format="csr",
        random_state=rng,
        data_rvs=rng.standard_normal,
    )
    coef = rng.uniform(-10, 10, n_features)
    score = X @ coef
    if task == "regression":
        return X, score + rng.normal(scale=1.0, size=n_samples)
    return X, (score + rng.logistic(size=n_samples) > 0).astype(np.int64)


def nbytes(X) -> int:
    """Memory held by the data of ``X`` (for CSR: values, indices and pointers)."""
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


# -------------------------------------------------------------------- models
def models(task: str, n_samples: int) -> dict[str, BaseEstimator]:
    """Ours and the scikit-learn peers, set up to solve the same problem.

    Regression: ordinary least squares for all (Ridge with alpha=0 is
    scikit-learn's Cholesky solver of the normal equations). Classification:
    mean log loss plus ALPHA / 2 ||w||^2 for ours, LogisticRegression and
    SGDClassifier; RidgeClassifier (squared loss on +-1 targets, its default
    alpha) is there for its speed, its log loss is not what it minimises.
    """
    if task == "regression":
        return {
            "SimpleRegressor": SimpleRegressor(),
            "LinearRegression": LinearRegression(),
            "Ridge": Ridge(alpha=0.0),
            "SGDRegressor": SGDRegressor(
                penalty=None, max_iter=SGD_MAX_ITER, random_state=0
            ),
        }
    return {
        "ThresholdClassifier": ThresholdClassifier(alpha=ALPHA),
        "ThresholdClassifier(linesearch)": ThresholdClassifier(
            alpha=ALPHA, optimizer="linesearch"
        ),
        "LogisticRegression": LogisticRegression(C=1.0 / (ALPHA * n_samples)),
        "SGDClassifier": SGDClassifier(
            loss="log_loss", alpha=ALPHA, max_iter=SGD_MAX_ITER, random_state=0
        ),
        "RidgeClassifier": RidgeClassifier(),
    }


def is_ours(estimator: BaseEstimator) -> bool:
    return isinstance(estimator, SimpleRegressor | ThresholdClassifier)


# ------------------------------------------------------------------- quality
def _blocks(n_samples: int) -> Iterator[slice]:
    for start in range(0, n_samples, _ROWS_PER_BLOCK):
        yield slice(start, start + _ROWS_PER_BLOCK)


def scores(X, coef, intercept) -> np.ndarray:
    """``X @ coef + intercept`` in float64, without a float64 copy of ``X``."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    intercept = float(np.asarray(intercept, dtype=np.float64).ravel()[0])
    if sp.issparse(X):
        return X.astype(np.float64, copy=False) @ coef + intercept
    out = np.empty(X.shape[0])
    for rows in _blocks(X.shape[0]):
        out[rows] = X[rows].astype(np.float64, copy=False) @ coef + intercept
    return out


def _transposed_product(X, g) -> np.ndarray:
    """``X.T @ g`` in float64, without a float64 copy of ``X``."""
    if sp.issparse(X):
        return X.astype(np.float64, copy=False).T @ g
    return sum(
        X[rows].astype(np.float64, copy=False).T @ g[rows]
        for rows in _blocks(X.shape[0])
    )


def _centered_gram(X) -> tuple[np.ndarray, np.ndarray]:
    """Column means and ``(X - mean).T @ (X - mean)``, in float64."""
    n = X.shape[0]
    if sp.issparse(X):
        X = X.astype(np.float64, copy=False)
        mean = np.asarray(X.mean(axis=0)).ravel()
        return mean, (X.T @ X).toarray() - n * np.outer(mean, mean)
    mean = _transposed_product(X, np.full(n, 1.0 / n))
    gram = np.zeros((X.shape[1], X.shape[1]))
    for rows in _blocks(n):
        block = X[rows].astype(np.float64, copy=False) - mean
        gram += block.T @ block
    return mean, gram


def r2(y, predicted) -> float:
    y = np.asarray(y, dtype=np.float64)
    residual = y - predicted
    centered = y - y.mean()
    return 1.0 - float(residual @ residual) / float(centered @ centered)


def objective(X, y, coef, intercept, alpha: float = ALPHA) -> float:
    """Mean log loss of the scores plus ``alpha / 2 ||coef||^2``, in float64."""
    s = scores(X, coef, intercept)
    log_loss = np.mean(np.logaddexp(0.0, s) - y * s)
    coef = np.asarray(coef, dtype=np.float64)
    return float(log_loss) + 0.5 * alpha * float(np.sum(coef * coef))


def accuracy(X, y, coef, intercept) -> float:
    return float(np.mean((scores(X, coef, intercept) > 0) == (y == 1)))


def _column_moments(X) -> tuple[np.ndarray, np.ndarray]:
    """Column means and variances in float64, without a Gram matrix (any width)."""
    if sp.issparse(X):
        mean, var = mean_variance_axis(X.astype(np.float64, copy=False), axis=0)
        return mean, var
    n = X.shape[0]
    mean = _transposed_product(X, np.full(n, 1.0 / n))
    var = sum(
        np.sum((X[rows].astype(np.float64, copy=False) - mean) ** 2, axis=0)
        for rows in _blocks(n)
    )
    return mean, var / n


def least_squares(X, y) -> tuple[np.ndarray, float]:
    """Exact least squares with intercept, in float64, for any kind of ``X``.

    Solves the normal equations of the centered, column-scaled data, whose
    conditioning does not depend on the column scales (badly scaled data
    stays easy); the Gram matrix is accumulated in blocks of rows, so that
    no float64 copy of a large float32 ``X`` is made.
    """
    y = np.asarray(y, dtype=np.float64)
    mean, gram = _centered_gram(X)
    y_mean = y.mean()
    xty = _transposed_product(X, y - y_mean) - mean * np.sum(y - y_mean)
    scale = _scale(gram)
    beta = scipy.linalg.lstsq(gram / np.outer(scale, scale), xty / scale)[0]
    coef = beta / scale
    return coef, y_mean - mean @ coef


def _scale(gram):
    scale = np.sqrt(np.diag(gram))
    scale[scale == 0] = 1.0
    return scale


def logistic_optimum(X, y, alpha: float = ALPHA) -> tuple[np.ndarray, float, dict]:
    """The minimum of mean log loss + ``alpha / 2 ||coef||^2``, tightly.

    scipy's L-BFGS-B (the solver of ``LogisticRegression(solver="lbfgs")``) run
    far past scikit-learn's default tolerance, over the weights of the
    centered, column-scaled features: there badly scaled data is as well
    conditioned as well scaled data, whereas lbfgs on the raw features stalls
    on it (LogisticRegression's own fit is one of the peers measured).
    Returns ``coef, intercept`` and the solver's report.
    """
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    mean, var = _column_moments(X)
    # The diagonal of the objective's curvature is about var_j / 4 + alpha:
    # dividing by its root makes every direction alike (L-BFGS-B then takes
    # tens of iterations, not thousands, on badly scaled columns).
    scale = np.sqrt(var + alpha)

    def value_and_gradient(theta):
        coef = theta[:-1] / scale
        z = scores(X, coef, theta[-1] - mean @ coef)
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * alpha * coef @ coef
        g = (scipy.special.expit(z) - y) / n
        gradient = np.empty_like(theta)
        gradient[:-1] = (_transposed_product(X, g) - mean * g.sum()) / scale
        gradient[:-1] += alpha * coef / scale
        gradient[-1] = g.sum()
        return value, gradient

    result = scipy.optimize.minimize(
        value_and_gradient,
        np.zeros(X.shape[1] + 1),
        jac=True,
        method="L-BFGS-B",
        options={
            "maxiter": REFERENCE_MAX_ITER,
            "gtol": REFERENCE_GTOL,
            "ftol": REFERENCE_FTOL,
        },
    )
    coef = result.x[:-1] / scale
    report = {"n_iter": int(result.nit), "converged": bool(result.success)}
    return coef, float(result.x[-1] - mean @ coef), report


# --------------------------------------------------------------- grid search
SEARCH_LEARNING_RATES = (0.1, 0.3, 0.6, 1.0, 1.5)
SEARCH_ETA0 = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
SEARCH_FOLDS = 5


def search_name(task: str, n_samples: int, n_features: int) -> str:
    return f"search-{task}-{short(n_samples)}-{n_features}"


def searches(task: str, n_samples: int) -> dict[str, GridSearchCV]:
    """The headline use: a grid over 5 step sizes x 5 folds, ours against SGD.

    Both in a Pipeline after a StandardScaler. SGD uses its "invscaling"
    schedule (eta0 / t ** power_t), the one that decays to convergence and
    where eta0 matters: the classifier's default "optimal" ignores eta0, so a
    grid over it would fit the same model five times.
    """
    ours, sgd = (
        ("SimpleRegressor", "SGDRegressor")
        if task == "regression"
        else ("ThresholdClassifier", "SGDClassifier")
    )
    candidates = models(task, n_samples)
    return {
        ours: _grid(candidates[ours], "learning_rate", SEARCH_LEARNING_RATES),
        sgd: _grid(
            candidates[sgd].set_params(learning_rate="invscaling"), "eta0", SEARCH_ETA0
        ),
    }


def _grid(estimator, parameter, values):
    pipeline = make_pipeline(StandardScaler(), estimator)
    step = pipeline.steps[-1][0]
    return GridSearchCV(
        pipeline, {f"{step}__{parameter}": list(values)}, cv=SEARCH_FOLDS
    )
