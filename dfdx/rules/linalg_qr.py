"""numpy.linalg.qr and numpy.linalg.lstsq (real input).

Primitives: the reduced QR of a matrix with at least as many rows as columns, and the
solution of lstsq. A wide matrix's QR is composed (the QR of its leading square block,
then ``R2 = Q^T A2``); lstsq's residuals and singular values are composed too.

Conventions: the derivatives exist where the matrix has full rank (R's diagonal has no
zero; lstsq's rank is min(m, n)); elsewhere they raise NonDifferentiableError. QR's
``mode='complete'`` of a tall matrix is refused: the extra columns of Q are not unique.
LAPACK chooses the signs of R's diagonal by the sign of the column it reflects, and keeps
them where that column is already zero below the diagonal (a triangular matrix, the
identity): the function NumPy computes jumps there, and the derivative given is that of
the factorization with the signs NumPy returned.
"""

import numpy as np

from dfdx._errors import NonDifferentiableError, UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import defcomposite, defrule, shape_of
from dfdx.rules._util import as_array

_QRResult = type(np.linalg.qr(np.eye(1)))


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _real(name, *xs):
    for x in xs:
        if np.result_type(getval(x)).kind == "c":
            raise UnsupportedOperation(
                f"dfdx differentiates {name} for real input only. Split a complex matrix into "
                "real and imaginary parts, or estimate the derivative with "
                "dfdx.numeric.gradient.")


def _times_rinv(b, r):
    """b @ inv(r), by a solve (r is upper triangular and nonsingular)."""
    return _mT(np.linalg.solve(_mT(r), _mT(b)))


def _full_rank(r):
    d = np.diagonal(np.asarray(getval(r)), axis1=-2, axis2=-1)
    if np.any(d == 0):
        raise NonDifferentiableError(
            "numpy.linalg.qr: the matrix does not have full column rank (R has a zero on its "
            "diagonal), so Q, and R with it, has no derivative there. Regularise the matrix "
            "or drop the dependent columns.")


def _qr(a):
    return tuple(np.linalg.qr(a))


def _qr_jvp(t, ans, a):
    _real("numpy.linalg.qr", a)
    q, r = ans
    _full_rank(r)
    ar = _times_rinv(t, r)                    # dA R^-1
    x = np.matmul(_mT(q), ar)                    # Q^T dA R^-1 = (Q^T dQ, skew) + dR R^-1 (upper)
    u = np.triu(x) + _mT(np.tril(x, -1))      # dR R^-1
    return ar - np.matmul(q, u), np.matmul(u, r)


def _qr_vjp(g, ans, a):
    _real("numpy.linalg.qr", a)
    q, r = ans
    _full_rank(r)
    gq, gr = g
    # the adjoint of _qr_jvp: with C = gR R^T - Q^T gQ and D = triu(C) + triu(C, 1)^T,
    # gA = (gQ + Q D) R^-T
    c = None if gr is None else np.matmul(gr, _mT(r))
    if gq is not None:
        qg = np.matmul(_mT(q), gq)
        c = -qg if c is None else c - qg
    d = np.triu(c) + _mT(np.triu(c, 1))
    b = np.matmul(q, d) if gq is None else gq + np.matmul(q, d)
    return _mT(np.linalg.solve(r, _mT(b)))


qr_prim = defrule(_qr, vjp=_qr_vjp, jvp=_qr_jvp, multiple_results=True,
                  name="numpy.linalg.qr")


def qr(a, mode="reduced"):
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    a = as_array(a)
    _real("numpy.linalg.qr", a)
    if len(shape_of(a)) < 2:
        raise np.linalg.LinAlgError(f"{len(shape_of(a))}-dimensional array given. Array must "
                                    "be at least two-dimensional")
    m, n = shape_of(a)[-2:]
    if mode == "raw" or (mode == "complete" and m > n):
        why = ("returns LAPACK's Householder reflectors" if mode == "raw" else
               "of a matrix with more rows than columns has extra columns of Q that are not "
               "unique, so they have no derivative")
        raise UnsupportedOperation(
            f"numpy.linalg.qr(a, mode={mode!r}) {why}. Use mode='reduced' (the default), or "
            "mode='r' for R alone.")
    if m >= n:
        q, r = qr_prim(a)
    else:
        q, r1 = qr_prim(a[..., :m])
        r = np.concatenate([r1, np.matmul(_mT(q), a[..., m:])], axis=-1)
    return r if mode == "r" else _QRResult(q, r)


# --- lstsq -------------------------------------------------------------------

def _lstsq_x(a, b, rcond=None, full_rank=True):
    return np.linalg.lstsq(a, b, rcond=rcond)[0]


def _need_full_rank(full_rank):
    if not full_rank:
        raise NonDifferentiableError(
            "numpy.linalg.lstsq: the matrix is rank-deficient, so the least-squares solution "
            "(through the pseudo-inverse) jumps under small changes and has no derivative. "
            "Regularise it (ridge: solve (a.T @ a + lam * I) x = a.T @ b), or drop dependent "
            "columns.")


