"""Elementwise functions (NumPy ufuncs), each listed by its partial derivatives.

Both modes are generated from the partials ``partial(ans, *args)``; broadcasting
is undone by the registry. Convention at a kink: the derivative is the mean of
the two one-sided derivatives (abs'(0) = 0, maximum ties split 1/2 each,
clip at a bound 1/2); functions with a jump (sign, floor, comparisons) have
derivative 0 wherever it exists.
"""

import operator

import numpy as np

from dfdx._numpy.box import getval
from dfdx._numpy.registry import UFUNCS, defcomposite, defelementwise, defzero


def _half_where(cond, tie, like=None):
    # 1 where cond, 1/2 at a tie, 0 elsewhere: a constant mask in the dtype of `like`.
    if not np.any(tie):
        return cond   # why: without ties a boolean mask is exact, and g * bool keeps g's dtype
    mask = np.where(cond, 1.0, np.where(tie, 0.5, 0.0))
    if like is not None:
        mask = mask.astype(like.dtype if hasattr(like, "dtype") else np.result_type(like),
                           copy=False)
    return mask


def _pow_base(ans, x, y):
    return y * x ** (y - 1) if not _is_two(y) else 2 * x


def _pow_exponent(ans, x, y):
    # why: d/dy 0**y = 0 for y > 0; log(0) = -inf would turn it into NaN.
    zero = x == 0
    safe_x = np.where(zero, np.ones_like(x), x)
    return np.where(zero, np.zeros_like(ans), ans * np.log(safe_x))


def _is_two(y):
    return type(y) in (int, float) and y == 2


def _max_partial(ans, x, y):
    return _half_where(x > y, x == y, ans)


def _min_partial(ans, x, y):
    return _half_where(x < y, x == y, ans)


def _fmax_partial_x(ans, x, y):
    # fmax ignores NaN: the non-NaN argument gets the whole derivative
    return np.where(np.isnan(y), 1.0, _half_where(x > y, x == y))


def _fmax_partial_y(ans, x, y):
    return np.where(np.isnan(x), 1.0, _half_where(y > x, x == y))


def _fmin_partial_x(ans, x, y):
    return np.where(np.isnan(y), 1.0, _half_where(x < y, x == y))


def _fmin_partial_y(ans, x, y):
    return np.where(np.isnan(x), 1.0, _half_where(y < x, x == y))


LN2 = np.log(2.0)
LN10 = np.log(10.0)

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
    np.absolute:     (lambda ans, x: np.sign(x),),
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
    np.hypot:        (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans),
    np.deg2rad:      (lambda ans, x: np.pi / 180,),
    np.radians:      (lambda ans, x: np.pi / 180,),
    np.rad2deg:      (lambda ans, x: 180 / np.pi,),
    np.degrees:      (lambda ans, x: 180 / np.pi,),
    # kinks: the mean of the one-sided derivatives
    np.maximum:      (_max_partial, lambda ans, x, y: _max_partial(ans, y, x)),
    np.minimum:      (_min_partial, lambda ans, x, y: _min_partial(ans, y, x)),
    np.fmax:         (_fmax_partial_x, _fmax_partial_y),
    np.fmin:         (_fmin_partial_x, _fmin_partial_y),
    np.real:         (1,),
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
    np.arccosh:      (lambda ans, x: 1 / np.sqrt(x**2 - 1),),
    np.arctanh:      (lambda ans, x: 1 / (1 - x**2),),
    np.power:        (_pow_base, _pow_exponent),
    np.float_power:  (_pow_base, _pow_exponent),
}

for _fn, _partials in ELEMENTWISE.items():
    defelementwise(_fn, _partials)

# why: on NumPy scalars the Python operators are ~5x faster than calling the ufunc
# (no argument parsing), and on arrays they are the same ufunc call.
for _fn, _op in {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
                 np.true_divide: operator.truediv, np.negative: operator.neg}.items():
    UFUNCS[_fn].fun = _op
for _fn, _partials in GUARDED.items():
    defelementwise(_fn, _partials, guard=True)

# Derivative zero wherever it exists: rounding, sign, comparisons, logic, predicates.
NONDIFFERENTIABLE = (
    np.floor, np.ceil, np.trunc, np.rint, np.sign, np.floor_divide,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.signbit, np.heaviside,
)
defzero(*NONDIFFERENTIABLE)
defzero(np.round, np.around)   # not ufuncs: they dispatch as functions


# --- elementwise functions that are not ufuncs ---------------------------

def _where_impl(condition, x, y):
    return np.where(condition, x, y)


# why: np.logical_not, not ~c: a Python bool condition has ~False == -1.
_where = defelementwise(_where_impl, (None, lambda ans, c, x, y: c,
                                      lambda ans, c, x, y: np.logical_not(c)),
                        name="numpy.where")


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
    lo, hi = _bounds(lo, hi)
    return _half_where((x > lo) & (x < hi), (x == lo) | (x == hi), ans)


def _clip_lo(ans, x, lo, hi):
    lo, hi = _bounds(lo, hi)
    return _half_where(x < lo, x == lo) * (lo <= hi)


def _clip_hi(ans, x, lo, hi):
    lo, hi = _bounds(lo, hi)
    return np.where(lo > hi, 1.0, _half_where(x > hi, x == hi))


_clip = defelementwise(_clip_impl, (_clip_x, _clip_lo, _clip_hi), name="numpy.clip")


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kw):
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    return _clip(a, lo, hi)


defcomposite(np.where, where)
defcomposite(np.clip, clip)
