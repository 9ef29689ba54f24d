"""Sorting and order statistics: np.sort, np.median, np.quantile, np.percentile (and
their nan- forms), np.unique and np.histogram.

Sorting permutes its input, so its derivative is the permutation. Convention
at ties (the mean of the one-sided derivatives): tied elements share evenly,
i.e. each output among a run of equal values gets the mean of the tangents of
the tied inputs, and each tied input gets the mean of their cotangents.
np.argsort has derivative zero (it is registered with the shape rules).

A quantile is piecewise linear in q: its derivative in q is the slope between
the two order statistics it interpolates, and at a knot the mean of the two
one-sided slopes. np.unique's values are the values of their groups (the mean
of the group's derivatives at ties); np.histogram's edges follow min and max of
the data when ``bins`` is a count and no range is given.
"""

import numpy as np

from dfdx._core import Box
from dfdx._errors import UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import defcomposite, defrule, shape_of
from dfdx.rules._util import untake


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
    return np.matmul(ties, np.expand_dims(v, -1))[..., 0]


def _sort_vjp(g, ans, x, axis=-1):
    perm, inv, ties = _order(x, axis)
    gs = _average_ties(np.moveaxis(g, axis, -1), ties)
    return np.moveaxis(np.take_along_axis(gs, inv, -1), -1, axis)


def _sort_jvp(t, ans, x, axis=-1):
    perm, inv, ties = _order(x, axis)
    ts = np.take_along_axis(np.moveaxis(t, axis, -1), perm, -1)
    return np.moveaxis(_average_ties(ts, ties), -1, axis)


sort_prim = defrule(_sort, vjp=_sort_vjp, jvp=_sort_jvp, name="numpy.sort")


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise UnsupportedOperation("dfdx differentiates numpy.sort of plain arrays, not with "
                                   "order= (structured arrays). Sort the field you need: "
                                   "np.sort(x[name]).")
    if axis is None:
        return sort_prim(np.ravel(a), axis=0)
    return sort_prim(a, axis=axis % len(shape_of(a)))


_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _dtype_of(a):
    v = getval(a)
    return v.dtype if hasattr(v, "dtype") else np.asarray(v).dtype


def _result_dtype(a, q, method, weak):
    """The dtype NumPy's quantile returns: that of `a` where it takes an order statistic;
    where it interpolates, `a`'s promoted with q's (a Python q is weak: float32 stays)."""
    adt = _dtype_of(a)
    qdt = _dtype_of(q)
    if method in ("lower", "higher", "nearest") or (method == "linear" and qdt.kind in "biu"):
        return adt
    return np.result_type(adt, 0.0) if weak else np.result_type(adt, qdt)


def _as_dtype(v, dt):
    return v if _dtype_of(v) == dt else v.astype(dt)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    return _quantile(a, q, axis, out, method, keepdims, weights, interpolation,
                     weak=type(q) in (int, float))


def _quantile(a, q, axis, out, method, keepdims, weights, interpolation, weak):
    # overwrite_input only lets NumPy scramble its input; a traced input is never changed.
    method = _quantile_method(method, out, weights, interpolation)
    nd = len(shape_of(a))
    if axis is None:
        s = sort(np.ravel(a), axis=0)
    elif isinstance(axis, (tuple, list)):
        raise UnsupportedOperation("dfdx differentiates numpy.quantile along one axis or all, "
                                   "not a tuple of axes. Move the axes together and reshape.")
    else:
        axis %= nd
        s = np.moveaxis(sort(a, axis=axis), axis, 0)
    n = shape_of(s)[0]
    qv = np.asarray(getval(q))
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    dt = _result_dtype(a, q, method, weak)
    out = _as_dtype(_order_statistic(s, q, qv, n, method, dt), dt)
    if keepdims:
        rest = shape_of(out)[qv.ndim:]
        if axis is None:
            out = np.reshape(out, qv.shape + (1,) * nd)
        else:
            out = np.reshape(out, qv.shape + rest[:axis] + (1,) + rest[axis:])
    return out


def _quantile_method(method, out, weights, interpolation):
    """The method= asked for (or the deprecated interpolation=), refused where unsupported."""
    if interpolation is not None:
        method = interpolation   # NumPy's deprecated name for method=
    if method not in _METHODS or weights is not None:
        what = "weights=" if weights is not None else f"method={method!r}"
        raise UnsupportedOperation(
            f"dfdx differentiates numpy.quantile / numpy.percentile with method= one of "
            f"{', '.join(_METHODS)} and no weights, not {what}. Use method='linear'.")
    if out is not None:
        raise UnsupportedOperation("numpy.quantile(..., out=...) is not supported on a traced "
                                   "value: use the returned value instead of out=.")
    return method


