"""Pointwise losses: how far a raw score ``p = X @ w + b`` is from a target.

Each loss is a pure function pair of the target ``y`` and the raw score ``p``,
applied element-wise: ``value(y, p, xp)`` and ``derivative(y, p, xp)`` (the
derivative with respect to ``p``), in the array namespace ``xp`` of the data
(numpy by default); ``value_and_derivative`` gives both, sharing the work
where a loss can (a pass over X needs both at the same scores). The
objective turns these into a gradient with respect to the weights.
``curvature`` bounds the second derivative, which is what the safe step
size is built from, and ``smallest_curvature`` bounds it from below (0
where no bound holds); ``targets`` says how class labels are coded; ``smooth``
says whether the derivative is continuous.

Two more losses serve the classifier beyond two classes (they are chosen by
the number of classes and the ``ordinal`` parameter, not by name):
:class:`Multinomial`, whose value is per row rather than per element, and
:class:`CumulativeLogit`, the element-wise part of the proportional-odds
likelihood (see ``_ordinal``).
"""

import numpy as np

from ._array_api import sigmoid, sigmoid_of, zero_like

__all__ = [
    "ALL_LOSSES",
    "LOSSES",
    "CumulativeLogit",
    "Hinge",
    "LogLoss",
    "Loss",
    "Multinomial",
    "SquaredError",
]


class Loss:
    """What every loss shares: both halves of a pass at the same scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._losses import SquaredError
    >>> SquaredError().value_and_derivative(np.array([1.0]), np.array([3.0]))
    (array([2.]), array([2.]))
    """

    smallest_curvature = 0.0

    def value_and_derivative(self, y, p, xp=np):
        """``(value(y, p), derivative(y, p))``."""
        return self.value(y, p, xp), self.derivative(y, p, xp)


class SquaredError(Loss):
    """Half squared error, ``(p - y)**2 / 2``; derivative ``p - y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._losses import SquaredError
    >>> SquaredError().value(np.array([1.0]), np.array([3.0]))
    array([2.])
    >>> SquaredError().derivative(np.array([1.0]), np.array([3.0]))
    array([2.])
    """

    name = "squared_error"
    smooth = True
    curvature = smallest_curvature = 1.0
    targets = (-1.0, 1.0)  # class coding when used by a classifier

    def value(self, y, p, xp=np):
        return 0.5 * (p - y) ** 2

    def derivative(self, y, p, xp=np):
        return p - y


class LogLoss(Loss):
    """Logistic loss for targets in ``{0, 1}``: ``log(1 + exp(p)) - y * p``.

    Its derivative is ``expit(p) - y`` and its second derivative is at most 1/4.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._losses import LogLoss
    >>> float(LogLoss().value(np.array([1.0]), np.array([0.0]))[0])  # log(2)
    0.6931471805599453
    >>> LogLoss().derivative(np.array([1.0]), np.array([0.0]))
    array([-0.5])
    """

    name = "log_loss"
    smooth = True
    curvature = 0.25
    targets = (0.0, 1.0)

    def value(self, y, p, xp=np):
        return _softplus(xp, p, _exp_minus_abs(xp, p)) - y * p

    def derivative(self, y, p, xp=np):
        return sigmoid_of(xp, p, _exp_minus_abs(xp, p)) - y

    def value_and_derivative(self, y, p, xp=np):
        e = _exp_minus_abs(xp, p)  # one exp for both halves
        return _softplus(xp, p, e) - y * p, sigmoid_of(xp, p, e) - y

    def derivatives(self, y, p, xp=np):
        """The first and second derivatives, ``(s - y, s * (1 - s))`` for
        ``s = expit(p)``, from one exp."""
        s = sigmoid_of(xp, p, _exp_minus_abs(xp, p))
        return s - y, s * (1 - s)


class Hinge(Loss):
    """Hinge loss for targets in ``{-1, +1}``: ``max(0, 1 - y * p)``.

    It is not differentiable at the margin ``y * p = 1``; ``derivative`` returns
    the subgradient ``-y`` inside the margin and 0 outside. ``curvature`` is a
    nominal 1 (the hinge has no curvature bound), which makes the step the same
    as for squared error on the same data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._losses import Hinge
    >>> Hinge().value(np.array([1.0, 1.0]), np.array([0.5, 2.0]))
    array([0.5, 0. ])
    >>> Hinge().derivative(np.array([1.0, 1.0]), np.array([0.5, 2.0]))
    array([-1., 0.])
    """

    name = "hinge"
    # Not differentiable: a fixed-step subgradient method does not descend
    # monotonically, so training keeps the best epoch's weights.
    smooth = False
    curvature = 1.0
    targets = (-1.0, 1.0)

    def value(self, y, p, xp=np):
        return xp.maximum(zero_like(xp, p), 1.0 - y * p)

    def derivative(self, y, p, xp=np):
        return xp.where(y * p < 1.0, -y, zero_like(xp, y))


