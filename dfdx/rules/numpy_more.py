"""More of NumPy's numerical functions: cross, gradient, convolve / correlate, select,
piecewise, interp, trapezoid, polyval, linspace / geomspace / logspace.

One primitive (full convolution, which np.convolve and np.correlate slice); the rest
are composed from existing rules, computing what NumPy computes in the order NumPy
computes it, so that traced values equal NumPy's.

Conventions:

* np.interp is piecewise linear in x: at a knot ``x == xp[j]`` its derivative in x is
  the mean of the slopes on either side (outside ``[xp[0], xp[-1]]`` the slope is 0).
  Where `left` / `right` make a jump at an end knot, the derivative there is that of
  the piece NumPy's value comes from (the inner one). It is linear in fp and
  differentiable in xp between knots; xp must increase.
* np.piecewise and np.select take each element from the function (choice) its
  condition selects, with that one's derivative; conditions are plain booleans.
"""

import operator
import warnings

import numpy as np

from dfdx._core import Box
from dfdx._errors import UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import defcomposite, defrule, defzero, shape_of
from dfdx.rules._util import as_array, cast_to, untake


def _dtype(x):
    v = getval(x)
    return v.dtype if hasattr(v, "dtype") else np.asarray(v).dtype


def _conj(x):
    return np.conjugate(x) if _dtype(x).kind == "c" else x


# --- cross ------------------------------------------------------------------

def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_array(a), as_array(b)
    if not shape_of(a) or not shape_of(b):
        raise ValueError("At least one array has zero dimension")
    a = np.moveaxis(a, axisa, -1)
    b = np.moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=3)
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    cp2 = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return cp2
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        cp0, cp1 = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 2:
        b2 = b[..., 2]
        cp0, cp1 = a1 * b2, -(a0 * b2)
    else:
        a2 = a[..., 2]
        cp0, cp1 = -(a2 * b1), a2 * b0
    cp = np.stack([cp0, cp1, cp2], axis=-1)
    return np.moveaxis(cp, -1, axisc)


# --- gradient, trapezoid, polyval -----------------------------------------------

def _edge(f, axis, i):
    """f at index `i` along `axis`, keeping that axis (length 1)."""
    stop = i + 1 if i != -1 else None
    return f[(slice(None),) * axis + (slice(i, stop),)]


def _along(f, axis, lo, hi):
    return f[(slice(None),) * axis + (slice(lo, hi),)]


def _spacings(varargs, f, axes):
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and len(shape_of(varargs[0])) == 0:
        return list(varargs) * len(axes)
    if n != len(axes):
        raise TypeError("invalid number of arguments")
    dx = []
    for i, d in enumerate(varargs):
        d = as_array(d)
        if len(shape_of(d)) == 0:
            dx.append(d)
            continue
        if len(shape_of(d)) != 1:
            raise ValueError("distances must be either scalars or 1d")
        if shape_of(d)[0] != shape_of(f)[axes[i]]:
            raise ValueError("when 1d, distances must match the length of the corresponding "
                             "dimension")
        if _dtype(d).kind in "biu":
            d = cast_to(d, np.float64)
        diffx = d[1:] - d[:-1]
        dv = getval(diffx)
        dx.append(diffx[0] if np.all(dv == dv[0]) else diffx)   # NumPy's uniform case
    return dx


