"""Step rules: how far to move, and with how much momentum.

A step rule decides three things for the training loop, each a small pure
function of an explicit state (so that ``partial_fit`` can carry the state
from one call to the next, and so that every rule can be tested alone):

* ``momentum(state)``: the extrapolation ``beta`` in ``y = x + beta * (x - x_prev)``,
  the point where the next gradient is taken (0 for plain gradient descent);
* ``advance(state, restart)``: the state after a step; ``restart`` drops the
  momentum when it pointed uphill (adaptive restart, O'Donoghue & Candès 2015);
* ``line_search``: whether the step size is adapted by backtracking.

The step size itself is ``learning_rate / L`` (see the objective), so the
rules here never need to know the scale of the data.
"""

import math
from dataclasses import dataclass

__all__ = ["OPTIMIZERS", "GradientDescent", "LineSearch", "Nesterov", "StepState"]

# Mini-batch gradients are noisy: a momentum that grows towards 1, as in the
# full-batch schedule, would amplify the noise, so mini-batches use a constant.
STOCHASTIC_MOMENTUM = 0.9
# Line search: grow the step by this factor before each trial, halve on failure.
STEP_GROWTH = 1.5
STEP_SHRINK = 0.5


@dataclass
class StepState:
    """What a step rule carries between updates."""

    step: float  # current step size
    t: float = 1.0  # Nesterov's sequence t_k; 1 means "no momentum yet"


class GradientDescent:
    """Plain gradient descent: ``x <- prox(x - step * grad(x))``.

    Examples
    --------
    >>> from sklearn_simple._optimizers import GradientDescent, StepState
    >>> GradientDescent().momentum(StepState(step=0.1, t=5.0), stochastic=False)
    0.0
    """

    name = "gd"
    line_search = False

    def momentum(self, state, stochastic):
        return 0.0

    def advance(self, state, restart):
        return state


class Nesterov:
    """Nesterov's accelerated gradient (FISTA) with adaptive restart.

    Full batch uses the FISTA sequence ``t_{k+1} = (1 + sqrt(1 + 4 t_k**2)) / 2``
    and ``beta = (t_k - 1) / t_{k+1}``; mini-batches use a constant ``beta``.

    Examples
    --------
    >>> from sklearn_simple._optimizers import Nesterov, StepState
    >>> rule = Nesterov()
    >>> state = StepState(step=0.1)
    >>> rule.momentum(state, stochastic=False)  # first step: no momentum
    0.0
    >>> state = rule.advance(state, restart=False)
    >>> round(rule.momentum(state, stochastic=False), 3)
    0.282
    """

    name = "nesterov"
    line_search = False

    @staticmethod
    def _next_t(t):
        return (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0

    def momentum(self, state, stochastic):
        if stochastic:
            return STOCHASTIC_MOMENTUM
        return (state.t - 1.0) / self._next_t(state.t)

    def advance(self, state, restart):
        t = 1.0 if restart else self._next_t(state.t)
        return StepState(step=state.step, t=t)


class LineSearch(Nesterov):
    """Nesterov with a backtracking (Armijo) line search on the step size.

    Each step first tries ``STEP_GROWTH`` times the last accepted step and
    halves it until the sufficient-decrease condition
    ``f(x) <= f(y) + g.(x - y) + ||x - y||**2 / (2 step)`` holds. It pays where
    the curvature bound behind the safe step is pessimistic, as for the log
    loss (its bound 1/4 is reached only where probabilities are 1/2).
    Mini-batches fall back to the fixed step.
    """

    name = "linesearch"
    line_search = True


OPTIMIZERS = {rule.name: rule for rule in (GradientDescent, Nesterov, LineSearch)}
