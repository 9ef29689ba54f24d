"""Linear algebra: products (matmul, dot, einsum, ...) and numpy.linalg.

Primitives: matmul, einsum (the workhorse: every other product is an einsum),
inv, solve, det, slogdet, cholesky, eigh, svd, pinv and the vector 2-norm.
Everything else (vdot, inner, outer, tensordot, kron, norm, matrix_power,
multi_dot, ...) is composed from them.

Conventions:

* Real arrays only.
* cholesky and eigh read one triangle of a matrix that is meant to be
  symmetric; their derivatives are those of the symmetric function
  ``A -> f((A + A^T) / 2)`` (the gradient is symmetric).
* eigh needs distinct eigenvalues and svd distinct, nonzero singular values
  (the derivatives of the vectors are infinite otherwise); svd is
  differentiated for ``full_matrices=False`` (or ``compute_uv=False``) only.
* pinv is differentiated where the rank is locally constant (always, for a
  matrix of full rank).
* det and slogdet need an invertible matrix.
* The 2-norm has subgradient 0 at 0.
"""

import numpy as np

from dfdx._numpy.box import getval
from dfdx._numpy.registry import (UFUNCS, defcomposite, defrule, shape_of, unbroadcast,
                                  unbroadcast_batched)
from dfdx.rules.reductions import amax, amin, sum_
from dfdx.rules.shape import broadcast_to, expand_dims, moveaxis, ravel, reshape, swapaxes


def _mT(a):
    return swapaxes(a, -1, -2)


# --- matmul and dot ------------------------------------------------------

def _matmul_vjp_x(g, ans, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) == 1:                                   # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(np.expand_dims(g, -1) * y, x) if xs else g * y
    if len(xs) == 1:                                   # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(np.matmul(y, np.expand_dims(g, -1))[..., 0], x)
    return unbroadcast(np.matmul(g, _mT(y)), x)


def _matmul_vjp_y(g, ans, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1:                                   # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), y) if len(ys) > 1 \
            else g * x
    if len(ys) == 1:                                   # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(np.matmul(np.expand_dims(g, -2), x)[..., 0, :], y)
    return unbroadcast(np.matmul(_mT(x), g), y)


matmul = defrule(
    np.matmul,
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
    jvp=(lambda t, ans, x, y: matmul(t, y), lambda t, ans, x, y: matmul(x, t)),
    shape_only=("ans",),
    bvjp=(lambda g, ans, x, y: _matmul_bvjp_x(g, x, y), lambda g, ans, x, y: _matmul_bvjp_y(g, x, y)),
    bjvp=(lambda t, ans, x, y: _matmul_bjvp_x(t, x, y), lambda t, ans, x, y: _matmul_bjvp_y(t, x, y)))


def _matmul_bvjp_x(g, x, y):
    # g: (k, *ans.shape). The unbatched rules broadcast over leading axes, except
    # where an operand is 1-D; there the batch axis needs room of its own.
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) == 1:                              # (..., n, m) @ (m,), or (m,) @ (m,) -> ()
        return unbroadcast_batched(np.expand_dims(g, -1) * y, x)
    if len(xs) == 1:                              # (m,) @ (..., m, p) -> (..., p)
        return unbroadcast_batched(np.matmul(y, np.expand_dims(g, -1))[..., 0], x)
    return unbroadcast_batched(np.matmul(g, _mT(y)), x)


