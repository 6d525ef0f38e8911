"""
=======================
Estimating a quantity
=======================

What will the temperature be tomorrow at 3 pm? The answer is a number, not
one of a few choices: a *quantitative estimate*, the job of a regressor.

We estimate it with :class:`~sklearn_simple.SimpleRegressor`, which learns
the weights of ``X @ coef_ + intercept_`` by gradient descent, and compare it
with scikit-learn's :class:`~sklearn.linear_model.LinearRegression`, which
solves the same least-squares problem directly. Both should find the same
coefficients; ours also shows how it got there, in its loss curve.
"""

# %%
# Weather data
# ------------
# We make up 365 days of weather with three measurements that hint at
# tomorrow's temperature. Their units differ wildly (degrees, hectopascals
# around 1013, hours): the estimator standardizes the features internally,
# so no scaler is needed for the training to converge.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

from sklearn_simple import SimpleRegressor
from sklearn_simple.plot import LossCurveDisplay

rng = np.random.RandomState(42)
n_days = 365
season = np.sin(2 * np.pi * np.arange(n_days) / n_days)
today = 12 + 10 * season + rng.normal(scale=3, size=n_days)  # °C at 3 pm
pressure_change = rng.normal(scale=4, size=n_days)  # hPa over the last day
pressure = 1013 + rng.normal(scale=8, size=n_days)  # hPa
sunshine = np.clip(6 + 4 * season + rng.normal(scale=2, size=n_days), 0, 14)  # h
X = np.column_stack([today, pressure_change, pressure, sunshine])
features = ["today (°C)", "pressure change (hPa)", "pressure (hPa)", "sunshine (h)"]
tomorrow = (
    0.8 * today
    + 0.3 * pressure_change
    + 0.05 * (pressure - 1013)
    + 0.4 * sunshine
    + rng.normal(scale=1.5, size=n_days)
)
X_train, X_test, y_train, y_test = train_test_split(X, tomorrow, random_state=0)

# %%
# Two ways to the same line
# -------------------------
# A small ``tol`` lets the loop run until the coefficients agree with the
# direct solution to several digits; the default ``tol=1e-4`` stops earlier,
# once the loss improves by less than 0.01% per epoch.
ours = SimpleRegressor(tol=1e-10).fit(X_train, y_train)
direct = LinearRegression().fit(X_train, y_train)

print(f"{'feature':<24}{'SimpleRegressor':>16}{'LinearRegression':>18}")
for name, a, b in zip(features, ours.coef_, direct.coef_, strict=True):
    print(f"{name:<24}{a:>16.4f}{b:>18.4f}")
print(f"{'intercept':<24}{ours.intercept_:>16.4f}{direct.intercept_:>18.4f}")
print(
    f"test R²: {ours.score(X_test, y_test):.4f} (ours), "
    f"{direct.score(X_test, y_test):.4f} (LinearRegression)"
)
print(f"{ours.n_iter_} epochs, step size {ours.step_size_:.3f}")

# %%
# The loss curve
# --------------
# ``loss_curve_`` holds the training objective, half the mean squared error,
# after each epoch. It falls steeply in the first epochs, then flattens as
# the weights approach the least-squares solution. The y axis is
# logarithmic because the loss spans more than a factor of ten.
fig, (ax_loss, ax_pred) = plt.subplots(1, 2, figsize=(11, 4.5))
LossCurveDisplay.from_estimator(ours, ax=ax_loss)
ax_loss.set_title("SimpleRegressor: training loss per epoch")

ax_pred.scatter(y_test, ours.predict(X_test), s=12, alpha=0.7)
lims = [y_test.min() - 1, y_test.max() + 1]
ax_pred.plot(lims, lims, "k--", linewidth=1, label="perfect estimate")
ax_pred.set(
    xlabel="actual temperature tomorrow (°C)",
    ylabel="estimated temperature (°C)",
    title="Estimates on held-out days",
    xlim=lims,
    ylim=lims,
)
ax_pred.legend(loc="upper left")
fig.tight_layout()
