"""Linear algebra: products (matmul, dot, einsum, ...) and numpy.linalg.

Primitives: matmul, einsum (the workhorse: every other product is an einsum),
inv, solve, det (with the cofactor matrix), slogdet, cholesky, eigh, eig, svd, pinv and
the vector 2-norm.
Everything else (vdot, inner, outer, tensordot, kron, norm, matrix_power,
multi_dot, ...) is composed from them.

Conventions (every rule is the derivative of the function NumPy computes):

* Complex input: products (matmul, einsum and what is composed of them), inv,
  solve, det and slogdet follow dfdx's convention (for real-valued f of z = x + iy the
  gradient is df/dx + i df/dy); the other numpy.linalg rules raise
  UnsupportedOperation for complex input.
* eigh, eigvalsh and cholesky read one triangle of their argument (UPLO, upper):
  the other triangle gets no derivative, and directions need not be symmetric.
* Repeated eigenvalues (eigh, eig) and singular values (svd): a result that depends
  on which vectors of the repeated space NumPy returned raises
  NonDifferentiableError naming the values; one that does not (the values taken
  symmetrically, the projector onto the space, u @ vh) gets its derivative in
  reverse mode. Forward mode, which cannot see the loss, raises unless the
  direction keeps the repeated values together. eig needs distinct eigenvalues.
* svd is differentiated for ``full_matrices=False`` (or ``compute_uv=False``) only.
* pinv is differentiated where the rank is locally constant.
* det has a derivative everywhere: the cofactor matrix, computed through the SVD
  (no inverse), so singular matrices are fine; slogdet raises
  NonDifferentiableError at a singular matrix.
* The 2-norm has subgradient 0 at 0.
"""

import numpy as np

from dfdx._errors import NonDifferentiableError, UnsupportedOperation
from dfdx._numpy.box import getval
from dfdx._numpy.registry import (UFUNCS, defcomposite, defrule, shape_of, unbroadcast,
                                  unbroadcast_batched)
from dfdx.rules._util import scipy_eigh, scipy_svd


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _kind(x):
    dt = getattr(x, "dtype", None)
    return (np.result_type(x) if dt is None else np.dtype(dt)).kind


def _cj(x):
    """The complex conjugate, skipped for real values (the VJP of a complex product needs it)."""
    return np.conjugate(x) if _kind(x) == "c" else x


def _H(x):
    return _mT(_cj(x))


def _eye(n, like):
    # why: a float64 identity would upcast float32 derivatives.
    dt = getattr(like, "dtype", None)
    return np.eye(n, dtype=dt if dt is not None and np.dtype(dt).kind in "fc" else float)


def _refuse(fn, **kw):
    """Refuse keyword arguments that would change NumPy's value (never ignore them)."""
    given = sorted(k for k, v in kw.items() if v is not None)
    if given:
        raise UnsupportedOperation(
            f"dfdx differentiates {fn} without {', '.join(given)}= on traced values. Use the "
            "returned value (and .astype for a dtype) instead.")


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
    # why: batched rules: the generated form costs 1.32x / 1.41x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
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


def _pad_batched(t, nd):
    """Give a batched tangent (k, *s) the rank 1 + nd by inserting 1s after the batch axis."""
    ts = shape_of(t)
    if len(ts) - 1 >= nd:
        return t
    return np.reshape(t, (ts[0],) + (1,) * (nd - len(ts) + 1) + tuple(ts[1:]))


def _matmul_bjvp_x(t, x, y):
    # t: (k, *x.shape). The batch axis must not meet matmul's own broadcasting of
    # the stacked axes, so t is padded to the rank of the wider operand.
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1:
        if len(ys) <= 2:
            return matmul(t, y)                               # (k, m) @ (m[, p])
        t = _pad_batched(np.expand_dims(t, -2), len(ys))         # (k, 1.., 1, m)
        return matmul(t, y)[..., 0, :]
    if len(ys) == 1:
        return matmul(t, y)                                   # (k, ..., n, m) @ (m,)
    return matmul(_pad_batched(t, max(len(xs), len(ys))), y)


def _matmul_bjvp_y(t, x, y):
    # t: (k, *y.shape).
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) == 1:
        if len(xs) == 1:
            return matmul(t, x)                               # (k, m) @ (m,) -> (k,)
        if len(xs) == 2:
            return matmul(t, _mT(x))                          # (k, m) @ (m, n): one GEMM
        t = _pad_batched(np.expand_dims(t, -1), len(xs))         # (k, 1.., m, 1)
        return matmul(x, t)[..., 0]
    if len(xs) == 1:
        return matmul(x, t)                                   # (m,) @ (k, ..., m, p)
    return matmul(x, _pad_batched(t, max(len(xs), len(ys))))


def dot(a, b, out=None):
    _refuse("numpy.dot", out=out)
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