def _matmul_bvjp_y(g, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1:
        if len(ys) == 1:                          # (m,) @ (m,) -> (): g is (k,)
            return unbroadcast_batched(np.expand_dims(g, -1) * x, y)
        return unbroadcast_batched(np.expand_dims(x, -1) * np.expand_dims(g, -2), y)
    if len(ys) == 1:                              # (..., n, m) @ (m,) -> (..., n)
        if len(xs) == 2:
            return np.matmul(g, x)                # (k, n) @ (n, m): one GEMM
        return unbroadcast_batched(np.matmul(np.expand_dims(g, -2), x)[..., 0, :], y)
    return unbroadcast_batched(np.matmul(_mT(x), g), y)


def _matmul_bjvp_x(t, x, y):
    # t: (k, *x.shape); matmul broadcasts leading axes, and a 1-D x batches into rows.
    return matmul(t, y)


def _matmul_bjvp_y(t, x, y):
    # t: (k, *y.shape).
    if len(shape_of(y)) == 1:
        if len(shape_of(x)) == 1:
            return matmul(t, x)                               # (k, m) @ (m,) -> (k,)
        if len(shape_of(x)) == 2:
            return matmul(t, _mT(x))                         # (k, m) @ (m, n): one GEMM
        return matmul(x, np.expand_dims(t, -1))[..., 0]      # (..., n, m) @ (k, m, 1)
    return matmul(x, t)


def dot(a, b, out=None):
    if not shape_of(a) or not shape_of(b):
        return np.multiply(a, b)
    if len(shape_of(b)) > 2:
        return tensordot(a, b, axes=([-1], [-2]))
    return matmul(a, b)


# --- einsum --------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(subscripts, shapes):
    """Explicit subscripts, one string per operand and one for the output, no '...'."""
    subscripts = subscripts.replace(" ", "")
    ins, arrow, out = subscripts.partition("->")
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(shapes)} operands.")
    used = set(subscripts) - set(".,->")
    free = [c for c in _LETTERS if c not in used]
    nell = max((len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub),
               default=0)
    ell = "".join(free[:nell])
    ins = [sub.replace("...", ell[nell - (len(s) - (len(sub) - 3)):]) if "..." in sub else sub
           for sub, s in zip(ins, shapes)]
    if not arrow:
        counts = {}
        for sub in ins:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return ins, out


def _einsum(subscripts, *operands):
    return np.einsum(subscripts, *operands)


