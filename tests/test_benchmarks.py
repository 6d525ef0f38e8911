"""The benchmark harness runs, and the optima it judges models by are right.

Only that it works is tested, never how fast anything is: timings on a shared
CI machine mean nothing.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from array_api_support import DISPATCH_UNAVAILABLE, dispatch_available
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture
def cases(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _cases

    return _cases


def _run_quick(script, out):
    """Run a benchmark's quick mode as CI does: its own process, no BLAS overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    subprocess.run(
        [sys.executable, BENCHMARKS / script, "--quick", "--out", out],
        check=True,
        env=env,
        timeout=120,
        capture_output=True,
    )


def run_quick(out):
    """Run the harness's quick mode and read its results."""
    pytest.importorskip("matplotlib", reason="the harness needs the bench extra")
    _run_quick("run.py", out)
    return json.loads((out / "results.json").read_text())


def test_quick_run_writes_well_formed_results(tmp_path):
    results = run_quick(tmp_path)
    report = (tmp_path / "results.md").read_text()
    assert (tmp_path / "fit_time.png").read_bytes().startswith(b"\x89PNG")

    meta = results["meta"]
    assert meta["quick"] and meta["machine"]["cpu"] and meta["versions"]["numpy"]
    assert any(blas["user_api"] == "blas" for blas in meta["blas"])
    assert {c["task"] for c in results["configs"]} == {"regression", "classification"}
    assert {c["kind"] for c in results["configs"]} == {
        "dense",
        "float32",
        "sparse",
        "badscale",
    }
    for config in results["configs"]:
        assert f"| {config['name']} |" in report
        for model in config["models"]:
            if model["ours"]:
                assert model["error"] is None
                assert model["passes"] > 0 and model["peak_memory_bytes"] > 0
                assert set(model["time_ratio"]) and model["fit_time_s"] > 0
    assert [s["task"] for s in results["searches"]] == ["regression", "classification"]
    for search in results["searches"]:
        assert f"| {search['name']} |" in report
        assert len(search["models"]) == 2
    assert {t["status"] for t in results["targets"]} <= {
        "met",
        "missed",
        "not measured",
    }


def test_only_selects_configurations_by_pattern(cases):
    names = [c.name for c in cases.configs(only=["regression-*-1e6-100"])]
    assert names == [
        f"regression-{kind}-1e6-100"
        for kind in ("dense", "float32", "sparse", "badscale")
    ]
    assert [c.name for c in cases.configs(only=["classification-sparse-1e4-20"])] == [
        "classification-sparse-1e4-20"
    ]
    assert cases.configs(only=["search-*"]) == []


def test_least_squares_reference_matches_linear_regression(cases):
    X, y = make_regression(300, 8, noise=5.0, random_state=0)
    X = X * np.logspace(-3, 3, 8)
    coef, intercept = cases.least_squares(X, y)
    expected = LinearRegression().fit(X, y)
    np.testing.assert_allclose(coef, expected.coef_, rtol=1e-8)
    np.testing.assert_allclose(intercept, expected.intercept_, rtol=1e-8)


def test_logistic_reference_matches_a_converged_logistic_regression(cases):
    X, y = make_classification(400, 6, n_redundant=0, random_state=0)
    alpha = cases.ALPHA
    coef, intercept, report = cases.logistic_optimum(X, y, alpha)
    expected = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000)
    expected.fit(X, y)
    assert report["converged"]
    ours = cases.objective(X, y, coef, intercept, alpha)
    theirs = cases.objective(X, y, expected.coef_, expected.intercept_, alpha)
    assert ours <= theirs + 1e-12
    np.testing.assert_allclose(coef, expected.coef_.ravel(), rtol=1e-5)


@pytest.mark.skipif(not dispatch_available(), reason=DISPATCH_UNAVAILABLE)
def test_array_api_benchmark_compares_every_namespace_with_numpy(tmp_path):
    pytest.importorskip("array_api_strict")
    out = tmp_path / "array_api.json"
    sizes = ["--rows", "500", "--features", "4", "--epochs", "3", "--repeats", "1"]
    subprocess.run(
        [sys.executable, BENCHMARKS / "array_api.py", *sizes, "--strict", "--out", out],
        check=True,
        timeout=300,
        capture_output=True,
    )
    results = json.loads(out.read_text())["results"]
    assert {row["namespace"] for row in results} >= {"numpy", "array-api-strict"}
    assert len({(row["model"], row["dtype"]) for row in results}) == 4
    for row in results:
        tolerance = 1e-5 if row["dtype"] == "float32" else 1e-10
        assert row["coef_max_difference"] < tolerance, row


def test_minibatch_quick_run_writes_a_row_per_regime(tmp_path):
    _run_quick("minibatch.py", tmp_path)
    rows = json.loads((tmp_path / "minibatch.json").read_text())["rows"]
    report = (tmp_path / "minibatch.md").read_text()
    assert {row["task"] for row in rows} == {"regression", "classification"}
    for row in rows:
        assert np.isfinite(row["time_ratio"]) and row["time_ratio"] > 0
        assert f"| {row['task']} | {row['regime']} |" in report
    assert sum("stream" in row["regime"] for row in rows) == 2


def test_shapes_quick_run_compares_ours_with_every_peer(tmp_path):
    _run_quick("shapes.py", tmp_path)
    results = json.loads((tmp_path / "shapes-quick.json").read_text())
    report = (tmp_path / "shapes-quick.md").read_text()
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "shapes-quick.png").stat().st_size > 0
    assert len(results["cases"]) == 8
    for case in results["cases"]:
        ours = next(m for m in case["models"] if m["ours"])
        assert ours["error"] is None and ours["passes"] > 0
        peers = [m["name"] for m in case["models"] if not m["ours"]]
        assert set(ours["time_ratio"]) == set(peers)
        assert f"| {case['name']} | {ours['name']} |" in report
        if case["task"] == "classification":
            # Judged against an independent optimum: never below it.
            assert ours["objective_gap"] >= 0 and case["optimum"] <= ours["objective"]
