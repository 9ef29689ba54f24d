"""Deterministic minimization with exact derivatives: Newton, Newton-CG, L-BFGS, gradient descent.

The gradient comes from `dfdx.value_and_grad`, the Hessian from
`dfdx.hessian` ("newton") or Hessian-vector products from `dfdx.hvp`
("newton-cg"), so `f` is written once in NumPy and never differentiated by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg

import dfdx
from dfdx.optim._tree import Raveled

__all__ = ["minimize", "OptimizeResult"]

METHODS = ("newton", "newton-cg", "lbfgs", "gd")


@dataclasses.dataclass
class OptimizeResult:
    """The outcome of `minimize`.

    Attributes:
        x: the solution, with the structure (pytree / shape / dtype) of ``x0``.
        fun: ``f(x)``.
        grad: the gradient at ``x`` (structure of ``x0``).
        nit: iterations taken.
        nfev: evaluations of ``f`` (each with its gradient, or in a line search).
        success: whether the gradient-norm tolerance was met.
        message: why the iteration stopped.
        history: ``{"fun": [...], "grad_norm": [...], "step": [...]}``, one entry per
            iterate, starting with ``x0``.
        method: the method used.
    """

    x: object
    fun: float
    grad: object
    nit: int
    nfev: int
    success: bool
    message: str
    history: dict
    method: str

    def __repr__(self):
        return (f"OptimizeResult(method={self.method!r}, success={self.success}, "
                f"fun={self.fun:.6g}, nit={self.nit}, nfev={self.nfev}, "
                f"message={self.message!r})")


class _Problem:
    """f on a flat float64 vector, counting evaluations."""

    def __init__(self, f, x0, args, jit=True):
        self.r = Raveled(x0)
        self.f, self.args = f, args
        self.nfev = 0
        self.vg = dfdx.value_and_grad(self._flat)
        if jit:
            self.vg = dfdx.jit(self.vg, fallback="silent")
        self._sparse_hessian = None      # not decided yet; False: dense

    def _flat(self, v):
        return self.f(self.r.unravel(v), *self.args)

    def value(self, v):
        self.nfev += 1
        return float(self._flat(v))

    def value_and_grad(self, v):
        self.nfev += 1
        val, g = self.vg(v)
        return float(val), np.asarray(g, dtype=np.float64)

    def hessian(self, v):
        """The Hessian at v: a CSR matrix when its pattern is sparse, else a dense array.

        The pattern is found from the code once, at the first call
        (`dfdx.hessian_sparsity`); it is used when the problem is large
        (n >= SPARSE_FROM) and at most SPARSE_DENSITY of the entries can be nonzero.
        """
        if self._sparse_hessian is None:
            self._sparse_hessian = _sparse_hessian_or_none(self._flat, v)
        if self._sparse_hessian is not False:
            return self._sparse_hessian(v).astype(np.float64)
        return np.asarray(dfdx.hessian(self._flat)(v), dtype=np.float64)

    def hvp(self, v, d):
        return np.asarray(dfdx.hvp(self._flat, (v,), (d,)), dtype=np.float64)


def _armijo(prob, x, fx, g, p, t0=1.0, c1=1e-4, shrink=0.5, max_halvings=60):
    """Backtracking line search: the largest t = t0 * shrink**k with sufficient decrease."""
    slope = float(g @ p)
    # why: at the limit of precision the predicted decrease is below f's rounding
    # error; then accept a step that does not increase f beyond that rounding.
    noise = 8 * np.finfo(float).eps * max(1.0, abs(fx))
    t = t0
    for _ in range(max_halvings):
        f_new = prob.value(x + t * p)
        if np.isfinite(f_new) and (f_new <= fx + c1 * t * slope
                                   or (-t * slope < noise and f_new <= fx + noise)):
            return t, f_new
        t *= shrink
    return 0.0, fx


#: Newton uses a sparse Hessian from this many variables on, when at most this share of
#: its entries can be nonzero. why: below ~100 variables the dense Cholesky factorisation
#: costs less than finding the pattern; a denser pattern gains little from a sparse solve.
SPARSE_FROM = 100
SPARSE_DENSITY = 0.05


def _sparse_hessian_or_none(f, v):
    """`dfdx.sparse_hessian(f, v)` when its pattern is sparse enough, else False."""
    n = v.size
    if n < SPARSE_FROM:
        return False
    try:
        pattern = dfdx.hessian_sparsity(f, v)
    except (dfdx.DfdxError, TypeError, ValueError):
        return False         # f's code cannot be traced for its pattern: the dense Hessian
    if pattern.nnz > SPARSE_DENSITY * n * n:
        return False
    return dfdx.sparse_hessian(f, v)


def _dense_factor(H, lam):
    """A solver for (H + lam I) by Cholesky; None when that is not positive definite."""
    try:
        c = scipy.linalg.cho_factor(H + lam * np.eye(len(H)))
    except (np.linalg.LinAlgError, ValueError):
        return None
    return lambda b: scipy.linalg.cho_solve(c, b)


def _sparse_factor(H, lam):
    """A solver for sparse (H + lam I); None when that is not positive definite.

    A symmetric LU (the same ordering for rows and columns, no pivoting off the
    diagonal) is L D L^T with D the diagonal of U: positive definite exactly when
    every pivot is positive.
    """
    import scipy.sparse as sps
    import scipy.sparse.linalg as spla

    A = sps.csc_matrix(H + lam * sps.identity(H.shape[0], format="csc"))
    try:
        lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                       options={"SymmetricMode": True})
    except RuntimeError:      # exactly singular
        return None
    if not np.all(lu.U.diagonal() > 0):
        return None
    return lu.solve


def _newton_direction(H, g):
    """Solve (H + lam I) p = -g with the smallest lam >= 0 that makes it positive definite.

    H is a dense array or a scipy.sparse matrix (then a sparse factorisation).
    """
    sparse = not isinstance(H, np.ndarray)
    factor = _sparse_factor if sparse else _dense_factor
    diag = H.diagonal() if sparse else np.diag(H)
    scale = max(float(np.max(np.abs(diag))) if len(g) else 1.0, 1e-12)
    lam = 0.0
    while True:
        solve = factor(H, lam)
        if solve is not None:
            return solve(-g), lam
        lam = max(2 * lam, 1e-8 * scale)
        if lam > 1e12 * scale:
            return -g, lam


def _cg(hvp, g, tol, maxiter):
    """Truncated conjugate gradient for H p = -g; stops at negative curvature."""
    p = np.zeros_like(g)
    r = -g.copy()
    d = r.copy()
    rr = float(r @ r)
    for i in range(maxiter):
        Hd = hvp(d)
        curv = float(d @ Hd)
        if curv <= 1e-12 * float(d @ d):
            # why: negative curvature; fall back to the steepest-descent direction if no progress yet
            return (p if i > 0 else -g), i + 1
        alpha = rr / curv
        p = p + alpha * d
        r = r - alpha * Hd
        rr_new = float(r @ r)
        if np.sqrt(rr_new) <= tol:
            return p, i + 1
        d = r + (rr_new / rr) * d
        rr = rr_new
    return p, maxiter


def minimize(f, x0, method="newton", *, args=(), tol=1e-8, maxiter=None, lr=None,
             history_size=10, cg_maxiter=None, callback=None, jit=True):
    """Minimize a scalar function of an array (or pytree) with exact AD derivatives.

    Methods:
        - ``"newton"``: the exact Hessian (`dfdx.hessian`), damped by the
          smallest ``lam * I`` that makes it positive definite, then a
          backtracking (Armijo) line search from the full step. Near a
          minimum with a positive definite Hessian the full step is taken and
          convergence is quadratic. Cost: one Hessian (n x n) per step; from
          100 variables on, when the Hessian's pattern found from the code is
          sparse (at most 5 % nonzero), a sparse Hessian (`dfdx.sparse_hessian`,
          a few sweeps) and a sparse factorisation instead.
        - ``"newton-cg"``: truncated Newton; the Newton system is solved by
          conjugate gradient using Hessian-vector products (`dfdx.hvp`) only,
          never forming the Hessian: for many parameters.
        - ``"lbfgs"``: limited-memory BFGS (two-loop recursion, `history_size`
          pairs) with a backtracking line search.
        - ``"gd"``: gradient descent; a fixed step `lr` if given, else a
          backtracking line search.

    Args:
        f: ``f(x, *args)`` returning a scalar, written with NumPy.
        x0: the starting point: an array, a float, or a pytree of arrays.
        method: one of ``"newton"``, ``"newton-cg"``, ``"lbfgs"``, ``"gd"``.
        args: extra positional arguments for `f` (not differentiated).
        tol: stop when the gradient's Euclidean norm is at most `tol`.
        maxiter: iteration limit (default 100 for Newton methods, 1000 otherwise).
        lr: fixed step size for ``"gd"``.
        history_size: pairs kept by L-BFGS.
        cg_maxiter: CG iterations per Newton-CG step (default: the dimension, at most 200).
        callback: called as ``callback(x, fun)`` after every iteration.
        jit: compile the value-and-gradient with `dfdx.jit` (``fallback="silent"``: an
            `f` jit cannot record runs uncompiled, with the same results); False: never.

    Returns:
        OptimizeResult with ``x`` (structure of `x0`), ``fun``, ``grad``, ``nit``,
        ``nfev``, ``success``, ``message``, ``history``.

    Raises:
        ValueError: unknown method, or `f` is not finite at `x0`.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> rosen = lambda v: (1 - v[0])**2 + 100 * (v[1] - v[0]**2)**2
        >>> res = optim.minimize(rosen, np.array([-1.2, 1.0]), method="newton")
        >>> res.success, np.round(res.x, 6), res.nit < 30
        (True, array([1., 1.]), True)
    """
    if method not in METHODS:
        raise ValueError(f"minimize: unknown method {method!r}; choose one of {METHODS}.")
    prob = _Problem(f, x0, args, jit)
    x = prob.r.vector.astype(np.float64)
    if maxiter is None:
        maxiter = 100 if method in ("newton", "newton-cg") else 1000
    fx, g = prob.value_and_grad(x)
    if not np.isfinite(fx):
        raise ValueError(f"minimize: f(x0) = {fx} is not finite. Start from a point where f "
                         "is defined.")
    x, fx, g, nit, message, success, history = _iterate(
        method, prob, x, fx, g, _Pairs(history_size), tol=tol, maxiter=maxiter, lr=lr,
        cg_iters=cg_maxiter or min(x.size, 200) or 1, callback=callback)
    return OptimizeResult(x=_out(prob, x), fun=fx, grad=_out(prob, g), nit=nit, nfev=prob.nfev,
                          success=success, message=message, history=history, method=method)


def _iterate(method, prob, x, fx, g, pairs, *, tol, maxiter, lr, cg_iters, callback):
    """`minimize`'s iterations from (x, f(x), grad f(x)) until a stopping rule holds.

    Returns ``(x, fx, g, nit, message, success, history)``.
    """
    history = {"fun": [fx], "grad_norm": [float(np.linalg.norm(g))], "step": [0.0]}
    message, success, nit = f"reached maxiter={maxiter}", False, 0
    for nit in range(1, maxiter + 1):
        gnorm = float(np.linalg.norm(g))
        if gnorm <= tol:
            nit -= 1
            message, success = f"gradient norm {gnorm:.3g} <= tol={tol:g}", True
            break
        t, p, x_new, f_new = _search(method, prob, x, fx, g, gnorm, pairs, lr, cg_iters)
        if t == 0.0 and not (method == "gd" and lr is not None):
            message = "line search found no decrease (at the limit of precision)"
            success = gnorm <= max(tol, 1e-6 * max(1.0, abs(fx)))
            nit -= 1
            break
        if not np.isfinite(f_new):
            message = f"f became {f_new} at iteration {nit}; try a smaller lr"
            break
        f_new, g_new = prob.value_and_grad(x_new)
        if method == "lbfgs":
            pairs.add(x_new - x, g_new - g)
        x, fx, g = x_new, f_new, g_new
        history["fun"].append(fx)
        history["grad_norm"].append(float(np.linalg.norm(g)))
        history["step"].append(float(t * np.linalg.norm(p)))
        if callback is not None:
            callback(_out(prob, x), fx)
    else:
        gnorm = float(np.linalg.norm(g))
        if gnorm <= tol:
            message, success = f"gradient norm {gnorm:.3g} <= tol={tol:g}", True
    return x, fx, g, nit, message, success, history


def _search(method, prob, x, fx, g, gnorm, pairs, lr, cg_iters):
    """One iteration's direction and line search: ``(t, p, x + t p, f(x + t p))``."""
    p = _direction(method, prob, x, g, gnorm, pairs, cg_iters)
    if float(g @ p) >= 0:             # not a descent direction: restart with -g
        p = -g
        pairs.clear()
    t, x_new, f_new = _line_step(method, prob, x, fx, g, p, gnorm, lr, pairs)
    return t, p, x_new, f_new


