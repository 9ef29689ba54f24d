"""scipy.special: its ufuncs by their partial derivatives, and traceable equivalents.

The scipy.special ufuncs (expit, logit, erf, gammaln, digamma, xlogy, ...) reach
the box's ``__array_ufunc__`` like NumPy's, so plain code such as
``scipy.special.expit(x)`` is differentiated as written.

logsumexp, softmax, log_softmax and polygamma are *not* ufuncs: SciPy turns
their arguments into arrays (``np.asarray``) before computing, which would drop
the derivative, and NumPy's ``__array_function__`` protocol never sees them.
On a traced value they raise `TracerConversionError`. Use the functions of the
same name in this module instead: they take the same arguments and work on
plain arrays and traced values alike.

Conventions: ``xlogy(0, y)`` and ``xlog1py(0, y)`` have partial derivative 0
with respect to ``y`` (even at ``y = 0``), matching their value 0.
"""

import math

import numpy as np
import scipy.special as sp

from dfdx._errors import UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import defelementwise, defrule, shape_of
from dfdx.rules._util import cast_like, norm_axis as _axes

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln"]

# why: Python floats: a NumPy float64 scalar would upcast a float32 argument.
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _polygamma(n, x):
    return sp.polygamma(n, x)


# SciPy's polygamma computes in float64 whatever the dtype of x: its cotangent goes back
# to the dtype of x.
polygamma = defrule(
    _polygamma,
    vjp=(None, lambda g, ans, n, x: cast_like(g * polygamma(n + 1, x), x)),
    jvp=(None, lambda t, ans, n, x: t * polygamma(n + 1, x)),
    name="scipy.special.polygamma")
polygamma.__doc__ = """Return the n-th derivative of the digamma function at x (traceable).

    Args:
        n: the order (an integer, or an integer array; not differentiated).
        x: the point, any shape.

    Returns:
        ``scipy.special.polygamma(n, x)``, differentiable in `x`.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx.rules.special import polygamma
        >>> round(float(dfdx.grad(lambda x: polygamma(0, x))(1.0)), 6)   # pi**2 / 6
        1.644934
    """


def _x_over(x, d):
    # why: xlogy(0, y) = 0 for every y, so its partial in y is x / y = 0 at x = 0, also at
    # y = 0 (not 0 / 0); only that one point gets the safe divisor 1, so elsewhere at x = 0
    # the partial x / y keeps its derivative 1 / y in x.
    return x / np.where((getval(x) == 0) & (getval(d) == 0), 1.0, d)


def _trigamma(ans, x):
    if np.iscomplexobj(getval(x)):
        raise UnsupportedOperation(
            "scipy.special.digamma (psi): the derivative at complex input needs polygamma(1, z), "
            "which SciPy has for real input only (this is also the second derivative of "
            "scipy.special.gamma); differentiate digamma on real input")
    return cast_like(polygamma(1, x), ans)   # digamma keeps float32


SPECIAL = {
    sp.expit:     (lambda ans, x: ans * (1 - ans),),
    sp.log_expit: (lambda ans, x: sp.expit(-x),),
    sp.erf:       (lambda ans, x: 2 / _SQRT_PI * np.exp(-x**2),),
    sp.erfc:      (lambda ans, x: -2 / _SQRT_PI * np.exp(-x**2),),
    sp.ndtr:      (lambda ans, x: np.exp(-x**2 / 2) / _SQRT_2PI,),
    sp.log_ndtr:  (lambda ans, x: np.exp(-x**2 / 2 - ans) / _SQRT_2PI,),
    sp.gamma:     (lambda ans, x: ans * sp.digamma(x),),
    sp.gammaln:   (lambda ans, x: sp.digamma(x),),
    sp.digamma:   (_trigamma,),
}

