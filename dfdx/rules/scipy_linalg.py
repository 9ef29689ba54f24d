"""scipy.linalg: matrix functions, triangular and factored solves, and SciPy's decompositions.

SciPy's linear algebra converts its arguments with ``np.asarray`` and cannot be
traced; these are its functions with SciPy's signatures, defaults and values,
registered under SciPy's callables (`dfdx.linalg` is the public face).

Primitives: expm, sqrtm, logm (their Frechet derivative is the upper right
block of ``f([[A, E], [0, A]])``, so every derivative is the function itself,
at any order), solve_triangular (the derivative reads the triangle SciPy reads)
and lu_factor. Composed of them and of numpy.linalg's rules: cho_factor,
cho_solve, lu_solve, det, inv (each `assume_a` reads what SciPy reads), eigh
and svd (SciPy's values, numpy.linalg's derivatives and conventions).

Conventions: real matrices only for expm, sqrtm and logm (complex input raises
UnsupportedOperation). sqrtm and logm are differentiated where no eigenvalue
lies on (-inf, 0]: a singular matrix raises NonDifferentiableError (sqrtm) or
DomainError (logm, whose value is infinite there); a negative eigenvalue, where
SciPy returns the complex principal branch, raises DomainError. lu_factor is
differentiated for square matrices where the pivots are nonzero (the pivoting
itself is locally constant).
"""

import numpy as np
import scipy.linalg as sl

from dfdx._errors import DomainError, NonDifferentiableError, UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import FUNCTIONS, defcomposite, defrule, shape_of
from dfdx.rules._util import scipy_eigh, scipy_svd

__all__ = ["expm", "sqrtm", "logm", "solve_triangular", "cho_factor", "cho_solve", "lu_factor",
           "lu_solve", "det", "inv", "eigh", "svd"]


def _cholesky(a, upper=False):
    # why: what np.linalg.cholesky dispatches to, called for plain values too: NumPy's lower
    # factor also of a Dask array (whose own np.linalg.cholesky answers with the upper one)
    return FUNCTIONS[np.linalg.cholesky](a, upper=upper)


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _float_dtype(x):
    dt = np.result_type(getval(x))
    return dt if dt.kind in "fc" else np.dtype(float)


def _real_only(name, a):
    if np.result_type(getval(a)).kind == "c":
        raise UnsupportedOperation(
            f"dfdx differentiates {name} for real matrices only, but got a complex one. Split "
            "it into real and imaginary parts, or estimate the derivative with "
            "dfdx.numeric.gradient.")


def _square(name, a):
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name} needs a square matrix (or a stack of them), got shape {s}.")


# --- matrix functions: expm, sqrtm, logm -------------------------------------------

def _frechet(f, a, e):
    """L_f(a, e), the derivative of the matrix function f at a in direction e.

    why: for a primary matrix function, f([[a, e], [0, a]]) = [[f(a), L_f(a, e)],
    [0, f(a)]] (Higham, Functions of Matrices, Thm 3.6); f's own primitive computes it,
    so the rule is traceable and every order is f again. e is scaled to a's size first
    (L is linear in e): a small e would otherwise drown in f(a)'s rounding.
    """
    n = shape_of(a)[-1]
    na, ne = np.max(np.abs(getval(a))), np.max(np.abs(getval(e)))
    c = float(na / ne) if ne > 0 and na > 0 else 1.0
    zero = np.zeros(shape_of(a), dtype=np.result_type(getval(a), getval(e)))
    block = np.concatenate([np.concatenate([a, c * e], axis=-1),
                            np.concatenate([zero, a], axis=-1)], axis=-2)
    return f(block)[..., :n, n:] / c


def _matrix_function(fn, impl, name, check=None):
    def vjp(g, ans, a):
        _real_only(name, a)
        if check is not None:
            check(a)
        # why: <g, L(a, e)> = <L(a.T, g), e> for f with a real power series
        return _frechet(prim, _mT(a), g)

    def jvp(t, ans, a):
        _real_only(name, a)
        if check is not None:
            check(a)
        return _frechet(prim, a, t)

    prim = defrule(fn, vjp=vjp, jvp=jvp, impl=impl, name=name)
    return prim