class _Pairs:
    """L-BFGS's memory: the last `size` step and gradient-change pairs (s, y) with s·y > 0."""

    def __init__(self, size):
        self.size, self.s, self.y = size, [], []

    def clear(self):
        self.s, self.y = [], []

    def add(self, s, y):
        # why: a pair with s·y <= 0 (relative to its size) would make the inverse-Hessian
        # estimate indefinite: it is skipped.
        if float(s @ y) > 1e-10 * float(np.linalg.norm(s) * np.linalg.norm(y)):
            self.s.append(s)
            self.y.append(y)
            if len(self.s) > self.size:
                self.s.pop(0)
                self.y.pop(0)


def _direction(method, prob, x, g, gnorm, pairs, cg_maxiter):
    """The search direction of one iteration of `method` at x (gradient g)."""
    if method == "newton":
        return _newton_direction(prob.hessian(x), g)[0]
    if method == "newton-cg":
        forcing = min(0.5, np.sqrt(gnorm)) * gnorm
        return _cg(lambda d: prob.hvp(x, d), g, forcing, cg_maxiter)[0]
    if method == "lbfgs":
        return -_two_loop(g, pairs.s, pairs.y)
    return -g


def _line_step(method, prob, x, fx, g, p, gnorm, lr, pairs):
    """(t, x_new, f_new) along p: gd's fixed step `lr`, else Armijo backtracking (t = 0: no decrease)."""
    if method == "gd" and lr is not None:
        x_new = x - lr * g
        return lr, x_new, prob.value(x_new)
    t0 = min(1.0, 1.0 / gnorm) if method == "lbfgs" and not pairs.s else 1.0
    t, f_new = _armijo(prob, x, fx, g, p, t0=t0)
    return t, x + t * p, f_new


def _out(prob, v):
    leaves = prob.r.leaves_like
    if len(leaves) == 1 and leaves[0] is prob.r.tree:
        x0 = prob.r.tree
        if isinstance(x0, (float, int)) or np.ndim(x0) == 0:
            return float(v[0]) if isinstance(x0, (float, int)) else np.asarray(
                v[0], dtype=prob.r.dtype)
    out = prob.r.unravel(v.astype(prob.r.dtype, copy=False))
    return out


def _two_loop(g, s_list, y_list):
    """L-BFGS two-loop recursion: approximately H^{-1} g."""
    q = g.copy()
    alphas = []
    for s, y in zip(reversed(s_list), reversed(y_list)):
        rho = 1.0 / float(y @ s)
        a = rho * float(s @ q)
        alphas.append((a, rho))
        q = q - a * y
    if s_list:
        s, y = s_list[-1], y_list[-1]
        q = q * (float(s @ y) / float(y @ y))
    for (s, y), (a, rho) in zip(zip(s_list, y_list), reversed(alphas)):
        b = rho * float(y @ q)
        q = q + (a - b) * s
    return q