def _order_statistic(s, q, qv, n, method, dt):
    """The quantiles `q` of the sorted values `s` (sorted along axis 0, `n` of them)."""
    pos_v = qv * (n - 1)
    floor = np.floor(pos_v)
    lo = floor.astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    bshape = qv.shape + (1,) * (len(shape_of(s)) - 1)
    if method == "linear":
        # why: the value is piecewise linear in q, with slope (n - 1) (s[lo + 1] - s[lo]);
        # at a knot (q (n - 1) an integer) the slope is the mean of the two one-sided ones.
        knot = pos_v == floor
        left = np.maximum(lo - 1, 0)
        right = np.minimum(lo + 1, n - 1)
        sides = np.maximum((lo > 0).astype(np.intp) + (lo < n - 1), 1)   # 2 inside, 1 at an end
        step = np.where(knot.reshape(bshape),
                        (s[right] - s[left]) / sides.astype(dt).reshape(bshape),
                        s[hi] - s[lo])
        # the weight in q's dtype (a Python q: in the result's), as NumPy computes it
        w = (np.reshape(q * (n - 1) - floor, bshape) if isinstance(q, Box) else
             (pos_v - floor).astype(dt).reshape(bshape))
        out = s[lo] + w * step
    else:
        if method == "lower":
            k = lo
        elif method == "higher":
            k = np.ceil(pos_v).astype(np.intp)
        elif method == "nearest":
            k = np.around(pos_v).astype(np.intp)
        if method == "midpoint":
            out = (s[lo] + s[np.ceil(pos_v).astype(np.intp)]) / 2
        else:
            out = s[k]
    return out


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    return _quantile(a, np.true_divide(q, 100), axis, out, method, keepdims, weights,
                     interpolation, weak=type(q) in (int, float))


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if out is not None:
        raise UnsupportedOperation("numpy.median(..., out=...) is not supported on a traced "
                                   "value: use the returned value instead of out=.")
    nd = len(shape_of(a))
    if axis is None:
        s, ax = sort(np.ravel(a), axis=0), 0
    else:
        ax = axis % nd
        s = sort(a, axis=ax)
    n = shape_of(s)[ax]
    idx = [slice(None)] * len(shape_of(s))
    idx[ax] = slice((n - 1) // 2, n // 2 + 1)
    out = np.mean(s[tuple(idx)], axis=ax, keepdims=True)
    if keepdims:
        return np.reshape(out, (1,) * nd) if axis is None else out
    return np.reshape(out, tuple(v for i, v in enumerate(shape_of(out)) if i != ax))


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    return _nanquantile(a, q, axis, out, method, keepdims, weights, interpolation,
                        weak=type(q) in (int, float))


def _nanquantile(a, q, axis, out, method, keepdims, weights, interpolation, weak):
    if out is not None:
        raise UnsupportedOperation("numpy.nanquantile(..., out=...) is not supported on a "
                                   "traced value: use the returned value instead of out=.")
    def quantile(a, q):
        return _quantile(a, q, None, None, method, False, weights, interpolation, weak)

    def all_nan(shape):
        return np.full(shape, np.nan, dtype=_result_dtype(a, q, method, weak))

    nd = len(shape_of(a))
    if axis is None:
        flat = np.ravel(a)
        keep = ~np.isnan(getval(flat))
        r = quantile(flat[np.flatnonzero(keep)], q) if keep.any() else \
            all_nan(np.shape(getval(q)))
        return np.reshape(r, np.shape(getval(q)) + (1,) * nd) if keepdims else r
    if isinstance(axis, (tuple, list)):
        raise UnsupportedOperation("dfdx differentiates numpy.nanquantile along one axis or "
                                   "all, not a tuple of axes. Move the axes together and reshape.")
    axis %= nd
    moved = np.moveaxis(a, axis, -1)
    rest = tuple(shape_of(moved)[:-1])
    rows = np.reshape(moved, (-1, shape_of(moved)[-1]))
    qshape = np.shape(getval(q))
    outs = []
    # why: each slice keeps a different number of values, so each is its own quantile
    for j in range(shape_of(rows)[0]):
        keep = np.flatnonzero(~np.isnan(getval(rows)[j]))
        outs.append(quantile(rows[j, keep], q) if keep.size else all_nan(qshape))
    r = np.moveaxis(np.reshape(np.stack(outs), rest + qshape), tuple(range(len(rest))),
                    tuple(range(len(qshape), len(qshape) + len(rest))))
    if keepdims:
        r = np.expand_dims(r, len(qshape) + axis)
    return r


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None, interpolation=None):
    return _nanquantile(a, np.true_divide(q, 100), axis, out, method, keepdims, weights,
                        interpolation, weak=type(q) in (int, float))


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return nanquantile(a, 0.5, axis=axis, out=out, keepdims=keepdims)