def _einsum_vjp(g, ans, subscripts, *xs, batched=False):
    ins, out = _parse_einsum(subscripts, [shape_of(x) for x in xs])
    sizes = {}
    for sub, x in zip(ins, xs):
        for c, n in zip(sub, shape_of(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    # batched (jacrev): g has a leading batch axis, which gets a letter of its own
    z = next(c for c in _LETTERS if c not in sizes) if batched else ""
    cts = [None]
    for i, x in enumerate(xs):
        # The cotangent of operand i is the einsum of g with the other operands,
        # written to operand i's subscripts. Repeated letters (a diagonal) get a
        # fresh letter tied by an identity matrix; letters summed in operand i
        # alone get a vector of ones, so that einsum broadcasts over them.
        target, extra_subs, extra_ops = "", [], []
        fresh = iter(c for c in _LETTERS if c not in sizes and c != z)
        for c in ins[i]:
            if c in target:
                d = next(fresh)
                extra_subs.append(c + d)
                extra_ops.append(_eye(sizes[c], g))
                target += d
            else:
                target += c
        others = [s for j, s in enumerate(ins) if j != i] + [z + out] + extra_subs
        for c in set(target) - set("".join(others)):
            extra_subs.append(c)
            extra_ops.append(np.ones(sizes[c] if c in sizes else 1, dtype=_eye(1, g).dtype))
            others.append(c)
        ops = [y for j, y in enumerate(xs) if j != i] + [g] + extra_ops
        ct = einsum_prim(",".join(others) + "->" + z + target, *ops)
        if batched:
            cts.append(unbroadcast_batched(ct, x) if shape_of(ct)[1:] != shape_of(x) else ct)
        else:
            cts.append(unbroadcast(ct, x) if shape_of(ct) != shape_of(x) else ct)
    return tuple(cts)


def _einsum_jvp(ts, ans, subscripts, *xs, batched=False):
    ins, out = subscripts.split("->")
    ins = ins.split(",")
    # batched (jacfwd): each tangent has a leading batch axis, with a letter of its own
    z = next(c for c in _LETTERS if c not in subscripts) if batched else ""
    res = None
    k = None
    for i, t in enumerate(ts[1:]):
        if t is not None:
            k = shape_of(t)[0] if batched else None
            sub = ",".join(z + s if j == i else s for j, s in enumerate(ins)) + "->" + z + out
            term = einsum_prim(sub, *xs[:i], t, *xs[i + 1:])
            res = term if res is None else res + term
    target = ((k,) if batched else ()) + tuple(shape_of(ans))
    if res is not None and shape_of(res) != target:
        res = np.broadcast_to(res, target)
    return res


einsum_prim = defrule(
    _einsum, vjp_all=_einsum_vjp, jvp_all=_einsum_jvp,
    # why: the batched rules are the plain ones with batched=True (one subscript more), not a
    #  second copy
    bvjp_all=lambda g, ans, subscripts, *xs: _einsum_vjp(g, ans, subscripts, *xs, batched=True),
    bjvp_all=lambda ts, ans, subscripts, *xs: _einsum_jvp(ts, ans, subscripts, *xs, batched=True),
    name="numpy.einsum")


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


def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    # optimize and order change only the speed and the memory layout, not the value
    _refuse("numpy.einsum", out=out)
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], operands[1:]
    else:
        subscripts, ops = _sublist_to_str(operands)
    if dtype is not None:
        for x in ops:
            if not np.can_cast(np.result_type(getval(x)), dtype, casting):
                raise TypeError(f"einsum: cannot cast an operand from "
                                f"{np.result_type(getval(x))} to {np.dtype(dtype)} with "
                                f"casting={casting!r} (as NumPy refuses too).")
        ops = [np.asarray(x).astype(dtype) if not hasattr(x, "astype") else x.astype(dtype)
               for x in ops]
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
    return np.sum(_cj(np.ravel(a)) * np.ravel(b))        # NumPy conjugates the first argument


def inner(a, b):
    if not shape_of(a) or not shape_of(b):
        return np.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None):
    _refuse("numpy.outer", out=out)
    return np.reshape(np.ravel(a), (-1, 1)) * np.reshape(np.ravel(b), (1, -1))


def kron(a, b):
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
    a = np.reshape(a, tuple(v for s in sa for v in (s, 1)))
    b = np.reshape(b, tuple(v for s in sb for v in (1, s)))
    return np.reshape(a * b, tuple(p * q for p, q in zip(sa, sb)))


def vecdot(x1, x2, /, *, axis=-1, **kw):
    _refuse("numpy.vecdot", **kw)
    return np.sum(_cj(x1) * x2, axis=axis)         # NumPy conjugates the first argument


def matrix_transpose(x, /):
    return _mT(x)


def matrix_power(a, n):
    if n < 0:
        a, n = inv(a), -n
    if n == 0:
        return np.broadcast_to(_eye(shape_of(a)[-1], a), shape_of(a))
    result = None
    while n:                                 # binary powering: log2(n) products
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


def multi_dot(arrays, *, out=None):
    _refuse("numpy.linalg.multi_dot", out=out)
    arrays = list(arrays)
    result = arrays[0]
    for a in arrays[1:]:
        result = dot(result, a)
    return result


# --- numpy.linalg --------------------------------------------------------

def _col(v):
    return np.expand_dims(v, -1)


def _row(v):
    return np.expand_dims(v, -2)


def _real_only(name, *xs):
    for x in xs:
        if x is not None and _kind(x) == "c":
            raise UnsupportedOperation(
                f"dfdx differentiates {name} for real input only, but got a complex "
                f"{np.dtype(x.dtype)} array. Split it into real and imaginary parts, or "
                f"estimate the derivative with dfdx.numeric.gradient.")


