"""scikit-learn estimators that learn by an explicit gradient-descent loop."""

import logging

from ._classifier import ThresholdClassifier
from ._exceptions import DivergenceError, InconsistentVersionWarning
from ._regressor import SimpleRegressor
from ._version import __version__

__all__ = [
    "DivergenceError",
    "InconsistentVersionWarning",
    "SimpleRegressor",
    "ThresholdClassifier",
    "__version__",
]

# Tracebacks and warnings name the public path, not the private module.
DivergenceError.__module__ = InconsistentVersionWarning.__module__ = __name__

# A library adds no handler of its own: the application decides where log
# records go (the estimators attach one only while ``verbose`` asks for it).
logging.getLogger(__name__).addHandler(logging.NullHandler())
