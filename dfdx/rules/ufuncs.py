"""Elementwise functions (NumPy ufuncs), each listed by its partial derivatives.

Both modes are generated from the partials ``partial(ans, *args)``; broadcasting
is undone by the registry. Convention at a kink: the derivative is the mean of
the two one-sided derivatives (abs'(0) = 0, maximum ties split 1/2 each,
clip at a bound 1/2); functions with a jump (sign, floor, comparisons) have
derivative 0 wherever it exists.
"""

import math
import operator

import numpy as np

from dfdx._numpy.box import getval
from dfdx._errors import UnsupportedOperation
from dfdx._numpy.registry import (UFUNCS, broadcast_like, defcomposite, defelementwise, defrule,
                                  defzero, unbroadcast, unbroadcast_batched)
from dfdx.rules._util import cast_like


def _half_where(cond, tie, like=None):
    # 1 where cond, 1/2 at a tie, 0 elsewhere: a constant mask in the dtype of `like`.
    if not hasattr(tie, "__dask_graph__") and not np.any(tie):   # lazy (Dask): no test
        return cond   # why: without ties a boolean mask is exact, and g * bool keeps g's dtype
    mask = np.where(cond, 1.0, np.where(tie, 0.5, 0.0))
    if like is not None:
        mask = mask.astype(like.dtype if hasattr(like, "dtype") else np.result_type(like),
                           copy=False)
    return mask


def _pow_base(ans, x, y):
    if type(y) in (int, float):
        if y == 2:
            return 2 * x
        if y == 0:
            # why: d/dx x**0 = 0 everywhere; 0 * 0**-1 would be NaN at x = 0.
            return np.zeros_like(ans)
        return y * x ** (y - 1)
    # why: only 0 * 0**-1 (y = 0 at x = 0) is NaN; elsewhere y * x**(y - 1) stays as it is,
    # so its derivative in y (x**(y - 1) at y = 0) is kept.
    bad = (y == 0) & (x == 0)
    if not hasattr(bad, "__dask_graph__") and not np.any(bad):   # lazy (Dask): no test
        return y * x ** (y - 1)
    safe_x = np.where(bad, np.ones_like(x), x)
    return np.where(bad, np.zeros_like(ans), y * safe_x ** (y - 1))


def _pow_exponent(ans, x, y):
    if type(x) in (int, float):
        # why: a Python base stays a Python float (np.log would give a float64 scalar,
        # which upcasts a float32 exponent); 0**y has derivative 0 in y, as below.
        return ans * (math.log(x) if x > 0 else 0.0 if x == 0 else math.nan)
    # why: d/dy 0**y = 0 for y > 0; log(0) = -inf would turn it into NaN.
    zero = x == 0
    safe_x = np.where(zero, np.ones_like(x), x)
    return np.where(zero, np.zeros_like(ans), ans * np.log(safe_x))


def _widen(ans, *args):
    """The arguments in the dtype of `ans` (float_power computes in float64)."""
    return tuple(v.astype(ans.dtype) if getattr(v, "dtype", ans.dtype) != ans.dtype else v
                 for v in args)


def is_complex(x):
    """Whether `x` (array, box, NumPy or Python scalar) holds complex numbers."""
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return dt.kind == "c"
    return isinstance(x, complex)


def refuse_complex(name, *values):
    """Raise UnsupportedOperation when a value is complex: `name` has no derivative there."""
    for v in values:
        if is_complex(v):
            raise UnsupportedOperation(
                f"dfdx has no derivative rule for {name} on complex input: it orders complex "
                "numbers (or jumps), which no complex derivative follows. Apply it to np.real(z), "
                "np.imag(z) or np.abs(z) instead.")


def _max_partial(ans, x, y):
    refuse_complex("numpy.maximum", ans)
    return _half_where(x > y, x == y, ans)


def _min_partial(ans, x, y):
    refuse_complex("numpy.minimum", ans)
    return _half_where(x < y, x == y, ans)