def gradient(f, *varargs, axis=None, edge_order=1):
    f = as_array(f)
    nd = len(shape_of(f))
    axes = tuple(range(nd)) if axis is None else np.lib.array_utils.normalize_axis_tuple(axis, nd)
    dx = _spacings(varargs, f, axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = _dtype(f)
    if otype.kind not in "fc":
        f = cast_to(f, np.float64)
        otype = np.dtype(np.float64)
    outs = []
    for ax, h in zip(axes, dx):
        if shape_of(f)[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                             "least (edge_order + 1) elements are required.")
        uniform = len(shape_of(h)) == 0
        f2, f3, f4 = _along(f, ax, None, -2), _along(f, ax, 1, -1), _along(f, ax, 2, None)
        if uniform:
            inner = (f4 - f2) / (2. * h)
        else:
            dx1, dx2 = h[0:-1], h[1:]
            a = -(dx2) / (dx1 * (dx1 + dx2))
            b = (dx2 - dx1) / (dx1 * dx2)
            c = dx1 / (dx2 * (dx1 + dx2))
            bshape = tuple(-1 if i == ax else 1 for i in range(nd))
            inner = (np.reshape(a, bshape) * f2 + np.reshape(b, bshape) * f3
                     + np.reshape(c, bshape) * f4)
        e = [_edge(f, ax, i) for i in (0, 1, 2, -3, -2, -1)] if edge_order == 2 else \
            [_edge(f, ax, i) for i in (0, 1, -2, -1)]
        if edge_order == 1:
            first = (e[1] - e[0]) / (h if uniform else h[0])
            last = (e[3] - e[2]) / (h if uniform else h[-1])
        else:
            if uniform:
                a, b, c = -1.5 / h, 2. / h, -0.5 / h
            else:
                dx1, dx2 = h[0], h[1]
                a = -(2. * dx1 + dx2) / (dx1 * (dx1 + dx2))
                b = (dx1 + dx2) / (dx1 * dx2)
                c = - dx1 / (dx2 * (dx1 + dx2))
            first = a * e[0] + b * e[1] + c * e[2]
            if uniform:
                a, b, c = 0.5 / h, -2. / h, 1.5 / h
            else:
                dx1, dx2 = h[-2], h[-1]
                a = (dx2) / (dx1 * (dx1 + dx2))
                b = - (dx2 + dx1) / (dx1 * dx2)
                c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2))
            last = a * e[3] + b * e[4] + c * e[5]
        # NumPy writes each part into an array of f's dtype: the same casts here
        outs.append(np.concatenate([cast_to(p, otype) for p in (first, inner, last)], axis=ax))
    return outs[0] if len(axes) == 1 else tuple(outs)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = as_array(y)
    nd = len(shape_of(y))
    if x is None:
        d = dx
    else:
        x = as_array(x)
        if len(shape_of(x)) == 1:
            d = x[1:] - x[:-1]
            s = [1] * nd
            s[axis] = shape_of(d)[0]
            d = np.reshape(d, tuple(s))
        else:
            d = np.diff(x, axis=axis)
    axis %= nd
    hi = (slice(None),) * axis + (slice(1, None),)
    lo = (slice(None),) * axis + (slice(None, -1),)
    return np.sum(d * (y[hi] + y[lo]) / 2.0, axis=axis)


def polyval(p, x):
    p = as_array(p)
    x = as_array(x)
    y = np.zeros_like(getval(x))
    for i in range(shape_of(p)[0]):
        y = y * x + p[i]
    return y


# --- convolve and correlate ---------------------------------------------------------

def _conv_full(a, v):
    return np.convolve(a, v)


def _corr_valid(g, w, n):
    """sum_k g[k + i] w[k] for i < n: the transpose of convolving with `w` (dfdx's
    cotangents of a complex product take no conjugate, as matmul's do)."""
    m = shape_of(w)[0]
    return conv_full(g, np.flip(w, 0))[m - 1:m - 1 + n]


conv_full = defrule(
    _conv_full,
    vjp=(lambda g, ans, a, v: _corr_valid(g, v, shape_of(a)[0]),
         lambda g, ans, a, v: _corr_valid(g, a, shape_of(v)[0])),
    jvp=(lambda t, ans, a, v: conv_full(t, v), lambda t, ans, a, v: conv_full(a, t)),
    name="numpy.convolve")

_MODES = {"full": "full", "f": "full", 2: "full", "same": "same", "s": "same", 1: "same",
          "valid": "valid", "v": "valid", 0: "valid"}


def _mode(mode):
    try:
        return _MODES[mode.lower() if isinstance(mode, str) else mode]
    except (KeyError, TypeError):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})") \
            from None


def _vectors(a, v):
    a, v = as_array(a), as_array(v)
    a = np.reshape(a, (1,)) if not shape_of(a) else a
    v = np.reshape(v, (1,)) if not shape_of(v) else v
    if len(shape_of(a)) > 1 or len(shape_of(v)) > 1:
        raise ValueError("object too deep for desired array")
    return a, v


