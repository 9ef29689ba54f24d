"""The distributions: each a table of its standardized functions, as scipy.stats computes them.

A continuous distribution is ``f((x - loc) / scale) / scale`` of a standard one;
the standard functions are the same expressions SciPy's ``_logpdf``, ``_cdf``,
... use, so results agree to rounding. Outside the support, at invalid
parameters and for probabilities outside [0, 1] the values are SciPy's (0, 1,
-inf, nan). Every mask is computed so that traced arguments only ever see
points inside the support (the derivative of an unselected branch is never NaN).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _where(cond, x, y):
    return np.where(cond, x, y)


def _bind(name, shapes, extra, args, kwargs):
    """SciPy's parameters of a distribution, positional or by name: ``{name: value}``."""
    names = (*shapes, *extra)
    if len(args) > len(names):
        raise TypeError(f"{name} takes at most {len(names)} parameters {names}, got {len(args)}")
    vals = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names or k in vals:
            raise TypeError(f"{name} got an unexpected or repeated parameter {k!r}; "
                            f"its parameters are {names}")
        vals[k] = v
    missing = [s for s in shapes if s not in vals]
    if missing:
        raise TypeError(f"{name} needs its shape parameter(s) {missing}")
    return vals


class _Frozen:
    """A distribution with its parameters fixed: ``norm(0, 2).logpdf(x)``."""

    def __init__(self, dist, args, kwargs):
        self.dist, self.args, self.kwds = dist, args, kwargs

    def __getattr__(self, method):
        fn = getattr(self.dist, method)
        return lambda x, *a, **kw: fn(x, *self.args, *a, **self.kwds, **kw)

    def __repr__(self):
        return f"dfdx.stats.{self.dist.name}(*{self.args}, **{self.kwds})"


class _Continuous:
    """A location-scale family of a standard distribution with shape parameters `shapes`."""

    def __init__(self, name, shapes, lo, hi, inside, valid, logpdf, cdf, sf, ppf, isf,
                 logcdf=None, logsf=None):
        self.name, self.shapes, self.lo, self.hi, self.inside = name, shapes, lo, hi, inside
        self._valid, self._logpdf, self._cdf, self._sf = valid, logpdf, cdf, sf
        self._ppf, self._isf = ppf, isf
        self._logcdf = logcdf or (lambda z, *s: np.log(cdf(z, *s)))
        self._logsf = logsf or (lambda z, *s: np.log(sf(z, *s)))

    def __call__(self, *args, **kwargs):
        return _Frozen(self, args, kwargs)

    def _parse(self, args, kwargs):
        vals = _bind(self.name, self.shapes, ("loc", "scale"), args, kwargs)
        shapes = [vals[s] for s in self.shapes]
        return shapes, vals.get("loc", 0.0), vals.get("scale", 1.0)

    def _standard(self, x, args, kwargs, open_support=False):
        shapes, loc, scale = self._parse(args, kwargs)
        ok = self._valid(*shapes) & (scale > 0)
        z = (x - loc) / _where(scale > 0, scale, 1.0)
        lo, hi = self.lo(*shapes), self.hi(*shapes)
        inside = ((lo < z) & (z < hi)) if open_support else ((lo <= z) & (z <= hi))
        # why: the functions only see points of the support and valid parameters, so
        # the masked-out branches have finite derivatives (zero cotangents stay zero).
        zs = _where(inside & ok, z, self.inside)
        shapes = [_where(ok, s, 1.0) for s in shapes]
        return zs, shapes, scale, ok, inside, (z >= hi)

    def logpdf(self, x, *args, **kwargs):
        z, s, scale, ok, inside, _ = self._standard(x, args, kwargs)
        out = _where(inside, self._logpdf(z, *s), -np.inf) - np.log(_where(ok, scale, 1.0))
        return _where(ok, out, np.nan)

    def pdf(self, x, *args, **kwargs):
        return np.exp(self.logpdf(x, *args, **kwargs))

    def _tail(self, fn, below, above, x, args, kwargs):
        z, s, _, ok, inside, past = self._standard(x, args, kwargs, open_support=True)
        return _where(ok, _where(inside, fn(z, *s), _where(past, above, below)), np.nan)

    def cdf(self, x, *args, **kwargs):
        return self._tail(self._cdf, 0.0, 1.0, x, args, kwargs)

    def logcdf(self, x, *args, **kwargs):
        return self._tail(self._logcdf, -np.inf, 0.0, x, args, kwargs)

    def sf(self, x, *args, **kwargs):
        return self._tail(self._sf, 1.0, 0.0, x, args, kwargs)

    def logsf(self, x, *args, **kwargs):
        return self._tail(self._logsf, 0.0, -np.inf, x, args, kwargs)

    def _quantile(self, fn, q, args, kwargs, at0, at1):
        shapes, loc, scale = self._parse(args, kwargs)
        ok = self._valid(*shapes) & (scale > 0) & (0 <= q) & (q <= 1)
        inner = (0 < q) & (q < 1)
        s = [_where(ok, v, 1.0) for v in shapes]
        z = fn(_where(inner & ok, q, 0.5), *s)
        z = _where(inner, z, _where(q == 0, at0(*s), at1(*s)))
        return _where(ok, loc + scale * z, np.nan)

    def ppf(self, q, *args, **kwargs):
        return self._quantile(self._ppf, q, args, kwargs, self.lo, self.hi)

    def isf(self, q, *args, **kwargs):
        return self._quantile(self._isf, q, args, kwargs, self.hi, self.lo)