# fmax / fmin ignore NaN: the non-NaN argument gets the whole derivative (a NaN never ties).
def _fmax_partial_x(ans, x, y):
    refuse_complex("numpy.fmax", ans)
    return _half_where((x > y) | np.isnan(y), x == y, ans)


def _fmax_partial_y(ans, x, y):
    refuse_complex("numpy.fmax", ans)
    return _half_where((y > x) | np.isnan(x), x == y, ans)


def _fmin_partial_x(ans, x, y):
    refuse_complex("numpy.fmin", ans)
    return _half_where((x < y) | np.isnan(y), x == y, ans)


def _fmin_partial_y(ans, x, y):
    refuse_complex("numpy.fmin", ans)
    return _half_where((y < x) | np.isnan(x), x == y, ans)


def _hypot_partial(ans, x, y):
    # why: hypot(x, 0) = |x|; at the origin follow abs's convention (0) instead of 0/0.
    return np.where(ans == 0, np.zeros_like(ans), x / np.where(ans == 0, np.ones_like(ans), ans))


# why: Python floats, not np.float64: a NumPy float64 scalar would upcast float32 arrays.
LN2 = float(np.log(2.0))
LN10 = float(np.log(10.0))

ELEMENTWISE = {
    # arithmetic
    np.add:          (1, 1),
    np.subtract:     (1, -1),
    np.negative:     (-1,),
    np.positive:     (1,),
    np.multiply:     (lambda ans, x, y: y, lambda ans, x, y: x),
    np.true_divide:  (lambda ans, x, y: 1 / y, lambda ans, x, y: -ans / y),
    np.reciprocal:   (lambda ans, x: -ans**2,),
    np.square:       (lambda ans, x: 2 * x,),
    np.absolute:     (lambda ans, x: np.sign(x),),   # complex input: see _abs_vjp below
    np.fabs:         (lambda ans, x: np.sign(x),),
    np.remainder:    (lambda ans, x, y: np.ones_like(ans), lambda ans, x, y: -np.floor_divide(x, y)),
    np.fmod:         (lambda ans, x, y: np.ones_like(ans), lambda ans, x, y: -np.trunc(x / y)),
    np.copysign:     (lambda ans, x, y: np.sign(x) * np.sign(ans), None),
    # exponentials and logarithms
    np.exp:          (lambda ans, x: ans,),
    np.exp2:         (lambda ans, x: ans * LN2,),
    np.expm1:        (lambda ans, x: ans + 1,),
    np.logaddexp:    (lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans)),
    np.logaddexp2:   (lambda ans, x, y: np.exp2(x - ans), lambda ans, x, y: np.exp2(y - ans)),
    # trigonometric and hyperbolic
    np.sin:          (lambda ans, x: np.cos(x),),
    np.cos:          (lambda ans, x: -np.sin(x),),
    np.tan:          (lambda ans, x: 1 + ans**2,),
    np.sinh:         (lambda ans, x: np.cosh(x),),
    np.cosh:         (lambda ans, x: np.sinh(x),),
    np.tanh:         (lambda ans, x: 1 - ans**2,),
    np.arctan:       (lambda ans, x: 1 / (1 + x**2),),
    np.arcsinh:      (lambda ans, x: 1 / np.sqrt(x**2 + 1),),
    np.arctan2:      (lambda ans, y, x: x / (x**2 + y**2), lambda ans, y, x: -y / (x**2 + y**2)),
    np.hypot:        (_hypot_partial, lambda ans, x, y: _hypot_partial(ans, y, x)),
    np.deg2rad:      (lambda ans, x: np.pi / 180,),
    np.radians:      (lambda ans, x: np.pi / 180,),
    np.rad2deg:      (lambda ans, x: 180 / np.pi,),
    np.degrees:      (lambda ans, x: 180 / np.pi,),
    # kinks: the mean of the one-sided derivatives
    np.maximum:      (_max_partial, lambda ans, x, y: _max_partial(ans, y, x)),
    np.minimum:      (_min_partial, lambda ans, x, y: _min_partial(ans, y, x)),
    np.fmax:         (_fmax_partial_x, _fmax_partial_y),
    np.fmin:         (_fmin_partial_x, _fmin_partial_y),
    np.real:         (1,),   # registered with the complex rules below
}

