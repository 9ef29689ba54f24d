"""The compiler under dfdx.jit: recorded graphs, their optimisation and the generated source.

Graphs are recorded here by a small recorder that runs NumPy on concrete values
and notes each call; the generated code must give the recorded values bit for
bit, never write into an input, a constant or a buffer a live view still sees,
and give the same answer on every call.
"""

import operator

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dfdx._jit import Graph, Ref, generate, interpret, optimize
from dfdx._jit.passes import cse, dce, fold, simplify


class Recorder:
    """Runs NumPy calls on concrete values and records them in a Graph."""

    def __init__(self):
        self.g = Graph()
        self.val = {}

    def input(self, x):
        r = self.g.input(x)
        self.val[r.id] = x
        return r

    def const(self, x):
        r = self.g.const(x)
        self.val[r.id] = x
        return r

    def __call__(self, fn, *args, **kwargs):
        look = lambda o: self.val[o.id] if isinstance(o, Ref) else o       # noqa: E731
        res = fn(*[_map(a, look) for a in args], **{k: _map(v, look) for k, v in kwargs.items()})
        r = self.g.call(fn, args, kwargs, res)
        for ref, v in zip(r if isinstance(r, tuple) else (r,),
                          res if isinstance(r, tuple) else (res,)):
            self.val[ref.id] = v
        return r

    def value(self, r):
        return self.val[r.id]


@pytest.fixture(autouse=True)
def _reuse_every_buffer(monkeypatch):
    # why: these tests reason about buffer reuse on small arrays, which the generated code
    # otherwise leaves to NumPy's allocator (codegen.MIN_REUSE_BYTES)
    from dfdx._jit import codegen
    monkeypatch.setattr(codegen, "MIN_REUSE_BYTES", 0)


def test_small_results_are_not_written_into_buffers(monkeypatch):
    from dfdx._jit import codegen
    monkeypatch.setattr(codegen, "MIN_REUSE_BYTES", 4096)
    for n, reused in ((10, False), (1000, True)):
        r = Recorder()
        x = r.input(np.ones(n))
        r.g.outputs = [r(np.exp, r(np.sin, x))]
        assert ("out=" in generate(r.g).source) is reused


def _map(a, look):
    if isinstance(a, (list, tuple)):
        return type(a)(_map(o, look) for o in a)
    return look(a)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


def test_dead_code_is_removed_and_outputs_kept():
    r = Recorder()
    x = r.input(np.arange(3.0))
    unused = r(np.exp, x)
    y = r(np.sin, x)
    r.g.outputs = [y]
    g = dce(r.g)
    assert [n.fn for n in g.nodes] == [np.sin]
    assert unused.id not in {i for n in g.nodes for i in n.outs}


def test_common_subexpressions_are_computed_once():
    r = Recorder()
    x = r.input(np.arange(3.0))
    a, b = r(np.cos, x), r(np.cos, x)
    s = r(np.sum, r(np.multiply, a, b), axis=0)
    t = r(np.sum, r(np.multiply, a, b), axis=0)
    r.g.outputs = [s, t]
    g = optimize(r.g)
    assert [getattr(n.fn, "__name__", "") for n in g.nodes].count("cos") == 1
    assert len(g.nodes) == 3
    out = generate(g)(np.array([0.5, 1.0, 2.0]))
    _same(out[0], out[1])
    _same(out[0], np.sum(np.cos([0.5, 1.0, 2.0]) ** 2, axis=0))


def test_different_parameters_are_not_merged():
    r = Recorder()
    x = r.input(np.ones((2, 3)))
    r.g.outputs = [r(np.sum, x, axis=0), r(np.sum, x, axis=1),
                     r(np.sum, x, axis=1, keepdims=True)]
    assert len(cse(r.g).nodes) == 3


def test_calls_on_constants_are_folded():
    r = Recorder()
    x = r.input(np.ones(3))
    c = r.const(np.array([1.0, 2.0, 3.0]))
    e = r(np.exp, c)
    r.g.outputs = [r(np.multiply, x, e)]
    g = fold(r.g)
    assert [n.fn for n in g.nodes] == [np.multiply]
    _same(generate(g)(np.full(3, 2.0))[0], 2.0 * np.exp([1.0, 2.0, 3.0]))


def test_exact_identities_only():
    r = Recorder()
    x = r.input(np.array([-0.0, 1.5, np.nan]))
    one = r(np.multiply, x, 1.0)
    plus_zero = r(np.add, one, 0.0)          # not an identity: -0. + 0. is +0.
    minus_zero = r(np.subtract, plus_zero, 0.0)
    widened = r(np.multiply, minus_zero, np.ones((2, 3)))   # changes the shape: kept
    r.g.outputs = [widened]
    g = simplify(r.g)
    assert [n.fn for n in g.nodes] == [np.add, np.multiply]
    got = generate(g)(np.array([-0.0, 1.5, np.nan]))[0]
    want = r.value(widened)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_array_equal(got, want)


