"""Measurements behind docs/scaling.rst: out-of-core training and dask.

Needs the ``dask`` extra. Every mode runs in a fresh process, so that its
peak memory is its own; ``all`` runs them one after the other and prints one
JSON line per measurement::

    python benchmarks/scaling_out.py all --dir /tmp/scaling

Modes (``python benchmarks/scaling_out.py MODE --dir DIR``):

- ``data``: writes a regression of ``--rows`` x ``--features`` (correlated,
  badly scaled, off-center features) to ``DIR/X.npy`` and ``DIR/y.npy``, by
  blocks, plus an in-memory test set of 100,000 rows.
- ``in-memory``: ``np.load`` then ``fit``, the baseline.
- ``stream``: ``partial_fit_chunks`` over ``np.load(..., mmap_mode="r")``.
- ``incremental``: ``dask_ml.wrappers.Incremental`` over the same memmap
  wrapped in a dask array, on dask's threaded scheduler.
- ``search``: a grid search over ``learning_rate`` run sequentially, then
  through joblib's dask backend on a two-process ``LocalCluster``.
- ``map-reduce``: the cost of one full-batch epoch (``X @ w`` and ``X.T @ g``)
  on a chunked dask array against numpy, and of the Gram statistics.

Memory is reported three ways: ``tracemalloc_peak_mb`` (what Python and
numpy allocated, not the pages of a memory-mapped file), ``peak_anon_mb``
(the process's peak anonymous resident memory, sampled every 5 ms), and
``max_rss_mb`` (peak resident set, which also counts the memory-mapped file's
pages that were read: page cache the kernel can drop at any time).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc

import numpy as np

MB = 2**20


class PeakAnon:
    """Samples the process's anonymous resident memory in a thread."""

    def __init__(self):
        self.peak = self.base = self._read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _read():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._read())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._read())


def max_rss_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(args):
    rng = np.random.RandomState(0)
    d = args.features
    mixing = np.eye(d) + 0.3 * rng.normal(size=(d, d))
    scales = rng.uniform(0.5, 10.0, size=d)
    coef = rng.normal(size=d)

    def rows(n, rng):
        X = 3.0 + (rng.normal(size=(n, d)) @ mixing) * scales
        return X, X @ coef + 5.0 + rng.normal(scale=20.0, size=n)

    X = np.lib.format.open_memmap(
        os.path.join(args.dir, "X.npy"), mode="w+", shape=(args.rows, d)
    )
    y = np.lib.format.open_memmap(
        os.path.join(args.dir, "y.npy"), mode="w+", shape=(args.rows,)
    )
    block = 100_000
    for start in range(0, args.rows, block):
        X[start : start + block], y[start : start + block] = rows(
            min(block, args.rows - start), rng
        )
    X.flush()
    y.flush()
    X_test, y_test = rows(100_000, np.random.RandomState(1))
    np.save(os.path.join(args.dir, "X_test.npy"), X_test)
    np.save(os.path.join(args.dir, "y_test.npy"), y_test)
    return {"rows": args.rows, "features": d, "X_mb": X.nbytes / MB}


def _test_set(args):
    return (
        np.load(os.path.join(args.dir, "X_test.npy")),
        np.load(os.path.join(args.dir, "y_test.npy")),
    )


def _measured(train, args):
    """Run ``train()`` with memory tracking; return its figures."""
    X_test, y_test = _test_set(args)
    tracemalloc.start()
    tracemalloc.reset_peak()
    with PeakAnon() as anon:
        tic = time.perf_counter()
        model = train()
        wall = time.perf_counter() - tic
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "wall_s": round(wall, 2),
        "test_r2": round(float(model.score(X_test, y_test)), 5),
        "n_iter": model.n_iter_,
        "tracemalloc_peak_mb": round(traced / MB, 1),
        "peak_anon_mb": round(anon.peak / MB, 1),
        "anon_before_mb": round(anon.base / MB, 1),
        "max_rss_mb": round(max_rss_mb(), 1),
    }


def in_memory(args):
    from sklearn_simple import SimpleRegressor

    def train():
        X = np.load(os.path.join(args.dir, "X.npy"))
        y = np.load(os.path.join(args.dir, "y.npy"))
        return SimpleRegressor().fit(X, y)

    return _measured(train, args)