for _np_fn, _impl in {np.sort: sort, np.median: median, np.quantile: quantile,
                      np.percentile: percentile, np.nanquantile: nanquantile,
                      np.nanpercentile: nanpercentile, np.nanmedian: nanmedian}.items():
    defcomposite(_np_fn, _impl)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):
    """np.unique: the unique values keep their derivative (each is the value of its group,
    the mean of the group's derivatives at ties); indices and counts are plain."""
    v = getval(ar)
    res = np.unique(v, return_index=True, return_inverse=True, return_counts=True, axis=axis,
                    equal_nan=equal_nan, sorted=sorted)
    values, index, inverse, counts = res
    if axis is None:
        flat = np.ravel(ar)
        group = np.ravel(inverse)
        counts_f = counts.astype(_dtype_of(ar))   # why: int64 counts would upcast float32
        vals = untake(flat, group, (len(counts),)) / counts_f
    else:
        ax = axis % len(shape_of(ar))
        moved = np.moveaxis(ar, ax, 0)
        rest = shape_of(moved)[1:]
        group = np.ravel(inverse)
        summed = untake(moved, group, (len(counts),) + tuple(rest))
        counts_f = counts.astype(_dtype_of(ar)).reshape((-1,) + (1,) * len(rest))
        vals = np.moveaxis(summed / counts_f, 0, ax)
    extra = [r for r, want in zip((index, inverse, counts),
                                  (return_index, return_inverse, return_counts)) if want]
    return (vals, *extra) if extra else vals


def histogram(a, bins=10, range=None, density=None, weights=None):
    """np.histogram: counts are plain (a step function of `a`); weighted counts keep their
    derivative in the weights; with ``bins`` an int and no range, the edges depend on
    min(a) and max(a) and keep that derivative (so do densities, through the widths)."""
    va, vw = getval(a), (None if weights is None else getval(weights))
    counts, edges_v = np.histogram(va, bins=bins, range=range, weights=vw)
    traced_edges = isinstance(a, Box) and range is None and np.ndim(bins) == 0 \
        and not isinstance(bins, str)
    if traced_edges and np.size(va):
        lo, hi = np.min(np.ravel(a)), np.max(np.ravel(a))
        if getval(lo) == getval(hi):   # NumPy widens an empty range by 1/2 on each side
            lo, hi = lo - 0.5, hi + 0.5
        frac = np.linspace(0.0, 1.0, int(bins) + 1, dtype=edges_v.dtype)   # NumPy's edge dtype
        edges = lo + (hi - lo) * frac
    else:
        edges = edges_v
    hist = counts
    if isinstance(weights, Box):
        # which bin each element falls in, as NumPy decides it (last edge inclusive)
        flat = np.ravel(va)
        idx = np.searchsorted(edges_v, flat, side="right") - 1
        idx[flat == edges_v[-1]] = len(edges_v) - 2
        keep = (idx >= 0) & (idx < len(edges_v) - 1)
        hist = untake(np.ravel(weights)[np.flatnonzero(keep)], idx[keep],
                      (len(edges_v) - 1,))
    if density:
        # NumPy computes a density in float64 (for float32 data too); why astype: its
        # cotangent goes back to float32, which a mixed float32 / float64 divide's does not.
        widths = _as_dtype(edges[1:] - edges[:-1], np.result_type(edges_v.dtype, np.float64))
        hist = _as_dtype(hist, np.result_type(_dtype_of(hist), np.float64))
        hist = hist / widths / np.sum(hist)
    return hist, edges


for _np_fn, _impl in {np.unique: unique, np.histogram: histogram}.items():
    defcomposite(_np_fn, _impl)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """np.partition: NumPy's arrangement, each element taken from the sorted values by its
    rank among the result (so the derivative, ties included, is np.sort's)."""
    if order is not None:
        raise UnsupportedOperation("dfdx differentiates numpy.partition of plain arrays, not "
                                   "with order= (structured arrays). Partition the field you "
                                   "need: np.partition(x[name], kth).")
    if axis is None:
        a, axis = np.ravel(a), 0
    axis %= max(len(shape_of(a)), 1)
    v = np.partition(getval(a), kth, axis=axis, kind=kind)
    rank = np.argsort(np.argsort(v, axis=axis, kind="stable"), axis=axis, kind="stable")
    return np.take_along_axis(sort(a, axis=axis), rank, axis=axis)


defcomposite(np.partition, partition)
