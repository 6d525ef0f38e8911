"""File size and load time of a fitted model saved by pickle, skops and ONNX.

The figures of the table in docs/user_guide/deploying.rst::

    python benchmarks/persistence.py

Needs skops (the ``persist`` or ``test`` extra) and, for the ONNX rows, the
``onnx`` extra. The model is ``SimpleRegressor()`` fitted on scikit-learn's
diabetes data (442 x 10), the case of the issue that asked for the table, and
``ThresholdClassifier()`` on the breast cancer data (569 x 30). Each file is
written once to a temporary folder; its load time is the best of 20 loads from
that file (the operating system has it cached after the first), which for
ONNX means creating an ``onnxruntime.InferenceSession``.
"""

import importlib.util
import io
import pickle
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.datasets import load_breast_cancer, load_diabetes

from sklearn_simple import SimpleRegressor, ThresholdClassifier

REPEATS = 20


def best_time(load):
    times = []
    for _ in range(REPEATS):
        tic = time.perf_counter()
        load()
        times.append(time.perf_counter() - tic)
    return min(times)


def savers(model, X):
    """(name, save to a path, load from a path) for each format."""
    trusted = sio.get_untrusted_types(data=sio.dumps(model))

    def pickle_save(path):
        path.write_bytes(pickle.dumps(model))

    def pickle_load(path):
        return pickle.loads(path.read_bytes())

    def skops_load(path):
        return sio.load(path, trusted=trusted)

    yield "pickle", pickle_save, pickle_load
    yield "skops", lambda path: sio.dump(model, path), skops_load
    yield (
        "skops, ZIP_DEFLATED",
        lambda path: sio.dump(model, path, compression=zipfile.ZIP_DEFLATED),
        skops_load,
    )
    if not all(importlib.util.find_spec(m) for m in ("skl2onnx", "onnxruntime")):
        return
    import onnxruntime as ort
    from skl2onnx import to_onnx

    import sklearn_simple.onnx  # noqa: F401 (registers the converters)

    def onnx_save(path):
        path.write_bytes(to_onnx(model, X[:1].astype(np.float32)).SerializeToString())

    def onnx_load(path):
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    yield "ONNX (float32)", onnx_save, onnx_load


def main():
    cases = [
        ("SimpleRegressor, diabetes", SimpleRegressor(), load_diabetes),
        (
            "ThresholdClassifier, breast cancer",
            ThresholdClassifier(),
            load_breast_cancer,
        ),
    ]
    print("| model | format | file size | load time |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for title, model, load in cases:
            X, y = load(return_X_y=True)
            model.fit(X, y)
            for name, save, load_file in savers(model, X):
                path = Path(folder) / name.replace(" ", "_")
                save(path)
                seconds = best_time(
                    lambda load_file=load_file, path=path: load_file(path)
                )
                size = path.stat().st_size
                print(f"| {title} | {name} | {size:,} B | {seconds * 1e3:.2f} ms |")
    # What the skops file holds: its JSON schema is most of it.
    X, y = load_diabetes(return_X_y=True)
    data = sio.dumps(SimpleRegressor().fit(X, y))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = archive.getinfo("schema.json").file_size
    print(f"\nskops file of the regressor: {len(data):,} B, schema.json {schema:,} B")


if __name__ == "__main__":
    main()
