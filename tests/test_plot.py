"""LossCurveDisplay, drawn with matplotlib's non-interactive Agg backend."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_simple import DivergenceError, SimpleRegressor, ThresholdClassifier
from sklearn_simple.plot import LossCurveDisplay


@pytest.fixture
def pyplot():
    """matplotlib.pyplot on the Agg backend; skips the test without matplotlib."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture
def diabetes():
    return load_diabetes(return_X_y=True)


def test_from_estimator_draws_the_loss_curve(pyplot, diabetes):
    reg = SimpleRegressor(optimizer="gd").fit(*diabetes)
    display = LossCurveDisplay.from_estimator(reg)

    np.testing.assert_array_equal(display.line_.get_ydata(), reg.loss_curve_)
    np.testing.assert_array_equal(
        display.line_.get_xdata(), np.arange(1, reg.n_iter_ + 1)
    )
    assert display.lines_ == [display.line_]
    assert display.ax_.get_xlabel() == "Epoch"
    assert display.ax_.get_ylabel() == "Training loss"
    assert display.figure_ is display.ax_.figure
    assert display.validation_ax_ is None
    assert display.ax_.get_legend() is None


def test_yscale(pyplot, diabetes):
    # "auto" is a log scale when the losses span a decade or more.
    steep = LossCurveDisplay(loss_curves=[[100.0, 10.0, 1.0]]).plot()
    assert steep.ax_.get_yscale() == "log"
    flat = LossCurveDisplay(loss_curves=[[2.0, 1.5, 1.4]]).plot()
    assert flat.ax_.get_yscale() == "linear"
    reg = SimpleRegressor(optimizer="gd").fit(*diabetes)
    for yscale in ("linear", "log"):
        display = LossCurveDisplay.from_estimator(reg, yscale=yscale)
        assert display.ax_.get_yscale() == yscale
    with pytest.raises(ValueError, match="yscale"):
        LossCurveDisplay.from_estimator(reg, yscale="symlog")


def test_pipeline_and_plot_kwargs(pyplot, diabetes):
    pipe = make_pipeline(StandardScaler(), SimpleRegressor()).fit(*diabetes)
    display = LossCurveDisplay.from_estimator(pipe, label="nesterov", color="red")
    np.testing.assert_array_equal(display.line_.get_ydata(), pipe[-1].loss_curve_)
    assert display.line_.get_color() == "red"
    legend = display.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["nesterov"]


def test_draws_into_the_given_axes(pyplot, diabetes):
    reg = SimpleRegressor().fit(*diabetes)
    fig, (left, right) = pyplot.subplots(1, 2)
    display = LossCurveDisplay.from_estimator(reg, ax=right)
    assert display.ax_ is right
    assert display.figure_ is fig
    assert len(right.lines) == 1
    assert len(left.lines) == 0


def test_validation_scores_on_a_second_axis(pyplot):
    X, y = load_iris(return_X_y=True)
    clf = ThresholdClassifier(early_stopping=True, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    (val_line,) = display.validation_lines_
    assert display.validation_ax_ is not display.ax_
    np.testing.assert_array_equal(val_line.get_ydata(), clf.validation_scores_)
    assert display.validation_ax_.get_ylabel() == "Validation score (negated loss)"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["training loss", "validation score"]


def test_every_axis_label_lies_inside_the_figure(pyplot):
    # The validation axis's label, on the right, was cut off by the default
    # layout: its box ended 0.4 pixel inside the figure, and the text's ink
    # crossed the edge. The display's own figure leaves a margin around it.
    X, y = load_iris(return_X_y=True)
    clf = ThresholdClassifier(early_stopping=True, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    figure = display.figure_
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axis in (display.ax_.xaxis, display.ax_.yaxis, display.validation_ax_.yaxis):
        label = axis.label.get_window_extent(renderer)
        margin = 2  # pixels
        assert figure.bbox.x0 + margin <= label.x0
        assert label.x1 <= figure.bbox.x1 - margin
        assert figure.bbox.y0 + margin <= label.y0
        assert label.y1 <= figure.bbox.y1 - margin


def test_from_estimators_shows_a_failed_model(pyplot, diabetes):
    ok = SimpleRegressor(learning_rate=1.0, optimizer="gd").fit(*diabetes)
    with pytest.raises(DivergenceError) as failure:
        SimpleRegressor(learning_rate=3.0, optimizer="gd").fit(*diabetes)
    display = LossCurveDisplay.from_estimators(
        [ok, failure.value, ValueError("bad data")], labels=["1.0", "3.0", "other"]
    )
    assert len(display.lines_) == 3
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), ok.loss_curve_)
    assert len(display.lines_[1].get_ydata()) == 0
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["1.0", "3.0 (diverged)", "other (failed: ValueError)"]


