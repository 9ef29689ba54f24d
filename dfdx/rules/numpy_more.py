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
from dfdx._numpy.box import _astype, getval
from dfdx._numpy.registry import defcomposite, defrule, shape_of
from dfdx.rules.shape import broadcast_to, concatenate, flip, moveaxis, reshape, untake


def _as_array(x):
    return x if isinstance(x, Box) else np.asanyarray(x)


def _dtype(x):
    v = getval(x)
    return v.dtype if hasattr(v, "dtype") else np.asarray(v).dtype


def _in_dtype(x, dt):
    if isinstance(x, Box):
        return x if _dtype(x) == dt else _astype(x, dt)
    return np.asarray(x, dtype=dt)


def _conj(x):
    return np.conjugate(x) if _dtype(x).kind == "c" else x


# --- cross ------------------------------------------------------------------

def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _as_array(a), _as_array(b)
    if not shape_of(a) or not shape_of(b):
        raise ValueError("At least one array has zero dimension")
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
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
    return moveaxis(cp, -1, axisc)


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
        d = _as_array(d)
        if len(shape_of(d)) == 0:
            dx.append(d)
            continue
        if len(shape_of(d)) != 1:
            raise ValueError("distances must be either scalars or 1d")
        if shape_of(d)[0] != shape_of(f)[axes[i]]:
            raise ValueError("when 1d, distances must match the length of the corresponding "
                             "dimension")
        if _dtype(d).kind in "biu":
            d = _in_dtype(d, np.float64)
        diffx = d[1:] - d[:-1]
        dv = getval(diffx)
        dx.append(diffx[0] if np.all(dv == dv[0]) else diffx)   # NumPy's uniform case
    return dx


