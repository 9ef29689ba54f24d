"""Shape and indexing: reshaping, transposing, joining, slicing and scattering.

Only a few of these are primitives (reshape, transpose, broadcast_to, indexing
and its adjoint `untake`, concatenate, flip, roll, pad); the rest are
composed from them, so they need no rules of their own.
"""

import math

import numpy as np

from dfdx._core import Box
from dfdx._errors import UnsupportedOperation
from dfdx._numpy.box import _astype, _getitem, getval
from dfdx._numpy.registry import (FUNCTIONS, defcomposite, defrule, defzero, shape_of, unbroadcast,
                                  unbroadcast_batched)
from dfdx.rules._util import (_batched_shape, _getitem_bjvp, _untake_bjvp, as_array, cast_to,
                              norm_axis, shift_axes, untake)


# --- primitives ----------------------------------------------------------

def _reshape(x, shape, order="C"):
    if hasattr(x, "reshape"):   # a duck array's reshape may take no order= (Dask)
        return x.reshape(shape) if order == "C" else x.reshape(shape, order=order)
    return np.reshape(x, shape, order=order)


reshape = defrule(
    _reshape,
    vjp=(lambda g, ans, x, shape, order="C": reshape(g, shape_of(x), order=order), None),
    jvp=(lambda t, ans, x, shape, order="C": reshape(t, shape_of(ans), order=order), None),
    # why: batched rules: the generated form costs 1.26x / 1.41x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=(lambda t, ans, x, shape, order="C": reshape(t, _batched_shape(t, ans), order=order),
          None),
    bvjp=(lambda g, ans, x, shape, order="C": reshape(g, _batched_shape(g, shape_of(x)),
                                                      order=order), None),
    name="numpy.reshape", shape_only=("ans", 0))
defcomposite(np.reshape, lambda a, shape=None, order="C", **kw: reshape(
    a, kw.get("newshape", shape), order=order))


def _transpose(x, axes=None):
    return np.transpose(x, axes)


def _transpose_bjvp(t, x, axes):
    nd = len(shape_of(x))
    axes = tuple(range(nd - 1, -1, -1)) if axes is None else axes
    return transpose(t, (0,) + tuple(a % nd + 1 for a in axes))


