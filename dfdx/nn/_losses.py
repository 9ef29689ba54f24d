"""Losses written for stability and speed (few primitives), and accuracy.

Cross-entropies take logits, never probabilities: log-probabilities are formed
with a log-sum-exp, so no exp overflows and no log(0) appears.
"""

from __future__ import annotations

import math

import numpy as np

from dfdx.nn._activations import logsumexp

__all__ = ["mse", "binary_cross_entropy", "softmax_cross_entropy", "gaussian_nll", "accuracy",
           "one_hot"]


def _dtype(z):
    dt = np.result_type(z)
    return dt if dt.kind == "f" else np.float64


def _as_array(x):
    # why: an array-like value (a traced or dfdx.vmap-mapped one) stays itself; np.asarray
    # would refuse a mapped value and drop the derivative of a traced one.
    return x if hasattr(x, "dtype") and hasattr(x, "shape") else np.asarray(x)


def one_hot(labels, num_classes, dtype=np.float64):
    """Return the one-hot encoding of integer `labels`, shape ``(*labels.shape, num_classes)``.

    Example:
        >>> from dfdx import nn
        >>> nn.one_hot([0, 2], 3)
        array([[1., 0., 0.],
               [0., 0., 1.]])
    """
    labels = _as_array(labels)
    if labels.dtype.kind not in "iub":
        raise TypeError(f"one_hot needs integer class labels, got dtype {labels.dtype}.")
    if hasattr(labels, "map_blocks"):
        # why: a lazy (Dask) array is checked block by block when it is computed; checking
        # now would compute all the labels while a gradient is being traced.
        labels = labels.map_blocks(_in_range, num_classes, dtype=labels.dtype)
    else:
        _in_range(labels, num_classes)
    return (labels[..., None] == np.arange(num_classes)).astype(dtype)


def _in_range(labels, num_classes):
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"Labels must lie in [0, {num_classes}), got range "
                         f"[{labels.min()}, {labels.max()}].")
    return labels


def mse(pred, target):
    """Return the mean squared error ``mean((pred - target)**2)``.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> float(nn.mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
        2.0
    """
    d = pred - target
    return np.mean(d * d)


def gaussian_nll(mean, target, sigma=1.0):
    """Return the mean negative log-likelihood of `target` under N(mean, sigma**2).

    Args:
        mean: predicted means.
        target: observations, shaped like `mean`.
        sigma: noise standard deviation (a number, or an array for a learned one).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> round(float(nn.gaussian_nll(np.zeros(1), np.zeros(1))), 6)   # log(2 pi) / 2
        0.918939
    """
    d = (target - mean) / sigma
    # why: a Python float constant keeps float32 losses float32
    log_sigma = math.log(sigma) if isinstance(sigma, (int, float)) else np.log(sigma)
    return 0.5 * np.mean(d * d) + log_sigma + 0.5 * math.log(2 * math.pi)


def binary_cross_entropy(logits, labels, label_smoothing=0.0):
    """Return the mean binary cross-entropy of 0/1 `labels` given logits (stable).

    ``mean(softplus(z) - y z)``, which equals ``-mean(y log p + (1-y) log(1-p))``
    for ``p = sigmoid(z)`` without forming p.

    Args:
        logits: any shape.
        labels: 0/1 (or soft targets in [0, 1]), the shape of `logits`.
        label_smoothing: eps moves targets to ``y (1 - eps) + eps / 2``.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> round(float(nn.binary_cross_entropy(np.array([0.0]), np.array([1]))), 6)  # log 2
        0.693147
        >>> float(nn.binary_cross_entropy(np.array([1000.0]), np.array([1])))
        0.0
    """
    y = _as_array(labels)
    if y.dtype != _dtype(logits):
        y = y.astype(_dtype(logits))
    if label_smoothing:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    return np.mean(np.logaddexp(0, logits) - y * logits)


def softmax_cross_entropy(logits, labels, label_smoothing=0.0):
    """Return the mean softmax cross-entropy of `labels` given class logits (stable).

    ``mean(logsumexp(z) - sum(t * z))`` with targets t that sum to 1, equal to
    ``-mean(sum(t * log_softmax(z)))``.

    Args:
        logits: shape ``(batch, classes)`` (or ``(classes,)``).
        labels: integer classes of shape ``(batch,)``, or target probabilities
            shaped like `logits`.
        label_smoothing: eps mixes targets with the uniform distribution:
            ``t (1 - eps) + eps / classes``.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> z = np.array([[0.0, 0.0], [1000.0, 0.0]])
        >>> round(float(nn.softmax_cross_entropy(z, np.array([0, 0]))), 6)   # (log 2 + 0) / 2
        0.346574
    """
    k = np.shape(logits)[-1]
    dtype = _dtype(logits)
    labels = _as_array(labels)
    if labels.dtype.kind in "iub" and labels.shape == np.shape(logits)[:-1]:
        t = one_hot(labels, k, dtype)
    elif labels.shape == np.shape(logits):
        t = labels.astype(dtype, copy=False)
    else:
        raise ValueError(f"softmax_cross_entropy: labels of shape {labels.shape} fit neither "
                         f"integer classes {np.shape(logits)[:-1]} nor targets "
                         f"{np.shape(logits)}.")
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / k
    return np.mean(logsumexp(logits, axis=-1) - np.sum(t * logits, axis=-1))


def accuracy(logits, labels):
    """Return the fraction of rows whose arg-max matches the label (a float).

    `logits` of shape ``(batch,)`` or ``(batch, 1)`` are read as binary logits
    (positive means class 1).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
        0.5
    """
    z = np.asarray(logits)
    labels = np.asarray(labels)
    if z.ndim == 1 or z.shape[-1] == 1:
        pred = (z.reshape(labels.shape) > 0).astype(labels.dtype)
    else:
        pred = np.argmax(z, axis=-1)
    if labels.ndim == z.ndim and z.ndim > 1 and z.shape[-1] > 1:
        labels = np.argmax(labels, axis=-1)
    return float(np.mean(pred == labels))