def test_failed_model_without_labels_still_in_a_legend(pyplot):
    display = LossCurveDisplay(
        loss_curves=[[3.0, 2.0], None], errors=[None, DivergenceError("boom")]
    ).plot()
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["model (diverged)"]


def test_from_estimators_labels(pyplot, diabetes):
    reg = SimpleRegressor().fit(*diabetes)
    display = LossCurveDisplay.from_estimators([reg, reg])
    assert [line.get_label() for line in display.lines_] == ["model 0", "model 1"]
    with pytest.raises(ValueError, match="labels has 1 entries for 2"):
        LossCurveDisplay.from_estimators([reg, reg], labels=["one"])


def test_unfitted_or_foreign_estimator(pyplot):
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(StandardScaler())


def _search(diabetes, **kwargs):
    search = GridSearchCV(
        make_pipeline(StandardScaler(), SimpleRegressor(optimizer="gd")),
        {"simpleregressor__learning_rate": [0.1, 1.0, 3.0]},
        cv=3,
        **kwargs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)
        return search.fit(*diabetes)


def test_from_cv_results_one_curve_per_candidate(pyplot, diabetes):
    search = _search(diabetes)
    assert np.isnan(search.cv_results_["mean_test_score"][2])
    display = LossCurveDisplay.from_cv_results(search, *diabetes)

    labels = [line.get_label() for line in display.lines_]
    assert labels == [
        "learning_rate=0.1",
        "learning_rate=1.0",
        "learning_rate=3.0 (diverged)",
    ]
    for line, rate in zip(display.lines_[:2], [0.1, 1.0], strict=True):
        refit = make_pipeline(
            StandardScaler(), SimpleRegressor(optimizer="gd", learning_rate=rate)
        ).fit(*diabetes)
        np.testing.assert_array_equal(line.get_ydata(), refit[-1].loss_curve_)
    assert isinstance(display.errors[2], DivergenceError)
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == labels


def test_from_cv_results_error_score_raise(pyplot, diabetes):
    search = GridSearchCV(
        SimpleRegressor(optimizer="gd"),
        {"learning_rate": [1.0]},
        cv=3,
        error_score="raise",
    ).fit(*diabetes)
    search.cv_results_["params"].append({"learning_rate": 3.0})
    with pytest.raises(DivergenceError):
        LossCurveDisplay.from_cv_results(search, *diabetes)


def test_missing_matplotlib_names_the_extra(monkeypatch, diabetes):
    reg = SimpleRegressor().fit(*diabetes)
    # None in sys.modules makes "import matplotlib" raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "sklearn-simple\[plot\]"'):
        LossCurveDisplay.from_estimator(reg)


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess

    code = (
        "import sys, sklearn_simple, sklearn_simple.plot; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_demo_saves_loss_curves(pyplot, monkeypatch, tmp_path, capsys):
    from sklearn_simple import __main__ as demo

    monkeypatch.setattr(demo, "DATASETS", demo.DATASETS[:1])  # diabetes only
    path = tmp_path / "curves.png"
    assert demo.main(["--cv", "2", "--plot", str(path)]) == 0
    assert path.stat().st_size > 0
    assert f"Loss curves of every learning rate: {path}" in capsys.readouterr().out


def test_demo_without_matplotlib(monkeypatch, tmp_path, capsys):
    from sklearn_simple import __main__ as demo

    monkeypatch.setattr(demo, "DATASETS", demo.DATASETS[:1])
    find_spec = demo.importlib.util.find_spec
    monkeypatch.setattr(
        demo.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "matplotlib" else find_spec(name, *args),
    )
    path = tmp_path / "curves.png"
    assert demo.main(["--cv", "2", "--plot", str(path)]) == 0
    assert not path.exists()
    assert 'pip install "sklearn-simple[plot]"' in capsys.readouterr().out
