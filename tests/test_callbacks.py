"""scikit-learn's callbacks (1.9+): one task per fit, one subtask per epoch."""

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV

from sklearn_simple import SimpleRegressor, ThresholdClassifier

callback = pytest.importorskip("sklearn.callback", reason="needs scikit-learn 1.9")


@pytest.fixture
def regression():
    return make_regression(200, 5, noise=1.0, random_state=0)


class StopAfter:
    """A callback that asks the estimator to stop after ``n`` epochs."""

    def __init__(self, n):
        self.n, self.seen = n, 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name != "epoch":
            return False
        self.seen += 1
        return self.seen >= self.n


def test_scoring_monitor_scores_every_epoch(regression):
    X, y = regression
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = SimpleRegressor().set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == reg.n_iter_
    # The score after the last epoch is the fitted model's score.
    assert epochs[-1]["r2"] == pytest.approx(reg.score(X, y), rel=1e-12)
    assert epochs[0]["r2"] < epochs[-1]["r2"]


def test_callbacks_do_not_change_the_fit(regression):
    X, y = regression
    plain = SimpleRegressor().fit(X, y)
    monitor = callback.ScoringMonitor(scoring="r2")
    monitored = SimpleRegressor().set_callbacks(monitor).fit(X, y)
    np.testing.assert_array_equal(monitored.coef_, plain.coef_)


def test_a_callback_can_stop_the_training(regression):
    X, y = regression
    reg = SimpleRegressor(tol=None).set_callbacks(StopAfter(3)).fit(X, y)
    assert reg.n_iter_ == 3


def test_partial_fit_is_one_epoch_for_the_callbacks(regression):
    X, y = regression
    monitor = callback.ScoringMonitor(scoring="r2")
    SimpleRegressor().set_callbacks(monitor).partial_fit(X, y)
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(epochs) == 1


def test_progress_bar_runs_inside_grid_search(regression):
    pytest.importorskip("rich")
    X, y = regression
    search = GridSearchCV(SimpleRegressor(), {"learning_rate": [0.5, 1.0]}, cv=2)
    search.set_callbacks(callback.ProgressBar()).fit(X, y)
    plain = GridSearchCV(SimpleRegressor(), {"learning_rate": [0.5, 1.0]}, cv=2)
    assert search.best_params_ == plain.fit(X, y).best_params_


def test_progress_bar_on_the_classifier(regression):
    pytest.importorskip("rich")
    X, y = regression
    clf = ThresholdClassifier().set_callbacks(callback.ProgressBar()).fit(X, y > 0)
    assert clf.score(X, y > 0) > 0.9


def test_callbacks_are_torn_down_when_the_fit_fails(regression):
    X, y = regression
    events = []

    class Recorder(StopAfter):
        def setup(self, estimator, context):
            events.append("setup")

        def teardown(self, estimator, context):
            events.append("teardown")

    reg = SimpleRegressor(optimizer="gd", learning_rate=5.0)
    with pytest.raises(ValueError, match="diverged"):
        reg.set_callbacks(Recorder(1000)).fit(X, y)
    assert events == ["setup", "teardown"]