def test_dead_operands_are_updated_in_place():
    r = Recorder()
    x = r.input(np.ones(4))
    a = r(np.sin, x)
    b = r(np.multiply, a, 3.0)
    c = r(np.exp, b)
    r.g.outputs = [c]
    src = generate(r.g, "chain").source
    assert "out=" in src and "out=x0" not in src
    x0 = np.linspace(0, 1, 4)
    keep = x0.copy()
    _same(generate(r.g)(x0)[0], np.exp(np.sin(keep) * 3.0))
    _same(x0, keep)


def test_a_live_view_keeps_its_buffer():
    r = Recorder()
    x = r.input(np.arange(6.0))
    a = r(np.sin, x)
    view = r(np.transpose, r(np.reshape, a, (2, 3)))     # a view of a view of a
    b = r(np.exp, a)                         # a is dead after this, but `view` is not
    c = r(np.add, b, 1.0)
    d = r(np.sum, view, axis=0)
    r.g.outputs = [c, d]
    f = generate(r.g)
    x0 = np.linspace(-1, 1, 6)
    got = f(x0)
    _same(got[0], np.exp(np.sin(x0)) + 1.0)
    _same(got[1], np.sum(np.sin(x0).reshape(2, 3).T, axis=0))


def test_outputs_inputs_and_constants_are_never_written():
    r = Recorder()
    x = r.input(np.ones(3))
    c = r.const(np.array([1.0, 2.0, 3.0]))
    a = r(np.add, x, c)
    b = r(np.multiply, a, a)
    r.g.outputs = [a, b, c]
    f = generate(r.g)
    x0 = np.array([1.0, 2.0, 3.0])
    first = f(x0)
    _same(first[0], x0 + [1, 2, 3])
    _same(first[1], (x0 + [1, 2, 3]) ** 2)
    first[2][:] = 99                         # a constant handed out is a copy
    _same(f(x0)[2], np.array([1.0, 2.0, 3.0]))


def test_source_is_readable_python():
    r = Recorder()
    x = r.input(np.ones((3, 4)))
    y = r(operator.getitem, x, (slice(1, None), Ellipsis, None))
    z = r(np.tanh, y)
    r.g.outputs = [r(np.linalg.norm, z, axis=(0, 1)), r(np.add.reduce, z, axis=0)]
    src = generate(r.g, "layer").source
    assert "x0[1:, ..., None]" in src
    assert "np.tanh(v1)" in src and "np.linalg.norm(v2, axis=(0, 1))" in src
    assert "np.add.reduce(v2, axis=0)" in src
    x0 = np.arange(12.0).reshape(3, 4) / 10
    got = generate(r.g)(x0)
    want = interpret(r.g, [x0])
    for a, b in zip(got, want):
        _same(a, b)


def test_multiple_results_are_unpacked():
    r = Recorder()
    x = r.input(np.eye(2) * 2.0)
    w, v = r(np.linalg.eigh, x)
    r.g.outputs = [r(np.multiply, w, 2.0)]
    g = optimize(r.g)
    assert "v1, v2 = np.linalg.eigh(x0)" in generate(g).source
    _same(generate(g)(np.diag([1.0, 3.0]))[0], np.array([2.0, 6.0]))


_UNARY = [np.sin, np.exp, np.tanh, np.negative, np.square, np.abs]
_BINARY = [np.add, np.multiply, np.subtract, np.maximum]


@st.composite
def programs(draw):
    """A random program of elementwise, structural and reducing calls, recorded."""
    shape = draw(st.sampled_from([(3,), (2, 3), (4, 1)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    r = Recorder()
    xs = [r.input(rng.uniform(-1, 1, shape)) for _ in range(draw(st.integers(1, 2)))]
    vals = list(xs)
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "const", "view", "reduce", "repeat"]))
        a = draw(st.sampled_from(vals))
        if kind == "unary":
            vals.append(r(draw(st.sampled_from(_UNARY)), a))
        elif kind == "binary":
            b = draw(st.sampled_from(vals))
            try:
                np.broadcast_shapes(np.shape(r.value(a)), np.shape(r.value(b)))
            except ValueError:
                continue
            vals.append(r(draw(st.sampled_from(_BINARY)), a, b))
        elif kind == "const":
            c = draw(st.sampled_from([1.0, 0.0, -0.0, 2.0]))
            vals.append(r(draw(st.sampled_from(_BINARY)), a, c))
        elif kind == "view" and np.ndim(r.value(a)) >= 1:
            vals.append(r(draw(st.sampled_from([np.transpose, np.ravel])), a))
        elif kind == "reduce" and np.ndim(r.value(a)) >= 1:
            vals.append(r(np.sum, a, axis=0))
        elif kind == "repeat":
            vals.append(r(np.sin, a))        # a common subexpression when drawn twice
    outs = draw(st.lists(st.sampled_from(vals), min_size=1, max_size=3))
    r.g.outputs = outs
    return r, [r.value(x) for x in xs], [r.value(o) for o in outs]