def _lstsq_jvp_a(t, x, a, b, rcond=None, full_rank=True):
    # x = pinv(a) b; where the rank is full and constant (Golub & Pereyra):
    # dx = -P dA x + P P^T dA^T r + (I - P A) dA^T P^T x, r = b - A x
    _real("numpy.linalg.lstsq", a, b)
    _need_full_rank(full_rank)
    p = np.linalg.pinv(a)
    m, n = shape_of(a)
    dx = -np.matmul(p, np.matmul(t, x))
    if m > n:     # r = 0 otherwise
        dx = dx + np.matmul(p, np.matmul(_mT(p), np.matmul(_mT(t), b - np.matmul(a, x))))
    if m < n:     # P A = I otherwise
        y = np.matmul(_mT(t), np.matmul(_mT(p), x))
        dx = dx + y - np.matmul(p, np.matmul(a, y))
    return dx


def _lstsq_vjp_a(g, x, a, b, rcond=None, full_rank=True):
    _real("numpy.linalg.lstsq", a, b)
    _need_full_rank(full_rank)
    p = np.linalg.pinv(a)
    m, n = shape_of(a)
    pg = np.matmul(_mT(p), g)
    ga = -np.matmul(pg, _mT(x))
    if m > n:
        ga = ga + np.matmul(b - np.matmul(a, x), _mT(np.matmul(p, pg)))
    if m < n:
        ga = ga + np.matmul(np.matmul(_mT(p), x), _mT(g - np.matmul(p, np.matmul(a, g))))
    return ga


def _lstsq_b(c, x, a, b, rcond=None, full_rank=True, adjoint=False):
    _real("numpy.linalg.lstsq", a, b)
    _need_full_rank(full_rank)
    p = np.linalg.pinv(a)
    return np.matmul(_mT(p), c) if adjoint else np.matmul(p, c)


lstsq_x = defrule(
    _lstsq_x,
    vjp=(_lstsq_vjp_a, lambda g, x, a, b, **kw: _lstsq_b(g, x, a, b, adjoint=True, **kw)),
    jvp=(_lstsq_jvp_a, lambda t, x, a, b, **kw: _lstsq_b(t, x, a, b, **kw)),
    name="numpy.linalg.lstsq")


def lstsq(a, b, rcond=None):
    a, b = as_array(a), as_array(b)
    _real("numpy.linalg.lstsq", a, b)
    av, bv = np.asarray(getval(a)), np.asarray(getval(b))
    x_v, res_v, rank, s_v = np.linalg.lstsq(av, bv, rcond=rcond)
    if av.ndim != 2 or bv.ndim not in (1, 2):
        return x_v, res_v, rank, s_v      # NumPy raised above for what it does not take
    m, n = av.shape
    vector = bv.ndim == 1
    b2 = np.reshape(b, (m, 1)) if vector else b
    x = lstsq_x(a, b2, rcond=rcond, full_rank=bool(rank == min(m, n)))
    if vector:
        x = np.reshape(x, (n,))
    res = res_v
    if res_v.size:      # NumPy's residuals: full rank and more rows than columns
        r = b - np.matmul(a, x)
        res = np.sum(r * r, axis=0)
        if vector:
            res = np.reshape(res, (1,))
    return x, res, rank, np.linalg.svd(a, compute_uv=False)


defcomposite(np.linalg.qr, qr)
defcomposite(np.linalg.lstsq, lstsq)


# --- composed from the rules above and numpy.linalg's ---------------------------------

def cond(x, p=None):
    if p is None or p == 2 or p == -2:
        s = np.linalg.svd(x, compute_uv=False)
        with np.errstate(all="ignore"):
            return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    return np.linalg.norm(x, p, axis=(-2, -1)) * np.linalg.norm(np.linalg.inv(x), p,
                                                                axis=(-2, -1))


def tensorsolve(a, b, axes=None):
    an = len(shape_of(a))
    if axes is not None:
        order = [k for k in range(an) if k not in axes] + list(axes)
        a = np.transpose(a, order)
    old = tuple(shape_of(a)[-(an - len(shape_of(b))):])
    prod = int(np.prod(old))
    if int(np.prod(shape_of(a))) != prod ** 2:
        raise np.linalg.LinAlgError("Input arrays must satisfy the requirement "
                                    "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    res = np.linalg.solve(np.reshape(a, (prod, prod)), np.reshape(b, (prod,)))
    return np.reshape(res, old)


def tensorinv(a, ind=2):
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    old = tuple(shape_of(a))
    prod = int(np.prod(old[:ind]))
    inv = np.linalg.inv(np.reshape(a, (prod, -1)))
    return np.reshape(inv, old[ind:] + old[:ind])


defcomposite(np.linalg.cond, cond)
defcomposite(np.linalg.tensorsolve, tensorsolve)
defcomposite(np.linalg.tensorinv, tensorinv)
