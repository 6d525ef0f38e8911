"""Collection rules for the whole repository."""

import importlib.util

# sklearn_simple/onnx.py imports skl2onnx when it is imported (importing it is
# what registers the converters), and its doctest runs onnxruntime: without
# the onnx extra, pytest could not even import it to collect its doctests.
collect_ignore = (
    []
    if all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime"))
    else ["sklearn_simple/onnx.py"]
)
