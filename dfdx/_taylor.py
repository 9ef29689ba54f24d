"""Taylor mode: truncated Taylor polynomials pushed through NumPy code in one pass.

A `Series` stands for ``x(t) = c[0] + c[1] t + ... + c[K] t^K`` (arrays of one
shape; None is a zero coefficient). It is a duck array: NumPy hands it every
ufunc (NEP 13) and array function (NEP 18), and the answer is the Series of the
result, truncated at order K:

* elementwise functions by their recurrences (univariate Taylor arithmetic:
  the coefficients of ``exp(a)`` from those of ``a`` and of the answer so far,
  ``sin``/``cos`` as a pair, ``log``/``arctan``/``arcsin``/... by dividing
  ``a'`` by a known series), O(K^2) per call;
* linear functions (reshape, indexing, sums, concatenate, where, ...)
  coefficient by coefficient, bilinear ones (matmul, einsum, multiply, ...) as
  a Cauchy product;
* other elementwise functions of the rules table from their first partials
  (``y' = sum_i p_i(y, x) x_i'``, the partials traced in Taylor mode), other
  primitives from their JVP rule (``y' = jvp(x'; y, x)``), composites through
  their parts: O(K^3) per call;
* anything else (docs/structure.md lists them) by nested forward mode on that
  one call (correct and slower): the derivatives of ``t -> f(x(t))`` at 0.

Comparisons and other functions of zero derivative look at ``c[0]``.
"""

from __future__ import annotations

import contextlib
import math
import operator

import numpy as np

from dfdx._errors import DfdxError, TracerConversionError, UnsupportedOperation

__all__ = ["Series", "taylor", "jet"]


# -- series arithmetic on lists of coefficients (None = 0) -------------------------------------

def _add(a, b):
    return [x if y is None else y if x is None else x + y for x, y in zip(a, b)]


def _scale(a, s):
    return [None if x is None else x * s for x in a]


def _mul(a, b, op=operator.mul):
    """Cauchy product ``c_k = sum_j op(a_j, b_{k-j})``."""
    K = len(a)
    out = []
    for k in range(K):
        acc = None
        for j in range(k + 1):
            if a[j] is not None and b[k - j] is not None:
                p = op(a[j], b[k - j])
                acc = p if acc is None else acc + p
        out.append(acc)
    return out


def _div(a, b):
    """``a / b``: ``c_k = (a_k - sum_{j>=1} b_j c_{k-j}) / b_0``."""
    out = []
    for k in range(len(a)):
        acc = a[k]
        for j in range(1, k + 1):
            if b[j] is not None and out[k - j] is not None:
                acc = -(b[j] * out[k - j]) if acc is None else acc - b[j] * out[k - j]
        out.append(None if acc is None else acc / b[0])
    return out


def _integrate(a, y0, g):
    """y with ``y' = g * a'``, where ``g(y, k)`` gives coefficient k of g from y[0..k]."""
    y, gs = [y0], [g([y0], 0)]
    for k in range(1, len(a)):
        acc = None
        for j in range(1, k + 1):
            if a[j] is not None and gs[k - j] is not None:
                p = j * a[j] * gs[k - j]
                acc = p if acc is None else acc + p
        y.append(None if acc is None else acc / k)
        gs.append(g(y, k))
    return y


def _quotient_integral(a, y0, q):
    """y with ``y' = a' / q`` for a known series q: ``k q_0 y_k = k a_k - sum j y_j q_{k-j}``."""
    y = [y0]
    for k in range(1, len(a)):
        acc = None if a[k] is None else k * a[k]
        for j in range(1, k):
            if y[j] is not None and q[k - j] is not None:
                p = j * y[j] * q[k - j]
                acc = -p if acc is None else acc - p
        y.append(None if acc is None else acc / (k * q[0]))
    return y


def _coef(y, k):
    return y[k] if y[k] is not None else 0


def _square_coef(y, k):
    """Coefficient k of y**2 from y[0..k]."""
    acc = 0
    for j in range(k + 1):
        if y[j] is not None and y[k - j] is not None:
            acc = acc + y[j] * y[k - j]
    return acc


def _sqrt(a):
    s = [np.sqrt(a[0])]
    for k in range(1, len(a)):
        acc = a[k]
        for j in range(1, k):
            if s[j] is not None and s[k - j] is not None:
                acc = -(s[j] * s[k - j]) if acc is None else acc - s[j] * s[k - j]
        s.append(None if acc is None else acc / (2 * s[0]))
    return s


def _exp(a):
    return _integrate(a, np.exp(a[0]), _coef)


def _sincos(a):
    s, c = [np.sin(a[0])], [np.cos(a[0])]
    for k in range(1, len(a)):
        ps = pc = 0
        for j in range(1, k + 1):
            if a[j] is not None:
                ps = ps + j * a[j] * c[k - j]
                pc = pc - j * a[j] * s[k - j]
        s.append(ps / k)
        c.append(pc / k)
    return s, c


