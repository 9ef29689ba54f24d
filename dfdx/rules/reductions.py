"""Reductions along axes: sum, mean, prod, max/min, var/std, cumsum/cumprod, average.

Convention at ties: max and min split the derivative evenly between the tied
elements (the mean of the one-sided derivatives). At zero spread np.std has
derivative 0 (identically 0 for one element; the mean of the one-sided
derivatives of a cone otherwise), at every order.

Every keyword NumPy takes for these functions (where=, initial=, dtype=,
correction=, mean=, ...) is honoured as NumPy computes it, or refused with
`UnsupportedOperation` naming it: an integer dtype= gives NumPy's own plain
result (a step function has derivative 0); out= is refused.
"""

import warnings

import numpy as np

from dfdx._core import Box
from dfdx._errors import UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import FUNCTIONS, defcomposite, defrule, shape_of
from dfdx.rules._util import norm_axis, shift_axes


def _keep(g, shape, axis, keepdims):
    """Reshape a reduced cotangent so that it broadcasts against the input shape."""
    if keepdims or not shape or axis is None:
        return g   # a full reduction gives a scalar, which broadcasts as it is
    axes = norm_axis(axis, len(shape))
    return np.reshape(g, tuple(1 if i in axes else s for i, s in enumerate(shape)))


def _spread(g, x, axis, keepdims):
    """Broadcast a reduced cotangent back over the reduced axes of `x`."""
    g, xv = _keep(g, shape_of(x), axis, keepdims), getval(x)
    if (hasattr(xv, "__dask_graph__") or hasattr(xv, "__cuda_array_interface__")) and \
            type(g) is not type(xv) and not isinstance(g, Box):
        # why: a NumPy cotangent broadcast to a Dask x would enter its graph whole, and CuPy
        # refuses NumPy operands: it is made in x's namespace
        return np.zeros_like(xv) + (g[()] if isinstance(g, np.ndarray) and g.ndim == 0 else g)
    # why: the primitive np.broadcast_to dispatches to (dfdx.rules.shape), called directly:
    # on a plain scalar cotangent it fills a small array, 1.9 us instead of np.broadcast_to's
    # 4.2 us, and writable, so the engine adds into it in place; this is every sum's VJP.
    return FUNCTIONS[np.broadcast_to](g, shape_of(x))


def _spread_batched(g, x, axis, keepdims):
    """`_spread` for a cotangent with a leading batch axis."""
    k = shape_of(g)[0]
    shape = tuple(shape_of(x))
    if not keepdims and shape:
        axes = norm_axis(axis, len(shape))
        g = np.reshape(g, (k,) + tuple(1 if i in axes else s for i, s in enumerate(shape)))
    elif not shape:
        g = np.reshape(g, (k,))
    return np.broadcast_to(g, (k,) + shape)


def _count(x, axis):
    shape = shape_of(x)
    n = 1
    for a in norm_axis(axis, len(shape)):
        n *= shape[a]
    return n


def _sum(x, axis=None, keepdims=False):
    # why: np.add.reduce skips np.sum's Python-level wrapper (a few microseconds a call);
    # a duck array (Dask, CuPy) has no ufunc methods but takes np.sum (NEP 18).
    if not isinstance(x, (np.ndarray, np.generic, Box, float, int, complex)):
        return np.sum(x, axis=axis, keepdims=keepdims)
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


sum_ = defrule(
    _sum,
    vjp=lambda g, ans, x, axis=None, keepdims=False: _spread(g, x, axis, keepdims),
    jvp=lambda t, ans, x, axis=None, keepdims=False: sum_(t, axis=axis, keepdims=keepdims),
    # why: batched rules: the generated form costs 1.27x / 1.43x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=lambda t, ans, x, axis=None, keepdims=False: sum_(
        t, axis=shift_axes(axis, len(shape_of(x))), keepdims=keepdims),
    bvjp=lambda g, ans, x, axis=None, keepdims=False: _spread_batched(g, x, axis, keepdims),
    name="numpy.sum", shape_only=("ans", 0))


