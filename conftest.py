"""pytest configuration for the doctests of the package, README.md and docs/."""

import importlib.util
import os

# scikit-learn's array API dispatch (tests/test_array_api.py and its own
# array API estimator checks) needs SciPy's array API support, which SciPy
# reads from this variable once, when it is first imported: set it here,
# before any test module imports scipy, so that the plain ``pytest`` of the
# README runs them.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# What a docs build leaves behind is not source: the gallery's copies of the
# examples would run as modules, and conf.py patches docstrings for Sphinx.
collect_ignore_glob = [
    "docs/_build/*",
    "docs/generated/*",
    "docs/auto_examples/*",
    "docs/conf.py",
]

try:
    import matplotlib
except ImportError:
    # matplotlib is the optional ``plot`` extra: without it the doctests that
    # draw cannot run (tests/test_plot.py skips its own drawing tests).
    collect_ignore_glob += ["sklearn_simple/plot.py", "docs/index.rst"]
else:
    # Doctests draw figures: never open a window, whatever the machine.
    matplotlib.use("Agg")

# sklearn_simple/onnx.py imports skl2onnx when it is imported (importing it is
# what registers the converters), and its doctests run onnxruntime: without
# the optional ``onnx`` extra pytest could not even import it to collect them.
if not all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime")):
    collect_ignore_glob += ["sklearn_simple/onnx.py"]
