"""Export to ONNX: converters for skl2onnx, registered when this module is imported.

ONNX is how scikit-learn models are served outside Python (onnxruntime in
C++, C#, Java, JavaScript, on phones and in databases). skl2onnx converts
scikit-learn estimators, pipelines and column transformers to ONNX graphs;
it knows scikit-learn's own estimators but not this package's, so::

    import sklearn_simple.onnx  # registers the converters

must run before ``skl2onnx.to_onnx`` sees a
:class:`~sklearn_simple.SimpleRegressor` or
:class:`~sklearn_simple.ThresholdClassifier`, alone or inside a
:class:`~sklearn.pipeline.Pipeline` or
:class:`~sklearn.compose.ColumnTransformer`. It needs the ``onnx`` extra::

    pip install "sklearn-simple[onnx]"

What the graphs compute, in the dtype of the input (float32 or float64):

- ``SimpleRegressor``: one output, ``variable``, the prediction of shape
  ``(n_samples, 1)`` or ``(n_samples, n_targets)`` (skl2onnx's convention for
  regressors).
- ``ThresholdClassifier``: two outputs, as for scikit-learn's linear
  classifiers: ``label``, equal to :meth:`~sklearn_simple.ThresholdClassifier.predict`
  (``threshold`` and ``pos_label`` included; numeric labels come out as
  int64), and ``probabilities``, of shape ``(n_samples, n_classes)``: the
  result of ``predict_proba`` for ``loss="log_loss"``, or the scores
  otherwise (``[-s, s]`` for two classes, where ``s`` is
  ``decision_function``, as skl2onnx does for scikit-learn's hinge-loss
  classifiers). The option ``raw_scores=True`` gives the scores for the log
  loss too; ``zipmap=False`` gives a plain tensor instead of a list of
  dictionaries.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from sklearn.datasets import load_iris
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> import sklearn_simple.onnx  # registers the converters
>>> from sklearn_simple import ThresholdClassifier
>>> X, y = load_iris(return_X_y=True)
>>> X = X.astype(np.float32)
>>> model = make_pipeline(StandardScaler(), ThresholdClassifier()).fit(X, y)
>>> onx = to_onnx(model, X[:1], options={ThresholdClassifier: {"zipmap": False}})
>>> session = ort.InferenceSession(
...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
... )
>>> label, proba = session.run(None, {"X": X})
>>> bool((label == model.predict(X)).all())
True
>>> bool(np.allclose(proba, model.predict_proba(X), atol=1e-4))
True
"""

import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
except ImportError as exc:
    raise ImportError(
        "sklearn_simple.onnx needs skl2onnx and onnx, which are not installed. "
        'Install them with: pip install "sklearn-simple[onnx]"'
    ) from exc
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)

from ._array_api import to_numpy
from ._classifier import ThresholdClassifier
from ._regressor import SimpleRegressor

__all__ = ["register_converters"]

_ALIASES = {
    SimpleRegressor: "SklearnSimpleSimpleRegressor",
    ThresholdClassifier: "SklearnSimpleThresholdClassifier",
}
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "raw_scores": [False, True],
    # skl2onnx's shape calculator asks for it; labels are always the classes.
    "nocl": [False],
}