# Partials that are infinite somewhere (a domain edge): a zero cotangent must stay zero.
GUARDED = {
    np.sqrt:         (lambda ans, x: 0.5 / ans,),
    np.cbrt:         (lambda ans, x: 1 / (3 * ans**2),),
    np.log:          (lambda ans, x: 1 / x,),
    np.log2:         (lambda ans, x: 1 / (x * LN2),),
    np.log10:        (lambda ans, x: 1 / (x * LN10),),
    np.log1p:        (lambda ans, x: 1 / (1 + x),),
    np.arcsin:       (lambda ans, x: 1 / np.sqrt(1 - x**2),),
    np.arccos:       (lambda ans, x: -1 / np.sqrt(1 - x**2),),
    # why: sqrt(x-1)*sqrt(x+1), not sqrt(x**2-1): the same for real x, and the derivative
    # of NumPy's principal branch for complex x with Re x < 0 too.
    np.arccosh:      (lambda ans, x: 1 / (np.sqrt(x - 1) * np.sqrt(x + 1)),),
    np.arctanh:      (lambda ans, x: 1 / (1 - x**2),),
    np.power:        (_pow_base, _pow_exponent),
    np.float_power:  (lambda ans, x, y: _pow_base(ans, *_widen(ans, x, y)),
                      lambda ans, x, y: _pow_exponent(ans, *_widen(ans, x, y))),
}

# Partials that overflow (exp) or divide by a value that may be 0 where the value itself
# is already infinite: a zero cotangent must stay zero, but no warning needs silencing.
OVERFLOWING = {np.true_divide, np.reciprocal, np.exp, np.exp2, np.expm1, np.sinh, np.cosh}

for _fn, _partials in ELEMENTWISE.items():
    if _fn is not np.real:
        defelementwise(_fn, _partials, guard="overflow" if _fn in OVERFLOWING else False)

# why: on NumPy scalars the Python operators are ~5x faster than calling the ufunc
# (no argument parsing), and on arrays they are the same ufunc call.
for _fn, _op in {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
                 np.true_divide: operator.truediv, np.negative: operator.neg}.items():
    UFUNCS[_fn].fun = _op
for _fn, _partials in GUARDED.items():
    defelementwise(_fn, _partials, guard=True)


def _input_dtype(vjp, i):
    return lambda g, ans, *args: cast_like(vjp(g, ans, *args), args[i])


# why: float_power computes in float64 (complex128) whatever its inputs' dtypes: its
# partials do too (so a float32 tangent becomes a float64 one, like the value), and a
# cotangent goes back to the dtype of its argument.
_fpow = UFUNCS[np.float_power]
_fpow.defvjp(*(_input_dtype(r, i) for i, r in enumerate(_fpow.vjps)))
# why: the dtype cast of the batched rules generated from the partials, as for the plain ones
_fpow.defbvjp(*(_input_dtype(r, i) for i, r in enumerate(_fpow.bvjps)))

# Derivative zero wherever it exists: rounding, sign, comparisons, logic, predicates.
NONDIFFERENTIABLE = (
    np.floor, np.ceil, np.trunc, np.rint, np.sign, np.floor_divide,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.signbit, np.heaviside,
)
defzero(*NONDIFFERENTIABLE)


def _sign_fun(x, *args, **kwargs):
    refuse_complex("numpy.sign", x)   # why: sign(z) = z/|z| for complex z, not a step
    return np.sign(x, *args, **kwargs)


UFUNCS[np.sign].fun = _sign_fun


