"""Per-example gradients: one gradient per example of a batch, in one pass (dfdx.vmap)."""

from __future__ import annotations

import dfdx

__all__ = ["per_example_grads"]


def per_example_grads(loss, params, X, y=None):
    """Return the gradient of `loss` for each example of the batch `X` (and labels `y`).

    ``loss(params, x, y)`` is written for ONE example (``x = X[i]``, ``y = y[i]``; without
    `y`, ``loss(params, x)``). The answer is ``dfdx.vmap(dfdx.grad(loss), in_axes=(None, 0,
    0))(params, X, y)``: the structure of `params`, each leaf with a leading axis of the
    batch size (``grads[...][i]`` is the gradient of example i). It is what differential
    privacy (per-example clipping, `dfdx.optim.DPSGD`), influence functions and
    gradient-noise estimates need, at the cost of a few batch gradients rather than one
    backward pass per example.

    Args:
        loss: ``loss(params, x, y) -> scalar`` for one example.
        params: the parameter pytree (not mapped).
        X: inputs, the batch along axis 0 (a pytree of such arrays is fine).
        y: targets (class labels or values), the batch along axis 0, or None.

    Returns:
        A pytree like `params` whose leaves have shape ``(batch, *leaf.shape)``.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import nn
        >>> init, apply = nn.mlp([3, 4, 2])
        >>> params = init(np.random.default_rng(0))
        >>> X = np.ones((5, 3)); y = np.array([0, 1, 0, 1, 1])
        >>> loss = lambda p, x, t: nn.softmax_cross_entropy(apply(p, x), t)
        >>> g = nn.per_example_grads(loss, params, X, y)
        >>> g[0]["W"].shape, g[1]["b"].shape
        ((5, 3, 4), (5, 2))
    """
    if y is None:
        return dfdx.vmap(dfdx.grad(loss), in_axes=(None, 0))(params, X)
    return dfdx.vmap(dfdx.grad(loss), in_axes=(None, 0, 0))(params, X, y)
