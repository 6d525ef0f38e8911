"""Class labels as the targets a loss compares scores with.

Labels are encoded on the host (they may be strings) as integer codes, the
positions of the labels in the sorted ``classes_``; the targets are then
built in the namespace, on the device and in the dtype of the training data.
"""

import numpy as np

from ._array_api import asarray, astype, namespace_of

__all__ = ["coded_targets", "weight_per_class"]


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
