"""
=================================
A cat avoids sharp, hard things
=================================

A cat meets an object and must decide: approach it, or keep away. It has no
rule written down; it has experience, a set of objects it met before, each
described by two properties, how **sharp** and how **hard** it is (both
between 0 and 1), and what it did.

A :class:`~sklearn_simple.ThresholdClassifier` turns that experience into a
rule. It learns a score from the two properties,

.. code-block:: text

    score = sharpness * w0 + hardness * w1 + bias

and the cat avoids the object when the score says "avoid" strongly enough:
with the default log loss, when the probability of "avoid",
``1 / (1 + exp(-score))``, reaches the ``threshold``.
"""

# %%
# The cat's experience
# --------------------
# We make up 120 objects. The cat of this story mostly avoids objects that are
# both fairly sharp and fairly hard, with some inconsistency: a real cat is
# not a formula.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_simple import ThresholdClassifier

rng = np.random.RandomState(0)
objects = rng.uniform(size=(120, 2))  # columns: sharpness, hardness
danger = 0.6 * objects[:, 0] + 0.4 * objects[:, 1] + rng.normal(scale=0.08, size=120)
action = np.where(danger > 0.55, "avoid", "approach")
print(f"{np.sum(action == 'avoid')} avoided, {np.sum(action == 'approach')} approached")

# %%
# Learning the weights
# --------------------
# Training starts from zero weights and repeats predict, compare, adjust
# until the loss stops improving. ``pos_label="avoid"`` says which class the
# score and the threshold are about.
cat = ThresholdClassifier(pos_label="avoid").fit(objects, action)
w0, w1 = cat.coef_[0]
bias = cat.intercept_[0]
print(f"score = sharpness * {w0:.2f} + hardness * {w1:.2f} + ({bias:.2f})")
accuracy = cat.score(objects, action)
print(f"learned in {cat.n_iter_} epochs, training accuracy {accuracy:.2f}")

# %%
# Both weights are positive: sharper and harder both push towards "avoid",
# sharpness more than hardness, as in the cat's habits. The bias is
# negative: an object that is neither sharp nor hard starts on the
# "approach" side.
#
# The decision line and the threshold
# -----------------------------------
# The cat avoids an object where the probability of "avoid" is at least the
# threshold ``t``, that is where the score is at least ``log(t / (1 - t))``.
# In the plane of (sharpness, hardness) the border is a straight line:
#
# .. code-block:: text
#
#     hardness = (log(t / (1 - t)) - bias - sharpness * w0) / w1
#
# Raising the threshold makes the cat bolder (it avoids only what it is very
# sure about) and moves the line up and to the right; lowering it makes the
# cat more careful.
sharpness = np.linspace(0, 1, 100)
fig, ax = plt.subplots(figsize=(8.4, 5.6), layout="constrained")
for label, marker, color in [("approach", "o", "tab:blue"), ("avoid", "^", "tab:red")]:
    mask = action == label
    ax.scatter(
        objects[mask, 0],
        objects[mask, 1],
        marker=marker,
        color=color,
        alpha=0.7,
        label=f"{label} (cat's experience)",
    )
for threshold, style in [(0.2, ":"), (0.5, "-"), (0.8, "--")]:
    logit = np.log(threshold / (1 - threshold))
    hardness = (logit - bias - sharpness * w0) / w1
    ax.plot(sharpness, hardness, "k", linestyle=style, label=f"threshold {threshold}")
ax.set(
    xlim=(0, 1),
    ylim=(0, 1),
    xlabel="sharpness",
    ylabel="hardness",
    title="The cat avoids objects up and right of the line",
)
ax.set_aspect("equal")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)

# %%
# Moving the threshold needs no retraining: the weights stay, only the
# comparison changes. A moderately sharp and hard object:
thing = [[0.6, 0.55]]
proba = cat.predict_proba(thing)[0, list(cat.classes_).index("avoid")]
print(f"probability of 'avoid': {proba:.2f}")
for threshold in (0.2, 0.5, 0.8):
    decision = cat.set_params(threshold=threshold).predict(thing)[0]
    print(f"threshold {threshold}: {decision}")
