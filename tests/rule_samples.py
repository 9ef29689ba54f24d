"""Sample calls for every callable in the rules tables (dfdx._numpy.registry).

`SAMPLES` maps each registered callable (a NumPy / SciPy function or ufunc,
or the private function a primitive is registered under) to a list of
`Sample`s: a function of the differentiable arguments and the arguments. The
generic checker in test_rules.py runs `dfdx.check_grad` on each; the meta-test
there fails when a registered callable has no entry here.

Generic rows are small random arguments inside each function's domain, away
from kinks and jumps; every row draws them from its own seeded generator (see
`Draw`), so adding a row never changes another. Rows of kind "special" sit at
special points where the function is smooth (0, +-1, repeated values, domain
edges where it is defined) and are checked exactly there; rows of kind "kink"
sit on a kink or a tie and are checked against the documented convention (the
mean of the one-sided derivatives) at first order. `QUERIES` lists the
registered callables that return no array at all (shapes, dtypes).

To add rows for a new rule, append ``add(key, fn, *args, label=...)`` calls at
the end of the file, in a block of your own.
"""

from __future__ import annotations

import zlib
from typing import Callable, NamedTuple

import numpy as np
import scipy.special as sp

import dfdx
from dfdx._numpy.box import _astype, _getitem
from dfdx._numpy.registry import callable_name
from dfdx.rules import _util, linalg, reductions, shape, sorting, special, ufuncs


class Sample(NamedTuple):
    fn: Callable
    args: tuple
    label: str = ""
    #: "generic" (a random point: order 2, the checker may move nearby), "special"
    #: (a special point where f is smooth: order 2, exactly there), or "kink" (a point
    #: where f has a kink: order 1, exactly there; AD must give the documented
    #: convention, the mean of the one-sided derivatives, which is also what central
    #: differences converge to).
    kind: str = "generic"
    #: Non-empty: a known wrong result, checked as xfail(strict=True) with this reason.
    xfail: str = ""


class Draw:
    """A random argument, drawn when its row is added, from that row's own generator.

    `normal`, `uniform` and `draw` return these; arithmetic on them (``+ - * / @``)
    stays lazy. `add` draws every argument of a row from a generator seeded by the
    callable's name and the row's label, so adding a row never changes another.
    The same Draw passed twice to one row is drawn once (a repeated argument).
    """

    __array_ufunc__ = None      # so ndarray + Draw defers to Draw.__radd__

    def __init__(self, make):
        self.make = make

    def resolve(self, rng, memo):
        if id(self) not in memo:
            memo[id(self)] = (self, self.make(rng, memo))
        return memo[id(self)][1]

    def __array__(self, *args, **kwargs):
        raise TypeError("a rule_samples Draw is drawn by add(); transform it with Draw "
                        "arithmetic, inside the sample's function, or with draw(lambda rng: ...).")


def _resolve(x, rng, memo):
    return x.resolve(rng, memo) if isinstance(x, Draw) else x


def _lazy_op(op, swap=False):
    def method(self, other):
        def make(rng, memo):
            a, b = self.resolve(rng, memo), _resolve(other, rng, memo)
            return op(b, a) if swap else op(a, b)
        return Draw(make)
    return method


for _name, _op in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                   ("truediv", np.true_divide), ("matmul", np.matmul)]:
    setattr(Draw, f"__{_name}__", _lazy_op(_op))
    setattr(Draw, f"__r{_name}__", _lazy_op(_op, swap=True))
Draw.__neg__ = lambda self: Draw(lambda rng, memo: -self.resolve(rng, memo))


def draw(make):
    """A custom random argument: ``make(rng)`` returns the array."""
    return Draw(lambda rng, memo: make(rng))


def normal(*shape, dtype=np.float64):
    return draw(lambda rng: rng.standard_normal(shape).astype(dtype)[()] if shape else
                np.asarray(rng.standard_normal(), dtype=dtype))