def _mean(x, axis=None, keepdims=False):
    return _sum(x, axis=axis, keepdims=keepdims) / _count(x, axis)


mean = defrule(
    _mean,
    vjp=lambda g, ans, x, axis=None, keepdims=False: _spread(g, x, axis, keepdims) / _count(x, axis),
    jvp=lambda t, ans, x, axis=None, keepdims=False: mean(t, axis=axis, keepdims=keepdims),
    # why: batched rules: the generated form costs 1.30x / 1.53x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=lambda t, ans, x, axis=None, keepdims=False: mean(
        t, axis=shift_axes(axis, len(shape_of(x))), keepdims=keepdims),
    bvjp=lambda g, ans, x, axis=None, keepdims=False: (
        _spread_batched(g, x, axis, keepdims) / _count(x, axis)),
    name="numpy.mean", shape_only=("ans", 0))


def _tie_share(ans, x, axis, keepdims):
    # why: at ties the derivative is split evenly between the tied elements.
    hit = x == _keep(ans, shape_of(x), axis, keepdims)
    count = np.sum(hit, axis=axis, keepdims=True)
    if not hasattr(count, "__dask_graph__") and np.all(count == 1):   # lazy: not computed
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
                    axis=shift_axes(axis, len(shape_of(x))), keepdims=keepdims)
    return vjp, jvp, bjvp


# why: batched forward rules: the generated form costs 1.37x (max) / 1.56x (min)
#  (benchmarks/RESULTS-batching.md)
_vjp_max, _jvp_max, _bjvp_max = _extreme_rules("max")
amax = defrule(_max, _vjp_max, _jvp_max, bjvp=_bjvp_max, name="numpy.max")
_vjp_min, _jvp_min, _bjvp_min = _extreme_rules("min")
amin = defrule(_min, _vjp_min, _jvp_min, bjvp=_bjvp_min, name="numpy.min")


def _prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_of_others(x, axis):
    """For each element, the product of the other elements along `axis` (zero-safe)."""
    shape = shape_of(x)
    axes = norm_axis(axis, len(shape))
    moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
    mshape = shape_of(moved)
    n = int(np.prod(mshape[len(mshape) - len(axes):]))
    flat = np.reshape(moved, mshape[:len(mshape) - len(axes)] + (n,))
    one = np.ones_like(getval(flat)[..., :1])
    left = np.cumprod(np.concatenate([one, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], one], axis=-1), -1), -1), -1)
    out = np.reshape(left * right, mshape)
    return np.moveaxis(out, tuple(range(-len(axes), 0)), axes)


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    return _spread(g, x, axis, keepdims) * _prod_of_others(x, axis)


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    return sum_(t * _prod_of_others(x, axis), axis=axis, keepdims=keepdims)


prod = defrule(_prod, vjp=_prod_vjp, jvp=_prod_jvp, name="numpy.prod",
               # why: batched forward rule: the generated form costs 1.28x
               #  (benchmarks/RESULTS-batching.md)
               bjvp=lambda t, ans, x, axis=None, keepdims=False: sum_(
                   t * _prod_of_others(x, axis), axis=shift_axes(axis, len(shape_of(x))),
                   keepdims=keepdims))


def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(g, ans, x, axis=None):
    if axis is None:
        return np.reshape(_rev_cumsum(g, 0), shape_of(x))
    return _rev_cumsum(g, axis)


def _rev_cumsum(g, axis):
    return np.flip(cumsum(np.flip(g, axis), axis), axis)


cumsum = defrule(
    _cumsum,
    vjp=_cumsum_vjp,
    jvp=lambda t, ans, x, axis=None: cumsum(t, axis),
    # why: batched forward rule: the generated form costs 1.23x (benchmarks/RESULTS-batching.md)
    bjvp=lambda t, ans, x, axis=None: (
        cumsum(t, shift_axes(axis, len(shape_of(x)))) if axis is not None else
        cumsum(np.reshape(t, (shape_of(t)[0], -1)), 1)),
    name="numpy.cumsum")


def _cumprod(x, axis=None):
    return np.cumprod(x, axis=axis)