inv = defrule(
    np.linalg.inv,
    vjp=lambda g, ans, a: -matmul(matmul(_mT(ans), g), _mT(ans)),
    jvp=lambda t, ans, a: -matmul(matmul(ans, t), ans),
    # why: stacked: the plain rules serve batched tangents as they are; the form generated
    #  under a BatchTrace costs 1.50x / 1.44x (benchmarks/RESULTS-batching.md)
    stacked=True)


def _solve_vjp(g, ans, a, b, unbroadcast=unbroadcast):
    # unbroadcast_batched for the batched rule (g with a leading batch axis)
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
    # one rule for both cotangents: the transposed solve for b's serves a's too
    vjp_all=_solve_vjp,
    jvp=(_solve_jvp_a, _solve_jvp_b),
    # why: batched rules: the generated form costs 1.41x / 1.43x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bvjp_all=lambda g, ans, a, b: _solve_vjp(g, ans, a, b, unbroadcast_batched),
    bjvp=(lambda t, ans, a, b: _solve_jvp_a(_pad_solve(t, a, ans, b), ans, a, b),
          lambda t, ans, a, b: _solve_bjvp_b(t, ans, a, b)))


def _pad_solve(t, x, ans, b):
    # why: the batch axis of a tangent must not meet solve's broadcasting of the stacked axes
    return t if len(shape_of(b)) == 1 else _pad_batched(t, len(shape_of(ans)))


def _solve_bjvp_b(t, ans, a, b):
    if len(shape_of(b)) == 1:
        return solve(a, _pad_batched(_col(t), len(shape_of(a))))[..., 0]
    return solve(a, _pad_batched(t, len(shape_of(ans))))


# --- det: the gradient is the cofactor matrix, which exists at singular matrices too

def _prod_except(s, pairs):
    """Products of s[..., k] over k != i (pairs=False: shape (..., n)) or over k != i, j
    (pairs=True: shape (..., n, n), zero on the diagonal). No division: s may hold zeros."""
    n = shape_of(s)[-1]
    k = np.arange(n)
    if not pairs:
        return np.prod(np.where(k[:, None] != k[None, :], _row(s), 1.0), axis=-1)
    keep = (k[None, None, :] != k[:, None, None]) & (k[None, None, :] != k[None, :, None])
    c2 = np.prod(np.where(keep, np.expand_dims(_row(s), -2), 1.0), axis=-1)
    return np.where(np.eye(n, dtype=bool), 0.0, c2)


def _cofactor_value(a):
    # why: det(a) * inv(a).T fails at a singular matrix; through the SVD
    # a = U diag(s) Vh the cofactor matrix is det(U) det(Vh) U diag(prod_{k != i} s_k) Vh.
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    c = _prod_except(s, False)
    return (sign[..., None, None] * u * c[..., None, :]) @ vh


def _cofactor_lin(t, a):
    """The derivative of the cofactor matrix at `a` in direction `t` (a self-adjoint map)."""
    _real_only("numpy.linalg.det (second derivative)", a)
    try:
        u, s, vh = _svd_prim(a)
    except NonDifferentiableError as e:
        raise UnsupportedOperation(
            "dfdx computes the third and higher derivatives of numpy.linalg.det through the "
            "SVD, which does not reach a matrix whose rank is 2 or more below full. Estimate "
            "them with dfdx.numeric, or move away from the singular matrix.") from e
    sign = np.linalg.det(getval(u)) * np.linalg.det(getval(vh))   # ±1: locally constant
    e = matmul(matmul(_mT(u), t), _mT(vh))                        # t in the singular bases
    c2 = _prod_except(s, True)
    d = matmul(c2, _col(np.diagonal(e, axis1=-2, axis2=-1)))      # (..., n, 1)
    inner = d * _eye(shape_of(a)[-1], e) - c2 * _mT(e)
    return np.reshape(sign, np.shape(sign) + (1, 1)) * matmul(matmul(u, inner), vh)


_cofactor = defrule(
    _cofactor_value,
    vjp=lambda g, ans, a: _cofactor_lin(g, a), jvp=lambda t, ans, a: _cofactor_lin(t, a),
    # why: stacked: the plain rules serve batched tangents as they are; the form generated
    #  under a BatchTrace costs 1.26x / 1.25x (benchmarks/RESULTS-batching.md)
    stacked=True,
    name="numpy.linalg.det (cofactor matrix)")


def _cof(a):
    if _kind(a) == "c":
        # complex matrices: det(a) inv(a)^T, so they must be invertible
        return _col(_col(det(a))) * _mT(inv(a))
    return _cofactor(a)


def _det_vjp(g, ans, a):
    return _col(_col(g)) * _cof(a)


def _det_jvp(t, ans, a):
    return np.sum(_cof(a) * t, axis=(-2, -1))


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.33x / 1.35x (benchmarks/RESULTS-batching.md)
det = defrule(np.linalg.det, vjp=_det_vjp, jvp=_det_jvp, stacked=True)