# --- complex numbers -------------------------------------------------------
# Convention (see README, "Complex numbers"): a tangent is the R-linear change of the
# value; a cotangent is the transpose of the tangent map (as in JAX), so a holomorphic
# rule is the same one-liner as the real one (g * f'(z), no conjugation), and the
# gradient a user sees is its conjugate, df/dx + i df/dy (conjugated once, in dfdx.api).
# For w = a dz + b conj(dz) the cotangent is ``a*g + conj(b)*conj(g)``. The cotangent
# of a real value may carry an imaginary part that means nothing: a rule with complex
# input and real output takes np.real(g) first, and a real input keeps the real part.

def _csign(x, ans):
    """z/|z|, and 0 at z = 0 (traceable: the second derivative of |z| needs it)."""
    zero = ans == 0
    if not np.any(zero):
        return x / ans
    return x / np.where(zero, np.ones_like(ans), ans)


_abs = UFUNCS[np.absolute]
_abs_real = (_abs.vjps[0], _abs.jvps[0], _abs.bvjps[0], _abs.bjvps[0])


def _abs_vjp(g, ans, x):
    if is_complex(x):   # d|z| = Re(conj(z/|z|) dz)
        return np.conjugate(_csign(x, ans)) * np.real(g)
    return _abs_real[0](g, ans, x)


def _abs_jvp(t, ans, x):
    if is_complex(x):
        return np.real(np.conjugate(_csign(x, ans)) * t)
    return _abs_real[1](t, ans, x)


def _abs_bvjp(g, ans, x):
    return _abs_vjp(g, ans, x) if is_complex(x) else _abs_real[2](g, ans, x)


def _abs_bjvp(t, ans, x):
    return _abs_jvp(t, ans, x) if is_complex(x) else _abs_real[3](t, ans, x)


_abs.defvjp(_abs_vjp)
_abs.defjvp(_abs_jvp)
# why: batched rules: the generated form costs 1.31x / 1.35x (jacfwd / jacrev,
#  benchmarks/RESULTS-batching.md)
_abs.defbvjp(_abs_bvjp)
_abs.defbjvp(_abs_bjvp)
_abs.drop = None


def _conj_impl(x):
    return np.conjugate(x)


defrule(np.conjugate, vjp=lambda g, ans, x: np.conjugate(g),
        jvp=lambda t, ans, x: np.conjugate(t), impl=_conj_impl, name="numpy.conjugate")


def _real_impl(val):
    return np.real(val)


def _imag_impl(val):
    return np.imag(val)


defrule(np.real, vjp=lambda g, ans, x: np.real(g), jvp=lambda t, ans, x: np.real(t),
        impl=_real_impl, name="numpy.real")
# Im z = (z - conj z) / 2i: the cotangent is -i Re(g); a real input has derivative 0.
defrule(np.imag,
        vjp=lambda g, ans, x: -1j * np.real(g) if is_complex(x) else None,
        jvp=lambda t, ans, x: np.imag(t) if is_complex(x) else None,
        impl=_imag_impl, name="numpy.imag")


def _angle_impl(z, deg=False):
    return np.angle(z, deg=deg)


def _inv_or_zero(z):
    """1/z, and 0 at z = 0 (where the angle has no derivative; NumPy's angle(0) is 0)."""
    zero = z == 0
    if not np.any(zero):
        return 1 / z
    return np.where(zero, np.zeros_like(z), 1 / np.where(zero, np.ones_like(z), z))


def _angle_scale(deg):
    return 180 / np.pi if deg else 1.0


# d arg z = Im(dz / z); a real input has derivative 0 (arg jumps from 0 to pi at 0).
defrule(np.angle,
        vjp=lambda g, ans, z, deg=False: (-1j * _angle_scale(deg) * np.real(g) * _inv_or_zero(z)
                                          if is_complex(z) else None),
        jvp=lambda t, ans, z, deg=False: (_angle_scale(deg) * np.imag(t * _inv_or_zero(z))
                                          if is_complex(z) else None),
        impl=_angle_impl, name="numpy.angle")
