"""Gradients that explain: attributions, sensitivity and uncertainty.

- attributions: `saliency`, `gradient_x_input`, `integrated_gradients` (with its
  completeness gap), `smoothgrad`
- sensitivity: `sensitivity` (the Jacobian and its norms)
- uncertainty: `delta_method` (a Gaussian through the Jacobian), `laplace`
  (a Gaussian posterior from the Hessian or Gauss-Newton at the mode, with
  predictive standard deviations)

Example:
    >>> import numpy as np
    >>> from dfdx import explain
    >>> w = np.array([1.0, 2.0, -1.0])
    >>> ig = explain.integrated_gradients(lambda x: x @ w, np.array([1.0, 1.0, 1.0]))
    >>> np.round(ig.attributions, 12), round(ig.delta, 12)
    (array([ 1.,  2., -1.]), 0.0)
"""

from dfdx.explain._attribution import (IntegratedGradients, Sensitivity, gradient_x_input,
                                       integrated_gradients, saliency, sensitivity, smoothgrad)
from dfdx.explain._uncertainty import LaplaceResult, delta_method, laplace

__all__ = ["sensitivity", "Sensitivity", "saliency", "gradient_x_input", "integrated_gradients",
           "IntegratedGradients", "smoothgrad", "delta_method", "laplace", "LaplaceResult"]
