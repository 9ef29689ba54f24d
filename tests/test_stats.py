"""dfdx.stats against scipy.stats: values (tails included) and derivatives in x and the parameters."""

import re

import numpy as np
import pytest
import scipy.special
import scipy.stats
import scipy.stats as st

import dfdx
from dfdx import stats

X = np.linspace(-40, 40, 81)
CONTINUOUS = [("norm", ()), ("t", (3.5,)), ("gamma", (2.5,)), ("beta", (2.0, 3.0)),
              ("expon", ()), ("laplace", ()), ("logistic", ()), ("chi2", (4.0,))]
Q = np.array([0.0, 1e-300, 1e-10, 0.3, 0.5, 0.9, 1 - 1e-12, 1.0, 1.5, -0.1])


@pytest.mark.parametrize("name,shapes", CONTINUOUS)
@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"])
def test_continuous_values_match_scipy(name, shapes, method):
    x = X / 40 if name == "beta" else X
    got = getattr(getattr(stats, name), method)(x, *shapes, loc=0.3, scale=1.7)
    want = getattr(getattr(st, name), method)(x, *shapes, loc=0.3, scale=1.7)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    frozen = getattr(getattr(stats, name)(*shapes, loc=0.3, scale=1.7), method)(x)
    np.testing.assert_array_equal(frozen, got)


@pytest.mark.parametrize("name,shapes", CONTINUOUS)
@pytest.mark.parametrize("method", ["ppf", "isf"])
def test_quantiles_match_scipy(name, shapes, method):
    got = getattr(getattr(stats, name), method)(Q, *shapes, loc=0.3, scale=1.7)
    want = getattr(getattr(st, name), method)(Q, *shapes, loc=0.3, scale=1.7)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_logcdf_far_in_the_tail_is_finite_as_scipy():
    for x in (-30.0, -100.0):
        assert np.isfinite(stats.norm.logcdf(x))
        np.testing.assert_allclose(stats.norm.logcdf(x), st.norm.logcdf(x), rtol=1e-13)
    np.testing.assert_allclose(stats.logistic.logcdf(-800.0), -800.0)
    np.testing.assert_allclose(stats.t.logcdf(-1e6, 2.0), st.t.logcdf(-1e6, 2.0), rtol=1e-12)


def test_invalid_parameters_give_nan_as_scipy():
    assert np.isnan(stats.norm.logpdf(0.0, scale=-1.0))
    assert np.isnan(stats.gamma.cdf(1.0, -2.0))
    assert stats.gamma.logpdf(-1.0, 2.0) == -np.inf


K = np.arange(-2, 30) + 0.0


@pytest.mark.parametrize("name,shapes", [("poisson", (4.5,)), ("binom", (20, 0.3))])
@pytest.mark.parametrize("method", ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf"])
def test_discrete_values_match_scipy(name, shapes, method):
    arg = np.array([0.0, 0.3, 0.5, 0.9, 1.0]) if method == "ppf" else K
    with np.errstate(divide="ignore"):
        got = getattr(getattr(stats, name), method)(arg, *shapes)
        want = getattr(getattr(st, name), method)(arg, *shapes)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-15)