def uniform(lo, hi, *shape):
    return draw(lambda rng: np.asarray(rng.uniform(lo, hi, shape)))


def spd_input(n=3):
    """A matrix `a` such that a @ a.T + I is well conditioned with distinct eigenvalues."""
    return normal(n, n)


def _sym(a):
    # the identity in a's dtype, so a float32 row stays float32
    return a @ np.swapaxes(a, -1, -2) + np.eye(np.shape(a)[-1], dtype=a.dtype)


def _fix_signs(u, *others):
    """Fix the sign of each singular / eigen vector (a constant), so the sample is smooth."""
    s = np.sign(dfdx.stop_gradient(u)[..., :1, :])
    return (u * s, *(o * np.swapaxes(s, -1, -2) for o in others))


SAMPLES: dict = {}
#: Registered callables that return shapes / dtypes / flags, never arrays.
QUERIES = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj}


def _row_rng(name, label, k):
    return np.random.default_rng(zlib.crc32(f"{name}|{label}|{k}".encode()))


def sample(fn, *args, label="", kind="generic", xfail="", key=None):
    """A Sample whose Draw arguments are drawn from the row's own generator."""
    name = callable_name(key) if key is not None else (label or getattr(fn, "__name__", ""))
    seen = _ROWS.setdefault((name, label), [0])
    seen[0] += 1
    rng, memo = _row_rng(name, label, seen[0]), {}
    return Sample(fn, tuple(_resolve(a, rng, memo) for a in args), label, kind, xfail)


_ROWS: dict = {}


def add(key, fn, *args, label="", kind="generic", xfail=""):
    """Add a sample row for the registered callable `key` (see `Sample` for kind and xfail)."""
    SAMPLES.setdefault(key, []).append(sample(fn, *args, label=label, kind=kind, xfail=xfail,
                                              key=key))


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
add(_util._untake, lambda x: _util.untake(x, ([0, 2, 0],), (4,)), normal(3))
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
    np.argmax: np.argmax, np.argmin: np.argmin, np.argsort: np.argsort, np.nonzero: np.nonzero,
    np.flatnonzero: np.flatnonzero, np.count_nonzero: np.count_nonzero,
    np.isclose: lambda x: np.isclose(x, 0.0), np.allclose: lambda x: np.allclose(x, 0.0),
    np.array_equal: lambda x: np.array_equal(x, x), np.all: lambda x: np.all(x > 0),
    np.any: lambda x: np.any(x > 0),
    np.searchsorted: lambda x: np.searchsorted(np.sort(np.ravel(x)), 0.0),
    np.digitize: lambda x: np.digitize(x, [0.0]),
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
add(np.linalg.matrix_power, lambda x: np.linalg.matrix_power(x, 0), normal(2, 2), label="power 0")
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

# scipy.special: Bessel functions, incomplete gamma and beta, entropies, robust losses,
# Box-Cox, zeta, the t cdf (dfdx.rules.special.SPECIAL_MORE*). Arguments a rule refuses
# (the orders v, the parameters a and b of the incomplete functions, df) are constants of
# the row: tests/test_special.py checks that they raise.
_pos, _unit = (0.5, 3), (0.1, 0.9)


def _consts(values, x):
    """Constant arguments (orders, shapes) in the dtype of `x`, so float32 rows stay float32."""
    return np.array(values, dtype=x.dtype)


for _fn in (sp.i0, sp.i1, sp.j0, sp.j1):
    add(_fn, _fn, uniform(-2, 2, 2, 3), label="(2,3)")
    add(_fn, _fn, uniform(-2, 2), label="0-d")
    add(_fn, _fn, np.array([0.0, 1.0, -1.0]), label="0, 1, -1", kind="special")
for _fn in (sp.i0e, sp.i1e):    # exp(-|x|) I(x): a kink at 0 (in the second derivative for i1e)
    add(_fn, _fn, uniform(0.2, 2, 2, 3), label="(2,3)")
    add(_fn, _fn, uniform(-2, -0.2), label="0-d, negative")
    add(_fn, _fn, np.array([1.0, -1.0]), label="1, -1", kind="special")
