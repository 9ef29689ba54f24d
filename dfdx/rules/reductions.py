"""Reductions along axes: sum, mean, prod, max/min, var/std, cumsum/cumprod, average.

Convention at ties: max and min split the derivative evenly between the tied
elements (the mean of the one-sided derivatives).
"""

import numpy as np

from dfdx._core import Box
from dfdx._numpy.box import getval
from dfdx._numpy.registry import defcomposite, defrule, shape_of
from dfdx.rules.shape import _norm_axis as _axes
from dfdx.rules.shape import _shift_axes, broadcast_to, moveaxis, ravel, reshape


def _keep(g, shape, axis, keepdims):
    """Reshape a reduced cotangent so that it broadcasts against the input shape."""
    if keepdims or not shape or axis is None:
        return g   # a full reduction gives a scalar, which broadcasts as it is
    axes = _axes(axis, len(shape))
    return reshape(g, tuple(1 if i in axes else s for i, s in enumerate(shape)))


def _spread(g, x, axis, keepdims):
    """Broadcast a reduced cotangent back over the reduced axes of `x`."""
    return broadcast_to(_keep(g, shape_of(x), axis, keepdims), shape_of(x))


def _spread_batched(g, x, axis, keepdims):
    """`_spread` for a cotangent with a leading batch axis."""
    k = shape_of(g)[0]
    shape = tuple(shape_of(x))
    if not keepdims and shape:
        axes = _axes(axis, len(shape))
        g = reshape(g, (k,) + tuple(1 if i in axes else s for i, s in enumerate(shape)))
    elif not shape:
        g = reshape(g, (k,))
    return broadcast_to(g, (k,) + shape)


def _count(x, axis):
    shape = shape_of(x)
    n = 1
    for a in _axes(axis, len(shape)):
        n *= shape[a]
    return n


def _sum(x, axis=None, keepdims=False):
    # why: np.add.reduce skips np.sum's Python-level wrapper (a few microseconds a call).
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


sum_ = defrule(
    _sum,
    vjp=lambda g, ans, x, axis=None, keepdims=False: _spread(g, x, axis, keepdims),
    jvp=lambda t, ans, x, axis=None, keepdims=False: sum_(t, axis=axis, keepdims=keepdims),
    bjvp=lambda t, ans, x, axis=None, keepdims=False: sum_(
        t, axis=_shift_axes(axis, len(shape_of(x))), keepdims=keepdims),
    bvjp=lambda g, ans, x, axis=None, keepdims=False: _spread_batched(g, x, axis, keepdims),
    name="numpy.sum", shape_only=("ans", 0))


def _mean(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims) / _count(x, axis)


mean = defrule(
    _mean,
    vjp=lambda g, ans, x, axis=None, keepdims=False: _spread(g, x, axis, keepdims) / _count(x, axis),
    jvp=lambda t, ans, x, axis=None, keepdims=False: mean(t, axis=axis, keepdims=keepdims),
    bjvp=lambda t, ans, x, axis=None, keepdims=False: mean(
        t, axis=_shift_axes(axis, len(shape_of(x))), keepdims=keepdims),
    bvjp=lambda g, ans, x, axis=None, keepdims=False: (
        _spread_batched(g, x, axis, keepdims) / _count(x, axis)),
    name="numpy.mean", shape_only=("ans", 0))


def _tie_share(ans, x, axis, keepdims):
    # why: at ties the derivative is split evenly between the tied elements.
    hit = x == _keep(ans, shape_of(x), axis, keepdims)
    count = np.sum(hit, axis=axis, keepdims=True)
    if np.all(count == 1):
        return hit   # no ties: a boolean mask, and g * bool keeps g's dtype
    dtype = ans.dtype if hasattr(ans, "dtype") else np.result_type(ans)
    return (hit / count).astype(dtype, copy=False)


def _max(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _extreme_rules(prim_ref):
    def vjp(g, ans, x, axis=None, keepdims=False):
        return _spread(g, x, axis, keepdims) * _tie_share(ans, x, axis, keepdims)

    def jvp(t, ans, x, axis=None, keepdims=False):
        return sum_(t * _tie_share(ans, x, axis, keepdims), axis=axis, keepdims=keepdims)

    def bjvp(t, ans, x, axis=None, keepdims=False):
        return sum_(t * _tie_share(ans, x, axis, keepdims),
                    axis=_shift_axes(axis, len(shape_of(x))), keepdims=keepdims)
    return vjp, jvp, bjvp


_vjp_max, _jvp_max, _bjvp_max = _extreme_rules("max")
amax = defrule(_max, _vjp_max, _jvp_max, bjvp=_bjvp_max, name="numpy.max")
_vjp_min, _jvp_min, _bjvp_min = _extreme_rules("min")
amin = defrule(_min, _vjp_min, _jvp_min, bjvp=_bjvp_min, name="numpy.min")


def _prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_of_others(x, axis):
    """For each element, the product of the other elements along `axis` (zero-safe)."""
    shape = shape_of(x)
    axes = _axes(axis, len(shape))
    moved = moveaxis(x, axes, tuple(range(-len(axes), 0)))
    mshape = shape_of(moved)
    n = int(np.prod(mshape[len(mshape) - len(axes):]))
    flat = reshape(moved, mshape[:len(mshape) - len(axes)] + (n,))
    one = np.ones_like(getval(flat)[..., :1])
    left = np.cumprod(np.concatenate([one, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], one], axis=-1), -1), -1), -1)
    out = reshape(left * right, mshape)
    return moveaxis(out, tuple(range(-len(axes), 0)), axes)


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    return _spread(g, x, axis, keepdims) * _prod_of_others(x, axis)


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    return sum_(t * _prod_of_others(x, axis), axis=axis, keepdims=keepdims)


