"""Pointwise losses: how far a raw score ``p = X @ w + b`` is from a target.

Each loss is a pure function pair of the target ``y`` and the raw score ``p``,
applied element-wise: ``value(y, p, xp)`` and ``derivative(y, p, xp)`` (the
derivative with respect to ``p``), in the array namespace ``xp`` of the data
(numpy by default). The objective turns these into a gradient with respect
to the weights. ``curvature`` bounds the second derivative, which is what the
safe step size is built from; ``targets`` says how class labels are coded;
``smooth`` says whether the derivative is continuous.
"""

import numpy as np

from ._array_api import sigmoid, zero_like

__all__ = ["LOSSES", "Hinge", "LogLoss", "SquaredError"]


class SquaredError:
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
    curvature = 1.0
    targets = (-1.0, 1.0)  # class coding when used by a classifier

    def value(self, y, p, xp=np):
        return 0.5 * (p - y) ** 2

    def derivative(self, y, p, xp=np):
        return p - y


class LogLoss:
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
        # logaddexp is exact where log(1 + exp(p)) would overflow.
        return xp.logaddexp(zero_like(xp, p), p) - y * p

    def derivative(self, y, p, xp=np):
        return sigmoid(xp, p) - y


class Hinge:
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


LOSSES = {loss.name: loss for loss in (SquaredError, LogLoss, Hinge)}
