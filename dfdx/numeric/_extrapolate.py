"""Sequence acceleration: Richardson on geometric stencils, Wynn's epsilon, Levin-style tail checks.

`richardson_window` turns the values of f on a window of geometric step levels
into a derivative estimate, its rounding error and its order; the caller builds
the sequence of windows and reads the truncation error off successive estimates.
`wynn_epsilon` accelerates sequences that converge logarithmically or
alternate (used by `limit`).
"""

from __future__ import annotations

import numpy as np

from dfdx.numeric._stencils import _weights_cached

__all__ = ["richardson_window", "wynn_epsilon", "richardson_limit"]

EPS = np.finfo(float).eps
# why: f itself is computed with a few roundings; 8 ulps of |f| per evaluation is a safe
# model of the noise in each value a stencil combines.
NOISE_ULPS = 8.0


def richardson_window(values: np.ndarray, offsets: np.ndarray, scale: np.ndarray, n: int):
    """Combine values on one window of offsets into an n-th derivative estimate.

    Args:
        values: shape (E, P): f at ``x + offsets * scale`` for E independent elements,
            NaN where f is undefined (those points are dropped, never used).
        offsets: shape (P,), offsets in units of `scale`.
        scale: shape (E,), the step unit of each element.
        n: derivative order.

    Returns:
        ``(estimate, rounding, order)``, each shape (E,); the estimate is NaN where
        fewer than n + 1 points are defined.
    """
    E, P = values.shape
    est = np.full(E, np.nan)
    rnd = np.full(E, np.inf)
    order = np.zeros(E, dtype=int)
    mask = np.isfinite(values)
    if E == 0:
        return est, rnd, order
    keys, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    for g, key in enumerate(keys):
        rows = np.nonzero(inverse == g)[0]
        if key.sum() < n + 1:
            continue
        c, p = _weights_cached(tuple(float(v) for v in offsets[key]), int(n))
        c = np.asarray(c)
        v = values[np.ix_(rows, np.nonzero(key)[0])]
        sn = scale[rows] ** n
        est[rows] = (v @ c) / sn
        rnd[rows] = NOISE_ULPS * EPS * (np.abs(v) @ np.abs(c)) / sn
        order[rows] = p
    return est, rnd, order


def wynn_epsilon(seq) -> tuple[float, float]:
    """Accelerate a sequence with Wynn's epsilon algorithm.

    Args:
        seq: partial values s_0, s_1, ... (floats).

    Returns:
        ``(best, error)``: the last even-column extrapolant and the difference to
        the one before it (an estimate of its error).

    Example:
        >>> s = np.cumsum([(-1) ** k / (2 * k + 1) for k in range(12)]) * 4   # pi, slowly
        >>> best, err = wynn_epsilon(s)
        >>> abs(best - np.pi) < 1e-9
        True
    """
    s = [float(v) for v in seq]
    m = len(s)
    if m < 3:
        return (s[-1], np.inf) if s else (np.nan, np.inf)
    prev = [0.0] * (m + 1)
    cur = s[:]
    evens = [cur[-1]]
    col = 0
    with np.errstate(all="ignore"):
        while len(cur) > 1:
            nxt = []
            for i in range(len(cur) - 1):
                d = cur[i + 1] - cur[i]
                if d == 0 or not np.isfinite(d):
                    nxt.append(np.inf)
                else:
                    nxt.append(prev[i + 1] + 1.0 / d)
            prev, cur = cur, nxt
            col += 1
            if col % 2 == 0 and cur and np.isfinite(cur[-1]):
                evens.append(cur[-1])
    if len(evens) < 2:
        return evens[-1], np.inf
    best = evens[-1]
    err = abs(evens[-1] - evens[-2])
    return best, err


def richardson_limit(seq, ratio: float, powers) -> tuple[float, float]:
    """Extrapolate ``s_k = L + sum_j a_j t_k**p_j`` with ``t_k = ratio**-k`` to t → 0.

    Args:
        seq: values s_k at t_k = ratio**-k (k = 0, 1, ...).
        ratio: the factor between successive t (> 1).
        powers: the exponents p_j of the error expansion to eliminate, in order.

    Returns:
        ``(L, error)``: the most extrapolated value and its distance to the previous
        diagonal entry.

    Example:
        >>> t = 2.0 ** -np.arange(6)
        >>> L, err = richardson_limit(1 + 3*t + 2*t**2, 2.0, [1, 2, 3])
        >>> round(L, 12)
        1.0
    """
    s = np.asarray(seq, dtype=float)
    table = [s]
    for p in powers:
        prev = table[-1]
        if prev.size < 2:
            break
        f = ratio ** p
        table.append((f * prev[1:] - prev[:-1]) / (f - 1))
    diag = [t[-1] for t in table]
    if len(diag) < 2:
        return float(diag[-1]), np.inf
    return float(diag[-1]), float(abs(diag[-1] - diag[-2]))
