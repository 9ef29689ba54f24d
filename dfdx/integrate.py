"""scipy.integrate for traced code: ``from dfdx import integrate`` in place of SciPy's.

`trapezoid` with SciPy's signature, defaults and values, differentiable in the
samples `y`, the sample points `x` and the spacing `dx`.

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import integrate
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> float(dfdx.grad(lambda c: integrate.trapezoid(c * x, x))(2.0))   # integral of x
    0.5
"""

from dfdx.rules.scipy_signal import trapezoid

__all__ = ["trapezoid"]