def _cumprod_vjp(g, ans, x, axis=None):
    if axis is None:
        return np.reshape(_cumprod_vjp(g, ans, np.ravel(x), 0), shape_of(x))
    if not np.any(getval(x) == 0):
        # why: without zeros, d ans_i / d x_k = ans_i / x_k for i >= k: one pass.
        return _rev_cumsum(g * ans, axis) / x
    # With zeros: d ans_i / d x_k = prod_{j <= i, j != k} x_j, built explicitly (O(n^2)).
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(g, axis, -1)
    n = shape_of(xm)[-1]
    eye = np.eye(n, dtype=bool)
    xk = np.where(eye, 1.0, np.expand_dims(xm, -2))          # [..., k, j]: x with x_k -> 1
    # [..., k, i], i >= k; a boolean mask keeps the dtype of x (float32 stays float32)
    partial = np.cumprod(xk, axis=-1) * np.triu(np.ones((n, n), dtype=bool))
    out = np.sum(partial * np.expand_dims(gm, -2), axis=-1)
    return np.moveaxis(out, -1, axis)


def _cumprod_jvp(t, ans, x, axis=None):
    if axis is None:
        return _cumprod_jvp(np.ravel(t), ans, np.ravel(x), 0)
    if not np.any(getval(x) == 0):
        return ans * cumsum(t / x, axis)
    xm = np.moveaxis(x, axis, -1)
    tm = np.moveaxis(t, axis, -1)
    n = shape_of(xm)[-1]
    eye = np.eye(n, dtype=bool)
    xk = np.where(eye, 1.0, np.expand_dims(xm, -2))
    partial = np.cumprod(xk, axis=-1) * np.triu(np.ones((n, n), dtype=bool))
    out = np.sum(partial * np.expand_dims(tm, -1), axis=-2)
    return np.moveaxis(out, -1, axis)


cumprod = defrule(_cumprod, vjp=_cumprod_vjp, jvp=_cumprod_jvp, name="numpy.cumprod")


# --- composed ------------------------------------------------------------

_NO = np._NoValue   # NumPy's "keyword not given" marker


def _given(v):
    return v is not _NO and v is not None


def _refuse(name, keyword, fix):
    return UnsupportedOperation(
        f"dfdx does not differentiate {name} with {keyword}. {fix}")


def _no_out(name, out):
    if out is not None:
        raise _refuse(name, "out=", f"Use the returned value instead: y = {name}(...).")


def _int_dtype(dtype):
    """Whether a dtype= argument asks for an integer or boolean result (a jump: no derivative)."""
    return dtype is not None and np.dtype(dtype).kind in "biu"


def _cast(a, dtype, name):
    if dtype is None:
        return a
    kind = np.dtype(dtype).kind
    if kind not in "fc":
        raise _refuse(name, f"dtype={np.dtype(dtype)}", "Use a float or complex dtype.")
    if np.result_type(getval(a)) == np.dtype(dtype):
        return a
    return np.asarray(a, dtype=dtype) if not isinstance(a, Box) else a.astype(dtype)


def _mask(where, a):
    """The where= mask broadcast to the shape of `a` (NumPy's broadcasting rule), plain."""
    return np.broadcast_to(np.asarray(getval(where), dtype=bool), shape_of(a))


def _reduce(prim, np_fn, a, axis, keepdims):
    if isinstance(a, Box):   # traced: the primitive enters its trace (Primitive.__call__)
        return prim(a, axis=axis, keepdims=keepdims)
    return np_fn(a, axis=axis, keepdims=keepdims)


def _plain_kw(**kw):
    return {k: v for k, v in kw.items() if v is not _NO}


def _sum_api(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO, where=_NO):
    _no_out("numpy.sum", out)
    keepdims = bool(keepdims) if keepdims is not _NO else False
    if _int_dtype(dtype):   # the sum of values cast to integers: a step function of a
        return np.sum(getval(a), axis=axis, dtype=dtype, keepdims=keepdims,
                      **_plain_kw(initial=getval(initial), where=getval(where)))
    a = _cast(a, dtype, "numpy.sum")
    if _given(where) and not np.all(getval(where)):
        a = np.where(_mask(where, a), a, 0)
    r = _reduce(sum_, np.sum, a, axis, keepdims)
    return r + initial if _given(initial) else r