@settings(max_examples=200, deadline=None)
@given(programs())
def test_generated_code_matches_the_recording(case):
    r, inputs, want = case
    keep = [x.copy() for x in inputs]
    for g in (r.g, optimize(r.g)):
        f = generate(g)
        for _ in range(2):                  # the same answer on every call
            got = f(*inputs)
            for a, b in zip(got, want):
                _same(a, b)
            for x, k in zip(inputs, keep):
                _same(x, k)                  # inputs are never written


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_non_finite_python_floats_are_written_out(bad):
    r = Recorder()
    x = r.input(np.ones(2))
    r.g.outputs = [r(np.minimum, x, bad)]
    _same(generate(r.g)(np.array([1.0, 2.0]))[0], np.minimum(np.array([1.0, 2.0]), bad))


def test_identity_seed_times_a_matrix_scales_rows():
    from dfdx._jit.passes import identity_seeds, scale_rows
    rng = np.random.default_rng(1)
    B = rng.standard_normal((4, 3))
    r = Recorder()
    w = r.input(rng.standard_normal(4))
    eye = r.const(np.eye(4))
    d = r(np.multiply, eye, w)
    r.g.outputs = [r(np.matmul, d, r.const(B))]
    g = identity_seeds(r.g)
    assert [n.fn for n in dce(g).nodes] == [scale_rows]       # the n^3 product is gone
    x = rng.standard_normal(4)
    np.testing.assert_allclose(generate(optimize(r.g))(x)[0], (np.eye(4) * x) @ B, rtol=1e-15)
    bad = np.array([1.0, np.inf, 2.0, 3.0])                  # not finite: made as written
    with np.errstate(invalid="ignore"):
        _same(scale_rows(bad, B, np.eye(4)), (np.eye(4) * bad) @ B)


def test_a_broadcast_or_reshape_to_its_own_shape_is_dropped():
    r = Recorder()
    x = r.input(np.ones((2, 3)))
    y = r(np.sin, x)
    b = r(np.broadcast_to, y, (2, 3))
    c = r(np.reshape, b, (2, 3))
    r.g.outputs = [r(np.reshape, c, (3, 2))]
    fns = [n.fn for n in simplify(r.g).nodes]
    assert fns == [np.sin, np.reshape]
    _same(generate(optimize(r.g))(np.full((2, 3), 0.5))[0], np.sin(np.full((2, 3), 0.5)).reshape(3, 2))


def test_quicker_spellings_of_the_same_calls():
    r = Recorder()
    x = r.input(np.linspace(-1, 1, 6).reshape(2, 3))
    sq = r(np.power, x, 2)
    b = r(np.broadcast_to, r(np.sum, sq, axis=1, keepdims=True), (2, 3))
    y = r(np.multiply, b, x)                        # the ufunc broadcasts by itself
    ok = r(np.all, r(np.isfinite, y))
    r.g.outputs = [y, ok, r(np.max, y, axis=0), r(np.transpose, y, (1, 0))]
    src = generate(optimize(r.g)).source
    for text in ("np.square(x0)", "np.add.reduce(", "np.maximum.reduce(", ".all()",
                 ".transpose((1, 0))"):
        assert text in src, src
    assert "broadcast_to" not in src and "np.power" not in src
    x2 = np.array([[0.5, -2.0, 3.0], [1.0, 0.0, -1.5]])
    for got, want in zip(generate(optimize(r.g))(x2), interpret(r.g, [x2])):
        _same(got, want)


def test_a_reduced_buffer_is_reused_and_python_numbers_keep_the_array_dtype():
    for dtype in (np.float64, np.float32):
        r = Recorder()
        x = r.input(np.ones(8, dtype))
        a = r(np.sin, x)
        total = r(np.add.reduce, a, axis=None)          # a new value: a is dead after it
        b = r(np.multiply, 2, x)                         # may be written into a's buffer
        r.g.outputs = [total, r(np.subtract, 1.5, b)]
        code = generate(optimize(r.g))
        assert "np.multiply(f%d_2, x0, out=v1)" % (8 * np.dtype(dtype).itemsize) in code.source
        xs = np.linspace(-1, 1, 8).astype(dtype)
        for got, want in zip(code(xs), interpret(r.g, [xs])):
            _same(got, want)