def _sinhcosh(a):
    s, c = [np.sinh(a[0])], [np.cosh(a[0])]
    for k in range(1, len(a)):
        ps = pc = 0
        for j in range(1, k + 1):
            if a[j] is not None:
                ps = ps + j * a[j] * c[k - j]
                pc = pc + j * a[j] * s[k - j]
        s.append(ps / k)
        c.append(pc / k)
    return s, c


def _one_plus(a, sign=1):
    """The series of ``1 + sign * a``."""
    return [1 + sign * a[0]] + [None if x is None else sign * x for x in a[1:]]


def _power(a, r):
    """``a ** r`` for a constant exponent r."""
    if np.ndim(r) == 0 and float(r).is_integer() and 0 <= float(r) <= 64:
        r = float(r)
        n, out, base = int(r), None, a
        while n:                    # why: exact at a_0 = 0, where the recurrence divides by it
            if n & 1:
                out = base if out is None else _mul(out, base)
            n >>= 1
            if n:
                base = _mul(base, base)
        return out if out is not None else [np.ones_like(a[0])] + [None] * (len(a) - 1)
    p = [np.power(a[0], r)]
    for k in range(1, len(a)):
        acc = None
        for j in range(1, k + 1):
            if a[j] is not None and p[k - j] is not None:
                t = ((r + 1) * j - k) * a[j] * p[k - j]
                acc = t if acc is None else acc + t
        p.append(None if acc is None else acc / (k * a[0]))
    return p


def _abs(a):
    """|a|: sign(a_0) * a for real a (0 at 0, the rules' convention); sqrt(re^2 + im^2) else."""
    if np.iscomplexobj(a[0]):
        re = [None if x is None else np.real(x) for x in a]
        im = [None if x is None else np.imag(x) for x in a]
        return _sqrt(_add(_mul(re, re), _mul(im, im)))
    return _scale(a, np.sign(a[0]))


def _erf(a, value):
    """erf-like: ``y' = (2/sqrt(pi)) exp(-a^2) a'`` with y_0 = `value`."""
    g = _scale(_exp(_scale(_mul(a, a), -1)), 2 / math.sqrt(math.pi))
    return _integrate(a, value, lambda y, k: g[k] if g[k] is not None else 0)


def _compose(a, derivs):
    """f(a) from the derivatives ``derivs[m] = f^(m)(a_0)``: ``sum_m derivs[m] / m! (a - a_0)^m``."""
    d = [None] + a[1:]
    out = [derivs[0]] + [None] * (len(a) - 1)
    power = d
    for m in range(1, len(a)):
        out = _add(out, _scale(power, derivs[m] / math.factorial(m)))
        power = _mul(power, d)
    return out


def _polygammas(x0, first, K):
    """``[first(x0), psi(x0), polygamma(1, x0), ..., polygamma(K - 2, x0)]`` in x0's dtype."""
    import scipy.special as sp
    dt = np.result_type(x0, np.float32)
    return [first] + [np.asarray(sp.polygamma(m - 1, x0), dtype=dt)[()] for m in range(1, K + 1)]


def _gammaln(a):
    import scipy.special as sp
    return _compose(a, _polygammas(a[0], sp.gammaln(a[0]), len(a) - 1))


def _gamma(a):
    """gamma = sign * exp(gammaln) (gammaln = log|gamma|, so negative non-integers too)."""
    import scipy.special as sp
    g0 = sp.gamma(a[0])
    return [g0] + _scale(_exp(_gammaln(a)), np.sign(g0))[1:]


def _digamma(a):
    import scipy.special as sp
    dt = np.result_type(a[0], np.float32)
    derivs = [np.asarray(sp.polygamma(m, a[0]), dtype=dt)[()] for m in range(len(a))]
    return [sp.psi(a[0])] + _compose(a, derivs)[1:]


def _special(fn):
    """The recurrence of a scipy.special ufunc, or None (loaded on first need)."""
    import scipy.special as sp
    table = {
        sp.erf: lambda a: _erf(a, sp.erf(a[0])),
        sp.erfc: lambda a: [sp.erfc(a[0])] + _scale(_erf(a, sp.erf(a[0])), -1)[1:],
        sp.ndtr: lambda a: [sp.ndtr(a[0])] + _scale(_erf(_scale(a, 1 / math.sqrt(2)),
                                                          sp.erf(a[0] / math.sqrt(2))),
                                                     0.5)[1:],
        sp.gammaln: _gammaln,
        sp.gamma: _gamma,
        sp.psi: _digamma,
        sp.expit: lambda a: _integrate(a, sp.expit(a[0]),
                                       lambda y, k: _coef(y, k) - _square_coef(y, k)),
    }
    return table.get(fn)


def _atan(a):
    return _quotient_integral(a, np.arctan(a[0]), _one_plus(_mul(a, a)))