def _always(*shapes):
    return True


def _const(v):
    return lambda *shapes: v


def _positive(*shapes):
    ok = True
    for s in shapes:
        ok = ok & (s > 0)
    return ok


norm = _Continuous(
    "norm", (), _const(-np.inf), _const(np.inf), 0.0, _always,
    logpdf=lambda z: -z * z / 2.0 - _LOG_SQRT_2PI,
    cdf=sc.ndtr, sf=lambda z: sc.ndtr(-z), ppf=sc.ndtri, isf=lambda q: -sc.ndtri(q),
    logcdf=sc.log_ndtr, logsf=lambda z: sc.log_ndtr(-z))

t = _Continuous(
    "t", ("df",), _const(-np.inf), _const(np.inf), 0.0, _positive,
    logpdf=lambda z, df: (np.log(sc.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi))
                          - (df + 1) / 2 * np.log1p(z * z / df)),
    cdf=lambda z, df: sc.stdtr(df, z), sf=lambda z, df: sc.stdtr(df, -z),
    ppf=lambda q, df: sc.stdtrit(df, q), isf=lambda q, df: -sc.stdtrit(df, q))

gamma = _Continuous(
    "gamma", ("a",), _const(0.0), _const(np.inf), 1.0, _positive,
    logpdf=lambda z, a: sc.xlogy(a - 1.0, z) - z - sc.gammaln(a),
    cdf=lambda z, a: sc.gammainc(a, z), sf=lambda z, a: sc.gammaincc(a, z),
    ppf=lambda q, a: sc.gammaincinv(a, q), isf=lambda q, a: sc.gammainccinv(a, q))

beta = _Continuous(
    "beta", ("a", "b"), _const(0.0), _const(1.0), 0.5, _positive,
    logpdf=lambda z, a, b: sc.xlog1py(b - 1.0, -z) + sc.xlogy(a - 1.0, z) - sc.betaln(a, b),
    cdf=lambda z, a, b: sc.betainc(a, b, z), sf=lambda z, a, b: sc.betaincc(a, b, z),
    ppf=lambda q, a, b: sc.betaincinv(a, b, q),
    isf=lambda q, a, b: sc.betaincinv(a, b, 1 - q))

chi2 = _Continuous(
    "chi2", ("df",), _const(0.0), _const(np.inf), 1.0, _positive,
    logpdf=lambda z, df: (sc.xlogy(df / 2.0 - 1, z) - z / 2.0 - sc.gammaln(df / 2.0)
                          - (np.log(2) * df) / 2.0),
    cdf=lambda z, df: sc.gammainc(df / 2, z / 2), sf=lambda z, df: sc.gammaincc(df / 2, z / 2),
    ppf=lambda q, df: 2 * sc.gammaincinv(df / 2, q),
    isf=lambda q, df: 2 * sc.gammainccinv(df / 2, q))

expon = _Continuous(
    "expon", (), _const(0.0), _const(np.inf), 1.0, _always,
    logpdf=lambda z: -z, cdf=lambda z: -np.expm1(-z), sf=lambda z: np.exp(-z),
    ppf=lambda q: -np.log1p(-q), isf=lambda q: -np.log(q),
    logsf=lambda z: -z)


