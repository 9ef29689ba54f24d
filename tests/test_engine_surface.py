"""The engine's public surface, as the transforms use it: traces, sweeps, the tape replay,
the rule a mode lacks, and what `jacobian(mode="auto")` costs (one call of f)."""

import numpy as np
import pytest

import dfdx
from dfdx._core import ForwardTrace, MissingRule, ReverseTrace, configure
from dfdx._numpy import ArrayBox


def _counting(f):
    calls = []

    def g(*a, **k):
        calls.append(1)
        return f(*a, **k)
    return g, calls


def test_reverse_trace_input_backward_and_unbox():
    x = np.array([1.0, 2.0, 3.0])
    with ReverseTrace() as trace:
        bx = trace.input(x)
        y = np.sum(np.sin(bx) * bx)
    assert trace.done and trace.owns(y) and not trace.owns(x)
    assert trace.unbox(y) == np.sum(np.sin(x) * x) and trace.unbox(x) is x
    g, = trace.backward([(y, np.float64(1.0))], [bx])
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-14)
    # the tape is kept: a second sweep with another seed scales the answer
    g2, = trace.backward([(y, np.float64(2.0))], [bx])
    np.testing.assert_allclose(g2, 2 * g, rtol=1e-14)


def test_backward_from_a_constant_output_reaches_nothing():
    trace = ReverseTrace()
    bx = trace.input(np.float64(1.0))
    assert trace.backward([(np.float64(3.0), 1.0)], [bx]) == [None]


def test_a_failed_sweep_leaves_no_cotangent_behind():
    @dfdx.primitive
    def boom(x):
        return x * 1.0
    boom.defvjp(lambda g, ans, x: 1 / 0)
    with ReverseTrace() as trace:
        bx = trace.input(np.float64(2.0))
        y = bx * 3.0 + boom(bx)
    with pytest.raises(ZeroDivisionError):
        trace.backward([(y, 1.0)], [bx])
    assert all(node[0] is None for node in trace.tape + trace.leaves)


def test_forward_trace_tangent_and_find():
    with ForwardTrace() as outer:
        bo = outer.input(np.float64(0.5), np.float64(1.0))
        with ForwardTrace() as inner:
            bi = inner.input(bo, np.float64(1.0))
            y = np.sin(bi)
    assert inner.tangent(y) == pytest.approx(np.cos(0.5))
    assert outer.tangent(y) is None            # y is a box of the inner trace
    assert outer.find(y) is not None and outer.find(3.0) is None
    assert outer.tangent(outer.find(y)) == pytest.approx(np.cos(0.5))   # d/dx sin(x)


def test_forward_replay_of_a_tape_equals_a_forward_pass():
    A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    x = np.array([0.3, -0.7])

    def f(x):
        w, v = np.linalg.eigh(np.outer(x, x) + np.eye(2))   # a multiple-results primitive
        return np.tanh(A @ x) * np.sum(w)

    with ReverseTrace(keep=True) as trace:
        bx = trace.input(x)
        y = f(bx)
    t = np.eye(2)
    replayed, = trace.forward_batched([(bx, t)], [y])
    np.testing.assert_allclose(replayed.T, dfdx.jacfwd(f)(x), rtol=1e-13, atol=1e-15)
    assert all(node[0] is None for node in trace.tape + trace.leaves)


def test_missing_rule_states_its_mode():
    @dfdx.primitive
    def cube(x):
        return x ** 3
    cube.defvjp(lambda g, ans, x: 3 * x ** 2 * g)
    with pytest.raises(MissingRule) as e:
        dfdx.jvp(cube, (2.0,), (1.0,))
    assert e.value.mode == "forward" and isinstance(e.value, dfdx.UnsupportedOperation)
    # value_and_grad of a scalar tries forward mode first and falls back on that property
    f, calls = _counting(cube)
    assert dfdx.value_and_grad(f)(2.0) == (8.0, 12.0)
    assert len(calls) == 2

    @dfdx.primitive
    def square(x):
        return x ** 2
    square.defjvp(lambda t, ans, x: 2 * x * t)
    with pytest.raises(MissingRule) as e:
        dfdx.grad(lambda x: np.sum(square(x)))(np.array([2.0]))
    assert e.value.mode == "reverse"


def test_configure_refuses_a_class_that_is_not_a_box():
    with pytest.raises(TypeError, match="Box subclass"):
        configure(box_class=int, accumulate=None, batch_jvp=None, batch_vjp=None, cast=None,
                  scalar_types=())
    assert type(ReverseTrace().input(np.ones(2))) is ArrayBox   # the wiring is unchanged


@pytest.mark.parametrize("n_in, n_out", [(2, 5), (5, 2), (3, 3)])
def test_jacobian_auto_calls_f_once(n_in, n_out):
    A = np.arange(1.0, 1.0 + n_in * n_out).reshape(n_out, n_in) / 10
    f, calls = _counting(lambda x: np.tanh(A @ x) * x[0])
    x = np.linspace(0.2, 0.9, n_in)
    jac = dfdx.jacobian(f)(x)
    assert len(calls) == 1
    np.testing.assert_allclose(jac, dfdx.jacfwd(f)(x), rtol=1e-13)
    np.testing.assert_allclose(jac, dfdx.jacrev(f)(x), rtol=1e-13)


def test_jacobian_auto_of_a_wide_pytree_output_with_aux():
    def f(p):
        y = {"a": np.sin(p["u"]) * p["v"], "b": np.stack([p["v"], p["v"] ** 2, np.exp(p["v"])])}
        return y, "aux"
    p = {"u": np.array([0.1, 0.2]), "v": np.float64(0.5)}
    (jac, aux), (ref, _) = dfdx.jacobian(f, has_aux=True)(p), dfdx.jacfwd(f, has_aux=True)(p)
    assert aux == "aux"
    for k in ("a", "b"):
        for leaf in ("u", "v"):
            np.testing.assert_allclose(jac[k][leaf], ref[k][leaf], rtol=1e-14)
    np.testing.assert_allclose(jac["b"]["v"], [1.0, 1.0, np.exp(0.5)], rtol=1e-14)
