"""Sequence acceleration: Richardson extrapolation and Levin's u-transform.

`richardson_window` turns the values of f on a window of step levels into a
derivative estimate, its rounding error and its order; the caller builds the
sequence of windows and reads the truncation error off successive estimates.
`levin_u` accelerates logarithmically convergent sequences (used by `limit`
as an independent second opinion on slow limits).
"""

from __future__ import annotations

import math

import numpy as np

from dfdx.numeric._stencils import _weights_cached

__all__ = ["richardson_window", "levin_u"]

EPS = np.finfo(float).eps
# why: f itself is computed with a few roundings; 8 ulps of |f| per evaluation is a safe
# model of the noise in each value a stencil combines.
NOISE_ULPS = 8.0


def richardson_window(values: np.ndarray, offsets: np.ndarray, scale: np.ndarray, n: int,
                      noise: np.ndarray | None = None):
    """Combine values on one window of offsets into an n-th derivative estimate.

    Args:
        values: shape (E, P): f at ``x + offsets * scale`` for E independent elements,
            NaN where f is undefined (those points are dropped, never used).
        offsets: shape (P,), offsets in units of `scale`.
        scale: shape (E,), the step unit of each element.
        n: derivative order.
        noise: shape (E, P), an absolute error of each value beyond its rounding
            (e.g. from rounding the point it was evaluated at); None for none.

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
        # why: divide by the step n times, not by h**n: h**n under- or overflows long before
        # the estimate does (sqrt at 1e200 has h ~ 1e199 and f'' ~ 1e-301)
        sn = scale[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            e = v @ c
            for _ in range(int(n)):
                e = e / sn
            est[rows] = e
            r = NOISE_ULPS * EPS * (np.abs(v) @ np.abs(c))
            if noise is not None:
                r = r + noise[np.ix_(rows, np.nonzero(key)[0])] @ np.abs(c)
            for _ in range(int(n)):
                r = r / sn
        rnd[rows] = r
        order[rows] = p
    return est, rnd, order


def levin_u(seq, beta: float = 1.0) -> tuple[float, float]:
    """Accelerate a (possibly logarithmically) convergent sequence with Levin's u-transform.

    Args:
        seq: partial values s_0, s_1, ... (at least 4), equally spaced in their index.
        beta: the index offset of the remainder model (1 is the usual choice).

    Returns:
        ``(value, error)``: the transform of all terms and its distance to the
        transform without the last term.

    Example:
        >>> k = np.arange(1, 15)
        >>> s = np.cumsum(1.0 / k**2)          # pi**2 / 6, error ~ 1/k: logarithmic
        >>> v, err = levin_u(s)
        >>> bool(abs(v - np.pi**2 / 6) < 1e-8)
        True
    """
    s = np.asarray(seq, dtype=float)

    def transform(t):
        m = t.size - 2          # order: uses t[1..], terms a_n = t_n - t_{n-1}
        n = np.arange(1, t.size)
        a = np.diff(t)
        if np.any(a == 0):
            return float(t[-1])
        omega = (beta + n) * a
        j = np.arange(m + 1)
        coef = (-1.0) ** j * np.array([math.comb(m, int(i)) for i in j]) * \
            ((beta + n[0] + j) / (beta + n[0] + m)) ** (m - 1)
        num = np.sum(coef * t[1:] / omega)
        den = np.sum(coef / omega)
        return float(num / den)

    if s.size < 4:
        return (float(s[-1]), math.inf) if s.size else (math.nan, math.inf)
    with np.errstate(all="ignore"):
        v = transform(s)
        w = transform(s[:-1])
    return v, abs(v - w)
