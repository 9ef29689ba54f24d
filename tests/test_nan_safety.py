"""NaN-safety: the branch np.where did not select never leaks inf or NaN into a derivative.

In every mode and at every order (derivative, grad of a scalar -- forward mode --,
grad of an array -- reverse --, jvp, jacfwd, jacrev, hessian, second derivatives),
at scalars and arrays, at x = 0, negative x and where exp overflows. Also the
0 * inf of x**0 at 0 and the other special points of the elementwise partials.
"""

import warnings

import numpy as np
import pytest

import dfdx

# name -> (function, its derivative where the selected branch is smooth, its second derivative)
CASES = {
    "sqrt": (lambda x: np.where(x > 0, np.sqrt(x), 0.0),
             lambda x: np.where(x > 0, 0.5 / np.sqrt(np.abs(x) + (x <= 0)), 0.0),
             lambda x: np.where(x > 0, -0.25 / (np.abs(x) + (x <= 0)) ** 1.5, 0.0)),
    "log": (lambda x: np.where(x > 0, np.log(x), 0.0),
            lambda x: np.where(x > 0, 1 / np.where(x > 0, x, 1), 0.0),
            lambda x: np.where(x > 0, -1 / np.where(x > 0, x, 1) ** 2, 0.0)),
    "reciprocal": (lambda x: np.where(x != 0, 1 / x, 0.0),
                   lambda x: np.where(x != 0, -1 / np.where(x != 0, x, 1) ** 2, 0.0),
                   lambda x: np.where(x != 0, 2 / np.where(x != 0, x, 1) ** 3, 0.0)),
    "sinc": (lambda x: np.where(x != 0, np.sin(x) / x, 1.0),
             lambda x: np.where(x != 0, (x * np.cos(x) - np.sin(x)) / np.where(x != 0, x, 1) ** 2,
                                0.0),
             None),
    "exp overflow": (lambda x: np.where(x < 100, np.exp(x), 0.0),
                     lambda x: np.where(x < 100, np.exp(np.minimum(x, 100)), 0.0),
                     lambda x: np.where(x < 100, np.exp(np.minimum(x, 100)), 0.0)),
}
POINTS = [0.0, -1.0, 2.0, 1000.0]


def _scalar_ways(f):
    return {
        "derivative": dfdx.derivative(f),
        "grad (forward, scalar)": dfdx.grad(f),
        "jvp": lambda x: dfdx.jvp(f, (x,), (1.0,))[1],
        "reverse (vjp)": lambda x: dfdx.vjp(f, x)[1](1.0)[0],
    }


def _second_ways(f):
    return {
        "derivative n=2": dfdx.derivative(f, n=2),
        "grad of grad": dfdx.grad(dfdx.grad(f)),
        "hessian of scalar": dfdx.hessian(f),
        "jvp of grad": lambda x: dfdx.jvp(dfdx.grad(f), (x,), (1.0,))[1],
    }


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # NumPy's own warnings of the unselected branch
        yield


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("x", POINTS)
def test_scalar_first_order_every_mode(name, x):
    f, df, _ = CASES[name]
    want = float(df(np.float64(x)))
    for way, d in _scalar_ways(f).items():
        got = d(x)
        assert np.isfinite(got), f"{name} at {x}: {way} gave {got}"
        assert got == pytest.approx(want, rel=1e-10, abs=1e-12), f"{name} at {x}: {way}"


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("x", POINTS)
def test_scalar_second_order_every_mode(name, x):
    f, _, d2f = CASES[name]
    for way, d in _second_ways(f).items():
        got = d(x)
        assert np.isfinite(got), f"{name} at {x}: {way} gave {got}"
        if d2f is not None:
            assert got == pytest.approx(float(d2f(np.float64(x))), rel=1e-8, abs=1e-12), way


@pytest.mark.parametrize("name", list(CASES))
def test_arrays_every_mode(name):
    f, df, d2f = CASES[name]
    x = np.array(POINTS)
    want = df(x)
    total = lambda v: np.sum(f(v))   # noqa: E731
    results = {
        "grad (reverse)": dfdx.grad(total)(x),
        "derivative": dfdx.derivative(f)(x),
        "jvp": dfdx.jvp(f, (x,), (np.ones_like(x),))[1],
        "jacfwd": np.diag(dfdx.jacfwd(f)(x)),
        "jacrev": np.diag(dfdx.jacrev(f)(x)),
        "jacobian": np.diag(dfdx.jacobian(f)(x)),
    }
    for way, got in results.items():
        assert np.all(np.isfinite(got)), f"{name}: {way} gave {got}"
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=way)
    # off-diagonal Jacobian entries (directions that do not move an element) are exactly 0
    for jac in (dfdx.jacfwd(f)(x), dfdx.jacrev(f)(x)):
        assert np.all(jac[~np.eye(len(x), dtype=bool)] == 0)
    hess = {"hessian": dfdx.hessian(total)(x),
            "jacfwd(jacrev)": dfdx.jacfwd(dfdx.jacrev(total))(x),
            "jacrev(jacrev)": dfdx.jacrev(dfdx.jacrev(total))(x),
            "hvp": np.diag(dfdx.hvp(total, (x,), (np.ones_like(x),)))}
    for way, h in hess.items():
        assert np.all(np.isfinite(h)), f"{name}: {way} gave {h}"
        if d2f is not None:
            np.testing.assert_allclose(np.diag(h), d2f(x), rtol=1e-8, atol=1e-12, err_msg=way)


