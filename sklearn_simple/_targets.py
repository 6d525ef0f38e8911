"""Class labels as the targets a loss compares scores with.

Labels are encoded on the host (they may be strings) as integer codes, the
positions of the labels in the sorted ``classes_``; the targets are then
built in the namespace, on the device and in the dtype of the training data.
"""

from numbers import Real

import numpy as np

from ._array_api import asarray, astype, namespace_of, to_numpy
from ._exceptions import plain

__all__ = ["balanced_weights", "coded_targets", "known_classes", "weight_per_class"]


def weight_per_class(codes, sample_weight, n_classes: int):
    """The total sample weight of each class (numpy, float64).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._targets import weight_per_class
    >>> weight_per_class(np.array([0, 1, 1]), np.array([1.0, 2.0, 0.5]), 3)
    array([1. , 2.5, 0. ])
    """
    # By blocks: bincount makes a float64 copy of its weights.
    return sum(
        np.bincount(codes[i : i + 2**16], sample_weight[i : i + 2**16], n_classes)
        for i in range(0, len(codes), 2**16)
    )


def coded_targets(codes, n_classes: int, targets, like):
    """The targets of ``codes``: one column for two classes, else one per class.

    ``targets`` is the loss's ``(negative, positive)`` coding. With two
    classes, code 1 is positive; with more, column ``k`` is positive for the
    rows of class ``k`` (one-vs-rest). Built directly in the dtype, namespace
    and device of ``like`` (the sample weights), so that no float64 copy of
    the targets exists beside a float32 one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._targets import coded_targets
    >>> coded_targets(np.array([0, 2, 1]), 3, (-1.0, 1.0), np.ones(3))
    array([[ 1., -1., -1.],
           [-1., -1.,  1.],
           [-1.,  1., -1.]])
    """
    neg, pos = targets
    xp, device = namespace_of(like)
    if xp is not np:
        codes = asarray(xp, codes, xp.int64, device)
        if n_classes == 2:
            is_pos = (codes == 1)[:, None]
        else:
            is_pos = codes[:, None] == xp.arange(n_classes, device=device)
        # Exact: the codes are small integers.
        return astype(xp, is_pos, like.dtype) * (pos - neg) + neg
    shape = (len(codes), 1 if n_classes == 2 else n_classes)
    Y = np.full(shape, neg, dtype=like.dtype)
    if n_classes == 2:
        # copyto with a mask: indexing with it would list the indices.
        np.copyto(Y[:, 0], pos, where=codes == 1)
    else:
        Y[np.arange(len(codes)), codes] = pos
    return Y


def known_classes(y, previous, incremental: bool, classes):
    """Every class of the model, sorted, as numpy; checks ``y`` against them.

    ``previous`` are the classes of a model that ``partial_fit`` continues
    (None otherwise); ``classes`` the argument of ``partial_fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._targets import known_classes
    >>> known_classes(np.array(["b", "a", "b"]), None, False, None)
    array(['a', 'b'], dtype='<U1')
    """
    if previous is not None:
        known = previous
        if classes is not None and not np.array_equal(
            np.unique(to_numpy(classes)), known
        ):
            raise ValueError(
                f"classes={plain(classes)!r} differs from the classes of the first "
                f"partial_fit call, {plain(known)!r}."
            )
    elif incremental:
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "list of every class the model will ever see."
            )
        known = np.unique(to_numpy(classes))
    else:
        known = np.unique(y)
    # fit takes its classes from y; partial_fit must check y against them.
    unknown = np.setdiff1d(y, known) if incremental else ()
    if len(unknown):
        raise ValueError(
            f"y contains labels {plain(unknown)!r} that are not in classes "
            f"{plain(known)!r}; pass every label in classes on the first "
            "partial_fit call."
        )
    return known


def balanced_weights(class_weight, classes, per_class, seen):
    """``(weights, seen)``: the weight of each class, and the totals balanced.

    ``class_weight`` is the parameter; ``per_class`` the total sample weight
    of each class in this call, ``seen`` those of the earlier calls of
    ``partial_fit`` (or None), which "balanced" adds to them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_simple._targets import balanced_weights
    >>> balanced_weights("balanced", np.array([0, 1]), np.array([1.0, 3.0]), None)
    (array([2.        , 0.66666667]), (1.0, 3.0))
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes), seen
    if isinstance(class_weight, str):
        if seen is not None:
            per_class = per_class + np.asarray(seen)
        # The weighted form of compute_class_weight("balanced", ...), by
        # hand: scikit-learn 1.6 does not take sample_weight there.
        present = per_class > 0
        weights = np.ones(n_classes)
        weights[present] = per_class.sum() / (
            np.count_nonzero(present) * per_class[present]
        )
        # A tuple, not an array: host bookkeeping, whatever the namespace.
        return weights, tuple(per_class.tolist())
    if not all(
        isinstance(w, Real) and np.isfinite(w) and w >= 0 for w in class_weight.values()
    ):
        raise ValueError(
            f"class_weight={plain(class_weight)!r} must map classes to finite, "
            "non-negative numbers (weights multiplying sample_weight)."
        )
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight has keys {sorted(map(str, unknown))} that are not "
            f"classes; the classes are {classes.tolist()}."
        )
    return np.array([float(class_weight.get(c, 1.0)) for c in classes]), seen
