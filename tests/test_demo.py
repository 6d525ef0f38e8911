"""The demo: ``python -m sklearn_simple``."""

import subprocess
import sys

from sklearn_simple.__main__ import main


def test_demo_prints_a_table_beside_scikit_learns_estimators(capsys):
    assert main(["--cv", "3"]) == 0
    out = capsys.readouterr().out
    for name in ("diabetes", "breast_cancer", "iris", "wine"):
        assert name in out
    assert "LinearRegression" in out and "LogisticRegression" in out
    # The diverging rate in the grid is shown as failed, not hidden.
    diabetes = next(line for line in out.splitlines() if line.startswith("diabetes"))
    assert diabetes.rstrip().endswith("5.0")


def test_demo_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_simple", "--cv", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "Done in" in result.stdout
