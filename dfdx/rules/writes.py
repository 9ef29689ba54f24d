"""Writing into traced arrays: the functional update `_setitem` and what is built on it.

``y[key] = v`` on a traced ``y`` is recorded as ``y = _setitem(y, key, v)`` (see
dfdx._numpy.box.write): the answer is `y` with ``y[key]`` replaced by `v` (broadcast, and
cast to y's dtype). Its cotangents: to `y`, ``g`` with ``g[key]`` zeroed; to `v`,
``g[key]`` summed down to v's shape (of repeated indices only the last write counts, as
in NumPy). Its tangent: ``t_y`` with ``t_y[key] = t_v``. The rules are traceable, so
writes differentiate at any order.

Also here: the traced constants to write into (``np.zeros_like(x)``, ``np.empty_like``,
``np.ones_like``, ``np.full_like``, ``np.copy``, ``np.zeros(n, like=x)`` and its kind, NEP 35),
and the NumPy functions that write into their argument (``np.copyto``, ``np.put``,
``np.put_along_axis``, ``np.fill_diagonal``).
"""

import numpy as np

from dfdx._core import ALWAYS, Box
from dfdx._errors import TracerConversionError
from dfdx._numpy.box import LIKE, WRITE_FIX, _copy, _getitem, _setitem, constant_like, getval, \
    write
from dfdx._numpy.registry import FUNCTIONS, callable_name, defcomposite, defrule, shape_of, \
    unbroadcast
from dfdx._numpy.scatter import Scatter, is_basic, owned_dense

__all__ = ["setitem", "copy_prim"]

#: the indexing primitive (registered by the shape rules, imported before this module)
getitem = FUNCTIONS[_getitem]


# --- the functional update -----------------------------------------------------------

def _flat_ids(shape, key):
    """The flat positions in an array of `shape` that ``a[key]`` reads (shape of a[key])."""
    keys = key if isinstance(key, tuple) else (key,)
    ints = all(not (k is None or k is Ellipsis or isinstance(k, slice)) and
               np.asarray(k).dtype.kind in "iu" for k in keys)
    if ints and len(keys) == len(shape):
        # why: O(len(key)), not O(size): the index arrays alone give the positions
        return np.ravel_multi_index(np.broadcast_arrays(*(np.asarray(k) for k in keys)),
                                    shape, mode="wrap")
    return np.arange(int(np.prod(shape))).reshape(shape)[key]


def _winners(shape, key):
    """None, or a mask over ``a[key]`` of the elements a write keeps: of repeated indices
    the last one (what NumPy does), so the others get no cotangent."""
    if is_basic(key):
        return None
    ids = _flat_ids(tuple(shape), key)
    flat = ids.reshape(-1)
    last = np.unique(flat[::-1], return_index=True)[1]
    if last.size == flat.size:
        return None
    mask = np.zeros(flat.size, bool)
    mask[flat.size - 1 - last] = True
    return mask.reshape(ids.shape)


def _as_value(ct, v):
    """Cotangent `ct` of the written value, in v's shape and (real or float32) dtype."""
    vs = tuple(shape_of(v))
    if len(shape_of(ct)) < len(vs):
        ct = np.reshape(ct, vs)    # why: NumPy drops a value's leading 1s (y[0] = [[a, b]])
    ct = unbroadcast(ct, v)
    dt = np.dtype(getattr(v, "dtype", None) or np.result_type(v))
    if dt.kind not in "fc":
        return None    # an integer or boolean value: no derivative
    if dt.kind == "f" and np.iscomplexobj(ct):
        ct = np.real(ct)
    if getattr(ct, "dtype", dt) != dt:
        ct = ct.astype(dt)
    return ct


def _setitem_vjp(g, ans, a, key, v, inplace=False):
    gv = getitem(g, key)
    mask = _winners(shape_of(ans), key)
    if mask is not None:
        gv = gv * mask
    return setitem(g, key, 0), None, _as_value(gv, v)


def _setitem_sweep(g, ans, a, key, v, inplace=False):
    """The same cotangents at first order, without copying `g` per write (see dfdx._numpy.scatter)."""
    if not (type(g) is Scatter or isinstance(g, (np.ndarray, np.generic))):
        return None
    d = owned_dense(g)
    gv = np.array(d[key], copy=True)
    mask = _winners(d.shape, key)
    if mask is not None:
        gv = gv * mask
    d[key] = 0
    return Scatter(d.shape, d), None, _as_value(gv, v)