def _inverse_perm(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


transpose = defrule(
    _transpose,
    vjp=(lambda g, ans, x, axes=None: transpose(g, _inverse_perm(axes, len(shape_of(x)))), None),
    jvp=(lambda t, ans, x, axes=None: transpose(t, axes), None),
    # why: batched rules: the generated form costs 1.14x / 1.20x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=(lambda t, ans, x, axes=None: _transpose_bjvp(t, x, axes), None),
    bvjp=(lambda g, ans, x, axes=None: _transpose_bjvp(
        g, x, _inverse_perm(axes, len(shape_of(x))) if axes is not None else None), None),
    name="numpy.transpose", shape_only=("ans", 0))
defcomposite(np.transpose, lambda a, axes=None: transpose(a, axes))
defcomposite(np.permute_dims, lambda a, axes=None: transpose(a, axes))


def _broadcast_to(x, shape, subok=False):
    if hasattr(x, "__array_function__") and not isinstance(x, (np.ndarray, Box)):
        return np.broadcast_to(x, shape)   # a duck array (Dask, CuPy) keeps its type
    x = np.asarray(x)
    if x.shape == tuple(shape):
        return x
    if x.size == 1 and math.prod(shape) <= 4096:
        # why: np.broadcast_to costs ~3 us a call; filling a small array is 5x faster.
        out = np.empty(shape, x.dtype)
        out.fill(x.reshape(()))
        return out
    return np.broadcast_to(x, shape)


broadcast_to = defrule(
    np.broadcast_to,
    impl=_broadcast_to,
    vjp=(lambda g, ans, x, shape, subok=False: unbroadcast(g, x), None),
    jvp=(lambda t, ans, x, shape, subok=False: broadcast_to(t, shape), None),
    shape_only=("ans", 0),
    # why: batched rules: the generated form costs 1.43x / 1.59x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bvjp=(lambda g, ans, x, shape, subok=False: unbroadcast_batched(g, x), None),
    bjvp=(lambda t, ans, x, shape, subok=False: broadcast_to(
        _align_rank(t, x, len(tuple(shape))), _batched_shape(t, tuple(shape))), None))


def _align_rank(t, x, nd):
    xs = shape_of(x)
    if len(xs) < nd:
        t = reshape(t, (shape_of(t)[0],) + (1,) * (nd - len(xs)) + tuple(xs))
    return t


getitem = defrule(
    _getitem,
    vjp=(lambda g, ans, x, key: untake(g, key, shape_of(x)), None),
    jvp=(lambda t, ans, x, key: getitem(t, key), None),
    # why: batched rules: the generated form costs 1.37x / 1.22x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=(_getitem_bjvp, None),
    bvjp=(lambda g, ans, x, key: _untake_bjvp(g, None, None, key, shape_of(x)), None),
    name="indexing x[...]", shape_only=("ans", 0))


def _concatenate(axis, *xs):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(g, ans, axis, *xs):
    axis = 0 if axis is None else axis
    bounds = np.cumsum([shape_of(x)[axis] for x in xs])[:-1]
    nd = len(shape_of(g))
    parts = []
    start = 0
    for x, stop in zip(xs, list(bounds) + [None]):
        idx = [slice(None)] * nd
        idx[axis] = slice(start, stop)
        parts.append(getitem(g, tuple(idx)))
        start = stop
    return (None, *parts)


def _concatenate_jvp(ts, ans, axis, *xs):
    return concatenate_prim(axis, *(np.zeros_like(getval(x)) if t is None else t
                                    for x, t in zip(xs, ts[1:])))


def _concatenate_bjvp(ts, ans, axis, *xs):
    k = next(shape_of(t)[0] for t in ts[1:] if t is not None)
    axis = (0 if axis is None else axis) % len(shape_of(ans)) + 1
    return concatenate_prim(axis, *(np.zeros((k,) + tuple(shape_of(x)),
                                             np.result_type(getval(x))) if t is None else t
                                    for x, t in zip(xs, ts[1:])))


def _concatenate_bvjp(g, ans, axis, *xs):
    nd = len(shape_of(ans))
    return _concatenate_vjp(g, ans, (0 if axis is None else axis) % nd + 1,
                            *(_BatchedShape(shape_of(g)[0], x) for x in xs))


class _BatchedShape:
    """Stands for an argument of a batched sweep: its shape with the batch axis in front."""

    def __init__(self, k, x):
        self.shape = (k,) + tuple(shape_of(x))


# why: batched rules: the generated form costs 1.40x / 1.26x (jacfwd / jacrev,
#  benchmarks/RESULTS-batching.md)
concatenate_prim = defrule(_concatenate, vjp_all=_concatenate_vjp, jvp_all=_concatenate_jvp,
                           bjvp_all=_concatenate_bjvp, bvjp_all=_concatenate_bvjp,
                           name="numpy.concatenate")


def _join_dtype(name, arrays, out, dtype, casting):
    """NumPy's dtype=/casting= for joining: None (no cast), a float dtype, or 'plain'."""
    if out is not None:
        raise UnsupportedOperation(f"{name}(..., out=...) is not supported on a traced value: "
                                   "use the returned value instead of out=.")
    if dtype is None and casting in (None, "same_kind", "unsafe", "same_value"):
        return None
    # NumPy's casting check, on empty arrays of the same dtypes
    np.concatenate([np.empty((0,), np.result_type(getval(a))) for a in arrays], dtype=dtype,
                   casting="same_kind" if casting is None else casting)
    if dtype is None:
        return None
    return "plain" if np.dtype(dtype).kind not in "fc" else np.dtype(dtype)


def _cast_all(arrays, dt):
    return [a.astype(dt) if isinstance(a, Box) else np.asarray(a, dtype=dt) for a in arrays]


def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    # why: a plain list among the parts (``[[0.0], x, [0.0]]``) is a constant array.
    arrays = [np.asarray(a) if isinstance(a, (list, tuple)) else a for a in arrays]
    dt = _join_dtype("numpy.concatenate", arrays, out, dtype, casting)
    if dt == "plain":   # a cast to integers or booleans: a step function, derivative 0
        return np.concatenate([getval(a) for a in arrays], axis=axis, dtype=dtype,
                              casting=casting)
    if dt is not None:
        arrays = _cast_all(arrays, dt)
    if axis is None:
        return concatenate_prim(0, *(ravel(a) for a in arrays))
    return concatenate_prim(axis, *arrays)


defcomposite(np.concatenate, concatenate)

flip = defrule(
    np.flip,
    vjp=(lambda g, ans, x, axis=None: flip(g, axis),),
    jvp=(lambda t, ans, x, axis=None: flip(t, axis),),
    # why: batched forward rule: the generated form costs 1.40x (benchmarks/RESULTS-batching.md)
    bjvp=(lambda t, ans, x, axis=None: flip(t, shift_axes(axis, len(shape_of(x)))),))

roll = defrule(
    np.roll,
    vjp=(lambda g, ans, x, shift, axis=None: roll(g, np.negative(shift), axis), None),
    jvp=(lambda t, ans, x, shift, axis=None: roll(t, shift, axis), None),
    # why: batched forward rule: the generated form costs 1.25x (benchmarks/RESULTS-batching.md)
    bjvp=(lambda t, ans, x, shift, axis=None: (
        roll(t, shift, shift_axes(axis, len(shape_of(x)))) if axis is not None else
        reshape(roll(reshape(t, (shape_of(t)[0], -1)), shift, 1), shape_of(t))), None))


def _pad(x, pad_width, constant_values=0):
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _unpad(g, x, pad_width):
    widths = np.broadcast_to(np.asarray(pad_width), (len(shape_of(x)), 2))
    return getitem(g, tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape_of(x))))