def _slogdet(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return sign, logabsdet


def _inv_nonsingular(ans, a):
    if np.any(getval(ans[0]) == 0):
        raise NonDifferentiableError(
            "numpy.linalg.slogdet: the matrix is singular, so log|det| is -inf and has no "
            "derivative there. Use np.linalg.det (whose derivative, the cofactor matrix, "
            "exists everywhere), or regularise the matrix (a + eps * I).")
    return _mT(inv(a))


# d log det = h = sum(inv(a).T * da). Real a: sign is constant, d logabsdet = h. Complex a:
# d logabsdet = Re h and d sign = sign * i Im h; cotangents are transposes (rules.ufuncs),
# so the VJP of both is inv(a).T * (Re g1 + i Im(sign g0)).

def _slogdet_vjp(g, ans, a):
    g0, g1 = g
    if _kind(a) != "c":
        return None if g1 is None else _col(_col(g1)) * _inv_nonsingular(ans, a)
    c = 0.0 if g1 is None else np.real(g1)
    if g0 is not None:
        c = c + 1j * np.imag(ans[0] * g0)
    return _col(_col(c)) * _inv_nonsingular(ans, a)


def _slogdet_jvp(t, ans, a):
    h = np.sum(_inv_nonsingular(ans, a) * t, axis=(-2, -1))
    if _kind(a) != "c" and _kind(t) != "c":
        return None, h
    return ans[0] * 1j * np.imag(h), np.real(h)


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.47x / 1.50x (benchmarks/RESULTS-batching.md)
_slogdet_prim = defrule(_slogdet, vjp=_slogdet_vjp, jvp=_slogdet_jvp, stacked=True,
                         multiple_results=True, name="numpy.linalg.slogdet")

_SlogdetResult = type(np.linalg.slogdet(np.eye(1)))
_EighResult = type(np.linalg.eigh(np.eye(1)))
_SVDResult = type(np.linalg.svd(np.eye(1)))
_EigResult = type(np.linalg.eig(np.eye(1)))


def slogdet(a):
    return _SlogdetResult(*_slogdet_prim(a))


# --- one triangle: what eigh, eigvalsh and cholesky read ---------------------

def _triangles(n, lower):
    keep = np.tril(np.ones((n, n), dtype=bool)) if lower else np.triu(np.ones((n, n), dtype=bool))
    return keep, keep & ~np.eye(n, dtype=bool)


def _read(t, lower):
    """The symmetric matrix NumPy actually works on: one triangle of `t`, mirrored."""
    keep, strict = _triangles(shape_of(t)[-1], lower)
    return np.where(keep, t, 0.0) + _mT(np.where(strict, t, 0.0))


def _read_adjoint(g, lower):
    """The adjoint of `_read`: entries of the unread triangle get no cotangent."""
    keep, strict = _triangles(shape_of(g)[-1], lower)
    return np.where(keep, g, 0.0) + np.where(strict, _mT(g), 0.0)


def _phi(x):
    # the lower triangle with half the diagonal
    n = shape_of(x)[-1]
    keep, strict = _triangles(n, True)
    return np.where(strict, x, 0.0) + 0.5 * np.where(np.eye(n, dtype=bool), x, 0.0)


def _cholesky_vjp(g, ans, a, upper=False):
    _real_only("numpy.linalg.cholesky", a)
    L = _mT(ans) if upper else ans
    g = _mT(g) if upper else g
    Linv = inv(L)
    s = matmul(matmul(_mT(Linv), _phi(matmul(_mT(L), g))), Linv)
    return _read_adjoint(s, not upper)


def _cholesky_jvp(t, ans, a, upper=False):
    _real_only("numpy.linalg.cholesky", a)
    L = _mT(ans) if upper else ans
    Linv = inv(L)
    dL = matmul(L, _phi(matmul(matmul(Linv, _read(t, not upper)), _mT(Linv))))
    return _mT(dL) if upper else dL


def _cholesky(a, upper=False):
    if type(a).__module__.startswith("dask."):
        # why: dask.array answers np.linalg.cholesky with the upper factor (its own
        # default); NumPy's convention is the lower one
        r = np.linalg.cholesky(a)
        return r if upper else np.swapaxes(r, -1, -2)
    return np.linalg.cholesky(a, upper=upper) if upper else np.linalg.cholesky(a)


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.63x / 1.48x (benchmarks/RESULTS-batching.md)
cholesky = defrule(_cholesky, vjp=_cholesky_vjp, jvp=_cholesky_jvp, stacked=True,
                    name="numpy.linalg.cholesky")


# --- repeated eigenvalues / singular values ----------------------------------
# The vectors of a repeated value are any rotation of NumPy's within their space,
# so a loss that depends on which was chosen has no derivative. One that does not
# (the values symmetrically, the projector onto the space) contributes nothing
# within the block, and there the rules leave out the division by the zero gap.

def _degenerate(w):
    """Plain boolean (..., n, n): the pairs i != j of numerically equal (real or complex) values."""
    w = np.asarray(getval(w))
    n = w.shape[-1]
    eps = np.finfo(w.dtype).eps
    scale = np.max(np.abs(w), axis=-1, keepdims=True)[..., None]
    # why: LAPACK's eigenvalues are accurate to a few eps * |A|; a gap below that is noise
    close = np.abs(w[..., None, :] - w[..., :, None]) <= 32 * max(1.0, np.sqrt(n)) * eps * scale
    return close & ~np.eye(n, dtype=bool)


def _inv_gap(d, skip):
    """1 / d, with 0 on the diagonal and where `skip` (a plain boolean array) holds."""
    zero = skip | np.eye(shape_of(d)[-1], dtype=bool)
    return np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, d))