# Partials that are infinite at a domain edge: a zero cotangent must stay zero.
SPECIAL_GUARDED = {
    sp.logit:     (lambda ans, x: 1 / (x * (1 - x)),),
    sp.erfinv:    (lambda ans, x: _SQRT_PI / 2 * np.exp(ans**2),),
    sp.erfcinv:   (lambda ans, x: -_SQRT_PI / 2 * np.exp(ans**2),),
    sp.ndtri:     (lambda ans, x: _SQRT_2PI * np.exp(ans**2 / 2),),
    sp.entr:      (lambda ans, x: -(np.log(x) + 1),),
    sp.xlogy:     (lambda ans, x, y: np.log(y),
                   lambda ans, x, y: _x_over(x, y)),
    sp.xlog1py:   (lambda ans, x, y: np.log1p(y),
                   lambda ans, x, y: _x_over(x, 1 + y)),
}

for _fn, _partials in SPECIAL.items():
    defelementwise(_fn, _partials, name=f"scipy.special.{_fn.__name__}")
for _fn, _partials in SPECIAL_GUARDED.items():
    defelementwise(_fn, _partials, guard=True, name=f"scipy.special.{_fn.__name__}")


# --- traceable equivalents of SciPy's non-ufunc functions ------------------

def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """Compute ``log(sum(b * exp(a)))`` along `axis` without overflow (traceable).

    Same arguments, defaults and algorithm as `scipy.special.logsumexp` (the
    largest term is taken out of the sum, for precision); works on plain arrays
    and on traced values.

    Args:
        a: the input array.
        axis: the axis or axes to reduce (None: all).
        b: optional weights, broadcastable to `a` (may be negative with return_sign).
        keepdims: keep the reduced axes with length 1.
        return_sign: also return the sign of the sum (then the first result is
            ``log(abs(sum))``); otherwise a negative sum gives NaN, as in SciPy.

    Returns:
        The reduced array, or ``(out, sign)`` with `return_sign`.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx.special import logsumexp
        >>> dfdx.grad(logsumexp)(np.log(np.array([1.0, 3.0])))   # the softmax
        array([0.25, 0.75])
        >>> logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, -2.0]), return_sign=True)
        (np.float64(0.0), np.float64(-1.0))
    """
    a, b, nd = _logsumexp_operands(a, b)
    axes = _axes(axis, nd)
    out, sgn = _logsumexp_kept(a, b, axes, return_sign)
    if not return_sign:
        out = np.where(sgn < 0, np.nan, out)
    if not keepdims:
        shape = tuple(n for i, n in enumerate(shape_of(out)) if i not in axes)
        out, sgn = np.reshape(out, shape), np.reshape(sgn, shape)
    if not shape_of(out):
        out, sgn = out[()], sgn[()]
    return (out, sgn) if return_sign else out


def _logsumexp_operands(a, b):
    """`a` and the weights `b` broadcast together, at least 1-d; and their rank."""
    nd = len(shape_of(a))
    if b is not None and len(shape_of(b)) > nd:
        nd = len(shape_of(b))
    if nd == 0:
        a = np.reshape(a, (1,))
        b = None if b is None else np.reshape(b, (1,))
        nd = 1
    if b is not None:
        shape = np.broadcast_shapes(shape_of(a), shape_of(b))
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    return a, b, nd