def _prod_api(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO, where=_NO):
    _no_out("numpy.prod", out)
    keepdims = bool(keepdims) if keepdims is not _NO else False
    if _int_dtype(dtype):
        return np.prod(getval(a), axis=axis, dtype=dtype, keepdims=keepdims,
                       **_plain_kw(initial=getval(initial), where=getval(where)))
    a = _cast(a, dtype, "numpy.prod")
    if _given(where) and not np.all(getval(where)):
        a = np.where(_mask(where, a), a, 1)
    r = _reduce(prod, np.prod, a, axis, keepdims)
    return r * initial if _given(initial) else r


def _mean_api(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NO):
    _no_out("numpy.mean", out)
    keepdims = bool(keepdims) if keepdims is not _NO else False
    if _int_dtype(dtype):
        return np.mean(getval(a), axis=axis, dtype=dtype, keepdims=keepdims,
                       **_plain_kw(where=getval(where)))
    a = _cast(a, dtype, "numpy.mean")
    if not _given(where) or np.all(getval(where)):
        return _reduce(mean, np.mean, a, axis, keepdims)
    m = _mask(where, a)
    return _divide(_sum_api(np.where(m, a, 0), axis=axis, keepdims=keepdims),
                   np.sum(m, axis=axis, keepdims=keepdims))


def _extreme_api(prim, name, fill, combine):
    def call(a, axis=None, out=None, keepdims=False, initial=_NO, where=_NO):
        _no_out(name, out)
        keepdims = bool(keepdims) if keepdims is not _NO else False
        masked = _given(where) and not np.all(getval(where))
        if masked and not _given(initial):
            raise ValueError(f"reduction operation '{name[6:]}imum' does not have an identity, "
                             "so to use a where mask one has to specify 'initial'")
        if masked:
            # why: the masked-out elements get -inf (+inf), not `initial`, so that a tie
            # between an element and `initial` is one tie (shared once), not two.
            f = fill if np.result_type(getval(a)).kind in "fc" else initial
            a = np.where(_mask(where, a), a, f)
        r = _reduce(prim, getattr(np, name[6:]), a, axis, keepdims)
        return combine(r, initial) if _given(initial) else r
    return call


def _divide(num, n):
    """num / n in the dtype of num (NumPy divides its reductions by counts in place)."""
    dt = np.result_type(getval(num))
    with np.errstate(divide="ignore", invalid="ignore"):   # NumPy warns and gives inf/NaN
        return num / np.asarray(n).astype(dt if dt.kind in "fc" else np.float64)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO, mean=_NO,
        correction=_NO):
    _no_out("numpy.var", out)
    keepdims = bool(keepdims) if keepdims is not _NO else False
    if correction is not _NO:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    if _int_dtype(dtype):
        raise _refuse("numpy.var / numpy.std", f"dtype={np.dtype(dtype)}",
                      "Use a float dtype (NumPy sums the mean in the integer type).")
    if dtype is not None:
        _cast(a, dtype, "numpy.var")   # refuses what is not a float or complex dtype
    elif not _given(where) and not _given(mean) and isinstance(a, Box) and \
            not np.iscomplexobj(getval(a)):
        # the common case, kept short: it is on many a training loop's path
        c = a - _reduce(globals()["mean"], np.mean, a, axis, True)
        n = _count(a, axis) - ddof
        r = _reduce(sum_, np.sum, c * c, axis, keepdims)
        if n > 0:
            return r / n
        with np.errstate(divide="ignore", invalid="ignore"):
            return r / np.asarray(max(n, 0), dtype=np.result_type(getval(r)))
    masked = _given(where) and not np.all(getval(where))
    m = _mask(where, a) if masked else None
    n = np.sum(m, axis=axis, keepdims=True) if masked else _count(a, axis)
    # as NumPy does: the mean and the final sum in `dtype`, the squares in a's own dtype
    if _given(mean):
        mu = mean
    else:
        mu = _divide(_sum_api(np.where(m, a, 0) if masked else a, axis=axis, dtype=dtype,
                              keepdims=True), n)
    c = a - mu
    if np.iscomplexobj(getval(c)):
        sq = np.real(c * np.conjugate(c))
    else:
        sq = c * c
    if masked:
        sq = np.where(m, sq, 0)
        n = np.sum(m, axis=axis, keepdims=keepdims)
    return _divide(_sum_api(sq, axis=axis, dtype=dtype, keepdims=keepdims), np.maximum(n - ddof, 0))


