"""Sample calls for every callable in the rules tables (dfdx._numpy.registry).

`SAMPLES` maps each registered callable (a NumPy / SciPy function or ufunc,
or the private function a primitive is registered under) to a list of
`Sample`s: a function of the differentiable arguments and the arguments. The
generic checker in test_rules.py runs `dfdx.check_grad` on each; the meta-test
there fails when a registered callable has no entry here.

Arguments are small and lie inside each function's domain, away from kinks
and jumps (kinks and ties are tested in test_engine.py). `QUERIES` lists
the registered callables that return no array at all (shapes, dtypes).
`ZERO_RULE_BUG` says whether the engine bug reported to the lead is present.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import scipy.special as sp

import dfdx
from dfdx._numpy.box import _astype, _getitem
from dfdx.rules import linalg, reductions, shape, sorting, special, ufuncs


class Sample(NamedTuple):
    fn: Callable
    args: tuple
    label: str = ""


_rng = np.random.default_rng(20261126)


def normal(*shape, dtype=np.float64):
    return _rng.standard_normal(shape).astype(dtype)[()] if shape else \
        np.asarray(_rng.standard_normal(), dtype=dtype)


def uniform(lo, hi, *shape):
    return np.asarray(_rng.uniform(lo, hi, shape))


def spd_input(n=3):
    """A matrix `a` such that a @ a.T + I is well conditioned with distinct eigenvalues."""
    return normal(n, n)


def _sym(a):
    return a @ np.swapaxes(a, -1, -2) + np.eye(np.shape(a)[-1])


def _fix_signs(u, *others):
    """Fix the sign of each singular / eigen vector (a constant), so the sample is smooth."""
    s = np.sign(dfdx.stop_gradient(u)[..., :1, :])
    return (u * s, *(o * np.swapaxes(s, -1, -2) for o in others))


def _engine_zero_rule_bug():
    # The engine bug reported to the lead: a zero-derivative primitive (np.sign,
    # np.isfinite, np.ones_like, ...) called on a reverse-traced value raises
    # instead of returning a plain value. It breaks the second derivatives of
    # abs, sqrt, log, power, ... (their rules call those functions).
    try:
        dfdx.grad(lambda x: np.sum(np.sign(x) * x))(np.ones(2))
    except dfdx.UnsupportedOperation:
        return True
    return False


ZERO_RULE_BUG = _engine_zero_rule_bug()


SAMPLES: dict = {}
#: Registered callables that return shapes / dtypes / flags, never arrays.
QUERIES = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj}


def add(key, fn, *args, label=""):
    SAMPLES.setdefault(key, []).append(Sample(fn, tuple(args), label))


# --- elementwise ------------------------------------------------------------

_DOMAIN = {
    np.sqrt: (0.5, 2), np.log: (0.5, 2), np.log2: (0.5, 2), np.log10: (0.5, 2),
    np.log1p: (-0.5, 2), np.reciprocal: (0.5, 2), np.cbrt: (0.5, 2),
    np.arcsin: (-0.8, 0.8), np.arccos: (-0.8, 0.8), np.arctanh: (-0.8, 0.8),
    np.arccosh: (1.5, 3), np.tan: (-1.2, 1.2),
    sp.logit: (0.1, 0.9), sp.erfinv: (-0.8, 0.8), sp.erfcinv: (0.2, 1.8),
    sp.ndtri: (0.1, 0.9), sp.gamma: (0.5, 3), sp.gammaln: (0.5, 3), sp.digamma: (0.5, 3),
    sp.entr: (0.5, 2),
}
_BINARY_DOMAIN = {
    np.true_divide: ((-2, 2), (0.5, 2)),
    np.power: ((0.5, 2), (-2, 2)), np.float_power: ((0.5, 2), (-2, 2)),
    np.remainder: ((0.2, 0.8), (1.5, 2)), np.fmod: ((0.2, 0.8), (1.5, 2)),
    sp.xlogy: ((-2, 2), (0.5, 2)), sp.xlog1py: ((-2, 2), (0.5, 2)),
}


def _elementwise_samples(fn, nin):
    if nin == 1:
        lo, hi = _DOMAIN.get(fn, (-2, 2))
        add(fn, fn, uniform(lo, hi, 2, 3), label="(2,3)")
        add(fn, fn, uniform(lo, hi), label="0-d")
    else:
        (a, b), (c, d) = _BINARY_DOMAIN.get(fn, ((-2, 2), (-2, 2)))
        add(fn, fn, uniform(a, b, 2, 3), uniform(c, d, 3), label="(2,3) with (3,)")
        add(fn, fn, uniform(a, b), uniform(c, d, 2), label="0-d with (2,)")


for _fn in [*ufuncs.ELEMENTWISE, *ufuncs.GUARDED, *special.SPECIAL, *special.SPECIAL_GUARDED]:
    _elementwise_samples(_fn, getattr(_fn, "nin", 1))

add(np.power, lambda x: np.power(x, 3), uniform(-2, -0.5, 3), label="negative base, x**3")
add(np.power, lambda x: x ** -2, uniform(-2, -0.5, 3), label="negative base, x**-2")
add(np.power, lambda x: 2.0 ** x, normal(3), label="constant base")
add(np.float_power, lambda x: np.float_power(x, 2), uniform(-2, -0.5, 3), label="negative base")
add(np.exp, np.exp, normal(2, 3, dtype=np.float32), label="float32")
add(np.multiply, np.multiply, normal(2, 3, dtype=np.float32), normal(3, dtype=np.float32),
    label="float32")
add(np.matmul, np.matmul, normal(2, 3), normal(3, 4), label="matrix @ matrix")
add(np.matmul, np.matmul, normal(3), normal(2, 3, 4), label="vector @ batch")
add(np.matmul, np.matmul, normal(2, 2, 3), normal(3), label="batch @ vector")
add(np.matmul, np.matmul, normal(3), normal(3), label="vector @ vector")
add(np.matmul, np.matmul, normal(1, 2, 3), normal(4, 3, 2), label="broadcast batch")
add(np.matmul, np.matmul, normal(2, 3, dtype=np.float32), normal(3, 2, dtype=np.float32),
    label="float32")

# Derivative zero wherever it exists: samples check that traced inputs give plain outputs.
for _fn in ufuncs.NONDIFFERENTIABLE:
    if _fn.nin == 1:
        add(_fn, _fn, normal(2, 3))
    else:
        add(_fn, _fn, normal(2, 3), normal(3))

_mask = np.array([[True, False, True], [False, True, True]])
add(np.where, lambda x, y: np.where(_mask, x, y), normal(2, 3), normal(3))
add(ufuncs._where_impl, lambda x: np.where(x > 0, x ** 2, 0.0), normal(4))
add(np.clip, lambda x: np.clip(x, -0.5, 0.5), normal(2, 3))
add(ufuncs._clip_impl, lambda x, lo, hi: np.clip(x, lo, hi), uniform(-2, 2, 2, 3),
    uniform(-1.5, -0.8, 3), uniform(0.8, 1.5))

# --- reductions -------------------------------------------------------------

_x23 = normal(2, 3)
for _fn, _key in [(np.sum, reductions._sum), (np.mean, reductions._mean),
                  (np.prod, reductions._prod), (np.max, reductions._max),
                  (np.min, reductions._min)]:
    add(_fn, _fn, normal(2, 3), label="all axes")
    add(_fn, lambda x, _f=_fn: _f(x, axis=1, keepdims=True), normal(2, 3), label="axis=1 keepdims")
    add(_key, lambda x, _f=_fn: _f(x, axis=(0, 2)), normal(2, 3, 2), label="axis=(0, 2)")
    add(_key, _fn, normal(), label="0-d")
add(np.amax, lambda x: np.amax(x, axis=0), normal(3, 2))
add(np.amin, lambda x: np.amin(x, axis=-1), normal(3, 2))
add(np.sum, lambda x: np.sum(x, axis=0), normal(3, dtype=np.float32), label="float32")
add(np.prod, lambda x: np.prod(x, axis=1), np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]]),
    label="with zeros")
for _fn, _key in [(np.cumsum, reductions._cumsum), (np.cumprod, reductions._cumprod)]:
    add(_fn, _fn, normal(2, 3), label="flattened")
    add(_key, lambda x, _f=_fn: _f(x, axis=1), normal(2, 3), label="axis=1")
add(np.cumprod, lambda x: np.cumprod(x, axis=0), np.array([[1.5, 0.0], [0.0, 2.0], [3.0, 0.5]]),
    label="with zeros")
add(np.var, np.var, normal(2, 3))
add(np.var, lambda x: np.var(x, axis=0, ddof=1), normal(3, 2), label="ddof=1")
add(np.std, lambda x: np.std(x, axis=1, keepdims=True), normal(2, 3))
add(np.std, lambda x: np.std(x, ddof=1), normal(4), label="ddof=1")
add(np.average, np.average, normal(2, 3))
add(np.average, lambda x, w: np.average(x, axis=1, weights=w), normal(2, 3), uniform(0.5, 2, 3),
    label="weights")

# --- shape and indexing -----------------------------------------------------

add(np.reshape, lambda x: np.reshape(x, (3, 2)), normal(2, 3))
add(shape._reshape, lambda x: x.reshape(-1), normal(2, 3))
add(np.transpose, np.transpose, normal(2, 3, 4))
add(shape._transpose, lambda x: np.transpose(x, (1, 2, 0)), normal(2, 3, 4))
add(np.broadcast_to, lambda x: np.broadcast_to(x, (2, 3)), normal(3))
add(np.broadcast_to, lambda x: np.broadcast_to(x, (2, 3)), normal(), label="0-d")
add(_getitem, lambda x: x[1:, ::2], normal(3, 4), label="basic")
add(_getitem, lambda x: x[[0, 2, 0]], normal(3, 2), label="fancy, repeated")
add(_getitem, lambda x: x[x > 0], normal(3, 2), label="boolean")
add(_getitem, lambda x: x[None, ..., 1], normal(2, 3), label="newaxis, ellipsis")
add(shape._untake, lambda x: shape.untake(x, ([0, 2, 0],), (4,)), normal(3))
add(np.concatenate, lambda x, y: np.concatenate([x, y], axis=1), normal(2, 1), normal(2, 3))
add(np.concatenate, lambda x, y: np.concatenate([x, y], axis=None), normal(2, 1), normal(3))
add(shape._concatenate, lambda x: np.concatenate([x, 2 * x]), normal(2))
add(np.flip, np.flip, normal(2, 3))
add(np.flip, lambda x: np.flip(x, 1), normal(2, 3))
add(np.roll, lambda x: np.roll(x, 2), normal(2, 3))
add(np.roll, lambda x: np.roll(x, (1, -1), axis=(0, 1)), normal(2, 3))
add(np.pad, lambda x: np.pad(x, ((1, 0), (2, 1))), normal(2, 3))
add(np.pad, lambda x: np.pad(x, 1, constant_values=2.0), normal(2))
add(_astype, lambda x: x.astype(np.float32), normal(3))
add(_astype, lambda x: x.astype(np.float64), normal(3, dtype=np.float32))
add(np.ravel, np.ravel, normal(2, 3))
add(np.squeeze, np.squeeze, normal(2, 1, 3))
add(np.expand_dims, lambda x: np.expand_dims(x, (0, 2)), normal(3))
add(np.moveaxis, lambda x: np.moveaxis(x, 0, -1), normal(2, 3, 4))
add(np.swapaxes, lambda x: np.swapaxes(x, 0, 2), normal(2, 3, 4))
add(np.atleast_1d, np.atleast_1d, normal())
add(np.atleast_2d, np.atleast_2d, normal(3))
add(np.atleast_3d, np.atleast_3d, normal(2, 3))
add(np.stack, lambda x, y: np.stack([x, y], axis=1), normal(2, 3), normal(2, 3))
add(np.hstack, lambda x, y: np.hstack([x, y]), normal(2), normal(3))
add(np.vstack, lambda x, y: np.vstack([x, y]), normal(3), normal(2, 3))
add(np.dstack, lambda x, y: np.dstack([x, y]), normal(2, 3), normal(2, 3))
add(np.column_stack, lambda x, y: np.column_stack([x, y]), normal(3), normal(3, 2))
add(np.split, lambda x: np.split(x, 2, axis=1)[1], normal(2, 4))
add(np.split, lambda x: tuple(np.split(x, [1, 3])), normal(4))
add(np.array_split, lambda x: tuple(np.array_split(x, 3)), normal(5))
add(np.tile, lambda x: np.tile(x, (2, 1, 2)), normal(2, 3))
add(np.repeat, lambda x: np.repeat(x, 2, axis=1), normal(2, 3))
add(np.repeat, lambda x: np.repeat(x, [1, 0, 3]), normal(3))
add(np.take, lambda x: np.take(x, [2, 0, 2], axis=1), normal(2, 3))
add(np.take_along_axis, lambda x: np.take_along_axis(x, np.array([[1, 1], [0, 2]]), 1),
    normal(2, 3))
add(np.diagonal, np.diagonal, normal(3, 4))
add(np.diagonal, lambda x: np.diagonal(x, 1, 0, 2), normal(3, 2, 4))
add(np.diag, np.diag, normal(3))
add(np.diag, lambda x: np.diag(x, -1), normal(3, 3))
add(np.trace, np.trace, normal(3, 3))
add(np.triu, np.triu, normal(3, 3))
add(np.tril, lambda x: np.tril(x, -1), normal(2, 3, 3))
add(np.copy, np.copy, normal(3))
add(np.real, np.real, normal(3))

# Derivative zero: traced inputs give plain outputs.
for _fn, _call in {
    np.zeros_like: np.zeros_like, np.ones_like: np.ones_like,
    np.empty_like: lambda x: np.empty_like(x) * 0, np.full_like: lambda x: np.full_like(x, 2.0),
    np.argmax: np.argmax, np.argmin: np.argmin, np.argsort: np.argsort, np.nonzero: np.nonzero,
    np.flatnonzero: np.flatnonzero, np.count_nonzero: np.count_nonzero,
    np.isclose: lambda x: np.isclose(x, 0.0), np.allclose: lambda x: np.allclose(x, 0.0),
    np.array_equal: lambda x: np.array_equal(x, x), np.all: lambda x: np.all(x > 0),
    np.any: lambda x: np.any(x > 0), np.unique: np.unique,
    np.searchsorted: lambda x: np.searchsorted(np.sort(np.ravel(x)), 0.0),
    np.digitize: lambda x: np.digitize(x, [0.0]), np.histogram: lambda x: np.histogram(x)[0],
    np.argwhere: np.argwhere, np.round: lambda x: np.round(x, 1), np.around: np.around,
}.items():
    add(_fn, _call, normal(2, 3))

# --- linear algebra ---------------------------------------------------------

_fix = _fix_signs
add(np.dot, np.dot, normal(2, 3), normal(3))
add(np.dot, np.dot, normal(), normal(3), label="0-d")
add(np.dot, np.dot, normal(2, 3), normal(2, 3, 4), label="with a 3-d array")
add(np.einsum, lambda x, y: np.einsum("ij,jk->ik", x, y), normal(2, 3), normal(3, 2))
add(np.einsum, lambda x: np.einsum("ii", x), normal(3, 3), label="trace")
add(np.einsum, lambda x: np.einsum("ii->i", x), normal(3, 3), label="diagonal")
add(np.einsum, lambda x, y: np.einsum("ij,k->i", x, y), normal(2, 3), normal(2), label="sums")
add(np.einsum, lambda x, y: np.einsum("...ij,...jk", x, y), normal(1, 2, 3), normal(4, 3, 2),
    label="ellipsis, broadcast")
add(np.einsum, lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [0, 2]), normal(2, 3), normal(3, 2),
    label="sublists")
add(linalg._einsum, lambda x, y, z: np.einsum("i,ij,j->", x, y, z), normal(2), normal(2, 3),
    normal(3))
add(np.tensordot, lambda x, y: np.tensordot(x, y, axes=([0], [1])), normal(3, 2), normal(4, 3))
add(np.tensordot, np.tensordot, normal(2, 3, 4), normal(3, 4, 2), label="axes=2")
add(np.linalg.tensordot, lambda x, y: np.linalg.tensordot(x, y, axes=1), normal(2, 3), normal(3))
add(np.vdot, np.vdot, normal(2, 3), normal(2, 3))
add(np.inner, np.inner, normal(2, 3), normal(4, 3))
add(np.outer, np.outer, normal(3), normal(2, 2))
add(np.linalg.outer, np.linalg.outer, normal(3), normal(2))
add(np.kron, np.kron, normal(2, 3), normal(2, 2))
add(np.kron, np.kron, normal(3), normal(2, 1, 2), label="mixed ndim")
add(np.vecdot, np.vecdot, normal(2, 3), normal(3))
add(np.linalg.vecdot, lambda x, y: np.linalg.vecdot(x, y, axis=0), normal(3, 2), normal(3, 2))
add(np.linalg.matmul, np.linalg.matmul, normal(2, 3), normal(3, 2))
add(np.matrix_transpose, np.matrix_transpose, normal(2, 3, 4))
add(np.linalg.matrix_transpose, np.linalg.matrix_transpose, normal(3, 4))
add(np.linalg.matrix_power, lambda x: np.linalg.matrix_power(x, 3), normal(3, 3))
add(np.linalg.matrix_power, lambda x: np.linalg.matrix_power(x, -2), normal(3, 3) + 3 * np.eye(3),
    label="negative power")
add(np.linalg.matrix_power, lambda x: np.linalg.matrix_power(x, 0), normal(2, 2), label="0")
add(np.linalg.multi_dot, lambda x, y, z: np.linalg.multi_dot([x, y, z]), normal(3), normal(3, 2),
    normal(2, 2))
add(np.linalg.inv, np.linalg.inv, normal(3, 3) + 3 * np.eye(3))
add(np.linalg.inv, np.linalg.inv, normal(2, 2, 2) + 3 * np.eye(2), label="batch")
add(np.linalg.solve, np.linalg.solve, normal(3, 3) + 3 * np.eye(3), normal(3, 2))
add(np.linalg.solve, np.linalg.solve, normal(3, 3) + 3 * np.eye(3), normal(3), label="vector b")
add(np.linalg.solve, np.linalg.solve, normal(2, 3, 3) + 3 * np.eye(3), normal(3),
    label="batch a, vector b")
add(np.linalg.det, np.linalg.det, normal(3, 3))
add(np.linalg.det, np.linalg.det, normal(2, 2, 2), label="batch")
add(np.linalg.slogdet, lambda x: np.linalg.slogdet(x).logabsdet, normal(3, 3))
add(linalg._slogdet, lambda x: np.linalg.slogdet(x)[1], normal(2, 2, 2), label="batch")
add(np.linalg.cholesky, lambda x: np.linalg.cholesky(_sym(x)), spd_input())
add(linalg._cholesky, lambda x: np.linalg.cholesky(_sym(x), upper=True), spd_input(),
    label="upper")
add(np.linalg.eigh, lambda x: (lambda r: (r.eigenvalues, *_fix(r.eigenvectors)))(
    np.linalg.eigh(_sym(x))), spd_input())
add(linalg._eigh, lambda x: np.linalg.eigh(_sym(x))[0], normal(2, 3, 3), label="values only")
add(np.linalg.eigvalsh, lambda x: np.linalg.eigvalsh(_sym(x)), spd_input())
add(np.linalg.svd, lambda x: (lambda r: (*_fix(r.U, r.Vh), r.S))(
    np.linalg.svd(x, full_matrices=False)), normal(4, 3), label="tall")
add(np.linalg.svd, lambda x: (lambda r: (*_fix(r.U, r.Vh), r.S))(
    np.linalg.svd(x, full_matrices=False)), normal(2, 4), label="wide")
add(np.linalg.svd, lambda x: np.linalg.svd(x, compute_uv=False), normal(3, 3), label="values")
add(linalg._svd, lambda x: np.linalg.svd(x, full_matrices=False)[1], normal(2, 3, 2),
    label="batch values")
add(np.linalg.svdvals, np.linalg.svdvals, normal(3, 2))
add(np.linalg.pinv, np.linalg.pinv, normal(4, 3))
add(np.linalg.pinv, np.linalg.pinv, normal(2, 4), label="wide")
add(np.linalg.norm, np.linalg.norm, normal(2, 3))
for _ord in (1, 2, np.inf, -np.inf, 3, 0.5):
    add(np.linalg.norm, lambda x, _o=_ord: np.linalg.norm(x, _o), normal(4), label=f"ord={_ord}")
for _ord in ("fro", "nuc", 1, 2, -2, np.inf, -1, -np.inf):
    add(np.linalg.norm, lambda x, _o=_ord: np.linalg.norm(x, _o), normal(3, 4),
        label=f"matrix ord={_ord}")
add(np.linalg.norm, lambda x: np.linalg.norm(x, axis=1, keepdims=True), normal(2, 3),
    label="axis, keepdims")
add(np.linalg.norm, lambda x: np.linalg.norm(x, 2, axis=(0, 2)), normal(2, 3, 4),
    label="batch spectral")
add(linalg._norm2, lambda x: np.linalg.norm(x, axis=(0, 1)), normal(2, 3, 2), label="fro axes")
add(np.linalg.vector_norm, lambda x: np.linalg.vector_norm(x, ord=1, axis=0), normal(3, 2))
add(np.linalg.vector_norm, np.linalg.vector_norm, normal(3, 2))
add(np.linalg.matrix_norm, np.linalg.matrix_norm, normal(2, 3, 2))
add(np.linalg.trace, np.linalg.trace, normal(2, 3, 3))
add(np.linalg.diagonal, lambda x: np.linalg.diagonal(x, offset=1), normal(2, 3, 3))

# --- sorting and scipy.special ----------------------------------------------

add(np.sort, np.sort, normal(2, 3))
add(np.sort, lambda x: np.sort(x, axis=None), normal(2, 3), label="flattened")
add(sorting._sort, lambda x: np.sort(x, axis=0), normal(3, 2))
add(np.median, np.median, normal(5))
add(np.median, lambda x: np.median(x, axis=1, keepdims=True), normal(2, 4), label="even")
add(np.quantile, lambda x: np.quantile(x, [0.2, 0.5], axis=0), normal(4, 3))
add(np.percentile, lambda x: np.percentile(x, 30, keepdims=True), normal(5))
add(special._polygamma, lambda x: special.polygamma(1, x), uniform(0.5, 3, 3))
add(special._polygamma, lambda x: special.polygamma(0, x), uniform(0.5, 3), label="0-d")

#: The traceable stand-ins for SciPy's non-ufunc functions (not in the tables:
#: SciPy converts its arguments before NumPy's protocols could dispatch them).
EXTRA = [
    Sample(special.logsumexp, (normal(2, 3),), "logsumexp"),
    Sample(lambda x: special.logsumexp(x, axis=1, keepdims=True), (normal(2, 3),),
           "logsumexp axis keepdims"),
    Sample(lambda x, b: special.logsumexp(x, axis=0, b=b), (normal(2, 3), uniform(0.5, 2, 3)),
           "logsumexp b"),
    Sample(special.logsumexp, (normal(),), "logsumexp 0-d"),
    Sample(lambda x: special.softmax(x, axis=1), (normal(2, 3),), "softmax"),
    Sample(special.softmax, (normal(3),), "softmax all"),
    Sample(lambda x: special.log_softmax(x, axis=0), (normal(2, 3),), "log_softmax"),
]

# --- linear algebra: eig and the cofactor matrix of det ---------------------------

_EIG_REAL = np.array([[2.0, 1.0, 0.3], [0.2, -1.0, 0.5], [0.1, 0.4, 0.5]])   # real, distinct
add(np.linalg.eig, lambda x: (lambda r: (r.eigenvalues, *_fix(r.eigenvectors)))(
    np.linalg.eig(x)), _EIG_REAL + 0.05 * normal(3, 3), label="real eigenvalues")
add(np.linalg.eigvals, np.linalg.eigvals, _EIG_REAL + 0.05 * normal(3, 3))
add(linalg._eig, lambda x: np.real(np.linalg.eigvals(x)), _EIG_REAL + 0.05 * normal(2, 3, 3),
    label="batch")
add(linalg._cofactor_value, lambda x: dfdx.grad(np.linalg.det)(x), normal(3, 3),
    label="det's gradient")
add(linalg._cofactor_value, lambda x: dfdx.grad(np.linalg.det)(x),
    normal(3, 2) @ normal(2, 3), label="det's gradient at rank 2")


def _lower_spd(n=3, lower=True):
    """An SPD matrix in the triangle eigh / cholesky read, noise in the other one."""
    a = _sym(normal(n, n)) + n * np.eye(n)
    junk = np.triu(normal(n, n), 1)
    return a * np.tril(np.ones((n, n))) + junk if lower else a * np.triu(np.ones((n, n))) + junk.T


add(linalg._eigh, lambda x: (lambda r: (r.eigenvalues, *_fix(r.eigenvectors)))(
    np.linalg.eigh(x)), _lower_spd(), label="one triangle read, non-symmetric input")
add(linalg._eigh, lambda x: np.linalg.eigvalsh(x, UPLO="U"), _lower_spd(lower=False),
    label="UPLO='U', non-symmetric input")
add(linalg._cholesky, np.linalg.cholesky, _lower_spd(), label="non-symmetric input")
add(linalg._cholesky, lambda x: np.linalg.cholesky(x, upper=True), _lower_spd(lower=False),
    label="upper, non-symmetric input")
# --- complex numbers and numpy.fft (real arguments with real outputs, so the real checker
# checks them; tests/test_complex.py checks every one on complex arguments) -----------------

from dfdx.rules import fft as _fftmod  # noqa: E402


def _spin(x):
    """A complex value of a real one, so the rules below see complex input."""
    return x * np.exp(0.7j * x)


add(np.conjugate, lambda x: np.imag(np.conjugate(_spin(x))), normal(2, 3), label="complex")
add(np.conjugate, np.conjugate, normal(3), label="real")
add(np.real, lambda x: np.real(_spin(x)), normal(2, 3), label="complex")
add(np.imag, lambda x: np.imag(_spin(x)), normal(2, 3), label="complex")
add(np.angle, lambda x: np.angle(_spin(x) + 2.0), normal(3), label="complex")
add(np.angle, lambda x: np.angle(_spin(x) + 2.0, deg=True), normal(), label="degrees 0-d")
add(np.absolute, lambda x: np.abs(_spin(x) + 0.5), normal(2, 3), label="complex")
for _key, _f in [
        (_fftmod._fft_impl, lambda x: np.real(np.fft.fft(_spin(x), n=5, norm="ortho"))),
        (_fftmod._ifft_impl, lambda x: np.imag(np.fft.ifft(_spin(x), axis=0))),
        (_fftmod._rfft_impl, lambda x: np.abs(np.fft.rfft(x, n=7)) ** 2),
        (_fftmod._irfft_impl, lambda x: np.fft.irfft(_spin(x), n=8, norm="forward")),
        (np.fft.fft, lambda x: np.abs(np.fft.fft(x)) ** 2),
        (np.fft.ifft, lambda x: np.real(np.fft.ifft(_spin(x), n=2))),
        (np.fft.rfft, lambda x: np.imag(np.fft.rfft(x, axis=0, norm="ortho"))),
        (np.fft.irfft, lambda x: np.fft.irfft(_spin(x))),
        (np.fft.fft2, lambda x: np.real(np.fft.fft2(_spin(x)))),
        (np.fft.ifft2, lambda x: np.imag(np.fft.ifft2(_spin(x), s=(2, 2)))),
        (np.fft.fftn, lambda x: np.real(np.fft.fftn(_spin(x), axes=(0,)))),
        (np.fft.ifftn, lambda x: np.real(np.fft.ifftn(_spin(x), norm="forward"))),
        (np.fft.rfft2, lambda x: np.abs(np.fft.rfft2(x)) ** 2),
        (np.fft.irfft2, lambda x: np.fft.irfft2(_spin(x))),
        (np.fft.rfftn, lambda x: np.real(np.fft.rfftn(x, s=(3, 4), axes=(0, 1)))),
        (np.fft.irfftn, lambda x: np.fft.irfftn(_spin(x), s=(2, 5), axes=(0, 1))),
        (_fftmod._fftshift_impl, lambda x: np.fft.fftshift(x, axes=1)),
        (_fftmod._ifftshift_impl, lambda x: np.fft.ifftshift(x)),
        (np.fft.fftshift, np.fft.fftshift),
        (np.fft.ifftshift, lambda x: np.fft.ifftshift(x, axes=(0,)))]:
    add(_key, _f, normal(2, 3), label="fft")

# --- values as NumPy computes them (keywords, modes, q-derivatives) ----------
# Drawn from their own generator, so that these rows never shift the ones above.

_vrng = np.random.default_rng(20261202)


def _vnormal(*shape):
    return _vrng.standard_normal(shape)


add(reductions._std_sqrt, lambda x: np.std(x, axis=0), _vnormal(3, 2), label="via np.std")
add(reductions._std_sqrt, lambda x: np.std(x[:1]), _vnormal(3), label="one element (std 0)")
add(np.std, lambda x: np.std(x, where=np.array([True, False, True])), _vnormal(3),
    label="where=")
add(np.var, lambda x: np.var(x, axis=1, correction=1), _vnormal(2, 3), label="correction=1")
add(np.sum, lambda x: np.sum(x, axis=0, where=np.array([True, False, True]), initial=1.5),
    _vnormal(2, 3), label="where= initial=")
add(np.mean, lambda x: np.mean(x, axis=1, where=np.array([[True, False, True]])),
    _vnormal(2, 3), label="where=")
add(np.max, lambda x: np.max(x, axis=1, where=np.array([True, False, True]), initial=-5.0),
    _vnormal(2, 3), label="where= initial=")
add(np.quantile, lambda x, q: np.quantile(x, q), _vnormal(5), np.array([0.1, 0.65]),
    label="derivative in q")
add(np.percentile, lambda x, q: np.percentile(x, q, axis=0, method="midpoint"),
    _vnormal(4, 2), np.array([30.0, 60.0]), label="midpoint")
add(np.take, lambda x: np.take(x, [-1, 4, 1], mode="clip"), _vnormal(3), label="mode=clip")
add(np.take, lambda x: np.take(x, [-4, 5], axis=0, mode="wrap"), _vnormal(3, 2),
    label="mode=wrap")
add(np.unique, lambda x: np.unique(np.concatenate([x, x[:1]])), _vnormal(4),
    label="values (a repeated one)")
add(np.histogram, lambda x, w: np.histogram(x, bins=3, weights=w, density=True),
    np.array([0.3, 1.2, 2.5, 0.7, 2.0]), _vrng.uniform(0.5, 2, 5), label="edges and density")
_NAN_AT = np.array([[False, True, False], [False, False, False]])
add(np.nanquantile, lambda x, q: np.nanquantile(np.where(_NAN_AT, np.nan, x), q, axis=1),
    _vnormal(2, 3), np.array([0.3, 0.8]), label="a NaN in one row")
add(np.nanpercentile, lambda x: np.nanpercentile(np.where(_NAN_AT, np.nan, x), 40.0),
    _vnormal(2, 3), label="a NaN")
add(np.nanmedian, lambda x: np.nanmedian(np.where(_NAN_AT, np.nan, x), axis=0),
    _vnormal(2, 3), label="a NaN")
add(shape._pad, lambda x: np.pad(x, ((0, 1), (2, 0)), constant_values=1.5), _vnormal(2, 3),
    label="constant")
add(np.pad, lambda x: np.pad(x, ((1, 2), (2, 1)), mode="reflect"), _vnormal(3, 3),
    label="reflect")
add(np.pad, lambda x: np.pad(x, 2, mode="edge"), _vnormal(2, 2), label="edge")
add(np.pad, lambda x: np.pad(x, (1, 3), mode="wrap"), _vnormal(3), label="wrap")
add(np.pad, lambda x: np.pad(x, 2, mode="symmetric"), _vnormal(3), label="symmetric")
