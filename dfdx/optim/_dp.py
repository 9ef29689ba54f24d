"""Differentially private SGD: per-example clipping and Gaussian noise (Abadi et al., 2016).

Each example's gradient is clipped to a global norm of at most `clip_norm`, the clipped
gradients are summed, Gaussian noise of standard deviation ``noise_multiplier * clip_norm``
is added to every coordinate, and the sum is divided by the batch size. The per-example
gradients come from `dfdx.nn.per_example_grads` (``dfdx.vmap(dfdx.grad(loss))``).
"""

from __future__ import annotations

import numpy as np

from dfdx.optim._first_order import SGD
from dfdx.optim._tree import tree_leaves, tree_map

__all__ = ["privatize", "DPSGD"]


def _batch_size(per_example):
    sizes = {np.shape(g)[0] if np.ndim(g) else None for g in tree_leaves(per_example)}
    if len(sizes) != 1 or None in sizes:
        raise ValueError("privatize needs per-example gradients: every leaf with the same "
                         f"leading batch axis (got leading sizes {sorted(map(str, sizes))}). "
                         "Make them with dfdx.nn.per_example_grads(loss, params, X, y).")
    return sizes.pop()


def privatize(per_example, clip_norm, noise_multiplier, rng):
    """Clip each example's gradient, sum, add Gaussian noise, average: one DP-SGD gradient.

    Args:
        per_example: a pytree whose leaves have a leading batch axis (one gradient per
            example, as `dfdx.nn.per_example_grads` returns).
        clip_norm: each example's gradient is scaled to a global norm of at most this.
        noise_multiplier: the noise's standard deviation, in units of `clip_norm`.
        rng: a `numpy.random.Generator` (or a seed) for the noise.

    Returns:
        ``(grads, norms)``: the noisy mean gradient (the structure of one gradient), and
        each example's gradient norm before clipping, shape ``(batch,)``.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> g = {"w": np.array([[3.0, 4.0], [0.3, 0.4]])}       # two examples
        >>> mean, norms = optim.privatize(g, clip_norm=1.0, noise_multiplier=0.0, rng=0)
        >>> mean["w"], norms
        (array([0.45, 0.6 ]), array([5. , 0.5]))
    """
    if clip_norm <= 0:
        raise ValueError(f"privatize needs clip_norm > 0, got {clip_norm}.")
    if noise_multiplier < 0:
        raise ValueError(f"privatize needs noise_multiplier >= 0, got {noise_multiplier}.")
    n = _batch_size(per_example)
    rng = np.random.default_rng(rng)
    sq = sum(np.sum(np.abs(g.reshape(n, -1)) ** 2, axis=1) for g in map(np.asarray,
                                                                        tree_leaves(per_example)))
    norms = np.sqrt(sq)
    scale = np.minimum(1.0, clip_norm / np.maximum(norms, 1e-12))
    sigma = noise_multiplier * clip_norm

    def leaf(g):
        g = np.asarray(g)
        total = np.tensordot(scale.astype(g.dtype), g, axes=(0, 0))
        if sigma:
            total = total + rng.normal(0.0, sigma, size=total.shape).astype(g.dtype)
        return total / n
    return tree_map(leaf, per_example), norms


class DPSGD(SGD):
    """SGD on privatized gradients: ``update(params, per_example_grads, state)``.

    Args:
        lr: learning rate (a number or a schedule).
        clip_norm: per-example clipping norm C.
        noise_multiplier: noise standard deviation in units of C (σ; 0: no noise).
        seed: seeds the noise; step t draws from ``default_rng([seed, t])``, so a run is
            reproducible and the state stays a plain dict.
        momentum, nesterov, weight_decay: as in `SGD` (applied after privatizing).

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import nn, optim
        >>> X = np.array([[1.0], [2.0], [3.0]]); y = 2 * X[:, 0]
        >>> loss = lambda p, x, t: (p["w"] @ x - t) ** 2
        >>> params = {"w": np.zeros(1)}
        >>> opt = optim.DPSGD(lr=0.05, clip_norm=10.0, noise_multiplier=0.0)
        >>> state = opt.init(params)
        >>> for _ in range(100):
        ...     g = nn.per_example_grads(loss, params, X, y)
        ...     params, state = opt.update(params, g, state)
        >>> np.round(params["w"], 3)
        array([2.])
    """

    def __init__(self, lr=0.01, clip_norm=1.0, noise_multiplier=1.0, seed=0, momentum=0.0,
                 nesterov=False, weight_decay=0.0, check=True):
        super().__init__(lr, momentum, nesterov, weight_decay, None, check)
        if clip_norm <= 0:
            raise ValueError(f"DPSGD needs clip_norm > 0, got {clip_norm}.")
        if noise_multiplier < 0:
            raise ValueError(f"DPSGD needs noise_multiplier >= 0, got {noise_multiplier}.")
        self.clip_norm_example = float(clip_norm)
        self.noise_multiplier = float(noise_multiplier)
        self.seed = seed

    def update(self, params, per_example_grads, state):
        """Privatize the per-example gradients, then take one SGD step; ``(params, state)``."""
        rng = np.random.default_rng([self.seed, state["step"]])
        grads, _ = privatize(per_example_grads, self.clip_norm_example, self.noise_multiplier,
                             rng)
        return super().update(params, grads, state)
