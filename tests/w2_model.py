"""The W2 workload's model for the tests that run it on other array types (Dask, CuPy).

The same MLP as benchmarks/ad_workloads.py (tanh then relu, log-softmax cross-entropy),
written with `np.*` so that it runs unchanged on any array NumPy's protocols dispatch.
"""

import numpy as np


def w2_loss(params, x, onehot):
    """Mean cross-entropy of the MLP `params` = (w1, b1, w2, b2, w3, b3) on a batch."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    z = h2 @ w3 + b3
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(onehot * logp) / x.shape[0]


def w2_params(rng, sizes=(64, 256, 256, 10)):
    """Weights scaled by 1/sqrt(fan-in) and small biases, layer by layer."""
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((a, b)) / np.sqrt(a), 0.1 * rng.standard_normal(b)]
    return params