def _logsumexp_kept(a, b, axes, return_sign):
    """log |sum(b exp(a))| over `axes` (kept, length 1) and the sign of the sum."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        plain = getval(a) if b is None else np.where(getval(b) == 0, -np.inf, getval(a))
        # why: the shift is a constant (its derivative cancels exactly), so it is taken
        # from the plain values; the maximal terms are summed apart, as SciPy does.
        shift = np.max(plain, axis=axes, keepdims=True)
        top = plain == shift
        shift = np.where(np.isfinite(shift), shift, 0.0)
        e = np.exp(a - shift)
        if b is not None:
            e = np.where(getval(b) == 0, 0.0, e * b)
        m = np.sum(np.where(top, e, 0.0), axis=axes, keepdims=True)
        rest = np.sum(np.where(top, 0.0, e), axis=axes, keepdims=True)
        s = np.where(rest == 0, rest, rest / np.where(m == 0, 1.0, m))
        sgn = np.sign(s + 1) * np.sign(m)
        s = np.where(s < -1, -s - 2, s)
        out = np.log1p(s) + np.log(np.abs(m)) + shift
        if not np.all(np.isfinite(out)):
            direct = np.sum(np.exp(a) if b is None else b * np.exp(a), axis=axes, keepdims=True)
            ok = np.isfinite(out)
            sgn = np.where(ok, sgn, np.sign(direct))
            out = np.where(ok, out, np.log(np.abs(direct) if return_sign else direct))
    return out, sgn


def softmax(x, axis=None):
    """Return ``exp(x) / sum(exp(x))`` along `axis` (traceable `scipy.special.softmax`).

    Example:
        >>> import numpy as np
        >>> from dfdx.special import softmax
        >>> softmax(np.log(np.array([1.0, 3.0])))
        array([0.25, 0.75])
    """
    # why: the shift is a constant (the result does not depend on it): plain values.
    e = np.exp(x - np.max(getval(x), axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """Return ``x - logsumexp(x)`` along `axis` (traceable `scipy.special.log_softmax`).

    Example:
        >>> import numpy as np
        >>> from dfdx.special import log_softmax
        >>> np.exp(log_softmax(np.log(np.array([1.0, 3.0]))))
        array([0.25, 0.75])
    """
    shift = np.max(getval(x), axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    # why: subtracting the shift first keeps the small entries exact (x - shift is exact)
    s = x - shift
    with np.errstate(divide="ignore"):
        return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


# --- more scipy.special ufuncs: Bessel functions, incomplete gamma and beta,
# entropies, robust losses, Box-Cox, zeta, and the cdfs scipy.stats builds on --------

from dfdx._errors import UnsupportedOperation  # noqa: E402


def _no_derivative(name, arg, why="it has no closed form in scipy.special"):
    """A partial that refuses: `name` has no derivative rule in its argument `arg`."""
    def partial(ans, *args):
        raise UnsupportedOperation(
            f"dfdx has no derivative of scipy.special.{name} in its argument {arg}: {why}. "
            f"Pass {arg} as a constant (dfdx.stop_gradient({arg})), or estimate this derivative "
            f"with dfdx.numeric.derivative.")
    partial.refuses = True
    return partial


def _like(p, ans):
    """The partial `p` in the dtype of the answer `ans`.

    why: scipy.special.polygamma computes in float64, so a partial built of digamma
    would turn float32 tangents of second order into float64 (float32 stays float32).
    """
    dt = getattr(ans, "dtype", None)
    if dt is None or (isinstance(p, (np.ndarray, np.generic)) and p.dtype == dt):
        return p
    # why: on a traced value the cast is needed even when the value's dtype already
    # matches: it is what casts the tangents and cotangents flowing through it.
    return p.astype(dt)


def _gammainc_dx(a, x):
    """d/dx of the regularized lower incomplete gamma P(a, x): the gamma(a) density at x."""
    return _like(np.exp(sp.xlogy(a - 1, x) - x - sp.gammaln(a)), x)


def _betainc_dx(a, b, x):
    """d/dx of the regularized incomplete beta I_x(a, b): the beta(a, b) density at x."""
    return _like(np.exp(sp.xlogy(a - 1, x) + sp.xlog1py(b - 1, -x) - sp.betaln(a, b)), x)


def _t_density(df, t):
    """Student's t density with `df` degrees of freedom at `t` (as scipy.stats.t computes it)."""
    return _like(np.exp(np.log(sp.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi))
                        - (df + 1) / 2 * np.log1p(t * t / df)), t)


# h(u) = (u e^u - expm1(u)) / u**2 and its Taylor coefficients (m + 1) / (m + 2)!:
# the lambda-derivative of Box-Cox is log(x)**2 * h(lambda * log(x)).
_BOXCOX_SERIES = [(m + 1) / float(np.prod(np.arange(1, m + 3))) for m in range(15)]