pad_prim = defrule(
    _pad,
    vjp=(lambda g, ans, x, pad_width, constant_values=0: _unpad(g, x, pad_width), None),
    jvp=(lambda t, ans, x, pad_width, constant_values=0: pad_prim(t, pad_width), None),
    # why: batched forward rule: the generated form costs 1.14x (benchmarks/RESULTS-batching.md)
    bjvp=(lambda t, ans, x, pad_width, constant_values=0: pad_prim(
        t, [(0, 0)] + np.broadcast_to(np.asarray(pad_width), (len(shape_of(x)), 2)).tolist()),
        None),
    name="numpy.pad")

#: np.pad modes whose output only repeats input elements: an index map, so a gather.
_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode="constant", **kwargs):
    shape = shape_of(array)
    # NumPy's own checks of the widths, the mode and its keywords, on an index array
    index = np.pad(np.arange(math.prod(shape)).reshape(shape), pad_width, mode=mode,
                   **{k: getval(v) for k, v in kwargs.items()}) if not callable(mode) else None
    if mode == "constant":
        cv = kwargs.get("constant_values", 0)
        if np.ndim(getval(cv)) or isinstance(cv, Box):
            raise UnsupportedOperation(
                "dfdx differentiates numpy.pad with one constant constant_values= (not traced, "
                "not per axis). Pad with 0 and add the constant: np.pad(x, w) + c * mask.")
        return pad_prim(array, pad_width, constant_values=cv)
    if mode in _INDEX_MODES and kwargs.get("reflect_type", "even") == "even":
        return getitem(ravel(array), index)
    what = f"reflect_type={kwargs['reflect_type']!r}" if mode in _INDEX_MODES else f"mode={mode!r}"
    raise UnsupportedOperation(
        f"dfdx differentiates numpy.pad with mode= 'constant', {', '.join(_INDEX_MODES)} "
        f"(reflect_type='even'), not {what}. Build the padding from slices and "
        "np.concatenate instead.")


defcomposite(np.pad, pad)

astype = defrule(
    _astype,
    vjp=(lambda g, ans, x, dtype: _cast_back(g, np.result_type(getval(x))), None),
    jvp=(lambda t, ans, x, dtype: astype(t, dtype), None),
    # why: the batched forward rule is the plain one (a cast has no axes), not a second copy
    bjvp=(lambda t, ans, x, dtype: astype(t, dtype), None),
    name="astype")


def _cast_back(g, dt):
    # why: a real value keeps the real part of a complex cotangent (see dfdx.rules.ufuncs)
    if dt.kind != "c" and np.result_type(getval(g)).kind == "c":
        g = np.real(g)
    return astype(g, dt)


# --- composed from the primitives above ----------------------------------

def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def squeeze(a, axis=None):
    shape = shape_of(a)
    axes = [i for i, s in enumerate(shape) if s == 1] if axis is None else norm_axis(axis, len(shape))
    return reshape(a, tuple(s for i, s in enumerate(shape) if i not in axes))


