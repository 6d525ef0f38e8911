"""More than two classes: the target coding and the probability maths.

Three models, one per multiclass mode of :class:`ThresholdClassifier`:

* multinomial (``loss="log_loss"``): one score per class, probabilities
  ``softmax(scores)``;
* one-vs-rest (``"hinge"``, ``"squared_error"``): one score per class, no
  probabilities;
* ordinal (``ordinal=...``): one score ``s`` and increasing thresholds
  ``theta``; the class is the number of thresholds ``s`` passes, and with the
  log loss ``P(class <= k) = sigmoid(theta_k - s)`` (proportional odds).

Ordinal classes are numbered by their rank in the order the user gave
(``rank``); columns of the outputs follow ``classes_`` (sorted), as in every
scikit-learn classifier.
"""

import numpy as np

from ._array_api import asarray, astype, concat, namespace_of, sigmoid, to_numpy
from ._exceptions import plain

__all__ = [
    "cumulative_proba",
    "model_loss",
    "ordinal_decision",
    "ordinal_rank",
    "ordinal_targets",
    "softmax",
]


def model_loss(loss: str, n_classes: int, ordinal: bool) -> str:
    """The name of the loss that trains ``loss`` for ``n_classes`` classes.

    Examples
    --------
    >>> from sklearn_simple._multiclass import model_loss
    >>> model_loss("log_loss", 2, False), model_loss("log_loss", 3, False)
    ('log_loss', 'multinomial')
    >>> model_loss("log_loss", 3, True), model_loss("hinge", 3, True)
    ('cumulative_logit', 'hinge')
    """
    if loss != "log_loss":
        return loss
    if ordinal:
        return "cumulative_logit"
    return "multinomial" if n_classes > 2 else "log_loss"


def ordinal_rank(classes, ordinal):
    """The position of each of the sorted ``classes`` in the order ``ordinal``.

    ``ordinal=True`` is the sorted order itself; a list gives the order of
    its labels, of which every class must be one (a listed label absent from
    the data is skipped).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._multiclass import ordinal_rank
    >>> ordinal_rank(np.array(["high", "low", "mid"]), ["low", "mid", "high"])
    array([2, 0, 1])
    """
    if ordinal is True:
        return np.arange(len(classes))
    order = to_numpy(ordinal).tolist()
    if len(set(order)) != len(order):
        raise ValueError(f"ordinal={plain(ordinal)!r} lists a label more than once.")
    missing = [c for c in classes.tolist() if c not in order]
    if missing:
        raise ValueError(
            f"ordinal={plain(ordinal)!r} must list every class in increasing order, "
            f"but misses {missing}."
        )
    present = [label for label in order if label in classes.tolist()]
    return np.array([present.index(c) for c in classes.tolist()])


def ordinal_targets(ranks, n_classes: int, proportional_odds: bool, like):
    """One column per threshold ``j``: +1 where the class is above it, -1 below.

    For the proportional odds (:class:`~sklearn_simple._losses.CumulativeLogit`)
    only the two thresholds around a class enter its likelihood: the others
    are 0. Built in the dtype, namespace and device of ``like``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._multiclass import ordinal_targets
    >>> ordinal_targets(np.array([0, 1, 3]), 4, False, np.ones(3))
    array([[-1., -1., -1.],
           [ 1., -1., -1.],
           [ 1.,  1.,  1.]])
    >>> ordinal_targets(np.array([0, 1, 3]), 4, True, np.ones(3))
    array([[-1.,  0.,  0.],
           [ 1., -1.,  0.],
           [ 0.,  0.,  1.]])
    """
    thresholds = np.arange(n_classes - 1)
    above = np.asarray(ranks)[:, None] > thresholds
    Y = np.where(above, 1.0, -1.0)
    if proportional_odds:
        near = np.abs(np.asarray(ranks)[:, None] - 0.5 - thresholds) < 1
        Y = np.where(near, Y, 0.0)
    xp, device = namespace_of(like)
    return asarray(xp, Y, like.dtype, device)


def ordinal_decision(score, thresholds, rank):
    """``(n, K)`` scores whose argmax is the number of thresholds passed.

    Column ``k`` (in the user's order) is ``k * s - (theta_0 + ... +
    theta_{k-1})``: consecutive columns differ by ``s - theta_k``, positive
    exactly when the score passes threshold ``k``, and as the thresholds
    increase the columns rise while the score passes them and fall after.
    These are the class scores of the linear multiclass model equivalent to
    the thresholds. Returned in the order of ``classes_`` (``rank``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._multiclass import ordinal_decision
    >>> ordinal_decision(np.array([0.5]), np.array([0.0, 1.0]), np.arange(3))
    array([[0. , 0.5, 0. ]])
    """
    xp = namespace_of(score)[0]
    thresholds = _like(thresholds, score)
    K = thresholds.shape[0] + 1
    steps = score[:, None] - thresholds[None, :]
    zero = xp.zeros_like(steps[:, :1])
    # A cumulative sum by a small triangular matrix: any namespace has it.
    T = asarray(xp, np.triu(np.ones((K - 1, K - 1))), score.dtype, _device(score))
    ordered = concat(xp, [zero, steps @ T], axis=1)
    return xp.take(ordered, asarray(xp, rank, xp.int64, _device(score)), axis=1)


def cumulative_proba(score, thresholds, rank):
    """Proportional-odds probabilities, in the order of ``classes_``.

    ``P(k) = sigmoid(theta_k - s) - sigmoid(theta_{k-1} - s)``, computed as
    ``sigmoid(theta_k - s) * sigmoid(s - theta_{k-1}) * (1 - exp(theta_{k-1}
    - theta_k))``, a product of accurate factors: the difference would lose
    every digit of a small probability far from the class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._multiclass import cumulative_proba
    >>> cumulative_proba(np.array([0.0]), np.array([-1.0, 1.0]), np.arange(3))
    array([[0.26894142, 0.46211716, 0.26894142]])
    """
    xp = namespace_of(score)[0]
    thresholds = _like(thresholds, score)
    inf = xp.full_like(score[:1], float("inf"))
    edges = concat(xp, [-inf, thresholds, inf], axis=0)
    upper, lower = edges[1:][None, :], edges[:-1][None, :]
    s = score[:, None]
    gap = -xp.expm1(lower - upper)
    ordered = sigmoid(xp, upper - s) * sigmoid(xp, s - lower) * gap
    return xp.take(ordered, asarray(xp, rank, xp.int64, _device(score)), axis=1)


def softmax(scores):
    """``exp(scores)`` normalised over each row, without overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._multiclass import softmax
    >>> softmax(np.array([[0.0, np.log(3.0)], [1e4, 0.0]]))
    array([[0.25, 0.75],
           [1.  , 0.  ]])
    """
    xp = namespace_of(scores)[0]
    e = xp.exp(scores - xp.max(scores, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def _device(array):
    return namespace_of(array)[1]


def _like(array, like):
    """``array`` in the namespace, device and dtype of ``like``."""
    xp, device = namespace_of(like)
    if namespace_of(array)[0] is not xp:
        array = to_numpy(array)
    return astype(xp, asarray(xp, array, like.dtype, device), like.dtype)
