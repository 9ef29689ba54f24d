"""Finite-difference stencils: weights for any set of offsets and any derivative order.

A stencil is a set of offsets ``o_i`` (in units of a step h) and weights ``c_i`` with
``sum_i c_i f(x + o_i h) / h**n = f^(n)(x) + O(h**p)``. The weights solve the
moment conditions ``sum_i c_i o_i**k / k! = [k == n]`` for ``k < len(offsets)``,
so any subset of points works: this is what lets a stencil drop the points where
f is undefined and still give an honest estimate from the rest.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["weights", "batched_weights", "accuracy_order", "geometric_offsets"]


def batched_weights(offsets: np.ndarray, n: int) -> np.ndarray:
    """Weights of the n-th derivative for each row of `offsets` (shape (N, m)), solved at once.

    The rows are scaled to unit size first (the moment matrix of tiny or huge offsets
    is badly conditioned otherwise), so offsets may be in any unit: in step units the
    weights are those of `weights`; in coordinates they include the 1/h**n.
    """
    o = np.asarray(offsets, dtype=float)
    N, m = o.shape
    scale = np.max(np.abs(o), axis=1, keepdims=True)
    o = o / scale
    k = np.arange(m)
    fact = np.array([math.factorial(int(i)) for i in k], dtype=float)
    V = o[:, None, :] ** k[None, :, None] / fact[None, :, None]        # (N, m, m)
    rhs = np.zeros((N, m, 1))
    rhs[:, n, 0] = 1.0
    return np.linalg.solve(V, rhs)[..., 0] / scale ** n


@lru_cache(maxsize=4096)
def _weights_cached(offsets: tuple, n: int) -> tuple:
    o = np.asarray(offsets, dtype=float)
    m = o.size
    c = batched_weights(o[None, :], n)[0]
    # why: on a symmetric set of offsets the exact weights are (anti)symmetric; imposing it
    # removes the solver's rounding, so e.g. |x| at 0 gives exactly 0 (the symmetric derivative).
    order_idx = np.argsort(o)
    if np.array_equal(o[order_idx], -o[order_idx][::-1]):
        mirror = np.empty(m, dtype=int)
        mirror[order_idx] = order_idx[::-1]
        c = 0.5 * (c + (-1) ** n * c[mirror])
    # why: the order of accuracy is read off the first moment that is not cancelled;
    # symmetric stencils cancel one more than their size suggests.
    p = None
    scale = np.sum(np.abs(c) * np.abs(o) ** m) + 1e-300
    for kk in range(m, m + 3):
        mom = np.sum(c * o**kk) / math.factorial(kk)
        if abs(mom) > 1e-9 * scale / math.factorial(kk):
            p = kk - n
            break
    if p is None:
        p = m + 2 - n
    return tuple(c), p


def weights(offsets, n: int) -> np.ndarray:
    """Return the weights of the n-th derivative stencil on `offsets` (in step units).

    Args:
        offsets: distinct real offsets, at least n + 1 of them.
        n: derivative order (0 allowed: interpolation to the centre).

    Returns:
        Array of weights, same length as `offsets`.

    Example:
        >>> weights([-1.0, 0.0, 1.0], 2).tolist()
        [1.0, -2.0, 1.0]
    """
    c, _ = _weights_cached(tuple(float(v) for v in offsets), int(n))
    return np.array(c)


def accuracy_order(offsets, n: int) -> int:
    """Return p such that the stencil's error is O(h**p).

    Example:
        >>> accuracy_order([-1.0, 0.0, 1.0], 1), accuracy_order([0.0, 1.0], 1)
        (2, 1)
    """
    return _weights_cached(tuple(float(v) for v in offsets), int(n))[1]


def geometric_offsets(w: int, q: float, side: int, center: bool = True) -> np.ndarray:
    """Return the offsets of a geometric stencil: ``±q**-j`` for j < w, and 0.

    Args:
        w: number of step levels.
        q: ratio between successive steps (> 1).
        side: 0 for both sides, +1 for forward (positive offsets), -1 for backward.
        center: include the offset 0.

    Example:
        >>> geometric_offsets(2, 2.0, 0).tolist()
        [0.0, 1.0, 0.5, -1.0, -0.5]
    """
    pos = q ** -np.arange(w, dtype=float)
    parts = [np.zeros(1)] if center else []
    if side >= 0:
        parts.append(pos)
    if side <= 0:
        parts.append(-pos)
    return np.concatenate(parts)