def _laplace_cdf(z):
    zn, zp = np.minimum(z, 0.0), np.maximum(z, 0.0)
    return _where(z > 0, 1.0 - 0.5 * np.exp(-zp), 0.5 * np.exp(zn))


def _laplace_ppf(q):
    hi, lo = _where(q > 0.5, q, 0.75), _where(q > 0.5, 0.25, q)
    return _where(q > 0.5, -np.log(2 * (1 - hi)), np.log(2 * lo))


laplace = _Continuous(
    "laplace", (), _const(-np.inf), _const(np.inf), 0.0, _always,
    logpdf=lambda z: np.log(0.5) - np.abs(z), cdf=_laplace_cdf,
    sf=lambda z: _laplace_cdf(-z), ppf=_laplace_ppf, isf=lambda q: -_laplace_ppf(q))

logistic = _Continuous(
    "logistic", (), _const(-np.inf), _const(np.inf), 0.0, _always,
    logpdf=lambda z: -np.abs(z) - 2.0 * np.log1p(np.exp(-np.abs(z))),
    cdf=sc.expit, sf=lambda z: sc.expit(-z), ppf=sc.logit, isf=lambda q: -sc.logit(q),
    logcdf=sc.log_expit, logsf=lambda z: sc.log_expit(-z))


class _Discrete:
    """A discrete distribution on the integers from 0, shifted by `loc`."""

    def __init__(self, name, shapes, valid, hi, logpmf, cdf, sf, ppf):
        self.name, self.shapes, self._valid, self._hi = name, shapes, valid, hi
        self._logpmf, self._cdf, self._sf, self._ppf = logpmf, cdf, sf, ppf

    def __call__(self, *args, **kwargs):
        return _Frozen(self, args, kwargs)

    def _parse(self, args, kwargs):
        vals = _bind(self.name, self.shapes, ("loc",), args, kwargs)
        return [vals[s] for s in self.shapes], vals.get("loc", 0)

    def _prep(self, k, args, kwargs):
        shapes, loc = self._parse(args, kwargs)
        ok = self._valid(*shapes)
        shapes = [_where(ok, s, self._safe[i]) for i, s in enumerate(shapes)]
        return k - loc, shapes, ok

    def logpmf(self, k, *args, **kwargs):
        k, s, ok = self._prep(k, args, kwargs)
        inside = (k >= 0) & (k <= self._hi(*s)) & (k == np.floor(k))
        out = _where(inside, self._logpmf(_where(inside, k, 0), *s), -np.inf)
        return _where(ok, out, np.nan)

    def pmf(self, k, *args, **kwargs):
        return np.exp(self.logpmf(k, *args, **kwargs))

    def _tail(self, fn, below, above, k, args, kwargs):
        k, s, ok = self._prep(k, args, kwargs)
        k = np.floor(k)
        hi = self._hi(*s)
        inside = (k >= 0) & (k < hi)
        out = _where(inside, fn(_where(inside, k, 0), *s), _where(k < 0, below, above))
        return _where(ok, out, np.nan)

    def cdf(self, k, *args, **kwargs):
        return self._tail(self._cdf, 0.0, 1.0, k, args, kwargs)

    def sf(self, k, *args, **kwargs):
        return self._tail(self._sf, 1.0, 0.0, k, args, kwargs)

    def logcdf(self, k, *args, **kwargs):
        return np.log(self.cdf(k, *args, **kwargs))

    def logsf(self, k, *args, **kwargs):
        return np.log(self.sf(k, *args, **kwargs))

    def ppf(self, q, *args, **kwargs):
        """The quantile: a step function of q and the parameters (its derivative is 0)."""
        shapes, loc = self._parse(args, kwargs)
        import dfdx
        plain = [np.asarray(dfdx.stop_gradient(v), dtype=float) for v in (q, *shapes)]
        return self._ppf(*plain) + dfdx.stop_gradient(loc)


def _poisson_cdf(k, mu):
    return sc.gammaincc(k + 1, mu)


def _poisson_ppf(q, mu):
    vals = np.ceil(sc.pdtrik(q, mu))
    vals1 = np.maximum(vals - 1, 0)
    out = np.where(sc.pdtr(vals1, mu) >= q, vals1, vals)
    out = np.where(q == 0, -1.0, np.where(q == 1, np.inf, out))
    return np.where((mu >= 0) & (0 <= q) & (q <= 1), out, np.nan)