add(sp.i0e, sp.i0e, np.array([0.0]), label="kink at 0", kind="kink")
for _fn in (sp.y0, sp.y1):
    add(_fn, _fn, uniform(*_pos, 2, 3), label="(2,3)")
    add(_fn, _fn, np.array([1.0]), label="1", kind="special")
for _fn in (sp.jv, sp.yv, sp.iv, sp.ive, sp.kv, sp.kve):
    add(_fn, lambda x, _f=_fn: _f(_consts([0.0, 1.0, 2.5], x), x), uniform(*_pos, 2, 3),
        label="orders 0, 1, 2.5")
    add(_fn, lambda x, _f=_fn: _f(-1.5, x), uniform(0.5, 3), label="order -1.5, 0-d")
add(sp.jv, lambda x: sp.jv(np.array([0.0, 1.0, 2.0]), x), np.array([0.0, 1.0, -1.0]),
    label="integer orders at 0, 1, -1", kind="special")
add(sp.ive, lambda x: sp.ive(np.array([2.0, 1.0]), x), np.array([0.0, -1.0]),
    label="orders 2, 1 at 0, -1", kind="special")
for _fn in (sp.beta, sp.betaln):
    add(_fn, _fn, uniform(*_pos, 2, 3), uniform(*_pos, 3), label="(2,3) with (3,)")
    add(_fn, _fn, uniform(*_pos), uniform(*_pos, 2), label="0-d with (2,)")
    add(_fn, _fn, np.array([1.0, 2.0]), np.array([1.0, 1.0]), label="1, 2", kind="special")
add(sp.poch, sp.poch, uniform(*_pos, 2, 3), uniform(-0.4, 2, 3), label="(2,3) with (3,)")
add(sp.poch, lambda z: sp.poch(z, 0.5), uniform(*_pos), label="m = 1/2, 0-d")
for _fn in (sp.gammainc, sp.gammaincc):
    add(_fn, lambda x, _f=_fn: _f(_consts([0.5, 1.0, 3.5], x), x), uniform(0.2, 4, 2, 3),
        label="a = 0.5, 1, 3.5")
    add(_fn, lambda x, _f=_fn: _f(_consts(2.0, x), x), uniform(0.2, 4), label="0-d")
    add(_fn, lambda x, _f=_fn: _f(1.0, x), np.array([1.0]), label="a = 1 at 1", kind="special")
for _fn in (sp.gammaincinv, sp.gammainccinv):
    add(_fn, lambda y, _f=_fn: _f(_consts([0.5, 1.0, 3.5], y), y), uniform(*_unit, 2, 3),
        label="a = 0.5, 1, 3.5")
    add(_fn, lambda y, _f=_fn: _f(_consts(2.0, y), y), uniform(*_unit), label="0-d")
for _fn in (sp.betainc, sp.betaincc):
    add(_fn, lambda x, _f=_fn: _f(_consts([0.5, 1.0, 3.0], x), 2.5, x), uniform(*_unit, 2, 3),
        label="a = 0.5, 1, 3; b = 2.5")
    add(_fn, lambda x, _f=_fn: _f(2.0, 0.7, x), uniform(*_unit), label="0-d")
    add(_fn, lambda x, _f=_fn: _f(1.0, 1.0, x), np.array([0.5]), label="uniform at 1/2",
        kind="special")
add(sp.betaincinv, lambda y: sp.betaincinv(_consts([0.5, 1.0, 3.0], y), 2.5, y),
    uniform(*_unit, 2, 3), label="a = 0.5, 1, 3; b = 2.5")
add(sp.betaincinv, lambda y: sp.betaincinv(2.0, 0.7, y), uniform(*_unit), label="0-d")
add(sp.stdtr, lambda t: sp.stdtr(_consts([1.0, 2.5, 30.0], t), t), uniform(-3, 3, 2, 3),
    label="df = 1, 2.5, 30")