def _eig_on_cut(a, name, zero_error, zero_why):
    """Raise when an eigenvalue of `a` lies on (-inf, 0] (the principal branch's cut)."""
    v = np.asarray(getval(a))
    w = np.linalg.eigvals(v.astype(np.result_type(v.dtype, np.float64)))
    scale = max(float(np.max(np.abs(v))), np.finfo(float).tiny)
    tol = 100 * v.shape[-1] * np.finfo(v.dtype).eps * scale
    zero = np.abs(w) <= tol
    if zero.any():
        raise zero_error(
            f"{name}: the matrix is singular (eigenvalue 0), {zero_why}. Regularise it "
            "(a + eps * I), or estimate what you need with dfdx.numeric.")
    cut = (np.abs(w.imag) <= tol) & (w.real < 0)
    if cut.any():
        vals = ", ".join(f"{x:.6g}" for x in np.unique(np.round(w.real[cut], 12))[:6])
        raise DomainError(
            f"{name}: the matrix has eigenvalue(s) {vals} on the negative real axis, where "
            "the principal branch is complex (SciPy returns a complex matrix) and jumps "
            "across the branch cut. dfdx differentiates it for real matrices with no "
            "eigenvalue on (-inf, 0].")


def _expm(a):
    return sl.expm(a)


def _sqrtm(a):
    return sl.sqrtm(a)


def _logm(a):
    # why: SciPy's logm returns float64 for float32 input, computed to float32's accuracy
    # only (it warns "may be inaccurate"); dfdx computes in float64 and keeps the input's
    # dtype, so a float32 loss stays float32.
    dt = np.result_type(a)
    if dt == np.float32:
        return sl.logm(np.asarray(a, dtype=np.float64)).astype(dt)
    return sl.logm(a)


expm = _matrix_function(sl.expm, _expm, "scipy.linalg.expm")
expm.__doc__ = """Return the matrix exponential of `a` (traceable `scipy.linalg.expm`).

    Args:
        a: a square matrix, or a stack of them, shape (..., n, n).

    Returns:
        ``scipy.linalg.expm(a)``, differentiable at every real matrix.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import linalg
        >>> float(dfdx.grad(lambda t: linalg.expm(t * np.eye(2))[0, 0])(0.5))   # e**t
        1.6487212707001282
    """
sqrtm_prim = _matrix_function(
    sl.sqrtm, _sqrtm, "scipy.linalg.sqrtm",
    check=lambda a: _eig_on_cut(a, "scipy.linalg.sqrtm", NonDifferentiableError,
                                "where the square root has no derivative (as sqrt at 0)"))
logm_prim = _matrix_function(
    sl.logm, _logm, "scipy.linalg.logm",
    check=lambda a: _eig_on_cut(a, "scipy.linalg.logm", DomainError,
                                "where the logarithm is infinite"))


def sqrtm(A, disp=True, blocksize=64):
    """Return the principal square root of `A` (traceable `scipy.linalg.sqrtm`).

    Args:
        A: a square matrix, or a stack of them, shape (..., n, n).
        disp: False also returns SciPy's error estimate (a plain number), as SciPy's
            (deprecated there) does.
        blocksize: accepted for SciPy's signature (deprecated there); not used.

    Returns:
        ``scipy.linalg.sqrtm(A)``; differentiable where no eigenvalue of `A` lies
        on (-inf, 0] (a singular `A` raises NonDifferentiableError, a negative
        eigenvalue DomainError, when differentiated).

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import linalg
        >>> float(dfdx.grad(lambda t: linalg.sqrtm(t * np.eye(2))[1, 1])(4.0))   # 1 / (2 sqrt t)
        0.25
    """
    _square("scipy.linalg.sqrtm", A)
    return _with_errest(sqrtm_prim(A), sl.sqrtm, A, disp)


def _with_errest(x, fn, a, disp):
    if disp is not False:
        return x
    return x, fn(getval(a), disp=False)[1]   # SciPy's error estimate (a plain number)


def logm(A, disp=True):
    """Return the principal matrix logarithm of `A` (traceable `scipy.linalg.logm`).

    Args:
        A: a square matrix, or a stack of them, shape (..., n, n).
        disp: False also returns SciPy's error estimate (a plain number), as SciPy's
            (deprecated there) does.

    Returns:
        ``scipy.linalg.logm(A)`` (float32 input stays float32); differentiable
        where no eigenvalue of `A` lies on (-inf, 0] (else DomainError, when
        differentiated).

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import linalg
        >>> float(dfdx.grad(lambda t: linalg.logm(t * np.eye(2))[0, 0])(4.0))   # 1 / t
        0.25
    """
    _square("scipy.linalg.logm", A)
    return _with_errest(logm_prim(A), sl.logm, A, disp)


# --- triangular solves -------------------------------------------------------------

_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}


def _tri_mask(n, lower, unit_diagonal=False):
    """The entries a triangular solve reads: one triangle (without the diagonal if unit)."""
    keep = np.tril(np.ones((n, n), dtype=bool)) if lower else np.triu(np.ones((n, n), dtype=bool))
    return keep & ~np.eye(n, dtype=bool) if unit_diagonal else keep


