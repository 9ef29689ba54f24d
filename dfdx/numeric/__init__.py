"""Numeric calculus on black-box callables, with honest error estimates.

Derivatives (`derivative`, `gradient`, `jacobian`, `hessian`, `hvp`) return an
`Estimate` whose ``error`` is meant to cover the true error; `limit` and
`continuity` return a `LimitResult` / `ContinuityResult` that says when a
limit does not exist, and says "uncertain" rather than give a confident wrong
number. This package never imports the AD engine: it is its independent check.

Example:
    >>> import numpy as np
    >>> from dfdx import numeric
    >>> d = numeric.derivative(np.sin, 1.0)
    >>> bool(abs(d.value - np.cos(1.0)) <= d.error)
    True
    >>> numeric.limit(lambda x: np.sin(x) / x, 0).value
    1.0
"""

from dfdx.numeric._derivative import derivative, gradient, hessian, hvp, jacobian
from dfdx.numeric._limit import continuity, limit

__all__ = ["derivative", "gradient", "jacobian", "hessian", "hvp", "limit", "continuity"]
