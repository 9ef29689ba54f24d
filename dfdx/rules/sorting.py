"""Sorting and order statistics: np.sort (values), np.median, np.quantile, np.percentile.

Sorting permutes its input, so its derivative is the permutation. Convention
at ties (the mean of the one-sided derivatives): tied elements share evenly,
i.e. each output among a run of equal values gets the mean of the tangents of
the tied inputs, and each tied input gets the mean of their cotangents.
np.argsort has derivative zero (it is registered with the shape rules).
"""

import numpy as np

from dfdx._numpy.box import getval
from dfdx._numpy.registry import defcomposite, defrule, shape_of
from dfdx.rules.linalg import matmul
from dfdx.rules.reductions import mean
from dfdx.rules.shape import expand_dims, getitem, moveaxis, ravel, reshape


def _sort(x, axis=-1):
    return np.sort(x, axis=axis)


def _order(x, axis):
    """The sorting permutation along the last axis (after moving `axis` there), and
    its inverse, and the tie-averaging matrix (None without ties): constants."""
    xs = np.moveaxis(getval(x), axis, -1)
    perm = np.argsort(xs, axis=-1, kind="stable")
    inv = np.argsort(perm, axis=-1)
    s = np.take_along_axis(xs, perm, -1)
    ties = None
    if s.shape[-1] > 1 and np.any(s[..., 1:] == s[..., :-1]):
        same = (s[..., :, None] == s[..., None, :]).astype(np.result_type(s))
        ties = same / np.sum(same, axis=-1, keepdims=True)
    return perm, inv, ties


def _average_ties(v, ties):
    if ties is None:
        return v
    return matmul(ties, expand_dims(v, -1))[..., 0]


def _sort_vjp(g, ans, x, axis=-1):
    perm, inv, ties = _order(x, axis)
    gs = _average_ties(moveaxis(g, axis, -1), ties)
    return moveaxis(np.take_along_axis(gs, inv, -1), -1, axis)


def _sort_jvp(t, ans, x, axis=-1):
    perm, inv, ties = _order(x, axis)
    ts = np.take_along_axis(moveaxis(t, axis, -1), perm, -1)
    return moveaxis(_average_ties(ts, ties), -1, axis)


sort_prim = defrule(_sort, vjp=_sort_vjp, jvp=_sort_jvp, name="numpy.sort")


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise NotImplementedError("dfdx differentiates np.sort of plain arrays, not order=.")
    if axis is None:
        return sort_prim(ravel(a), axis=0)
    return sort_prim(a, axis=axis % len(shape_of(a)))


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    if method != "linear" or weights is not None or interpolation is not None:
        raise NotImplementedError("dfdx differentiates np.quantile / np.percentile with "
                                  "method='linear' and no weights only.")
    if out is not None:
        raise TypeError("out= is not supported on traced values; use the returned value.")
    nd = len(shape_of(a))
    if axis is None:
        s = sort(ravel(a), axis=0)
    else:
        axis %= nd
        s = moveaxis(sort(a, axis=axis), axis, 0)
    n = shape_of(s)[0]
    q = np.asarray(getval(q), dtype=np.float64)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    pos = q * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo).reshape(q.shape + (1,) * (len(shape_of(s)) - 1))
    out = getitem(s, lo) * (1 - w) + getitem(s, hi) * w
    if keepdims:
        rest = shape_of(out)[q.ndim:]
        if axis is None:
            out = reshape(out, q.shape + (1,) * nd)
        else:
            out = reshape(out, q.shape + rest[:axis] + (1,) + rest[axis:])
    return out


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    return quantile(a, np.asarray(getval(q), dtype=np.float64) / 100, axis=axis, out=out,
                    method=method, keepdims=keepdims, weights=weights,
                    interpolation=interpolation)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if out is not None:
        raise TypeError("out= is not supported on traced values; use the returned value.")
    nd = len(shape_of(a))
    if axis is None:
        s, ax = sort(ravel(a), axis=0), 0
    else:
        ax = axis % nd
        s = sort(a, axis=ax)
    n = shape_of(s)[ax]
    idx = [slice(None)] * len(shape_of(s))
    idx[ax] = slice((n - 1) // 2, n // 2 + 1)
    out = mean(getitem(s, tuple(idx)), axis=ax, keepdims=True)
    if keepdims:
        return reshape(out, (1,) * nd) if axis is None else out
    return reshape(out, tuple(v for i, v in enumerate(shape_of(out)) if i != ax))


for _np_fn, _impl in {np.sort: sort, np.median: median, np.quantile: quantile,
                      np.percentile: percentile}.items():
    defcomposite(_np_fn, _impl)
