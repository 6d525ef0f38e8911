"""
==========================================
Plain gradient descent vs accelerated
==========================================

The ``optimizer`` parameter chooses how each step of the training loop moves
the weights: ``"gd"`` is the textbook step against the gradient,
``"nesterov"`` adds momentum (FISTA, with adaptive restart) and
``"linesearch"`` also adapts the step size. How many epochs does each need?

The answer depends on how the problem is *conditioned*, and on what
"badly scaled" means:

* features on wildly different scales are **not** a problem here, because
  the estimators standardize the features internally;
* strongly **correlated** features are: the loss is then a long, narrow
  valley, and plain gradient descent zig-zags down it slowly.
"""

# %%
# Three versions of one problem
# -----------------------------
# The same regression with 20 features, (a) independent and on a common
# scale, (b) the same features multiplied by factors from 0.001 to 1000, (c)
# strongly correlated features (each mostly a shared component plus a little
# of its own).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression

from sklearn_simple import SimpleRegressor

rng = np.random.RandomState(0)
n, d = 2000, 20
true_coef = rng.normal(size=d)
independent = rng.normal(size=(n, d))
badly_scaled = independent * np.logspace(-3, 3, d)
shared = rng.normal(size=(n, 1))
correlated = shared + 0.5 * rng.normal(size=(n, d))
noise = rng.normal(scale=0.5, size=n)
problems = {
    "well scaled": (independent, independent @ true_coef + noise),
    "badly scaled (x0.001 to x1000)": (badly_scaled, independent @ true_coef + noise),
    "correlated features": (correlated, correlated @ true_coef + noise),
}

# %%
# Training to the same precision
# ------------------------------
# To compare fairly we switch off the stopping rule (``tol=None``) and run
# 1000 epochs, then measure after each epoch how far the loss still is above
# the exact least-squares minimum (from
# :class:`~sklearn.linear_model.LinearRegression`): the *suboptimality*.
# We count the epochs until it is below one millionth of the minimum.
optimizers = ["gd", "nesterov", "linesearch"]
max_epochs = 1000
curves = {}
for name, (X, y) in problems.items():
    best = LinearRegression().fit(X, y)
    minimum = 0.5 * np.mean((y - best.predict(X)) ** 2)
    for optimizer in optimizers:
        reg = SimpleRegressor(optimizer=optimizer, tol=None, max_iter=max_epochs)
        reg.fit(X, y)
        curves[name, optimizer] = (np.array(reg.loss_curve_) - minimum) / minimum

epochs_to_reach = {}
for key, gap in curves.items():
    reached = np.flatnonzero(gap < 1e-6)
    epochs_to_reach[key] = reached[0] + 1 if reached.size else None

print(f"{'epochs to 1e-6':<32}" + "".join(f"{o:>12}" for o in optimizers))
for name in problems:
    row = [epochs_to_reach[name, o] or f">{max_epochs}" for o in optimizers]
    print(f"{name:<32}" + "".join(f"{r:>12}" for r in row))

# %%
# The picture
# -----------
# Suboptimality per epoch, on a log scale: a straight line down is steady
# (linear) convergence, and the steeper the faster. Rounding error puts a
# floor under every curve. Each panel shows the epochs up to half again the
# slowest optimizer's count, so mind the different x axes.
fig, axes = plt.subplots(1, 3, figsize=(13, 4.3), sharey=True)
for ax, name in zip(axes, problems, strict=True):
    for optimizer in optimizers:
        gap = np.maximum(curves[name, optimizer], 1e-16)
        ax.plot(np.arange(1, len(gap) + 1), gap, label=optimizer)
    ax.axhline(1e-6, color="grey", linestyle=":", linewidth=1)
    slowest = max(epochs_to_reach[name, o] or max_epochs for o in optimizers)
    ax.set(
        yscale="log",
        xlim=(1, min(max_epochs, int(1.5 * slowest))),
        xlabel="Epoch",
        title=name,
    )
axes[0].set_ylabel("(loss - minimum) / minimum")
axes[0].legend(title="optimizer")
fig.tight_layout()

# %%
# What we see: the scaled copy behaves exactly as the original, because the
# estimator trains on standardized features whatever their units. With
# correlated features plain gradient descent needs hundreds of epochs, while
# Nesterov's momentum, and the line search on top of it, need about a tenth
# as many. The default optimizer, ``"auto"``, is therefore ``"nesterov"``
# here, as on most dense data; it picks the line search where the safe step
# is known to be several times too small (more than two classes, and sparse
# data too wide for the Gram matrix). ``"gd"`` is there to show the textbook
# loop.
