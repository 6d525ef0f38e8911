"""
===================================
Grid search over learning rates
===================================

The learning rate is a parameter like any other: search it with
:class:`~sklearn.model_selection.GridSearchCV`. Because ``learning_rate``
is a multiple of the data's safe step (1.0 is always safe), the same grid
means the same thing on any data set.

A rate that is too large makes training diverge.
:class:`~sklearn_simple.SimpleRegressor` then raises
:class:`~sklearn_simple.DivergenceError`; the grid search records that
candidate as failed, with a NaN score, and carries on. This example shows
the failed candidate instead of hiding it.
"""

# %%
# The search
# ----------
# Plain gradient descent (``optimizer="gd"``) on scikit-learn's diabetes
# data, in a Pipeline with a scaler as one would in practice. Rates of 2.5
# and more overshoot further at every step.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_simple import SimpleRegressor
from sklearn_simple.plot import LossCurveDisplay

X, y = load_diabetes(return_X_y=True)
rates = [0.05, 0.1, 0.3, 1.0, 1.5, 2.5]
search = GridSearchCV(
    make_pipeline(StandardScaler(), SimpleRegressor(optimizer="gd")),
    {"simpleregressor__learning_rate": rates},
    cv=5,
)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", FitFailedWarning)
    search.fit(X, y)
failed_warnings = [w for w in caught if issubclass(w.category, FitFailedWarning)]
print(f"FitFailedWarning raised: {len(failed_warnings) > 0}")
print(str(failed_warnings[0].message).strip().splitlines()[-1])

# %%
# The results table: the diverged rate scores NaN in every fold.
scores = search.cv_results_["mean_test_score"]
for rate, score in zip(rates, scores, strict=True):
    print(f"learning_rate={rate:<5}  mean CV R² = {score:.4f}")
print("best:", search.best_params_)

# %%
# Score against learning rate, and one loss curve per rate
# ---------------------------------------------------------
# Left: the cross-validated R² of each rate; the failed rate has no score,
# so it is marked on the bottom edge of the axes, not left out. Right:
# :meth:`LossCurveDisplay.from_cv_results
# <sklearn_simple.plot.LossCurveDisplay.from_cv_results>` refits each
# candidate on the whole data and draws its loss curve; the diverged one
# appears in the legend, marked *diverged*.
#
# Small rates converge slowly (and stop once the loss improves by less than
# ``tol`` per epoch, a little above the minimum); up to 1.5 the larger the
# rate, the fewer the epochs.
fig, (ax_score, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.8))
ok = np.isfinite(scores)
ax_score.plot(np.array(rates)[ok], scores[ok], "o-", label="mean CV R²")
# A failed rate has no score to plot: mark it on the bottom edge of the axes
# (x in data units, y in axes units) so that it cannot be read as a value.
for rate in np.array(rates)[~ok]:
    ax_score.plot(
        rate,
        0.05,
        "x",
        color="black",
        markersize=10,
        transform=ax_score.get_xaxis_transform(),
        label="diverged: no score (NaN)",
    )
    ax_score.annotate(
        "diverged",
        (rate, 0.05),
        xycoords=ax_score.get_xaxis_transform(),
        xytext=(0, 10),
        textcoords="offset points",
        ha="center",
    )
ax_score.set(
    xscale="log",
    xlabel="learning_rate (multiple of the safe step)",
    ylabel="mean CV R²",
    title="Cross-validated score",
)
ax_score.set_xticks(rates, [str(r) for r in rates])
ax_score.legend(loc="lower left")
ax_score.set_ylim(min(scores[ok]) - 0.002, max(scores[ok]) + 0.002)

with warnings.catch_warnings():
    # The diverged candidate is drawn as failed; its error is not news here.
    warnings.simplefilter("ignore", FitFailedWarning)
    display = LossCurveDisplay.from_cv_results(search, X, y, ax=ax_loss)
ax_loss.set_title("Training loss of each candidate, refitted on all data")
fig.tight_layout()

# %%
# The refitted models, as the display drew them: epochs run and final loss.
for label, curve in zip(display.labels, display.loss_curves, strict=True):
    if curve is None:
        print(f"{label}: diverged")
    else:
        print(f"{label}: {len(curve)} epochs, final loss {curve[-1]:.1f}")
