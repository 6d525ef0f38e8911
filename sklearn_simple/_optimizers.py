"""Optimizers: how much momentum each step carries.

An optimizer is a small pure rule on Nesterov's sequence ``t`` (a float that
``partial_fit`` carries from one call to the next), so that every rule can be
tested alone:

* ``momentum(t, stochastic)``: the extrapolation ``beta`` in ``lookahead =
  w + beta * (w - w_prev)``, the point where the next gradient is taken (0
  for plain gradient descent);
* ``advance(t, restart)``: ``t`` after a step; ``restart`` drops the momentum
  when it pointed uphill (adaptive restart, O'Donoghue & Candès, 2015);
* ``line_search``: whether the solver adapts the step size by backtracking
  (see ``_solver``).

The step size itself is ``learning_rate / L`` (see ``_curvature``), so the
optimizers never need to know the scale of the data.
"""

import math

__all__ = ["OPTIMIZERS", "GradientDescent", "LineSearch", "Nesterov", "optimizer_for"]

# Mini-batch steps take no momentum. Their gradients are noisy, and momentum
# amplifies the noise: a constant 0.9 diverged at a batch of 1 row and
# stalled far from the optimum at others. The variance-reduced steps of the
# mini-batches (SAGA, see _solver) converge at a constant step without it;
# "nesterov" accelerates them a level up instead, between whole epochs,
# where an epoch's move is nearly noise-free (Katyusha X, Allen-Zhu, 2018).
STOCHASTIC_MOMENTUM = 0.0


class GradientDescent:
    """Plain gradient descent: ``w <- prox(w - step * grad(w))``.

    Examples
    --------
    >>> from sklearn_simple._optimizers import GradientDescent
    >>> GradientDescent().momentum(5.0, stochastic=False)
    0.0
    """

    name = "gd"
    line_search = False

    def momentum(self, t: float, stochastic: bool) -> float:
        return 0.0

    def advance(self, t: float, restart: bool) -> float:
        return t


class Nesterov:
    """Nesterov's accelerated gradient (FISTA) with adaptive restart.

    Full batch uses the FISTA sequence ``t_{k+1} = (1 + sqrt(1 + 4 t_k**2)) / 2``
    from ``t_0 = 1`` and ``beta = (t_k - 1) / t_{k+1}`` (Beck & Teboulle, 2009).
    Mini-batch steps take no momentum (``STOCHASTIC_MOMENTUM``); in a
    mini-batch ``fit`` the same sequence extrapolates between whole epochs
    of SAGA instead (see ``_solver.minibatch_epoch``).

    Examples
    --------
    >>> from sklearn_simple._optimizers import Nesterov
    >>> optimizer = Nesterov()
    >>> optimizer.momentum(1.0, stochastic=False)  # first step: no momentum
    0.0
    >>> t = optimizer.advance(1.0, restart=False)
    >>> round(optimizer.momentum(t, stochastic=False), 3)
    0.282
    """

    name = "nesterov"
    line_search = False

    @staticmethod
    def _next_t(t):
        return (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0

    def momentum(self, t: float, stochastic: bool) -> float:
        if stochastic:
            return STOCHASTIC_MOMENTUM
        return (t - 1.0) / self._next_t(t)

    def advance(self, t: float, restart: bool) -> float:
        return 1.0 if restart else self._next_t(t)


class LineSearch(Nesterov):
    """Nesterov with a backtracking (Armijo) line search on the step size.

    The solver (``_solver.full_batch_step``) first tries a step larger than
    the last accepted one and shrinks it until the sufficient-decrease
    condition holds. It pays where the curvature bound behind the safe step
    is pessimistic, as for the log loss (its bound 1/4 is reached only where
    probabilities are 1/2). Mini-batches fall back to the fixed step, with
    momentum between epochs only, as ``Nesterov``.

    Examples
    --------
    >>> from sklearn_simple._optimizers import LineSearch
    >>> LineSearch().line_search
    True
    """

    name = "linesearch"
    line_search = True


OPTIMIZERS = {
    optimizer.name: optimizer for optimizer in (GradientDescent, Nesterov, LineSearch)
}


def optimizer_for(name: str, loss, *, stream: bool = False, sparse: bool = False):
    """The optimizer called ``name``, with ``"auto"`` chosen for ``loss``.

    ``"auto"`` is a line search where the safe step is known to be several
    times too small, and Nesterov otherwise. Never on a ``stream``
    (``partial_fit``), whose calls keep one step size for the running
    average of their weights. The safe step is too small:

    * for the multinomial log loss: its bound is built on a curvature of
      1/2, reached only where a row's probability is split between two
      classes; with many classes near the optimum the curvature is several
      times smaller (20 classes at 1e5 x 100: 11 epochs against 18, with a
      gap to the optimum of 3e-6 against 3e-4);
    * on ``sparse`` rows (an objective that reads a sparse ``X``; the Gram
      objective's curvature is exact): the curvature is estimated on a sample
      of rows, and on sparse data a few rows of rare features dominate a
      sample. On text-like 1e5 x 1e5 data the estimate was 18.5 against 4.8
      on all rows; the line search took 12 epochs against 24 for the
      squared error, 11 against 18 for the log loss. Its trial steps cost
      little there: a sparse objective combines the scores of a trial from
      remembered ones instead of reading X.

    For two classes on dense data the bound is near the truth, and the
    trial steps of a line search cost more than they save. The hinge loss is
    not smooth: no quadratic bound holds for a line search to find (sparse
    400 x 50 data in ``benchmarks/equivalence.py``: 142 epochs against 43).

    Examples
    --------
    >>> from sklearn_simple._losses import Hinge, LogLoss, Multinomial
    >>> from sklearn_simple._optimizers import optimizer_for
    >>> optimizer_for("auto", Multinomial()).name
    'linesearch'
    >>> optimizer_for("auto", LogLoss()).name
    'nesterov'
    >>> optimizer_for("auto", LogLoss(), sparse=True).name
    'linesearch'
    >>> optimizer_for("auto", Hinge(), sparse=True).name
    'nesterov'
    >>> optimizer_for("auto", Multinomial(), stream=True).name
    'nesterov'
    """
    if name == "auto":
        wanted = loss.name == "multinomial" or (sparse and loss.smooth)
        name = "linesearch" if wanted and not stream else "nesterov"
    return OPTIMIZERS[name]()