add(sp.stdtr, lambda t: sp.stdtr(4.0, t), np.array([0.0, 1.0, -1.0]), label="0, 1, -1",
    kind="special")
add(sp.stdtrit, lambda p: sp.stdtrit(_consts([1.0, 2.5, 30.0], p), p), uniform(*_unit, 2, 3),
    label="df = 1, 2.5, 30")
add(sp.stdtrit, lambda p: sp.stdtrit(3.0, p), np.array([0.5]), label="median", kind="special")
for _fn in (sp.rel_entr, sp.kl_div):
    add(_fn, _fn, uniform(*_pos, 2, 3), uniform(*_pos, 3), label="(2,3) with (3,)")
    add(_fn, _fn, uniform(*_pos), uniform(*_pos, 2), label="0-d with (2,)")
    add(_fn, _fn, np.array([1.0, 2.0]), np.array([1.0, 1.0]), label="1, 2", kind="special")
add(sp.huber, sp.huber, uniform(0.5, 1.5, 2, 3), draw(lambda rng: rng.choice([-1, 1], 3)
    * rng.uniform(0.1, 0.4, 3) + np.array([0.0, 2.0, -2.0])), label="inside and outside")
add(sp.huber, lambda r: sp.huber(1.0, r), np.array([0.0, 2.0, -2.0]), label="0, 2, -2",
    kind="special")
add(sp.huber, lambda r: sp.huber(1.0, r), np.array([1.0, -1.0]), label="|r| = delta",
    kind="kink")
add(sp.pseudo_huber, sp.pseudo_huber, uniform(*_pos, 2, 3), uniform(-2, 2, 3),
    label="(2,3) with (3,)")
add(sp.pseudo_huber, sp.pseudo_huber, uniform(*_pos), uniform(-2, 2, 2), label="0-d with (2,)")
add(sp.pseudo_huber, sp.pseudo_huber, np.array([1.0, 1.0, 2.0]), np.array([0.0, 1.0, -1.0]),
    label="r = 0, 1, -1", kind="special")
for _fn, _x in [(sp.boxcox, _pos), (sp.boxcox1p, (-0.5, 2))]:
    add(_fn, _fn, uniform(*_x, 2, 3), uniform(-1.5, 1.5, 3), label="(2,3) with (3,)")
    add(_fn, _fn, uniform(*_x), uniform(-1.5, 1.5, 2), label="0-d with (2,)")
    add(_fn, _fn, np.array([2.0, 0.5, 3.0, 1.5]), np.array([0.0, 0.0, 1.0, -1.0]),
        label="lambda = 0, 1, -1", kind="special")
add(special._zeta, sp.zeta, uniform(1.5, 4, 2, 3), uniform(0.5, 2, 3), label="(2,3) with (3,)")
add(special._zeta, lambda q: sp.zeta(3.0, q), np.array([1.0]), label="q = 1", kind="special")
add(special._riemann_zeta, sp.zeta, uniform(-3, 0.8, 2, 3), label="(2,3), both sides of 0")
add(special._riemann_zeta, sp.zeta, uniform(1.5, 4), label="0-d")
add(special._riemann_zeta, sp.zeta, np.array([0.5, 2.0, -1.0, -2.0]), label="1/2, 2, -1, -2",
    kind="special")

# --- special points and kinks -----------------------------------------------
# Where each rule is defined: 0, +-1, ties, repeated values. "special" rows are
# smooth there and are checked exactly there; "kink" rows sit on a kink or a
# tie (the mean of the one-sided derivatives is the convention).

_KINK_AT_0 = {np.absolute, np.fabs}
_POINTS = (0.0, 1.0, -1.0)
# Jumps or undefined at these points, or written by hand below:
_NO_SPECIAL = {np.remainder, np.fmod, np.arctan2, np.copysign, np.hypot, sp.xlogy, sp.xlog1py}