def _sqrt_share(ans):
    # why: at zero spread std = sqrt(0) has an infinite partial; the function is
    # identically 0 for a single element (derivative 0) and a cone otherwise (the mean
    # of the one-sided derivatives is 0), so 0 is the derivative there, at every order.
    pos = ans > 0
    if not hasattr(pos, "__dask_graph__") and np.all(pos):   # lazy (Dask): no test
        return 0.5 / ans
    return np.where(pos, 0.5 / np.where(pos, ans, 1), 0)


def _std_sqrt(v):
    return np.sqrt(v)


std_sqrt = defrule(
    _std_sqrt,
    vjp=lambda g, ans, v: g * _sqrt_share(ans),
    jvp=lambda t, ans, v: t * _sqrt_share(ans),
    # why: batched rules: the generated form costs 1.30x / 1.14x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=lambda t, ans, v: t * _sqrt_share(ans),
    bvjp=lambda g, ans, v: g * _sqrt_share(ans),
    name="numpy.sqrt (in numpy.std)")


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO, mean=_NO,
        correction=_NO):
    _no_out("numpy.std", out)
    v = var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where, mean=mean,
            correction=correction)
    return std_sqrt(v) if isinstance(v, Box) else np.sqrt(v)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    keepdims = bool(keepdims) if keepdims is not _NO else False
    if weights is None:
        avg = _mean_api(a, axis=axis, keepdims=keepdims)
        scl = np.asarray(_count(a, axis), dtype=np.result_type(getval(avg)))
        if returned:
            scl = np.broadcast_to(scl, shape_of(avg)).copy()
    else:
        w = weights
        if len(shape_of(w)) != len(shape_of(a)):
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if len(shape_of(w)) != 1:
                raise TypeError("1D weights expected when shapes of a and weights differ.")
            w = np.reshape(w, tuple(-1 if i == axis % len(shape_of(a)) else 1
                                    for i in range(len(shape_of(a)))))
        w = np.broadcast_to(w, np.broadcast_shapes(shape_of(w), shape_of(a)))
        scl = _sum_api(w, axis=axis, keepdims=keepdims)
        avg = _sum_api(a * w, axis=axis, keepdims=keepdims) / scl
        if returned and shape_of(scl) != shape_of(avg):
            scl = np.broadcast_to(scl, shape_of(avg))
    return (avg, scl) if returned else avg


def _cum_api(prim, np_fn, name):
    def call(a, axis=None, dtype=None, out=None):
        _no_out(name, out)
        if _int_dtype(dtype):
            return np_fn(getval(a), axis=axis, dtype=dtype)
        a = _cast(a, dtype, name)
        return prim(a, axis) if isinstance(a, Box) else np_fn(a, axis=axis)
    return call


defcomposite(np.sum, _sum_api)
defcomposite(np.prod, _prod_api)
defcomposite(np.mean, _mean_api)
_max_api = _extreme_api(amax, "numpy.max", -np.inf, np.maximum)
_min_api = _extreme_api(amin, "numpy.min", np.inf, np.minimum)
for _np_fn, _impl in {np.max: _max_api, np.amax: _max_api, np.min: _min_api,
                      np.amin: _min_api}.items():
    defcomposite(_np_fn, _impl)
defcomposite(np.cumsum, _cum_api(cumsum, np.cumsum, "numpy.cumsum"))
defcomposite(np.cumprod, _cum_api(cumprod, np.cumprod, "numpy.cumprod"))
defcomposite(np.var, var)
defcomposite(np.std, std)
defcomposite(np.average, average)