# ufunc -> function of the input series (lists) returning the output series
_UNARY = {
    np.negative: lambda a: _scale(a, -1),
    np.positive: lambda a: a,
    np.exp: _exp,
    np.expm1: lambda a: [np.expm1(a[0])] + _exp(a)[1:],
    np.exp2: lambda a: _exp(_scale(a, math.log(2))),
    np.log: lambda a: _quotient_integral(a, np.log(a[0]), a),
    np.log1p: lambda a: _quotient_integral(a, np.log1p(a[0]), _one_plus(a)),
    np.log2: lambda a: _scale(_quotient_integral(a, np.log(a[0]), a), 1 / math.log(2)),
    np.log10: lambda a: _scale(_quotient_integral(a, np.log(a[0]), a), 1 / math.log(10)),
    np.sqrt: _sqrt,
    np.cbrt: lambda a: [np.cbrt(a[0])] + _power(a, 1 / 3)[1:],
    np.square: lambda a: _mul(a, a),
    np.reciprocal: lambda a: _div([np.ones_like(a[0])] + [None] * (len(a) - 1), a),
    np.sin: lambda a: _sincos(a)[0],
    np.cos: lambda a: _sincos(a)[1],
    np.tan: lambda a: _integrate(a, np.tan(a[0]), lambda y, k: (k == 0) + _square_coef(y, k)),
    np.sinh: lambda a: _sinhcosh(a)[0],
    np.cosh: lambda a: _sinhcosh(a)[1],
    np.tanh: lambda a: _integrate(a, np.tanh(a[0]), lambda y, k: (k == 0) - _square_coef(y, k)),
    np.arctan: _atan,
    np.arcsin: lambda a: _quotient_integral(a, np.arcsin(a[0]),
                                            _sqrt(_one_plus(_mul(a, a), -1))),
    np.arccos: lambda a: [np.arccos(a[0])] + _scale(_quotient_integral(
        a, np.arcsin(a[0]), _sqrt(_one_plus(_mul(a, a), -1))), -1)[1:],
    np.arcsinh: lambda a: _quotient_integral(a, np.arcsinh(a[0]), _sqrt(_one_plus(_mul(a, a)))),
    np.arccosh: lambda a: _quotient_integral(
        a, np.arccosh(a[0]), _sqrt(_add(_mul(a, a), [-np.ones_like(a[0])] + [None] * (len(a) - 1)))),
    np.arctanh: lambda a: _quotient_integral(a, np.arctanh(a[0]), _one_plus(_mul(a, a), -1)),
    np.absolute: lambda a: _abs(a),
    np.fabs: lambda a: _scale(a, np.sign(a[0])),
    np.conjugate: lambda a: [None if x is None else np.conjugate(x) for x in a],
}


def _maximum(a, b, pick):
    """maximum / minimum: the series of the argument chosen at c[0] (the mean at a tie)."""
    first = pick(a[0], b[0])
    ta, tb = a[0] == first, b[0] == first
    out = [first]
    for x, y in zip(a[1:], b[1:]):
        x = 0 * first if x is None else x
        y = 0 * first if y is None else y
        out.append(np.where(ta & tb, (x + y) / 2, np.where(ta, x, y)))
    return out


_BINARY = {
    np.add: lambda a, b: _add(a, b),
    np.subtract: lambda a, b: _add(a, _scale(b, -1)),
    np.multiply: lambda a, b: _mul(a, b),
    np.true_divide: _div,
    np.divide: _div,
    np.power: lambda a, b: _exp(_mul(b, _UNARY[np.log](a))),
    np.maximum: lambda a, b: _maximum(a, b, np.maximum),
    np.minimum: lambda a, b: _maximum(a, b, np.minimum),
    np.fmax: lambda a, b: _maximum(a, b, np.fmax),
    np.fmin: lambda a, b: _maximum(a, b, np.fmin),
    np.arctan2: lambda y, x: [np.arctan2(y[0], x[0])] + _atan(_div(y, x))[1:],
    np.hypot: lambda a, b: _sqrt(_add(_mul(a, a), _mul(b, b))),
    np.logaddexp: lambda a, b: _logaddexp(a, b),
}


def _logaddexp(a, b):
    m = np.maximum(a[0], b[0])
    shift = lambda s: [s[0] - m] + s[1:]                          # noqa: E731
    e = _add(_exp(shift(a)), _exp(shift(b)))
    out = _quotient_integral(e, np.log(e[0]), e)
    return [out[0] + m] + out[1:]


