"""Natural gradient: preconditioning by the Fisher information of a likelihood model.

For a model ``outputs = apply(params, x)`` and a likelihood of the targets
given the outputs, the Fisher information (averaged over the batch) is

    F = mean_n  J_n^T  H_n  J_n,

with ``J_n`` the Jacobian of example n's outputs with respect to the
parameters and ``H_n`` the Fisher of the output distribution in output space:
``diag(p) - p p^T`` for a softmax over logits, ``p (1 - p)`` for a sigmoid,
``I / sigma**2`` for a Gaussian mean. For these (canonical) likelihoods F is
also the generalised Gauss-Newton matrix. The natural-gradient step solves
``(F + damping I) d = grad``: exactly (a dense F, for small models) or by
conjugate gradient with Fisher-vector products ``J^T (H (J v))`` built from
`dfdx.jvp` and `dfdx.vjp` (for larger ones; F is never formed).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

import dfdx
from dfdx.optim._first_order import check_finite
from dfdx.optim._tree import Raveled, tree_map

__all__ = ["fisher_matrix", "fisher_vector_product", "NaturalGradient", "LIKELIHOODS"]

LIKELIHOODS = ("softmax", "sigmoid", "gaussian")


def _check_likelihood(likelihood):
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"Unknown likelihood {likelihood!r}; choose one of {LIKELIHOODS} "
                         "(softmax: class logits, sigmoid: one logit per example, gaussian: "
                         "predicted means with fixed sigma).")


def _softmax(z):
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def _output_fisher(out, likelihood, sigma):
    """Return ``u -> H u`` for the output-space Fisher at outputs `out` (batch-summed shape)."""
    out = np.asarray(out)
    if likelihood == "softmax":
        p = _softmax(out)
        return lambda u: p * u - p * np.sum(p * u, axis=-1, keepdims=True)
    if likelihood == "sigmoid":
        p = np.exp(-np.logaddexp(0, -out))
        w = p * (1 - p)
        return lambda u: w * u
    inv = 1.0 / sigma ** 2
    return lambda u: inv * u


def fisher_vector_product(apply, params, x, v, likelihood="softmax", sigma=1.0):
    """Return ``F v``: the batch-averaged Fisher information times a parameter pytree `v`.

    Args:
        apply: the model, ``apply(params, x) -> outputs`` with a leading batch axis.
        params: the parameter pytree.
        x: a batch of inputs.
        v: a pytree shaped like `params`.
        likelihood: ``"softmax"`` (outputs are class logits), ``"sigmoid"`` (one
            logit per example) or ``"gaussian"`` (outputs are means, noise `sigma`).
        sigma: the Gaussian noise standard deviation.

    Returns:
        A pytree shaped like `params`.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> apply = lambda w, x: x @ w              # Gaussian linear regression
        >>> x = np.array([[1.0, 0.0], [1.0, 2.0]])
        >>> optim.fisher_vector_product(apply, np.zeros(2), x, np.array([1.0, 0.0]), "gaussian")
        array([1., 1.])
    """
    _check_likelihood(likelihood)
    n = np.shape(x)[0]
    model = lambda p: apply(p, x)
    out, jv = dfdx.jvp(model, (params,), (v,))
    hu = _output_fisher(out, likelihood, sigma)(jv) / n
    _, vjp_fn = dfdx.vjp(model, params)
    return vjp_fn(hu.astype(np.result_type(out), copy=False))[0]


def fisher_matrix(apply, params, x, likelihood="softmax", sigma=1.0):
    """Return the exact batch-averaged Fisher information as a dense (P, P) float64 matrix.

    Parameters are ordered as `dfdx.optim.ravel` flattens them. Costs one
    Jacobian of all outputs with respect to all P parameters: for small models.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> x = np.array([[1.0, 0.0], [1.0, 2.0]])
        >>> optim.fisher_matrix(lambda w, x: x @ w, np.zeros(2), x, "gaussian")
        array([[1., 1.],
               [1., 2.]])
    """
    _check_likelihood(likelihood)
    r = Raveled(params)
    flat = r.vector.astype(np.float64)
    out = np.asarray(apply(r.unravel(flat), x), dtype=np.float64)
    J = np.asarray(dfdx.jacobian(lambda w: apply(r.unravel(w), x))(flat), dtype=np.float64)
    n = out.shape[0]
    J = J.reshape(n, -1, flat.size)                       # (N, K, P)
    out = out.reshape(n, -1)
    if likelihood == "softmax":
        p = _softmax(out)
        Jp = np.einsum("nk,nkp->np", p, J)
        F = np.einsum("nk,nkp,nkq->pq", p, J, J) - Jp.T @ Jp
    elif likelihood == "sigmoid":
        p = np.exp(-np.logaddexp(0, -out))
        F = np.einsum("nk,nkp,nkq->pq", p * (1 - p), J, J)
    else:
        F = np.einsum("nkp,nkq->pq", J, J) / sigma ** 2
    return F / n


class NaturalGradient:
    """Natural-gradient descent: ``params -= lr * (F + damping I)^{-1} grad``.

    The Fisher F is taken on the batch passed to `update`. With
    ``method="exact"`` it is formed and solved by Cholesky; with ``"cg"`` the
    system is solved by conjugate gradient on Fisher-vector products (F never
    formed); ``"auto"`` picks exact up to `max_exact` parameters.

    Args:
        apply: the model, ``apply(params, x) -> outputs``.
        lr: step size (1.0 is the natural scale: for canonical likelihoods the
            step is a Gauss-Newton step).
        damping: Tikhonov damping added to F (keeps the solve well posed).
        likelihood: ``"softmax"``, ``"sigmoid"`` or ``"gaussian"``.
        sigma: Gaussian noise level (``"gaussian"`` only).
        method: ``"auto"``, ``"exact"`` or ``"cg"``.
        cg_maxiter: conjugate-gradient iterations per step.
        cg_tol: relative residual at which CG stops.
        max_exact: largest parameter count for which ``"auto"`` forms F.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import optim, nn
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(100, 2)) * [1.0, 10.0]; y = (x[:, 0] + x[:, 1] / 10 > 0) * 1
        >>> apply = lambda w, x: x @ w
        >>> loss = lambda w: nn.softmax_cross_entropy(apply(w, x), y)
        >>> opt = optim.NaturalGradient(apply, lr=1.0, damping=1e-3)
        >>> w = np.zeros((2, 2)); state = opt.init(w)
        >>> for _ in range(5):
        ...     w, state = opt.update(w, dfdx.grad(loss)(w), state, x=x)
        >>> bool(loss(w) < 0.2)
        True
    """

    def __init__(self, apply, lr=1.0, damping=1e-4, likelihood="softmax", sigma=1.0,
                 method="auto", cg_maxiter=50, cg_tol=1e-6, max_exact=1000):
        _check_likelihood(likelihood)
        if method not in ("auto", "exact", "cg"):
            raise ValueError(f"NaturalGradient method must be 'auto', 'exact' or 'cg', "
                             f"not {method!r}.")
        if damping < 0 or not lr > 0:
            raise ValueError(f"NaturalGradient needs lr > 0 and damping >= 0, got lr={lr}, "
                             f"damping={damping}.")
        self.apply, self.lr, self.damping = apply, float(lr), float(damping)
        self.likelihood, self.sigma, self.method = likelihood, float(sigma), method
        self.cg_maxiter, self.cg_tol, self.max_exact = cg_maxiter, cg_tol, max_exact

    def init(self, params):
        """Return the state ``{"step": 0}`` (natural gradient keeps no moments)."""
        return {"step": 0}

    def direction(self, params, grads, x):
        """Return ``(F + damping I)^{-1} grads`` as a pytree shaped like `params`."""
        r = Raveled(params)
        g = r.flatten(grads).astype(np.float64)
        exact = self.method == "exact" or (self.method == "auto" and g.size <= self.max_exact)
        if exact:
            F = fisher_matrix(self.apply, params, x, self.likelihood, self.sigma)
            F[np.diag_indices_from(F)] += self.damping
            d = scipy.linalg.cho_solve(scipy.linalg.cho_factor(F), g)
        else:
            d = self._cg(params, r, g, x)
        return r.unravel(d.astype(r.dtype, copy=False))

    def _cg(self, params, r, g, x):
        n = np.shape(x)[0]
        model = lambda p: self.apply(p, x)
        _, vjp_fn = dfdx.vjp(model, params)          # forward pass once, reused by every product
        out_dtype = None

        def fvp(v):
            nonlocal out_dtype
            out, jv = dfdx.jvp(model, (params,), (r.unravel(v.astype(r.dtype, copy=False)),))
            out_dtype = np.result_type(out)
            hu = _output_fisher(out, self.likelihood, self.sigma)(jv) / n
            back = vjp_fn(hu.astype(out_dtype, copy=False))[0]
            return r.flatten(back).astype(np.float64) + self.damping * v

        d = np.zeros_like(g)
        res = g.copy()
        p = res.copy()
        rr = float(res @ res)
        stop = (self.cg_tol * np.sqrt(rr)) ** 2
        for _ in range(self.cg_maxiter):
            if rr <= stop:
                break
            Ap = fvp(p)
            alpha = rr / float(p @ Ap)
            d += alpha * p
            res -= alpha * Ap
            rr_new = float(res @ res)
            p = res + (rr_new / rr) * p
            rr = rr_new
        return d

    def update(self, params, grads, state, *, x):
        """Take one natural-gradient step on batch `x`; returns ``(params, state)``.

        Raises:
            NonFiniteGradientError: a gradient holds NaN or inf.
        """
        t = state["step"] + 1
        check_finite(grads, step=t)
        d = self.direction(params, grads, x)
        new = tree_map(lambda p, di: p - self.lr * di, params, d)
        return new, {"step": t}
