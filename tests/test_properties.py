"""Property-based tests: random composite NumPy expressions, reverse = forward = numeric.

Hypothesis draws an expression tree over two array variables (elementwise
functions, products, broadcasting reductions, shape and order operations) and
a point; `dfdx.check_grad` then requires reverse mode, forward mode and
numeric differentiation to agree, at first and second order.
"""

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dfdx
from dfdx.rules import special

# Smooth functions with bounded growth, so that random compositions stay well scaled.
UNARY = {
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "arctan": np.arctan, "expit": sp.expit,
    "neg": np.negative,
    "softplus": lambda a: np.logaddexp(0.0, a),
    "sqrt1p": lambda a: np.sqrt(1.0 + a * a),
    "log1p_sq": lambda a: np.log1p(np.square(a)),
    "xtanh": lambda a: a * np.tanh(a),
    "exp_tanh": lambda a: np.exp(np.tanh(a)),
    "center": lambda a: a - np.mean(a, axis=-1, keepdims=True) if np.ndim(a) else a,
    "cumsum": lambda a: np.cumsum(a, axis=-1) if np.ndim(a) else a,
    "flip": lambda a: np.flip(a, -1) if np.ndim(a) else a,
    "roll": lambda a: np.roll(a, 1, axis=-1) if np.ndim(a) else a,
    "softmax": lambda a: special.softmax(a, axis=-1) if np.ndim(a) else a,
    "std1": lambda a: np.sqrt(np.var(a, axis=0, keepdims=True) + 1.0) * a if np.ndim(a) else a,
}
BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply,
    "div": lambda a, b: a / (1.0 + b * b),
    "logaddexp": np.logaddexp,
    "sum_mul": lambda a, b: np.sum(a, axis=0, keepdims=True) * b if np.ndim(a) else a * b,
    "where": lambda a, b: np.where(np.arange(np.size(a)).reshape(np.shape(a)) % 2 == 0, a, b),
    "dot": lambda a, b: a * np.sum(np.sin(a) * b),
}


def _build(tree):
    if tree == "x":
        return lambda x, y: x
    if tree == "y":
        return lambda x, y: y
    if tree == "c":
        return lambda x, y: 0.5
    if len(tree) == 2:
        op, arg = UNARY[tree[0]], _build(tree[1])
        return lambda x, y: op(arg(x, y))
    op, a, b = BINARY[tree[0]], _build(tree[1]), _build(tree[2])
    return lambda x, y: op(a(x, y) + 0 * x, b(x, y) + 0 * y)


def _show(tree):
    if isinstance(tree, str):
        return tree
    return f"{tree[0]}({', '.join(_show(t) for t in tree[1:])})"



def _expressions(unary=tuple(sorted(UNARY))):
    return st.recursive(
        st.sampled_from(["x", "y", "c"]),
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(unary), inner),
            st.tuples(st.sampled_from(sorted(BINARY)), inner, inner)),
        max_leaves=6)


expressions = _expressions()

points = st.sampled_from([(), (3,), (2, 3)]).flatmap(
    lambda shape: st.tuples(*[hnp.arrays(np.float64, shape,
                                         elements=st.floats(-2, 2, allow_subnormal=False))] * 2))

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _check(tree, xy, order):
    f = _build(tree)
    f.__qualname__ = _show(tree)
    x, y = xy
    dfdx.check_grad(f, x, y, order=order, step=0.01, rtol=1e-5, atol=1e-7)


@settings(max_examples=80, **SETTINGS)
@given(expressions, points)
def test_reverse_equals_forward_equals_numeric(tree, xy):
    _check(tree, xy, order=1)


@settings(max_examples=30, **SETTINGS)
@given(expressions, points)
def test_second_order_reverse_equals_forward_equals_numeric(tree, xy):
    _check(tree, xy, order=2)


@settings(max_examples=30, **SETTINGS)
@given(expressions, points)
def test_grad_equals_jacobian_rows(tree, xy):
    """grad of <w, f> equals w contracted with the Jacobian, in both modes."""
    f = _build(tree)
    x, y = xy
    out = f(x, y) + 0 * x
    w = np.linspace(-1.0, 1.0, np.size(out)).reshape(np.shape(out))
    g = dfdx.grad(lambda x: np.sum(w * (f(x, y) + 0 * x)))(x)
    for mode in ("fwd", "rev"):
        jac = dfdx.jacobian(lambda x: f(x, y) + 0 * x, mode=mode)(x)
        expected = np.tensordot(w, jac, axes=np.ndim(out)) if np.ndim(out) else w * jac
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)


def test_expressions_are_varied():
    """The strategy reaches every operation (a guard against a silently narrow test)."""
    seen = set()

    @settings(max_examples=300, **SETTINGS)
    @given(expressions)
    def collect(tree):
        stack = [tree]
        while stack:
            t = stack.pop()
            if not isinstance(t, str):
                seen.add(t[0])
                stack.extend(t[1:])
    collect()
    assert seen == set(UNARY) | set(BINARY)


pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