def _solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _as_matrix(x, b):
    """A vector right-hand side as a column (the solve rules work on matrices)."""
    return np.expand_dims(x, -1) if len(shape_of(b)) == 1 else x


def _from_matrix(x, b):
    return x[..., 0] if len(shape_of(b)) == 1 else x


def _tri_jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    # x = op(T)^-1 b, T the triangle SciPy reads: dx = -op(T)^-1 op(dT) x
    dt = np.where(_tri_mask(shape_of(a)[-1], lower, unit_diagonal), t, 0.0)
    rhs = -np.matmul(dt if trans == 0 else _mT(dt), _as_matrix(ans, b))
    return _from_matrix(tri_solve(a, rhs, trans=trans, lower=lower,
                                  unit_diagonal=unit_diagonal), b)


def _tri_vjp(g, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    gb = tri_solve(a, g, trans=1 - min(trans, 1), lower=lower, unit_diagonal=unit_diagonal)
    x, gm = _as_matrix(ans, b), _as_matrix(gb, b)
    outer = -np.matmul(gm, _mT(x)) if trans == 0 else -np.matmul(x, _mT(gm))
    mask = _tri_mask(shape_of(a)[-1], lower, unit_diagonal)
    return np.where(mask, outer, 0.0), gb


tri_solve = defrule(
    sl.solve_triangular, vjp_all=_tri_vjp,
    jvp=(_tri_jvp_a, lambda t, ans, a, b, **kw: tri_solve(a, t, **kw)),
    impl=_solve_triangular, name="scipy.linalg.solve_triangular")


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for a triangular `a` (traceable `scipy.linalg.solve_triangular`).

    Only the triangle SciPy reads gets a derivative (the other one is not read;
    with `unit_diagonal` neither is the diagonal).

    Args:
        a: the (n, n) triangular matrix.
        b: the right-hand side, shape (n,) or (n, k).
        trans: 0 / 'N' (a x = b), 1 / 'T' (a.T x = b), 2 / 'C' (a^H x = b).
        lower: use the lower triangle of `a` (default: the upper one).
        unit_diagonal: assume ones on the diagonal of `a`.
        overwrite_b, check_finite: accepted for SciPy's signature; not used.

    Returns:
        x, shape of `b`.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import linalg
        >>> a = np.array([[2.0, 1.0], [0.0, 4.0]])
        >>> linalg.solve_triangular(a, np.array([3.0, 4.0]))
        array([1., 1.])
    """
    if trans not in _TRANS:
        raise ValueError(f"scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' or "
                         f"'C', got {trans!r}")
    trans = _TRANS[trans]
    if trans == 2:
        _real_only("scipy.linalg.solve_triangular with trans='C'", a)
        trans = 1
    return tri_solve(a, b, trans=trans, lower=bool(lower), unit_diagonal=bool(unit_diagonal))


# --- Cholesky ----------------------------------------------------------------------

def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """Return ``(c, lower)``, the Cholesky factor of `a` in `c` (traceable `scipy.linalg.cho_factor`).

    As SciPy's, `c` holds the factor in one triangle and `a`'s own entries in the
    other (which `cho_solve` does not read); the factor reads the same triangle
    of `a` SciPy reads (the upper one unless `lower`).

    Example:
        >>> import numpy as np
        >>> from dfdx import linalg
        >>> linalg.cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]))
        (array([[2., 1.],
               [2., 2.]]), False)
    """
    factor = _cholesky(a, upper=not lower)
    return np.where(_tri_mask(shape_of(a)[-1], lower), factor, a), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` from `cho_factor`'s ``(c, lower)`` (traceable `scipy.linalg.cho_solve`).

    Example:
        >>> import numpy as np
        >>> from dfdx import linalg
        >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
        >>> linalg.cho_solve(linalg.cho_factor(a), a @ np.array([1.0, -1.0]))
        array([ 1., -1.])
    """
    c, lower = c_and_lower
    # a = L L^T (lower) or U^T U (upper)
    first, second = (0, 1) if lower else (1, 0)
    y = solve_triangular(c, b, trans=first, lower=lower)
    return solve_triangular(c, y, trans=second, lower=lower)


# --- LU ------------------------------------------------------------------------------

def _lu_factor(a):
    lu, piv = sl.lu_factor(a)
    return lu, piv