def gradient(f, *varargs, axis=None, edge_order=1):
    f = _as_array(f)
    nd = len(shape_of(f))
    axes = tuple(range(nd)) if axis is None else np.lib.array_utils.normalize_axis_tuple(axis, nd)
    dx = _spacings(varargs, f, axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = _dtype(f)
    if otype.kind not in "fc":
        f = _in_dtype(f, np.float64)
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
            inner = (reshape(a, bshape) * f2 + reshape(b, bshape) * f3
                     + reshape(c, bshape) * f4)
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
        outs.append(concatenate([_in_dtype(p, otype) for p in (first, inner, last)], axis=ax))
    return outs[0] if len(axes) == 1 else tuple(outs)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _as_array(y)
    nd = len(shape_of(y))
    if x is None:
        d = dx
    else:
        x = _as_array(x)
        if len(shape_of(x)) == 1:
            d = x[1:] - x[:-1]
            s = [1] * nd
            s[axis] = shape_of(d)[0]
            d = reshape(d, tuple(s))
        else:
            d = np.diff(x, axis=axis)
    axis %= nd
    hi = (slice(None),) * axis + (slice(1, None),)
    lo = (slice(None),) * axis + (slice(None, -1),)
    return np.sum(d * (y[hi] + y[lo]) / 2.0, axis=axis)


def polyval(p, x):
    p = _as_array(p)
    x = _as_array(x)
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
    return conv_full(g, flip(w, 0))[m - 1:m - 1 + n]


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
    a, v = _as_array(a), _as_array(v)
    a = reshape(a, (1,)) if not shape_of(a) else a
    v = reshape(v, (1,)) if not shape_of(v) else v
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
        return _conj(flip(correlate(v, a, "same"), 0))
    return convolve(a, flip(_conj(v), 0), mode)


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
        if c.dtype.type is not np.bool:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    shape = np.broadcast_shapes(*(c.shape for c in conds), *(shape_of(c) for c in choices))
    result = broadcast_to(_in_dtype(choices[-1], dt), shape)
    for choice, cond in zip(choices[-2::-1], conds[::-1]):
        result = np.where(cond, _in_dtype(choice, dt), result)
    return result


def piecewise(x, condlist, funclist, *args, **kw):
    x = _as_array(x)
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
    flat_x = reshape(x, (size,))
    y = np.zeros(size, dt)
    # why: NumPy calls each function on the selected elements only (x[cond]) and writes
    # the results there: a gather, the function, and a scatter back.
    for cond, func in zip(conds, funclist):
        cond = np.broadcast_to(cond, xs).reshape(size)
        if not callable(func):
            y = np.where(cond, _in_dtype(func, dt), y)
            continue
        idx = np.flatnonzero(cond)
        if not idx.size:
            continue
        r = broadcast_to(_in_dtype(func(flat_x[idx], *args, **kw), dt), idx.shape)
        y = np.where(cond, untake(r, (idx,), (size,)), y)
    return reshape(y, xs)


# --- interp ---------------------------------------------------------------------

def interp(x, xp, fp, left=None, right=None, period=None):
    ft = np.complex128 if _dtype(fp).kind == "c" else np.float64
    x, xp, fp = _in_dtype(_as_array(x), np.float64), _in_dtype(_as_array(xp), np.float64), \
        _in_dtype(_as_array(fp), ft)
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
        xp = concatenate((xp[-1:] - period, xp, xp[0:1] + period))
        fp = concatenate((fp[-1:], fp, fp[0:1]))
    xv, xpv = np.asarray(getval(x)), np.asarray(getval(xp))
    n = xpv.shape[0]
    lo = fp[0] if left is None else _in_dtype(left, ft)
    hi = fp[-1] if right is None else _in_dtype(right, ft)
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
    delta = _in_dtype(stop, dt) - _in_dtype(start, dt)
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
        y = concatenate([y[:-1], reshape(broadcast_to(_in_dtype(stop, _dtype(y)),
                                                      shape_of(y)[1:]),
                                         (1,) + tuple(shape_of(y)[1:]))])
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = _in_dtype(y, np.dtype(dtype))
    return (y, step) if retstep else y


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if dtype is not None and np.issubdtype(dtype, np.integer):
        return np.logspace(getval(start), getval(stop), num, endpoint, getval(base), dtype,
                           axis)
    if not isinstance(base, (float, int)) and len(shape_of(base)):
        nd = len(np.broadcast_shapes(shape_of(start), shape_of(stop), shape_of(base)))
        start, stop, base = (reshape(_as_array(a), (1,) * (nd - len(shape_of(a)))
                                     + tuple(shape_of(a))) for a in (start, stop, base))
        base = np.expand_dims(base, axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    r = np.power(base, y)
    return r if dtype is None else _in_dtype(r, np.dtype(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start, stop = _as_array(start), _as_array(stop)
    if np.any(getval(start) == 0) or np.any(getval(stop) == 0):
        raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(getval(start), getval(stop), float(num), np.zeros((), dtype))
    dtype = dt if dtype is None else np.dtype(dtype)
    if dtype.kind not in "fc":
        return np.geomspace(getval(start), getval(stop), num, endpoint, dtype, axis)
    start, stop = _in_dtype(start, dt), _in_dtype(stop, dt)
    # why: NumPy rotates start to the positive real axis (a constant factor) and back
    out_sign = np.sign(getval(start))
    start = start / out_sign
    stop = stop / out_sign
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint, base=10.0,
                      dtype=dt)
    if num > 0:
        # NumPy writes the end points themselves over exp(log(.)) of them
        rest = tuple(shape_of(result)[1:])
        ends = [reshape(broadcast_to(start, rest), (1,) + rest), result[1:]]
        if num > 1 and endpoint:
            ends = [ends[0], result[1:-1], reshape(broadcast_to(stop, rest), (1,) + rest)]
        result = concatenate(ends) if num > 1 else ends[0]
    result = result * out_sign
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return _in_dtype(result, dtype)


for _np_fn, _impl in {
    np.cross: cross, np.gradient: gradient, np.trapezoid: trapezoid, np.polyval: polyval,
    np.convolve: convolve, np.correlate: correlate, np.select: select,
    np.piecewise: piecewise, np.interp: interp, np.linspace: linspace,
    np.logspace: logspace, np.geomspace: geomspace,
}.items():
    defcomposite(_np_fn, _impl)
