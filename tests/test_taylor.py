"""Taylor mode (dfdx.taylor, dfdx.jet): coefficients to high order, against independent answers.

Known answers: 20 functions to order 20 against mpmath's Taylor coefficients
at 60 digits (of SymPy's expressions), within 1e-10 of the largest term. The
rules table: every sample, pushed through Taylor mode along a random direction
to order 4, against nested forward mode (dfdx.derivative).
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
import scipy.special as sps
import sympy as sp

import dfdx
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
    "dfdx.rules.shape._untake": "add.at",                 # writes into a NumPy array
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


@pytest.mark.parametrize("sample,name,i", _rule_params())
def test_every_rules_sample_matches_nested_forward_mode_to_order_4(sample, name, i):
    if name in WRITES:
        pytest.skip("writes into an array: Taylor mode does not record them (see test_writes)")
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
                dfdx.taylor(g, t0, 4)
            except dfdx.TracerConversionError as e:
                assert SCIPY in str(e)
                return
        if name in REFUSED:
            with pytest.raises((dfdx.DfdxError, TypeError), match=REFUSED[name]):
                dfdx.taylor(g, t0, 4)
            return
        try:
            want = [np.asarray(g(t0))] + [np.asarray(nested_derivative(g, n=k)(t0))
                                          / math.factorial(k) for k in range(1, 5)]
        except dfdx.DfdxError as e:
            pytest.skip(f"nested forward mode itself refuses: {str(e)[:60]}")
        got = dfdx.taylor(g, t0, 4)
    assert got.dtype == np.result_type(want[0]), "Taylor mode keeps the dtype"
    low = np.result_type(*want) in (np.float32, np.complex64)
    for k in range(5):
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