def _perm(piv):
    """The row order of `a` that lu_factor's pivots give: a[perm] = L @ U."""
    piv = np.asarray(getval(piv))
    perm = np.arange(piv.shape[-1])
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_parts(lu):
    n = shape_of(lu)[-1]
    strict = np.tril(np.ones((n, n), dtype=bool), -1)
    eye = np.eye(n, dtype=_float_dtype(lu))
    return strict, np.where(strict, lu, 0.0) + eye, np.where(strict, 0.0, lu)


def _lu_jvp(t, ans, a):
    # a[perm] = L U: with F = L^-1 dA[perm] U^-1, dL = L strict(F) and dU = upper(F) U
    lu, piv = ans
    strict, L, U = _lu_parts(lu)
    y = tri_solve(lu, t[_perm(piv)], lower=True, unit_diagonal=True)
    f = _mT(tri_solve(lu, _mT(y), trans=1, lower=False))
    return np.matmul(L, np.where(strict, f, 0.0)) + np.matmul(np.where(strict, 0.0, f), U), None


def _lu_vjp(g, ans, a):
    lu, piv = ans
    g = g[0]
    if g is None:
        return None
    strict, L, U = _lu_parts(lu)
    gf = (np.where(strict, np.matmul(_mT(L), np.where(strict, g, 0.0)), 0.0)
          + np.where(strict, 0.0, np.matmul(np.where(strict, 0.0, g), _mT(U))))
    z = tri_solve(lu, gf, trans=1, lower=True, unit_diagonal=True)
    w = _mT(tri_solve(lu, _mT(z), trans=0, lower=False))
    return w[np.argsort(_perm(piv))]


lu_prim = defrule(sl.lu_factor, vjp=_lu_vjp, jvp=_lu_jvp, impl=_lu_factor, multiple_results=True,
                  name="scipy.linalg.lu_factor")


