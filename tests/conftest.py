import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer


@pytest.fixture(scope="session")
def breast_cancer():
    """Breast cancer data, standardized: a realistic binary problem."""
    X, y = load_breast_cancer(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.fixture
def rng():
    return np.random.RandomState(0)
