"""Whether scikit-learn can enable array API dispatch on this install."""

import sklearn


def dispatch_available() -> bool:
    """False where scikit-learn refuses ``array_api_dispatch=True``.

    It needs array-api-compat (vendored from 1.6 on) and SciPy 1.14 or newer;
    the oldest versions we support have neither, so the array API tests and
    checks are skipped there.
    """
    try:
        with sklearn.config_context(array_api_dispatch=True):
            return True
    except (ImportError, RuntimeError):
        return False


DISPATCH_UNAVAILABLE = "scikit-learn cannot enable array_api_dispatch on this install"
