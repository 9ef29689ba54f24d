"""Taylor mode (dfdx.taylor, dfdx.jet): coefficients to high order, against independent answers.

Known answers: 20 functions to order 20 against mpmath's Taylor coefficients
at 60 digits (of SymPy's expressions), within 1e-10 of the largest term. The
rules table: every sample, pushed through Taylor mode along a random direction
to order 6, against nested forward mode (dfdx.api.nested_derivative), with
nested forward mode inside Taylor mode only for the calls docs/structure.md
lists; every elementwise rule with a SymPy counterpart, along a random
direction in all its arguments, to order 6 against SymPy's expression.
"""

import math
import os
import re
import zlib
import warnings

import mpmath
import numpy as np
import pytest
import scipy.special as sps
import sympy as sp

import dfdx
from dfdx import _taylor
from dfdx._numpy.registry import callable_name
from dfdx.api import nested_derivative   # the oracle: forward mode nested, not Taylor mode
from rule_samples import SAMPLES

X = sp.Symbol("x")
A = sp.Rational(3, 10)

#: name -> (NumPy function, the same function in SymPy)
FUNCTIONS = {
    "exp": (np.exp, sp.exp(X)),
    "sin(exp(x)) tanh(x)": (lambda x: np.sin(np.exp(x)) * np.tanh(x),
                            sp.sin(sp.exp(X)) * sp.tanh(X)),
    "log1p": (np.log1p, sp.log(1 + X)),
    "arctan": (np.arctan, sp.atan(X)),
    "arcsin": (np.arcsin, sp.asin(X)),
    "sqrt(1 + x^2)": (lambda x: np.sqrt(1 + x ** 2), sp.sqrt(1 + X ** 2)),
    "tan": (np.tan, sp.tan(X)),
    "1 / (1 + x^2)": (lambda x: 1 / (1 + x ** 2), 1 / (1 + X ** 2)),
    "(1 + x)^2.5": (lambda x: (1 + x) ** 2.5, (1 + X) ** sp.Rational(5, 2)),
    "erf": (sps.erf, sp.erf(X)),
    "cosh": (np.cosh, sp.cosh(X)),
    "arccosh(2 + x)": (lambda x: np.arccosh(2 + x), sp.acosh(2 + X)),
    "arctanh": (np.arctanh, sp.atanh(X)),
    "logaddexp(x, 2x)": (lambda x: np.logaddexp(x, 2 * x), sp.log(sp.exp(X) + sp.exp(2 * X))),
    "hypot(x, 1 + x)": (lambda x: np.hypot(x, 1 + x), sp.sqrt(X ** 2 + (1 + X) ** 2)),
    "arctan2(1 + x, 2 - x)": (lambda x: np.arctan2(1 + x, 2 - x), sp.atan((1 + X) / (2 - X))),
    "(1.5 + x)^(1.5 + x)": (lambda x: (1.5 + x) ** (1.5 + x),
                            (sp.Rational(3, 2) + X) ** (sp.Rational(3, 2) + X)),
    "expit": (sps.expit, 1 / (1 + sp.exp(-X))),
    "tanh(x) / (2 + cos(x))": (lambda x: np.tanh(x) / (2 + np.cos(x)),
                               sp.tanh(X) / (2 + sp.cos(X))),
    "log(2 + sin(x)) x^3": (lambda x: np.log(2 + np.sin(x)) * x ** 3,
                            sp.log(2 + sp.sin(X)) * X ** 3),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_coefficients_to_order_20_match_60_digit_arithmetic(name):
    f, expr = FUNCTIONS[name]
    mpmath.mp.dps = 60
    want = np.array([float(c) for c in mpmath.taylor(sp.lambdify(X, expr, "mpmath"),
                                                    mpmath.mpf(3) / 10, 20)])
    got = dfdx.taylor(f, 0.3, 20)
    assert got.shape == (21,)
    assert np.max(np.abs(got - want)) <= 1e-10 * np.max(np.abs(want))


def test_taylor_is_elementwise_and_keeps_float32():
    x = np.array([0.1, 0.5, 2.0], np.float32)
    c = dfdx.taylor(np.exp, x, 3)
    assert c.shape == (4, 3) and c.dtype == np.float32
    np.testing.assert_allclose(c, np.exp(x)[None] / np.array([1, 1, 2, 6])[:, None], rtol=1e-6)


def test_taylor_matches_derivative_and_symbolic_taylor():
    f = lambda x: np.sin(np.exp(x)) * np.tanh(x)                  # noqa: E731
    c = dfdx.taylor(f, 0.3, 6)
    for n in range(1, 7):
        assert c[n] * math.factorial(n) == pytest.approx(float(nested_derivative(f, n=n)(0.3)),
                                                          rel=1e-9)
    _, want = dfdx.symbolic.taylor_coefficients(f, "x", 0.3, 6)
    np.testing.assert_allclose(c, np.array([float(w) for w in want]), rtol=1e-10)


def test_jet_follows_jax_conventions():
    y, terms = dfdx.jet(np.sin, (0.0,), ([1.0, 0.0, 0.0],))
    assert float(y) == 0.0 and [float(t) for t in terms] == [1.0, 0.0, -1.0]
    # along the curve x(t) = 1 + 2t + t^2 (x' = 2, x'' = 2), with a second input y(t) = t
    f = lambda x, y: x * np.exp(y)                                 # noqa: E731
    y0, (d1, d2) = dfdx.jet(f, (1.0, 0.0), ([2.0, 2.0], [1.0, 0.0]))
    # f(t) = (1 + 2t + t^2) e^t: f' = 3 at 0, f'' = 2 + 4 + 1 = 7
    assert (float(y0), float(d1), float(d2)) == (1.0, 3.0, 7.0)
    with pytest.raises(ValueError, match="same number of terms"):
        dfdx.jet(f, (1.0, 0.0), ([1.0], [1.0, 2.0]))


def test_conversions_are_refused_by_name():
    with pytest.raises(dfdx.TracerConversionError, match="float"):
        dfdx.taylor(lambda x: float(x) * x, 1.0, 2)
    with pytest.raises(dfdx.TracerConversionError, match="np.stack"):
        dfdx.taylor(lambda x: np.array([x, x]), 1.0, 2)
    with pytest.raises(ValueError, match="order"):
        dfdx.taylor(np.sin, 1.0, -1)


#: rules-table samples whose function cannot run on a Taylor series, with the named error
REFUSED = {
    "dfdx.rules.special._polygamma": "np.asarray",        # converts its input itself
    "dfdx.rules._util._untake": "add.at",                 # writes into a NumPy array
    # grad of det inside: the fallback's forward mode meets SVD's repeated singular values
    "dfdx.rules.linalg._cofactor_value": "repeated|rank",
}


#: rules-table samples that write into arrays (dfdx.rules.writes), which Taylor mode does not
#: record: y[...] = v on a Series is Python's TypeError, np.copyto & co. are refused by name
WRITES = {"dfdx._numpy.box._setitem", "numpy.copyto", "numpy.put", "numpy.put_along_axis",
          "numpy.fill_diagonal", "numpy.zeros", "numpy.empty", "numpy.ones", "numpy.full"}


#: SciPy's own functions (dfdx.linalg, dfdx.signal) convert their inputs: the primitive must
#: hand a Taylor series to Taylor mode itself first (an engine hook, not there yet)
SCIPY = "np.asarray"


#: the order of the rules-table check (the issue: "up to order 6 for every rule")
ORDER = 6


def _rule_params():
    out = []
    for key, samples in SAMPLES.items():
        for i, s in enumerate(samples):
            floats = [j for j, a in enumerate(s.args)
                      if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
            if s.xfail or s.kind == "kink" or not floats:
                continue
            pid = f"{callable_name(key)}[{s.label or i}]"
            out.append(pytest.param(s, callable_name(key), floats[0], id=pid))
    return out


def _documented_fallbacks():
    """The calls docs/structure.md says fall back to nested forward mode (between its markers)."""
    text = open(os.path.join(os.path.dirname(__file__), "..", "docs", "structure.md"),
                encoding="utf-8").read()
    block = text.split("<!-- nested-fallback -->")[1].split("<!-- /nested-fallback -->")[0]
    return set(re.findall(r"`([\w.]+)`", block))


FALLBACKS = _documented_fallbacks()


@pytest.mark.parametrize("sample,name,i", _rule_params())
def test_every_rules_sample_matches_nested_forward_mode_to_order_6(sample, name, i, monkeypatch):
    """... and nested forward mode runs only for the calls the docs list as falling back."""
    if name in WRITES:
        pytest.skip("writes into an array: Taylor mode does not record them (see test_writes)")
    fell_back = set()
    fallback = _taylor._fallback

    def spy(fn, *args):
        fell_back.add(callable_name(fn))
        return fallback(fn, *args)
    monkeypatch.setattr(_taylor, "_fallback", spy)
    x0 = sample.args[i]
    u = np.random.default_rng(len(name)).standard_normal(x0.shape).astype(x0.dtype)

    def g(t):
        args = list(sample.args)
        args[i] = x0 + t * u
        return dfdx.tree_leaves(sample.fn(*args))[0]

    t0 = np.finfo(x0.dtype).dtype.type(0)      # t in the (real) dtype of the input
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "scipy" in name:
            try:
                dfdx.taylor(g, t0, ORDER)
            except dfdx.TracerConversionError as e:
                assert SCIPY in str(e)
                return
        if name in REFUSED:
            with pytest.raises((dfdx.DfdxError, TypeError), match=REFUSED[name]):
                dfdx.taylor(g, t0, ORDER)
            return
        try:
            want = [np.asarray(g(t0))] + [np.asarray(nested_derivative(g, n=k)(t0))
                                          / math.factorial(k) for k in range(1, ORDER + 1)]
        except dfdx.DfdxError as e:
            pytest.skip(f"nested forward mode itself refuses: {str(e)[:60]}")
        fell_back.clear()           # (the oracle's own calls above are not Taylor mode's)
        got = dfdx.taylor(g, t0, ORDER)
    undocumented = fell_back - FALLBACKS
    assert not undocumented, f"nested forward mode ran for {undocumented}: list it in the docs"
    assert got.dtype == np.result_type(want[0]), "Taylor mode keeps the dtype"
    low = np.result_type(*want) in (np.float32, np.complex64)
    for k in range(ORDER + 1):
        scale = max(1.0, float(np.max(np.abs(want[k]), initial=0.0)))
        np.testing.assert_allclose(got[k], want[k], rtol=1e-3 if low else 1e-7,
                                   atol=(1e-3 if low else 1e-9) * scale, equal_nan=True,
                                   err_msg=f"coefficient {k}")


def test_derivative_of_high_order_uses_taylor_mode_with_the_same_answers():
    f = lambda x: np.sin(np.exp(x)) * np.tanh(x)                  # noqa: E731
    c = dfdx.taylor(f, 0.3, 8)
    assert float(dfdx.derivative(f, n=8)(0.3)) == pytest.approx(c[8] * math.factorial(8),
                                                                 rel=1e-14)
    # under another transform the nested form runs: grad of f''' = f''''
    assert float(dfdx.grad(dfdx.derivative(np.sin, n=3))(0.5)) == pytest.approx(np.sin(0.5))
    x = np.array([0.1, 0.7], np.float32)
    assert dfdx.derivative(np.exp, n=4)(x).dtype == np.float32


# -- elementwise rules against SymPy ---------------------------------------------------------

def _at_point(x):
    """The value at t = 0 of a SymPy expression in t (to choose a branch: abs, cbrt, ...)."""
    return x.subs(T, 0)


def _side(x):
    return sp.sign(_at_point(x))


T = sp.Symbol("t")
LN2 = sp.log(2)

#: ufunc -> the same function in SymPy, of SymPy expressions (real arguments). Functions
#: whose derivative is zero (comparisons, rounding) and kinks (maximum, remainder) have no
#: series to compare; SymPy differentiates neither zeta nor the Hurwitz zeta in s.
SYMPY = {
    np.negative: lambda x: -x, np.positive: lambda x: x, np.exp: sp.exp,
    np.exp2: lambda x: 2 ** x, np.expm1: lambda x: sp.exp(x) - 1, np.sin: sp.sin,
    np.cos: sp.cos, np.tan: sp.tan, np.sinh: sp.sinh, np.cosh: sp.cosh, np.tanh: sp.tanh,
    np.arctan: sp.atan, np.arcsinh: sp.asinh, np.arcsin: sp.asin, np.arccos: sp.acos,
    np.arccosh: sp.acosh, np.arctanh: sp.atanh, np.sqrt: sp.sqrt,
    np.cbrt: lambda x: _side(x) * (_side(x) * x) ** sp.Rational(1, 3),
    np.absolute: lambda x: _side(x) * x, np.fabs: lambda x: _side(x) * x,
    np.log: sp.log, np.log2: lambda x: sp.log(x) / LN2, np.log10: lambda x: sp.log(x, 10),
    np.log1p: lambda x: sp.log(1 + x), np.reciprocal: lambda x: 1 / x,
    np.square: lambda x: x ** 2, np.deg2rad: lambda x: x * sp.pi / 180,
    np.radians: lambda x: x * sp.pi / 180, np.rad2deg: lambda x: x * 180 / sp.pi,
    np.degrees: lambda x: x * 180 / sp.pi,
    np.add: lambda x, y: x + y, np.subtract: lambda x, y: x - y,
    np.multiply: lambda x, y: x * y, np.divide: lambda x, y: x / y,
    np.power: lambda x, y: x ** y, np.float_power: lambda x, y: x ** y,
    np.arctan2: sp.atan2, np.hypot: lambda x, y: sp.sqrt(x ** 2 + y ** 2),
    np.logaddexp: lambda x, y: sp.log(sp.exp(x) + sp.exp(y)),
    np.logaddexp2: lambda x, y: sp.log(2 ** x + 2 ** y) / LN2,
    sps.expit: lambda x: 1 / (1 + sp.exp(-x)),
    sps.log_expit: lambda x: -sp.log(1 + sp.exp(-x)),
    sps.erf: sp.erf, sps.erfc: sp.erfc,
    sps.ndtr: lambda x: (1 + sp.erf(x / sp.sqrt(2))) / 2,
    sps.log_ndtr: lambda x: sp.log((1 + sp.erf(x / sp.sqrt(2))) / 2),
    sps.gamma: sp.gamma, sps.gammaln: lambda x: sp.log(_side(sp.gamma(x)) * sp.gamma(x)),
    sps.psi: lambda x: sp.polygamma(0, x), sps.logit: lambda x: sp.log(x / (1 - x)),
    sps.erfinv: sp.erfinv, sps.erfcinv: lambda x: sp.erfinv(1 - x),
    sps.ndtri: lambda x: sp.sqrt(2) * sp.erfinv(2 * x - 1),
    sps.entr: lambda x: -x * sp.log(x),
    sps.xlogy: lambda x, y: x * sp.log(y), sps.xlog1py: lambda x, y: x * sp.log(1 + y),
    sps.beta: sp.beta, sps.betaln: lambda x, y: sp.log(sp.beta(x, y)),
    sps.poch: lambda x, m: sp.gamma(x + m) / sp.gamma(x),
    sps.rel_entr: lambda x, y: x * sp.log(x / y),
    sps.kl_div: lambda x, y: x * sp.log(x / y) - x + y,
    sps.pseudo_huber: lambda d, r: d ** 2 * (sp.sqrt(1 + (r / d) ** 2) - 1),
    sps.boxcox: lambda x, lam: (x ** lam - 1) / lam,
    sps.boxcox1p: lambda x, lam: ((1 + x) ** lam - 1) / lam,
    sps.i0: lambda x: sp.besseli(0, x), sps.i1: lambda x: sp.besseli(1, x),
    sps.i0e: lambda x: sp.exp(-_side(x) * x) * sp.besseli(0, x),
    sps.i1e: lambda x: sp.exp(-_side(x) * x) * sp.besseli(1, x),
    sps.j0: lambda x: sp.besselj(0, x), sps.j1: lambda x: sp.besselj(1, x),
    sps.y0: lambda x: sp.bessely(0, x), sps.y1: lambda x: sp.bessely(1, x),
}


def _sympy_params():
    out = []
    for key, samples in SAMPLES.items():
        if key not in SYMPY:
            continue
        for i, s in enumerate(samples):
            if s.xfail or s.kind == "kink" or s.fn is not key or not all(
                    isinstance(a, np.ndarray) and a.dtype == np.float64 for a in s.args):
                continue
            out.append(pytest.param(key, s, id=f"{callable_name(key)}[{s.label or i}]"))
    return out


def _sympy_coefficients(expr, order):
    """Coefficients 0..order in t of SymPy's `expr` at t = 0, in 40-digit arithmetic.

    why: SymPy's own diff of a function of x0 + t u grows past minutes for betaln; mpmath (the
    arithmetic under SymPy's evalf) differentiates the same expression at 40 digits at once.
    """
    mpmath.mp.dps = 40
    fn = sp.lambdify(T, expr, "mpmath")
    try:
        c = mpmath.taylor(fn, mpmath.mpf(0), order)
    except ZeroDivisionError:       # a removable singularity (boxcox at lambda = 0)
        c = mpmath.taylor(fn, mpmath.mpf(0), order, singular=True)
        c[0] = mpmath.limit(fn, mpmath.mpf(0))
    return np.array([complex(x) for x in c])


@pytest.mark.parametrize("ufunc,sample", _sympy_params())
def test_every_elementwise_rule_matches_sympy_to_order_6(ufunc, sample):
    """Along x(t) = x0 + t u (every argument moves), at up to 3 elements of each sample."""
    rng = np.random.default_rng(zlib.crc32(callable_name(ufunc).encode()))
    dirs = [rng.standard_normal(a.shape) for a in sample.args]

    def g(t):
        return ufunc(*[a + t * u for a, u in zip(sample.args, dirs)])

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = dfdx.taylor(g, 0.0, ORDER)
    shape = got.shape[1:]
    args = [np.broadcast_to(a, shape) for a in sample.args]
    dirs = [np.broadcast_to(u, shape) for u in dirs]
    size = int(np.prod(shape))
    compared = 0
    for flat in sorted({0, size // 2, size - 1}):
        e = np.unravel_index(flat, shape)
        expr = SYMPY[ufunc](*[sp.Float(float(a[e]), 30) + T * sp.Float(float(u[e]), 30)
                              for a, u in zip(args, dirs)])
        want = _sympy_coefficients(expr, ORDER)
        if not np.all(np.isfinite(want)) or np.any(np.abs(want.imag) > 1e-20 * np.abs(want)):
            continue                # a pole or a branch cut at this element: no real series
        want = want.real
        err = np.max(np.abs(got[(slice(None),) + e] - want)) / np.max(np.abs(want))
        assert err <= 1e-9, (f"{callable_name(ufunc)} at {[float(a[e]) for a in args]}: "
                             f"dfdx {got[(slice(None),) + e]}, SymPy {want}")
        compared += 1
    assert compared, "no element of the sample had a SymPy series to compare with"


# -- calls without a recurrence ----------------------------------------------------------------

#: elementwise functions without a recurrence (taken from their rules' partials), to order 20
FROM_PARTIALS = {
    "j0": (sps.j0, sp.besselj(0, X)),
    "i1e": (sps.i1e, sp.exp(-X) * sp.besseli(1, X)),
    "erfinv": (sps.erfinv, sp.erfinv(X)),
    "jv(2.5, 1 + x)": (lambda x: sps.jv(2.5, 1 + x), sp.besselj(sp.Rational(5, 2), 1 + X)),
    "xlogy(x, 2 - x)": (lambda x: sps.xlogy(x, 2 - x), X * sp.log(2 - X)),
}


@pytest.mark.parametrize("name", FROM_PARTIALS)
def test_rules_without_a_recurrence_reach_order_20_from_their_partials(name, monkeypatch):
    f, expr = FROM_PARTIALS[name]
    monkeypatch.setattr(_taylor, "_fallback", lambda fn, *a: pytest.fail(f"{fn} fell back"))
    mpmath.mp.dps = 40
    want = np.array([float(c) for c in mpmath.taylor(sp.lambdify(X, expr, "mpmath"),
                                                    mpmath.mpf(3) / 10, 20)])
    got = dfdx.taylor(f, 0.3, 20)
    assert np.max(np.abs(got - want)) <= 1e-10 * np.max(np.abs(want))


def test_a_call_without_a_taylor_rule_falls_back_to_nested_forward_mode_alone(monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    m, n = a + a.T, np.diag([1.0, 2.0, 3.0, 4.0])

    def f(x):                   # eigh has no Taylor rule: nested forward mode for it alone
        return np.exp(np.sin(x)) * np.sum(np.linalg.eigh(m + x * n)[0] ** 3)

    seen = []
    fallback = _taylor._fallback
    monkeypatch.setattr(_taylor, "_fallback",
                        lambda fn, *a: (seen.append(callable_name(fn)), fallback(fn, *a))[1])
    got = dfdx.taylor(f, 0.3, 5)
    assert seen == ["numpy.linalg.eigh"] and "numpy.linalg.eigh" in FALLBACKS
    want = [f(0.3)] + [nested_derivative(f, n=k)(0.3) / math.factorial(k) for k in range(1, 6)]
    np.testing.assert_allclose(got, np.array(want, dtype=float), rtol=1e-9, atol=1e-12)