#: functions linear in the arguments at these positions (others are kept as they are);
#: "seq" marks a position holding a sequence of arrays (concatenate's list)
_LINEAR = {
    np.reshape: (0,), np.transpose: (0,), np.swapaxes: (0,), np.moveaxis: (0,),
    np.squeeze: (0,), np.expand_dims: (0,), np.ravel: (0,), np.broadcast_to: (0,),
    np.sum: (0,), np.mean: (0,), np.cumsum: (0,), np.diff: (0,), np.flip: (0,),
    np.fliplr: (0,), np.flipud: (0,), np.roll: (0,), np.tile: (0,), np.repeat: (0,),
    np.take: (0,), np.take_along_axis: (0,), operator.getitem: (0,), np.real: (0,),
    np.imag: (0,), np.conj: (0,), np.trace: (0,), np.diagonal: (0,), np.triu: (0,),
    np.tril: (0,), np.atleast_1d: (0,), np.atleast_2d: (0,), np.copy: (0,),
    np.where: (1, 2), np.concatenate: ("seq",), np.stack: ("seq",), np.hstack: ("seq",),
    np.vstack: ("seq",), np.dstack: ("seq",), np.column_stack: ("seq",), np.split: (0,),
    np.array_split: (0,), np.hsplit: (0,), np.vsplit: (0,), np.dsplit: (0,), np.block: ("seq",),
    np.fft.fft: (0,), np.fft.ifft: (0,), np.fft.rfft: (0,), np.fft.irfft: (0,),
    np.fft.fft2: (0,), np.fft.ifft2: (0,), np.fft.fftn: (0,), np.fft.ifftn: (0,),
    np.fft.fftshift: (0,), np.fft.ifftshift: (0,), np.diag: (0,), np.diagflat: (0,),
    np.pad: (0,), np.ediff1d: (0,), np.delete: (0,),
    np.insert: (0, 2), np.append: (0, 1), np.resize: (0,), np.gradient: (0,),
    np.polyval: (0,),
}
for _name in ("trapezoid", "cumulative_sum"):         # NumPy >= 2.0 / 2.1
    if hasattr(np, _name):
        _LINEAR[getattr(np, _name)] = (0,)
#: functions linear in each of two arguments
_BILINEAR = {np.matmul: (0, 1), np.dot: (0, 1), np.inner: (0, 1), np.outer: (0, 1),
             np.tensordot: (0, 1), np.kron: (0, 1), np.cross: (0, 1), np.vdot: (0, 1),
             np.convolve: (0, 1), np.correlate: (0, 1)}
for _name in ("vecdot",):                             # NumPy >= 2.0
    if hasattr(np, _name):
        _BILINEAR[getattr(np, _name)] = (0, 1)
if hasattr(np.linalg, "cross"):
    _BILINEAR[np.linalg.cross] = (0, 1)
#: functions whose derivative is zero: computed on c[0], the answer is a plain value
_ZERO = {np.sign, np.floor, np.ceil, np.trunc, np.rint, np.greater, np.greater_equal,
         np.less, np.less_equal, np.equal, np.not_equal, np.isfinite, np.isnan, np.isinf,
         np.signbit, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
         np.argmax, np.argmin, np.argsort, np.shape, np.ndim, np.size, np.result_type,
         np.iscomplexobj, np.isrealobj, np.heaviside, np.floor_divide, np.round, np.around,
         np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.searchsorted,
         np.digitize, np.count_nonzero, np.nonzero, np.any, np.all}


def _entry(fn):
    """The rules table's entry for `fn` (a Primitive or a composite), or None."""
    from dfdx._numpy.registry import FUNCTIONS, UFUNCS, load_lazy_rules
    table = UFUNCS if isinstance(fn, np.ufunc) else FUNCTIONS
    entry = table.get(fn)
    if entry is None and load_lazy_rules():     # why: scipy.special's rules load on first need
        entry = table.get(fn)
    return entry


def _zero_derivative(fn):
    """Whether the rules table says `fn` has derivative zero (argwhere, isclose, ...)."""
    return bool(getattr(_entry(fn), "zero_derivative", False))


def _order_of(objs):
    found = _series_in(list(objs))
    return found[0].order if found else None


def _series(x, K):
    """The coefficients of `x` (a Series, or a constant: [x, None, ...])."""
    if isinstance(x, Series):
        return x.c
    return [x] + [None] * K


def _at(x, k, zero):
    """`x` at coefficient k: a Series' c[k] (zeros for None); a constant when k == 0 else 0."""
    if isinstance(x, Series):
        c = x.c[k]
        return c if c is not None else zero(x.c[0])
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(_at(o, k, zero) for o in x)
    return x if k == 0 else zero(x)


def _zeros(x):
    return np.zeros_like(x) if isinstance(x, np.ndarray) or np.ndim(x) else 0 * x


