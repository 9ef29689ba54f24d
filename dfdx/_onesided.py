"""Exact one-sided derivatives at kinks: the directional (lexicographic) rule.

The default transforms follow one convention at a kink (the mean of the
one-sided derivatives), which is right for training but does not survive
composition: ``relu(relu(x)) - relu(x)`` is identically 0, yet the convention
gives it the derivative -1/4 at 0. This module owns the exact alternative,
``derivative(f, n, side="+")`` and ``differentiable(f, x)``.

How it works. The input is pushed through `f` as ``x0 + d*s`` (d = +1 or -1,
s -> 0+) by K nested forward traces of one *group*, all seeded with the tangent
d; a value in the group is then a nested dual number whose components are the
derivatives of order 0..K in s. Every primitive whose branch depends on where
its argument lies -- abs, maximum/minimum/fmax/fmin, clip, max/min reductions,
sort (hence median and quantiles), argmax/argmin/argsort, comparisons, sign,
heaviside, floor/ceil/trunc/rint/round, floor_divide/remainder/fmod, integer and
boolean casts, digitize/searchsorted, any/all/count_nonzero/nonzero, and the domain
edges of sqrt, log, arcsin, ... -- is looked up in
`KINKS` by the trace and *decides its branch from the direction of approach*:
the sign of the first nonzero Taylor coefficient of its argument (of the
difference of its arguments), which is the branch active at ``x0 + d*s`` for all
small s > 0. The chosen branch is then evaluated by the normal smooth rules, so
everything downstream, at every order, is the derivative of that branch.
Every other primitive defers to its normal JVP rule; comparisons made *inside*
a rule (guards such as ``x == 0``) keep their meaning at the point.

Conventions (documented in the README):

* A jump (sign, floor, a comparison, np.where) gives the derivative of the
  one-sided branch -- of the continuous extension from that side -- which is 0
  for sign and floor. `differentiable` reports the jump (``continuous=False``).
* Outside the domain on the side asked for (sqrt or log at 0 from the left,
  arcsin at 1 from the right) the one-sided derivative is NaN; at the edge from
  inside it is the one-sided value, e.g. +inf for sqrt at 0 from the right.
* If the selected branch itself is undefined at the point (``sin(x)/x`` at 0),
  the answer is NaN: take `dfdx.limit` of the derivative instead.
* A kink argument is treated as identically zero when its first
  ``n + EXTRA_ORDERS`` Taylor coefficients are exactly zero.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from dfdx._core import Box, ForwardTrace, Primitive, aux_of, trace_of, value_of
from dfdx._errors import UnsupportedOperation
from dfdx._numpy import box as _box
from dfdx._numpy.box import ArrayBox, getval
from dfdx._transform import as_input, check_callable, float_dtype, zeros_like
from dfdx.result import DifferentiabilityResult

__all__ = ["one_sided", "one_sided_values", "differentiable", "at_kink", "KINKS",
           "EXTRA_ORDERS"]

#: A jump whose argument vanishes to the order traced is retried with up to this many
#: more orders before it is taken as identically zero.
EXTRA_ORDERS = 5

_SIDES = {"+": 1, "-": -1}


class _State(threading.local):
    # point: > 0 while a normal rule runs (its comparisons mean "at the point");
    # groups: the one-sided evaluations running, outermost first.
    def __init__(self):
        self.point = 0
        self.groups = []


_STATE = _State()


class _Group:
    """The K nested traces of one one-sided evaluation, and what their kinks saw."""

    __slots__ = ("traces", "tied", "exhausted", "n")

    def __init__(self, n):
        self.n = n              # the order asked for
        self.traces = []
        self.tied = False       # some branch was decided by the direction (a kink was hit)
        self.exhausted = False  # some jump could not be decided with the orders traced


# --- reading the Taylor coefficients of a traced value -----------------------------

def _component(x, need, within=None):
    """The component of nested dual `x` that carries the tangents of the traces `need`.

    Boxes of other traces are stripped to their values (a plain number comes out),
    or, given `within` (a group's traces), kept: the result may then still be
    traced by outer transforms.
    """
    need = set(need)
    while isinstance(x, Box):
        t = trace_of(x)
        if t in need:
            need.discard(t)
            x = aux_of(x)       # the tangent of that forward trace
        elif within is None or t in within:
            x = value_of(x)
        else:
            break
    return None if need else x   # None: that derivative is a symbolic zero


def _coefficients(x, upto):
    """[value, then the derivatives in s of each group up to `upto`'s, outermost first]."""
    out = [getval(x)]
    if not isinstance(x, Box):
        return out
    for g in _STATE.groups:
        for k in range(1, len(g.traces) + 1):
            out.append(_component(x, g.traces[:k]))
        if g is upto:
            break
    return out


def _first_sign(diffs, shape):
    """Elementwise sign (-1, 0, 1) of the first nonzero entry of `diffs` (NaN counts as 0)."""
    res = np.zeros(shape, dtype=np.int8)
    for d in diffs:
        if d is None:
            continue
        if not (res == 0).any():
            break
        s = np.sign(np.nan_to_num(np.asarray(d, dtype=np.float64), nan=0.0, posinf=1.0,
                                  neginf=-1.0)).astype(np.int8)
        res = np.where(res == 0, s, res)
    return res


def _compare(trace, x, y):
    """Lexicographic comparison of x and y along the approach: (sign, tie-at-point, nan)."""
    kx = _coefficients(x, trace.group)
    ky = _coefficients(y, trace.group)
    x0 = np.asarray(kx[0])
    y0 = np.asarray(ky[0])
    shape = np.broadcast_shapes(x0.shape, y0.shape)
    with np.errstate(invalid="ignore"):
        nan = np.broadcast_to(np.isnan(x0) | np.isnan(y0), shape)
        res = np.broadcast_to(np.where(x0 > y0, 1, np.where(x0 < y0, -1, 0)).astype(np.int8),
                              shape)
    tie = (res == 0) & ~nan
    if tie.any():
        m = max(len(kx), len(ky))
        kx += [None] * (m - len(kx))
        ky += [None] * (m - len(ky))
        diffs = []
        for a, b in zip(kx[1:], ky[1:]):
            if a is None and b is None:
                diffs.append(None)
            else:
                with np.errstate(invalid="ignore"):
                    diffs.append(np.asarray(0.0 if a is None else a) - (0.0 if b is None else b))
        res = np.where(tie, _first_sign(diffs, shape), res)
    return res, tie, nan


def _direction(trace, x):
    """The direction in which x moves away from its value at the point (-1, 0, 1)."""
    k = _coefficients(x, trace.group)
    return _first_sign(k[1:], np.shape(k[0]))


def _mark(trace, tie, undecided=None):
    g = trace.group
    if np.any(tie):
        g.tied = True
        if undecided is not None and np.any(undecided & tie):
            g.exhausted = True


def _scalar(v):
    return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v


# --- the trace --------------------------------------------------------------------

class DirectionalBox(ArrayBox):
    """A box of a one-sided trace: comparisons and truth tests follow the approach."""

    __slots__ = ()

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if _STATE.point:
            return bool(getval(self))
        return bool(np.not_equal(self, 0))

    def astype(self, dtype, *args, **kwargs):
        # why: ArrayBox.astype returns a plain array for an integer or boolean cast (a jump,
        # derivative 0); here the cast's branch follows the approach, so it goes to the rule.
        if not _STATE.point and np.dtype(dtype).kind in "biu":
            return _box._fn(_box._astype)(self, dtype)
        return super().astype(dtype, *args, **kwargs)

    def argmax(self, axis=None, **kw):
        return np.argmax(self, axis=axis, **kw)

    def argmin(self, axis=None, **kw):
        return np.argmin(self, axis=axis, **kw)

    def argsort(self, axis=-1, **kw):
        return np.argsort(self, axis=axis, **kw)


def _comparison(ufunc, base):
    def op(self, other):
        if isinstance(other, (Box, int, float, np.ndarray, np.generic)):
            return ufunc(self, other)
        return base(self, other)
    return op


for _name, _uf in {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                   "gt": np.greater, "ge": np.greater_equal}.items():
    setattr(DirectionalBox, f"__{_name}__", _comparison(_uf, getattr(ArrayBox, f"__{_name}__")))


def _defer(trace, prim, args, kwargs):
    """The normal forward rule of `prim`, with comparisons inside it at the point."""
    _STATE.point += 1
    try:
        out = ForwardTrace.process(trace, prim, args, kwargs)
    finally:
        _STATE.point -= 1
    if type(out) is ArrayBox and isinstance(trace_of(out), DirectionalTrace):
        out.__class__ = DirectionalBox
    elif type(out) is tuple:
        for o in out:
            if type(o) is ArrayBox and isinstance(trace_of(o), DirectionalTrace):
                o.__class__ = DirectionalBox
    return out


class DirectionalTrace(ForwardTrace):
    """A forward trace of a one-sided group: kinks choose their branch by the approach."""

    __slots__ = ("group",)

    def __init__(self, group):
        super().__init__()
        self.group = group

    def input(self, value, tangent):
        return DirectionalBox(value, self, tangent)

    def process(self, prim, args, kwargs):
        handler = ALWAYS.get(prim.name)
        if handler is None and not _STATE.point:
            handler = KINKS.get(prim.name)
        if handler is not None:
            out = handler(self, prim, args, kwargs)
            if out is not NotImplemented:
                return out
        return _defer(self, prim, args, kwargs)


# --- the table of kinks: each decides its branch, then computes it with normal rules ----

def _is_complex(*xs):
    return any(np.iscomplexobj(getval(x)) for x in xs if x is not None)


def _refuse(prim, kwargs, allowed=()):
    """Raise for keyword arguments the directional rule of `prim` does not handle."""
    extra = sorted(set(kwargs) - set(allowed))
    if extra:
        raise UnsupportedOperation(
            f"The one-sided derivative of {prim.name} does not support the keyword "
            f"argument(s) {extra}. Call it without them, or use dfdx.derivative(f) "
            "(side=None) for the convention at kinks.")


def _side_of_zero(trace, prim, x, kwargs, jump):
    """Where x lies along the approach: ``(c, nan)``, c in {-1, 0, 1}; None for complex x.

    `jump`: the function jumps at 0, so an undecided c asks for more orders.
    """
    _refuse(prim, kwargs)
    if _is_complex(x):
        return None
    c, tie, nan = _compare(trace, x, 0)
    _mark(trace, tie, (c == 0) if jump else None)
    return c, nan


def _abs(trace, prim, args, kwargs):
    (x,) = args
    side = _side_of_zero(trace, prim, x, kwargs, jump=False)
    if side is None:
        return NotImplemented
    s = np.where(side[0] < 0, -1, 1).astype(float_dtype(x))
    return x * _scalar(s)


def _extremum(larger, ignore_nan):
    def handler(trace, prim, args, kwargs):
        x, y = args
        _refuse(prim, kwargs)
        if _is_complex(x, y):
            return NotImplemented
        c, tie, nan = _compare(trace, x, y)
        _mark(trace, tie)
        take_x = (c >= 0) if larger else (c <= 0)
        if nan.any():
            xnan = np.isnan(np.asarray(getval(x)))
            ynan = np.isnan(np.asarray(getval(y)))
            take_x = np.where(ynan, ignore_nan, np.where(xnan, not ignore_nan, take_x))
        return np.where(_scalar(take_x), x, y)
    return handler


_maximum = _extremum(True, False)
_minimum = _extremum(False, False)


def _clip(trace, prim, args, kwargs):
    x, lo, hi = args
    _refuse(prim, kwargs)
    if _is_complex(x, lo, hi):
        return NotImplemented
    out = x   # NumPy's clip is minimum(maximum(x, lo), hi), also when lo > hi
    if lo is not None:
        out = _maximum(trace, None, (out, lo), {})
    if hi is not None:
        out = _minimum(trace, None, (out, hi), {})
    return out


def _lex_order(trace, x, descending):
    """The permutation sorting each last-axis row of x along the approach (stable)."""
    k = _coefficients(x, trace.group)
    shape = np.shape(k[0])
    keys = [np.broadcast_to(np.zeros(shape) if c is None else np.asarray(c, dtype=np.float64),
                            shape) for c in k]
    if descending:
        keys = [-c for c in keys]
    base = np.asarray(k[0])
    if shape[-1] > 1:
        s = np.sort(base, axis=-1)
        if (s[..., 1:] == s[..., :-1]).any():
            trace.group.tied = True   # a tie in value: the direction orders it
    return np.lexsort(keys[::-1], axis=-1)


def _move_last(x, axis):
    """x with the reduced axes moved last and merged, and the shape of what stays."""
    nd = np.ndim(getval(x))
    axes = tuple(range(nd)) if axis is None else tuple(
        a % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    keep = [i for i in range(nd) if i not in axes]
    shape = np.shape(getval(x))
    kept = tuple(shape[i] for i in keep)
    if list(keep) + list(axes) != list(range(nd)):
        x = np.transpose(x, keep + list(axes))
    m = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    return np.reshape(x, kept + (m,)), kept, axes


def _reduce_extremum(larger):
    def handler(trace, prim, args, kwargs):
        x = args[0]
        kw = dict(zip(("axis", "keepdims"), args[1:]))
        kw.update(kwargs)
        extra = set(kw) - {"axis", "keepdims"}
        if extra or _is_complex(x):
            if extra:
                raise UnsupportedOperation(
                    f"The one-sided derivative of {prim.name} supports axis= and keepdims= only, "
                    f"not {sorted(extra)}. Call it without them (e.g. np.where then np.max).")
            return NotImplemented
        axis, keepdims = kw.get("axis"), kw.get("keepdims", False)
        nd = np.ndim(getval(x))
        if nd == 0:
            return x
        flat, kept, axes = _move_last(x, axis)
        order = _lex_order(trace, flat, descending=False)
        idx = order[..., -1:] if larger else order[..., :1]
        if not larger:
            # why: np.min propagates NaN, and lexsort puts NaN last.
            v = np.asarray(getval(flat))
            isn = np.isnan(v)
            if isn.any():
                idx = np.where(isn.any(axis=-1, keepdims=True), order[..., -1:], idx)
        out = np.take_along_axis(flat, idx, axis=-1)
        out = np.reshape(out, kept)
        if keepdims:
            full = np.shape(getval(x))
            out = np.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(full)))
        return out
    return handler


def _sort(trace, prim, args, kwargs):
    x = args[0]
    axis = args[1] if len(args) > 1 else kwargs.get("axis", -1)
    _refuse(prim, kwargs, ("axis",))
    if _is_complex(x):
        return NotImplemented
    nd = np.ndim(getval(x))
    axis = axis % nd
    xm = np.moveaxis(x, axis, -1) if axis != nd - 1 else x
    order = _lex_order(trace, xm, descending=False)
    out = np.take_along_axis(xm, order, axis=-1)
    return np.moveaxis(out, -1, axis) if axis != nd - 1 else out


def _argsort(trace, prim, args, kwargs):
    x = args[0]
    axis = args[1] if len(args) > 1 else kwargs.get("axis", -1)
    if _is_complex(x) or kwargs.get("order") is not None:
        return NotImplemented
    if axis is None:
        x, axis = np.ravel(x), 0
    nd = np.ndim(getval(x))
    axis %= nd
    xm = np.moveaxis(x, axis, -1)
    return np.moveaxis(_lex_order(trace, xm, descending=False), -1, axis)


def _argextremum(larger):
    def handler(trace, prim, args, kwargs):
        x = args[0]
        kw = dict(zip(("axis", "out"), args[1:]))
        kw.update(kwargs)
        if _is_complex(x) or kw.get("out") is not None:
            return NotImplemented
        axis, keepdims = kw.get("axis"), kw.get("keepdims", False)
        if axis is None:
            x, ax = np.ravel(x), 0
        else:
            ax = axis % np.ndim(getval(x))
        xm = np.moveaxis(x, ax, -1)
        order = _lex_order(trace, xm, descending=larger)
        idx = order[..., 0]
        v = np.asarray(getval(xm))
        isn = np.isnan(v)
        if isn.any():   # NumPy answers the first NaN
            first = np.argmax(isn, axis=-1)
            idx = np.where(isn.any(axis=-1), first, idx)
        if keepdims:
            idx = np.expand_dims(idx, ax) if axis is not None else np.reshape(
                idx, (1,) * np.ndim(getval(args[0])))
        return _scalar(np.asarray(idx))
    return handler


def _comparison_rule(test):
    def handler(trace, prim, args, kwargs):
        x, y = args
        _refuse(prim, kwargs)
        if _is_complex(x, y):
            return NotImplemented
        if x is y:
            c = np.zeros(np.shape(getval(x)), dtype=np.int8)
            nan = np.isnan(np.asarray(getval(x)))
        else:
            c, tie, nan = _compare(trace, x, y)
            _mark(trace, tie, c == 0)
        out = np.where(nan, test(np.float64(np.nan)), test(c))
        return _scalar(out)
    return handler


def _sign(trace, prim, args, kwargs):
    (x,) = args
    side = _side_of_zero(trace, prim, x, kwargs, jump=True)
    if side is None:
        return NotImplemented
    c, nan = side
    x0 = np.asarray(getval(x))
    return _scalar(np.where(nan, x0, c).astype(float_dtype(x)))


def _signbit(trace, prim, args, kwargs):
    (x,) = args
    c, _ = _side_of_zero(trace, prim, x, kwargs, jump=True)
    return _scalar(np.where(c < 0, True, np.where(c > 0, False, np.signbit(getval(x)))))


def _heaviside(trace, prim, args, kwargs):
    x, h0 = args
    c, nan = _side_of_zero(trace, prim, x, kwargs, jump=True)
    x0 = np.asarray(getval(x))
    out = np.where(nan, x0, np.where(c > 0, 1.0, np.where(c < 0, 0.0, getval(h0))))
    return _scalar(out.astype(np.result_type(x0, getval(h0))))


def _rounding(kind):
    def directed(x0, h):
        """Round x0 moved a little in direction h (-1, 0, 1)."""
        fl = np.floor(x0)
        if kind == "floor":
            return np.where((fl == x0) & (h < 0), fl - 1, fl), fl == x0
        ce = np.ceil(x0)
        if kind == "ceil":
            return np.where((ce == x0) & (h > 0), ce + 1, ce), ce == x0
        if kind == "trunc":
            down = np.where((fl == x0) & (h < 0), fl - 1, fl)
            up = np.where((ce == x0) & (h > 0), ce + 1, ce)
            return np.where(x0 > 0, down, np.where(x0 < 0, up, np.trunc(x0))), fl == x0
        half = (x0 - fl) == 0.5
        return np.where(half & (h > 0), fl + 1, np.where(half & (h < 0), fl, np.rint(x0))), half

    def handler(trace, prim, args, kwargs):
        x = args[0]
        decimals = args[1] if len(args) > 1 else kwargs.get("decimals", 0)
        _refuse(prim, kwargs, ("decimals",))
        if _is_complex(x):
            return NotImplemented
        x0 = np.asarray(getval(x))
        with np.errstate(invalid="ignore", over="ignore"):
            y0 = x0 * 10.0 ** decimals if decimals else x0
            h = _direction(trace, x)
            out, edge = directed(y0, h)
        _mark(trace, edge & np.isfinite(y0), h == 0)
        if decimals:
            out = out / 10.0 ** decimals
        return _scalar(out.astype(float_dtype(x)))
    return handler


def _quotient(trace, x, y, trunc):
    """(q0, q): x/y rounded down (or toward zero) at the point, and along the approach."""
    x0 = np.asarray(getval(x))
    y0 = np.asarray(getval(y))
    with np.errstate(all="ignore"):
        if trunc:
            q0 = np.round((x0 - np.fmod(x0, y0)) / y0)
            edge = (np.fmod(x0, y0) == 0) & (x0 != 0) & (y0 != 0) & np.isfinite(x0)
        else:
            q0 = np.floor_divide(x0, y0)
            edge = (np.remainder(x0, y0) == 0) & (y0 != 0) & np.isfinite(x0)
    if not edge.any():
        return q0, q0
    kx = _coefficients(x, trace.group)
    ky = _coefficients(y, trace.group)
    m = max(len(kx), len(ky))
    kx += [None] * (m - len(kx))
    ky += [None] * (m - len(ky))
    diffs = [None if a is None and b is None else
             np.asarray(0.0 if a is None else a) - q0 * (0.0 if b is None else b)
             for a, b in zip(kx[1:], ky[1:])]
    shape = np.broadcast_shapes(x0.shape, y0.shape)
    s = _first_sign(diffs, shape) * np.sign(y0).astype(np.int8)   # where x/y moves from q0
    _mark(trace, edge, s == 0)
    if trunc:
        q = np.where(edge & (q0 > 0) & (s < 0), q0 - 1, np.where(edge & (q0 < 0) & (s > 0),
                                                                 q0 + 1, q0))
    else:
        q = np.where(edge & (s < 0), q0 - 1, q0)
    return q0, q


def _floor_divide(trace, prim, args, kwargs):
    x, y = args
    _refuse(prim, kwargs)
    if _is_complex(x, y):
        return NotImplemented
    _, q = _quotient(trace, x, y, trunc=False)
    return _scalar(np.asarray(q).astype(np.result_type(getval(x), getval(y))))


def _modulo(trunc):
    def handler(trace, prim, args, kwargs):
        x, y = args
        _refuse(prim, kwargs)
        if _is_complex(x, y):
            return NotImplemented
        q0, q = _quotient(trace, x, y, trunc)
        out = _defer(trace, prim, args, kwargs)
        delta = q0 - q
        if not np.any(delta):
            return out
        # why: the same value as NumPy's off the jump; at it, the branch of the approach
        return out + y * _scalar(delta.astype(float_dtype(out)))
    return handler


def _astype(trace, prim, args, kwargs):
    x, dtype = args[0], args[1] if len(args) > 1 else kwargs.get("dtype")
    kind = np.dtype(dtype).kind
    if _is_complex(x) or kind not in "biu":
        return NotImplemented
    if kind == "b":
        return np.not_equal(x, 0)
    t = _rounding("trunc")(trace, prim, (x,), {})
    return _scalar(np.asarray(t).astype(dtype))


def _copysign(trace, prim, args, kwargs):
    x, y = args
    _refuse(prim, kwargs)
    if _is_complex(x, y):
        return NotImplemented
    cx, tie, _ = _compare(trace, x, 0)
    _mark(trace, tie)
    sx = np.where(cx < 0, -1.0, 1.0)
    if isinstance(y, Box):
        cy, tie, _ = _compare(trace, y, 0)
        _mark(trace, tie, cy == 0)
        sy = np.where(cy > 0, 1.0, np.where(cy < 0, -1.0, np.copysign(1.0, getval(y))))
    else:
        sy = np.copysign(1.0, y)
    return x * _scalar((sx * sy).astype(float_dtype(x)))


def _branch_point_error(prim, what, why):
    return UnsupportedOperation(
        f"The one-sided derivative of {prim.name} at {what} is not supported: {why}. "
        "Rewrite it without the branch point (np.sqrt(x**2) is np.abs(x); the norm of a "
        "stack of multiples of x is a multiple of np.abs(x)).")


def _domain(edges):
    """Edges (point, outside) of a domain: the function is undefined past `point` on the
    side `outside` (-1: below, +1: above; 0: defined on both sides), and its derivative
    is infinite at `point`. Outside, the one-sided answer is NaN."""
    def handler(trace, prim, args, kwargs):
        x = args[0]
        _refuse(prim, kwargs)
        if _is_complex(*args):
            return NotImplemented
        singular = True
        if prim.name in ("numpy.power", "numpy.float_power"):
            y = args[1]
            if isinstance(y, Box) or np.all(np.asarray(y) == np.round(np.asarray(y))):
                return NotImplemented   # integer powers are defined on both sides
            singular = np.any(np.asarray(y) < 1)
        x0 = np.asarray(getval(x))
        bad = np.zeros(x0.shape, dtype=bool)
        for point, outside in edges:
            at = x0 == point
            if at.any():
                c = _compare(trace, x, point)[0]
                _mark(trace, at, (c == 0) if singular else None)
                bad |= at & (c == outside) if outside else False
                if singular and trace.group.n >= 1:
                    k = _coefficients(x, trace.group)
                    flat = k[1] is None or np.asarray(k[1] == 0)
                    if np.any(at & (c != outside) & (c != 0) & flat):
                        raise _branch_point_error(
                            prim, f"{point}", "there its derivative is infinite while the "
                            "first derivative of its argument is 0, and forward mode would "
                            "give 0 * inf")
        out = _defer(trace, prim, args, kwargs)
        if not bad.any():
            return out
        return out * _scalar(np.where(bad, np.nan, 1.0).astype(float_dtype(out)))
    return handler


def _cone(trace, prim, args, kwargs):
    """The 2-norm and hypot at 0: a cone, no branch to choose (not supported)."""
    if prim.name == "numpy.hypot":
        x0, y0 = (np.asarray(getval(a)) for a in args)
        zero = (x0 == 0) & (y0 == 0)
    else:
        kw = dict(zip(("axis", "keepdims"), args[1:]))
        kw.update(kwargs)
        zero = np.linalg.norm(np.asarray(getval(args[0])), axis=kw.get("axis")) == 0
    if trace.group.n >= 1 and np.any(zero):
        raise _branch_point_error(prim, "0", "a norm at 0 is a cone, whose one-sided "
                                  "derivative is the norm of the direction, not a branch")
    return NotImplemented


def _truthy(fn):
    """np.any, np.all, np.count_nonzero, np.nonzero, ...: on x != 0 along the approach."""
    def handler(trace, prim, args, kwargs):
        x = args[0]
        if _is_complex(x):
            return NotImplemented
        mask = _comparison_rule(lambda c: c != 0)(trace, prim, (x, 0), {})
        return fn(mask, *args[1:], **kwargs)
    return handler


def _searchsorted(trace, prim, args, kwargs):
    """np.searchsorted(a, v): where v meets an entry of (sorted, plain) a, the direction of
    v decides whether it goes before or after it."""
    a, v = args[0], args[1]
    kw = dict(kwargs)
    if isinstance(a, Box) or _is_complex(v) or kw.get("sorter") is not None:
        return NotImplemented
    a = np.asarray(a)
    v0 = np.asarray(getval(v))
    below = np.searchsorted(a, v0, side="left")
    ties = np.searchsorted(a, v0, side="right") - below
    if not np.any(ties):
        return np.searchsorted(a, v0, **kw)
    c = _compare(trace, v, v0)[0]
    _mark(trace, ties > 0, c == 0)
    plain = np.searchsorted(a, v0, **kw)
    return _scalar(np.where(ties > 0, np.where(c > 0, below + ties, np.where(c < 0, below,
                                                                              plain)), plain))


def _digitize(trace, prim, args, kwargs):
    x, bins = args[0], args[1]
    right = args[2] if len(args) > 2 else kwargs.get("right", False)
    b = np.asarray(getval(bins))
    if isinstance(bins, Box) or b.ndim != 1 or (b.size > 1 and np.any(np.diff(b) < 0)):
        return NotImplemented   # decreasing bins: NumPy's rule at the point
    # why: for increasing bins, digitize is searchsorted with the other side
    return _searchsorted(trace, prim, (b, x), {"side": "left" if right else "right"})


def _safe_where_x(t, ans, c, x, y):
    return _fit(np.where(c, t, 0), ans)


def _safe_where_y(t, ans, c, x, y):
    return _fit(np.where(c, 0, t), ans)


def _fit(t, ans):
    shape = np.shape(getval(ans))
    return t if np.shape(getval(t)) == shape else np.broadcast_to(t, shape)


# why: the unselected branch of np.where may be NaN or infinite at the point (sqrt at 0
# from the left); selecting tangents (not multiplying them by a 0/1 mask) keeps it out.
_safe_where = Primitive(lambda c, x, y: np.where(c, x, y), name="numpy.where (selecting)")
_safe_where.defjvp(None, _safe_where_x, _safe_where_y)


def _where(trace, prim, args, kwargs):
    c, x, y = args
    if kwargs:
        return NotImplemented   # not a decision: the normal rule is right
    if isinstance(c, Box) and not _STATE.point:
        c = np.not_equal(c, 0)
    return _safe_where(c, x, y)


def _names(*fns):
    return [f if isinstance(f, str) else f"numpy.{f.__name__}" for f in fns]


#: primitive name -> handler(trace, prim, args, kwargs): the kinks, decided by the approach
KINKS: dict = {}
for _n in _names(np.absolute, np.fabs):
    KINKS[_n] = _abs
KINKS.update({"numpy.maximum": _maximum, "numpy.minimum": _minimum,
              "numpy.fmax": _extremum(True, True), "numpy.fmin": _extremum(False, True),
              "numpy.clip": _clip, "numpy.max": _reduce_extremum(True),
              "numpy.min": _reduce_extremum(False), "numpy.sort": _sort,
              "numpy.argsort": _argsort, "numpy.argmax": _argextremum(True),
              "numpy.argmin": _argextremum(False), "numpy.sign": _sign,
              "numpy.signbit": _signbit, "numpy.heaviside": _heaviside,
              "numpy.floor_divide": _floor_divide, "numpy.remainder": _modulo(False),
              "numpy.fmod": _modulo(True), "astype": _astype, "numpy.copysign": _copysign})
for _uf, _test in {np.greater: lambda c: c > 0, np.greater_equal: lambda c: c >= 0,
                   np.less: lambda c: c < 0, np.less_equal: lambda c: c <= 0,
                   np.equal: lambda c: c == 0, np.not_equal: lambda c: c != 0}.items():
    # why: NaN compares like NumPy: only != is true (the NaN slot gets test(nan) -> False,
    # so != is patched below).
    KINKS[f"numpy.{_uf.__name__}"] = _comparison_rule(
        _test if _uf is not np.not_equal else (lambda c: np.isnan(c) | (c != 0)))
for _kind, _fns in {"floor": (np.floor,), "ceil": (np.ceil,), "trunc": (np.trunc,),
                    "rint": (np.rint, "numpy.round", "numpy.around")}.items():
    for _n in _names(*_fns):
        KINKS[_n] = _rounding(_kind)
for _fns, _edges in [((np.sqrt, np.log, np.log2, np.log10, np.power, np.float_power), [(0, -1)]),
                     ((np.cbrt,), [(0, 0)]),
                     ((np.log1p,), [(-1, -1)]),
                     ((np.arcsin, np.arccos, np.arctanh), [(1, 1), (-1, -1)]),
                     ((np.arccosh,), [(1, -1)])]:
    for _n in _names(*_fns):
        KINKS[_n] = _domain(_edges)

KINKS["numpy.linalg.norm"] = KINKS["numpy.hypot"] = _cone
for _fn in (np.any, np.all, np.count_nonzero, np.nonzero, np.flatnonzero, np.argwhere):
    KINKS[f"numpy.{_fn.__name__}"] = _truthy(_fn)
KINKS["numpy.searchsorted"] = _searchsorted
KINKS["numpy.digitize"] = _digitize

#: handlers that apply inside rules too (not a decision: a safer evaluation)
ALWAYS: dict = {"numpy.where": _where}


# --- the public entry points --------------------------------------------------------

def _side(side):
    if side not in _SIDES:
        raise ValueError(f"side must be '+' (from the right) or '-' (from the left), "
                         f"not {side!r}.")
    return _SIDES[side]


def one_sided_values(f, x, n, side):
    """The one-sided values ``[f(x±), f'(x±), ..., f^(n)(x±)]`` and the group's record.

    Args:
        f: a function of one NumPy value (elementwise on arrays).
        x: the point (float or array).
        n: the highest order (>= 0).
        side: ``"+"`` or ``"-"``.

    Returns:
        ``(values, tied)``: the list of n + 1 one-sided derivatives (the 0th is the
        one-sided limit along the branches taken) and whether some branch of `f`
        was decided by the direction of approach (the point is a kink of `f`).
    """
    d = _side(side)
    x = as_input(x)
    xv = getval(x)
    dt = float_dtype(xv)
    if dt.kind == "c":
        raise ValueError("A one-sided derivative needs a real point, but x is complex: the "
                         "directions of approach in the plane are not two sides. Use "
                         "dfdx.jvp(f, (z,), (direction,)) for a directional derivative.")
    seed = np.full(np.shape(xv), d, dtype=dt) if np.ndim(xv) else dt.type(d)
    for depth in range(max(n, 1), max(n, 1) + EXTRA_ORDERS + 1):
        group = _Group(n)
        _STATE.groups.append(group)
        try:
            box = x
            for _ in range(depth):
                trace = DirectionalTrace(group)
                group.traces.append(trace)
                box = trace.input(box, seed)
            try:
                out = f(box)
            finally:
                for trace in group.traces:
                    trace.done = True
        finally:
            _STATE.groups.remove(group)
        if not group.exhausted:
            break
    vals = []
    for k in range(n + 1):
        c = _component(out, group.traces[:k], within=set(group.traces))
        v = zeros_like(out) if c is None else c
        if k % 2 and d < 0:
            v = 0 - v   # why: not -v, which turns 0 into -0.0
        vals.append(_scalar(v) if isinstance(v, np.ndarray) else v)
    return vals, group.tied


def one_sided(f, n=1, side="+"):
    """Make the exact one-sided n-th derivative of `f` (see `dfdx.derivative`)."""
    check_callable(f, "derivative")
    _side(side)

    @functools.wraps(f)
    def df(x):
        return one_sided_values(f, x, n, side)[0][n]
    return df


def _close(a, b, dtype):
    eps = np.finfo(dtype).eps if np.dtype(dtype).kind in "fc" else np.finfo(float).eps
    with np.errstate(invalid="ignore"):
        same = (a == b) | (np.abs(a - b) <= 64 * eps * np.maximum(1, np.maximum(np.abs(a),
                                                                               np.abs(b))))
    return same


def differentiable(f, x):
    """Decide whether `f` is differentiable at `x`, with both one-sided derivatives.

    The one-sided derivatives are exact (the directional rule of
    ``dfdx.derivative(f, side=...)``), so compositions of kinks are judged right:
    ``relu(relu(x)) - relu(x)`` is differentiable at 0, ``abs`` is not.

    Args:
        f: a function of one NumPy value (elementwise on arrays).
        x: the point: a float, or an array (then every field is elementwise).

    Returns:
        A `DifferentiabilityResult`: ``differentiable`` is True where f is
        continuous at x and both one-sided derivatives are finite and equal;
        ``left`` / ``right`` are the one-sided derivatives (NaN on a side where f
        is not defined); ``value`` is the derivative where both sides agree --
        or, at the edge of the domain, the one side that exists -- including
        ±inf (sqrt at 0: ``value=inf``, ``differentiable=False``), and None (NaN
        in arrays) where it does not exist. ``continuous`` is False at a jump;
        ``kink`` says whether some branch of f was decided by the direction.

    Example:
        >>> import numpy as np, dfdx
        >>> r = dfdx.differentiable(np.abs, 0.0)
        >>> r.differentiable, float(r.left), float(r.right)
        (False, -1.0, 1.0)
        >>> relu = lambda x: np.maximum(x, 0)
        >>> r = dfdx.differentiable(lambda x: relu(relu(x)) - relu(x), 0.0)
        >>> r.differentiable, float(r.value)
        (True, 0.0)
    """
    check_callable(f, "differentiable")
    x = as_input(x)
    with np.errstate(all="ignore"):   # why: the result reports inf and NaN itself
        (lv, left), ltied = one_sided_values(f, x, 1, "-")
        (rv, right), rtied = one_sided_values(f, x, 1, "+")
        fx = f(x)
    fx = getval(fx)
    dt = float_dtype(fx)
    left = np.asarray(left, dtype=dt)
    right = np.asarray(right, dtype=dt)
    v = _verdicts(left, right, *(np.asarray(v, dtype=dt) for v in (fx, lv, rv)), dt)
    diff, cont, agree, one_side, lnan, has_value, value = v
    scalar = np.ndim(value) == 0
    if scalar:
        value = value[()] if bool(has_value) else None
        diff, cont = bool(diff), bool(cont)
        left, right = left[()], right[()]
        message = _message(diff, cont, bool(agree), bool(one_side), bool(lnan), fx, lv, rv)
    else:
        value = np.where(has_value, value, np.nan)
        message = (f"differentiable at {int(np.sum(diff))} of {np.size(diff)} points; "
                   f"{int(np.sum(~cont))} jump(s) or undefined point(s)")
    return DifferentiabilityResult(differentiable=diff, left=left, right=right, value=value,
                                   continuous=cont, kink=bool(ltied or rtied), message=message)


def _verdicts(left, right, fxa, lva, rva, dt):
    """Elementwise: (differentiable, continuous, sides agree, one side only, no left side,
    has a value, the value) from the one-sided derivatives and values and f(x)."""
    with np.errstate(invalid="ignore"):
        defined = np.isfinite(fxa)
        lnan, rnan = np.isnan(left) | np.isnan(lva), np.isnan(right) | np.isnan(rva)
        cont = defined & (lnan | _close(lva, fxa, dt)) & (rnan | _close(rva, fxa, dt)) \
            & ~(lnan & rnan)
        agree = ~lnan & ~rnan & _close(left, right, dt)
        one_side = lnan ^ rnan
        has_value = cont & (agree | one_side)
        value = np.where(agree, np.where(left == right, left, (left + right) / 2),
                         np.where(lnan, right, left))
        diff = has_value & agree & np.isfinite(value)
    return diff, cont, agree, one_side, lnan, has_value, value


def _message(diff, cont, agree, one_side, lnan, fx, lv, rv):
    if not cont:
        if not np.isfinite(fx):
            return f"f is not defined at the point (f(x) = {fx})"
        return (f"f jumps at the point: f(x-) = {lv}, f(x) = {fx}, f(x+) = {rv}; "
                "left and right are the derivatives of the one-sided branches")
    if one_side:
        side = "right" if lnan else "left"
        return f"f is defined only on the {side} of the point: value is the {side} derivative"
    if diff:
        return ""
    if agree:
        return "the one-sided derivatives agree but are infinite"
    return "the one-sided derivatives differ (a corner)"


def at_kink(f, x):
    """Tell whether `x` is a kink of `f`; if so, give the exact one-sided picture.

    For `check_grad` and the ``dfdx`` command: at a smooth point the default
    derivative is the derivative; at a kink it is only the mean-of-one-sided
    convention, and the honest report is both one-sided derivatives.

    Args:
        f: a function of one NumPy value (elementwise on arrays).
        x: the point.

    Returns:
        None when no branch of `f` (abs, max, a comparison, sort, ...) depends on
        the direction of approach at `x` -- `f` is smooth there as far as its kinks
        go --, else the `DifferentiabilityResult` of ``differentiable(f, x)`` (whose
        ``differentiable`` may still be True, as for ``relu(relu(x)) - relu(x)``).

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx._onesided import at_kink
        >>> at_kink(np.abs, 1.0) is None
        True
        >>> r = at_kink(np.abs, 0.0)
        >>> float(r.left), float(r.right)
        (-1.0, 1.0)
    """
    check_callable(f, "at_kink")
    r = differentiable(f, x)
    return r if r.kink else None
