"""scipy.special for traced code: ``from dfdx import special as sp`` in place of SciPy's.

The scipy.special ufuncs that dfdx has derivative rules for (erf, gammaln, jv,
betainc, ...) are SciPy's own objects, re-exported here: they dispatch to dfdx
on traced values. SciPy's Python-level functions that convert their arguments
with ``np.asarray`` (logsumexp, softmax, log_softmax, polygamma, multigammaln)
are replaced by traceable equivalents with SciPy's signatures, defaults and
results; they work on plain arrays as well. The one implementation of
logsumexp / softmax / log_softmax in dfdx is here (`dfdx.nn` calls it with
``axis=-1``).

Derivatives in an order or a shape parameter that has no closed form (the
order `v` of jv, iv, kv, ...; `a` and `b` of gammainc and betainc; `df` of
stdtr) raise `dfdx.UnsupportedOperation` naming that argument.

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import special as sp
    >>> float(dfdx.grad(lambda x: sp.j0(x))(1.0)) == float(-sp.j1(1.0))
    True
    >>> dfdx.grad(lambda x: sp.logsumexp(x))(np.zeros(2))
    array([0.5, 0.5])
"""

import scipy.special as _sp

from dfdx.rules import special as _rules
from dfdx.rules.special import log_softmax, logsumexp, multigammaln, polygamma, softmax

_UFUNCS = sorted(
    {f.__name__ for f in (*_rules.SPECIAL, *_rules.SPECIAL_GUARDED, *_rules.SPECIAL_MORE,
                          *_rules.SPECIAL_MORE_GUARDED) if not f.__name__.startswith("_")}
    | {"psi", "digamma"})
globals().update({name: getattr(_sp, name) for name in _UFUNCS})
zeta = _sp.zeta   # a Python function over two ufuncs (_zeta, _riemann_zeta) that have rules

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma", "multigammaln", "zeta", *_UFUNCS]
