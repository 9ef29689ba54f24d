"""Neural networks as plain functions of parameter pytrees.

A model is a pair ``init(rng) -> params`` and ``apply(params, x) -> outputs``;
parameters are lists / dicts of NumPy arrays, differentiated by `dfdx.grad`
and stepped by `dfdx.optim`. Everything works in float32 and float64 without
upcasting.

- initialisers: `glorot_uniform`, `glorot_normal`, `he_uniform`, `he_normal`, `zeros`
- layers: `dense`, `dense_init`, `dropout`, `mlp`
- activations: `relu`, `leaky_relu`, `tanh`, `sigmoid`, `softplus`, `gelu`,
  `softmax`, `log_softmax`, `logsumexp`
- losses: `mse`, `gaussian_nll`, `binary_cross_entropy`, `softmax_cross_entropy`
  (from logits, with label smoothing), `accuracy`, `one_hot`
- training: `fit`, `train_digits`, `load_digits`; `per_example_grads` (one gradient per
  example, with dfdx.vmap)

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import nn
    >>> init, apply = nn.mlp([2, 16, 2], activation="tanh")
    >>> params = init(np.random.default_rng(0))
    >>> x = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([1, 0])
    >>> loss = lambda p: nn.softmax_cross_entropy(apply(p, x), y)
    >>> grads = dfdx.grad(loss)(params)
    >>> [sorted(layer) for layer in grads]
    [['W', 'b'], ['W', 'b']]
"""

from dfdx.nn._activations import (gelu, identity, leaky_relu, log_softmax, logsumexp, relu,
                                  sigmoid, softmax, softplus, tanh)
from dfdx.nn._init import glorot_normal, glorot_uniform, he_normal, he_uniform, zeros
from dfdx.nn._layers import dense, dense_init, dropout, mlp
from dfdx.nn._losses import (accuracy, binary_cross_entropy, gaussian_nll, mse, one_hot,
                             softmax_cross_entropy)
from dfdx.nn._per_example import per_example_grads
from dfdx.nn._train import TrainResult, fit, load_digits, train_digits

__all__ = [
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "zeros",
    "dense", "dense_init", "dropout", "mlp",
    "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "gelu", "softmax", "log_softmax",
    "logsumexp", "identity",
    "mse", "gaussian_nll", "binary_cross_entropy", "softmax_cross_entropy", "accuracy", "one_hot",
    "fit", "train_digits", "load_digits", "TrainResult", "per_example_grads",
]
