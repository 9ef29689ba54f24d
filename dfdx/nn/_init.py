"""Weight initialisers (Glorot / He), seeded by an explicit `np.random.Generator`."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "zeros"]


def _fans(shape):
    if len(shape) < 1:
        raise ValueError(f"An initialiser needs a shape with at least one axis, got {shape}.")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _check_rng(rng, who):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who} needs an np.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}; explicit generators keep runs reproducible.")


def glorot_uniform(rng, shape, dtype=np.float64):
    """Draw weights from U(-a, a), ``a = sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio).

    Args:
        rng: an `np.random.Generator`.
        shape: ``(fan_in, fan_out)`` for a dense layer (``x @ W`` convention).
        dtype: float32 or float64.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> W = nn.glorot_uniform(np.random.default_rng(0), (64, 32), np.float32)
        >>> W.dtype, bool(np.abs(W).max() <= np.sqrt(6 / 96))
        (dtype('float32'), True)
    """
    _check_rng(rng, "glorot_uniform")
    fan_in, fan_out = _fans(tuple(shape))
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def glorot_normal(rng, shape, dtype=np.float64):
    """Draw weights from N(0, 2 / (fan_in + fan_out)).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.glorot_normal(np.random.default_rng(0), (3, 2)).shape
        (3, 2)
    """
    _check_rng(rng, "glorot_normal")
    fan_in, fan_out = _fans(tuple(shape))
    return (rng.standard_normal(size=shape) * math.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def he_uniform(rng, shape, dtype=np.float64):
    """Draw weights from U(-a, a), ``a = sqrt(6 / fan_in)`` (He et al., for ReLU).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> W = nn.he_uniform(np.random.default_rng(0), (6, 4))
        >>> bool(np.abs(W).max() <= 1.0)
        True
    """
    _check_rng(rng, "he_uniform")
    fan_in, _ = _fans(tuple(shape))
    a = math.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=shape).astype(dtype)


def he_normal(rng, shape, dtype=np.float64):
    """Draw weights from N(0, 2 / fan_in) (He et al., for ReLU).

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> W = nn.he_normal(np.random.default_rng(0), (2000, 50))
        >>> bool(abs(W.std() - np.sqrt(2 / 2000)) < 1e-3)
        True
    """
    _check_rng(rng, "he_normal")
    fan_in, _ = _fans(tuple(shape))
    return (rng.standard_normal(size=shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


def zeros(rng, shape, dtype=np.float64):
    """Return zeros (for biases); `rng` is accepted for a uniform signature and unused.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.zeros(None, (2,), np.float32)
        array([0., 0.], dtype=float32)
    """
    return np.zeros(shape, dtype=dtype)