class _Graph:
    """The few ONNX nodes the converters need, named uniquely in skl2onnx's scope."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, dtype

    def const(self, name, value):
        """An initializer holding ``value``: floats in the graph's dtype."""
        value = np.asarray(value)
        if value.dtype.kind in "USO":
            onnx_type = TensorProto.STRING
            content = [str(v).encode("utf-8") for v in value.ravel()]
        elif value.dtype.kind in "iub":
            onnx_type = TensorProto.INT64
            content = value.astype(np.int64).ravel().tolist()
        else:
            onnx_type = (
                TensorProto.DOUBLE if self.dtype == np.float64 else TensorProto.FLOAT
            )
            content = value.astype(self.dtype).ravel().tolist()
        unique = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(unique, onnx_type, list(value.shape), content)
        return unique

    def node(self, op_type, inputs, output=None, **attributes):
        """Add an ``op_type`` node; returns its output's name."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            [output],
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output


def _graph_and_input(scope, operator, container):
    """A graph computing in the input's float dtype, and the input's name."""
    input_type = operator.inputs[0].type
    dtype = np.float64 if isinstance(input_type, DoubleTensorType) else np.float32
    g = _Graph(scope, container, dtype)
    X = operator.inputs[0].full_name
    if not isinstance(input_type, (FloatTensorType, DoubleTensorType)):
        # Integer or boolean columns: scikit-learn converts them to float64,
        # float32 is what skl2onnx's own linear models use for them.
        X = g.node("Cast", [X], to=TensorProto.FLOAT)
    return g, X


def _scores(g, X, model):
    """``X @ coef_.T + intercept_``, of shape (n_samples, n_outputs)."""
    coef = np.asarray(to_numpy(model.coef_), dtype=np.float64)
    coef = coef.reshape(-1, model.n_features_in_)
    intercept = np.asarray(to_numpy(model.intercept_), dtype=np.float64).reshape(-1)
    product = g.node("MatMul", [X, g.const("coef", coef.T)])
    return g.node("Add", [product, g.const("intercept", intercept)])


# ------------------------------------------------------------------ regressor
def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    g, X = _graph_and_input(scope, operator, container)
    g.node("Identity", [_scores(g, X, model)], operator.outputs[0].full_name)


# ----------------------------------------------------------------- classifier
def _class_labels(model):
    """``classes_`` as ONNX holds labels: strings, or integers as int64.

    The classifier accepts no other labels: numbers that are not integers are
    continuous targets to scikit-learn, and mixed types cannot be sorted.
    """
    classes = np.asarray(to_numpy(model.classes_))
    return classes.astype(str if classes.dtype.kind in "USO" else np.int64)


def _mode(model):
    """How the scores become a class and probabilities.

    The one place that decides; a new mode is a new entry in ``_MODES`` and a
    new case here.
    """
    n_classes = len(model.classes_)
    if getattr(model, "thresholds_", None) is not None:
        if n_classes == 2:
            raise NotImplementedError(
                "A two-class ordinal model has no ONNX converter: it is the "
                "binary model, so fit it with ordinal=False and convert that."
            )
        return "ordinal"
    if n_classes == 2:
        return "binary"
    return "multinomial" if model.loss == "log_loss" else "one_vs_rest"


def _binary_threshold(model):
    """Index of ``pos_label`` in ``classes_``, whether the threshold applies to
    ``sigmoid(score)`` (else to the score), and the threshold."""
    classes = _class_labels(model).tolist()
    pos = 1 if model.pos_label is None else classes.index(model.pos_label)
    on_probability = model.loss == "log_loss"
    if model.threshold != "auto":
        threshold = float(model.threshold)
    else:
        threshold = 0.5 if on_probability else 0.0
    return pos, on_probability, threshold


def _binary_label(g, model, scores, labels):
    # As predict does: the score of pos_label (negated when pos_label is
    # classes_[0], so that float rounding matches), through the sigmoid for the
    # log loss, compared with the threshold.
    pos, on_probability, threshold = _binary_threshold(model)
    value = g.node("Neg", [scores]) if pos == 0 else scores
    if on_probability:
        value = g.node("Sigmoid", [value])
    # not(value < t) is value >= t, with operators from the oldest opsets.
    reached = g.node("Not", [g.node("Less", [value, g.const("threshold", threshold)])])
    index = g.node(
        "Reshape",
        [g.node("Cast", [reached], to=TensorProto.INT64), g.const("flat", [-1])],
    )
    # Index 1 (threshold reached) picks pos_label, index 0 the other class.
    return g.node("Gather", [g.const("labels", labels[[1 - pos, pos]]), index], axis=0)


def _binary_outputs(g, model, scores, raw):
    if raw:
        return g.node("Concat", [g.node("Neg", [scores]), scores], axis=1)
    p = g.node("Sigmoid", [scores])
    return g.node("Concat", [g.node("Sub", [g.const("one", 1.0), p]), p], axis=1)


def _one_vs_rest_label(g, model, scores, labels):
    best = g.node("ArgMax", [scores], axis=1, keepdims=0)
    return g.node("Gather", [g.const("labels", labels), best], axis=0)


def _one_vs_rest_outputs(g, model, scores, raw):
    # One-vs-rest models (hinge, squared error) have no probabilities.
    return scores


def _multinomial_outputs(g, model, scores, raw):
    return scores if raw else g.node("Softmax", [scores], axis=1)


def _ordinal_decision(g, model, scores):
    """``decision_function`` of an ordinal model: an affine map of its score.

    Column ``k`` of the ordered classes is ``k * s - (theta_0 + ... +
    theta_{k-1})``; the columns are then put in the order of ``classes_``.
    """
    thresholds = np.asarray(to_numpy(model.thresholds_), dtype=np.float64)
    rank = np.asarray(model._rank)
    slope = np.arange(len(thresholds) + 1, dtype=np.float64)[rank]
    offset = -np.concatenate([[0.0], np.cumsum(thresholds)])[rank]
    product = g.node("MatMul", [scores, g.const("slope", slope[None, :])])
    return g.node("Add", [product, g.const("offset", offset)])


def _ordinal_label(g, model, scores, labels):
    return _one_vs_rest_label(g, model, _ordinal_decision(g, model, scores), labels)


def _ordinal_outputs(g, model, scores, raw):
    if raw:
        return _ordinal_decision(g, model, scores)
    # As predict_proba: sigmoid(theta_k - s) * sigmoid(s - theta_{k-1}) * (1 -
    # exp(theta_{k-1} - theta_k)), with infinite outer thresholds.
    thresholds = np.asarray(to_numpy(model.thresholds_), dtype=np.float64)
    upper = np.append(thresholds, np.inf)
    lower = np.insert(thresholds, 0, -np.inf)
    above = g.node("Sigmoid", [g.node("Sub", [g.const("upper", upper), scores])])
    below = g.node("Sigmoid", [g.node("Sub", [scores, g.const("lower", lower)])])
    gap = g.const("gap", -np.expm1(lower - upper))
    ordered = g.node("Mul", [g.node("Mul", [above, below]), gap])
    return g.node("Gather", [ordered, g.const("rank", np.asarray(model._rank))], axis=1)


# mode -> (label from the scores, second output from the scores)
_MODES = {
    "binary": (_binary_label, _binary_outputs),
    "one_vs_rest": (_one_vs_rest_label, _one_vs_rest_outputs),
    "multinomial": (_one_vs_rest_label, _multinomial_outputs),
    "ordinal": (_ordinal_label, _ordinal_outputs),
}


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    g, X = _graph_and_input(scope, operator, container)
    scores = _scores(g, X, model)
    label, second = _MODES[_mode(model)]
    options = container.get_options(model, {"raw_scores": False})
    raw = options["raw_scores"] or not hasattr(model, "predict_proba")
    g.node(
        "Identity",
        [label(g, model, scores, _class_labels(model))],
        operator.outputs[0].full_name,
    )
    g.node("Identity", [second(g, model, scores, raw)], operator.outputs[1].full_name)


def register_converters() -> None:
    """Register the converters of both estimators with skl2onnx.

    Importing :mod:`sklearn_simple.onnx` already does it; calling it again
    is harmless (it replaces the registration with the same one).

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn_simple import SimpleRegressor
    >>> from sklearn_simple.onnx import register_converters
    >>> register_converters()
    >>> X = np.array([[0.0], [1.0], [2.0]], dtype=np.float32)
    >>> onx = to_onnx(SimpleRegressor().fit(X, [1.0, 3.0, 5.0]), X)
    >>> [node.op_type for node in onx.graph.node]
    ['MatMul', 'Add', 'Identity']
    """
    update_registered_converter(
        SimpleRegressor,
        _ALIASES[SimpleRegressor],
        calculate_linear_regressor_output_shapes,
        _convert_regressor,
    )
    update_registered_converter(
        ThresholdClassifier,
        _ALIASES[ThresholdClassifier],
        calculate_linear_classifier_output_shapes,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )


register_converters()
