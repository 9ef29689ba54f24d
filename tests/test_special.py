"""dfdx.special: SciPy's results, derivatives against closed forms, and the arguments that refuse."""

import mpmath
import numpy as np
import pytest
import scipy.special as sps

import dfdx
from dfdx import nn
from dfdx import special as sp


def test_is_a_drop_in_for_scipy_special():
    for name in ("erf", "gammaln", "jv", "kve", "betainc", "gammaincinv", "boxcox", "zeta"):
        assert getattr(sp, name) is getattr(sps, name)
    x = np.linspace(0.5, 3, 5)
    np.testing.assert_array_equal(sp.multigammaln(x + 2, 3), sps.multigammaln(x + 2, 3))


@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": (0, 2), "keepdims": True},
                                {"axis": 1, "b": np.array([1.0, -0.5, 2.0, 0.0])},
                                {"axis": 2, "b": np.array([1.0, -3.0, 2.0, 0.5]),
                                 "return_sign": True}])
def test_logsumexp_is_scipys(kw):
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    got, want = sp.logsumexp(a, **kw), sps.logsumexp(a, **kw)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        np.testing.assert_array_equal(g, w)


def test_logsumexp_edge_cases_are_scipys():
    for a in ([1000.0, 1000.0], [-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], 2.5):
        np.testing.assert_array_equal(sp.logsumexp(np.array(a)), sps.logsumexp(np.array(a)))
    with np.errstate(invalid="ignore"):
        assert np.isnan(sp.logsumexp(np.zeros(2), b=np.array([1.0, -2.0])))


def test_softmax_and_log_softmax_are_scipys():
    x = np.random.default_rng(2).standard_normal((3, 4)) * 30
    np.testing.assert_array_equal(sp.softmax(x), sps.softmax(x))
    np.testing.assert_array_equal(sp.softmax(x, axis=0), sps.softmax(x, axis=0))
    np.testing.assert_array_equal(sp.log_softmax(x, axis=1), sps.log_softmax(x, axis=1))


def test_nn_calls_the_same_implementation_with_axis_minus_1():
    x = np.random.default_rng(3).standard_normal((3, 4))
    np.testing.assert_array_equal(nn.logsumexp(x), sps.logsumexp(x, axis=-1))
    np.testing.assert_array_equal(nn.softmax(x), sps.softmax(x, axis=-1))
    np.testing.assert_array_equal(nn.log_softmax(x), sps.log_softmax(x, axis=-1))


def test_logsumexp_derivatives():
    x = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(dfdx.grad(sp.logsumexp)(x), sps.softmax(x), rtol=1e-14)
    dfdx.check_grad(lambda a, b: sp.logsumexp(a, b=b, return_sign=True)[0], x,
                    np.array([1.0, -0.5, 0.7]))


def test_derivatives_match_known_values():
    # d/dx i0 = i1, d/dx kv(v, x) = -(k_{v-1} + k_{v+1}) / 2, d/dx gammainc(a, x) = density
    np.testing.assert_allclose(dfdx.grad(sp.i0)(1.3), sps.i1(1.3), rtol=1e-14)
    np.testing.assert_allclose(dfdx.grad(lambda x: sp.kv(0.5, x))(1.3),
                               float(mpmath.diff(lambda t: mpmath.besselk(0.5, t), 1.3)), rtol=1e-12)
    np.testing.assert_allclose(dfdx.grad(lambda x: sp.gammainc(2.0, x))(1.5), 1.5 * np.exp(-1.5),
                               rtol=1e-14)
    np.testing.assert_allclose(dfdx.grad(sp.zeta)(2.0), float(mpmath.zeta(2, 1, 1)), rtol=1e-13)
    np.testing.assert_allclose(dfdx.derivative(sp.zeta, 2)(-3.5), float(mpmath.zeta(-3.5, 1, 2)),
                               rtol=1e-11)
    np.testing.assert_allclose(dfdx.grad(lambda q: sp.zeta(3.0, q))(1.5), -3 * sps.zeta(4.0, 1.5),
                               rtol=1e-14)
    # d/d lambda boxcox(x, lambda): log(x)**2 / 2 at lambda = 0, and no cancellation near it
    lam = np.array([0.0, 1e-9, 0.3, -2.0])
    want = [np.log(2.5) ** 2 / 2] + [float(mpmath.diff(
        lambda t: (mpmath.mpf(2.5) ** t - 1) / t, float(v))) for v in lam[1:]]
    np.testing.assert_allclose(dfdx.jacobian(lambda l: sp.boxcox(2.5, l))(lam).diagonal(), want,
                               rtol=1e-12)


@pytest.mark.parametrize("f,arg", [
    (lambda v: sp.jv(v, 1.5), "v"), (lambda v: sp.iv(v, 1.5), "v"), (lambda v: sp.kve(v, 1.5), "v"),
    (lambda a: sp.gammainc(a, 1.5), "a"), (lambda a: sp.gammaincc(a, 1.5), "a"),
    (lambda a: sp.betainc(a, 2.0, 0.3), "a"), (lambda b: sp.betainc(2.0, b, 0.3), "b"),
    (lambda df: sp.stdtr(df, 0.3), "df")])
def test_derivative_without_closed_form_names_the_argument(f, arg):
    for transform in (dfdx.grad, lambda g: (lambda x: dfdx.jvp(g, (x,), (1.0,))[1])):
        with pytest.raises(dfdx.UnsupportedOperation, match=f"in its argument {arg}"):
            transform(f)(1.5)
