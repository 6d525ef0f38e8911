"""pytest configuration for the doctests of the package and of README.md."""

try:
    import matplotlib
except ImportError:
    # matplotlib is the optional ``plot`` extra: without it the plotting
    # doctests cannot run, and tests/test_plot.py skips itself.
    collect_ignore = ["sklearn_simple/plot.py"]
else:
    # Doctests draw figures: never open a window, whatever the machine.
    matplotlib.use("Agg")
