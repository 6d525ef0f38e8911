"""The bad-input specification: every bad input and what it must lead to.

One list of cases feeds both ``tests/test_bad_input.py``, which runs each of
them, and ``docs/make_bad_input_table.py``, which renders them as the table in
``docs/bad_input_table.rst``: the documentation and the tests cannot drift.

A case is run as ``act(setup(Estimator, X, y), X, y)``, where ``X, y`` are the
clean data of :func:`clean_data` for that estimator. Its outcome is either an
exception (its exact type, and a regular expression its message must match:
the part that says what to do, where the message has one) or ``None``: the call
succeeds and every number it produces is finite. This module names the
estimators instead of importing them, so that the docs can render the table
without running anything.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

REG, CLF = "SimpleRegressor", "ThresholdClassifier"
ESTIMATOR_NAMES = (REG, CLF)
N_SAMPLES, N_FEATURES = 40, 3


@dataclass(frozen=True)
class Case:
    """One bad input and its documented outcome."""

    estimator: str  # REG or CLF
    method: str  # the public method that receives the bad input
    given: str  # the bad input, in words (the table's "Input" column)
    act: Callable  # act(model, X, y) -> result
    raises: str | None = None  # exception class name; None: finite results
    match: str = ""  # regular expression the message must match
    setup: Callable = field(default=lambda Est, X, y: Est())
    warns: tuple[str, str] | None = None  # (warning class name, regex)

    @property
    def id(self):
        return f"{self.estimator}-{self.method}-{self.given}"


def clean_data(estimator):
    """40 samples, 3 features; a linear target, or its sign as labels 0/1."""
    rng = np.random.RandomState(0)
    X = rng.randn(N_SAMPLES, N_FEATURES)
    score = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.randn(N_SAMPLES)
    return X, score if estimator == REG else (score > 0).astype(int)


# ------------------------------------------------------------------ helpers
def _set(a, value, dtype=None):
    """A copy of ``a`` with its first entry replaced by ``value``."""
    a = np.array(a, dtype=dtype)
    a.flat[0] = value
    return a


def _fit_kwargs(model, y):
    is_clf = type(model).__name__ == CLF
    return {"classes": np.unique(y)} if is_clf else {}


def _new(**params):
    return lambda Est, X, y: Est(**params)


def _fitted(**params):
    return lambda Est, X, y: Est(**params).fit(X, y)


def _partial(Est, X, y):
    model = Est()
    return model.partial_fit(X, y, **_fit_kwargs(model, y))


def _fit(X=None, y=None, sw=None):
    """``act`` that fits on transformed data: ``X(X)``, ``y(y)``, ``sw(X)``."""

    def act(model, X_, y_):
        return model.fit(
            X_ if X is None else X(X_),
            y_ if y is None else y(y_),
            sample_weight=None if sw is None else sw(X_),
        )

    return act


def _partial_fit(X=None, y=None, sw=None):
    def act(model, X_, y_):
        return model.partial_fit(
            X_ if X is None else X(X_),
            y_ if y is None else y(y_),
            sample_weight=None if sw is None else sw(X_),
            **_fit_kwargs(model, y_),
        )

    return act


def _call(method, X=None):
    """``act`` calling ``method`` on transformed ``X`` (and the clean ``y``)."""

    def act(model, X_, y_):
        args = (X_ if X is None else X(X_),)
        return getattr(model, method)(*((*args, y_) if method == "score" else args))

    return act


def _frame(X):
    import pandas as pd  # only when the case runs: the docs need no pandas

    return pd.DataFrame(X, columns=["a", "b", "c"])


def _fitted_on_frame(Est, X, y):
    return Est().fit(_frame(X), y)


def _exact_fit(model, X, y):
    return model.fit(X, X @ np.array([1.0, -2.0, 0.5]) + 3.0)


def _multiclass(y):
    rng = np.random.RandomState(1)
    return rng.permutation(np.arange(len(y)) % 3)


# -------------------------------------------------------------- the messages
NAN_X = r"Input X contains NaN"
INF_X = r"Input X contains infinity"
OVERFLOW_X = r"overflows float(64|32).*Rescale X, e\.g\. with .*MaxAbsScaler"
OVERFLOW_LOSS = r"loss is inf before the first step.*Rescale them"
UNDERFLOW_X = r"Column\(s\) \[[\d, ]+\] of X vary by too little.*Rescale X, e\.g\. with"
OVERFLOW_SCORES = r"overflows float64 for \d+ of \d+ samples.*units"
SAMPLES = r"inconsistent numbers of samples"
N_FEATURES_MSG = r"X has 2 features, but \w+ is expecting 3 features"
DIVERGED = r"diverged at epoch \d+.*Use a smaller learning_rate"
NOT_FITTED = r"not fitted yet\. Call 'fit'"
NOT_CONVERGED = ("ConvergenceWarning", r"stopped at max_iter=\d+.*Increase max_iter")


def _param(estimator, name, value):
    return Case(
        estimator,
        "fit",
        f"{name}={value!r}",
        _fit(),
        "InvalidParameterError",
        rf"The '{name}' parameter of {estimator} must be",
        setup=_new(**{name: value}),
    )


def _cases_for(est):
    """The cases common to both estimators."""
    ok_labels = est == CLF
    cases = [
        # --- X in fit and partial_fit
        Case(
            est,
            "fit",
            "NaN in X",
            _fit(X=lambda X: _set(X, np.nan)),
            "ValueError",
            NAN_X,
        ),
        Case(
            est,
            "fit",
            "inf in X",
            _fit(X=lambda X: _set(X, np.inf)),
            "ValueError",
            INF_X,
        ),
        Case(est, "fit", "one value of 1e150 in X", _fit(X=lambda X: _set(X, 1e150))),
        Case(
            est,
            "fit",
            "all of X times 1e150",
            _fit(X=lambda X: X * 1e150),
            # alpha penalises coef_ in the units of X: tiny here, so the log
            # loss on separable classes keeps improving past max_iter.
            warns=NOT_CONVERGED if est == CLF else None,
        ),
        Case(est, "fit", "all of X times 1e-150", _fit(X=lambda X: X * 1e-150)),
        Case(
            est,
            "fit",
            "X times 1e-170 (squares underflow float64)",
            _fit(X=lambda X: X * 1e-170),
            "ValueError",
            UNDERFLOW_X,
        ),
        Case(
            est,
            "fit",
            "X times 1e-160 (squares lose their digits), fit_intercept=False",
            _fit(X=lambda X: X * 1e-160),
            "ValueError",
            UNDERFLOW_X,
            setup=_new(fit_intercept=False),
        ),
        Case(
            est,
            "fit",
            "X times 1e200 (squares overflow float64)",
            _fit(X=lambda X: X * 1e200),
            "ValueError",
            OVERFLOW_X,
        ),
        Case(
            est,
            "fit",
            "X times 1e200, fit_intercept=False",
            _fit(X=lambda X: X * 1e200),
            "ValueError",
            OVERFLOW_X,
            setup=_new(fit_intercept=False),
        ),
        Case(
            est,
            "fit",
            "float32 X times 1e30 (squares overflow float32)",
            _fit(X=lambda X: (X * 1e30).astype(np.float32)),
            "ValueError",
            OVERFLOW_X,
        ),
        Case(est, "fit", "X of numeric strings", _fit(X=lambda X: X.astype(str))),
        Case(
            est,
            "fit",
            "X of non-numeric strings",
            _fit(X=lambda X: np.full(X.shape, "a")),
            "ValueError",
            r"could not convert string to float",
        ),
        Case(
            est,
            "fit",
            "X of dtype object (numbers)",
            _fit(X=lambda X: X.astype(object)),
        ),
        Case(
            est,
            "fit",
            "complex X",
            _fit(X=lambda X: X.astype(complex)),
            "ValueError",
            r"Complex data not supported",
        ),
        Case(est, "fit", "boolean X", _fit(X=lambda X: X > 0)),
        Case(
            est,
            "fit",
            "empty X (0 samples)",
            _fit(X=lambda X: X[:0], y=lambda y: y[:0]),
            "ValueError",
            r"0 sample\(s\)",
        ),
        Case(
            est,
            "fit",
            "X with 0 features",
            _fit(X=lambda X: X[:, :0]),
            "ValueError",
            r"0 feature\(s\)",
        ),
        Case(
            est,
            "fit",
            "a single sample",
            _fit(X=lambda X: X[:1], y=lambda y: y[:1]),
            *(
                ("ValueError", r"at least 2 classes.*only one class")
                if ok_labels
                else ()
            ),
        ),
        Case(est, "fit", "a single feature", _fit(X=lambda X: X[:, :1])),
        Case(
            est,
            "fit",
            "1-d X",
            _fit(X=lambda X: X[:, 0]),
            "ValueError",
            r"(?s)Expected 2D array.*Reshape your data",
        ),
        Case(
            est, "fit", "3-d X", _fit(X=lambda X: X[:, :, None]), "ValueError", r"dim 3"
        ),
        Case(
            est,
            "fit",
            "y shorter than X",
            _fit(y=lambda y: y[:-1]),
            "ValueError",
            SAMPLES,
        ),
        Case(
            est,
            "fit",
            "a constant feature",
            _fit(X=lambda X: np.column_stack([X, np.ones(len(X))])),
        ),
        Case(est, "fit", "all features constant", _fit(X=lambda X: np.ones_like(X))),
        Case(
            est,
            "fit",
            "a duplicated feature",
            _fit(X=lambda X: np.column_stack([X, X[:, 0]])),
        ),
        Case(
            est,
            "partial_fit",
            "NaN in X",
            _partial_fit(X=lambda X: _set(X, np.nan)),
            "ValueError",
            NAN_X,
        ),
        Case(
            est,
            "partial_fit",
            "inf in X",
            _partial_fit(X=lambda X: _set(X, np.inf)),
            "ValueError",
            INF_X,
        ),
        Case(
            est,
            "partial_fit",
            "1-d X",
            _partial_fit(X=lambda X: X[:, 0]),
            "ValueError",
            r"(?s)Expected 2D array.*Reshape your data",
        ),
        Case(
            est,
            "partial_fit",
            "y shorter than X",
            _partial_fit(y=lambda y: y[:-1]),
            "ValueError",
            SAMPLES,
        ),
        Case(
            est,
            "partial_fit",
            "X with 2 features after a call with 3",
            _partial_fit(X=lambda X: X[:, :2]),
            "ValueError",
            N_FEATURES_MSG,
            setup=_partial,
        ),
        Case(
            est,
            "partial_fit",
            "X times 1e200 after a call on unscaled X",
            _partial_fit(X=lambda X: X * 1e200),
            "ValueError",
            r"variance of column\(s\) .* overflows float64.*Rescale X",
            setup=_partial,
        ),
        Case(
            est,
            "fit",
            "warm start on X with 2 features after 3",
            _fit(X=lambda X: X[:, :2]),
            "ValueError",
            r"fitted model has 3 features and the new data 2; set warm_start=False",
            setup=_fitted(warm_start=True),
        ),
        Case(
            est,
            "fit",
            "all-zero X, fit_intercept=False, optimizer='linesearch'",
            _fit(X=np.zeros_like),
            setup=_new(fit_intercept=False, optimizer="linesearch"),
        ),
        # --- sample_weight
        Case(
            est,
            "fit",
            "NaN in sample_weight",
            _fit(sw=lambda X: _set(np.ones(len(X)), np.nan)),
            "ValueError",
            r"sample_weight contains NaN",
        ),
        Case(
            est,
            "fit",
            "inf in sample_weight",
            _fit(sw=lambda X: _set(np.ones(len(X)), np.inf)),
            "ValueError",
            r"sample_weight contains infinity",
        ),
        Case(
            est,
            "fit",
            "one sample_weight of 1e150",
            _fit(sw=lambda X: _set(np.ones(len(X)), 1e150)),
            warns=NOT_CONVERGED if est == CLF else None,
        ),
        Case(
            est,
            "fit",
            "every sample_weight 1e307 (their sum overflows)",
            _fit(sw=lambda X: np.full(len(X), 1e307)),
            "ValueError",
            r"sample_weight sums to infinity.*divide them all by their largest",
        ),
        Case(
            est,
            "fit",
            "a negative sample_weight",
            _fit(sw=lambda X: _set(np.ones(len(X)), -1.0)),
            "ValueError",
            r"Negative values in data passed to .?sample_weight",
        ),
        Case(
            est,
            "fit",
            "all-zero sample_weight",
            _fit(sw=lambda X: np.zeros(len(X))),
            "ValueError",
            r"(?i)zero.*(weight|number)|weight.*zero",
        ),
        Case(
            est,
            "partial_fit",
            "all-zero sample_weight",
            _partial_fit(sw=lambda X: np.zeros(len(X))),
            "ValueError",
            r"(?i)zero.*(weight|number)|weight.*zero",
        ),
        Case(
            est,
            "fit",
            "sample_weight shorter than X",
            _fit(sw=lambda X: np.ones(len(X) - 1)),
            "ValueError",
            r"sample_weight\.shape == \(39,\), expected \(40,\)",
        ),
        Case(
            est,
            "fit",
            "2-d sample_weight",
            _fit(sw=lambda X: np.ones((len(X), 2))),
            "ValueError",
            r"Sample weights must be 1D array or scalar",
        ),
        Case(
            est,
            "fit",
            "sample_weight of non-numeric strings",
            _fit(sw=lambda X: np.full(len(X), "a")),
            "ValueError",
            r"could not convert string to float",
        ),
        # --- learning rates that diverge
        Case(
            est,
            "fit",
            "learning_rate=1000 (diverges)",
            _fit(),
            "DivergenceError",
            DIVERGED,
            setup=_new(learning_rate=1000.0, optimizer="gd"),
        ),
        Case(
            est,
            "fit",
            "learning_rate=1000 with mini-batches",
            _fit(),
            "DivergenceError",
            DIVERGED,
            setup=_new(learning_rate=1000.0, batch_size=8, random_state=0),
        ),
        Case(
            est,
            "fit",
            "warm start with learning_rate=1000",
            _fit(),
            "DivergenceError",
            DIVERGED,
            setup=lambda Est, X, y: (
                Est(warm_start=True)
                .fit(X, y)
                .set_params(learning_rate=1000.0, optimizer="gd")
            ),
        ),
        Case(
            est,
            "partial_fit",
            "learning_rate=1000",
            _partial_fit(),
            "DivergenceError",
            DIVERGED,
            setup=_new(learning_rate=1000.0, optimizer="gd"),
        ),
        Case(
            est,
            "fit",
            "learning_rate=1e10 with optimizer='linesearch'",
            _fit(),
            setup=_new(learning_rate=1e10, optimizer="linesearch"),
        ),
        # --- prediction
        Case(
            est, "predict", "before fit", _call("predict"), "NotFittedError", NOT_FITTED
        ),
        Case(est, "score", "before fit", _call("score"), "NotFittedError", NOT_FITTED),
        Case(
            est,
            "predict",
            "NaN in X",
            _call("predict", lambda X: _set(X, np.nan)),
            "ValueError",
            NAN_X,
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "inf in X",
            _call("predict", lambda X: _set(X, np.inf)),
            "ValueError",
            INF_X,
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "one value of 1e150 in X",
            _call("predict", lambda X: _set(X, 1e150)),
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "X of 1e308 (the scores overflow)",
            _call("predict", lambda X: np.full(X.shape, 1e308)),
            "ValueError",
            OVERFLOW_SCORES,
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "X with 2 features instead of 3",
            _call("predict", lambda X: X[:, :2]),
            "ValueError",
            N_FEATURES_MSG,
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "1-d X",
            _call("predict", lambda X: X[0]),
            "ValueError",
            r"(?s)Expected 2D array.*Reshape your data",
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "empty X",
            _call("predict", lambda X: X[:0]),
            "ValueError",
            r"0 sample\(s\)",
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "X of numeric strings",
            _call("predict", lambda X: X.astype(str)),
            setup=_fitted(),
        ),
        Case(
            est,
            "predict",
            "renamed columns (fitted on a DataFrame)",
            _call("predict", lambda X: _frame(X).rename(columns={"a": "z"})),
            "ValueError",
            r"feature names should match those that were passed",
            setup=_fitted_on_frame,
        ),
        Case(
            est,
            "predict",
            "reordered columns (fitted on a DataFrame)",
            _call("predict", lambda X: _frame(X)[["b", "a", "c"]]),
            "ValueError",
            r"Feature names must be in the same order",
            setup=_fitted_on_frame,
        ),
        Case(
            est,
            "predict",
            "an array (fitted on a DataFrame)",
            _call("predict"),
            setup=_fitted_on_frame,
            warns=("UserWarning", r"X does not have valid feature names"),
        ),
        Case(
            est,
            "score",
            "NaN in X",
            _call("score", lambda X: _set(X, np.nan)),
            "ValueError",
            NAN_X,
            setup=_fitted(),
        ),
        Case(
            est,
            "score",
            "y shorter than X",
            lambda m, X, y: m.score(X, y[:-1]),
            "ValueError",
            SAMPLES,
            setup=_fitted(),
        ),
        Case(
            est,
            "score",
            "NaN in y",
            lambda m, X, y: m.score(X, _set(y, np.nan, float)),
            "ValueError",
            r"contains NaN",
            setup=_fitted(),
        ),
        # --- invalid parameters
        _param(est, "learning_rate", 0.0),
        _param(est, "learning_rate", -1.0),
        _param(est, "learning_rate", "fast"),
        _param(est, "learning_rate", float("nan")),
        _param(est, "learning_rate", float("inf")),
        _param(est, "optimizer", "adam"),
        _param(est, "alpha", -1.0),
        _param(est, "alpha", float("nan")),
        _param(est, "fit_intercept", "yes"),
        _param(est, "max_iter", 0),
        _param(est, "max_iter", 1.5),
        _param(est, "tol", -1.0),
        _param(est, "n_iter_no_change", 0),
        _param(est, "early_stopping", 1),
        _param(est, "validation_fraction", 1.0),
        _param(est, "batch_size", 0),
        _param(est, "shuffle", None),
        _param(est, "warm_start", "no"),
        _param(est, "random_state", "seed"),
        _param(est, "verbose", "loud"),
        Case(
            est,
            "fit",
            "early_stopping=True on 2 samples",
            _fit(X=lambda X: X[:2], y=lambda y: np.array([0, 1])),
            "ValueError",
            r"leaves no sample to train on; use more samples",
            setup=_new(early_stopping=True, validation_fraction=0.9),
        ),
    ]
    return cases


REGRESSOR_CASES = [
    Case(
        REG,
        "fit",
        "NaN in y",
        _fit(y=lambda y: _set(y, np.nan)),
        "ValueError",
        r"Input y contains NaN",
    ),
    Case(
        REG,
        "fit",
        "inf in y",
        _fit(y=lambda y: _set(y, np.inf)),
        "ValueError",
        r"Input y contains infinity",
    ),
    Case(REG, "fit", "one value of 1e150 in y", _fit(y=lambda y: _set(y, 1e150))),
    Case(
        REG,
        "fit",
        "y times 1e160 (squared errors overflow)",
        _fit(y=lambda y: y * 1e160),
        "ValueError",
        OVERFLOW_LOSS,
    ),
    Case(
        REG,
        "fit",
        "y of non-numeric strings",
        _fit(y=lambda y: np.full(len(y), "a")),
        "ValueError",
        r"could not convert string to float",
    ),
    Case(
        REG,
        "fit",
        "complex y",
        _fit(y=lambda y: y.astype(complex)),
        "ValueError",
        r"Complex data not supported",
    ),
    Case(REG, "fit", "boolean y", _fit(y=lambda y: y > 0)),
    Case(
        REG, "fit", "3-d y", _fit(y=lambda y: y[:, None, None]), "ValueError", r"dim 3"
    ),
    Case(REG, "fit", "exact-fit (noise-free) target", _exact_fit),
    Case(
        REG,
        "fit",
        "exact-fit target, tol=None",
        _exact_fit,
        setup=_new(tol=None, max_iter=300),
    ),
    Case(
        REG,
        "fit",
        "exact-fit target, optimizer='linesearch', tol=None, max_iter=2000",
        _exact_fit,
        setup=_new(optimizer="linesearch", tol=None, max_iter=2000),
    ),
    Case(
        REG,
        "partial_fit",
        "2 targets after a call with 1",
        _partial_fit(y=lambda y: np.column_stack([y, y])),
        "ValueError",
        r"different number of targets.*give every call the same targets",
        setup=_partial,
    ),
]

CLASSIFIER_CASES = [
    Case(
        CLF,
        "fit",
        "NaN in y",
        _fit(y=lambda y: _set(y, np.nan, float)),
        "ValueError",
        r"Input y contains NaN",
    ),
    Case(
        CLF,
        "fit",
        "continuous y",
        _fit(y=lambda y: y + 0.5 * np.arange(len(y))),
        "ValueError",
        r"Unknown label type: .?continuous",
    ),
    Case(
        CLF,
        "fit",
        "a single class",
        _fit(y=np.zeros_like),
        "ValueError",
        r"at least 2 classes.*only one class",
    ),
    Case(
        CLF,
        "fit",
        "2-d y",
        _fit(y=lambda y: np.column_stack([y, y])),
        "ValueError",
        r"y should be a 1d array",
    ),
    Case(
        CLF,
        "fit",
        "separable classes, loss='hinge', optimizer='linesearch', tol=None, "
        "max_iter=2000",
        _fit(X=lambda X: X * 100),
        setup=_new(loss="hinge", optimizer="linesearch", tol=None, max_iter=2000),
    ),
    Case(CLF, "fit", "string labels", _fit(y=lambda y: np.array(["no", "yes"])[y])),
    Case(CLF, "fit", "boolean labels", _fit(y=lambda y: y.astype(bool))),
    Case(
        CLF,
        "fit",
        "labels of mixed types",
        _fit(y=lambda y: np.array([1, "a"] * (len(y) // 2), dtype=object)),
        "ValueError",
        r"Unknown label type",
    ),
    Case(
        CLF,
        "fit",
        "one class with all-zero sample_weight",
        lambda m, X, y: m.fit(X, y, sample_weight=(y == 1).astype(float)),
        "ValueError",
        r"Only one class has a positive total sample_weight",
    ),
    Case(
        CLF,
        "fit",
        "3 classes with threshold=0.3",
        _fit(y=_multiclass),
        "ValueError",
        r"threshold=0\.3 only applies to two classes.*Use "
        r"threshold='auto'",
        setup=_new(threshold=0.3),
    ),
    Case(
        CLF,
        "fit",
        "3 classes with pos_label=1",
        _fit(y=_multiclass),
        "ValueError",
        r"pos_label=1 only applies to two classes.*leave it as None",
        setup=_new(pos_label=1),
    ),
    Case(
        CLF,
        "predict",
        "threshold=0.3 set after a 3-class fit",
        _call("predict"),
        "ValueError",
        r"only applies to two classes",
        setup=lambda Est, X, y: Est().fit(X, _multiclass(y)).set_params(threshold=0.3),
    ),
    Case(
        CLF,
        "fit",
        "pos_label=7, not a class",
        _fit(),
        "ValueError",
        r"pos_label=7 is not one of the classes \[0, 1\]",
        setup=_new(pos_label=7),
    ),
    Case(
        CLF,
        "predict",
        "pos_label=7 set after fit",
        _call("predict"),
        "ValueError",
        r"pos_label=7 is not one of the classes",
        setup=lambda Est, X, y: Est().fit(X, y).set_params(pos_label=7),
    ),
    Case(
        CLF,
        "fit",
        "threshold=nan",
        _fit(),
        "ValueError",
        r"threshold=nan compares false.*give a number or 'auto'",
        setup=_new(threshold=float("nan")),
    ),
    Case(
        CLF,
        "predict",
        "threshold=nan set after fit",
        _call("predict"),
        "ValueError",
        r"threshold=nan compares false",
        setup=lambda Est, X, y: Est().fit(X, y).set_params(threshold=float("nan")),
    ),
    _param(CLF, "loss", "cross_entropy"),
    _param(CLF, "threshold", "high"),
    _param(CLF, "pos_label", [1]),
    _param(CLF, "class_weight", "equal"),
    Case(
        CLF,
        "fit",
        "class_weight={0: -1.0}",
        _fit(),
        "ValueError",
        r"must map classes to finite, non-negative numbers",
        setup=_new(class_weight={0: -1.0}),
    ),
    Case(
        CLF,
        "fit",
        "class_weight={0: nan}",
        _fit(),
        "ValueError",
        r"must map classes to finite, non-negative numbers",
        setup=_new(class_weight={0: float("nan")}),
    ),
    Case(
        CLF,
        "fit",
        "class_weight={0: 'a'}",
        _fit(),
        "ValueError",
        r"must map classes to finite, non-negative numbers",
        setup=_new(class_weight={0: "a"}),
    ),
    Case(
        CLF,
        "fit",
        "class_weight={0: 0, 1: 0}",
        _fit(),
        "ValueError",
        r"No class has a positive total sample_weight",
        setup=_new(class_weight={0: 0, 1: 0}),
    ),
    Case(
        CLF,
        "fit",
        "class_weight={5: 1.0}, 5 not a class",
        _fit(),
        "ValueError",
        r"class_weight has keys \['5'\] that are not classes",
        setup=_new(class_weight={5: 1.0}),
    ),
    Case(
        CLF,
        "partial_fit",
        "first call without classes",
        lambda m, X, y: m.partial_fit(X, y),
        "ValueError",
        r"classes must be passed on the first call to partial_fit",
    ),
    Case(
        CLF,
        "partial_fit",
        "a label not among classes",
        _partial_fit(y=lambda y: np.where(y == 1, 2, 0)),
        "ValueError",
        r"y contains labels .* not in classes.*pass every label in classes",
        setup=_partial,
    ),
    Case(
        CLF,
        "partial_fit",
        "other classes than the first call",
        lambda m, X, y: m.partial_fit(X, y, classes=[0, 1, 2]),
        "ValueError",
        r"differs from the classes of the first partial_fit call",
        setup=_partial,
    ),
    Case(
        CLF,
        "partial_fit",
        "a chunk of a single class",
        _partial_fit(y=np.zeros_like),
        setup=_partial,
    ),
    Case(
        CLF,
        "partial_fit",
        "a chunk of a class whose class_weight is 0",
        lambda m, X, y: m.partial_fit(X[y == 1], y[y == 1]),
        "ValueError",
        r"No class has a positive total.*give some sample a positive",
        setup=lambda Est, X, y: (
            Est().partial_fit(X, y, classes=[0, 1]).set_params(class_weight={1: 0.0})
        ),
    ),
    Case(
        CLF,
        "decision_function",
        "NaN in X",
        _call("decision_function", lambda X: _set(X, np.nan)),
        "ValueError",
        NAN_X,
        setup=_fitted(),
    ),
    Case(
        CLF,
        "decision_function",
        "X with 2 features instead of 3",
        _call("decision_function", lambda X: X[:, :2]),
        "ValueError",
        N_FEATURES_MSG,
        setup=_fitted(),
    ),
    Case(
        CLF,
        "decision_function",
        "X of 1e308 (the scores overflow)",
        _call("decision_function", lambda X: np.full(X.shape, 1e308)),
        "ValueError",
        OVERFLOW_SCORES,
        setup=_fitted(),
    ),
    Case(
        CLF,
        "decision_function",
        "before fit",
        _call("decision_function"),
        "NotFittedError",
        NOT_FITTED,
    ),
    Case(
        CLF,
        "predict_proba",
        "NaN in X",
        _call("predict_proba", lambda X: _set(X, np.nan)),
        "ValueError",
        NAN_X,
        setup=_fitted(),
    ),
    Case(
        CLF,
        "predict_proba",
        "X with 2 features instead of 3",
        _call("predict_proba", lambda X: X[:, :2]),
        "ValueError",
        N_FEATURES_MSG,
        setup=_fitted(),
    ),
    Case(
        CLF,
        "predict_proba",
        "one value of 1e150 in X",
        _call("predict_proba", lambda X: _set(X, 1e150)),
        setup=_fitted(),
    ),
    Case(
        CLF,
        "predict_proba",
        "X of 1e308 (the scores overflow)",
        _call("predict_proba", lambda X: np.full(X.shape, 1e308)),
        "ValueError",
        OVERFLOW_SCORES,
        setup=_fitted(),
    ),
    Case(
        CLF,
        "predict_proba",
        "loss='hinge' (no probabilities)",
        _call("predict_proba"),
        "AttributeError",
        r"has no attribute 'predict_proba'|only available for loss='log_loss'",
        setup=_fitted(loss="hinge"),
    ),
    Case(
        CLF,
        "predict_proba",
        "before fit",
        _call("predict_proba"),
        "NotFittedError",
        NOT_FITTED,
    ),
]

CASES = [
    *_cases_for(REG),
    *REGRESSOR_CASES,
    *_cases_for(CLF),
    *CLASSIFIER_CASES,
]