def convolve(a, v, mode="full"):
    a, v = _vectors(a, v)
    mode = _mode(mode)
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    full = conv_full(a, v)
    if mode == "valid":
        return full[m - 1:n]
    if mode == "same":
        return full[(m - 1) // 2:(m - 1) // 2 + n]
    return full


def correlate(a, v, mode="valid"):
    a, v = _vectors(a, v)
    mode = _mode(mode)
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0 or m == 0:
        raise ValueError(f"{'a' if n == 0 else 'v'} cannot be empty")
    if mode == "same" and m > n:
        # why: NumPy centres 'same' on the longer input, so with v the longer one the
        # window is the reverse of correlate(v, a)'s, conjugated.
        return _conj(np.flip(correlate(v, a, "same"), 0))
    return convolve(a, np.flip(_conj(v), 0), mode)


# --- select, piecewise ------------------------------------------------------------

def _weak_or_array(c):
    return c if type(c) in (int, float, complex) or isinstance(c, Box) else np.asarray(c)


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    choices = [_weak_or_array(c) for c in choicelist] + [_weak_or_array(default)]
    try:
        dt = np.result_type(*(getval(c) for c in choices))
    except TypeError as e:
        raise TypeError(f"Choicelist and default value do not have a common dtype: {e}") \
            from None
    conds = [np.asarray(getval(c)) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype.type is not np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    shape = np.broadcast_shapes(*(c.shape for c in conds), *(shape_of(c) for c in choices))
    result = np.broadcast_to(cast_to(choices[-1], dt), shape)
    for choice, cond in zip(choices[-2::-1], conds[::-1]):
        result = np.where(cond, cast_to(choice, dt), result)
    return result


def piecewise(x, condlist, funclist, *args, **kw):
    x = as_array(x)
    xs = tuple(shape_of(x))
    if np.isscalar(condlist) or (not isinstance(condlist[0], (list, np.ndarray)) and xs):
        condlist = [condlist]
    conds = np.asarray([getval(c) for c in condlist], dtype=bool)
    n, n2 = len(conds), len(funclist)
    if n == n2 - 1:   # the "otherwise" condition
        conds = np.concatenate([conds, ~np.any(conds, axis=0, keepdims=True)], axis=0)
    elif n != n2:
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are "
                         "expected")
    dt = _dtype(x)
    size = int(np.prod(xs))
    flat_x = np.reshape(x, (size,))
    y = np.zeros(size, dt)
    # why: NumPy calls each function on the selected elements only (x[cond]) and writes
    # the results there: a gather, the function, and a scatter back.
    for cond, func in zip(conds, funclist):
        cond = np.broadcast_to(cond, xs).reshape(size)
        if not callable(func):
            y = np.where(cond, cast_to(func, dt), y)
            continue
        idx = np.flatnonzero(cond)
        if not idx.size:
            continue
        r = np.broadcast_to(cast_to(func(flat_x[idx], *args, **kw), dt), idx.shape)
        y = np.where(cond, untake(r, (idx,), (size,)), y)
    return np.reshape(y, xs)


# --- interp ---------------------------------------------------------------------

def interp(x, xp, fp, left=None, right=None, period=None):
    ft = np.complex128 if _dtype(fp).kind == "c" else np.float64
    x, xp, fp = cast_to(as_array(x), np.float64), cast_to(as_array(xp), np.float64), \
        cast_to(as_array(fp), ft)
    if len(shape_of(xp)) != 1 or len(shape_of(fp)) != 1:
        raise ValueError("object too deep for desired array" if max(
            len(shape_of(xp)), len(shape_of(fp))) > 1 else "object of too small depth for "
            "desired array")
    if shape_of(xp)[0] != shape_of(fp)[0]:
        raise ValueError("fp and xp are not of the same length.")
    if shape_of(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    if period is not None:
        if getval(period) == 0:
            raise ValueError("period must be a non-zero value")
        period = np.abs(period)
        left = right = None
        x = x % period
        xp = xp % period
        order = np.argsort(getval(xp))
        xp, fp = xp[order], fp[order]
        xp = np.concatenate((xp[-1:] - period, xp, xp[0:1] + period))
        fp = np.concatenate((fp[-1:], fp, fp[0:1]))
    xv, xpv = np.asarray(getval(x)), np.asarray(getval(xp))
    n = xpv.shape[0]
    lo = fp[0] if left is None else cast_to(left, ft)
    hi = fp[-1] if right is None else cast_to(right, ft)
    if n == 1:
        return np.where(xv < xpv[0], lo, np.where(xv > xpv[0], hi, fp[0]))
    width = xp[1:] - xp[:-1]
    flat = np.asarray(getval(width)) == 0
    if np.any(flat):
        # why: a repeated knot is a jump; its segment's slope is never used for a value,
        # and 0 keeps an infinite one out of the derivatives.
        s = np.where(flat, 0.0, (fp[1:] - fp[:-1]) / np.where(flat, 1.0, width))
    else:
        s = (fp[1:] - fp[:-1]) / width
    j = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, n - 2)
    # the slope that multiplies (x - xp[j]): s[j] between knots; at a knot (where
    # x - xp[j] is exactly 0, so the value is fp[j]) the mean of the slopes on either side,
    # or at a jump (a repeated knot) the slope on the side NumPy's value comes from
    knot = (xv == xpv[j]) & (j > 0) & ~flat[j - 1]
    coef = np.where(knot, 0.5 * (s[j - 1] + s[j]), s[j])
    first = (xv == xpv[0]) & (j == 0)
    if np.any(first):
        jump = left is not None and np.any(getval(lo) != getval(fp[0]))
        coef = np.where(first, s[0] if jump else 0.5 * s[0], coef)
    inside = coef * (x - xp[j]) + fp[j]
    last = xv == xpv[-1]
    if np.any(last):
        jump = right is not None and np.any(getval(hi) != getval(fp[-1]))
        inside = np.where(last, fp[-1] + (s[-1] if jump else 0.5 * s[-1]) * (x - xp[-1]),
                          inside)
    return np.where(xv < xpv[0], lo, np.where(xv > xpv[-1], hi, inside))


# --- linspace, logspace, geomspace ------------------------------------------------

def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    if dtype is not None and np.issubdtype(dtype, np.integer):   # a step function of the ends
        return np.linspace(getval(start), getval(stop), num, endpoint, retstep, dtype, axis)
    div = (num - 1) if endpoint else num
    start, stop = _weak_or_array(start), _weak_or_array(stop)
    dt = np.result_type(getval(start), getval(stop))
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    delta = cast_to(stop, dt) - cast_to(start, dt)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * len(shape_of(delta)))
    if div > 0:
        step = delta / div
        if np.any(getval(step) == 0):   # NumPy's handling of denormal steps
            y = y / div * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        last = np.broadcast_to(cast_to(stop, _dtype(y)), shape_of(y)[1:])
        y = np.concatenate([y[:-1], np.reshape(last, (1,) + tuple(shape_of(y)[1:]))])
    if axis != 0:
        y = np.moveaxis(y, 0, axis)
    if dtype is not None:
        y = cast_to(y, np.dtype(dtype))
    return (y, step) if retstep else y


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if dtype is not None and np.issubdtype(dtype, np.integer):
        return np.logspace(getval(start), getval(stop), num, endpoint, getval(base), dtype,
                           axis)
    if not isinstance(base, (float, int)) and len(shape_of(base)):
        nd = len(np.broadcast_shapes(shape_of(start), shape_of(stop), shape_of(base)))
        start, stop, base = (np.reshape(as_array(a), (1,) * (nd - len(shape_of(a)))
                                        + tuple(shape_of(a))) for a in (start, stop, base))
        base = np.expand_dims(base, axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    r = np.power(base, y)
    return r if dtype is None else cast_to(r, np.dtype(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start, stop = as_array(start), as_array(stop)
    if np.any(getval(start) == 0) or np.any(getval(stop) == 0):
        raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(getval(start), getval(stop), float(num), np.zeros((), dtype))
    dtype = dt if dtype is None else np.dtype(dtype)
    if dtype.kind not in "fc":
        return np.geomspace(getval(start), getval(stop), num, endpoint, dtype, axis)
    start, stop = cast_to(start, dt), cast_to(stop, dt)
    # why: NumPy rotates start to the positive real axis (a constant factor) and back
    out_sign = np.sign(getval(start))
    start = start / out_sign
    stop = stop / out_sign
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint, base=10.0,
                      dtype=dt)
    if num > 0:
        # NumPy writes the end points themselves over exp(log(.)) of them
        rest = tuple(shape_of(result)[1:])
        ends = [np.reshape(np.broadcast_to(start, rest), (1,) + rest), result[1:]]
        if num > 1 and endpoint:
            ends = [ends[0], result[1:-1], np.reshape(np.broadcast_to(stop, rest), (1,) + rest)]
        result = np.concatenate(ends) if num > 1 else ends[0]
    result = result * out_sign
    if axis != 0:
        result = np.moveaxis(result, 0, axis)
    return cast_to(result, dtype)


for _np_fn, _impl in {
    np.cross: cross, np.gradient: gradient, np.trapezoid: trapezoid, np.polyval: polyval,
    np.convolve: convolve, np.correlate: correlate, np.select: select,
    np.piecewise: piecewise, np.interp: interp, np.linspace: linspace,
    np.logspace: logspace, np.geomspace: geomspace,
}.items():
    defcomposite(_np_fn, _impl)


# --- beyond issue 12's list: more functions numerical code calls --------------------------
# (composed; the same conventions: NumPy's values, NumPy's errors)

def broadcast_arrays(*args, subok=False):
    args = [as_array(a) for a in args]
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return tuple(np.broadcast_to(a, shape) for a in args)


def _cumulative(np_name, fill):
    def call(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if out is not None:
            raise UnsupportedOperation(f"{np_name}(..., out=...) is not supported on a traced "
                                       "value: use the returned value instead of out=.")
        x = as_array(x)
        nd = len(shape_of(x))
        if axis is None:
            if nd > 1:
                raise ValueError("For arrays which have more than one dimension ``axis`` "
                                 "argument is required.")
            axis = 0
        r = (np.cumsum if fill == 0 else np.cumprod)(x, axis=axis, dtype=dtype)
        if include_initial:
            s = list(shape_of(r))
            s[axis % max(nd, 1)] = 1
            r = np.concatenate([np.full(s, fill, _dtype(r)), r], axis=axis)
        return r
    return call


def _linalg_cross(x1, x2, /, *, axis=-1):
    if shape_of(x1)[axis] != 3 or shape_of(x2)[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, but "
                         f"they are {shape_of(x1)[axis]} and {shape_of(x2)[axis]} dimensional "
                         "instead.")
    return cross(x1, x2, axis=axis)


def vander(x, N=None, increasing=False):
    x = as_array(x)
    if len(shape_of(x)) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape_of(x)[0]
    N = n if N is None else N
    dt = np.promote_types(_dtype(x), int)
    parts = [np.ones((n, min(N, 1)), dt)]
    if N > 1:
        # NumPy's multiply.accumulate of x along the row: the same products
        parts.append(np.cumprod(np.broadcast_to(np.reshape(cast_to(x, dt), (n, 1)), (n, N - 1)),
                                axis=1))
    v = np.concatenate(parts, axis=1)
    return v if increasing else np.flip(v, 1)


def bincount(x, /, weights=None, minlength=0):
    xv = np.asarray(getval(x))
    counts = np.bincount(xv, minlength=minlength)    # NumPy's checks of x and minlength
    if weights is None:
        return counts
    w = cast_to(as_array(weights), np.float64)     # NumPy counts weights in double
    if shape_of(w) != xv.shape:
        raise ValueError("The weights and list don't have the same length.")
    return untake(np.reshape(w, (-1,)), (xv.reshape(-1),), (counts.shape[0],))


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = as_array(arr)
    nd = len(shape_of(arr))
    axis = np.lib.array_utils.normalize_axis_index(axis, nd)
    moved = np.moveaxis(arr, axis, -1)
    rest = tuple(shape_of(moved)[:-1])
    if not all(rest):
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    outs = [func1d(moved[idx], *args, **kwargs) for idx in np.ndindex(*rest)]
    res = np.stack([as_array(o) for o in outs])
    inner = tuple(shape_of(res)[1:])
    res = np.reshape(res, rest + inner)
    # NumPy puts the result's axes where `axis` was
    return np.moveaxis(res, tuple(range(len(rest), len(rest) + len(inner))),
                       tuple(range(axis, axis + len(inner))))


def resize(a, new_shape):
    new_shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    a = np.reshape(as_array(a), (-1,))
    new_size = 1
    for d in new_shape:
        if d < 0:
            raise ValueError("all elements of `new_shape` must be non-negative")
        new_size *= d
    size = shape_of(a)[0]
    if size == 0 or new_size == 0:
        return np.zeros(new_shape, _dtype(a))
    repeats = -(-new_size // size)
    return np.reshape(np.concatenate((a,) * repeats)[:new_size], new_shape)


def real_if_close(a, tol=100):
    a = as_array(a)
    if _dtype(a).kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(_dtype(a)).eps * tol
    return np.real(a) if np.all(np.abs(np.imag(getval(a))) < tol) else a


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    x = as_array(x)
    dt = _dtype(x)
    if dt.kind not in "fc":
        return x
    if dt.kind == "c":
        return np.real(nan_to_num(np.real(x), nan=nan, posinf=posinf, neginf=neginf)) + 1j * \
            nan_to_num(np.imag(x), nan=nan, posinf=posinf, neginf=neginf)
    big = np.finfo(dt)
    v = getval(x)
    for mask, fill in ((np.isnan(v), nan), (np.isposinf(v), big.max if posinf is None else posinf),
                       (np.isneginf(v), big.min if neginf is None else neginf)):
        if np.any(mask):
            x = np.where(mask, cast_to(fill, dt), x)
    return x


#: Taylor coefficients of sin(z)/z at 0 (z = pi x), for the derivatives there
_SINC0 = (1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880)


def sinc(x):
    x = as_array(x)
    y = np.pi * x
    zero = getval(y) == 0
    if not np.any(zero):
        return np.sin(y) / y
    # why: NumPy evaluates sin(1e-20) / 1e-20 at 0 (a constant there); the series of
    # sin(z)/z gives the value 1 with the derivatives of sinc up to the 9th order.
    safe = np.where(zero, 1.0e-20, y)
    z2 = np.where(zero, y, 0.0) ** 2
    series = _SINC0[-1]
    for c in _SINC0[-2::-1]:
        series = series * z2 + c
    return np.where(zero, cast_to(series, _dtype(np.sin(safe) / safe)), np.sin(safe) / safe)


def i0(x):
    import scipy.special as sp
    x = as_array(x)
    dt = _dtype(x)
    if dt.kind == "c":
        raise TypeError("i0 not supported for complex values")
    if dt.kind != "f":
        dt = np.dtype(np.float64)
    # NumPy evaluates its series in double precision and stores the result in x's dtype
    return cast_to(sp.i0(cast_to(x, np.float64)), dt)


def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    p = as_array(p)
    nd = len(shape_of(p))
    dd = np.diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    dtype = np.result_type(getval(dd), period)
    if dtype.kind in "iu":
        return np.unwrap(getval(p), discont, axis, period=period)
    high, low = period / 2, -period / 2
    # the correction is a multiple of the period chosen by comparisons: a step function,
    # derivative 0 (remainder's derivative 1 in dd cancels dd's)
    ddmod = np.mod(dd - low, period) + low
    ddmod = np.where((getval(ddmod) == low) & (getval(dd) > 0), high, ddmod)
    correct = np.where(np.abs(getval(dd)) < discont, 0.0, ddmod - dd)
    axis %= nd
    head = p[(slice(None),) * axis + (slice(0, 1),)]
    tail = p[(slice(None),) * axis + (slice(1, None),)] + np.cumsum(correct, axis=axis)
    return cast_to(np.concatenate([head, tail], axis=axis), dtype)


def polyder(p, m=1):
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = as_array(p)
    n = shape_of(p)[0] - 1
    y = p[:-1] * np.arange(n, 0, -1)
    return p if m == 0 else polyder(y, m - 1)


def polyint(p, m=1, k=None):
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k = np.zeros(m, float) if k is None else k
    k = np.reshape(as_array(k), (-1,))
    if shape_of(k)[0] == 1 and m > 1:
        k = k[0] * np.ones(m, float)
    if shape_of(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = as_array(p)
    if m == 0:
        return p
    y = np.concatenate((p / np.arange(shape_of(p)[0], 0, -1), np.reshape(k[0], (1,))))
    return polyint(y, m - 1, k=k[1:])


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    if cov:
        raise UnsupportedOperation("dfdx differentiates numpy.polyfit without cov= (the "
                                   "covariance of the coefficients). Compute it from the fit "
                                   "residuals, or call np.polyfit(...) on plain values.")
    order = int(deg) + 1
    x = as_array(x) + 0.0
    y = as_array(y) + 0.0
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if len(shape_of(x)) != 1:
        raise TypeError("expected 1D vector for x")
    if shape_of(x)[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if len(shape_of(y)) < 1 or len(shape_of(y)) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if shape_of(x)[0] != shape_of(y)[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = shape_of(x)[0] * np.finfo(_dtype(x)).eps
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = as_array(w) + 0.0
        lhs = lhs * np.reshape(w, (-1, 1))
        rhs = rhs * (w if len(shape_of(rhs)) == 1 else np.reshape(w, (-1, 1)))
    scale = np.sqrt(np.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = np.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T if len(shape_of(c)) == 2 else c / scale
    if rank != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning,
                      stacklevel=2)
    return (c, resids, rank, s, rcond) if full else c


def roots(p):
    p = as_array(p)
    p = np.reshape(p, (1,)) if not shape_of(p) else p
    if len(shape_of(p)) != 1:
        raise ValueError("Input must be a rank-1 array.")
    nz = np.nonzero(np.ravel(getval(p)))[0]
    if len(nz) == 0:
        return np.array([])
    trailing = shape_of(p)[0] - nz[-1] - 1
    p = p[int(nz[0]):int(nz[-1]) + 1]
    if _dtype(p).kind not in "fc":
        p = cast_to(p, np.float64)
    n = shape_of(p)[0]
    if n > 1:
        below = np.diag(np.ones((n - 2,), _dtype(p)), -1)[1:]
        r = np.linalg.eigvals(np.concatenate([np.reshape(-p[1:] / p[0], (1, n - 1)), below]))
    else:
        r = np.array([])
    return np.concatenate((r, np.zeros(trailing, _dtype(r))))


def sort_complex(a):
    b = np.sort(as_array(a))
    dt = _dtype(b)
    if dt.kind == "c":
        return b
    target = np.dtype("F") if dt.char in "bhBH" else (np.dtype("G") if dt.char == "g" else
                                                       np.dtype("D"))
    return cast_to(b, target)


def diagflat(v, k=0):
    return np.diag(np.reshape(as_array(v), (-1,)), k)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = as_array(m)
    if len(shape_of(m)) > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = as_array(y)
        if len(shape_of(y)) > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(getval(m), np.float64) if y is None else \
            np.result_type(getval(m), getval(y), np.float64)

    def rows(a):
        a = cast_to(a, dtype)
        a = np.reshape(a, (1,) * (2 - len(shape_of(a))) + tuple(shape_of(a)))
        return a.T if not rowvar and shape_of(a)[0] != 1 else a
    X = rows(m)
    if shape_of(X)[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        X = np.concatenate((X, rows(y)), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        fw = np.asarray(getval(fweights), dtype=float)
        if not np.all(fw == np.around(fw)):
            raise TypeError("fweights must be integer")
        w = fw
    if aweights is not None:
        w = as_array(aweights) if w is None else w * as_array(aweights)
    avg, w_sum = np.average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        fact = shape_of(X)[1] - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * np.sum(w * as_array(aweights)) / w_sum
    if np.any(getval(fact) <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    X = X - np.reshape(avg, (-1, 1))
    X_T = X.T if w is None else (X * w).T
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.matmul(X, _conj(X_T))
        c = cast_to(c * np.true_divide(1, fact), _dtype(c))   # NumPy scales c in place
    s = tuple(d for d in shape_of(c) if d != 1)
    return np.reshape(c, s)


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if not shape_of(c):
        return c / c
    d = np.diagonal(c)
    stddev = np.sqrt(np.real(d))
    c = c / np.reshape(stddev, (-1, 1))
    c = c / np.reshape(stddev, (1, -1))
    if _dtype(c).kind == "c":
        return np.clip(np.real(c), -1, 1) + 1j * np.clip(np.imag(c), -1, 1)
    return np.clip(c, -1, 1)


for _np_fn, _impl in {
    np.broadcast_arrays: broadcast_arrays,
    np.cumulative_sum: _cumulative("numpy.cumulative_sum", 0),
    np.cumulative_prod: _cumulative("numpy.cumulative_prod", 1),
    np.linalg.cross: _linalg_cross, np.vander: vander, np.bincount: bincount,
    np.apply_along_axis: apply_along_axis, np.resize: resize, np.real_if_close: real_if_close,
    np.nan_to_num: nan_to_num, np.sinc: sinc, np.i0: i0, np.unwrap: unwrap,
    np.polyder: polyder, np.polyint: polyint, np.polyfit: polyfit, np.roots: roots,
    np.sort_complex: sort_complex, np.diagflat: diagflat, np.cov: cov, np.corrcoef: corrcoef,
}.items():
    defcomposite(_np_fn, _impl)

# np.lexsort takes a sequence of keys (the traced values inside it): plain indices
defcomposite(np.lexsort, lambda keys, axis=-1: np.lexsort(
    tuple(getval(k) for k in keys) if isinstance(keys, (tuple, list)) else getval(keys), axis))
defzero(np.fix, np.isin, np.linalg.matrix_rank, np.iscomplex, np.isreal,
        np.isposinf, np.isneginf)
