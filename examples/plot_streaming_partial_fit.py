"""
==============================================
Streaming with partial_fit and early stopping
==============================================

Two ways to decide how much training is enough.

* **Streaming**: data arrives in chunks (or does not fit in memory at once).
  Each call of :meth:`~sklearn_simple.SimpleRegressor.partial_fit` trains
  one epoch on one chunk and continues from where the previous call
  stopped: the standardization fixed by the first chunk, the momentum and
  the step size all carry over.
* **Early stopping**: with ``early_stopping=True``, ``fit`` holds out part of
  the training data, watches the loss on it after every epoch, stops when it
  no longer improves, and keeps the weights of the best epoch.
"""

# %%
# A stream of chunks
# ------------------
# 40 chunks of 250 rows arrive one after the other. After each chunk we
# score the model on a fixed held-out set, to see it learn.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_simple import SimpleRegressor
from sklearn_simple.plot import LossCurveDisplay

rng = np.random.RandomState(0)
n_features = 10
true_coef = rng.normal(size=n_features)


def make_chunk(n_rows):
    X = rng.normal(loc=5.0, scale=3.0, size=(n_rows, n_features))
    return X, X @ true_coef + 2.0 + rng.normal(scale=1.0, size=n_rows)


X_test, y_test = make_chunk(2000)
stream = SimpleRegressor()
test_r2 = []
for _ in range(40):
    X_chunk, y_chunk = make_chunk(250)
    stream.partial_fit(X_chunk, y_chunk)
    test_r2.append(stream.score(X_test, y_test))
print(f"after {stream.n_iter_} chunks: test R² {test_r2[-1]:.4f}")
print(f"after 1, 5, 10 chunks: {test_r2[0]:.3f}, {test_r2[4]:.3f}, {test_r2[9]:.3f}")

# %%
# Each ``partial_fit`` call adds one entry to ``loss_curve_`` (the loss on
# that chunk), so the loss curve of a stream is one point per chunk.
fig, (ax_loss, ax_r2) = plt.subplots(1, 2, figsize=(11, 4.3))
LossCurveDisplay.from_estimator(stream, ax=ax_loss)
ax_loss.set(xlabel="partial_fit call (one chunk each)", title="Loss on each chunk")
ax_r2.plot(np.arange(1, len(test_r2) + 1), test_r2, marker=".")
ax_r2.set(
    xlabel="partial_fit call (one chunk each)",
    ylabel="R² on held-out data",
    title="Held-out score after each chunk",
    ylim=(min(0.0, min(test_r2)), 1.02),
)
fig.tight_layout()

# %%
# Early stopping against overfitting
# ----------------------------------
# Few rows, many features and a lot of noise: given enough epochs, the model
# fits the noise of its training rows. Early stopping holds out 20% of them,
# stops when their loss has not improved for ``n_iter_no_change`` epochs and
# keeps the weights of the best one. Plain gradient descent with a small
# learning rate makes the effect visible over many epochs.
rng = np.random.RandomState(1)
X_small = rng.normal(size=(150, 60))
y_small = X_small[:, :5] @ np.ones(5) + rng.normal(scale=2.0, size=150)
X_new = rng.normal(size=(2000, 60))
y_new = X_new[:, :5] @ np.ones(5) + rng.normal(scale=2.0, size=2000)

params = dict(optimizer="gd", learning_rate=0.1, random_state=0)
stopped = SimpleRegressor(
    early_stopping=True, validation_fraction=0.2, n_iter_no_change=20, **params
).fit(X_small, y_small)
full = SimpleRegressor(tol=None, max_iter=300, **params).fit(X_small, y_small)
best_epoch = int(np.argmax(stopped.validation_scores_)) + 1
print(f"early stopping: ran {stopped.n_iter_} epochs, kept epoch {best_epoch}")
print(
    f"R² on new data: {stopped.score(X_new, y_new):.3f} with early stopping, "
    f"{full.score(X_new, y_new):.3f} after {full.n_iter_} epochs without"
)

# %%
# The training loss keeps falling, while the validation score (the negated
# loss on the held-out rows, on the right-hand axis) peaks and then
# declines: from there on, the model learns noise.
display = LossCurveDisplay.from_estimator(stopped, yscale="linear")
display.validation_ax_.axvline(best_epoch, color="grey", linestyle=":")
display.ax_.set_title(f"Early stopping keeps epoch {best_epoch}")
display.figure_.tight_layout()
