"""What _compat.py provides on every supported scikit-learn version."""

import numpy as np
import pytest

from sklearn_simple import SimpleRegressor


def test_set_callbacks_exists_on_every_version():
    assert callable(SimpleRegressor().set_callbacks)


def test_without_the_callback_api_set_callbacks_warns_and_ignores():
    pytest.importorskip("sklearn")
    try:
        import sklearn.callback  # noqa: F401
    except ImportError:
        reg = SimpleRegressor()
        with pytest.warns(UserWarning, match="scikit-learn >= 1.9"):
            reg.set_callbacks(object())
        reg.fit(np.eye(3), np.arange(3.0))
    else:
        pytest.skip("scikit-learn has the callback API")