def _inside(p, lo, hi):
    return lo < p < hi


def _special_rows(fn, nin):
    if nin == 1:
        lo, hi = _DOMAIN.get(fn, (-2, 2))
        pts = [p for p in _POINTS if _inside(p, lo, hi)]
        if pts:
            kind = "kink" if fn in _KINK_AT_0 and 0.0 in pts else "special"
            add(fn, fn, np.array(pts), label="0, 1, -1" if kind == "special" else "kink at 0",
                kind=kind)
        return
    if fn in _NO_SPECIAL:
        return
    (a, b), (c, d) = _BINARY_DOMAIN.get(fn, ((-2, 2), (-2, 2)))
    pairs = [(x, y) for x in _POINTS for y in _POINTS if _inside(x, a, b) and _inside(y, c, d)]
    ties = fn in (np.maximum, np.minimum, np.fmax, np.fmin)
    smooth = [(x, y) for x, y in pairs if not (ties and x == y)]
    if smooth:
        add(fn, fn, np.array([x for x, _ in smooth]), np.array([y for _, y in smooth]),
            label="0, 1, -1 pairs", kind="special")
    if ties:
        add(fn, fn, np.array([0.0, 1.0, -1.0]), np.array([0.0, 1.0, -1.0]), label="ties",
            kind="kink")


for _fn in [*ufuncs.ELEMENTWISE, *ufuncs.GUARDED, *special.SPECIAL, *special.SPECIAL_GUARDED]:
    _special_rows(_fn, getattr(_fn, "nin", 1))

add(np.copysign, np.copysign, np.array([0.0, 1.0]), np.array([1.0, -1.0]), label="x = 0",
    kind="kink")
add(np.power, lambda x: x ** 2, np.array([0.0, -1.0]), label="x**2 at 0", kind="special")
add(np.multiply, np.multiply, np.zeros(3), np.zeros(3), label="zeros", kind="special")
add(np.var, np.var, np.array([1.5]), label="one element", kind="special")
add(np.std, np.std, np.array([1.0, 1.0, 2.0]), label="repeated values", kind="special")
add(np.max, np.max, np.array([1.0, 2.0, 2.0]), label="tie", kind="kink")
add(np.min, np.min, np.array([-1.0, -1.0, 0.5]), label="tie", kind="kink")
add(np.sort, np.sort, np.array([0.5, 2.0, 0.5]), label="tie", kind="kink")
add(np.median, np.median, np.array([1.0, 1.0, 3.0, 0.0]), label="tie", kind="kink")
add(np.prod, np.prod, np.array([0.0, 0.0, 2.0]), label="two zeros", kind="special")
add(np.prod, np.prod, np.array([0.0, 1.0, -1.0]), label="0, 1, -1", kind="special")
add(np.cumsum, np.cumsum, np.zeros(3), label="zeros", kind="special")
add(np.linalg.inv, np.linalg.inv, np.eye(3), label="identity", kind="special")
add(np.linalg.det, np.linalg.det, np.eye(3), label="identity", kind="special")
add(np.linalg.matrix_power, lambda x: np.linalg.matrix_power(x, 3), np.eye(2), label="identity",
    kind="special")
add(np.linalg.norm, np.linalg.norm, np.array([1.0, 0.0, 0.0]), label="unit vector",
    kind="special")
add(np.clip, lambda x: np.clip(x, -1.0, 1.0), np.array([-1.0, 0.0, 1.0]), label="at the bounds",
    kind="kink")

# Known wrong at special points (issue 10, "Special values" / "Linear algebra").
_SV = "issue 10 (special values): "
add(np.power, lambda x: x ** 0, np.array([0.0, 1.0]), label="x**0 at 0", kind="special")
add(np.power, lambda x: x ** 1, np.array([0.0, -1.0]), label="x**1 at 0", kind="special")
add(sp.xlogy, sp.xlogy, np.array([0.0, 0.0, 1.0]), np.array([1.0, 1.5, 1.0]), label="x = 0",
    kind="special")