def _einsum_vjp(g, ans, subscripts, *xs):
    ins, out = _parse_einsum(subscripts, [shape_of(x) for x in xs])
    sizes = {}
    for sub, x in zip(ins, xs):
        for c, n in zip(sub, shape_of(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    cts = [None]
    for i, x in enumerate(xs):
        # The cotangent of operand i is the einsum of g with the other operands,
        # written to operand i's subscripts. Repeated letters (a diagonal) get a
        # fresh letter tied by an identity matrix; letters summed in operand i
        # alone get a vector of ones, so that einsum broadcasts over them.
        target, extra_subs, extra_ops = "", [], []
        fresh = iter(c for c in _LETTERS if c not in sizes)
        for c in ins[i]:
            if c in target:
                d = next(fresh)
                extra_subs.append(c + d)
                extra_ops.append(np.eye(sizes[c]))
                target += d
            else:
                target += c
        others = [s for j, s in enumerate(ins) if j != i] + [out] + extra_subs
        for c in set(target) - set("".join(others)):
            extra_subs.append(c)
            extra_ops.append(np.ones(sizes[c] if c in sizes else 1))
            others.append(c)
        ops = [y for j, y in enumerate(xs) if j != i] + [g] + extra_ops
        ct = einsum_prim(",".join(others) + "->" + target, *ops)
        cts.append(unbroadcast(ct, x) if shape_of(ct) != shape_of(x) else ct)
    return tuple(cts)


def _einsum_jvp(ts, ans, subscripts, *xs):
    out = None
    for i, t in enumerate(ts[1:]):
        if t is not None:
            term = einsum_prim(subscripts, *xs[:i], t, *xs[i + 1:])
            out = term if out is None else out + term
    if out is not None and shape_of(out) != shape_of(ans):
        out = broadcast_to(out, shape_of(ans))
    return out


einsum_prim = defrule(_einsum, vjp_all=_einsum_vjp, jvp_all=_einsum_jvp, name="numpy.einsum")


def _sublist_to_str(args):
    # einsum(op0, sublist0, op1, sublist1, ..., [sublist_out]): the interleaved form.
    out = None
    if len(args) % 2 == 1:
        args, out = args[:-1], args[-1]
    ops, subs = list(args[0::2]), list(args[1::2])

    def name(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    text = ",".join(name(s) for s in subs)
    return (text if out is None else text + "->" + name(out)), ops


def einsum(*operands, out=None, optimize=False, **kw):
    if out is not None:
        raise TypeError("einsum(..., out=...) is not supported on traced values; "
                        "use the returned value.")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], operands[1:]
    else:
        subscripts, ops = _sublist_to_str(operands)
    ins, res = _parse_einsum(subscripts, [shape_of(x) for x in ops])
    return einsum_prim(",".join(ins) + "->" + res, *ops)


def tensordot(a, b, axes=2):
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a = [i % na for i in ax_a]
    ax_b = [i % nb for i in ax_b]
    sa = _LETTERS[:na]
    sb = list(_LETTERS[na:na + nb])
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    sb = "".join(sb)
    res = "".join(c for k, c in enumerate(sa) if k not in ax_a) + \
        "".join(c for k, c in enumerate(sb) if k not in ax_b)
    return einsum_prim(f"{sa},{sb}->{res}", a, b)


def vdot(a, b):
    return sum_(ravel(np.conjugate(a)) * ravel(b))   # NumPy conjugates the first argument


def inner(a, b):
    if not shape_of(a) or not shape_of(b):
        return np.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None):
    return reshape(ravel(a), (-1, 1)) * reshape(ravel(b), (1, -1))


def kron(a, b):
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
    a = reshape(a, tuple(v for s in sa for v in (s, 1)))
    b = reshape(b, tuple(v for s in sb for v in (1, s)))
    return reshape(a * b, tuple(p * q for p, q in zip(sa, sb)))


def vecdot(x1, x2, /, *, axis=-1, **kw):
    return sum_(np.conjugate(x1) * x2, axis=axis)   # NumPy conjugates the first argument


def matrix_transpose(x, /):
    return _mT(x)


def matrix_power(a, n):
    if n < 0:
        a, n = inv(a), -n
    if n == 0:
        return broadcast_to(np.eye(shape_of(a)[-1]), shape_of(a))
    result = None
    while n:                                 # binary powering: log2(n) products
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


def multi_dot(arrays, *, out=None):
    arrays = list(arrays)
    result = arrays[0]
    for a in arrays[1:]:
        result = dot(result, a)
    return result


# --- numpy.linalg --------------------------------------------------------

def _col(v):
    return expand_dims(v, -1)


def _row(v):
    return expand_dims(v, -2)


inv = defrule(
    np.linalg.inv,
    vjp=lambda g, ans, a: -matmul(matmul(_mT(ans), g), _mT(ans)),
    jvp=lambda t, ans, a: -matmul(matmul(ans, t), ans))


def _solve_vjp(g, ans, a, b):
    if len(shape_of(b)) == 1:        # a vector b (NumPy 2: only when b.ndim == 1)
        gb = solve(_mT(a), _col(g))[..., 0]
        return unbroadcast(-_col(gb) * _row(ans), a), unbroadcast(gb, b)
    gb = solve(_mT(a), g)
    return unbroadcast(-matmul(gb, _mT(ans)), a), unbroadcast(gb, b)


def _solve_jvp_a(t, ans, a, b):
    if len(shape_of(b)) == 1:
        return -solve(a, matmul(t, _col(ans)))[..., 0]
    return -solve(a, matmul(t, ans))


def _solve_jvp_b(t, ans, a, b):
    if len(shape_of(b)) == 1:
        return solve(a, _col(t))[..., 0]
    return solve(a, t)


solve = defrule(
    np.linalg.solve,
    vjp=(lambda g, ans, a, b: _solve_vjp(g, ans, a, b)[0],
         lambda g, ans, a, b: _solve_vjp(g, ans, a, b)[1]),
    jvp=(_solve_jvp_a, _solve_jvp_b))


def _det_jvp(t, ans, a):
    return ans * sum_(_mT(inv(a)) * t, axis=(-2, -1))


det = defrule(
    np.linalg.det,
    vjp=lambda g, ans, a: _col(_col(g * ans)) * _mT(inv(a)),
    jvp=_det_jvp)


def _slogdet(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return sign, logabsdet


_slogdet_prim = defrule(
    _slogdet,
    vjp=lambda g, ans, a: None if g[1] is None else _col(_col(g[1])) * _mT(inv(a)),
    jvp=lambda t, ans, a: (None, sum_(_mT(inv(a)) * t, axis=(-2, -1))),
    multiple_results=True, name="numpy.linalg.slogdet")

_SlogdetResult = type(np.linalg.slogdet(np.eye(1)))
_EighResult = type(np.linalg.eigh(np.eye(1)))
_SVDResult = type(np.linalg.svd(np.eye(1)))


def slogdet(a):
    return _SlogdetResult(*_slogdet_prim(a))


def _phi(x):
    # the lower triangle with half the diagonal
    n = shape_of(x)[-1]
    return x * (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n))


def _sym(x):
    return 0.5 * (x + _mT(x))


def _cholesky_vjp(g, ans, a, upper=False):
    L = _mT(ans) if upper else ans
    g = _mT(g) if upper else g
    Linv = inv(L)
    s = matmul(matmul(_mT(Linv), _phi(matmul(_mT(L), g))), Linv)
    return _sym(s)


def _cholesky_jvp(t, ans, a, upper=False):
    L = _mT(ans) if upper else ans
    Linv = inv(L)
    dL = matmul(L, _phi(matmul(matmul(Linv, _sym(t)), _mT(Linv))))
    return _mT(dL) if upper else dL


def _cholesky(a, upper=False):
    return np.linalg.cholesky(a, upper=upper) if upper else np.linalg.cholesky(a)


cholesky = defrule(_cholesky, vjp=_cholesky_vjp, jvp=_cholesky_jvp, name="numpy.linalg.cholesky")


def _gap_inverse(w):
    """F[..., i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it."""
    diff = expand_dims(w, -2) - expand_dims(w, -1)
    eye = np.eye(shape_of(w)[-1], dtype=bool)
    return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, diff))