def test_direction_with_zeros_at_infinite_partial():
    # a direction that does not move an element gives it tangent 0 even where sqrt' = inf
    x = np.array([0.0, 1.0])
    _, t = dfdx.jvp(np.sqrt, (x,), (np.array([0.0, 1.0]),))
    np.testing.assert_array_equal(t, [0.0, 0.5])
    _, t = dfdx.jvp(np.exp, (np.array([1000.0, 0.0]),), (np.array([0.0, 1.0]),))
    np.testing.assert_array_equal(t, [0.0, 1.0])


# --- x**0 at 0 and the other special points of the elementwise partials ----------------

@pytest.mark.parametrize("x", [0.0, 1.0, -1.0, 2.5])
def test_power_zero_has_derivative_zero(x):
    f = lambda v: v ** 0   # noqa: E731
    for d in (dfdx.derivative(f), dfdx.grad(f), dfdx.derivative(f, n=2), dfdx.grad(dfdx.grad(f))):
        assert d(x) == 0
    xs = np.array([0.0, -1.0, 2.0])
    np.testing.assert_array_equal(dfdx.grad(lambda v: np.sum(v ** 0))(xs), 0)
    np.testing.assert_array_equal(dfdx.hessian(lambda v: np.sum(v ** 0))(xs), 0)
    # an array exponent that is 0 somewhere
    y = np.array([0.0, 2.0, 0.0])
    np.testing.assert_array_equal(dfdx.grad(lambda v: np.sum(np.power(v, y)))(np.zeros(3)), 0)
    np.testing.assert_allclose(dfdx.grad(lambda v: np.sum(np.power(v, y)))(np.ones(3)), [0, 2, 0])


def test_power_one_and_two_at_zero():
    assert dfdx.derivative(lambda v: v ** 1)(0.0) == 1
    assert dfdx.derivative(lambda v: v ** 2, n=2)(0.0) == 2
    assert dfdx.grad(dfdx.grad(lambda v: v ** 1))(0.0) == 0


SPECIAL = [  # (function, point, first derivative there) -- finite truths only
    (np.tanh, np.inf, 0.0), (np.tanh, -np.inf, 0.0), (np.exp, -np.inf, 0.0),
    (np.arctan, np.inf, 0.0), (np.arcsinh, np.inf, 0.0), (np.sin, 0.0, 1.0),
    (np.abs, 0.0, 0.0), (lambda x: np.hypot(x, 0.0), 0.0, 0.0),
    (lambda x: np.hypot(x, 0.0), -1.0, -1.0), (np.square, 0.0, 0.0), (np.sqrt, 1.0, 0.5),
    (np.log, 1.0, 1.0), (np.cbrt, -1.0, 1 / 3), (np.arcsin, 0.0, 1.0),
    (lambda x: x ** 3, 0.0, 0.0), (lambda x: x ** 0.5 * 0 + x, 1.0, 1.0),
]


@pytest.mark.parametrize("fn, x, want", SPECIAL)
def test_special_points(fn, x, want):
    for d in (dfdx.derivative(fn), dfdx.grad(fn), lambda v: dfdx.vjp(fn, v)[1](1.0)[0]):
        assert d(x) == pytest.approx(want)
    xs = np.array([x, x])
    np.testing.assert_allclose(dfdx.grad(lambda v: np.sum(fn(v)))(xs), [want, want])


def test_where_broadcasting_keeps_working():
    f = lambda x, y: np.where(x > 0, np.sqrt(x), y)   # noqa: E731
    x = np.array([[0.0, 4.0, -1.0]])
    y = np.array([[1.0], [2.0]])
    gx, gy = dfdx.grad(lambda a, b: np.sum(f(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, [[0.0, 0.5, 0.0]])
    np.testing.assert_allclose(gy, [[2.0], [2.0]])
    jf = dfdx.jacfwd(f, argnums=1)(x, y)
    jr = dfdx.jacrev(f, argnums=1)(x, y)
    np.testing.assert_allclose(jf, jr)
    assert np.all(np.isfinite(jf))