def _repeated(w, close):
    w = np.asarray(getval(w))
    vals = w[np.broadcast_to(close.any(axis=-1), w.shape)]
    return ", ".join(f"{v:.6g}" for v in np.unique(np.round(vals, 12))[:6])


def _require_zero(parts, close, scale, name, what, w):
    """Raise NonDifferentiableError when a part is not ~0 on the degenerate pairs.

    `close` marks the pairs (or, for singular values 0 of a non-square matrix,
    the columns) where a division by zero was left out; `scale` the cotangents or
    tangents whose size sets the tolerance.
    """
    if not close.any():
        return
    scale = max(float(np.max(np.abs(getval(s)))) if s is not None else 0.0 for s in scale)
    tol = np.sqrt(np.finfo(np.asarray(getval(w)).dtype).eps) * max(scale, 1e-300)
    for p in parts:
        if p is None:
            continue
        p = np.abs(np.asarray(getval(p)))
        if np.any(np.where(close, p, 0.0) > tol):
            if close.shape[-2:] == (shape_of(w)[-1],) * 2:
                what = f"{what} {_repeated(w, close)} are repeated"
            if "forward mode" in name:
                raise NonDifferentiableError(
                    f"{name}: the {what}, and this direction splits or rotates their space, "
                    "so the values and vectors have no derivative in it (forward mode cannot "
                    "see whether the loss is invariant within the space). For a loss that "
                    "depends on the space only, take first derivatives in reverse mode "
                    "(grad, jacrev); dfdx does not compute second derivatives at repeated "
                    "values. Or move away from the repeated values.")
            raise NonDifferentiableError(
                f"{name}: the derivative does not exist here: the {what}, and the result "
                "depends on which vectors of their space NumPy returned (any rotation of "
                "them is as valid). Use a loss that depends on the space only (the values "
                "symmetrically, or the projector onto the space) in reverse mode, or move "
                "away from the repeated values.")


def _pair_diff(x):
    """x[..., j] - x[..., i] as (..., i, j), for a per-value quantity."""
    return _row(x) - _col(x)


# --- eigh ------------------------------------------------------------------

def _eigh(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w, v


def _eigh_vjp(g, ans, a, UPLO="L"):
    _real_only("numpy.linalg.eigh", a)
    w, v = ans
    gw, gv = g
    close = _degenerate(w)
    inner = None
    if gw is not None:
        _require_zero([_pair_diff(gw)], close, [gw], "numpy.linalg.eigh", "eigenvalues", w)
        inner = _col(gw) * _eye(shape_of(w)[-1], w)
    if gv is not None:
        x = matmul(_mT(v), gv)
        _require_zero([x - _mT(x)], close, [gv], "numpy.linalg.eigh", "eigenvalues", w)
        term = _inv_gap(_pair_diff(w), close) * x
        inner = term if inner is None else inner + term
    if inner is None:
        return None
    return _read_adjoint(matmul(matmul(v, inner), _mT(v)), UPLO.upper() == "L")


def _eigh_jvp(t, ans, a, UPLO="L"):
    _real_only("numpy.linalg.eigh", a)
    w, v = ans
    p = matmul(matmul(_mT(v), _read(t, UPLO.upper() == "L")), v)
    dw = np.diagonal(p, axis1=-2, axis2=-1)
    close = _degenerate(w)
    # why: forward mode cannot see whether the loss is invariant within a repeated
    # eigenspace, so it needs a direction that does not split it (p = c I there).
    _require_zero([p, _pair_diff(dw)], close, [t], "numpy.linalg.eigh (forward mode)",
                  "eigenvalues", w)
    dv = matmul(v, _inv_gap(_pair_diff(w), close) * p)
    return dw, dv


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.82x / 1.52x (benchmarks/RESULTS-batching.md)
_eigh_prim = defrule(_eigh, vjp=_eigh_vjp, jvp=_eigh_jvp, stacked=True,
                     multiple_results=True, name="numpy.linalg.eigh")


def eigh(a, UPLO="L"):
    return _EighResult(*_eigh_prim(a, UPLO=UPLO))


def eigvalsh(a, UPLO="L"):
    return _eigh_prim(a, UPLO=UPLO)[0]


# --- svd -------------------------------------------------------------------

def _svd(a):
    return tuple(np.linalg.svd(a, full_matrices=False))


def _svd_masks(s):
    s0 = np.asarray(getval(s))
    close = _degenerate(s0)
    zero = s0 <= 64 * s0.shape[-1] * np.finfo(s0.dtype).eps * np.max(s0, -1, keepdims=True)
    both_zero = close & zero[..., :, None] & zero[..., None, :]
    return close, zero, both_zero


def _svd_vjp(g, ans, a):
    _real_only("numpy.linalg.svd", a)
    u, s, vh = ans
    gu, gs, gvh = g
    m, n = shape_of(a)[-2:]
    k = shape_of(s)[-1]
    close, zero, both_zero = _svd_masks(s)
    name = "numpy.linalg.svd"
    out = None
    if gs is not None:
        _require_zero([_pair_diff(gs)], close, [gs], name, "singular values", s)
        out = matmul(u * _row(gs), vh)
    if gu is None and gvh is None:
        return out
    v = _mT(vh)
    gv = None if gvh is None else _mT(gvh)
    j = kk = utgu = vtgv = None
    if gu is not None:
        utgu = matmul(_mT(u), gu)
        j = utgu - _mT(utgu)
    if gv is not None:
        vtgv = matmul(_mT(v), gv)
        kk = vtgv - _mT(vtgv)
    plus = j if kk is None else kk if j is None else j + kk
    minus = j if kk is None else -kk if j is None else j - kk
    # why: split 1/(s_j^2 - s_i^2) into 1/(s_j - s_i) and 1/(s_j + s_i), so that a
    # repeated nonzero value divides by zero only in the part that must vanish.
    _require_zero([plus], close, [gu, gv], name, "singular values", s)
    _require_zero([minus], both_zero, [gu, gv], name, "singular values", s)
    inner = 0.5 * (_inv_gap(_pair_diff(s), close) * plus
                   + _inv_gap(_row(s) + _col(s), both_zero) * minus)
    term = matmul(matmul(u, inner), vh)
    out = term if out is None else out + term
    inv_s = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, s))
    zero_pairs = np.broadcast_to(zero[..., None, :], zero.shape[:-1] + (max(m, n), k))
    if gu is not None and m > k:
        proj = gu - matmul(u, utgu)                        # (I - U U^T) gU
        _require_zero([proj], zero_pairs[..., :m, :], [gu], name,
                      "singular value 0 of a non-square matrix has no unique vector", s)
        out = out + matmul(proj * _row(inv_s), vh)
    if gv is not None and n > k:
        proj = gv - matmul(v, vtgv)                        # (I - V V^T) gV
        _require_zero([proj], zero_pairs[..., :n, :], [gv], name,
                      "singular value 0 of a non-square matrix has no unique vector", s)
        out = out + matmul(u * _row(inv_s), _mT(proj))
    return out


