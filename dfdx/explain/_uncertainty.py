"""Uncertainty through derivatives: the delta method and the Laplace approximation.

Both linearise: the delta method pushes a Gaussian input through the Jacobian
of f; the Laplace approximation fits a Gaussian to a posterior at its mode,
with the Hessian of the negative log posterior (or the generalised
Gauss-Newton matrix, always positive semi-definite) as its precision.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg

import dfdx

__all__ = ["delta_method", "laplace", "LaplaceResult"]


def _flat_jacobian(f, mean):
    """Return (f(mean), J as (out_size, in_size), out_shape)."""
    out = np.asarray(f(mean))
    J = np.asarray(dfdx.jacobian(f)(mean), dtype=np.float64)
    n_in = int(np.prod(np.shape(mean))) if np.ndim(mean) else 1
    return out, J.reshape(-1, n_in), out.shape


def delta_method(f, mean, cov):
    """Propagate a Gaussian input N(mean, cov) through `f` to first order.

    ``mean_out = f(mean)``, ``cov_out = J cov J^T`` with J the Jacobian of f at
    `mean`. Exact for affine f; for curved f it is the linearisation.

    Args:
        f: ``f(x)`` with x shaped like `mean`, written with NumPy.
        mean: the input mean (a number or a 1-D array of size n; other shapes
            are flattened in C order for `cov`).
        cov: the input covariance, shape ``(n, n)`` (a number for scalar x).

    Returns:
        ``(mean_out, cov_out)``: ``f(mean)`` and the covariance of shape
        ``(*out_shape, *out_shape)`` (shape ``()`` for a scalar output).

    Raises:
        ValueError: `cov` does not have shape (n, n).

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> A = np.array([[1.0, 1.0], [0.0, 2.0]])
        >>> m, C = explain.delta_method(lambda x: A @ x + 1, np.zeros(2), np.eye(2))
        >>> m, C
        (array([1., 1.]), array([[2., 2.],
               [2., 4.]]))
    """
    mean = np.asarray(mean, dtype=np.result_type(mean, np.float32))
    n = mean.size
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (n, n) and not (n == 1 and cov.size == 1):
        raise ValueError(f"delta_method: cov has shape {cov.shape}, but mean has {n} "
                         f"element(s); pass a ({n}, {n}) covariance.")
    cov = cov.reshape(n, n)
    out, J, out_shape = _flat_jacobian(f, mean)
    cov_out = (J @ cov @ J.T).reshape(out_shape + out_shape)
    return out, cov_out


def _ravel(params):
    return dfdx.optim.ravel(params)


@dataclasses.dataclass
class LaplaceResult:
    """A Gaussian approximation N(mean, cov) of a posterior over parameters.

    Attributes:
        mean: the mode (MAP), with the structure of the parameters.
        precision: the (P, P) precision matrix (Hessian or GGN plus prior).
        cov: its inverse, the (P, P) posterior covariance.
        std: marginal standard deviations, flat (P,).
        log_det_precision: ``log det(precision)`` (for the evidence).
        method: ``"hessian"`` or ``"ggn"``.
    """

    mean: object
    precision: np.ndarray
    cov: np.ndarray
    std: np.ndarray
    log_det_precision: float
    method: str
    _unravel: object = dataclasses.field(repr=False, default=None)
    _flat: np.ndarray = dataclasses.field(repr=False, default=None)

    def predict(self, g):
        """Return the predictive ``(mean, std)`` of ``g(params)`` by the delta method.

        Args:
            g: a function of the parameter pytree returning an array of
                predictions (e.g. ``lambda p: apply(p, x_test)``).

        Returns:
            ``(mean, std)``: ``g(MAP)`` and the standard deviation of each
            output under the Gaussian posterior (linearised).
        """
        m, C = delta_method(lambda w: g(self._unravel(w)), self._flat, self.cov)
        m = np.asarray(m)
        var = np.diag(C.reshape(m.size, m.size)).reshape(m.shape) if m.ndim else C
        return m, np.sqrt(np.maximum(var, 0.0))

    def sample(self, rng, n):
        """Draw `n` parameter pytrees from the Gaussian posterior (`rng`: np.random.Generator)."""
        L = np.linalg.cholesky(self.cov)
        z = rng.standard_normal((n, self._flat.size))
        return [self._unravel(self._flat + L @ zi) for zi in z]


def laplace(loss, params, *, prior_precision=0.0, method="hessian", apply=None, x=None,
            likelihood=None, sigma=1.0, fit=False):
    """Fit a Gaussian to the posterior at its mode: mean = MAP, precision = curvature.

    The negative log posterior is ``loss(params) + prior_precision / 2 * |params|^2``,
    where `loss` is the negative log-likelihood **summed** over the data (not
    averaged: the curvature then scales with the data, as a posterior does).

    Args:
        loss: ``loss(params)`` returning the summed negative log-likelihood
            (or a full negative log posterior, with ``prior_precision=0``).
        params: the mode (MAP); with ``fit=True``, a starting point.
        prior_precision: precision alpha of an isotropic Gaussian prior N(0, I / alpha).
        method: ``"hessian"`` (exact Hessian of the loss, `dfdx.hessian`) or
            ``"ggn"`` (generalised Gauss-Newton ``sum_n J_n^T H_n J_n`` from
            ``apply(params, x)`` and `likelihood`; positive semi-definite even
            away from the mode).
        apply: the model ``apply(params, x) -> outputs`` (``"ggn"`` only).
        x: the training inputs (``"ggn"`` only).
        likelihood: ``"softmax"``, ``"sigmoid"`` or ``"gaussian"`` (``"ggn"`` only).
        sigma: Gaussian noise level (``likelihood="gaussian"``).
        fit: first minimise the negative log posterior from `params`
            (`dfdx.optim.minimize`, Newton).

    Returns:
        LaplaceResult with ``mean``, ``precision``, ``cov``, ``std``,
        ``log_det_precision``, and ``predict(g)`` for predictive standard deviations.

    Raises:
        ValueError: bad method or missing GGN inputs; the precision is not
            positive definite (not at a minimum: pass ``fit=True`` or add prior precision).

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> x = np.array([[1.0], [2.0]]); y = np.array([1.0, 2.0])
        >>> loss = lambda w: 0.5 * np.sum((y - x @ w) ** 2)      # sigma = 1
        >>> post = explain.laplace(loss, np.zeros(1), prior_precision=1.0, fit=True)
        >>> post.mean, post.cov                  # exact: (X^T X + 1)^-1 X^T y, (X^T X + 1)^-1
        (array([0.83333333]), array([[0.16666667]]))
    """
    if method not in ("hessian", "ggn"):
        raise ValueError(f"laplace: method must be 'hessian' or 'ggn', not {method!r}.")
    alpha = float(prior_precision)

    def neg_log_post(p):
        if not alpha:
            return loss(p)
        return loss(p) + 0.5 * alpha * sum(np.sum(leaf * leaf)
                                           for leaf in dfdx.optim.tree_leaves(p))

    if fit:
        params = dfdx.optim.minimize(neg_log_post, params, method="newton").x
    flat, unravel = _ravel(params)
    flat = flat.astype(np.float64)
    H = _curvature(loss, params, flat, unravel, method, apply, x, likelihood, sigma)
    H = 0.5 * (H + H.T) + alpha * np.eye(flat.size)
    cov, logdet = _covariance(H)
    return LaplaceResult(mean=params, precision=H, cov=cov, std=np.sqrt(np.diag(cov)),
                         log_det_precision=logdet, method=method, _unravel=unravel, _flat=flat)


def _curvature(loss, params, flat, unravel, method, apply, x, likelihood, sigma):
    """The loss's curvature at `params`: its Hessian, or the Gauss-Newton matrix ("ggn")."""
    if method == "hessian":
        return np.asarray(dfdx.hessian(lambda w: loss(unravel(w)))(flat), dtype=np.float64)
    if apply is None or x is None or likelihood is None:
        raise ValueError("laplace(method='ggn') needs apply=, x= and likelihood= to form "
                         "the Gauss-Newton matrix from the model's outputs.")
    n = np.shape(x)[0]
    return n * dfdx.optim.fisher_matrix(apply, params, x, likelihood, sigma)


def _covariance(H):
    """The inverse of the precision `H` and log det H, through its Cholesky factor."""
    try:
        c = scipy.linalg.cho_factor(H)
    except np.linalg.LinAlgError:
        raise ValueError("laplace: the precision (curvature at params) is not positive "
                         "definite, so params is not a minimum of the negative log posterior. "
                         "Pass fit=True, increase prior_precision, or use method='ggn'.") from None
    cov = scipy.linalg.cho_solve(c, np.eye(H.shape[0]))
    cov = 0.5 * (cov + cov.T)
    return cov, 2.0 * float(np.sum(np.log(np.diag(c[0]))))