def _eigh(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w, v


def _eigh_vjp(g, ans, a, UPLO="L"):
    w, v = ans
    gw, gv = g
    inner = 0.0
    if gw is not None:
        inner = inner + _col(gw) * np.eye(shape_of(w)[-1])
    if gv is not None:
        inner = inner + _gap_inverse(w) * matmul(_mT(v), gv)
    return _sym(matmul(matmul(v, inner), _mT(v)))


def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans
    vtv = matmul(matmul(_mT(v), _sym(t)), v)
    dw = np.diagonal(vtv, axis1=-2, axis2=-1)
    dv = matmul(v, _gap_inverse(w) * vtv)
    return dw, dv


_eigh_prim = defrule(_eigh, vjp=_eigh_vjp, jvp=_eigh_jvp, multiple_results=True,
                     name="numpy.linalg.eigh")


def eigh(a, UPLO="L"):
    return _EighResult(*_eigh_prim(a, UPLO=UPLO))


def eigvalsh(a, UPLO="L"):
    return _eigh_prim(a, UPLO=UPLO)[0]


def _svd(a):
    return tuple(np.linalg.svd(a, full_matrices=False))


def _svd_vjp(g, ans, a):
    u, s, vh = ans
    gu, gs, gvh = g
    k = shape_of(s)[-1]
    eye = np.eye(k)
    smat = _col(s) * eye
    out = 0.0
    if gs is not None:
        out = out + matmul(matmul(u, _col(gs) * eye), vh)
    if gu is not None or gvh is not None:
        F = _gap_inverse(s * s)
        v = _mT(vh)
        inner = 0.0
        if gu is not None:
            utgu = matmul(_mT(u), gu)
            inner = inner + matmul(F * (utgu - _mT(utgu)), smat)
            proj = gu - matmul(u, utgu)                       # (I - U U^T) gU
            if shape_of(u)[-2] > k:
                out = out + matmul(proj / _row(s), vh)
        if gvh is not None:
            gv = _mT(gvh)
            vtgv = matmul(_mT(v), gv)
            inner = inner + matmul(smat, F * (vtgv - _mT(vtgv)))
            proj = gv - matmul(v, vtgv)                       # (I - V V^T) gV
            if shape_of(v)[-2] > k:
                out = out + matmul(u / _row(s), _mT(proj))
        out = out + matmul(matmul(u, inner), vh)
    return out


def _svd_jvp(t, ans, a):
    u, s, vh = ans
    v = _mT(vh)
    k = shape_of(s)[-1]
    smat = _col(s) * np.eye(k)
    dp = matmul(matmul(_mT(u), t), v)
    ds = np.diagonal(dp, axis1=-2, axis2=-1)
    F = _gap_inverse(s * s)
    du = matmul(u, F * (matmul(dp, smat) + matmul(smat, _mT(dp))))
    dv = matmul(v, F * (matmul(smat, dp) + matmul(_mT(dp), smat)))
    if shape_of(u)[-2] > k:
        du = du + (matmul(t, v) - matmul(u, matmul(_mT(u), matmul(t, v)))) / _row(s)
    if shape_of(v)[-2] > k:
        tu = matmul(_mT(t), u)
        dv = dv + (tu - matmul(v, matmul(_mT(v), tu))) / _row(s)
    return du, ds, _mT(dv)


_svd_prim = defrule(_svd, vjp=_svd_vjp, jvp=_svd_jvp, multiple_results=True,
                    name="numpy.linalg.svd")


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        return _svd_prim(a)[1]
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            "dfdx differentiates numpy.linalg.svd with full_matrices=False only: the extra "
            "columns of U or V are not unique, so they have no derivative. Call "
            "np.linalg.svd(a, full_matrices=False).")
    return _SVDResult(*_svd_prim(a))


