"""Layers as plain functions of parameter pytrees: dense, dropout, and the MLP builder."""

from __future__ import annotations

import numpy as np

from dfdx.nn._activations import get_activation
from dfdx.nn._init import glorot_uniform, he_uniform, zeros

__all__ = ["dense", "dense_init", "dropout", "mlp"]


def dense(params, x):
    """Apply an affine layer: ``x @ params["W"] + params["b"]``.

    Args:
        params: ``{"W": (fan_in, fan_out), "b": (fan_out,)}``.
        x: inputs of shape ``(..., fan_in)``.

    Returns:
        Outputs of shape ``(..., fan_out)``.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> nn.dense({"W": np.eye(2), "b": np.array([1.0, 0.0])}, np.array([[2.0, 3.0]]))
        array([[3., 3.]])
    """
    return x @ params["W"] + params["b"]


def dense_init(rng, fan_in, fan_out, dtype=np.float64, init=glorot_uniform):
    """Return ``{"W": init(rng, (fan_in, fan_out)), "b": zeros}`` for `dense`.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> p = nn.dense_init(np.random.default_rng(0), 3, 2, np.float32)
        >>> p["W"].shape, p["b"].dtype
        ((3, 2), dtype('float32'))
    """
    return {"W": init(rng, (fan_in, fan_out), dtype), "b": zeros(rng, (fan_out,), dtype)}


def dropout(x, rate, rng, training=True):
    """Zero each entry with probability `rate` and scale the rest by ``1 / (1 - rate)``.

    Args:
        x: an array (or traced value).
        rate: drop probability in [0, 1).
        rng: an `np.random.Generator` drawing the mask (explicit: no hidden state).
        training: if False (evaluation), return `x` unchanged.

    Example:
        >>> import numpy as np
        >>> from dfdx import nn
        >>> y = nn.dropout(np.ones(1000), 0.5, np.random.default_rng(0))
        >>> sorted(set(y.tolist())), bool(0.4 < np.mean(y == 0) < 0.6)
        ([0.0, 2.0], True)
    """
    if not 0 <= rate < 1:
        raise ValueError(f"dropout needs 0 <= rate < 1, got {rate}.")
    if not training or rate == 0:
        return x
    if not isinstance(rng, np.random.Generator):
        raise TypeError("dropout needs rng=np.random.default_rng(seed) to draw its mask "
                        f"(got {type(rng).__name__}); pass training=False to evaluate.")
    shape = np.shape(x)
    dtype = np.result_type(x) if np.result_type(x).kind == "f" else np.float64
    keep = (rng.random(shape) >= rate).astype(dtype) * (1.0 / (1.0 - rate))
    return x * keep.astype(dtype)


def mlp(sizes, activation="relu", output_activation=None, dropout_rate=0.0, init=None,
        dtype=np.float64):
    """Build a multilayer perceptron; returns ``(init, apply)``.

    Args:
        sizes: layer widths ``[n_in, hidden..., n_out]`` (at least two).
        activation: name (``"relu"``, ``"tanh"``, ``"gelu"``, ...) or function
            applied after every hidden layer.
        output_activation: applied to the last layer (default: none, i.e. logits).
        dropout_rate: dropout after each hidden activation when `apply` gets an rng.
        init: weight initialiser ``init(rng, shape, dtype)``; default He uniform
            for relu-like activations, Glorot uniform otherwise.
        dtype: parameter dtype (float32 or float64).

    Returns:
        ``(init, apply)``: ``init(rng)`` returns the parameters, a list of
        ``{"W", "b"}`` dicts; ``apply(params, x, rng=None)`` returns outputs of
        shape ``(batch, sizes[-1])`` (dropout is active only when `rng` is given).

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import nn
        >>> init, apply = nn.mlp([4, 8, 3], activation="tanh", dtype=np.float32)
        >>> params = init(np.random.default_rng(0))
        >>> x = np.ones((5, 4), np.float32)
        >>> apply(params, x).shape, apply(params, x).dtype
        ((5, 3), dtype('float32'))
        >>> g = dfdx.grad(lambda p: np.sum(apply(p, x) ** 2))(params)
        >>> g[0]["W"].shape, g[1]["b"].dtype
        ((4, 8), dtype('float32'))
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"mlp needs at least two positive layer sizes [n_in, ..., n_out], "
                         f"got {sizes}.")
    act = get_activation(activation)
    out_act = get_activation(output_activation) if output_activation is not None else None
    if init is None:
        init = he_uniform if activation in ("relu", "leaky_relu") else glorot_uniform
    weight_init = init

    def init_fn(rng):
        return [dense_init(rng, a, b, dtype, weight_init) for a, b in zip(sizes[:-1], sizes[1:])]

    def apply(params, x, rng=None):
        h = x
        last = len(params) - 1
        for i, layer in enumerate(params):
            h = dense(layer, h)
            if i < last:
                h = act(h)
                if dropout_rate and rng is not None:
                    h = dropout(h, dropout_rate, rng)
        return out_act(h) if out_act is not None else h

    init_fn.sizes = apply.sizes = tuple(sizes)
    return init_fn, apply