def _plain(x):
    """Coefficient 0 everywhere inside `x` (for zero-derivative functions)."""
    if isinstance(x, Series):
        return x.c[0]
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(_plain(o) for o in x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _series_in(obj):
    """Every Series inside `obj` (nested lists, tuples and dicts searched)."""
    if isinstance(obj, Series):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [x for o in obj for x in _series_in(o)]
    if isinstance(obj, dict):
        return [x for o in obj.values() for x in _series_in(o)]
    return []


#: keywords of linear functions that hold constant data: zero beyond coefficient 0
_AFFINE = {"prepend", "append", "constant_values", "default", "to_end", "to_begin"}


def _linear(fn, args, kwargs, slots, K):
    """A function linear in `slots`: coefficient 0 with everything, k >= 1 with zeros elsewhere."""
    def linear(i):
        return i in slots or ("seq" in slots and i == 0)

    fixed = [a for i, a in enumerate(args) if not linear(i)] + [kwargs]
    if _series_in(fixed):
        return _fallback(fn, args, kwargs, K)      # a series where the function is not linear
    traced = _series_in([a for i, a in enumerate(args) if linear(i)])
    kw = _plain(kwargs)
    outs = [fn(*[_plain(a) for a in args], **kw)]
    kw = {k: (_zeros(v) if k in _AFFINE else v) for k, v in kw.items() if k != "initial"}
    for k in range(1, K + 1):
        if all(x.c[k] is None for x in traced):
            outs.append(None)
            continue
        outs.append(fn(*[_at(a, k, _zeros) if linear(i) else _plain(a)
                         for i, a in enumerate(args)], **kw))
    if isinstance(outs[0], (tuple, list)):           # np.split and friends
        return type(outs[0])(Series([o if o is None else o[i] for o in outs])
                             for i in range(len(outs[0])))
    return Series(outs)


def _bilinear(fn, args, kwargs, K):
    a, b = args[0], args[1]
    rest = [_plain(x) for x in args[2:]]
    kw = _plain(kwargs)
    op = lambda x, y: fn(x, y, *rest, **kw)                       # noqa: E731
    return Series(_mul(_series(a, K), _series(b, K), op))


#: results of `_from_partials` during one call of `taylor` / `jet`, by the identity of the
#: coefficients they were computed from (the arguments are kept, so no identity is reused)
_MEMO: dict | None = None


def _memo(compute, fn, args, K):
    """`compute(fn, args, K)`, once per call of `taylor` for the same coefficient arrays.

    why: partials that call each other (j0' = -j1, j1' = j0 - j1/x) would recompute every
    lower order at every order (exponential in K); the truncated series they are called
    on share their coefficient arrays, so the same call is recognised by identity.
    """
    if _MEMO is None:
        return compute(fn, args, K)
    key = (fn,) + tuple(tuple(map(id, a.c)) if isinstance(a, Series) else _const_key(a)
                        for a in args)
    hit = _MEMO.get(key)
    if hit is None:
        hit = _MEMO[key] = (compute(fn, args, K), args)
    return hit[0]


def _const_key(a):
    """A constant argument by value when it is small (jv's order), else by identity."""
    if isinstance(a, np.ndarray) and a.size <= 64:
        return ("array", a.dtype.str, a.shape, a.tobytes())
    if np.ndim(a) == 0 and not isinstance(a, np.ndarray):
        return ("value", type(a), a)
    return ("id", id(a))


def _from_partials(fn, args, K):
    """An elementwise ufunc without a recurrence, from its rule's first partials; None if not.

    ``y' = sum_i p_i(y, x) x_i'`` with ``p_i`` the partials of the rules table (their JVP rule
    at a unit tangent, traced here in Taylor mode): coefficient k of y from those of the
    partials to order k - 1, which need y only to order k - 1. O(K) passes through the
    partials (one when no partial reads the answer), each in Taylor mode itself.
    """
    prim = _entry(fn)
    jvps = getattr(prim, "jvps", ())
    if len(jvps) != len(args):
        return None
    moving = [i for i, a in enumerate(args) if isinstance(a, Series)
              and any(c is not None for c in a.c[1:])]
    if any(jvps[i] is None for i in moving):
        return None                 # no derivative in a moving argument: not ours to say
    xs = [_series(a, K) for a in args]
    x0 = [x[0] for x in xs]
    y = [fn(*x0)]
    if np.result_type(y[0]).kind not in "fc":
        return None
    drop = getattr(prim, "drop", None)
    reads_ans = not (drop and drop[0])

    def partials(k):
        """The series of every moving partial to order k (the answer known to order k)."""
        ans = Series(y[:k + 1]) if reads_ans else y[0]
        at = [Series(x[:k + 1]) for x in xs]
        out = []
        for i in moving:
            one = np.ones_like(x0[i])
            p = jvps[i](one, ans, *[a if j in moving or isinstance(args[j], Series) else args[j]
                                    for j, a in enumerate(at)])
            out.append(_series(p, k) if isinstance(p, Series) else [p] + [None] * k)
        return out

    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ps = None if reads_ans else partials(K - 1)
            for k in range(1, K + 1):
                if reads_ans:
                    ps = partials(k - 1)
                acc = None
                for i, p in zip(moving, ps):
                    a = xs[i]
                    for j in range(1, k + 1):
                        if a[j] is not None and p[k - j] is not None:
                            term = j * a[j] * p[k - j]
                            acc = term if acc is None else acc + term
                y.append(None if acc is None else acc / k)
    except (DfdxError, TypeError, ValueError):
        return None                 # a partial Taylor mode cannot run: nested forward mode
    return Series([c if c is None else np.broadcast_to(c, np.shape(y[0])) for c in y])


#: NumPy functions that write into their argument (dfdx.rules.writes): refused by name
_WRITERS = frozenset({np.copyto, np.put, np.put_along_axis, np.fill_diagonal, np.place,
                      np.putmask})


def _fallback(fn, args, kwargs, K):
    """Nested forward mode on this one call: coefficients of ``t -> fn(x(t))`` at t = 0."""
    # why: nested forward mode itself (derivative() would come back to Taylor mode)
    from dfdx.api import nested_derivative as derivative

    def at_t(t):
        def poly(x):
            if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
                return type(x)(poly(o) for o in x)
            if isinstance(x, dict):
                return {k: poly(v) for k, v in x.items()}
            if not isinstance(x, Series):
                return x
            acc = x.c[0]
            for k in range(1, K + 1):
                if x.c[k] is not None:
                    acc = acc + x.c[k] * t ** k
            return acc
        return fn(*poly(list(args)), **poly(kwargs))

    if fn in _WRITERS:
        raise UnsupportedOperation(
            f"dfdx.taylor: {getattr(fn, '__name__', fn)} writes into its argument, which Taylor "
            "mode does not record; write it functionally (np.where, np.concatenate), or use "
            "nested forward mode (dfdx.jacfwd)")
    value = fn(*[_plain(a) for a in args], **_plain(kwargs))
    if not isinstance(value, (tuple, list)) and np.result_type(value).kind not in "fc":
        return value                # integer or boolean results (lexsort): derivative zero
    if isinstance(value, (tuple, list)):        # eigh, svd, slogdet: each result in turn
        parts = [Series([v] + [derivative(lambda t, i=i: at_t(t)[i], n=k)(0.0)
                               / math.factorial(k) for k in range(1, K + 1)])
                 for i, v in enumerate(value)]
        return type(value)(*parts) if hasattr(value, "_fields") else type(value)(parts)
    return Series([value] + [derivative(at_t, n=k)(0.0) / math.factorial(k)
                             for k in range(1, K + 1)])


def _call(fn, args, kwargs):
    K = _order_of(list(args) + list(kwargs.values()))
    if fn in _ZERO or _zero_derivative(fn):
        return fn(*[_plain(a) for a in args], **_plain(kwargs))
    if isinstance(fn, np.ufunc) and not kwargs:
        if len(args) == 1:
            rule = _UNARY.get(fn) or _special(fn)
            if rule is not None:
                return Series(rule(_series(args[0], K)))
        if len(args) == 2 and fn in _BINARY:
            if fn in (np.multiply, np.true_divide, np.divide) and not isinstance(args[1], Series):
                return _linear(fn, args, kwargs, (0,), K)
            if fn is np.multiply and not isinstance(args[0], Series):
                return _linear(fn, args, kwargs, (1,), K)
            if fn is np.power and not isinstance(args[1], Series):
                return Series(_power(_series(args[0], K), args[1]))
            return Series(_BINARY[fn](_series(args[0], K), _series(args[1], K)))
        if fn.signature is None and fn.nout == 1:
            out = _memo(_from_partials, fn, args, K)
            if out is not None:
                return out
    slots = _LINEAR.get(fn)
    if slots is not None:
        return _linear(fn, args, kwargs, slots, K)
    if fn in _BILINEAR:
        traced = tuple(i for i in (0, 1) if isinstance(args[i], Series))
        if len(traced) == 1:
            return _linear(fn, args, kwargs, traced, K)
        return _bilinear(fn, args, kwargs, K)
    if fn is np.einsum:
        ops = [i for i, a in enumerate(args) if isinstance(a, Series)]
        if len(ops) == 1:
            return _linear(fn, args, kwargs, tuple(ops), K)
    out = _from_rules(fn, args, kwargs, K)
    return out if out is not None else _fallback(fn, args, kwargs, K)


#: composite functions being expanded now (a composite whose primitive calls the same NumPy
#: function on plain values would otherwise come back to itself)
_EXPANDING: set = set()


def _from_rules(fn, args, kwargs, K):
    """`fn` from the rules table: a primitive by its JVP rule, a composite by its parts."""
    from dfdx._core import Primitive
    entry = _entry(fn)
    if isinstance(entry, Primitive):
        return _from_jvp(entry, args, kwargs, K)
    if entry is None or not callable(entry) or fn in _EXPANDING:
        return None
    _EXPANDING.add(fn)
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _finite_or_none(entry(*args, **kwargs))
    except (DfdxError, TypeError, ValueError, np.linalg.LinAlgError):
        return None
    finally:
        _EXPANDING.discard(fn)


def _finite_or_none(out):
    """`out`, or None where a coefficient is NaN or infinite where the value is finite.

    why: rules hold conventions at special points (std of one element, max over an empty
    `where`) in code that looks at values; traced in Taylor mode, such a branch can leave a
    0/0 in the higher coefficients, where nested forward mode follows the convention.
    """
    for x in _series_in(out):
        ok = np.isfinite(x.c[0])
        for c in x.c[1:]:
            if c is not None and not np.all(np.isfinite(c) | ~ok):
                return None
    return out


def _from_jvp(prim, args, kwargs, K):
    """A primitive from its JVP rule: ``y' = jvp(x'; y, x)``, traced in Taylor mode.

    Coefficient k of y is coefficient k - 1 of the JVP at the series truncated to order
    k - 1 (which needs y only to order k - 1): K passes through the rule.
    """
    if prim.multiple_results or _series_in(kwargs) or any(
            _series_in(a) for a in args if not isinstance(a, Series)):
        return None                 # sequences of series, tuple results: nested forward mode
    moving = [i for i, a in enumerate(args) if isinstance(a, Series)
              and any(c is not None for c in a.c[1:])]
    rules = prim.jvps
    if prim.jvp_all is None and any(i >= len(rules) or not callable(rules[i]) for i in moving):
        return None
    y = [prim.fun(*[_plain(a) for a in args], **kwargs)]
    if not isinstance(y[0], np.ndarray | np.generic | float | complex) or \
            np.result_type(y[0]).kind not in "fc":
        return None
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for k in range(1, K + 1):
                at = [Series(a.c[:k]) if isinstance(a, Series) else a for a in args]
                ans = Series(y[:k])
                ts = {i: Series([None if args[i].c[j + 1] is None else (j + 1) * args[i].c[j + 1]
                                 for j in range(k)]) for i in moving}
                if prim.jvp_all is not None:
                    out = prim.jvp_all(tuple(ts.get(i) for i in range(len(args))), ans, *at,
                                       **kwargs)
                else:
                    out = None
                    for i, t in ts.items():
                        r = rules[i](t, ans, *at, **kwargs)
                        out = r if out is None else out + r
                if isinstance(out, Series):
                    c = out.c[k - 1] if len(out.c) >= k else None
                else:
                    c = out if k == 1 else None
                y.append(None if c is None else c / k)
    except (DfdxError, TypeError, ValueError, np.linalg.LinAlgError):
        return None                 # a rule Taylor mode cannot run: nested forward mode
    return _finite_or_none(Series(y))


def _method(fn):
    return lambda self, *a, **k: fn(self, *a, **k)


class Series:
    """A truncated Taylor series of arrays: ``c[0] + c[1] t + ... + c[K] t^K``."""

    __slots__ = ("c",)
    __array_priority__ = 90.0
    __hash__ = None

    def __init__(self, c):
        self.c = list(c)

    @property
    def order(self):
        return len(self.c) - 1

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            if method == "reduce" and ufunc is np.add:
                return np.sum(inputs[0], **kwargs)
            return _fallback(getattr(ufunc, method), inputs, kwargs, _order_of(inputs))
        if kwargs.get("out") is not None:
            raise UnsupportedOperation("dfdx.taylor: out= writes into an array; "
                                       "compute a new array instead")
        return _call(ufunc, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _call(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise TracerConversionError(
            "dfdx.taylor: np.asarray() of a Taylor series would keep only its value; compute "
            "with NumPy functions (np.stack instead of np.array([...]))")

    def __float__(self):
        raise TracerConversionError("dfdx.taylor: float() of a Taylor series would keep only "
                                    "its value; use NumPy functions (np.exp, not math.exp)")

    def __bool__(self):
        return bool(self.c[0])     # control flow follows the value at the point

    def __len__(self):
        return len(self.c[0])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key):
        return _call(operator.getitem, (self, key), {})

    def __repr__(self):
        return f"Series(order={self.order}, shape={np.shape(self.c[0])})"

    shape = property(lambda self: np.shape(self.c[0]))
    ndim = property(lambda self: np.ndim(self.c[0]))
    size = property(lambda self: np.size(self.c[0]))
    dtype = property(lambda self: np.result_type(self.c[0]))
    T = property(lambda self: np.transpose(self))
    real = property(lambda self: np.real(self))
    imag = property(lambda self: np.imag(self))

    def reshape(self, *shape, **kw):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, **kw)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def astype(self, dtype, **kw):
        return Series([None if c is None else np.asarray(c).astype(dtype, **kw)
                       for c in self.c])


for _name, _fn in {"sum": np.sum, "mean": np.mean, "cumsum": np.cumsum, "dot": np.dot,
                   "trace": np.trace, "diagonal": np.diagonal, "repeat": np.repeat,
                   "take": np.take, "conj": np.conj, "swapaxes": np.swapaxes,
                   "ravel": np.ravel, "squeeze": np.squeeze, "copy": np.copy,
                   "prod": np.prod, "max": np.max, "min": np.min, "var": np.var,
                   "std": np.std, "clip": np.clip}.items():
    setattr(Series, _name, _method(_fn))
for _op, _uf in {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                 "truediv": np.true_divide, "pow": np.power, "matmul": np.matmul}.items():
    setattr(Series, f"__{_op}__", (lambda uf: lambda self, o: uf(self, o))(_uf))
    setattr(Series, f"__r{_op}__", (lambda uf: lambda self, o: uf(o, self))(_uf))
for _op, _uf in {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                 "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}.items():
    setattr(Series, f"__{_op}__", (lambda uf: lambda self, o: uf(self, o))(_uf))
Series.__neg__ = lambda self: np.negative(self)
Series.__pos__ = lambda self: self
Series.__abs__ = lambda self: np.absolute(self)
del _name, _fn, _op, _uf


# -- the public functions ----------------------------------------------------------------------

@contextlib.contextmanager
def _memo_scope():
    """`_MEMO` on for the outermost `taylor` / `jet` call, and emptied when it ends."""
    global _MEMO
    outer = _MEMO
    if outer is None:
        _MEMO = {}
    try:
        yield
    finally:
        if outer is None:
            _MEMO = None


def _coefficients(out, K):
    """Stack the coefficients of one output (a Series or a constant) into one array."""
    c = _series(out, K)
    base = np.asarray(c[0])
    return np.stack([np.broadcast_to(np.asarray(x, dtype=np.result_type(base, x)), base.shape)
                     if x is not None else np.zeros_like(base) for x in c])


def taylor(f, at, order: int):
    """Return the Taylor coefficients ``f(a), f'(a), f''(a)/2!, ..., f^(K)(a)/K!`` of `f` at `a`.

    One pass of Taylor-mode arithmetic through `f` (a function of one
    variable written with NumPy, scalar or elementwise): O(K^2) per NumPy call
    for the functions with a recurrence, instead of the ~3x per order of
    nested forward mode.

    Args:
        f: a function of one variable (elementwise on arrays).
        at: the point (a number or an array).
        order: K, the highest order (an integer >= 0).

    Returns:
        An array of shape ``(K + 1,) + shape of f(at)``: row k is ``f^(k)(a) / k!``.

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.taylor(np.exp, 0.0, 4)
        array([1.        , 1.        , 0.5       , 0.16666667, 0.04166667])
        >>> c = dfdx.taylor(lambda x: np.sin(np.exp(x)) * np.tanh(x), 0.3, 8)
        >>> c.shape
        (9,)
    """
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order < 0:
        raise ValueError(f"order must be an integer >= 0, got {order!r}")
    a = np.asarray(at)
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    x = Series([a, np.ones_like(a)] + [None] * (order - 1)) if order else Series([a])
    with np.errstate(divide="ignore", invalid="ignore"), _memo_scope():
        out = f(x)
    return _coefficients(out, order)


def jet(f, primals, series):
    """Push a truncated Taylor series through `f` (JAX's ``jet``): the derivatives along a curve.

    With inputs ``x_i(t)`` whose derivatives at t = 0 are ``primals[i]`` and
    ``series[i] = [x_i', x_i'', ..., x_i^(K)]``, return ``f(x(0))`` and the
    derivatives ``[f', f'', ..., f^(K)]`` of ``f(x(t))`` at t = 0 (derivatives,
    not divided by factorials, as JAX's default).

    Args:
        f: a function of ``len(primals)`` arrays, returning an array.
        primals: a tuple of arrays (the point).
        series: a tuple with one list of K arrays per primal.

    Returns:
        ``(f(primals), [f', ..., f^(K)])``.

    Example:
        >>> import numpy as np, dfdx
        >>> y, terms = dfdx.jet(np.sin, (0.0,), ([1.0, 0.0, 0.0],))
        >>> float(y), [float(t) for t in terms]
        (0.0, [1.0, 0.0, -1.0])
    """
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series")
    Ks = {len(s) for s in series}
    if len(Ks) != 1:
        raise ValueError("jet: every series needs the same number of terms")
    K = Ks.pop()
    xs = []
    for p, s in zip(primals, series):
        p = np.asarray(p, dtype=np.result_type(p, 1.0))
        xs.append(Series([p] + [np.asarray(t, dtype=p.dtype) / math.factorial(k + 1)
                                for k, t in enumerate(s)]))
    with np.errstate(divide="ignore", invalid="ignore"), _memo_scope():
        out = f(*xs)
    c = _coefficients(out, K)
    return c[0], [c[k] * math.factorial(k) for k in range(1, K + 1)]