def _svd_jvp(t, ans, a):
    _real_only("numpy.linalg.svd", a)
    u, s, vh = ans
    v = _mT(vh)
    m, n = shape_of(a)[-2:]
    k = shape_of(s)[-1]
    close, zero, both_zero = _svd_masks(s)
    dp = matmul(matmul(_mT(u), t), v)
    ds = np.diagonal(dp, axis1=-2, axis2=-1)
    sym = 0.5 * (dp + _mT(dp))
    anti = 0.5 * (dp - _mT(dp))
    # why: forward mode cannot see whether the loss is invariant within a repeated
    # singular space, so the direction must not rotate or split it.
    _require_zero([dp, _pair_diff(ds)], close, [t], "numpy.linalg.svd (forward mode)",
                  "singular values", s)
    fm = _inv_gap(_pair_diff(s), close)
    fp = _inv_gap(_row(s) + _col(s), both_zero)
    du = matmul(u, fm * sym + fp * anti)
    dv = matmul(v, fm * sym - fp * anti)
    inv_s = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, s))
    zero_pairs = np.broadcast_to(zero[..., None, :], zero.shape[:-1] + (max(m, n), k))
    if m > k:
        tv = matmul(t, v)
        extra = tv - matmul(u, matmul(_mT(u), tv))
        _require_zero([extra], zero_pairs[..., :m, :], [t], "numpy.linalg.svd (forward mode)",
                      "singular value 0 of a non-square matrix has no unique vector", s)
        du = du + extra * _row(inv_s)
    if n > k:
        tu = matmul(_mT(t), u)
        extra = tu - matmul(v, matmul(_mT(v), tu))
        _require_zero([extra], zero_pairs[..., :n, :], [t], "numpy.linalg.svd (forward mode)",
                      "singular value 0 of a non-square matrix has no unique vector", s)
        dv = dv + extra * _row(inv_s)
    return du, ds, _mT(dv)


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.71x / 1.49x (benchmarks/RESULTS-batching.md)
_svd_prim = defrule(_svd, vjp=_svd_vjp, jvp=_svd_jvp, stacked=True,
                    multiple_results=True, name="numpy.linalg.svd")


def _svd_hermitian(a, compute_uv):
    # why: NumPy computes a hermitian SVD from eigh, which reads the lower triangle only;
    # the same steps here give the derivative of that function.
    if not compute_uv:
        return np.sort(np.abs(eigvalsh(a)), axis=-1)[..., ::-1]
    w, u = eigh(a)
    order = np.argsort(np.abs(getval(w)), axis=-1)[..., ::-1]
    sign = np.sign(np.take_along_axis(getval(w), order, axis=-1))
    s = np.take_along_axis(np.abs(w), order, axis=-1)
    u = np.take_along_axis(u, order[..., None, :], axis=-1)
    return _SVDResult(u, s, _mT(u * sign[..., None, :]))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        _real_only("numpy.linalg.svd", a)
        return _svd_hermitian(a, compute_uv)
    if not compute_uv:
        return _svd_prim(a)[1]
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise UnsupportedOperation(
            "dfdx differentiates numpy.linalg.svd with full_matrices=False only: the extra "
            "columns of U or V are not unique, so they have no derivative. Call "
            "np.linalg.svd(a, full_matrices=False).")
    return _SVDResult(*_svd_prim(a))


