"""The demo: ``python -m sklearn_simple``."""

import re
import subprocess
import sys

import numpy as np
import pytest

from sklearn_simple import __main__ as demo
from sklearn_simple.__main__ import main

HEADER = ["data set", "model", "learning_rate", "score", "epochs", "converged"]


def _table_rows(out):
    """The rows of the table, split into cells by the header's columns."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("data set"))
    header = lines[start]
    starts = [header.index(name) for name in [*HEADER, "fit time"]]
    rows = []
    for line in lines[start + 2 :]:
        if not line.split() or line.split()[0] not in {d[0] for d in demo.DATASETS}:
            continue
        line = line.ljust(len(header))
        cells = [
            line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)
        ]
        rows.append(cells)
    return header, rows


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    """The demo's output at 3 folds, run once for the tests that read it."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert (
            main(
                ["--cv", "3", "--plot", str(tmp_path_factory.mktemp("demo") / "c.png")]
            )
            == 0
        )
    return buffer.getvalue()


def test_table_has_a_row_per_data_set_and_rate_with_its_own_columns(demo_output):
    header, rows = _table_rows(demo_output)
    assert header.split("  ")[0] == "data set"
    for name in [*HEADER, "fit time"]:
        assert name in header
    for name, _, ours, reference, _ in demo.DATASETS:
        ours_rows = [r for r in rows if r[0] == name and r[1] == ours.__name__]
        assert [float(r[2]) for r in ours_rows] == demo.LEARNING_RATES
        (ref_row,) = [r for r in rows if r[0] == name and r[1] == reference.__name__]
        assert 0 < float(ref_row[3]) <= 1
        for _, _, _, score, epochs, converged, fit_time in ours_rows:
            assert re.fullmatch(r"\d+\.\d ms", fit_time)
            if converged == "diverged":
                assert score == epochs == ""
                continue
            # Scores with 4 decimals, epochs as whole numbers.
            assert re.fullmatch(r"-?\d\.\d{4}", score)
            assert int(epochs) >= 1
            assert converged == "yes" or re.fullmatch(
                r"(no|short) \([1-3]/3 folds\)", converged
            )


def test_a_diverging_rate_is_shown_as_diverged(demo_output):
    _, rows = _table_rows(demo_output)
    diabetes_5 = next(r for r in rows if r[0] == "diabetes" and r[2] == "5")
    assert diabetes_5[5] == "diverged"


def test_a_fit_stopped_at_max_iter_is_shown_as_not_converged(demo_output):
    # The ConvergenceWarning of the smallest rate on breast_cancer is recorded,
    # not hidden: every fold stops at max_iter there.
    _, rows = _table_rows(demo_output)
    row = next(r for r in rows if r[0] == "breast_cancer" and r[2] == "0.01")
    assert row[4] == "1000"
    assert row[5] == "no (3/3 folds)"


def test_a_fit_whose_long_steps_stopped_short_is_shown_as_short(demo_output):
    # 1.5 is above the safe step: on diabetes the momentum's steps overshoot,
    # and the fit's ConvergenceWarning says so before max_iter.
    _, rows = _table_rows(demo_output)
    row = next(r for r in rows if r[0] == "diabetes" and r[2] == "1.5")
    assert int(row[4]) < 1000
    assert re.fullmatch(r"short \([1-3]/3 folds\)", row[5])
    assert "'short' rows (learning_rate 1.5) stopped short" in demo_output


def test_output_ends_with_what_the_table_shows(demo_output):
    assert "Full batch: every safe learning rate heads for the same optimum" in (
        demo_output
    )
    assert "learning_rate 5, beyond the safe range, diverged on diabetes" in (
        demo_output
    )


def _result(score, unconverged=0):
    return {"score": score, "epochs": 10.0, "unconverged": unconverged}


def test_ties_are_named_as_ties_and_unconverged_winners_flagged():
    results = {
        0.01: _result(0.98317, unconverged=5),
        0.1: _result(0.98317),
        1.0: _result(0.98316999),
        5.0: _result(np.nan),
    }
    assert demo._best("wine", results) == (
        "wine: best score 0.9832, a tie of learning_rate 0.01 (not converged), 0.1, 1"
    )
    results = {0.01: _result(0.979, unconverged=5), 1.0: _result(0.968)}
    assert demo._best("breast_cancer", results) == (
        "breast_cancer: best score 0.9790 at learning_rate 0.01 (not converged)"
    )


def test_a_short_winner_is_flagged():
    results = {1.0: _result(0.97), 1.5: {**_result(0.98), "short": 2}}
    assert demo._best("diabetes", results) == (
        "diabetes: best score 0.9800 at learning_rate 1.5 (short)"
    )


def test_summary_says_when_converged_rates_tie():
    tied = {"wine": {0.1: _result(0.98), 1.0: _result(0.98), None: _result(0.97)}}
    assert "every rate that converged reached the same score" in demo._summary(tied)
    apart = {"iris": {0.1: _result(0.95), 1.0: _result(0.96), None: _result(0.96)}}
    assert "differ by up to 0.0100 (iris)" in demo._summary(apart)


def test_rows_are_printed_as_they_are_computed(monkeypatch):
    monkeypatch.setattr(demo, "DATASETS", demo.DATASETS[:1])

    class Recorder:
        def __init__(self):
            self.events = []

        def write(self, text):
            self.events.append(("write", text))

        def flush(self):
            self.events.append(("flush", None))

    out = Recorder()
    demo.run_demo(n_splits=2, out=out)
    # Every line is flushed right after it is written.
    writes = [i for i, (kind, _) in enumerate(out.events) if kind == "write"]
    assert all(out.events[i + 1][0] == "flush" for i in writes)
    assert len(writes) >= len(demo.LEARNING_RATES) + 3


def test_help_is_plain_text(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and ":class:" not in out and ":ref:" not in out
    assert "--cv" in out and "0.01, 0.1, 0.5, 1, 1.5, 5" in out


def test_demo_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_simple", "--cv", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "Done in" in result.stdout