prod = defrule(_prod, vjp=_prod_vjp, jvp=_prod_jvp, name="numpy.prod",
               bjvp=lambda t, ans, x, axis=None, keepdims=False: sum_(
                   t * _prod_of_others(x, axis), axis=_shift_axes(axis, len(shape_of(x))),
                   keepdims=keepdims))


def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(g, ans, x, axis=None):
    if axis is None:
        return reshape(_rev_cumsum(g, 0), shape_of(x))
    return _rev_cumsum(g, axis)


def _rev_cumsum(g, axis):
    return np.flip(cumsum(np.flip(g, axis), axis), axis)


cumsum = defrule(
    _cumsum,
    vjp=_cumsum_vjp,
    jvp=lambda t, ans, x, axis=None: cumsum(t, axis),
    bjvp=lambda t, ans, x, axis=None: (
        cumsum(t, _shift_axes(axis, len(shape_of(x)))) if axis is not None else
        cumsum(reshape(t, (shape_of(t)[0], -1)), 1)),
    name="numpy.cumsum")


def _cumprod(x, axis=None):
    return np.cumprod(x, axis=axis)


def _cumprod_vjp(g, ans, x, axis=None):
    if axis is None:
        return reshape(_cumprod_vjp(g, ans, ravel(x), 0), shape_of(x))
    if not np.any(getval(x) == 0):
        # why: without zeros, d ans_i / d x_k = ans_i / x_k for i >= k: one pass.
        return _rev_cumsum(g * ans, axis) / x
    # With zeros: d ans_i / d x_k = prod_{j <= i, j != k} x_j, built explicitly (O(n^2)).
    xm = moveaxis(x, axis, -1)
    gm = moveaxis(g, axis, -1)
    n = shape_of(xm)[-1]
    eye = np.eye(n, dtype=bool)
    xk = np.where(eye, 1.0, np.expand_dims(xm, -2))          # [..., k, j]: x with x_k -> 1
    partial = np.cumprod(xk, axis=-1) * np.triu(np.ones((n, n)))  # [..., k, i], i >= k
    out = np.sum(partial * np.expand_dims(gm, -2), axis=-1)
    return moveaxis(out, -1, axis)


def _cumprod_jvp(t, ans, x, axis=None):
    if axis is None:
        return _cumprod_jvp(ravel(t), ans, ravel(x), 0)
    if not np.any(getval(x) == 0):
        return ans * cumsum(t / x, axis)
    xm = moveaxis(x, axis, -1)
    tm = moveaxis(t, axis, -1)
    n = shape_of(xm)[-1]
    eye = np.eye(n, dtype=bool)
    xk = np.where(eye, 1.0, np.expand_dims(xm, -2))
    partial = np.cumprod(xk, axis=-1) * np.triu(np.ones((n, n)))
    out = np.sum(partial * np.expand_dims(tm, -1), axis=-2)
    return moveaxis(out, -1, axis)


cumprod = defrule(_cumprod, vjp=_cumprod_vjp, jvp=_cumprod_jvp, name="numpy.cumprod")


# --- composed ------------------------------------------------------------

def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    centred = a - mean(a, axis=axis, keepdims=True)
    n = _count(a, axis)
    # why: NumPy's var of complex values is the mean of |x - mean|^2 (real)
    sq = (centred * centred if np.result_type(getattr(a, "dtype", float)).kind != "c"
          else np.real(centred * np.conjugate(centred)))
    return sum_(sq, axis=axis, keepdims=keepdims) / (n - ddof)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    return np.sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        scl = _count(a, axis)
    else:
        w = weights
        if len(shape_of(w)) == 1 and len(shape_of(a)) > 1 and axis is not None:
            w = reshape(w, tuple(-1 if i == axis % len(shape_of(a)) else 1
                                 for i in range(len(shape_of(a)))))
        w = broadcast_to(w, np.broadcast_shapes(shape_of(w), shape_of(a)))
        scl = sum_(w, axis=axis, keepdims=keepdims)
        avg = sum_(a * w, axis=axis, keepdims=keepdims) / scl
    return (avg, scl) if returned else avg


def _reduction(prim):
    def call(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        if out is not None:
            raise TypeError("out= is not supported on traced values; use the returned value.")
        if isinstance(a, Box):   # the only traced argument: its trace is the innermost
            return a._trace.process(prim, (a,), {"axis": axis, "keepdims": bool(keepdims)})
        return prim(a, axis=axis, keepdims=bool(keepdims))
    return call


for _np_fn, _prim in {np.sum: sum_, np.mean: mean, np.prod: prod}.items():
    defcomposite(_np_fn, _reduction(_prim))
for _np_fn, _prim in {np.max: amax, np.amax: amax, np.min: amin, np.amin: amin}.items():
    defcomposite(_np_fn, lambda a, axis=None, out=None, keepdims=False, _p=_prim, **kw:
                 _p(a, axis=axis, keepdims=bool(keepdims)))
defcomposite(np.cumsum, lambda a, axis=None, dtype=None, out=None: cumsum(a, axis))
defcomposite(np.cumprod, lambda a, axis=None, dtype=None, out=None: cumprod(a, axis))
defcomposite(np.var, var)
defcomposite(np.std, std)
defcomposite(np.average, average)