def _boxcox_h(u):
    # why: the closed form cancels catastrophically near u = 0 (0/0 at 0); the series
    # is exact to rounding for |u| < 1/2, where the closed form loses < 3 digits.
    small = np.abs(u) < 0.5
    us = np.where(small, 1.0, u)
    closed = (us * np.exp(us) - np.expm1(us)) / (us * us)
    series = 0.0 * u
    for c in reversed(_BOXCOX_SERIES):
        series = series * u + c
    return np.where(small, series, closed)


def _boxcox_dl(ans, x, lmbda):
    log_x = np.log(x)
    return log_x * log_x * _boxcox_h(lmbda * log_x)


def _boxcox1p_dl(ans, x, lmbda):
    log_x = np.log1p(x)
    return log_x * log_x * _boxcox_h(lmbda * log_x)


# Bernoulli numbers B_2, B_4, ..., B_16 over (2k)!, for the Euler-Maclaurin tail of zeta.
_EM_TERMS = 10
_EM_COEF = [b / float(np.prod(np.arange(1, 2 * k + 1))) for k, b in enumerate(
    [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510], start=1)]


def _zeta_ds(s, q):
    """d/ds of the Hurwitz zeta function zeta(s, q), by Euler-Maclaurin summation.

    why: scipy.special has no derivative of zeta in s. Ten terms of the sum, the
    integral of the tail and eight Bernoulli corrections, each differentiated in s
    exactly, give it to ~1e-14 relative for q > 0 and s > 0 (built of NumPy
    operations, so it is differentiable again). For s < 0 the sum cancels: see
    `_riemann_zeta_ds`.
    """
    out = 0.0 * s
    for n in range(_EM_TERMS):
        out = out - np.log(n + q) * (n + q) ** -s
    a = _EM_TERMS + q
    log_a = np.log(a)
    out = out + a ** (1 - s) * (-log_a / (s - 1) - 1 / ((s - 1) * (s - 1))) - log_a * a ** -s / 2
    p, dp = s, 1.0 + 0.0 * s          # the rising factorial s (s+1) ... (s+2k-2), and d/ds
    for k, c in enumerate(_EM_COEF, start=1):
        if k > 1:
            for j in (2 * k - 3, 2 * k - 2):
                p, dp = p * (s + j), dp * (s + j) + p
        out = out + c * a ** (-s - 2 * k + 1) * (dp - log_a * p)
    return out


def _riemann_zeta_ds(s):
    """d/ds of the Riemann zeta function: Euler-Maclaurin for s >= 0, the reflection below 0."""
    # why: zeta(s) = F(s) zeta(1 - s), F(s) = 2**s pi**(s-1) sin(pi s/2) gamma(1 - s), moves
    # s < 0 to 1 - s > 1, where the summation is accurate (and the two branches are safe:
    # each sees only points of its own side).
    neg = s < 0
    lo = np.where(neg, s, -1.0)
    hi = np.where(neg, 1.0 - lo, s)
    f = 2.0 ** lo * np.pi ** (lo - 1) * sp.gamma(1 - lo)
    half = np.pi / 2 * lo
    df = f * ((np.log(2 * np.pi) - sp.digamma(1 - lo)) * np.sin(half) + np.pi / 2 * np.cos(half))
    reflected = df * _riemann_zeta(1 - lo) - f * np.sin(half) * _zeta_ds(1 - lo, 1.0)
    return _like(np.where(neg, reflected, _zeta_ds(hi, 1.0)), s)


_zeta = sp._ufuncs._zeta
_riemann_zeta = sp._ufuncs._riemann_zeta