def expand_dims(a, axis):
    shape = list(shape_of(a))
    axes = norm_axis(axis, len(shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1))
    for ax in axes:
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def moveaxis(a, source, destination):
    nd = len(shape_of(a))
    src = [s % nd for s in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [d % nd for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, tuple(order))


def swapaxes(a, axis1, axis2):
    nd = len(shape_of(a))
    perm = list(range(nd))
    perm[axis1 % nd], perm[axis2 % nd] = perm[axis2 % nd], perm[axis1 % nd]
    return transpose(a, tuple(perm))


def atleast_1d(*arys):
    out = [a if len(shape_of(a)) >= 1 else reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    def one(a):
        s = shape_of(a)
        return a if len(s) >= 2 else reshape(a, (1,) * (2 - len(s)) + tuple(s))
    out = [one(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    def one(a):
        s = shape_of(a)
        if len(s) == 0:
            return reshape(a, (1, 1, 1))
        if len(s) == 1:
            return reshape(a, (1, s[0], 1))
        if len(s) == 2:
            return reshape(a, (*s, 1))
        return a
    out = [one(a) for a in arys]
    return out[0] if len(out) == 1 else out


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shapes = {tuple(shape_of(a)) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    nd = len(shape_of(arrays[0])) + 1
    return concatenate([expand_dims(a, axis % nd) for a in arrays], axis=axis % nd, out=out,
                       dtype=dtype, casting=casting)


def hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if len(shape_of(arrs[0])) == 1 else 1, dtype=dtype,
                       casting=casting)


def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype, casting=casting)


def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup):
    cols = [reshape(a, (-1, 1)) if len(shape_of(a)) < 2 else a for a in tup]
    return concatenate(cols, axis=1)


def split(ary, indices_or_sections, axis=0):
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = n // indices_or_sections
        bounds = list(range(step, n, step))
    else:
        bounds = list(indices_or_sections)
    nd = len(shape_of(ary))
    out = []
    for lo, hi in zip([0] + bounds, bounds + [None]):
        idx = [slice(None)] * nd
        idx[axis] = slice(lo, hi)
        out.append(getitem(ary, tuple(idx)))
    return out


def array_split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape_of(ary)[axis]
        k = indices_or_sections
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        return split(ary, list(np.cumsum(sizes)[:-1]), axis)
    return split(ary, indices_or_sections, axis)


def tile(A, reps):
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    shape = tuple(shape_of(A))
    nd = max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    x = reshape(A, tuple(v for s in shape for v in (1, s)))
    x = broadcast_to(x, tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return reshape(x, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = ravel(a), 0
    shape = shape_of(a)
    axis %= len(shape)
    if isinstance(repeats, (int, np.integer)):
        x = expand_dims(a, axis + 1)
        x = broadcast_to(x, shape[:axis + 1] + (int(repeats),) + shape[axis + 1:])
        return reshape(x, shape[:axis] + (shape[axis] * int(repeats),) + shape[axis + 1:])
    index = np.repeat(np.arange(shape[axis]), repeats)
    return getitem(a, (slice(None),) * axis + (index,))


def _mode_indices(indices, n, mode):
    """Indices as np.take reads them under `mode` (``raise``, ``wrap`` or ``clip``)."""
    idx = np.asarray(getval(indices))
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            idx = idx.astype(np.intp)
        else:
            raise IndexError("arrays used as indices must be of integer type")
    if mode == "wrap":
        return np.mod(idx, n) if n else idx
    if mode == "clip":
        return np.clip(idx, 0, n - 1) if n else idx   # why: NumPy clips -1 to 0, no wrap
    if mode != "raise":
        raise ValueError(f"mode must be one of 'raise', 'wrap' or 'clip', not {mode!r}")
    return idx


def take(a, indices, axis=None, out=None, mode="raise"):
    if out is not None:
        raise UnsupportedOperation("numpy.take(..., out=...) is not supported on a traced "
                                   "value: use the returned value instead of out=.")
    if axis is None:
        a, axis = ravel(a), 0
    axis %= max(len(shape_of(a)), 1)
    idx = _mode_indices(indices, shape_of(a)[axis], mode)
    if idx.ndim == 0:
        idx = int(idx)
    return getitem(a, (slice(None),) * axis + (idx,))


def take_along_axis(arr, indices, axis=-1):
    if axis is None:
        return getitem(ravel(arr), indices)
    shape = shape_of(arr)
    nd = len(shape)
    axis %= nd
    idx = []
    for i in range(nd):
        if i == axis:
            idx.append(np.asarray(indices))
        else:
            idx.append(np.arange(shape[i]).reshape([-1 if j == i else 1 for j in range(nd)]))
    return getitem(arr, tuple(idx))


def diagonal(a, offset=0, axis1=0, axis2=1):
    x = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape_of(x)[-2:]
    rows = np.arange(max(0, -offset), min(n, m - offset))
    return getitem(x, (Ellipsis, rows, rows + offset))


def diag(v, k=0):
    shape = shape_of(v)
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape[0] + abs(k)
    rows = np.arange(shape[0]) + max(0, -k)
    return untake(v, (rows, rows + k), (n, n))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return np.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def _tri_mask(shape, k, upper):
    n, m = shape[-2:]
    return np.triu(np.ones((n, m), bool), k) if upper else np.tril(np.ones((n, m), bool), k)


def triu(m, k=0):
    return np.where(_tri_mask(shape_of(m), k, True), m, 0)


def tril(m, k=0):
    return np.where(_tri_mask(shape_of(m), k, False), m, 0)


def copy(a, order="K", subok=False):
    return a


def shape(a):
    return shape_of(a)


for _np_fn, _impl in {
    np.ravel: ravel, np.squeeze: squeeze, np.expand_dims: expand_dims, np.moveaxis: moveaxis,
    np.swapaxes: swapaxes, np.atleast_1d: atleast_1d, np.atleast_2d: atleast_2d,
    np.atleast_3d: atleast_3d, np.stack: stack, np.hstack: hstack, np.vstack: vstack,
    np.dstack: dstack, np.column_stack: column_stack, np.split: split,
    np.array_split: array_split, np.tile: tile, np.repeat: repeat, np.take: take,
    np.take_along_axis: take_along_axis, np.diagonal: diagonal, np.diag: diag, np.trace: trace,
    np.triu: triu, np.tril: tril, np.copy: copy, np.shape: shape,
    np.ndim: lambda a: len(shape_of(a)),
    np.size: lambda a, axis=None: int(np.prod(shape_of(a))) if axis is None else shape_of(a)[axis],
    np.result_type: lambda *a: np.result_type(*(getval(x) for x in a)),
    np.iscomplexobj: lambda x: np.iscomplexobj(getval(x)),
    np.isrealobj: lambda x: np.isrealobj(getval(x)),
}.items():
    defcomposite(_np_fn, _impl)

defzero(np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.argmax, np.argmin,
        np.argsort, np.nonzero, np.flatnonzero, np.count_nonzero, np.isclose, np.allclose,
        np.array_equal, np.all, np.any, np.searchsorted, np.digitize, np.argwhere,
        np.argpartition, np.nanargmax, np.nanargmin)

assert np.reshape in FUNCTIONS


# --- more of NumPy's shape functions (issue 12), composed from the primitives above ---

_NO = np._NoValue   # NumPy's "keyword not given" marker


def _check_axis(axis, ndim):
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def diff(a, n=1, axis=-1, prepend=_NO, append=_NO):
    if n == 0:
        return a
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    a = as_array(a)
    nd = len(shape_of(a))
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _check_axis(axis, nd)
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(a)
        elif extra is not _NO:
            extra = as_array(extra)
            if not shape_of(extra):
                s = list(shape_of(a))
                s[axis] = 1
                extra = broadcast_to(extra, tuple(s))
            parts.append(extra)
    if len(parts) > 1:
        a = concatenate(parts, axis=axis)
    hi = (slice(None),) * axis + (slice(1, None),)
    lo = (slice(None),) * axis + (slice(None, -1),)
    for _ in range(n):
        a = a[hi] - a[lo]
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    ary = ravel(as_array(ary))
    dt = np.result_type(getval(ary))
    parts = []
    for name, extra in (("to_begin", to_begin), (None, None), ("to_end", to_end)):
        if name is None:
            parts.append(ary[1:] - ary[:-1])
        elif extra is not None:
            extra = as_array(extra)
            if not np.can_cast(np.result_type(getval(extra)), dt, casting="same_kind"):
                raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under "
                                "the `same_kind` rule.")
            parts.append(cast_to(ravel(extra), dt))
    return concatenate(parts) if len(parts) > 1 else parts[0]


def append(arr, values, axis=None):
    arr = as_array(arr)
    if axis is None:
        if len(shape_of(arr)) != 1:
            arr = ravel(arr)
        values = ravel(as_array(values))
        axis = len(shape_of(arr)) - 1
    return concatenate((arr, values), axis=axis)


def _labels(shape, start=0):
    return np.arange(start, start + math.prod(shape)).reshape(shape)


def insert(arr, obj, values, axis=None):
    # why: np.insert's rules for obj and for broadcasting values are many; running NumPy's
    # own np.insert on labels (0, 1, ... for arr's elements, then values') gives where each
    # element of the result comes from, and a gather takes it from there.
    arr = as_array(arr)
    values = as_array(values)
    dt = np.result_type(getval(arr))
    if dt.kind not in "fc":   # values cast to arr's integers: a step function, derivative 0
        return np.insert(getval(arr), getval(obj), getval(values), axis=axis)
    na = math.prod(shape_of(arr))
    labels = np.insert(_labels(shape_of(arr)), getval(obj),
                       _labels(shape_of(values), na), axis=axis)
    flat = concatenate([ravel(arr), ravel(cast_to(values, dt))])
    return getitem(flat, labels)


def delete(arr, obj, axis=None):
    arr = as_array(arr)
    if axis is None:
        if len(shape_of(arr)) != 1:
            arr = ravel(arr)
        axis = len(shape_of(arr)) - 1
    axis = _check_axis(axis, len(shape_of(arr)))
    keep = np.delete(np.arange(shape_of(arr)[axis]), getval(obj))
    return getitem(arr, (slice(None),) * axis + (keep,))


def hsplit(ary, indices_or_sections):
    nd = len(shape_of(ary))
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if nd > 1 else 0)


def vsplit(ary, indices_or_sections):
    if len(shape_of(ary)) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    if len(shape_of(ary)) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def rot90(m, k=1, axes=(0, 1)):
    axes = tuple(axes)
    nd = len(shape_of(m))
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if axes[0] >= nd or axes[0] < -nd or axes[1] >= nd or axes[1] < -nd:
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(nd))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), tuple(perm))
    return flip(transpose(m, tuple(perm)), axes[1])


