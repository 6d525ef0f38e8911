"""
==========================================
A cat runs away, ignores, or approaches
==========================================

The notes this project grew from describe a cat that, seeing an object,
either **runs away**, **ignores** it or **approaches** it. These three
actions are not three unrelated categories: they are ordered by how
dangerous the object looks. One quantitative estimate, a danger score from
how **sharp** and how **hard** the object is, and two thresholds on it are
enough:

.. code-block:: text

    score = sharpness * w0 + hardness * w1
    approach  if score <= threshold 0
    ignore    if threshold 0 < score <= threshold 1
    run away  if score > threshold 1

That is :class:`~sklearn_simple.ThresholdClassifier` with ``ordinal=...``.
Without it, the classifier treats the three actions as unordered (the
multinomial model of :class:`~sklearn.linear_model.LogisticRegression`): one
score per action. We compare the two.
"""

# %%
# The cat's experience
# --------------------
# 100 objects, each with its sharpness and hardness (between 0 and 1). The cat
# weighs sharpness more than hardness, and is not perfectly consistent.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_simple import ThresholdClassifier

actions = ["approach", "ignore", "run away"]
rng = np.random.RandomState(0)


def meet(n):
    """n objects and what the cat did."""
    objects = rng.uniform(size=(n, 2))
    danger = 6 * objects[:, 0] + 4 * objects[:, 1] + 0.6 * rng.logistic(size=n)
    return objects, np.array(actions)[np.digitize(danger, [3.5, 6.5])]


objects, action = meet(100)
print({a: int(np.sum(action == a)) for a in actions})

# %%
# Two models
# ----------
# ``ordinal=actions`` gives the order, lowest first (``ordinal=True`` would
# take the sorted labels, which here happen to be in the order of danger;
# the list says so explicitly). With the default log loss it is the
# proportional-odds model:
# ``P(action <= k) = 1 / (1 + exp(score - threshold k))``.
ordinal = ThresholdClassifier(ordinal=actions).fit(objects, action)
nominal = ThresholdClassifier().fit(objects, action)
(w0, w1), (t0, t1) = ordinal.coef_[0], ordinal.thresholds_
print(f"ordinal: score = sharpness * {w0:.2f} + hardness * {w1:.2f}")
print(f"         thresholds {t0:.2f} and {t1:.2f}")
print(f"nominal: {nominal.coef_.shape[0]} scores, one per action")

# %%
# The two thresholds are two parallel lines
# -----------------------------------------
# ``score = threshold k`` is a line in the plane of (sharpness, hardness); the
# lines share the score's direction, so they are parallel, and the cat's
# action changes each time an object crosses one of them.
sharpness = np.linspace(0, 1, 50)
colors = {"approach": "tab:blue", "ignore": "tab:gray", "run away": "tab:red"}
fig, ax = plt.subplots(figsize=(7, 5.6), layout="constrained")
for a in actions:
    mask = action == a
    ax.scatter(*objects[mask].T, s=12, color=colors[a], label=a)
for k, t in enumerate(ordinal.thresholds_):
    ax.plot(sharpness, (t - w0 * sharpness) / w1, "k-", lw=2)
    # Labelled where the line crosses hardness = 0.5, inside the plot.
    ax.annotate(f"threshold {k}", ((t - w1 * 0.5) / w0, 0.5), rotation=-45)
ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="sharpness", ylabel="hardness")
ax.legend(loc="upper right", framealpha=0.9)
plt.show()

# %%
# Probabilities along the danger
# ------------------------------
# From a soft, blunt object to a sharp, hard one. The ordinal model's
# probability of "ignore" rises between the thresholds and vanishes at both
# ends, as it must: the score of an extreme object is far past both
# thresholds. The nominal (multinomial) model learns the same shape from
# these data, with a score for "ignore" of its own that happens to lie
# between the other two; nothing in the model requires it (one-vs-rest
# models, for instance, keep "ignore" probable at the extremes).
path = np.linspace([0, 0], [1, 1], 200)
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
models = {"ordinal": ordinal, "nominal": nominal}
for ax, (name, model) in zip(axes, models.items(), strict=True):
    proba = model.predict_proba(path)
    for a in actions:
        column = list(model.classes_).index(a)
        ax.plot(path[:, 0], proba[:, column], color=colors[a], label=a)
    ax.set(title=name, xlabel="sharpness = hardness along the path")
axes[0].set_ylabel("probability")
axes[0].legend()
plt.show()

# %%
# Mistakes that skip a class
# --------------------------
# On objects the cat meets later, we count the mistakes, and among them the
# serious ones: "approach" for an object the cat runs away from, or the
# reverse. The ordinal model makes such a mistake only when the score is
# off by more than the whole "ignore" band.
new_objects, new_action = meet(20_000)
rank = {a: k for k, a in enumerate(actions)}
truth = np.vectorize(rank.get)(new_action)
for name, model in models.items():
    predicted = np.vectorize(rank.get)(model.predict(new_objects))
    wrong = np.mean(predicted != truth)
    skip = np.mean(np.abs(predicted - truth) == 2)
    # Columns of predict_proba follow classes_; put them in the order of danger.
    columns = [list(model.classes_).index(a) for a in actions]
    proba = model.predict_proba(new_objects)[:, columns]
    log_loss = -np.mean(np.log(proba[np.arange(len(truth)), truth]))
    print(
        f"{name}: {wrong:.1%} wrong, {skip:.2%} skip a class, log loss {log_loss:.3f}"
    )

# %%
# The data are ordered by construction, and both models see it: their
# accuracy is close. The ordinal model learns 2 weights and 2 thresholds
# where the nominal one learns 3 x 2 weights and 3 biases, so from the same
# 100 objects it estimates them better (a lower log loss on new objects),
# and its probabilities have the shape the order implies. When the classes
# have no order (species of iris, digits), the ordinal model is the wrong
# one: see :ref:`multiclass`.
