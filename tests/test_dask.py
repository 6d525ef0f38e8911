"""Scaling out on dask: distributed grid search and chunked training.

Skipped unless the ``dask`` extra is installed. Every test runs on one local
cluster of two worker processes, bound to the loopback interface only.
"""

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV

from sklearn_simple import SimpleRegressor, ThresholdClassifier

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _search(rates):
    return GridSearchCV(SimpleRegressor(optimizer="gd"), {"learning_rate": rates})


def _on_the_cluster(client, search, X, y):
    """Fit ``search`` through joblib's dask backend; return the tasks run."""
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        search.fit(X, y)
    return tasks.data


def test_cluster_listens_on_loopback_only(client):
    addresses = [client.scheduler.address, *client.scheduler_info()["workers"]]
    assert all(address.startswith("tcp://127.0.0.1:") for address in addresses)
    assert len(client.scheduler_info()["workers"]) == 2


def test_grid_search_on_the_cluster_equals_the_sequential_search(client):
    X, y = make_regression(n_samples=500, n_features=10, noise=30.0, random_state=0)
    rates = [0.01, 0.05, 0.2, 1.0]
    sequential = _search(rates).fit(X, y)
    search = _search(rates)
    tasks = _on_the_cluster(client, search, X, y)
    # The fits ran on the workers, in both of them (joblib batches several
    # fits into one task, so the tasks are not counted).
    assert tasks
    assert len({task["worker"] for task in tasks}) == 2
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
        rtol=1e-12,
    )
    assert search.best_params_ == sequential.best_params_
    np.testing.assert_allclose(
        search.best_estimator_.coef_, sequential.best_estimator_.coef_, rtol=1e-12
    )


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_a_candidate_that_diverges_on_a_worker_fails_as_in_a_local_search(client):
    X, y = make_regression(n_samples=300, n_features=5, noise=10.0, random_state=0)
    search = _search([0.5, 5.0])
    with pytest.warns(FitFailedWarning, match="DivergenceError"):
        _on_the_cluster(client, search, X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    assert search.best_params_ == {"learning_rate": 0.5}


def _even_blocks(X, y, n_blocks):
    rows = X.shape[0] // n_blocks
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


def test_incremental_reaches_the_in_memory_score(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_regression(
        n_samples=20_000, n_features=10, noise=50.0, bias=3.0, random_state=0
    )
    X = 3.0 + X * np.linspace(0.5, 10.0, 10)  # off-center, badly scaled
    X_blocks, y_blocks = _even_blocks(X, y, n_blocks=10)
    # An explicit scoring: dask-ml 2025.1's default r2 scorer fails on dask arrays.
    model = wrappers.Incremental(
        SimpleRegressor(), scoring="neg_mean_squared_error", random_state=0
    )
    for _ in range(3):
        model.partial_fit(X_blocks, y_blocks)
    in_memory = SimpleRegressor().fit(X, y)
    assert model.estimator_.n_iter_ == 30
    assert model.estimator_.score(X, y) == pytest.approx(
        in_memory.score(X, y), abs=0.01
    )
    assert model.score(X_blocks, y_blocks) == pytest.approx(
        -np.mean((in_memory.predict(X) - y) ** 2), rel=0.01
    )


def test_incremental_is_a_loop_of_partial_fit_calls_over_the_blocks(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_regression(n_samples=1000, n_features=5, noise=10.0, random_state=0)
    X_blocks, y_blocks = _even_blocks(X, y, n_blocks=4)
    model = wrappers.Incremental(SimpleRegressor(), shuffle_blocks=False)
    model.fit(X_blocks, y_blocks)
    by_hand = SimpleRegressor()
    for start in range(0, 1000, 250):
        by_hand.partial_fit(X[start : start + 250], y[start : start + 250])
    np.testing.assert_allclose(model.estimator_.coef_, by_hand.coef_, rtol=1e-12)
    assert model.estimator_.loss_curve_ == pytest.approx(by_hand.loss_curve_)


def test_incremental_classifier_gets_classes_and_reaches_the_in_memory_accuracy(
    client,
):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_classification(n_samples=4000, n_features=10, random_state=0)
    X_blocks, y_blocks = _even_blocks(X, y, n_blocks=8)
    model = wrappers.Incremental(
        ThresholdClassifier(), scoring="accuracy", random_state=0
    )
    for _ in range(5):
        model.partial_fit(X_blocks, y_blocks, classes=[0, 1])
    in_memory = ThresholdClassifier().fit(X, y)
    assert model.score(X_blocks, y_blocks) == pytest.approx(
        in_memory.score(X, y), abs=0.02
    )


def test_a_dask_array_under_array_api_dispatch_is_refused_with_advice():
    pytest.importorskip("array_api_compat")
    import sklearn
    from array_api_support import DISPATCH_UNAVAILABLE, dispatch_available

    if not dispatch_available():
        pytest.skip(DISPATCH_UNAVAILABLE)
    X, y = make_regression(n_samples=200, n_features=3, random_state=0)
    X_dask, y_dask = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    model = SimpleRegressor()
    with (
        sklearn.config_context(array_api_dispatch=True),
        pytest.raises(TypeError, match=r"lazy array.*Incremental"),
    ):
        model.fit(X_dask, y_dask)
    assert not hasattr(model, "coef_")
