"""The traced function computes exactly what NumPy computes.

Every registered NumPy callable is called, on traced inputs, with each keyword
NumPy accepts for it (a representative value per keyword, from `TABLE`), and
the traced value is compared with NumPy's. A keyword is either honoured (value
and derivative) or refused with a dfdx error naming it; the table says which,
so a keyword that starts being ignored fails here. A registered callable, or a
keyword of one, that the table does not know fails the meta-test: new rules
declare their keywords here.

The rest checks the other places where the value could drift from NumPy's:
take modes, integer casts, mixed advanced indexing, quantiles in q, unique,
histogram, the ndarray methods, and std at zero spread.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Callable, NamedTuple

import numpy as np
import pytest

import dfdx
from dfdx._core import Box
from dfdx._errors import DfdxError
from dfdx._numpy.registry import FUNCTIONS, UFUNCS, callable_name
from dfdx.rules import special

_rng = np.random.default_rng(7)
A = _rng.standard_normal((2, 3))
B = _rng.standard_normal((2, 3))
V = _rng.standard_normal(4)
M = _rng.standard_normal((3, 3))
SPD = M @ M.T + 3 * np.eye(3)
MASK = np.array([True, False, True])
MASK2 = np.array([[True, False, True], [False, True, True]])
_NANS = np.array([[False, True, False], [False, False, False]])


class Refuse(NamedTuple):
    """A keyword value dfdx refuses (UnsupportedOperation naming the keyword)."""
    value: object


class Lazy(NamedTuple):
    """A keyword value made fresh for each call (an out= array)."""
    make: Callable


class Entry(NamedTuple):
    call: Callable          # call(*args, **kw): the NumPy call, args traced
    args: tuple             # the float arrays differentiated
    positional: tuple       # the parameters `call` fills itself
    keywords: dict          # every other parameter: a list of representative values
    grad: bool = True       # check derivatives with each keyword (False: a step function)


def _out(shape):
    return Lazy(lambda: np.empty(shape))


def _f(fn):
    return lambda x, **kw: fn(x, **kw)


_RED_KW = {"axis": [0, (0, 1), None, -1], "keepdims": [True, False]}

TABLE: dict = {
    np.sum: Entry(_f(np.sum), (A,), ("a",), {
        **_RED_KW, "dtype": [np.float32, int, bool, np.complex128], "out": [Refuse(_out(()))],
        "initial": [1.5, -2.0], "where": [MASK, MASK2, True]}),
    np.prod: Entry(_f(np.prod), (A,), ("a",), {
        **_RED_KW, "dtype": [np.float32, int], "out": [Refuse(_out(()))],
        "initial": [1.5], "where": [MASK, MASK2]}),
    np.mean: Entry(_f(np.mean), (A,), ("a",), {
        **_RED_KW, "dtype": [np.float32, int], "out": [Refuse(_out(()))],
        "where": [MASK, MASK2]}),
    np.max: Entry(_f(np.max), (A,), ("a",), {
        **_RED_KW, "out": [Refuse(_out(()))], "initial": [0.0, 5.0], "where": [MASK2]}),
    np.min: Entry(_f(np.min), (A,), ("a",), {
        **_RED_KW, "out": [Refuse(_out(()))], "initial": [0.0, -5.0], "where": [MASK2]}),
    np.var: Entry(_f(np.var), (A,), ("a",), {
        **_RED_KW, "dtype": [np.float32, Refuse(int)], "out": [Refuse(_out(()))],
        "ddof": [1, 2], "where": [MASK, MASK2], "mean": [np.mean(A, axis=None, keepdims=True)],
        "correction": [1]}),
    np.std: Entry(_f(np.std), (A,), ("a",), {
        **_RED_KW, "dtype": [np.float32, Refuse(int)], "out": [Refuse(_out(()))],
        "ddof": [1], "where": [MASK, MASK2], "mean": [np.mean(A, axis=None, keepdims=True)],
        "correction": [1]}),
    np.cumsum: Entry(_f(np.cumsum), (A,), ("a",), {
        "axis": [0, 1, None], "dtype": [np.float32, int], "out": [Refuse(_out(6))]}),
    np.cumprod: Entry(_f(np.cumprod), (A,), ("a",), {
        "axis": [0, 1, None], "dtype": [np.float32, int], "out": [Refuse(_out(6))]}),
    np.average: Entry(_f(np.average), (A,), ("a",), {
        "axis": [0, 1, None], "weights": [np.array([1.0, 2.0, 0.5]), A ** 2 + 1],
        "returned": [True], "keepdims": [True]}),
    np.median: Entry(_f(np.median), (A,), ("a",), {
        "axis": [0, 1, None], "out": [Refuse(_out(()))], "overwrite_input": [True],
        "keepdims": [True]}),
    np.quantile: Entry(lambda x, **kw: np.quantile(x, [0.2, 0.5], **kw), (A,), ("a", "q"), {
        "axis": [0, 1, None], "out": [Refuse(_out((2,)))], "overwrite_input": [True],
        "method": ["linear", "lower", "higher", "nearest", "midpoint",
                   Refuse("inverted_cdf"), Refuse("weibull")],
        "keepdims": [True], "weights": [Refuse(np.ones((2, 3)))]}, ),
    np.percentile: Entry(lambda x, **kw: np.percentile(x, [20.0, 75.0], **kw), (A,), ("a", "q"), {
        "axis": [0, 1, None], "out": [Refuse(_out((2,)))], "overwrite_input": [True],
        "method": ["linear", "lower", "higher", "nearest", "midpoint", Refuse("hazen")],
        "keepdims": [True], "weights": [Refuse(np.ones((2, 3)))]}),
    np.nanquantile: Entry(lambda x, **kw: np.nanquantile(np.where(_NANS, np.nan, x), [0.2, 0.5],
                                                         **kw), (A,), ("a", "q"), {
        "axis": [0, 1, None], "out": [Refuse(_out((2,)))], "overwrite_input": [True],
        "method": ["linear", "lower", "higher", "nearest", "midpoint", Refuse("hazen")],
        "keepdims": [True], "weights": [Refuse(np.ones((2, 3)))]}),
    np.nanpercentile: Entry(lambda x, **kw: np.nanpercentile(np.where(_NANS, np.nan, x), 30.0,
                                                             **kw), (A,), ("a", "q"), {
        "axis": [0, 1, None], "out": [Refuse(_out(()))], "overwrite_input": [True],
        "method": ["linear", "nearest"], "keepdims": [True],
        "weights": [Refuse(np.ones((2, 3)))]}),
    np.nanmedian: Entry(lambda x, **kw: np.nanmedian(np.where(_NANS, np.nan, x), **kw), (A,),
                        ("a",), {"axis": [0, 1, None], "out": [Refuse(_out(()))],
                                 "overwrite_input": [True], "keepdims": [True]}),
    np.sort: Entry(_f(np.sort), (A,), ("a",), {
        "axis": [0, -1, None], "kind": ["stable", "quicksort", "heapsort"],
        "order": [Refuse("x")], "stable": [True]}),
    np.unique: Entry(lambda x, **kw: np.unique(np.concatenate([x, x[:, :1]], axis=1), **kw),
                     (A,), ("ar",), {
        "return_index": [True], "return_inverse": [True], "return_counts": [True],
        "axis": [0, 1, None], "equal_nan": [False], "sorted": [True]}),
    np.histogram: Entry(_f(np.histogram), (V,), ("a",), {
        "bins": [3, np.array([-2.0, 0.0, 0.5, 3.0])], "range": [(-1.0, 1.0)],
        "density": [True], "weights": [np.abs(V) + 0.5]}),
    np.take: Entry(lambda x, **kw: np.take(x, [2, -1, 0, 5], **kw), (A,), ("a", "indices"), {
        "axis": [1, None], "out": [Refuse(_out(4))], "mode": ["wrap", "clip"]}),
    np.take_along_axis: Entry(lambda x, **kw: np.take_along_axis(x, np.array([[1, 1], [0, 2]]),
                                                                 **kw), (A,), ("arr", "indices"),
                              {"axis": [1, -1]}),
    np.concatenate: Entry(lambda x, y, **kw: np.concatenate([x, y], **kw), (A, B), ("arrays",), {
        "axis": [0, 1, None], "out": [Refuse(_out((4, 3)))],
        "dtype": [np.float32, np.complex128, int],
        "casting": ["same_kind", "unsafe", "no"]}),
    np.stack: Entry(lambda x, y, **kw: np.stack([x, y], **kw), (A, B), ("arrays",), {
        "axis": [0, 2, -1], "out": [Refuse(_out((2, 2, 3)))],
        "dtype": [np.float32, int], "casting": ["same_kind", "unsafe"]}),
    np.hstack: Entry(lambda x, y, **kw: np.hstack([x, y], **kw), (A, B), ("tup",), {
        "dtype": [np.float32, int], "casting": ["same_kind", "unsafe"]}),
    np.vstack: Entry(lambda x, y, **kw: np.vstack([x, y], **kw), (A, B), ("tup",), {
        "dtype": [np.float32, int], "casting": ["same_kind", "unsafe"]}),
    np.dstack: Entry(lambda x, y: np.dstack([x, y]), (A, B), ("tup",), {}),
    np.column_stack: Entry(lambda x, y: np.column_stack([x, y]), (A, B), ("tup",), {}),
    np.reshape: Entry(lambda x, **kw: np.reshape(x, (3, 2), **kw), (A,), ("a", "shape"), {
        "order": ["C", "F"], "copy": [True, None, False]}),
    np.transpose: Entry(_f(np.transpose), (A,), ("a",), {"axes": [(1, 0), None]}),
    np.broadcast_to: Entry(lambda x, **kw: np.broadcast_to(x, (2, 2, 3), **kw), (A,),
                           ("array", "shape"), {"subok": [False, True]}),
    np.ravel: Entry(_f(np.ravel), (A,), ("a",), {"order": ["C", "F"]}),
    np.squeeze: Entry(lambda x, **kw: np.squeeze(x[:, None], **kw), (A,), ("a",),
                      {"axis": [1, None]}),
    np.expand_dims: Entry(lambda x, **kw: np.expand_dims(x, **kw), (A,), ("a",),
                          {"axis": [0, -1, (0, 3)]}),
    np.moveaxis: Entry(lambda x, **kw: np.moveaxis(x[None], **kw), (A,), ("a",), {
        "source": [0], "destination": [-1]}),
    np.swapaxes: Entry(lambda x: np.swapaxes(x, 0, 1), (A,), ("a", "axis1", "axis2"), {}),
    np.atleast_1d: Entry(np.atleast_1d, (A,), (), {}),
    np.atleast_2d: Entry(np.atleast_2d, (V,), (), {}),
    np.atleast_3d: Entry(np.atleast_3d, (A,), (), {}),
    np.split: Entry(lambda x, **kw: np.split(x, 3, **kw), (A,), ("ary", "indices_or_sections"),
                    {"axis": [1]}),
    np.array_split: Entry(lambda x, **kw: np.array_split(x, 2, **kw), (A,),
                          ("ary", "indices_or_sections"), {"axis": [1, 0]}),
    np.tile: Entry(lambda x, **kw: np.tile(x, **kw), (A,), ("A",), {"reps": [2, (2, 1, 2)]}),
    np.repeat: Entry(lambda x, **kw: np.repeat(x, 2, **kw), (A,), ("a", "repeats"),
                     {"axis": [0, 1, None]}),
    np.diagonal: Entry(lambda x, **kw: np.diagonal(x, **kw), (M,), ("a",), {
        "offset": [1, -1], "axis1": [1], "axis2": [0]}),
    np.diag: Entry(lambda x, **kw: np.diag(x, **kw), (M,), ("v",), {"k": [1, -2]}),
    np.trace: Entry(lambda x, **kw: np.trace(x, **kw), (M,), ("a",), {
        "offset": [1], "axis1": [1], "axis2": [0], "dtype": [np.float32, int],
        "out": [Refuse(_out(()))]}),
    np.triu: Entry(lambda x, **kw: np.triu(x, **kw), (M,), ("m",), {"k": [1, -1]}),
    np.tril: Entry(lambda x, **kw: np.tril(x, **kw), (M,), ("m",), {"k": [1, -1]}),
    np.copy: Entry(_f(np.copy), (A,), ("a",), {"order": ["C", "F", "K"], "subok": [True]}),
    np.flip: Entry(_f(np.flip), (A,), ("m",), {"axis": [0, None, (0, 1)]}),
    np.roll: Entry(lambda x, **kw: np.roll(x, 1, **kw), (A,), ("a", "shift"),
                   {"axis": [0, None, 1]}),
    np.pad: Entry(lambda x, **kw: np.pad(x, 1, **kw), (A,), ("array", "pad_width"), {
        "mode": ["constant", "reflect", "edge", "symmetric", "wrap", Refuse("linear_ramp"),
                 Refuse("mean")], "constant_values": [2.0, Refuse(((1.0, 2.0), (3.0, 4.0)))],
        "reflect_type": [Refuse("odd")], "stat_length": [2], "end_values": [1.0]}),
    np.real: Entry(np.real, (A,), ("val",), {}),
    np.where: Entry(lambda x, y: np.where(MASK, x, y), (A, B), ("condition", "x", "y"), {}),
    np.clip: Entry(lambda x, **kw: np.clip(x, **({"a_min": -1.0, "a_max": 1.0, **kw}
                                                 if "min" not in kw and "max" not in kw else kw)),
                   (A,), ("a",), {
        "a_min": [-0.5], "a_max": [0.5], "min": [-0.2], "max": [0.3],
        "out": [Refuse(_out((2, 3)))]}),
    np.round: Entry(_f(np.round), (A,), ("a",), {"decimals": [1, 2], "out": [_out((2, 3))]},
                    grad=False),
    np.around: Entry(_f(np.around), (A,), ("a",), {"decimals": [1], "out": [_out((2, 3))]},
                     grad=False),
    # linear algebra (keywords of dfdx/rules/linalg.py)
    np.dot: Entry(lambda x, y, **kw: np.dot(x, y.T, **kw), (A, B), ("a", "b"), {
        "out": [Refuse(_out((2, 2)))]}),
    np.vdot: Entry(np.vdot, (A, B), ("a", "b"), {}),
    np.inner: Entry(np.inner, (A, B), ("a", "b"), {}),
    np.outer: Entry(lambda x, y, **kw: np.outer(x, y, **kw), (V, V), ("a", "b"), {
        "out": [Refuse(_out((4, 4)))]}),
    np.kron: Entry(np.kron, (A, B), ("a", "b"), {}),
    np.tensordot: Entry(lambda x, y, **kw: np.tensordot(x, y, **kw), (A, B), ("a", "b"), {
        "axes": [2, ([1], [1]), 0]}),
    np.einsum: Entry(lambda x, y, **kw: np.einsum("ij,kj->ik", x, y, **kw), (A, B),
                     ("operands",), {"out": [Refuse(_out((2, 2)))], "optimize": [True, False]}),
    np.linalg.matmul: Entry(lambda x, y: np.linalg.matmul(x, y.T), (A, B), ("x1", "x2"), {}),
    np.linalg.outer: Entry(np.linalg.outer, (V, V), ("x1", "x2"), {}),
    np.linalg.tensordot: Entry(lambda x, y, **kw: np.linalg.tensordot(x, y, **kw), (A, B),
                               ("x1", "x2"), {"axes": [2, ([1], [1])]}),
    np.linalg.vecdot: Entry(lambda x, y, **kw: np.linalg.vecdot(x, y, **kw), (A, B),
                            ("x1", "x2"), {"axis": [0, -1]}),
    np.linalg.multi_dot: Entry(lambda x, y, **kw: np.linalg.multi_dot([x, y.T, x], **kw),
                               (A, B), ("arrays",), {"out": [Refuse(_out((2, 3)))]}),
    np.linalg.matrix_transpose: Entry(np.linalg.matrix_transpose, (A,), ("x",), {}),
    np.matrix_transpose: Entry(np.matrix_transpose, (A,), ("x",), {}),
    np.linalg.diagonal: Entry(lambda x, **kw: np.linalg.diagonal(x, **kw), (M,), ("x",), {
        "offset": [1, -1]}),
    np.linalg.trace: Entry(lambda x, **kw: np.linalg.trace(x, **kw), (M,), ("x",), {
        "offset": [1], "dtype": [np.float32]}),
    np.linalg.inv: Entry(np.linalg.inv, (SPD,), ("a",), {}),
    np.linalg.det: Entry(np.linalg.det, (M,), ("a",), {}),
    np.linalg.slogdet: Entry(np.linalg.slogdet, (M,), ("a",), {}),
    np.linalg.solve: Entry(np.linalg.solve, (SPD, M), ("a", "b"), {}),
    np.linalg.pinv: Entry(lambda x, **kw: np.linalg.pinv(x, **kw), (A,), ("a",), {
        "rcond": [1e-10], "hermitian": [False], "rtol": [1e-10]}),
    np.linalg.matrix_power: Entry(lambda x, **kw: np.linalg.matrix_power(x, **kw), (M,),
                                  ("a",), {"n": [2, 3, 0, -1]}),
    np.linalg.cholesky: Entry(lambda x, **kw: np.linalg.cholesky(x, **kw), (SPD,), ("a",), {
        "upper": [True, False]}),
    np.linalg.eigh: Entry(lambda x, **kw: np.linalg.eigh(x, **kw)[0], (SPD,), ("a",), {
        "UPLO": ["L", "U"]}),
    np.linalg.eigvalsh: Entry(lambda x, **kw: np.linalg.eigvalsh(x, **kw), (SPD,), ("a",), {
        "UPLO": ["L", "U"]}),
    np.linalg.svd: Entry(lambda x, **kw: np.linalg.svd(x, **{"compute_uv": False, **kw}),
                         (A,), ("a",), {"full_matrices": [False], "compute_uv": [False],
                                        "hermitian": [False]}),
    np.linalg.svdvals: Entry(np.linalg.svdvals, (A,), ("x",), {}),
    np.linalg.norm: Entry(lambda x, **kw: np.linalg.norm(x, **kw), (A,), ("x",), {
        "ord": [None, 1, 2, np.inf, "fro", -1], "axis": [0, 1, None, (0, 1)],
        "keepdims": [True]}),
    np.linalg.vector_norm: Entry(lambda x, **kw: np.linalg.vector_norm(x, **kw), (A,), ("x",), {
        "axis": [0, None, (0, 1)], "keepdims": [True], "ord": [1, 2, 3, np.inf]}),
    np.linalg.matrix_norm: Entry(lambda x, **kw: np.linalg.matrix_norm(x, **kw), (A,), ("x",), {
        "keepdims": [True], "ord": ["fro", 1, np.inf, 2, "nuc"]}),
    # derivative zero: traced inputs give NumPy's plain values
    np.zeros_like: Entry(_f(np.zeros_like), (A,), ("prototype", "a"), {
        "dtype": [int], "order": ["F"], "subok": [True], "shape": [(3,)], "device": ["cpu"]},
        grad=False),
    np.ones_like: Entry(_f(np.ones_like), (A,), ("a",), {
        "dtype": [int], "order": ["F"], "subok": [True], "shape": [(3,)], "device": ["cpu"]},
        grad=False),
    np.full_like: Entry(lambda x, **kw: np.full_like(x, 2.0, **kw), (A,), ("a", "fill_value"), {
        "dtype": [int], "order": ["F"], "subok": [True], "shape": [(3,)], "device": ["cpu"]},
        grad=False),
    np.empty_like: Entry(lambda x, **kw: np.empty_like(x, **kw).shape, (A,), ("prototype",), {
        "dtype": [int], "order": ["F"], "subok": [True], "shape": [(3,)], "device": ["cpu"]},
        grad=False),
    np.argmax: Entry(_f(np.argmax), (A,), ("a",), {
        "axis": [0, None], "out": [Lazy(lambda: np.empty(3, np.intp))], "keepdims": [True]}),
    np.argmin: Entry(_f(np.argmin), (A,), ("a",), {
        "axis": [0, None], "out": [Lazy(lambda: np.empty(3, np.intp))], "keepdims": [True]}),
    np.argsort: Entry(_f(np.argsort), (A,), ("a",), {
        "axis": [0, None], "kind": ["stable"], "order": [None], "stable": [True]}),
    np.all: Entry(_f(np.all), (A,), ("a",), {
        "axis": [0], "out": [Lazy(lambda: np.empty(3, bool))], "keepdims": [True],
        "where": [MASK]}),
    np.any: Entry(_f(np.any), (A,), ("a",), {
        "axis": [0], "out": [Lazy(lambda: np.empty(3, bool))], "keepdims": [True],
        "where": [MASK]}),
    np.count_nonzero: Entry(lambda x, **kw: np.count_nonzero(x > 0, **kw) + np.count_nonzero(x),
                            (A,), ("a",), {"axis": [0], "keepdims": [True]}),
    np.nonzero: Entry(lambda x: np.nonzero(x > 0.1) + np.nonzero(x), (A,), ("a",), {}),
    np.flatnonzero: Entry(np.flatnonzero, (A,), ("a",), {}),
    np.argwhere: Entry(np.argwhere, (A,), ("a",), {}),
    np.isclose: Entry(lambda x, **kw: np.isclose(x, x + 1e-7, **kw), (A,), ("a", "b"), {
        "rtol": [0.0], "atol": [0.0, 1e-6], "equal_nan": [True]}),
    np.allclose: Entry(lambda x, **kw: np.allclose(x, x + 1e-7, **kw), (A,), ("a", "b"), {
        "rtol": [0.0], "atol": [0.0, 1e-6], "equal_nan": [True]}),
    np.array_equal: Entry(lambda x, **kw: np.array_equal(x, x, **kw), (A,), ("a1", "a2"), {
        "equal_nan": [True]}),
    np.searchsorted: Entry(lambda x, **kw: np.searchsorted(x, [0.0, 0.5], **kw), (np.sort(V),),
                           ("a", "v"), {"side": ["right"], "sorter": [np.arange(4)]}),
    np.digitize: Entry(lambda x, **kw: np.digitize(x, [-0.5, 0.0, 0.5], **kw), (A,),
                       ("x", "bins"), {"right": [True]}),
    np.shape: Entry(np.shape, (A,), ("a",), {}),
    np.ndim: Entry(np.ndim, (A,), ("a",), {}),
    np.size: Entry(_f(np.size), (A,), ("a",), {"axis": [0, 1]}),
    np.result_type: Entry(np.result_type, (A,), (), {}),
    np.iscomplexobj: Entry(np.iscomplexobj, (A,), ("x",), {}),
    np.isrealobj: Entry(np.isrealobj, (A,), ("x",), {}),
}


def _into(y, x):
    """y with x written into it (np.zeros(..., like=x) and its kind are made to be written)."""
    y[...] = x
    return y


def _writer(fn, *args, **kw):
    def call(x, **k):
        z = x * 1.0 if isinstance(x, Box) else x.copy()   # a traced (or plain) copy to write
        fn(z, *[a(x) if callable(a) else a for a in args], **kw, **k)
        return z
    return call


# writing into arrays (dfdx.rules.writes): the traced constants and NumPy's writers
TABLE.update({
    np.zeros: Entry(lambda x, **kw: _into(np.zeros(x.shape, like=x, **kw), x ** 2), (A,),
                    ("shape", "like"), {"dtype": [np.float32], "order": ["F"],
                                        "device": ["cpu"]}),
    np.empty: Entry(lambda x, **kw: _into(np.empty(x.shape, like=x, **kw), x ** 2), (A,),
                    ("shape", "like"), {"dtype": [np.float32], "order": ["F"],
                                        "device": ["cpu"]}),
    np.ones: Entry(lambda x, **kw: np.ones(x.shape, like=x, **kw) * x, (A,), ("shape", "like"),
                   {"dtype": [np.float32], "order": ["F"], "device": ["cpu"]}),
    np.full: Entry(lambda x, **kw: np.full(x.shape, 2.0, like=x, **kw) * x, (A,),
                   ("shape", "fill_value", "like"), {"dtype": [np.float32], "order": ["F"],
                                                     "device": ["cpu"]}),
    np.copyto: Entry(_writer(np.copyto, lambda x: x ** 2), (A,), ("dst", "src"),
                     {"casting": ["unsafe", "no"], "where": [MASK]}),
    np.put: Entry(_writer(np.put, [0, 7, -8], lambda x: x[0, :2] ** 2), (A,), ("a", "ind", "v"),
                  {"mode": ["wrap", "clip"]}),
    np.put_along_axis: Entry(_writer(np.put_along_axis, np.array([[1], [0]]),
                                     lambda x: x[:, :1] ** 2, 1), (A,),
                             ("arr", "indices", "values", "axis"), {}),
    np.fill_diagonal: Entry(_writer(np.fill_diagonal, lambda x: x[1] ** 2), (A,), ("a", "val"),
                            {"wrap": [True]}),
})
TABLE[np.amax] = TABLE[np.max]


def _mix(fn):
    """A real view of a complex-valued function, so values and derivatives compare as reals."""
    return lambda x, **kw: (lambda y: np.real(y) + 0.5 * np.imag(y))(fn(x, **kw))


_FFT_1D = {"n": [None, 2, 5], "axis": [-1, 0], "norm": [None, "ortho", "forward"],
           "out": [Refuse(Lazy(lambda: np.empty((2, 3), complex)))]}
_FFT_ND = {"s": [None, (2, 4)], "axes": [None, (0, 1), (1, 0)], "norm": [None, "ortho"],
           "out": [Refuse(Lazy(lambda: np.empty((2, 3), complex)))]}
for _name in ("fft", "ifft", "rfft", "irfft"):
    _fn_ = getattr(np.fft, _name)
    _kw = dict(_FFT_1D)
    if _name in ("rfft", "irfft"):
        _kw["out"] = []   # the output shape differs; refused like the others (tested in test_complex)
    TABLE[_fn_] = Entry(_mix(_fn_), (A,), ("a",), _kw)
for _name in ("fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn"):
    _fn_ = getattr(np.fft, _name)
    _kw = dict(_FFT_ND)
    if _name.startswith(("rfft", "irfft")):
        _kw["out"] = []
    TABLE[_fn_] = Entry(_mix(_fn_), (A,), ("a",), _kw)
TABLE[np.fft.fftshift] = Entry(_f(np.fft.fftshift), (A,), ("x",), {"axes": [None, 0, (0, 1)]})
TABLE[np.fft.ifftshift] = Entry(_f(np.fft.ifftshift), (A,), ("x",), {"axes": [None, 1, (1, 0)]})
TABLE[np.angle] = Entry(lambda x, **kw: np.angle(x * np.exp(0.3j * x) + 3.0, **kw), (A,), ("z",),
                        {"deg": [True, False]})
TABLE[np.imag] = Entry(lambda x: np.imag(x * np.exp(0.3j * x)), (A,), ("val",), {})
TABLE[np.linalg.eig] = Entry(lambda x: np.linalg.eig(x)[0], (SPD,), ("a",), {})
TABLE[np.linalg.eigvals] = Entry(np.linalg.eigvals, (SPD,), ("a",), {})
TABLE[np.amin] = TABLE[np.min]
TABLE[np.permute_dims] = TABLE[np.transpose]

# the rest of NumPy (issue 12): its entries in a module of their own
import fidelity_numpy_more  # noqa: E402
TABLE.update(fidelity_numpy_more.entries(globals()))


def _public(fn):
    name = callable_name(fn)
    return fn in FUNCTIONS and not isinstance(fn, np.ufunc) and "._" not in name \
        and not name.startswith("dfdx")


PUBLIC = sorted((f for f in FUNCTIONS if _public(f)), key=callable_name)

#: keywords of a callable dfdx's rules for it leave out today (reported): a failing
#: test (xfail, strict) each, so that the fix shows.
KNOWN_WRONG: dict = {}


def test_every_registered_function_declares_its_numpy_keywords():
    problems = []
    for fn in PUBLIC:
        entry = TABLE.get(fn)
        if entry is None:
            problems.append(f"{callable_name(fn)}: not in TABLE")
            continue
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        names = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        unknown = names - set(entry.positional) - set(entry.keywords)
        if unknown:
            problems.append(f"{callable_name(fn)}: keywords {sorted(unknown)} not in TABLE")
    assert not problems, ("every NumPy keyword of a registered function needs a representative "
                          "value in tests/test_numpy_fidelity.py TABLE (wrap it in Refuse(...) if "
                          "dfdx refuses it): " + "; ".join(problems))


def _cases():
    out = []
    for fn in PUBLIC:
        entry = TABLE.get(fn)
        if entry is None:
            continue
        out.append(pytest.param(fn, None, None, id=f"{callable_name(fn)}"))
        for kw, values in entry.keywords.items():
            for i, v in enumerate(values):
                marks = ()
                reason = KNOWN_WRONG.get((fn, kw))
                if reason:
                    marks = (pytest.mark.xfail(strict=True, reason=reason),)
                out.append(pytest.param(fn, kw, v, marks=marks,
                                        id=f"{callable_name(fn)}-{kw}[{i}]"))
    return out


def _kw(kw, v):
    if kw is None:
        return {}
    v = v.value if isinstance(v, Refuse) else v
    return {kw: v.make() if isinstance(v, Lazy) else v}


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _leaves(item)]
    return [x]


def _same(got, want, what):
    gl, wl = _leaves(got), _leaves(want)
    assert len(gl) == len(wl), f"{what}: {len(gl)} outputs, NumPy gives {len(wl)}"
    for g, w in zip(gl, wl):
        assert not isinstance(g, Box), f"{what}: a traced value escaped"
        if isinstance(w, (tuple, str, type(None))) or np.isscalar(w) and not isinstance(
                w, (np.generic, float, int, complex)):
            assert g == w, f"{what}: {g!r} != NumPy's {w!r}"
            continue
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{what}: shape {g.shape}, NumPy gives {w.shape}"
        assert g.dtype == w.dtype, f"{what}: dtype {g.dtype}, NumPy gives {w.dtype}"
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=1e-5 if w.dtype.itemsize <= 4 else 1e-12,
                                       atol=1e-6 if w.dtype.itemsize <= 4 else 1e-13,
                                       err_msg=what)
        else:
            np.testing.assert_array_equal(g, w, err_msg=what)


def _modes(call, args):
    """The value of call(*args) computed under forward and under reverse tracing."""
    fwd = dfdx.jvp(call, tuple(args), tuple(np.ones_like(a) for a in args))[0]
    rev = dfdx.vjp(call, *args)[0]
    return {"forward": fwd, "reverse": rev}


@pytest.mark.parametrize("fn, kw, value", _cases())
def test_traced_value_is_numpys(fn, kw, value):
    entry = TABLE[fn]
    what = f"{callable_name(fn)}({kw}={value!r})" if kw else callable_name(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = entry.call(*entry.args, **_kw(kw, value))
        except Exception as e:   # NumPy refuses it: so must the traced call
            with pytest.raises((type(e), DfdxError)):
                _modes(lambda *xs: entry.call(*xs, **_kw(kw, value)), entry.args)
            return
        if isinstance(value, Refuse):
            with pytest.raises(DfdxError) as err:
                _modes(lambda *xs: entry.call(*xs, **_kw(kw, value)), entry.args)
            assert kw in str(err.value), f"{what}: the error does not name {kw}: {err.value}"
            return
        got = _modes(lambda *xs: entry.call(*xs, **_kw(kw, value)), entry.args)
    for mode, g in got.items():
        _same(g, want, f"{what} ({mode} mode)")


def _grad_cases():
    out = []
    for p in _cases():
        fn, kw, value = p.values
        entry = TABLE[fn]
        if not entry.grad or isinstance(value, Refuse) or kw == "out" or \
                callable_name(fn).startswith("numpy.linalg") or fn in (np.dot, np.vdot, np.inner,
                                                                       np.outer, np.kron,
                                                                       np.tensordot, np.einsum):
            continue
        out.append(p)
    return out


def _float_output(x):
    return any(np.asarray(v).dtype.kind in "fc" for v in _leaves(x)
               if not isinstance(v, (tuple, str, type(None))))


@pytest.mark.parametrize("fn, kw, value", _grad_cases())
def test_derivative_with_each_keyword(fn, kw, value):
    entry = TABLE[fn]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = entry.call(*entry.args, **_kw(kw, value))
        except Exception:
            pytest.skip("NumPy refuses this combination")
        if not _float_output(want):
            pytest.skip("no float output: nothing to differentiate")
        tol = {}
        if any(np.asarray(v).dtype == np.float32 for v in _leaves(want)
               if not isinstance(v, (tuple, str, type(None)))):
            tol = {"rtol": 2e-3, "atol": 1e-4}   # float32 outputs: float32 accuracy
        dfdx.check_grad(lambda *xs: entry.call(*xs, **_kw(kw, value)), *entry.args, order=2,
                        step=0.01, **tol)


# --- ufuncs ---------------------------------------------------------------

_UFUNC_KW = {
    "out": Refuse(Lazy(lambda: np.empty((2, 3)))), "where": Refuse(MASK),
    "casting": "same_kind", "order": "K", "dtype": np.float64, "subok": True,
    "signature": Refuse(None), "axes": Refuse([(0,), (0,)]), "axis": Refuse(0),
    "keepdims": Refuse(True),
}
_UFUNC_EXTRA = {"dtype": [np.float32, int], "casting": ["unsafe", "no"], "order": ["C", "F"]}


def _ufunc_cases():
    out = []
    for uf in sorted(UFUNCS, key=callable_name):
        if uf.signature or uf.nout != 1:   # gufuncs (matmul, vecdot) take axes=; see linalg
            continue
        for kw, v in _UFUNC_KW.items():
            if kw in ("axes", "axis", "keepdims"):
                continue
            values = [v] + _UFUNC_EXTRA.get(kw, [])
            for i, v in enumerate(values):
                out.append(pytest.param(uf, kw, v, id=f"{callable_name(uf)}-{kw}[{i}]"))
    return out


def _ufunc_args(uf):
    x = np.abs(A) * 0.5 + 0.2    # inside every domain (log, sqrt, arccos, logit, ...)
    return (x,) * uf.nin


@pytest.mark.parametrize("uf, kw, value", _ufunc_cases())
def test_ufunc_keywords(uf, kw, value):
    args = _ufunc_args(uf)
    what = f"{callable_name(uf)}({kw}={value!r})"

    # arguments dfdx refuses to differentiate in (the order of jv, ...) stay constants
    fixed = special.NO_DERIVATIVE.get(uf, ())
    full = args

    def call(*xs):
        it = iter(xs)
        return uf(*(full[i] if i in fixed else next(it) for i in range(uf.nin)),
                  **_kw(kw, value))
    args = tuple(a for i, a in enumerate(args) if i not in fixed)
    if kw == "where":
        # why: NumPy leaves the masked-out output uninitialised without out=, and calling
        # NumPy's and SciPy's ufuncs that way in one process corrupted the heap (NumPy 2.4,
        # SciPy 1.17): there is no value to compare, only the refusal.
        with pytest.raises(DfdxError, match="where"):
            _modes(call, args)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = call(*args)
        except Exception as e:
            with pytest.raises((type(e), DfdxError)):
                _modes(call, args)
            return
        if isinstance(value, Refuse):
            with pytest.raises(DfdxError) as err:
                _modes(call, args)
            assert kw in str(err.value), f"{what}: the error does not name {kw}: {err.value}"
            return
        got = _modes(call, args)
    for mode, g in got.items():
        _same(g, want, f"{what} ({mode} mode)")


# --- ndarray methods ------------------------------------------------------

def _method_kw(fn, drop=("out",)):
    return [(kw, v) for kw, vs in TABLE[fn].keywords.items() if kw not in drop
            for v in vs if not isinstance(v, (Refuse, Lazy))]


#: name -> list of (positional args, keywords) to call ``x.name(...)`` with
METHOD_CALLS: dict = {
    **{name: [((), {})] + [((), {kw: v}) for kw, v in _method_kw(fn)]
       for name, fn in {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max,
                        "min": np.min, "var": np.var, "std": np.std, "cumsum": np.cumsum,
                        "cumprod": np.cumprod}.items()},
    "round": [((), {}), ((1,), {}), ((), {"decimals": 2})],
    "clip": [((-0.5, 0.5), {}), ((), {"min": -0.2}), ((), {"max": 0.3})],
    "take": [(([2, -1, 0],), {}), (([2, -1, 5],), {"mode": "clip"}),
             (([1, 4],), {"axis": 1, "mode": "wrap"})],
    "trace": [((), {}), ((1,), {}), ((), {"dtype": np.float32})],
    "repeat": [((2,), {}), ((2,), {"axis": 1})],
    "diagonal": [((), {}), ((1,), {})],
    "reshape": [((3, 2), {}), (((3, 2),), {"order": "F"}), ((-1,), {"copy": True})],
    "transpose": [((), {}), ((1, 0), {}), (((1, 0),), {})],
    "swapaxes": [((0, 1), {})],
    "ravel": [((), {}), ((), {"order": "F"})],
    "flatten": [((), {}), ((), {"order": "F"})],
    "squeeze": [((), {})],
    "dot": [((B.T,), {})],
    "astype": [((np.float32,), {}), ((int,), {}), ((bool,), {}), ((np.complex128,), {}),
               ((np.float32,), {"copy": False, "order": "C"}), ((int,), {"casting": "unsafe"})],
    "copy": [((), {})],
    "conj": [((), {})],
    "conjugate": [((), {})],
    "argmax": [((), {}), ((1,), {"keepdims": True})],
    "argmin": [((), {}), ((0,), {})],
    "argsort": [((), {}), ((0,), {"kind": "stable"})],
    "argpartition": [((1,), {})],
    "compress": [(([True, False, True],), {"axis": 1}), (([False, True],), {})],
    "nonzero": [((), {})],
    "all": [((), {}), ((0,), {"keepdims": True})],
    "any": [((), {"where": MASK})],
    "to_device": [(("cpu",), {})],
}
TABLE_METHODS = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
                 "var": np.var, "std": np.std}
#: methods that change the array in place: refused, naming the functional form
IN_PLACE = {"resize": (((6,),), "reshape"), "setfield": ((1.0, np.float64), "new array"),
            "setflags": ((), "read-only")}
#: in-place methods recorded as writes (dfdx.rules.writes): the traced array changes as NumPy's
WRITERS = {"sort": ((), {}), "fill": ((0.5,), {}), "partition": ((1,), {"axis": 0}),
           "put": (([0, 4], [1.0, -2.0]), {"mode": "wrap"})}
#: conversions that would drop the derivative
CONVERSIONS = {"item", "tolist"}
#: attributes whose value is plain metadata, the same as NumPy's
METADATA = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "device"}
#: attributes whose value is traced
TRACED_ATTRS = {"T", "mT", "real", "imag", "flat"}
#: refused with a dfdx error naming the way out (memory, bytes, views of the bits)
REFUSED = {"base", "byteswap", "choose", "ctypes", "data", "dump", "dumps", "flags",
           "getfield", "strides", "tobytes", "tofile", "view"}


def test_every_ndarray_method_is_decided():
    names = {n for n in dir(np.ndarray) if not n.startswith("_")}
    decided = (set(METHOD_CALLS) | {"searchsorted"} | set(IN_PLACE) | set(WRITERS) | CONVERSIONS
               | METADATA
               | TRACED_ATTRS | REFUSED)
    assert not names - decided, f"ndarray methods not decided here: {sorted(names - decided)}"


def _in_trace(f, x=None):
    """f(box) under forward and under reverse tracing (whatever it returns or raises)."""
    x = A if x is None else x
    out = {}
    out["forward"] = dfdx.jvp(f, (x,), (np.ones_like(x),))[0]
    out["reverse"] = dfdx.vjp(f, x)[0]
    return out


def _method_cases():
    return [pytest.param(name, args, kw, id=f"x.{name}{args}{kw}")
            for name, calls in METHOD_CALLS.items() for args, kw in calls]


@pytest.mark.parametrize("name, args, kw", _method_cases())
def test_method_value_is_numpys(name, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = getattr(A.copy(), name)(*args, **kw)
        except (TypeError, ValueError) as e:
            if name not in TABLE_METHODS:
                raise
            try:   # NumPy's methods lag behind its functions (x.var has no correction=)
                want = TABLE_METHODS[name](A, *args, **kw)
            except (TypeError, ValueError):   # NumPy refuses it: so must dfdx
                with pytest.raises((type(e), DfdxError)):
                    _in_trace(lambda x: getattr(x, name)(*args, **kw))
                return
        got = _in_trace(lambda x: getattr(x, name)(*args, **kw))
    for mode, g in got.items():
        _same(g, want, f"x.{name}(*{args}, **{kw}) ({mode} mode)")


def test_searchsorted_method_is_plain():
    v = np.sort(V)
    got = _in_trace(lambda x: x.searchsorted([0.1, -0.2], side="right"), v)
    for g in got.values():
        _same(g, v.searchsorted([0.1, -0.2], side="right"), "x.searchsorted")


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_methods_name_the_functional_form(name):
    args, fix = IN_PLACE[name]
    with pytest.raises(dfdx.UnsupportedOperation, match="in place") as e:
        dfdx.grad(lambda x: (getattr(x, name)(*args), np.sum(x))[1])(A)
    assert fix in str(e.value)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_in_place_methods_write_as_numpys(name):
    args, kw = WRITERS[name]
    want = A.copy()
    getattr(want, name)(*args, **kw)

    def f(x):
        y = x.copy()
        getattr(y, name)(*args, **kw)
        return y

    for mode, got in _in_trace(f).items():
        _same(got, want, f"x.{name} ({mode} mode)")
    np.testing.assert_array_equal(A, _in_trace(lambda x: x)["forward"])   # A itself unchanged


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_conversions_raise(name):
    with pytest.raises(dfdx.TracerConversionError):
        dfdx.grad(lambda x: getattr(x, name)())(1.0)


@pytest.mark.parametrize("name", sorted(METADATA))
def test_metadata_is_numpys(name):
    seen = []
    _in_trace(lambda x: (seen.append(getattr(x, name)), x)[1])
    assert seen == [getattr(A, name)] * 2


@pytest.mark.parametrize("name", sorted(TRACED_ATTRS))
def test_traced_attributes(name):
    want = getattr(A, name)
    got = _in_trace(lambda x: getattr(x, name)[...] if name == "flat" else getattr(x, name))
    for g in got.values():
        _same(g, want[...] if name == "flat" else want, f"x.{name}")
    dfdx.check_grad(lambda x: getattr(x, name)[...] * 1.0, A, order=1)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_attributes_raise_a_dfdx_error(name):
    with pytest.raises(DfdxError, match=name):
        dfdx.grad(lambda x: (getattr(x, name), np.sum(x))[1])(A)


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        dfdx.grad(lambda x: x.no_such_thing)(1.0)


@pytest.mark.parametrize("args", [(), (2,), (0,)])
def test_builtin_round_is_numpys_with_derivative_zero(args):
    x = 2.5678
    want = round(np.float64(x), *args)
    got = dfdx.vjp(lambda x: round(x, *args) * x, x)[0]
    np.testing.assert_allclose(got, want * x)
    assert dfdx.grad(lambda x: round(x, *args) * x)(x) == pytest.approx(want)
    assert dfdx.derivative(lambda x: round(x, *args) * x)(x) == pytest.approx(want)
    assert round(np.float64(2.5)) == 2   # half to even, as NumPy's scalars round
    assert dfdx.vjp(lambda x: round(x) + 0 * x, 2.5)[0] == 2.0


def test_round_of_an_array_names_np_round():
    with pytest.raises(dfdx.UnsupportedOperation, match="np.round"):
        dfdx.grad(lambda x: np.sum(round(x)))(A)


# --- integer and boolean casts: a jump, derivative 0, a plain result --------

@pytest.mark.parametrize("cast", [
    lambda x: x.astype(int), lambda x: x.astype(bool), lambda x: x.astype(np.int8),
    lambda x: np.asarray(x, dtype=int), lambda x: np.array(x, dtype=bool),
    lambda x: np.sum(x, dtype=int), lambda x: np.cumsum(x, dtype=int),
    lambda x: np.mean(x, dtype=int), lambda x: np.trace(x[:, :2], dtype=int),
    lambda x: np.concatenate([x, x], dtype=int, casting="unsafe"),
    lambda x: np.add(x, x, dtype=int, casting="unsafe"),
], ids=["astype(int)", "astype(bool)", "astype(int8)", "asarray(int)", "array(bool)",
        "sum(int)", "cumsum(int)", "mean(int)", "trace(int)", "concatenate(int)", "add(int)"])
def test_integer_casts_are_plain_with_derivative_zero(cast):
    x = np.array([[1.5, -2.7, 0.2], [3.9, 0.0, -0.6]])
    seen = []

    def f(x):
        c = cast(x)
        seen.append(isinstance(c, Box))
        return np.sum(c) * np.sum(x)
    want = cast(x)
    assert dfdx.vjp(f, x)[0] == pytest.approx(np.sum(want) * np.sum(x))
    expected = np.full(x.shape, float(np.sum(want)))   # the cast contributes nothing
    np.testing.assert_allclose(dfdx.grad(f)(x), expected)
    np.testing.assert_allclose(dfdx.jacfwd(f)(x), expected)
    assert not any(seen), "an integer cast returned a traced value"


def test_int_of_a_traced_scalar_is_a_plain_int():
    assert dfdx.grad(lambda x: int(x) * x)(2.7) == 2.0
    assert dfdx.derivative(lambda x: int(x) * x)(-2.7) == -2.0


# --- take modes --------------------------------------------------------------

@pytest.mark.parametrize("mode", ["clip", "wrap"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_take_modes(mode, axis):
    X = np.arange(6.0).reshape(2, 3) / 7 + 0.3
    idx = [-1, 0, 5, 2, -7, 1]
    f = lambda x: np.take(x, idx, axis=axis, mode=mode)   # noqa: E731
    np.testing.assert_array_equal(dfdx.vjp(f, X)[0], f(X))
    np.testing.assert_array_equal(dfdx.jvp(f, (X,), (np.ones_like(X),))[0], f(X))
    numeric = dfdx.numeric.jacobian(f, X).value
    np.testing.assert_allclose(dfdx.jacfwd(f)(X), numeric, atol=1e-8)
    np.testing.assert_allclose(dfdx.jacrev(f)(X), numeric, atol=1e-8)
    dfdx.check_grad(lambda x: f(x) ** 3, X, order=2)


def test_take_clip_of_minus_one_is_the_first_element():
    v = np.array([1.0, 2.0, 3.0])
    assert dfdx.vjp(lambda v: np.take(v, [-1], mode="clip"), v)[0].tolist() == [1.0]
    np.testing.assert_array_equal(dfdx.grad(lambda v: np.take(v, -1, mode="clip"))(v), [1, 0, 0])
    np.testing.assert_array_equal(dfdx.grad(lambda v: np.take(v, 4, mode="wrap"))(v), [0, 1, 0])


def test_take_out_of_range_in_raise_mode_is_numpys_index_error():
    with pytest.raises(IndexError):
        dfdx.grad(lambda v: np.sum(np.take(v, [3])))(np.ones(3))


# --- mixed advanced indexing -------------------------------------------------

X3 = np.random.default_rng(3).standard_normal((2, 3, 4))
_INDEXES = {
    "int, slice, list": lambda x: x[0, :, [0, 1]],
    "list, slice, list": lambda x: x[[0, 1], :, [1, 2]],
    "list, int, list": lambda x: x[[1, 0], 2, [3, 3]],
    "mask with slice": lambda x: x[X3[:, :, 0] > 0, 1:3],
    "slice, mask": lambda x: x[:, X3[0, :, 0] > -0.5],
    "None, ellipsis, list": lambda x: x[None, ..., [1, 3]],
    "int, None, slice, list": lambda x: x[1, None, :, [0, 2, 3]],
    "slice, list, None, list": lambda x: x[:, [0, 2], None, [1, 1]],
    "broadcast lists": lambda x: x[[[0], [1]], 1:, [[1, 2]]],
    "ellipsis, int, list": lambda x: x[..., 1, [0, 3]],
    "repeated": lambda x: x[[0, 0], :, [1, 1]],
}


@pytest.mark.parametrize("index", list(_INDEXES), ids=list(_INDEXES))
def test_mixed_advanced_indexing(index):
    f = _INDEXES[index]
    want = f(X3)
    np.testing.assert_array_equal(dfdx.vjp(f, X3)[0], want)
    numeric = dfdx.numeric.jacobian(f, X3).value
    np.testing.assert_allclose(dfdx.jacfwd(f)(X3), numeric, atol=1e-8)
    np.testing.assert_allclose(dfdx.jacrev(f)(X3), numeric, atol=1e-8)
    g = lambda x: np.sum(np.sin(f(x)) * f(x))   # noqa: E731
    h = dfdx.hessian(g)(X3)
    np.testing.assert_allclose(h, dfdx.numeric.hessian(g, X3).value, atol=1e-6)
    np.testing.assert_allclose(dfdx.jacrev(dfdx.grad(g))(X3), h, atol=1e-10)
    dfdx.check_grad(lambda x: np.sin(f(x)), X3, order=2)


# --- quantiles: the derivative in q is the slope ------------------------------

_DATA = np.array([3.0, 1.0, 4.0, 1.5, 9.0])


@pytest.mark.parametrize("q, slope", [
    (0.3, 4 * (3.0 - 1.5)),            # between the 2nd and 3rd order statistics
    (0.5, 4 * ((4.0 - 1.5) / 2)),      # at a knot: the mean of the two one-sided slopes
    (0.0, 4 * (1.5 - 1.0)),            # at an end: the one slope there
    (1.0, 4 * (9.0 - 4.0)),
])
def test_quantile_slope_in_q(q, slope):
    for d in (dfdx.grad, dfdx.derivative):
        assert d(lambda q: np.quantile(_DATA, q))(q) == pytest.approx(slope)
        assert d(lambda p: np.percentile(_DATA, p))(100 * q) == pytest.approx(slope / 100)
    assert dfdx.derivative(lambda q: np.quantile(_DATA, q), n=2)(q) == 0.0


def test_nanquantile_slope_in_q_and_values():
    x = np.array([3.0, np.nan, 1.0, 4.0, 1.5, np.nan, 9.0])
    assert dfdx.grad(lambda q: np.nanquantile(x, q))(0.3) == pytest.approx(4 * (3.0 - 1.5))
    assert dfdx.derivative(lambda p: np.nanpercentile(x, p))(50.0) == pytest.approx(
        4 * (4.0 - 1.5) / 2 / 100)
    X = np.random.default_rng(5).standard_normal((3, 5))
    nans = np.zeros((3, 5), bool)
    nans[0, 1] = nans[2, 0] = nans[2, 3] = True
    for axis in (None, 0, 1):
        f = lambda x, q: np.nanquantile(np.where(nans, np.nan, x), q, axis=axis)  # noqa: E731
        q = np.array([0.2, 0.7])
        np.testing.assert_allclose(dfdx.vjp(f, X, q)[0], f(X, q), rtol=1e-13)
        dfdx.check_grad(f, X, q, order=2)


def test_quantile_in_both_arguments():
    X = np.random.default_rng(4).standard_normal((4, 3))
    q = np.array([0.15, 0.6, 0.9])
    for method in ["linear", "lower", "higher", "nearest", "midpoint"]:
        f = lambda x, q: np.quantile(x, q, axis=0, method=method)   # noqa: E731
        np.testing.assert_allclose(dfdx.vjp(f, X, q)[0], f(X, q), rtol=1e-13)
        dfdx.check_grad(f, X, q, order=2)


# --- unique and histogram keep the derivatives that exist ----------------------

def test_unique_values_keep_their_derivative():
    x = np.array([3.0, 1.0, 3.0, 2.0])
    J = dfdx.jacrev(lambda x: np.unique(x))(x)
    np.testing.assert_allclose(J, [[0, 1, 0, 0], [0, 0, 0, 1], [0.5, 0, 0.5, 0]])
    np.testing.assert_allclose(dfdx.jacfwd(lambda x: np.unique(x))(x), J)
    vals, idx, inv, cnt = dfdx.vjp(lambda x: np.unique(x, return_index=True,
                                                       return_inverse=True,
                                                       return_counts=True), x)[0]
    for got, want in zip((vals, idx, inv, cnt), np.unique(x, True, True, True)):
        np.testing.assert_array_equal(got, want)
    dfdx.check_grad(lambda x: np.unique(x) ** 2, np.array([0.3, -1.0, 2.0]), order=2)
    R = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]])
    np.testing.assert_array_equal(dfdx.vjp(lambda r: np.unique(r, axis=0), R)[0],
                                  np.unique(R, axis=0))


def test_histogram_edges_follow_min_and_max():
    a = np.array([0.3, 1.2, 2.5, 0.7, 2.0])
    # edges = min + (max - min) * k / bins: d edge_k / d a_min = 1 - k/bins, / d a_max = k/bins
    J = dfdx.jacrev(lambda a: np.histogram(a, bins=4)[1])(a)
    k = np.arange(5) / 4
    want = np.zeros((5, 5))
    want[:, 0], want[:, 2] = 1 - k, k
    np.testing.assert_allclose(J, want, atol=1e-15)
    np.testing.assert_allclose(dfdx.jacfwd(lambda a: np.histogram(a, bins=4)[1])(a), want,
                               atol=1e-15)
    # given edges or a range: the edges are constants
    assert not np.any(dfdx.jacrev(lambda a: np.histogram(a, bins=3, range=(0, 3))[1])(a))
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    h, e = dfdx.vjp(lambda a, w: np.histogram(a, bins=3, weights=w, density=True), a, w)[0]
    H, E = np.histogram(a, bins=3, weights=w, density=True)
    np.testing.assert_allclose(h, H, rtol=1e-13)
    np.testing.assert_allclose(e, E, rtol=1e-13)
    dfdx.check_grad(lambda a, w: np.histogram(a, bins=3, weights=w, density=True), a, w,
                    order=2)


# --- zero spread: std / var at a single element, in every mode and order ------

@pytest.mark.parametrize("f", [
    lambda x: np.std(x), lambda x: np.std(x, axis=0), lambda x: np.std(x, ddof=0) ** 2,
    lambda x: np.std(x[:1]) + x[0], lambda x: np.var(x[:1]),
    lambda x: x.std(), lambda x: np.std(x, where=np.array([True, False])[:x.shape[0]]),
], ids=["std", "std axis", "std**2", "std of one + x", "var of one", "x.std", "std where"])
def test_std_of_one_element_has_derivative_zero(f):
    x = np.array([1.7])
    want = dfdx.numeric.gradient(f, x).value
    for g in (dfdx.grad(f)(x), dfdx.jacfwd(f)(x), dfdx.jacrev(f)(x)):
        np.testing.assert_allclose(g, want, atol=1e-8)
    H = dfdx.hessian(f)(x)
    assert np.all(np.isfinite(H))
    np.testing.assert_allclose(H, 0.0, atol=1e-12)
    np.testing.assert_allclose(dfdx.jacrev(dfdx.grad(f))(x), 0.0, atol=1e-12)
    np.testing.assert_allclose(dfdx.jacfwd(dfdx.jacfwd(f))(x), 0.0, atol=1e-12)


def test_std_at_zero_spread_is_finite_and_zero():
    x = np.full(3, 2.0)
    for d in (dfdx.grad(np.std)(x), dfdx.jacfwd(np.std)(x), dfdx.hessian(np.std)(x)):
        assert np.all(d == 0.0)
    assert dfdx.derivative(lambda t: np.std(np.stack([t, t])))(1.0) == 0.0


def test_std_is_unchanged_away_from_zero_spread():
    x = np.array([0.5, 1.5, -2.0])
    dfdx.check_grad(np.std, x, order=3)
    dfdx.check_grad(lambda x: np.std(x, axis=1, ddof=1), np.stack([x, x ** 2]), order=2)


# --- the keywords named in the issue, with their true values -------------------

def test_issue_examples_keywords():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    m = np.array([True, False, True, True])
    cases = {
        "sum where": (lambda x: np.sum(x, where=m), 8.0, [1, 0, 1, 1]),
        "x.sum where": (lambda x: x.sum(where=m), 8.0, [1, 0, 1, 1]),
        "mean where": (lambda x: np.mean(x, where=m), 8 / 3, [1 / 3, 0, 1 / 3, 1 / 3]),
        "sum initial": (lambda x: np.sum(x, initial=10.0), 20.0, [1, 1, 1, 1]),
        "max initial": (lambda x: np.max(x, initial=10.0), 10.0, [0, 0, 0, 0]),
        "max initial below": (lambda x: np.max(x, initial=-1.0), 4.0, [0, 0, 0, 1]),
        "min where initial": (lambda x: x.min(where=m, initial=9.0), 1.0, [1, 0, 0, 0]),
        "var correction": (lambda x: np.var(x, correction=1), 5 / 3, (x - 2.5) * 2 / 3),
        "std correction": (lambda x: np.std(x, correction=1), np.sqrt(5 / 3),
                           (x - 2.5) / 3 / np.sqrt(5 / 3)),
        "var where": (lambda x: np.var(x, where=m), np.var(x[m]),
                      np.where(m, 2 * (x - np.mean(x[m])) / 3, 0)),
    }
    for name, (f, value, grad) in cases.items():
        assert dfdx.vjp(f, x)[0] == pytest.approx(value), name
        np.testing.assert_allclose(dfdx.grad(f)(x), grad, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(dfdx.jacfwd(f)(x), grad, atol=1e-12, err_msg=name)
    assert dfdx.vjp(lambda x: np.sum(x, dtype=int), np.array([1.5, 2.7]))[0] == 3
    assert dfdx.vjp(lambda x: np.cumsum(x, dtype=int), np.array([1.5, 2.7]))[0].tolist() == [1, 3]
    c = dfdx.vjp(lambda x: np.concatenate([x, x], dtype=np.float32), x)[0]
    assert c.dtype == np.float32
    with pytest.raises(TypeError):
        dfdx.grad(lambda x: np.sum(np.concatenate([x, x], dtype=int)))(x)
    with pytest.raises(ValueError, match="initial"):
        dfdx.grad(lambda x: np.max(x, where=m))(x)
    with pytest.raises(dfdx.UnsupportedOperation, match="out="):
        dfdx.grad(lambda x: np.sum(x, out=np.empty(())))(x)