def _setitem_jvp(ts, ans, a, key, v, inplace=False):
    ta, _, tv = ts
    if ta is None and tv is None:
        return None
    if ta is None:
        ta = np.zeros(shape_of(ans), ans.dtype)
        inplace = True
    # why: `inplace` says the old tangent too is held by the written box alone
    return setitem(ta, key, 0 if tv is None else tv, inplace=inplace)


setitem = defrule(
    _setitem, vjp_all=_setitem_vjp, jvp_all=_setitem_jvp, name="writing into an array y[...] = v")
# why: the rules read only shapes and dtypes, and the tape must not hold the arrays a write
# may change in place later
setitem.drop = (ALWAYS, ALWAYS, False, ALWAYS)
setitem.sweep_vjp = _setitem_sweep


def _target_shape(shape, key):
    """The shape of ``a[key]`` for an array `a` of `shape` (no array of that size made)."""
    return np.broadcast_to(np.empty((), bool), tuple(shape))[key].shape


def _batch_axis(shape, bkey, target):
    """Where ``a[bkey]`` puts the batch axis of `a` (batch first, then `shape`): 0, or after
    the advanced-index axes that NumPy moves to the front when they are separated."""
    # why: a batch size no axis has makes the place unambiguous
    probe = max(shape + target, default=1) + 1
    got = _target_shape((probe,) + shape, bkey)
    return got.index(probe)


def _setitem_batch(prim, vals, batched, kwargs, size):
    """dfdx.vmap of a write: into the whole batch at once (the batch axis first)."""
    a, key, v = vals
    ba, _, bv = batched
    inplace = kwargs.get("inplace", False)
    if not ba:
        # why: the same array for every example: each example writes into its own copy
        a = np.broadcast_to(a, (size,) + tuple(shape_of(a)))
        inplace = False
    bkey = (slice(None),) + (key if isinstance(key, tuple) else (key,))
    target = tuple(_target_shape(shape_of(a)[1:], key))
    moved = _batch_axis(tuple(shape_of(a)[1:]), bkey, target)
    if bv:
        vs = tuple(shape_of(v)[1:])
        if len(vs) > len(target):   # leading 1s, which NumPy drops
            vs = vs[len(vs) - len(target):]
        v = np.reshape(v, (size,) + (1,) * (len(target) - len(vs)) + vs)
        v = np.broadcast_to(v, (size,) + target)
        if moved:
            v = np.moveaxis(v, 0, moved)   # NumPy puts separated advanced-index axes first
    elif moved:
        # why: the batch axis sits after the advanced-index axes: give v a 1 there
        v = np.reshape(np.broadcast_to(v, target), target[:moved] + (1,) + target[moved:])
    return setitem(a, bkey, v, inplace=inplace)


def _getitem_sweep(g, ans, x, key):
    """x[key] at first order: its cotangent, a piece of x's, kept lazy (see dfdx._numpy.scatter)."""
    if isinstance(g, (np.ndarray, np.generic)):
        return Scatter(shape_of(x), None, [(key, g)]), None
    return None


getitem.sweep_vjp = _getitem_sweep
setitem.batch = _setitem_batch

copy_prim = defrule(
    _copy, vjp=(lambda g, ans, a: g,), jvp=(lambda t, ans, a: copy_prim(t),),
    name="numpy.copy")


# --- traced constants -------------------------------------------------------------

def _full(src, shape, fill, dtype):
    """np.full(shape, fill, dtype) to write into: a traced constant on src's trace.

    Integer and boolean arrays stay plain (what is written into them has no derivative).
    """
    if dtype is None:
        dtype = np.result_type(getval(fill)) if not isinstance(fill, Box) else fill.dtype
    dt = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    traced = isinstance(fill, Box)
    if dt.kind not in "fc":
        return np.full(shape, getval(fill), dt)
    out = constant_like(src, lambda proto: np.full_like(proto, 0 if traced else fill, dtype=dt,
                                                        shape=shape))
    if traced:
        out[...] = fill
    return out


def _like_args(a, dtype, shape):
    return (a.dtype if dtype is None else dtype), (a.shape if shape is None else shape)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like_args(a, dtype, shape)
    return _full(a, shape, 0, dtype)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like_args(a, dtype, shape)
    return _full(a, shape, 1, dtype)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like_args(prototype, dtype, shape)
    return _full(prototype, shape, 0, dtype)   # why: zeros, so that results are reproducible


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    src = a if isinstance(a, Box) else fill_value
    dtype = (np.result_type(getval(a)) if not isinstance(a, Box) else a.dtype) \
        if dtype is None else dtype
    return _full(src, np.shape(getval(a)) if shape is None and not isinstance(a, Box) else
                 (a.shape if shape is None else shape), fill_value, dtype)