SPECIAL_MORE = {
    sp.beta:     (lambda ans, a, b: ans * _like(sp.digamma(a) - sp.digamma(a + b), ans),
                  lambda ans, a, b: ans * _like(sp.digamma(b) - sp.digamma(a + b), ans)),
    sp.betaln:   (lambda ans, a, b: _like(sp.digamma(a) - sp.digamma(a + b), ans),
                  lambda ans, a, b: _like(sp.digamma(b) - sp.digamma(a + b), ans)),
    sp.poch:     (lambda ans, z, m: ans * _like(sp.digamma(z + m) - sp.digamma(z), ans),
                  lambda ans, z, m: ans * _like(sp.digamma(z + m), ans)),
    sp.i0:       (lambda ans, x: sp.i1(x),),
    sp.i1:       (lambda ans, x: (sp.i0(x) + sp.iv(2, x)) / 2,),
    sp.i0e:      (lambda ans, x: sp.i1e(x) - np.sign(x) * ans,),
    sp.i1e:      (lambda ans, x: (sp.i0e(x) + sp.ive(2, x)) / 2 - np.sign(x) * ans,),
    sp.j0:       (lambda ans, x: -sp.j1(x),),
    sp.j1:       (lambda ans, x: (sp.j0(x) - sp.jv(2, x)) / 2,),
    sp.huber:    (lambda ans, delta, r: np.where(np.abs(r) <= delta, 0.0, np.abs(r) - delta),
                  lambda ans, delta, r: np.where(np.abs(r) <= delta, r, delta * np.sign(r))),
    sp.stdtr:    (_no_derivative("stdtr", "df"),
                  lambda ans, df, t: _t_density(df, t)),
}

# Partials that are infinite at a domain edge (x = 0, a pole): a zero cotangent stays zero.
SPECIAL_MORE_GUARDED = {
    sp.gammainc:    (_no_derivative("gammainc", "a"),
                     lambda ans, a, x: _gammainc_dx(a, x)),
    sp.gammaincc:   (_no_derivative("gammaincc", "a"),
                     lambda ans, a, x: -_gammainc_dx(a, x)),
    sp.gammaincinv: (_no_derivative("gammaincinv", "a"),
                     lambda ans, a, y: 1 / _gammainc_dx(a, ans)),
    sp.gammainccinv: (_no_derivative("gammainccinv", "a"),
                      lambda ans, a, y: -1 / _gammainc_dx(a, ans)),
    sp.betainc:     (_no_derivative("betainc", "a"), _no_derivative("betainc", "b"),
                     lambda ans, a, b, x: _betainc_dx(a, b, x)),
    sp.betaincc:    (_no_derivative("betaincc", "a"), _no_derivative("betaincc", "b"),
                     lambda ans, a, b, x: -_betainc_dx(a, b, x)),
    sp.betaincinv:  (_no_derivative("betaincinv", "a"), _no_derivative("betaincinv", "b"),
                     lambda ans, a, b, y: 1 / _betainc_dx(a, b, ans)),
    sp.stdtrit:     (_no_derivative("stdtrit", "df"),
                     lambda ans, df, p: 1 / _t_density(df, ans)),
    sp.y0:       (lambda ans, x: -sp.y1(x),),
    sp.y1:       (lambda ans, x: (sp.y0(x) - sp.yv(2, x)) / 2,),
    sp.jv:       (_no_derivative("jv", "v", "the derivative in the order has no closed form"),
                  lambda ans, v, x: (sp.jv(v - 1, x) - sp.jv(v + 1, x)) / 2),
    sp.yv:       (_no_derivative("yv", "v", "the derivative in the order has no closed form"),
                  lambda ans, v, x: (sp.yv(v - 1, x) - sp.yv(v + 1, x)) / 2),
    sp.iv:       (_no_derivative("iv", "v", "the derivative in the order has no closed form"),
                  lambda ans, v, x: (sp.iv(v - 1, x) + sp.iv(v + 1, x)) / 2),
    sp.ive:      (_no_derivative("ive", "v", "the derivative in the order has no closed form"),
                  lambda ans, v, x: (sp.ive(v - 1, x) + sp.ive(v + 1, x)) / 2
                  - np.sign(x) * ans),
    sp.kv:       (_no_derivative("kv", "v", "the derivative in the order has no closed form"),
                  lambda ans, v, x: -(sp.kv(v - 1, x) + sp.kv(v + 1, x)) / 2),
    sp.kve:      (_no_derivative("kve", "v", "the derivative in the order has no closed form"),
                  lambda ans, v, x: ans - (sp.kve(v - 1, x) + sp.kve(v + 1, x)) / 2),
    sp.rel_entr: (lambda ans, x, y: np.log(x / y) + 1,
                  lambda ans, x, y: -x / y),
    sp.kl_div:   (lambda ans, x, y: np.log(x / y),
                  lambda ans, x, y: 1 - x / y),
    # why: d/d delta = delta (s - 1)**2 / s with s - 1 = u / (1 + s): no cancellation at small r
    sp.pseudo_huber: (lambda ans, delta, r: delta * (_ph_u(delta, r) / (1 + _ph_s(delta, r))) ** 2
                      / _ph_s(delta, r),
                      lambda ans, delta, r: r / _ph_s(delta, r)),
    sp.boxcox:   (lambda ans, x, lmbda: x ** (lmbda - 1), _boxcox_dl),
    sp.boxcox1p: (lambda ans, x, lmbda: np.exp((lmbda - 1) * np.log1p(x)), _boxcox1p_dl),
    _zeta:       (lambda ans, x, q: _zeta_ds(x, q),
                  lambda ans, x, q: -x * _zeta(x + 1, q)),
    _riemann_zeta: (lambda ans, x: _riemann_zeta_ds(x),),
}


