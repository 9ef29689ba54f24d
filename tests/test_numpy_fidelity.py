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

_rng = np.random.default_rng(7)
A = _rng.standard_normal((2, 3))
B = _rng.standard_normal((2, 3))
V = _rng.standard_normal(4)
M = _rng.standard_normal((3, 3))
SPD = M @ M.T + 3 * np.eye(3)
MASK = np.array([True, False, True])
MASK2 = np.array([[True, False, True], [False, True, True]])


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
TABLE[np.amax] = TABLE[np.max]
TABLE[np.amin] = TABLE[np.min]
TABLE[np.permute_dims] = TABLE[np.transpose]


def _public(fn):
    name = callable_name(fn)
    return fn in FUNCTIONS and not isinstance(fn, np.ufunc) and "._" not in name \
        and not name.startswith("dfdx")


PUBLIC = sorted((f for f in FUNCTIONS if _public(f)), key=callable_name)

#: keywords of a callable dfdx's rules for it leave out today (reported): a failing
#: test (xfail, strict) each, so that the fix shows.
_IGNORES_OUT = ("out= is ignored: the result is right but the out array is never written "
                "(dfdx/rules/{} is another helper's; reported)")
KNOWN_WRONG: dict = {
    (np.clip, "out"): _IGNORES_OUT.format("ufuncs.py"),
    (np.dot, "out"): _IGNORES_OUT.format("linalg.py"),
    (np.outer, "out"): _IGNORES_OUT.format("linalg.py"),
    (np.linalg.multi_dot, "out"): _IGNORES_OUT.format("linalg.py"),
    (np.einsum, "out"): "out= is refused with a bare TypeError, not a dfdx error "
                        "(dfdx/rules/linalg.py; reported)",
    (np.linalg.trace, "dtype"): "dtype=float32 is ignored: the trace comes back float64 "
                                "(dfdx/rules/linalg.py; reported)",
}


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
        dfdx.check_grad(lambda *xs: entry.call(*xs, **_kw(kw, value)), *entry.args, order=1,
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

    def call(*xs):
        return uf(*xs, **_kw(kw, value))
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