def svdvals(x, /):
    return _svd_prim(x)[1]


# --- eig (general matrices: complex eigenvalues) -----------------------------

def _eig(a):
    w, v = np.linalg.eig(a)
    return w, v


def _eig_check(a, w):
    _real_only("numpy.linalg.eig", a)
    close = _degenerate(w)
    if close.any():
        raise NonDifferentiableError(
            f"numpy.linalg.eig: the eigenvalues {_repeated(w, close)} are repeated; dfdx "
            "differentiates eig at distinct eigenvalues only (at a repeated one the "
            "eigenvalues themselves need not be differentiable). For a symmetric matrix use "
            "np.linalg.eigh.")
    return close


def _eig_pivot(v):
    """One-hot (..., n, n) at the largest component of each eigenvector, which LAPACK makes real."""
    v0 = np.abs(np.asarray(getval(v)))
    n = v0.shape[-2]
    # a boolean mask keeps the dtype of what it multiplies (complex64 stays complex64)
    return np.arange(n)[:, None] == np.argmax(v0, axis=-2)[..., None, :]


def _eig_jvp(t, ans, a):
    w, v = ans
    close = _eig_check(a, w)
    vinv = inv(v)
    p = matmul(matmul(vinv, t), v)
    dw = np.diagonal(p, axis1=-2, axis2=-1)
    dv = matmul(v, _inv_gap(_pair_diff(w), close) * p)
    if _kind(v) == "c":
        # why: NumPy's eigenvectors have unit norm and their largest component real;
        # the derivative keeps both (a real shift along v and a phase).
        onehot = _eig_pivot(v)
        re = np.real(np.sum(_cj(v) * dv, axis=-2))
        pivot_dv = np.sum(onehot * dv, axis=-2)
        pivot_v = np.sum(onehot * v, axis=-2)
        dv = dv - _row(re + 1j * np.imag(pivot_dv) / np.real(pivot_v)) * v
    else:
        dv = dv - _row(np.sum(v * dv, axis=-2)) * v
    return dw, dv


def _eig_vjp(g, ans, a):
    w, v = ans
    # why: this rule is written for conjugate cotangents (the gradient itself); the engine's
    # cotangents are transposes (rules.ufuncs), their conjugates. Its input is real.
    gw, gv = (None if c is None else _cj(c) for c in g)
    close = _eig_check(a, w)
    n = shape_of(w)[-1]
    y = None
    if gv is not None:
        if _kind(v) == "c":
            onehot = _eig_pivot(v)
            c = np.sum(_cj(gv) * v, axis=-2)                 # gv_k^H v_k
            pivot_v = np.sum(onehot * v, axis=-2)
            gv = gv - _row(np.real(c)) * v - 1j * _row(-np.imag(c) / np.real(pivot_v)) * onehot
        else:
            gv = gv - _row(np.sum(gv * v, axis=-2)) * v
        y = _cj(_inv_gap(_pair_diff(w), close)) * matmul(_H(v), gv)
    if gw is not None:
        term = _col(gw) * _eye(n, gw)
        y = term if y is None else y + term
    if y is None:
        return None
    out = _mT(matmul(matmul(v, _H(y)), inv(v)))
    return np.real(out) if _kind(out) == "c" else out


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.58x / 1.19x (benchmarks/RESULTS-batching.md)
_eig_prim = defrule(_eig, vjp=_eig_vjp, jvp=_eig_jvp, stacked=True,
                    multiple_results=True, name="numpy.linalg.eig")


def eig(a):
    return _EigResult(*_eig_prim(a))


def eigvals(a):
    return _eig_prim(a)[0]


# --- pinv ------------------------------------------------------------------

def _pinv(a, rcond=None, hermitian=False, *, rtol=None):
    kw = {} if rcond is None else {"rcond": rcond}
    if rtol is not None:
        kw["rtol"] = rtol
    return np.linalg.pinv(a, hermitian=hermitian, **kw)


def _hermitian(args, kw):
    return kw.get("hermitian", args[1] if len(args) > 1 else False)


def _pinv_jvp(t, ans, a, *args, **kw):
    # Golub & Pereyra: the derivative of A+ where the rank is locally constant.
    _real_only("numpy.linalg.pinv", a)
    if _hermitian(args, kw):     # NumPy reads the lower triangle only (through eigh)
        a, t = _read(a, True), _read(t, True)
    p, at = ans, _mT(t)
    eye_m, eye_n = _eye(shape_of(a)[-2], p), _eye(shape_of(a)[-1], p)
    return (-matmul(matmul(p, t), p)
            + matmul(matmul(matmul(p, _mT(p)), at), eye_m - matmul(a, p))
            + matmul(matmul(eye_n - matmul(p, a), at), matmul(_mT(p), p)))


