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
from dfdx.rules._util import norm_axis as _axes
from dfdx.rules.reductions import sum_
from dfdx.rules.shape import reshape
from dfdx.rules.ufuncs import cast_like

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma"]

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

    Same arguments as `scipy.special.logsumexp` (``return_sign`` is not
    supported); works on plain arrays and on traced values.

    Args:
        a: the input array.
        axis: the axis or axes to reduce (None: all).
        b: optional nonnegative weights, broadcastable to `a`.
        keepdims: keep the reduced axes with length 1.

    Returns:
        The reduced array.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx.rules.special import logsumexp
        >>> dfdx.grad(logsumexp)(np.log(np.array([1.0, 3.0])))   # the softmax
        array([0.25, 0.75])
    """
    if return_sign:
        raise NotImplementedError("dfdx's logsumexp does not support return_sign=True; "
                                  "keep b nonnegative, or compute the sign separately.")
    # why: shifting by the maximum avoids overflow; the shift is a constant (its
    # derivative cancels exactly), so it is taken from the plain values.
    nd = len(shape_of(a))
    shift = np.max(getval(a), axis=axis, keepdims=True) if nd else getval(a)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    e = np.exp(a - shift)
    if b is not None:
        e = e * b
    out = np.log(sum_(e, axis=axis, keepdims=True)) + shift if nd else np.log(e) + shift
    if not keepdims and nd:
        axes = _axes(axis, nd)
        out = reshape(out, tuple(s for i, s in enumerate(shape_of(out)) if i not in axes))
    return out


def softmax(x, axis=None):
    """Return ``exp(x) / sum(exp(x))`` along `axis` (traceable `scipy.special.softmax`).

    Example:
        >>> import numpy as np
        >>> from dfdx.rules.special import softmax
        >>> softmax(np.log(np.array([1.0, 3.0])))
        array([0.25, 0.75])
    """
    return np.exp(x - logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x, axis=None):
    """Return ``x - logsumexp(x)`` along `axis` (traceable `scipy.special.log_softmax`).

    Example:
        >>> import numpy as np
        >>> from dfdx.rules.special import log_softmax
        >>> np.exp(log_softmax(np.log(np.array([1.0, 3.0]))))
        array([0.25, 0.75])
    """
    return x - logsumexp(x, axis=axis, keepdims=True)
