"""Context managers around a training call: rollback and progress logging."""

import contextlib
import logging

__all__ = ["progress_logging", "restored_on_error"]

logger = logging.getLogger("sklearn_simple")


class _Interruption:
    """Lets the loop ask :func:`restored_on_error` to keep what it finished."""

    keep = False


@contextlib.contextmanager
def restored_on_error(estimator):
    """Put back every attribute of ``estimator`` if the block raises.

    A shallow copy suffices because the training code never modifies a stored
    array in place; the training state is deep-copied before it is continued.
    The one exception: a ``fit`` interrupted by the user keeps the weights of
    its last finished epoch (the loop says so through the yielded object).
    """
    saved = dict(estimator.__dict__)
    interruption = _Interruption()
    try:
        yield interruption
    except BaseException as exc:
        if not (interruption.keep and isinstance(exc, KeyboardInterrupt)):
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)
        raise


def _emits(log):
    while log is not None:
        if any(not isinstance(h, logging.NullHandler) for h in log.handlers):
            return True
        log = log.parent if log.propagate else None
    return False


@contextlib.contextmanager
def progress_logging(verbose):
    """With ``verbose``, make the package logger's INFO records visible.

    If the application configured no handler for them, one that writes to
    standard error is attached for the duration of the call and removed after
    it, as is the logger level: no logging configuration outlives the call.
    """
    if not verbose:
        yield
        return
    level = logger.level
    handler = None
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if not _emits(logger):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    try:
        yield
    finally:
        logger.setLevel(level)
        if handler is not None:
            logger.removeHandler(handler)
