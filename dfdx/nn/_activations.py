"""Activations in plain NumPy, traced by dfdx like any user code.

Each keeps its input's dtype (float32 stays float32: constants are Python
floats). Kinks follow dfdx's convention, the mean of the one-sided
derivatives: ``relu'(0) = 1/2``, ``leaky_relu'(0) = (1 + slope) / 2``.
"""

from __future__ import annotations

import math

import numpy as np

from dfdx import special

__all__ = ["relu", "leaky_relu", "tanh", "sigmoid", "softplus", "gelu", "softmax",
           "log_softmax", "identity", "logsumexp", "ACTIVATIONS", "get_activation"]


def identity(x):
    """Return `x` unchanged."""
    return x


def relu(x):
    """Return ``max(x, 0)``; its derivative at 0 is 1/2 (mean of the one-sided slopes).

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import nn
        >>> nn.relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
        >>> dfdx.grad(lambda x: np.sum(nn.relu(x)))(np.array([-1.0, 0.0, 2.0]))
        array([0. , 0.5, 1. ])
    """
    return np.maximum(x, 0)


def leaky_relu(x, negative_slope=0.01):
    """Return `x` for x > 0 and ``negative_slope * x`` otherwise.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.leaky_relu(np.array([-2.0, 3.0]), 0.1)
        array([-0.2,  3. ])
    """
    # why: max(x, a*x) for 0 <= a <= 1 gives the 1/2-1/2 kink convention for free
    if not 0 <= negative_slope <= 1:
        return np.where(x > 0, x, negative_slope * x)
    return np.maximum(x, negative_slope * x)


def tanh(x):
    """Return the hyperbolic tangent.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.tanh(np.array([0.0]))
        array([0.])
    """
    return np.tanh(x)


def sigmoid(x):
    """Return ``1 / (1 + exp(-x))``, computed without overflow for any x.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """
    # why: exp(-log(1 + e^-x)) never overflows and keeps relative accuracy for x << 0
    return np.exp(-np.logaddexp(0, -x))


def softplus(x):
    """Return ``log(1 + exp(x))`` without overflow.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> [round(float(v), 6) for v in nn.softplus(np.array([0.0, 1000.0]))]
        [0.693147, 1000.0]
    """
    return np.logaddexp(0, x)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SQRT_HALF = math.sqrt(0.5)


def gelu(x, approximate=True):
    """Return the Gaussian error linear unit ``x * Phi(x)``.

    Args:
        x: an array.
        approximate: use the tanh approximation (default; needs only NumPy
            primitives). ``False`` uses the exact ``scipy.special.erf`` form,
            which needs dfdx to have a derivative rule for erf.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> np.round(nn.gelu(np.array([-1.0, 0.0, 1.0])), 4)
        array([-0.1588,  0.    ,  0.8412])
    """
    if approximate:
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    import scipy.special
    return 0.5 * x * (1 + scipy.special.erf(_SQRT_HALF * x))


def logsumexp(x, axis=-1, keepdims=False):
    """Return ``log(sum(exp(x), axis))`` without overflow (`dfdx.special.logsumexp`, axis=-1).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> float(nn.logsumexp(np.array([1000.0, 1000.0])))
        1000.6931471805599
    """
    return special.logsumexp(x, axis=axis, keepdims=keepdims)


def log_softmax(x, axis=-1):
    """Return ``x - logsumexp(x)`` along `axis` (`dfdx.special.log_softmax`, axis=-1).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> np.exp(nn.log_softmax(np.array([0.0, np.log(3.0)])))
        array([0.25, 0.75])
    """
    return special.log_softmax(x, axis=axis)


def softmax(x, axis=-1):
    """Return ``exp(x) / sum(exp(x))`` along `axis` (`dfdx.special.softmax`, axis=-1).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.softmax(np.array([1000.0, 1000.0]))
        array([0.5, 0.5])
    """
    return special.softmax(x, axis=axis)


ACTIVATIONS = {"relu": relu, "leaky_relu": leaky_relu, "tanh": tanh, "sigmoid": sigmoid,
               "softplus": softplus, "gelu": gelu, "identity": identity, "linear": identity}


def get_activation(activation):
    """Return the activation function named `activation` (or `activation` itself if callable)."""
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown activation {activation!r}; use one of "
                         f"{sorted(ACTIVATIONS)} or pass a function.") from None