poisson = _Discrete(
    "poisson", ("mu",), lambda mu: mu >= 0, lambda mu: np.inf,
    logpmf=lambda k, mu: sc.xlogy(k, mu) - sc.gammaln(k + 1) - mu,
    cdf=_poisson_cdf, sf=lambda k, mu: sc.gammainc(k + 1, mu), ppf=_poisson_ppf)
poisson._safe = (1.0,)


def _binom_ppf(q, n, p):
    import scipy.stats
    return scipy.stats.binom.ppf(q, n, p)


binom = _Discrete(
    "binom", ("n", "p"), lambda n, p: (n >= 0) & (n == np.floor(n)) & (0 <= p) & (p <= 1),
    lambda n, p: n,
    logpmf=lambda k, n, p: (sc.gammaln(n + 1) - (sc.gammaln(k + 1) + sc.gammaln(n - k + 1))
                            + sc.xlogy(k, p) + sc.xlog1py(n - k, -p)),
    cdf=lambda k, n, p: sc.betaincc(k + 1, n - k, p),
    sf=lambda k, n, p: sc.betainc(k + 1, n - k, p), ppf=_binom_ppf)
binom._safe = (1.0, 0.5)


class _MultivariateNormal:
    """``multivariate_normal.logpdf(x, mean=None, cov=1)``; x has the components last."""

    name = "multivariate_normal"

    def __call__(self, mean=None, cov=1, **kwargs):
        return _Frozen(self, (mean, cov), kwargs)

    def logpdf(self, x, mean=None, cov=1, allow_singular=False):
        if allow_singular:
            raise NotImplementedError("dfdx.stats.multivariate_normal needs a positive definite "
                                      "cov (allow_singular=False)")
        cov = cov * 1.0
        if np.ndim(cov) == 0:
            dim = np.shape(x)[-1] if np.ndim(x) and mean is None else np.size(mean) or 1
            cov = cov * np.eye(dim)
        elif np.ndim(cov) == 1:
            cov = cov * np.eye(np.shape(cov)[0])
        dim = np.shape(cov)[0]
        mean = np.zeros(dim) if mean is None else mean
        dev = x - mean
        if np.ndim(dev) == 0 or (dim > 1 and np.ndim(dev) == 1 and np.shape(dev)[0] != dim):
            dev = np.reshape(dev, (-1, dim))
        chol = np.linalg.cholesky(cov)
        flat = np.reshape(dev, (-1, dim))
        white = np.linalg.solve(chol, np.swapaxes(flat, 0, 1))
        maha = np.sum(white * white, axis=0)
        logdet = 2.0 * np.sum(np.log(np.diagonal(chol)))
        out = -0.5 * (dim * np.log(2 * np.pi) + logdet + maha)
        shape = np.shape(dev)[:-1]
        out = np.reshape(out, shape)
        return out[()] if not shape else out

    def pdf(self, x, mean=None, cov=1, allow_singular=False):
        return np.exp(self.logpdf(x, mean, cov, allow_singular))


class _Dirichlet:
    """``dirichlet.logpdf(x, alpha)``; the components are the first axis of x, as in SciPy."""

    name = "dirichlet"

    def __call__(self, alpha):
        return _Frozen(self, (alpha,), {})

    def logpdf(self, x, alpha):
        if np.ndim(alpha) != 1:
            raise ValueError("Parameter vector 'a' must be one dimensional, but a.shape = "
                             f"{np.shape(alpha)}.")
        k = np.shape(alpha)[0]
        if np.shape(x)[0] == k - 1:
            last = 1.0 - np.sum(x, axis=0, keepdims=True)
            x = np.concatenate([x, last], axis=0)
        if np.shape(x)[0] != k:
            raise ValueError(f"Vector 'x' must have either the same number of entries as, or "
                             f"one entry fewer than, parameter vector 'a', but alpha.shape = "
                             f"{np.shape(alpha)} and x.shape = {np.shape(x)}.")
        lnb = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        a = np.reshape(alpha, (k,) + (1,) * (np.ndim(x) - 1))
        return -lnb + np.sum(sc.xlogy(a - 1, x), axis=0)

    def pdf(self, x, alpha):
        return np.exp(self.logpdf(x, alpha))


multivariate_normal = _MultivariateNormal()
dirichlet = _Dirichlet()