def _ph_u(delta, r):
    return (r / delta) ** 2


def _ph_s(delta, r):
    return np.sqrt(1 + (r / delta) ** 2)


#: ufunc -> the positions of the arguments it refuses to differentiate in
NO_DERIVATIVE = {fn: tuple(i for i, p in enumerate(ps) if getattr(p, "refuses", False))
                 for fn, ps in (*SPECIAL_MORE.items(), *SPECIAL_MORE_GUARDED.items())
                 if any(getattr(p, "refuses", False) for p in ps)}

for _fn, _partials in SPECIAL_MORE.items():
    defelementwise(_fn, _partials, name=f"scipy.special.{_fn.__name__.lstrip('_')}")
for _fn, _partials in SPECIAL_MORE_GUARDED.items():
    _name = "zeta" if _fn in (_zeta, _riemann_zeta) else _fn.__name__
    defelementwise(_fn, _partials, guard=True, name=f"scipy.special.{_name}")


def multigammaln(a, d):
    """Return the log of the multivariate gamma function of dimension `d` (traceable).

    Same arguments and checks as `scipy.special.multigammaln` (which converts `a`
    with ``np.asarray`` and so cannot be traced).

    Args:
        a: the points, any shape; each must exceed ``(d - 1) / 2``.
        d: the dimension, a positive integer (not differentiated).

    Returns:
        ``d (d - 1) / 4 * log(pi) + sum_j gammaln(a - j / 2)``, j = 0 ... d - 1,
        differentiable in `a`.

    Raises:
        ValueError: `d` is not a positive integer, or some ``a <= (d - 1) / 2``.

    Example:
        >>> import dfdx
        >>> from dfdx.special import multigammaln
        >>> round(float(multigammaln(23.5, 10)), 8)
        457.17667478
        >>> round(float(dfdx.grad(lambda a: multigammaln(a, 2))(3.0)), 6)  # psi(3) + psi(2.5)
        1.625941
    """
    d = np.asarray(d)[()]
    if not np.isscalar(d) or np.floor(d) != d:
        raise ValueError("d should be a positive integer (dimension)")
    if np.any(a <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({a}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    total = sp.gammaln(a)
    for j in range(2, int(d) + 1):
        total = total + sp.gammaln(a - (j - 1.0) / 2)
    return (d * (d - 1) * 0.25) * np.log(np.pi) + total