# --- np.ptp and the nan- reductions (issue 12), composed from the ones above -----------
# A NaN element gets derivative 0 (it is skipped); an all-NaN slice gives NaN as in NumPy,
# with derivative 0.

def ptp(a, axis=None, out=None, keepdims=False):
    _no_out("numpy.ptp", out)
    keepdims = bool(keepdims) if keepdims is not _NO else False
    return _max_api(a, axis=axis, keepdims=keepdims) - _min_api(a, axis=axis, keepdims=keepdims)


def _nan_filled(a, fill):
    """`a` with NaN replaced by `fill` (traceable: the NaN elements get derivative 0), and
    the NaN mask (None when `a` cannot hold NaN)."""
    v = getval(a)
    if np.result_type(v).kind not in "fc":
        return a, None
    m = np.isnan(v)
    return (np.where(m, fill, a) if m.any() else a), m


def _nan_reduction(np_api, fill):
    def call(a, axis=None, dtype=None, out=None, keepdims=_NO, initial=_NO, where=_NO):
        a, _ = _nan_filled(a, fill)
        return np_api(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial,
                      where=where)
    return call


def _nan_cumulative(np_api, fill):
    def call(a, axis=None, dtype=None, out=None):
        a, _ = _nan_filled(a, fill)
        return np_api(a, axis=axis, dtype=dtype, out=out)
    return call


def _kept(where, m):
    """The elements a nan- reduction reads: not NaN, and in where= (NumPy's broadcasting)."""
    keep = ~m
    return keep & np.asarray(getval(where), dtype=bool) if _given(where) else keep


def nanmean(a, axis=None, dtype=None, out=None, keepdims=_NO, *, where=_NO):
    a, m = _nan_filled(a, 0)
    if m is None or not m.any():
        return _mean_api(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)
    _no_out("numpy.nanmean", out)
    keepdims = bool(keepdims) if keepdims is not _NO else False
    cnt = np.sum(_kept(where, m), axis=axis, keepdims=keepdims)
    tot = _sum_api(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    if np.any(cnt == 0):
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=3)
    return _divide(tot, cnt)


def _nan_extreme(np_api, fill):
    def call(a, axis=None, out=None, keepdims=_NO, initial=_NO, where=_NO):
        a, m = _nan_filled(a, fill)
        r = np_api(a, axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)
        if m is None or not m.any() or _given(initial):
            return r
        keepdims = bool(keepdims) if keepdims is not _NO else False
        empty = ~np.any(_kept(where, m), axis=axis, keepdims=keepdims)
        if not np.any(empty):
            return r
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
        return np.where(empty, np.nan, r)
    return call


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO, *, where=_NO, mean=_NO,
           correction=_NO):
    # why: NaN is replaced by 0 before var sees it, so that no NaN meets a zero cotangent
    # in a product (0 * NaN is NaN); the mask leaves the replaced elements out.
    a, m = _nan_filled(a, 0)
    keep = _kept(where, m) if m is not None and m.any() else where
    return var(a, axis=axis, dtype=dtype, out=out, ddof=ddof,
               keepdims=bool(keepdims) if keepdims is not _NO else False, where=keep, mean=mean,
               correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO, *, where=_NO, mean=_NO,
           correction=_NO):
    v = nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where,
               mean=mean, correction=correction)
    return std_sqrt(v) if isinstance(v, Box) else np.sqrt(v)


for _np_fn, _impl in {
    np.ptp: ptp, np.nansum: _nan_reduction(_sum_api, 0), np.nanprod: _nan_reduction(_prod_api, 1),
    np.nancumsum: _nan_cumulative(_cum_api(cumsum, np.cumsum, "numpy.nancumsum"), 0),
    np.nancumprod: _nan_cumulative(_cum_api(cumprod, np.cumprod, "numpy.nancumprod"), 1),
    np.nanmean: nanmean, np.nanmax: _nan_extreme(_max_api, -np.inf),
    np.nanmin: _nan_extreme(_min_api, np.inf), np.nanvar: nanvar,
    np.nanstd: nanstd,
}.items():
    defcomposite(_np_fn, _impl)