def _pinv_vjp(g, ans, a, *args, **kw):
    _real_only("numpy.linalg.pinv", a)
    hermitian = _hermitian(args, kw)
    if hermitian:
        a = _read(a, True)
    p, gt = ans, _mT(g)
    eye_m, eye_n = _eye(shape_of(a)[-2], p), _eye(shape_of(a)[-1], p)
    ct = (-matmul(matmul(_mT(p), g), _mT(p))
          + matmul(matmul(eye_m - matmul(a, p), gt), matmul(p, _mT(p)))
          + matmul(matmul(matmul(_mT(p), p), gt), eye_n - matmul(p, a)))
    return _read_adjoint(ct, True) if hermitian else ct


# why: stacked: the plain rules serve batched tangents as they are; the form generated
#  under a BatchTrace costs 1.47x / 1.55x (benchmarks/RESULTS-batching.md)
pinv = defrule(np.linalg.pinv, vjp=_pinv_vjp, jvp=_pinv_jvp, stacked=True,
               impl=_pinv)


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
    return np.reshape(r, tuple(1 if i in axes else s for i, s in enumerate(shape_of(x))))


def _safe_ratio(x, n):
    # why: the 2-norm has a kink at 0; its subgradient there is 0 (x / |x| with 0/0 -> 0).
    zero = n == 0
    return np.where(zero, 0.0, x / np.where(zero, 1.0, n))


def _norm2_vjp(g, ans, x, axis=None, keepdims=False):
    r = _safe_ratio(x, _expand(ans, x, axis, keepdims))
    if _kind(x) == "c":   # d|x| = Re(conj(x/|x|) dx); cotangents are transposes (rules.ufuncs)
        return _expand(np.real(g), x, axis, keepdims) * np.conjugate(r)
    return _expand(g, x, axis, keepdims) * r


def _norm2_jvp(t, ans, x, axis=None, keepdims=False):
    r = _safe_ratio(x, _expand(ans, x, axis, keepdims))
    # the norm is real: for complex x its derivative is Re(conj(x) t) / |x|
    tr = np.real(_cj(r) * t) if _kind(x) == "c" or _kind(t) == "c" else t * r
    return np.sum(tr, axis=axis, keepdims=keepdims)


norm2 = defrule(_norm2, vjp=_norm2_vjp, jvp=_norm2_jvp, name="numpy.linalg.norm")


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return norm2(x, axis=axis, keepdims=keepdims)
    ax = dict(axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return np.max(np.abs(x), **ax)
    if ord == -np.inf:
        return np.min(np.abs(x), **ax)
    if ord == 0:
        return np.sum(getval(x) != 0, **ax).astype(np.result_type(getval(x)))
    if ord == 1:
        return np.sum(np.abs(x), **ax)
    return np.sum(np.abs(x) ** ord, **ax) ** (1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    r, c = axis
    if ord is None or ord == "fro":
        return norm2(x, axis=(r, c), keepdims=keepdims)
    nd = len(shape_of(x))
    r, c = r % nd, c % nd
    if ord in ("nuc", 2, -2):
        s = svdvals(np.moveaxis(x, (r, c), (-2, -1)))
        out = {"nuc": np.sum, 2: np.max, -2: np.min}[ord](s, axis=-1)
        if keepdims:
            out = np.expand_dims(np.expand_dims(out, min(r, c)), max(r, c))
        return out
    if ord in (1, -1):
        inner_ax, outer_ax = r, c
    elif ord in (np.inf, -np.inf):
        inner_ax, outer_ax = c, r
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    sums = np.sum(np.abs(x), axis=inner_ax, keepdims=True)
    reduce = np.max if ord in (1, np.inf) else np.min
    out = reduce(sums, axis=outer_ax, keepdims=True)
    if not keepdims:
        out = np.reshape(out, tuple(s for i, s in enumerate(shape_of(out)) if i not in (r, c)))
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
        out = _vector_norm(np.ravel(x), ord, 0, False)
        return np.reshape(out, (1,) * len(shape_of(x))) if keepdims else out
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
    np.linalg.eigh: eigh, np.linalg.eigvalsh: eigvalsh, np.linalg.eig: eig,
    np.linalg.eigvals: eigvals, np.linalg.svd: svd,
    np.linalg.svdvals: svdvals, np.linalg.norm: norm, np.linalg.vector_norm: vector_norm,
    np.linalg.matrix_norm: matrix_norm,
    np.linalg.trace: lambda x, /, *, offset=0, dtype=None: np.trace(x, offset, -2, -1, dtype),
    np.linalg.diagonal: lambda x, /, *, offset=0: np.diagonal(x, offset, -2, -1),
}.items():
    defcomposite(_np_fn, _impl)


# --- SciPy's eigh and svd (primitives of dfdx.rules._util, used by dfdx.rules.scipy_linalg):
# SciPy's values, the rules above

def _drop_kw(rule, *names):
    return lambda g, ans, a, **kw: rule(g, ans, a, **{k: v for k, v in kw.items()
                                                     if k not in names})


scipy_eigh.defvjp(_drop_kw(_eigh_vjp, "driver")).defjvp(_drop_kw(_eigh_jvp, "driver"))
scipy_svd.defvjp(_drop_kw(_svd_vjp, "lapack_driver")).defjvp(_drop_kw(_svd_jvp, "lapack_driver"))