def fliplr(m):
    if len(shape_of(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m):
    if len(shape_of(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def _block_skeleton(arrays):
    """The nesting of `arrays` with each leaf an empty array of its shape and dtype."""
    if isinstance(arrays, list):
        return [_block_skeleton(a) for a in arrays]
    if isinstance(arrays, tuple):
        return tuple(_block_skeleton(a) for a in arrays)   # NumPy refuses these itself
    v = getval(arrays)
    return np.empty(np.shape(v), np.result_type(v))


def _block_depth(arrays):
    d = 0
    while isinstance(arrays, list):
        d += 1
        arrays = arrays[0]
    return d


def _block_leaves(arrays):
    if isinstance(arrays, list):
        return [y for a in arrays for y in _block_leaves(a)]
    return [arrays]


def block(arrays):
    np.block(_block_skeleton(arrays))   # NumPy's own checks of the nesting and the shapes
    depth = _block_depth(arrays)
    nd = max([depth] + [len(shape_of(a)) for a in _block_leaves(arrays)])

    def build(a, level):
        if isinstance(a, list):
            return concatenate([build(x, level + 1) for x in a], axis=level - depth)
        a = as_array(a)
        s = tuple(shape_of(a))
        return reshape(a, (1,) * (nd - len(s)) + s) if len(s) < nd else a
    return build(arrays, 0)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    ones = (1,) * nd
    out = [reshape(as_array(x), ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and nd > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    if not sparse:
        full = np.broadcast_shapes(*(shape_of(o) for o in out))
        out = [broadcast_to(o, full) for o in out]
    return tuple(out)


for _np_fn, _impl in {
    np.diff: diff, np.ediff1d: ediff1d, np.append: append, np.insert: insert,
    np.delete: delete, np.hsplit: hsplit, np.vsplit: vsplit, np.dsplit: dsplit,
    np.rot90: rot90, np.fliplr: fliplr, np.flipud: flipud, np.block: block,
    np.meshgrid: meshgrid,
}.items():
    defcomposite(_np_fn, _impl)