defzero(np.round, np.around)   # not ufuncs: they dispatch as functions


# --- elementwise functions that are not ufuncs ---------------------------

def _where_impl(condition, x, y):
    return np.where(condition, x, y)


# why: np.logical_not, not ~c: a Python bool condition has ~False == -1.
_where = defelementwise(_where_impl, (None, lambda ans, c, x, y: c,
                                      lambda ans, c, x, y: np.logical_not(c)),
                        name="numpy.where")


# why: the rules *select* rather than multiply by the mask: the branch np.where did not
# pick may hold inf or NaN derivatives (sqrt or log at 0, 1/x, exp overflow), and
# 0 * inf is NaN. Selecting keeps them out in every mode and at every order.
def _pick(c, v, other_first):
    return np.where(c, 0, v) if other_first else np.where(c, v, 0)


def _where_vjp(k):
    return lambda g, ans, c, x, y: unbroadcast(_pick(c, g, k == 2), (x, y)[k - 1])


def _where_jvp(k):
    return lambda t, ans, c, x, y: broadcast_like(_pick(c, t, k == 2), ans)


def _where_bvjp(k):
    return lambda g, ans, c, x, y: unbroadcast_batched(_pick(c, g, k == 2), (x, y)[k - 1])


def _where_bjvp(k):
    def bjvp(t, ans, c, x, y):
        v = (x, y)[k - 1]
        nd = np.ndim(ans)
        vs = np.shape(v)
        if len(vs) < nd:   # give the tangent the rank of the answer behind its batch axis
            t = np.reshape(t, (np.shape(t)[0],) + (1,) * (nd - len(vs)) + tuple(vs))
        r = _pick(c, t, k == 2)
        target = (np.shape(t)[0],) + tuple(np.shape(ans))
        return r if np.shape(r) == target else np.broadcast_to(r, target)
    return bjvp


_where.defvjp(None, _where_vjp(1), _where_vjp(2))
_where.defjvp(None, _where_jvp(1), _where_jvp(2))
# why: batched rules: the generated form costs 1.37x / 1.40x (jacfwd / jacrev,
#  benchmarks/RESULTS-batching.md)
_where.defbvjp(None, _where_bvjp(1), _where_bvjp(2))
_where.defbjvp(None, _where_bjvp(1), _where_bjvp(2))


def where(condition, x=None, y=None):
    if x is None and y is None:
        return np.nonzero(condition)
    return _where(np.asarray(condition, dtype=bool) if isinstance(condition, (list, tuple))
                  else condition, x, y)


def _clip_impl(x, lo, hi):
    return np.clip(x, lo, hi)


def _bounds(lo, hi):
    return (-np.inf if lo is None else lo), (np.inf if hi is None else hi)


def _clip_x(ans, x, lo, hi):
    refuse_complex("numpy.clip", ans)
    lo, hi = _bounds(lo, hi)
    return _half_where((x > lo) & (x < hi), (x == lo) | (x == hi), ans)


def _clip_lo(ans, x, lo, hi):
    lo, hi = _bounds(lo, hi)
    ok = lo <= hi
    return _half_where((x < lo) & ok, (x == lo) & ok, ans)


def _clip_hi(ans, x, lo, hi):
    # lo > hi: NumPy's clip returns hi everywhere
    lo, hi = _bounds(lo, hi)
    crossed = lo > hi
    return _half_where((x > hi) | crossed, (x == hi) & np.logical_not(crossed), ans)


_clip = defelementwise(_clip_impl, (_clip_x, _clip_lo, _clip_hi), name="numpy.clip")


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kw):
    given = sorted(k for k, v in {"out": out, **kw}.items() if v is not None)
    if given:
        raise UnsupportedOperation(
            f"dfdx differentiates numpy.clip without {', '.join(given)}= on traced values. "
            "Use the returned value instead: y = np.clip(x, lo, hi).")
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    return _clip(a, lo, hi)


defcomposite(np.where, where)
defcomposite(np.clip, clip)
