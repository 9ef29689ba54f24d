"""scipy.stats distributions for traced code: ``from dfdx import stats`` in place of SciPy's.

SciPy's distribution methods convert their arguments with ``np.asarray`` and
cannot be traced. These have the same call forms, defaults and results
(``stats.norm.logpdf(x, loc=0, scale=1)`` and the frozen
``stats.norm(loc, scale).logpdf(x)``) and are written with NumPy and the
scipy.special ufuncs dfdx differentiates, so they work on plain arrays and on
traced values, in `x` and in the parameters. A derivative in a shape parameter
without a closed form (the cdf of gamma in `a`, of t in `df`, ...) raises
`dfdx.UnsupportedOperation` naming the argument.

Continuous: norm, t, gamma, beta, expon, laplace, logistic, chi2 (logpdf, pdf,
logcdf, cdf, sf, logsf, ppf, isf); discrete: poisson, binom (logpmf, pmf, cdf,
logcdf, sf, logsf, ppf); multivariate_normal and dirichlet (logpdf, pdf).

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import stats
    >>> float(stats.norm.logpdf(0.0))
    -0.9189385332046727
    >>> float(dfdx.grad(lambda mu: stats.norm(mu, 2.0).logpdf(1.0))(0.0))   # (x - mu) / s**2
    0.25
"""

from dfdx.stats._distributions import (beta, binom, chi2, dirichlet, expon, gamma, laplace,
                                       logistic, multivariate_normal, norm, poisson, t)

__all__ = ["norm", "t", "gamma", "beta", "expon", "laplace", "logistic", "chi2", "poisson",
           "binom", "multivariate_normal", "dirichlet"]