add(sp.xlog1py, sp.xlog1py, np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.5, 1.0]), label="x = 0",
    kind="special")
add(np.std, np.std, np.array([1.5]), label="one element", kind="special")
add(np.std, lambda x: np.std(x, axis=0), np.array([[1.0, 2.0]]), label="axis of length 1",
    kind="special")
add(np.linalg.det, np.linalg.det, np.array([[1.0, 2.0], [2.0, 4.0]]), label="singular",
    kind="special")
add(np.linalg.det, np.linalg.det, np.zeros((3, 3)), label="zero", kind="special")

# --- complex arguments (grad f = df/dx + i df/dy; forward mode R-linear) --------


def cnormal(*shape):
    return draw(lambda rng: np.asarray(rng.standard_normal(shape)
                                       + 1j * rng.standard_normal(shape))[()])


add(np.add, np.add, cnormal(2, 3), cnormal(3), label="complex")
add(np.subtract, np.subtract, cnormal(2, 3), normal(3), label="complex and real")
add(np.negative, np.negative, cnormal(3), label="complex")
add(np.sum, np.sum, cnormal(2, 3), label="complex")
add(np.mean, lambda x: np.mean(x, axis=0), cnormal(2, 3), label="complex")
add(np.reshape, lambda x: np.reshape(x, (3, 2)), cnormal(2, 3), label="complex")
add(np.transpose, np.transpose, cnormal(2, 3), label="complex")
add(_getitem, lambda x: x[1:, ::2], cnormal(3, 4), label="complex")
for _fn in (np.multiply, np.divide):
    add(_fn, _fn, cnormal(2, 3), cnormal(3) + 3, label="complex")
for _fn in (np.square, np.exp, np.sin, np.cos, np.tanh, np.abs, np.real):
    add(_fn, _fn, cnormal(3), label="complex")
for _fn in (np.sqrt, np.log):
    add(_fn, _fn, cnormal(3) + 3, label="complex")
add(np.matmul, np.matmul, cnormal(2, 3), cnormal(3, 2), label="complex")
add(np.abs, lambda z: np.abs(z) ** 2, cnormal(3), label="complex |z|**2")
add(np.multiply, lambda x: x * (1 + 2j), normal(3), label="real in, complex out")


#: The traceable stand-ins for SciPy's non-ufunc functions (not in the tables:
#: SciPy converts its arguments before NumPy's protocols could dispatch them).
EXTRA = [
    sample(special.logsumexp, normal(2, 3), label="logsumexp"),
    sample(lambda x: special.logsumexp(x, axis=1, keepdims=True), normal(2, 3),
           label="logsumexp axis keepdims"),
    sample(lambda x, b: special.logsumexp(x, axis=0, b=b), normal(2, 3), uniform(0.5, 2, 3),
           label="logsumexp b"),
    sample(special.logsumexp, normal(), label="logsumexp 0-d"),
    sample(lambda x: special.softmax(x, axis=1), normal(2, 3), label="softmax"),
    sample(special.softmax, normal(3), label="softmax all"),
    sample(lambda x: special.log_softmax(x, axis=0), normal(2, 3), label="log_softmax"),
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
    def make(rng):
        m = rng.standard_normal((n, n))
        a = m @ m.T + (n + 1) * np.eye(n)
        junk = np.triu(rng.standard_normal((n, n)), 1)
        return (a * np.tril(np.ones((n, n))) + junk if lower
                else a * np.triu(np.ones((n, n))) + junk.T)
    return draw(make)


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

import scipy_samples  # noqa: E402,F401  (SciPy's linalg / signal / integrate: their own file)
# --- the rest of NumPy (issue 12): rows in their own module --------------------------
import rule_samples_numpy  # noqa: E402,F401
# --- writing into arrays (dfdx.rules.writes): rows in their own module ------------------
import rule_samples_writes  # noqa: E402,F401