def test_derivatives_in_x_and_parameters():
    dfdx.check_grad(lambda x, m, s: stats.norm.logpdf(x, m, s), np.array([0.3, -1.2]), 0.5, 1.5)
    dfdx.check_grad(lambda x, m, s: stats.norm.logcdf(x, loc=m, scale=s), np.array([0.3, -5.0]),
                    0.5, 1.5)
    dfdx.check_grad(lambda x, a, s: stats.gamma.logpdf(x, a, scale=s), np.array([0.5, 2.0]),
                    2.5, 1.3)
    dfdx.check_grad(lambda x, s: stats.gamma.cdf(x, 2.5, scale=s), np.array([0.5, 2.0]), 1.3)
    dfdx.check_grad(lambda x, a, b: stats.beta.logpdf(x, a, b), np.array([0.2, 0.7]), 2.0, 3.0)
    dfdx.check_grad(lambda x: stats.beta.cdf(x, 2.0, 3.0), np.array([0.2, 0.7]))
    dfdx.check_grad(lambda x, df: stats.t.logpdf(x, df), np.array([0.2, -2.0]), 3.5)
    dfdx.check_grad(lambda x, s: stats.t.cdf(x, 3.5, scale=s), np.array([0.2, -2.0]), 1.5)
    dfdx.check_grad(lambda q, m: stats.t.ppf(q, 3.5, loc=m), np.array([0.2, 0.9]), 0.5)
    dfdx.check_grad(lambda q: stats.gamma.ppf(q, 2.5), np.array([0.2, 0.9]))
    dfdx.check_grad(lambda q: stats.chi2.ppf(q, 3.0), np.array([0.2, 0.9]))
    dfdx.check_grad(lambda x, s: stats.laplace.logcdf(x, scale=s), np.array([-1.0, 2.0]), 1.5)
    dfdx.check_grad(lambda x, s: stats.logistic.logsf(x, scale=s), np.array([-1.0, 2.0]), 1.5)
    dfdx.check_grad(lambda x, s: stats.expon.logcdf(x, scale=s), np.array([0.5, 2.0]), 1.5)
    dfdx.check_grad(lambda mu: stats.poisson.logpmf(np.arange(5.0), mu), 3.2)
    dfdx.check_grad(lambda mu: stats.poisson.cdf(np.arange(5.0), mu), 3.2)
    dfdx.check_grad(lambda p: stats.binom.pmf(np.arange(5.0), 8, p), 0.3)
    dfdx.check_grad(lambda p: stats.binom.sf(np.arange(5.0), 8, p), 0.3)


def test_a_derivative_without_closed_form_names_the_argument():
    with pytest.raises(dfdx.UnsupportedOperation, match="gammainc in its argument a"):
        dfdx.grad(lambda a: stats.gamma.cdf(1.0, a))(2.0)
    with pytest.raises(dfdx.UnsupportedOperation, match="stdtr in its argument df"):
        dfdx.grad(lambda df: stats.t.cdf(1.0, df))(3.0)


def test_multivariate_normal_and_dirichlet_match_scipy():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + np.eye(3)
    mean = rng.standard_normal(3)
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(x, mean, cov),
                               st.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal(mean, cov).pdf(x[0]),
                               st.multivariate_normal(mean, cov).pdf(x[0]), rtol=1e-12)
    dfdx.check_grad(lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c @ c.T + np.eye(3)),
                    x, mean, a)
    alpha = np.array([1.5, 2.0, 3.5])
    p = rng.dirichlet(alpha, size=4).T
    np.testing.assert_allclose(stats.dirichlet.logpdf(p, alpha), st.dirichlet.logpdf(p, alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(stats.dirichlet.pdf(p[:2, 0], alpha),
                               st.dirichlet.pdf(p[:2, 0], alpha), rtol=1e-12)
    dfdx.check_grad(lambda al: stats.dirichlet.logpdf(p, al), alpha)


# --- a traced value reaching SciPy's own functions names dfdx's equivalent ----------

@pytest.mark.parametrize("call, equivalent", [
    (lambda x: scipy.special.logsumexp(x), "dfdx.special.logsumexp"),
    (lambda x: np.sum(scipy.special.log_softmax(x)), "dfdx.special.log_softmax"),
    (lambda x: np.sum(scipy.stats.norm.logpdf(x)), "dfdx.stats.norm.logpdf"),
    (lambda x: np.sum(scipy.stats.gamma(2.0).logcdf(x)), "dfdx.stats.gamma.logcdf"),
])
def test_scipy_functions_on_traced_values_name_the_dfdx_equivalent(call, equivalent):
    with pytest.raises(dfdx.TracerConversionError, match=re.escape(equivalent)):
        dfdx.grad(call)(np.ones(3))


def test_a_scipy_function_without_an_equivalent_is_named_with_the_way_out():
    with pytest.raises(dfdx.TracerConversionError, match=r"scipy\.stats\.cauchy\.logpdf .*NumPy"):
        dfdx.grad(lambda x: np.sum(scipy.stats.cauchy.logpdf(x)))(np.ones(3))


def test_every_equivalent_the_error_names_exists():
    from dfdx._numpy.box import SCIPY_SPECIAL_EQUIVALENTS, SCIPY_STATS_EQUIVALENTS
    import dfdx.special
    import dfdx.stats
    assert all(callable(getattr(dfdx.special, n)) for n in SCIPY_SPECIAL_EQUIVALENTS)
    assert all(hasattr(getattr(dfdx.stats, n), "logpdf") or hasattr(getattr(dfdx.stats, n), "logpmf")
               for n in SCIPY_STATS_EQUIVALENTS)
