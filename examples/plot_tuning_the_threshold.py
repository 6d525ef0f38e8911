"""
=============================
Tuning the decision threshold
=============================

:class:`~sklearn_simple.ThresholdClassifier` computes a score and predicts
``pos_label`` where the score reaches ``threshold``. The threshold trades one
kind of error for the other: lower it and fewer positives are missed (higher
*recall*), at the price of more false alarms (lower *precision*).

We screen people for a rare condition (one in ten has it, in made-up data):
missing someone who is ill costs far more than a false alarm, so
``pos_label`` is "ill" and recall matters most.
"""

# %%
# A screening model
# -----------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import (
    PrecisionRecallDisplay,
    fbeta_score,
    make_scorer,
    precision_score,
    recall_score,
)
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from sklearn_simple import ThresholdClassifier

X, y = make_classification(
    n_samples=3000,
    n_features=8,
    n_informative=4,
    weights=[0.9, 0.1],
    class_sep=1.5,
    flip_y=0.02,
    random_state=0,
)
y = np.where(y == 1, "ill", "healthy")
POSITIVE = "ill"
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, test_size=0.4, random_state=0
)
clf = ThresholdClassifier(pos_label=POSITIVE).fit(X_train, y_train)

# %%
# Moving the threshold by hand
# ----------------------------
# With the log loss the threshold is on the probability of ``pos_label``.
# Changing it needs no refit: ``set_params`` on the fitted model is enough.
for threshold in (0.1, 0.3, 0.5):
    pred = clf.set_params(threshold=threshold).predict(X_test)
    precision = precision_score(y_test, pred, pos_label=POSITIVE)
    recall = recall_score(y_test, pred, pos_label=POSITIVE)
    print(f"threshold {threshold}: precision {precision:.3f}, recall {recall:.3f}")
clf.set_params(threshold="auto")

# %%
# Letting cross-validation choose
# -------------------------------
# :class:`~sklearn.model_selection.TunedThresholdClassifierCV` tries many
# thresholds and keeps the one with the best cross-validated score. The F2
# score weighs recall more than precision, which suits screening. It
# thresholds the probabilities itself, so its ``best_threshold_`` is on the
# same scale as our ``threshold`` parameter.
f2 = make_scorer(fbeta_score, beta=2, pos_label=POSITIVE)
tuned = TunedThresholdClassifierCV(
    ThresholdClassifier(pos_label=POSITIVE), scoring=f2, cv=5
).fit(X_train, y_train)
print(f"tuned threshold: {tuned.best_threshold_:.3f}")
for name, model in [("threshold 0.5", clf), ("tuned", tuned)]:
    pred = model.predict(X_test)
    precision = precision_score(y_test, pred, pos_label=POSITIVE)
    recall = recall_score(y_test, pred, pos_label=POSITIVE)
    f2_test = fbeta_score(y_test, pred, beta=2, pos_label=POSITIVE)
    print(
        f"{name:>13}: precision {precision:.3f}, recall {recall:.3f}, F2 {f2_test:.3f}"
    )

# %%
# The trade-off in a picture
# --------------------------
# The precision-recall curve of the test set: each point is one threshold.
# The markers show where the hand-picked and the tuned thresholds sit.
fig, ax = plt.subplots(figsize=(6.4, 5))
PrecisionRecallDisplay.from_estimator(
    clf, X_test, y_test, pos_label=POSITIVE, ax=ax, name="ThresholdClassifier"
)
markers = {0.1: "s", 0.3: "D", 0.5: "o"}
for threshold, marker in markers.items():
    pred = clf.set_params(threshold=threshold).predict(X_test)
    ax.plot(
        recall_score(y_test, pred, pos_label=POSITIVE),
        precision_score(y_test, pred, pos_label=POSITIVE),
        marker,
        markersize=9,
        label=f"threshold {threshold}",
    )
pred = tuned.predict(X_test)
ax.plot(
    recall_score(y_test, pred, pos_label=POSITIVE),
    precision_score(y_test, pred, pos_label=POSITIVE),
    "*",
    color="black",
    markersize=14,
    label=f"tuned for F2: {tuned.best_threshold_:.2f}",
)
clf.set_params(threshold="auto")
ax.set(title="Screening: precision against recall")
ax.legend(loc="lower left")
fig.tight_layout()