class Multinomial(Loss):
    """Softmax cross-entropy for one-hot rows ``y``: ``logsumexp(p) - y . p``.

    The loss of a row of ``K`` scores, returned as a column (shape ``(n,
    1)``) so that the objective's sum over axis 1 is the row's loss. Its
    derivative is ``softmax(p) - y``. The Hessian of ``logsumexp`` is
    ``diag(s) - s s.T`` for ``s = softmax(p)``; for any unit vector ``u`` its
    value ``sum(s u**2) - (s . u)**2`` is the variance of ``u`` under ``s``,
    at most ``(max u - min u)**2 / 4 <= 1 / 2`` (Popoviciu's inequality), and
    it reaches 1/2 for ``s = (1/2, 1/2, 0, ...)``: ``curvature`` is 1/2
    (Böhning, *Multinomial logistic regression algorithm*, 1992).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._losses import Multinomial
    >>> y = np.array([[0.0, 1.0, 0.0]])
    >>> round(float(Multinomial().value(y, np.zeros((1, 3)))[0, 0]), 12)  # log(3)
    1.098612288668
    >>> Multinomial().derivative(y, np.zeros((1, 3))).round(3)
    array([[ 0.333, -0.667,  0.333]])
    """

    name = "multinomial"
    smooth = True
    curvature = 0.5
    targets = (0.0, 1.0)  # one-hot rows

    def value(self, y, p, xp=np):
        if isinstance(p, float):  # the all-zero model of null_loss
            p = xp.full_like(y, p)
        return self._value_and_exp(y, p, xp)[0]

    def derivative(self, y, p, xp=np):
        e = _exp(xp, _shifted(xp, p))
        return _softmax_minus(xp, e, _row_sums(xp, e), y)

    def value_and_derivative(self, y, p, xp=np):
        # One exp for both halves: it is most of the cost of a pass over X.
        value, e, total = self._value_and_exp(y, p, xp)
        return value, _softmax_minus(xp, e, total, y)

    @staticmethod
    def _value_and_exp(y, p, xp):
        """The rows' losses, ``exp`` of their shifted scores, and its row sums."""
        shifted = _shifted(xp, p)
        # y is one-hot, so logsumexp(p) - y . p = log(sum(exp(p - shift))) -
        # y . (p - shift): the shift cancels exactly instead of in rounding.
        dots = _row_dots(xp, y, shifted)
        e = _exp(xp, shifted)
        total = _row_sums(xp, e)
        return xp.log(total) - dots, e, total


class CumulativeLogit(Loss):
    """Log loss of the score against one threshold, counted only where it binds.

    For the proportional-odds model (see ``_ordinal``) the raw score of
    threshold ``j`` is ``p = score - theta_j``, and the target ``y`` is +1 when
    the class is just above the threshold (``-log sigmoid(p)``), -1 when it is
    just below (``-log sigmoid(-p)``) and 0 for the other thresholds, which do
    not enter the row's likelihood. So the value is ``|y| * log(1 + exp(p)) -
    max(y, 0) * p``, the derivative ``|y| * sigmoid(p) - max(y, 0)`` and the
    second derivative at most 1/4 per element.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._losses import CumulativeLogit
    >>> y, p = np.array([1.0, -1.0, 0.0]), np.array([0.0, 0.0, 5.0])
    >>> CumulativeLogit().value(y, p).round(4)  # log 2, log 2, not counted
    array([0.6931, 0.6931, 0.    ])
    >>> CumulativeLogit().derivative(y, p)
    array([-0.5,  0.5,  0. ])
    """

    name = "cumulative_logit"
    smooth = True
    curvature = 0.25
    targets = (-1.0, 1.0)  # below, above; 0 for the thresholds that do not bind

    def value(self, y, p, xp=np):
        binds = xp.abs(y)
        softplus = _softplus(xp, p, _exp_minus_abs(xp, p))
        return binds * softplus - (y + binds) * 0.5 * p

    def derivative(self, y, p, xp=np):
        binds = xp.abs(y)
        return binds * sigmoid(xp, p) - (y + binds) * 0.5


# The losses a user names; ALL_LOSSES adds those the classifier picks itself.
LOSSES = {loss.name: loss for loss in (SquaredError, LogLoss, Hinge)}
ALL_LOSSES = {
    **LOSSES,
    **{loss.name: loss for loss in (Multinomial, CumulativeLogit)},
}


def _exp(xp, a):
    """``exp(a)``, in place for numpy (``a`` is a temporary of the caller)."""
    return np.exp(a, out=a) if xp is np else xp.exp(a)


def _exp_minus_abs(xp, p):
    """``exp(-|p|)``, in (0, 1]: what the softplus and sigmoid are made of."""
    return xp.exp(-xp.abs(p))


def _softplus(xp, p, e):
    """``log(1 + exp(p))`` from ``e = exp(-|p|)``: ``log1p(e) + max(p, 0)``.

    Never overflows, and numpy's exp and log1p take a quarter of the time of
    its ``logaddexp`` (3.3 ms against 12 ms for 1e6 scores).
    """
    return xp.log1p(e) + xp.maximum(p, zero_like(xp, p))


def _shifted(xp, p):
    """``p`` minus a shift per row, with ``exp`` of it finite and not all 0.

    The shift is the row's largest score. On numpy, the row's mean is tried
    first: numpy's reductions along a short row cost several times a matrix
    product, and exp is as safe if no score is far above its row's mean.
    """
    if xp is np:
        shifted = p - _row_sums(np, p) / p.shape[1]
        if shifted.size and shifted.max() < np.log(np.finfo(p.dtype).max) / 2:
            return shifted
    return p - xp.max(p, axis=1, keepdims=True)


def _softmax_minus(xp, e, total, y):
    """``e / total - y``: the softmax's derivative, in ``e``'s memory on numpy."""
    if xp is np:  # n_samples x n_classes temporaries add up
        e /= total
        e -= y
        return e
    return e / total - y


def _row_sums(xp, a):
    """Sums along the rows, as a column (on numpy a product: it is faster)."""
    if xp is np:
        return (a @ np.ones(a.shape[1], dtype=a.dtype))[:, None]
    return xp.sum(a, axis=1, keepdims=True)


def _row_dots(xp, a, b):
    """``sum(a * b)`` along the rows, as a column."""
    if xp is np:
        return np.einsum("ij,ij->i", a, b)[:, None]
    return xp.sum(a * b, axis=1, keepdims=True)