def stream(args):
    from sklearn_simple import SimpleRegressor
    from sklearn_simple.stream import partial_fit_chunks

    def train():
        X = np.load(os.path.join(args.dir, "X.npy"), mmap_mode="r")
        y = np.load(os.path.join(args.dir, "y.npy"), mmap_mode="r")
        return partial_fit_chunks(
            SimpleRegressor(),
            X,
            y,
            chunk_size=args.chunk_size,
            n_epochs=args.epochs,
            random_state=0,
        )

    return {"chunk_size": args.chunk_size, "epochs": args.epochs} | _measured(
        train, args
    )


def npy_rows(path, start, stop):
    """Rows ``start:stop`` of a .npy file, read into memory."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_array_from_npy(path, chunk_size):
    """A dask array over a .npy file, each block read only when computed.

    The recipe of docs/scaling.rst: ``da.from_array(np.load(path,
    mmap_mode="r"))`` would copy the whole file into memory (dask >= 2024.12,
    dask/dask#11850).
    """
    import dask
    import dask.array as da

    from sklearn_simple.stream import chunk_bounds

    disk = np.load(path, mmap_mode="r")  # reads the header only
    return da.concatenate(
        [
            da.from_delayed(
                dask.delayed(npy_rows)(path, start, stop),
                shape=(stop - start, *disk.shape[1:]),
                dtype=disk.dtype,
            )
            for start, stop in chunk_bounds(disk.shape[0], chunk_size)
        ]
    )


def incremental(args):
    import dask
    import dask.array as da
    from dask_ml.wrappers import Incremental

    from sklearn_simple import SimpleRegressor

    def train():
        paths = [os.path.join(args.dir, name) for name in ("X.npy", "y.npy")]
        if args.from_array:
            X, y = (
                da.from_array(np.load(path, mmap_mode="r"), chunks=args.chunk_size)
                for path in paths
            )
        else:
            X, y = (dask_array_from_npy(path, args.chunk_size) for path in paths)
        model = Incremental(
            SimpleRegressor(), scoring="neg_mean_squared_error", random_state=0
        )
        with dask.config.set(scheduler=args.scheduler):
            for _ in range(args.epochs):
                model.partial_fit(X, y)
        return model.estimator_

    return {
        "chunk_size": args.chunk_size,
        "epochs": args.epochs,
        "from_array": args.from_array,
        "scheduler": args.scheduler,
    } | _measured(train, args)


def search(args):
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV

    from sklearn_simple import SimpleRegressor

    X, y = _test_set(args)  # 100,000 rows: the search's own data
    X, y = X[: args.search_rows], y[: args.search_rows]
    grid = {"learning_rate": [0.01, 0.03, 0.1, 0.3, 1.0]}
    estimator = SimpleRegressor(
        optimizer="gd", batch_size=256, max_iter=20, tol=None, random_state=0
    )
    tic, cpu = time.perf_counter(), time.process_time()
    sequential = GridSearchCV(estimator, grid).fit(X, y)
    t_seq, cpu_seq = time.perf_counter() - tic, time.process_time() - cpu
    tic = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        t_start = time.perf_counter() - tic
        t_dist, cpu_workers = [], []
        for _ in range(2):  # the first search also imports on the workers
            before = client.run(time.process_time)
            tic = time.perf_counter()
            with joblib.parallel_config(backend="dask"):
                distributed = GridSearchCV(estimator, grid).fit(X, y)
            t_dist.append(round(time.perf_counter() - tic, 2))
            after = client.run(time.process_time)
            cpu_workers.append([round(after[w] - before[w], 2) for w in sorted(after)])
    tic = time.perf_counter()
    loky = GridSearchCV(estimator, grid, n_jobs=2).fit(X, y)
    t_loky = time.perf_counter() - tic
    scores = sequential.cv_results_["mean_test_score"]
    return {
        "search_rows": len(y),
        "fits": 25,
        "sequential_s": round(t_seq, 2),
        "sequential_cpu_s": round(cpu_seq, 2),
        "dask_2_workers_s": t_dist,
        "dask_worker_cpu_s": cpu_workers,
        "cluster_start_s": round(t_start, 2),
        "loky_n_jobs_2_s": round(t_loky, 2),
        "equal_scores": bool(
            np.array_equal(scores, distributed.cv_results_["mean_test_score"])
        ),
        "equal_best_params": sequential.best_params_ == distributed.best_params_,
        "loky_equal_scores": bool(
            np.array_equal(scores, loky.cv_results_["mean_test_score"])
        ),
        "load_average": os.getloadavg(),
    }


def map_reduce(args):
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    n, d, block = 1_000_000, 100, 100_000
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    w = rng.normal(size=d)

    def best_of(f, repeat=5):
        times = []
        for _ in range(repeat):
            tic = time.perf_counter()
            f()
            times.append(time.perf_counter() - tic)
        return round(min(times), 4)

    def numpy_epoch():
        r = X @ w - y
        return X.T @ r

    def numpy_gram():
        return X.T @ X, X.T @ y

    def block_grad(Xb, yb, w):
        # One pass per block: both products while the block is in cache.
        return (Xb.T @ (Xb @ w - yb[:, 0]))[None, :]

    def block_gram(Xb, yb):
        return np.concatenate([Xb.T @ Xb, Xb.T @ yb], axis=1)[None]

    def dask_epoch(Xd, yd):
        parts = da.map_blocks(
            block_grad, Xd, yd[:, None], w, chunks=(1, d), dtype=float
        )
        return parts.sum(axis=0).compute()

    def dask_gram(Xd, yd):
        parts = da.map_blocks(
            block_gram,
            Xd,
            yd[:, None],
            chunks=(1, d, d + 1),
            dtype=float,
            new_axis=2,
        )
        return parts.sum(axis=0).compute()

    from sklearn_simple import SimpleRegressor

    out = {
        "shape": [n, d],
        "block_rows": block,
        "numpy_epoch_s": best_of(numpy_epoch),
        "numpy_gram_s": best_of(numpy_gram, 3),
        "numpy_simple_regressor_fit_s": best_of(lambda: SimpleRegressor().fit(X, y), 1),
    }
    Xd = da.from_array(X, chunks=(block, d))
    yd = da.from_array(y, chunks=block)
    expected = numpy_epoch()
    with dask.config.set(scheduler="threads"):
        np.testing.assert_allclose(dask_epoch(Xd, yd), expected, rtol=1e-8)
        out["dask_threads_epoch_s"] = best_of(lambda: dask_epoch(Xd, yd))
        out["dask_threads_gram_s"] = best_of(lambda: dask_gram(Xd, yd), 3)
        # Block sums add in another order than numpy's: equal up to rounding.
        gram, cross = numpy_gram()
        blocked = dask_gram(Xd, yd)
        out["gram_max_rel_diff"] = float(
            np.max(np.abs(blocked - np.column_stack([gram, cross])))
            / np.max(np.abs(gram))
        )
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        # The data generated on the workers and kept there, as on a cluster.
        Xc = da.random.RandomState(0).normal(size=(n, d), chunks=(block, d))
        yc = da.random.RandomState(1).normal(size=n, chunks=block)
        Xc, yc = client.persist([Xc, yc])
        wait([Xc, yc])
        out["dask_cluster_epoch_s"] = best_of(lambda: dask_epoch(Xc, yc))
        out["dask_cluster_gram_s"] = best_of(lambda: dask_gram(Xc, yc), 3)
    return out


MODES = {
    "data": make_data,
    "in-memory": in_memory,
    "stream": stream,
    "incremental": incremental,
    "search": search,
    "map-reduce": map_reduce,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=[*MODES, "all"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--search-rows", type=int, default=100_000)
    parser.add_argument(
        "--scheduler",
        default="threads",
        help="incremental: dask's local scheduler (threads or synchronous)",
    )
    parser.add_argument(
        "--from-array",
        action="store_true",
        help="incremental: wrap the memmap with da.from_array (copies it whole)",
    )
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    if args.mode != "all":
        result = MODES[args.mode](args)
        print(json.dumps({"mode": args.mode, **result}), flush=True)
        return
    common = [
        "--dir", args.dir, "--rows", str(args.rows),
        "--features", str(args.features), "--chunk-size", str(args.chunk_size),
    ]  # fmt: skip
    runs = [
        ["data"],
        ["in-memory"],
        *(["stream", "--epochs", str(e)] for e in (1, 3, 5)),
        *(
            ["incremental", "--epochs", str(e), "--scheduler", "synchronous"]
            for e in (1, 3)
        ),
        ["incremental", "--epochs", "1"],
        ["incremental", "--epochs", "1", "--from-array"],
        ["search", "--search-rows", str(args.search_rows)],
        ["map-reduce"],
    ]
    for run in runs:
        subprocess.run([sys.executable, __file__, *run, *common], check=True)


if __name__ == "__main__":
    main()