def svdvals(x, /):
    return _svd_prim(x)[1]


def _pinv(a, rcond=None, hermitian=False, *, rtol=None):
    kw = {} if rcond is None else {"rcond": rcond}
    if rtol is not None:
        kw["rtol"] = rtol
    return np.linalg.pinv(a, hermitian=hermitian, **kw)


def _pinv_jvp(t, ans, a, *args, **kw):
    # Golub & Pereyra: the derivative of A+ where the rank is locally constant.
    p, at = ans, _mT(t)
    eye_m, eye_n = np.eye(shape_of(a)[-2]), np.eye(shape_of(a)[-1])
    return (-matmul(matmul(p, t), p)
            + matmul(matmul(matmul(p, _mT(p)), at), eye_m - matmul(a, p))
            + matmul(matmul(eye_n - matmul(p, a), at), matmul(_mT(p), p)))


def _pinv_vjp(g, ans, a, *args, **kw):
    p, gt = ans, _mT(g)
    eye_m, eye_n = np.eye(shape_of(a)[-2]), np.eye(shape_of(a)[-1])
    return (-matmul(matmul(_mT(p), g), _mT(p))
            + matmul(matmul(eye_m - matmul(a, p), gt), matmul(p, _mT(p)))
            + matmul(matmul(matmul(_mT(p), p), gt), eye_n - matmul(p, a)))


pinv = defrule(np.linalg.pinv, vjp=_pinv_vjp, jvp=_pinv_jvp, impl=_pinv)


# --- norms ---------------------------------------------------------------

def _norm2(x, axis=None, keepdims=False):
    if axis is None or isinstance(axis, int) or len(axis) <= 2:
        return np.linalg.norm(x, axis=axis, keepdims=keepdims)
    return np.sqrt(np.sum(np.real(x * np.conjugate(x)), axis=axis, keepdims=keepdims))


def _expand(r, x, axis, keepdims):
    if keepdims:
        return r
    nd = len(shape_of(x))
    axes = range(nd) if axis is None else [a % nd for a in
                                           (axis if isinstance(axis, tuple) else (axis,))]
    return reshape(r, tuple(1 if i in axes else s for i, s in enumerate(shape_of(x))))


def _safe_ratio(x, n):
    # why: the 2-norm has a kink at 0; its subgradient there is 0 (x / |x| with 0/0 -> 0).
    zero = n == 0
    return x / np.where(zero, 1.0, n) * np.where(zero, 0.0, 1.0)


def _is_complex(x):
    return np.result_type(getval(x)).kind == "c"