def lu_factor(a, overwrite_a=False, check_finite=True):
    """Return ``(lu, piv)``, the pivoted LU factorization of `a` (traceable `scipy.linalg.lu_factor`).

    `lu` holds U in its upper triangle and the unit lower L below it, as SciPy's;
    `piv` (plain integers) are the row interchanges.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import linalg
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> linalg.lu_factor(a)[1]
        array([1, 1], dtype=int32)
    """
    s = shape_of(a)
    if len(s) != 2 or s[0] != s[1]:
        raise UnsupportedOperation(
            f"dfdx differentiates scipy.linalg.lu_factor for a square matrix only, got shape "
            f"{s}. Use np.linalg.qr or an SVD for a rectangular one.")
    lu, piv = lu_prim(a)
    return lu, np.asarray(getval(piv))


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` from `lu_factor`'s ``(lu, piv)`` (traceable `scipy.linalg.lu_solve`).

    Args:
        lu_and_piv: the result of `lu_factor`.
        b: the right-hand side, shape (n,) or (n, k).
        trans: 0 (a x = b), 1 (a.T x = b) or 2 (a^H x = b).

    Example:
        >>> import numpy as np
        >>> from dfdx import linalg
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> linalg.lu_solve(linalg.lu_factor(a), np.array([5.0, 11.0]))
        array([1., 2.])
    """
    lu, piv = lu_and_piv
    if trans not in (0, 1, 2):
        raise ValueError(f"scipy.linalg.lu_solve: trans must be 0, 1 or 2, got {trans!r}")
    perm = _perm(piv)
    if trans == 0:                # a = P^T L U
        y = solve_triangular(lu, b[perm], lower=True, unit_diagonal=True)
        return solve_triangular(lu, y, lower=False)
    if trans == 2:
        _real_only("scipy.linalg.lu_solve with trans=2", lu)
    y = solve_triangular(lu, b, trans=1, lower=False)
    z = solve_triangular(lu, y, trans=1, lower=True, unit_diagonal=True)
    return z[np.argsort(perm)]


# --- det, inv, eigh, svd: numpy.linalg's rules -------------------------------------

def det(a, overwrite_a=False, check_finite=True):
    """Return the determinant of `a` (traceable `scipy.linalg.det`; float32 stays float32).

    Example:
        >>> import numpy as np
        >>> from dfdx import linalg
        >>> float(linalg.det(np.array([[1.0, 2.0], [3.0, 4.0]])))
        -2.0000000000000004
    """
    return np.linalg.det(a)


def _symmetric(a, lower):
    """The symmetric matrix that one triangle of `a` stands for."""
    n = shape_of(a)[-1]
    return np.where(_tri_mask(n, lower), a, 0.0) + _mT(np.where(_tri_mask(n, lower, True), a, 0.0))


def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    """Return the inverse of `a` (traceable `scipy.linalg.inv`).

    Each `assume_a` reads what SciPy's does: 'sym', 'her' and 'pos' one triangle
    (the upper one unless `lower`), 'upper triangular' / 'lower triangular' that
    triangle, 'diagonal' the diagonal (whose reciprocals SciPy returns there, with
    the other entries of `a` left as they are); None and 'general' the whole matrix.

    Example:
        >>> import numpy as np
        >>> from dfdx import linalg
        >>> linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]]), assume_a="diagonal")
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    _square("scipy.linalg.inv", a)
    if assume_a in (None, "general", "gen"):
        return np.linalg.inv(a)
    n = shape_of(a)[-1]
    eye = np.eye(n, dtype=_float_dtype(a))
    if assume_a == "diagonal":
        inverted = eye * np.expand_dims(1.0 / np.diagonal(a, axis1=-2, axis2=-1), -2)
        # why: SciPy (1.17) inverts the diagonal and leaves the other entries as a's own
        return np.where(np.eye(n, dtype=bool), inverted, a)
    if assume_a in ("upper triangular", "lower triangular"):
        return tri_solve(a, np.broadcast_to(eye, shape_of(a)), lower=assume_a[0] == "l")
    if assume_a in ("sym", "her", "pos"):
        if assume_a == "her":
            _real_only("scipy.linalg.inv with assume_a='her'", a)
        return np.linalg.inv(_symmetric(a, lower))
    raise ValueError(f"scipy.linalg.inv: unknown assume_a={assume_a!r}; SciPy's are None, "
                     "'general', 'diagonal', 'upper triangular', 'lower triangular', 'pos', "
                     "'sym', 'her'.")


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Return ``(w, v)``, SciPy's eigendecomposition of a symmetric `a` (traceable `scipy.linalg.eigh`).

    The values are SciPy's; the derivatives are numpy.linalg.eigh's (one
    triangle read, repeated eigenvalues as there). With `b`, the generalized
    problem ``a v = w b v`` (type 1) is reduced to a standard one through the
    Cholesky factor of `b`.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import linalg
        >>> linalg.eigh(np.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True)
        array([1., 3.])
    """
    given = [k for k, v in (("subset_by_index", subset_by_index),
                            ("subset_by_value", subset_by_value)) if v is not None]
    if type != 1:
        given.append("type")
    if given:
        raise UnsupportedOperation(
            f"dfdx differentiates scipy.linalg.eigh without {', '.join(given)}=. Take all "
            "eigenpairs and select them (w[lo:hi], v[:, lo:hi]) instead.")
    uplo = "L" if lower else "U"
    if b is None:
        w, v = scipy_eigh(a, UPLO=uplo, driver=driver)
        return w if eigvals_only else (w, v)
    # a v = w b v with b = L L^T: C = L^-1 A L^-T has eigenvectors u = L^T v
    lfac = _cholesky(_symmetric(b, lower))
    c = tri_solve(lfac, _mT(tri_solve(lfac, _symmetric(a, lower), lower=True)), lower=True)
    w, u = scipy_eigh(c, UPLO="L")
    if eigvals_only:
        return w
    v = tri_solve(lfac, u, trans=1, lower=True)
    # why: SciPy's generalized solver picks its own signs; match them (a constant per vector)
    want = sl.eigh(getval(a), getval(b), lower=lower)[1]
    return w, v * np.where(np.sum(getval(v) * want, axis=-2) < 0, -1.0, 1.0).astype(
        _float_dtype(v))


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """Return ``(u, s, vh)``, SciPy's singular value decomposition (traceable `scipy.linalg.svd`).

    The values are SciPy's; the derivatives numpy.linalg.svd's (differentiated
    with ``full_matrices=False`` for a non-square `a`, or ``compute_uv=False``).

    Example:
        >>> import numpy as np
        >>> from dfdx import linalg
        >>> linalg.svd(np.diag([3.0, 4.0]), compute_uv=False)
        array([4., 3.])
    """
    if not compute_uv:
        return scipy_svd(a, lapack_driver=lapack_driver)[1]
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise UnsupportedOperation(
            "dfdx differentiates scipy.linalg.svd with full_matrices=False only for a "
            "non-square matrix: the extra columns of U or V are not unique, so they have no "
            "derivative. Call scipy's svd(a, full_matrices=False).")
    return tuple(scipy_svd(a, lapack_driver=lapack_driver))


for _sp_fn, _impl in {sl.cho_factor: cho_factor, sl.cho_solve: cho_solve, sl.lu_solve: lu_solve,
                      sl.det: det, sl.inv: inv, sl.eigh: eigh, sl.svd: svd}.items():
    defcomposite(_sp_fn, _impl)