def _like(like, fn):
    if like is None:
        raise TypeError(f"{callable_name(fn)} was given no traced value (like=x) to make "
                        "a traced array from")
    return like


def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    return _full(_like(like, np.zeros), shape, 0, dtype)


def empty(shape, dtype=float, order="C", *, device=None, like=None):
    return _full(_like(like, np.empty), shape, 0, dtype)


def ones(shape, dtype=None, order="C", *, device=None, like=None):
    return _full(_like(like, np.ones), shape, 1, float if dtype is None else dtype)


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    return _full(_like(like, np.full), shape, fill_value, dtype)


def copy(a, order="K", subok=False):
    return a.copy() if isinstance(a, Box) else np.copy(a, order=order, subok=subok)


for _np_fn, _impl in {np.zeros_like: zeros_like, np.ones_like: ones_like,
                      np.empty_like: empty_like, np.full_like: full_like, np.zeros: zeros,
                      np.empty: empty, np.ones: ones, np.full: full, np.copy: copy}.items():
    defcomposite(_np_fn, _impl)
LIKE.update({np.zeros, np.empty, np.ones, np.full})


# --- NumPy functions that write into their argument ----------------------------------

def _destination(fn, a):
    if not isinstance(a, Box):
        raise TracerConversionError(
            f"{callable_name(fn)} would write a traced value into a plain NumPy array and drop "
            f"its derivative. {WRITE_FIX}.")


def copyto(dst, src, casting="same_kind", where=True):
    _destination(np.copyto, dst)
    src_dtype = src.dtype if isinstance(src, Box) else np.result_type(src)
    if not np.can_cast(src_dtype, dst.dtype, casting):
        raise TypeError(f"Cannot cast array data from {np.dtype(src_dtype)!r} to "
                        f"{dst.dtype!r} according to the rule {casting!r}")
    write(dst, Ellipsis, src if where is True else np.where(getval(where), src, dst))


def _cyclic(values, n):
    """The first n values of `values` repeated (how NumPy's put and flat writes fill)."""
    flat = np.ravel(values)
    m = shape_of(flat)[0]
    if m == n:
        return flat
    if m == 0:
        raise ValueError("cannot write an empty sequence into a non-empty selection")
    return getitem(flat, np.arange(n) % m)


def put(a, ind, v, mode="raise"):
    _destination(np.put, a)
    size = a.size
    ind = np.asarray(getval(ind)).reshape(-1).astype(np.intp)
    if ind.size == 0:
        return
    if mode == "wrap":
        ind = ind % size
    elif mode == "clip":
        ind = np.clip(ind, 0, size - 1)
    elif np.any((ind < -size) | (ind >= size)):
        bad = ind[(ind < -size) | (ind >= size)][0]
        raise IndexError(f"index {bad} is out of bounds for axis 0 with size {size}")
    write(a, np.unravel_index(ind % size, a.shape), _cyclic(v, ind.size))


def put_along_axis(arr, indices, values, axis):
    _destination(np.put_along_axis, arr)
    indices = np.asarray(getval(indices))
    shape = arr.shape
    if axis is None:
        n = indices.size
        flat = indices.reshape(-1) % arr.size
        write(arr, np.unravel_index(flat, shape),
              np.ravel(np.broadcast_to(values, indices.shape)) if n else values)
        return
    nd = len(shape)
    if indices.ndim != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis %= nd
    idx = tuple(indices if i == axis else
                np.arange(shape[i]).reshape([-1 if j == i else 1 for j in range(nd)])
                for i in range(nd))
    write(arr, idx, values)


def fill_diagonal(a, val, wrap=False):
    _destination(np.fill_diagonal, a)
    shape = a.shape
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    if len(shape) == 2:
        step, end = shape[1] + 1, (None if wrap else shape[1] * shape[1])
    else:
        if len(set(shape)) != 1:
            raise ValueError("All dimensions of input must be of equal length")
        step, end = 1 + int(np.cumprod(shape[:-1]).sum()), None
    flat = np.arange(int(np.prod(shape)))[:end:step]
    write(a, np.unravel_index(flat, shape), _cyclic(val, flat.size))


for _np_fn, _impl in {np.copyto: copyto, np.put: put, np.put_along_axis: put_along_axis,
                      np.fill_diagonal: fill_diagonal}.items():
    defcomposite(_np_fn, _impl)
