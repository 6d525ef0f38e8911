"""When to stop: no improvement for a while, or divergence.

The rule follows scikit-learn's SGD estimators: an epoch counts as "no
improvement" when the monitored value is not better than the best so far by
at least ``tol`` (relative); training stops after ``n_iter_no_change`` such
epochs in a row. ``>=`` rather than ``>`` matters: a loss of exactly 0 (a
perfect fit) must count as no improvement, or training would never stop.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Stopper",
    "effective_tol",
    "is_diverging",
    "is_stream_diverging",
    "is_unsettled",
]


def effective_tol(tol, eps):
    """``tol``, raised to what a dtype of machine epsilon ``eps`` can resolve.

    ``None`` stays ``None``.
    """
    if tol is None:
        return None
    return max(float(tol), 10 * float(eps))


@dataclass
class Stopper:
    """Tracks the best value of a quantity to minimise and the epochs since.

    Examples
    --------
    >>> from sklearn_simple._stopping import Stopper
    >>> stopper = Stopper(tol=0.1, n_iter_no_change=2)
    >>> [stopper.update(v) for v in [10.0, 5.0, 4.9, 4.8]]
    [False, False, False, True]
    """

    tol: float | None
    n_iter_no_change: int
    best: float = np.inf
    no_improvement: int = 0

    def update(self, value):
        """Record ``value``; return True when training should stop."""
        if self.tol is not None and value >= self.best - self.tol * abs(self.best):
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        self.best = min(self.best, value)
        return self.tol is not None and self.no_improvement >= self.n_iter_no_change


def is_diverging(losses, *, start, null, best, window, full_batch):
    """Whether the training loss is running away instead of converging.

    Diverging means: not finite; or above the loss at the start, the loss of an
    all-zero model and twice the best loss so far; or (full batch, where a
    converging run cannot rise twice in a row) rising in each of the last
    ``window`` epochs by more than a tenth of the best loss in all, to above a
    thousandth of the starting loss.
    """
    loss = losses[-1]
    if not np.isfinite(loss):
        return True
    if loss > max(start, null, 2 * best):
        return True
    if full_batch and len(losses) > window:
        recent = np.asarray(losses[-window - 1 :])
        rising = np.all(np.diff(recent) > 0)
        # Near a zero loss, rounding noise can rise too: only a rise that
        # matters against the starting loss counts.
        significant = recent[-1] > 1e-3 * max(start, null)
        return bool(rising and significant and recent[-1] - recent[0] > 0.1 * best)
    return False


def is_stream_diverging(loss: float, *, start: float, null: float) -> bool:
    """Whether a call of a stream made its loss run away.

    ``loss`` and ``start`` are the chunk's loss after and before the call's
    step, ``null`` the mean loss of the all-zero model over the calls so
    far. A step of ``learning_rate`` 1.0 or below never raises the loss of
    the chunk it is taken on; diverging means it did, to above ``null``.
    One chunk's loss is not compared with another's: chunks differ (a
    stream sorted by y has chunks of targets near 0, whose all-zero loss is
    smaller than a good model's), and such comparisons raised false alarms.

    Examples
    --------
    >>> from sklearn_simple._stopping import is_stream_diverging
    >>> is_stream_diverging(50.0, start=60.0, null=10.0)  # an unusual chunk
    False
    >>> is_stream_diverging(1e4, start=60.0, null=10.0)
    True
    """
    return not np.isfinite(loss) or loss > max(start, null)


def is_unsettled(losses, start):
    """Whether a finished run ended far above its best loss.

    A run whose steps overshoot can stop for lack of improvement with weights
    worse than earlier ones. Ending more than a tenth of the way back from the
    best loss to the starting one is not convergence.

    Examples
    --------
    >>> from sklearn_simple._stopping import is_unsettled
    >>> is_unsettled([5.0, 2.0, 1.0, 1.01], start=10.0)
    False
    >>> is_unsettled([5.0, 2.0, 1.0, 4.0], start=10.0)
    True
    """
    best = min(losses)
    return bool(losses[-1] - best > 0.1 * (start - best))