def _norm2_vjp(g, ans, x, axis=None, keepdims=False):
    r = _safe_ratio(x, _expand(ans, x, axis, keepdims))
    if _is_complex(x):   # d|x| = Re(conj(x/|x|) dx); cotangents are transposes (rules.ufuncs)
        return _expand(np.real(g), x, axis, keepdims) * np.conjugate(r)
    return _expand(g, x, axis, keepdims) * r


def _norm2_jvp(t, ans, x, axis=None, keepdims=False):
    r = _safe_ratio(x, _expand(ans, x, axis, keepdims))
    if _is_complex(x):
        return sum_(np.real(np.conjugate(r) * t), axis=axis, keepdims=keepdims)
    return sum_(t * r, axis=axis, keepdims=keepdims)


norm2 = defrule(_norm2, vjp=_norm2_vjp, jvp=_norm2_jvp, name="numpy.linalg.norm")


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return norm2(x, axis=axis, keepdims=keepdims)
    ax = dict(axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return amax(np.abs(x), **ax)
    if ord == -np.inf:
        return amin(np.abs(x), **ax)
    if ord == 0:
        return np.sum(getval(x) != 0, **ax).astype(np.result_type(getval(x)))
    if ord == 1:
        return sum_(np.abs(x), **ax)
    return sum_(np.abs(x) ** ord, **ax) ** (1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    r, c = axis
    if ord is None or ord == "fro":
        return norm2(x, axis=(r, c), keepdims=keepdims)
    nd = len(shape_of(x))
    r, c = r % nd, c % nd
    if ord in ("nuc", 2, -2):
        s = svdvals(moveaxis(x, (r, c), (-2, -1)))
        out = {"nuc": sum_, 2: amax, -2: amin}[ord](s, axis=-1)
        if keepdims:
            out = expand_dims(expand_dims(out, min(r, c)), max(r, c))
        return out
    if ord in (1, -1):
        inner_ax, outer_ax = r, c
    elif ord in (np.inf, -np.inf):
        inner_ax, outer_ax = c, r
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    sums = sum_(np.abs(x), axis=inner_ax, keepdims=True)
    reduce = amax if ord in (1, np.inf) else amin
    out = reduce(sums, axis=outer_ax, keepdims=True)
    if not keepdims:
        out = reshape(out, tuple(s for i, s in enumerate(shape_of(out)) if i not in (r, c)))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            return norm2(x, keepdims=keepdims)
        axis = tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if axis is None:
        out = _vector_norm(ravel(x), ord, 0, False)
        return reshape(out, (1,) * len(shape_of(x))) if keepdims else out
    return _vector_norm(x, ord, axis, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return _matrix_norm(x, ord, (-2, -1), keepdims)


UFUNCS[np.vecdot] = vecdot            # a ufunc in NumPy 2, dispatched by __array_ufunc__
for _np_fn, _impl in {
    np.dot: dot, np.einsum: einsum, np.tensordot: tensordot, np.linalg.tensordot: tensordot,
    np.vdot: vdot, np.inner: inner, np.outer: outer, np.linalg.outer: outer, np.kron: kron,
    np.linalg.vecdot: vecdot, np.linalg.matmul: matmul,
    np.matrix_transpose: matrix_transpose, np.linalg.matrix_transpose: matrix_transpose,
    np.linalg.matrix_power: matrix_power, np.linalg.multi_dot: multi_dot,
    np.linalg.slogdet: slogdet, np.linalg.cholesky: lambda a, /, *, upper=False:
        cholesky(a, upper=upper),
    np.linalg.eigh: eigh, np.linalg.eigvalsh: eigvalsh, np.linalg.svd: svd,
    np.linalg.svdvals: svdvals, np.linalg.norm: norm, np.linalg.vector_norm: vector_norm,
    np.linalg.matrix_norm: matrix_norm,
    np.linalg.trace: lambda x, /, *, offset=0, dtype=None: np.trace(x, offset, -2, -1),
    np.linalg.diagonal: lambda x, /, *, offset=0: np.diagonal(x, offset, -2, -1),
}.items():
    defcomposite(_np_fn, _impl)
