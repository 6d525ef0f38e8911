"""An instrument that counts how often training reads ``X``.

Reading ``X`` from memory is what an epoch costs on large data, so the number
of passes is worth measuring (the benchmarks report it, and tests pin the
promise "one pass per epoch"). It is not training state: counting is off
unless a caller asks for it, and the count lives in the caller's counter.

One pass is one product with every row of ``X``; a product with a batch of
rows counts as its fraction of a pass.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["PassCount", "count_passes", "record_passes"]


@dataclass
class PassCount:
    """The passes over ``X`` made inside one :func:`count_passes` block."""

    passes: float = 0.0


_active: ContextVar[PassCount | None] = ContextVar(
    "sklearn_simple_passes", default=None
)


@contextlib.contextmanager
def count_passes() -> Iterator[PassCount]:
    """Count the passes over ``X`` that training makes inside the block.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_simple import SimpleRegressor
    >>> from sklearn_simple._passes import count_passes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> with count_passes() as count:
    ...     _ = SimpleRegressor().fit(X, y)
    >>> count.passes  # the means, then the Gram matrix: epochs need no pass
    2.0
    """
    count = PassCount()
    token = _active.set(count)
    try:
        yield count
    finally:
        _active.reset(token)


def record_passes(passes: float) -> None:
    """Add ``passes`` to the active count, if any (a no-op otherwise)."""
    count = _active.get()
    if count is not None:
        count.passes += passes
