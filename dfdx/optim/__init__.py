"""Optimizers on parameter pytrees: first order, second order and natural gradient.

- First order, functional: ``opt = optim.Adam(lr=1e-3)``;
  ``state = opt.init(params)``; ``params, state = opt.update(params, grads, state)``.
  `SGD` (momentum, Nesterov, weight decay), `Adam`, `AdamW`, `RMSProp`,
  `Adagrad`; schedules `constant`, `step_decay`, `exponential_decay`,
  `cosine_decay`; `clip_by_global_norm` (or ``clip_norm=`` on any optimizer).
  A NaN or inf gradient raises `NonFiniteGradientError` naming the step and
  the parameter.
- Differential privacy: `DPSGD` (per-example clipping + Gaussian noise) on the
  per-example gradients of `dfdx.nn.per_example_grads`; `privatize` for any optimizer.
- Second order: ``optim.minimize(f, x0, method="newton" | "newton-cg" | "lbfgs" | "gd")``.
- Natural gradient: `NaturalGradient`, `fisher_matrix`, `fisher_vector_product`.

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import optim
    >>> loss = lambda p: np.sum((p["w"] - 3.0) ** 2)
    >>> params = {"w": np.zeros(2)}
    >>> opt = optim.SGD(lr=0.1, momentum=0.9)
    >>> state = opt.init(params)
    >>> for _ in range(200):
    ...     params, state = opt.update(params, dfdx.grad(loss)(params), state)
    >>> np.round(params["w"], 4)
    array([3., 3.])
"""

from dfdx.optim._first_order import (SGD, Adagrad, Adam, AdamW, NonFiniteGradientError,
                                     Optimizer, RMSProp, check_finite, clip_by_global_norm,
                                     constant, cosine_decay, exponential_decay, step_decay)
from dfdx.optim._dp import DPSGD, privatize
from dfdx.optim._minimize import OptimizeResult, minimize
from dfdx.optim._natural import (LIKELIHOODS, NaturalGradient, fisher_matrix,
                                 fisher_vector_product)
from dfdx.optim._tree import global_norm, ravel, tree_leaves, tree_map

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSProp", "Adagrad",
    "constant", "step_decay", "exponential_decay", "cosine_decay",
    "clip_by_global_norm", "check_finite", "NonFiniteGradientError",
    "minimize", "OptimizeResult", "DPSGD", "privatize",
    "NaturalGradient", "fisher_matrix", "fisher_vector_product", "LIKELIHOODS",
    "tree_map", "tree_leaves", "global_norm", "ravel",
]
