"""Engine behaviour seen through the public API: nesting, pytrees, dtypes, deep
graphs, control flow, NaN-safety, the kink conventions, and every error message."""

import math
from collections import namedtuple

import numpy as np
import pytest
import scipy.special as sp

import dfdx
from dfdx.rules import special


# --- nesting -----------------------------------------------------------------

def test_no_perturbation_confusion_reverse():
    def outer(x):
        return x * dfdx.grad(lambda y: x + y)(1.0)
    assert dfdx.grad(outer)(3.0) == 1.0


def test_no_perturbation_confusion_forward_and_mixed():
    def outer(x):
        return x * dfdx.derivative(lambda y: x * 0 + x + y)(1.0)
    assert dfdx.derivative(outer)(3.0) == 1.0
    assert dfdx.grad(outer)(3.0) == 1.0


def test_nested_derivatives_of_a_product():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    def outer(x):
        return x * dfdx.grad(lambda y: x * y)(2.0)
    assert dfdx.grad(outer)(3.0) == 6.0


# --- pytrees, argnums, has_aux ------------------------------------------------

Params = namedtuple("Params", "w b")


def test_grad_of_namedtuple_dict_and_list_arguments():
    g = dfdx.grad(lambda p: np.sum(p.w * 2.0) + p.b)(Params(np.ones(2), 1.0))
    assert isinstance(g, Params)
    np.testing.assert_array_equal(g.w, [2.0, 2.0])
    assert g.b == 1.0
    g = dfdx.grad(lambda d: d["a"] * d["b"][0] ** 2)({"a": 2.0, "b": [3.0]})
    assert g["a"] == 9.0 and g["b"][0] == 12.0 and isinstance(g["b"], list)


def test_argnums_int_and_tuple():
    def f(x, y, z):
        return x * y ** 2 + z
    assert dfdx.grad(f, argnums=1)(2.0, 3.0, 4.0) == 12.0
    assert dfdx.grad(f, argnums=(0, 2))(2.0, 3.0, 4.0) == (9.0, 1.0)
    assert dfdx.grad(f, argnums=-1)(2.0, 3.0, 4.0) == 1.0


def test_has_aux_and_value_and_grad():
    g, aux = dfdx.grad(lambda x: (x ** 2, {"x": x}), has_aux=True)(3.0)
    assert g == 6.0 and aux["x"] == 3.0
    (val, aux), g = dfdx.value_and_grad(lambda x: (np.sin(x), 7), has_aux=True)(0.0)
    assert val == 0.0 and aux == 7 and g == 1.0


def test_vjp_and_jvp_of_pytree_outputs():
    def f(x):
        return {"s": np.sum(x), "p": x * 2.0}
    out, vjp_fn = dfdx.vjp(f, np.ones(2))
    (ct,) = vjp_fn({"s": 1.0, "p": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(ct, [3.0, 5.0])
    out, t = dfdx.jvp(f, (np.ones(2),), (np.array([1.0, -1.0]),))
    assert t["s"] == 0.0
    np.testing.assert_array_equal(t["p"], [2.0, -2.0])


# --- dtypes, scalars, 0-d arrays ------------------------------------------------

def test_float32_is_preserved_end_to_end():
    x = np.array([0.5, 1.0, 2.0], dtype=np.float32)

    def f(x):
        return np.sum(np.tanh(x) * x @ np.ones((3, 3), np.float32))
    assert dfdx.grad(f)(x).dtype == np.float32
    assert dfdx.jacobian(np.sin)(x).dtype == np.float32
    assert dfdx.jacobian(np.sin, mode="fwd")(x).dtype == np.float32
    assert dfdx.hessian(f)(x).dtype == np.float32
    _, t = dfdx.jvp(np.exp, (x,), (np.ones(3, np.float32),))
    assert t.dtype == np.float32
    dfdx.check_grad(f, x)


def test_python_scalars_and_0d_arrays():
    g = dfdx.grad(np.sin)(0.0)
    assert np.ndim(g) == 0 and g == 1.0
    g = dfdx.grad(np.sin)(np.array(0.0))
    assert isinstance(g, np.ndarray) and g.shape == () and g == 1.0
    assert dfdx.grad(lambda x: x ** 3)(2) == 12.0           # an int becomes float64
    assert dfdx.derivative(lambda x: x * x)(3.0) == 6.0


# --- deep graphs ----------------------------------------------------------------

def _chain(x):
    for _ in range(10_000):
        x = np.sin(x) * 0.5 + x * 0.5
    return x


def test_10000_step_chain_reverse_and_forward():
    x0 = 0.3
    g_rev = dfdx.grad(_chain)(x0)
    _, g_fwd = dfdx.jvp(_chain, (x0,), (1.0,))
    assert np.isfinite(g_rev) and g_rev == pytest.approx(g_fwd, rel=1e-12)
    h = 1e-6
    assert g_rev == pytest.approx((_chain(x0 + h) - _chain(x0 - h)) / (2 * h), rel=1e-4)


# --- control flow --------------------------------------------------------------

def test_python_control_flow_on_traced_values():
    def f(x):
        if x > 0:
            return x ** 2
        while x < -1:
            x = x / 2
        return 3 * x
    assert dfdx.grad(f)(2.0) == 4.0
    assert dfdx.grad(f)(-4.0) == 0.75
    assert dfdx.grad(lambda v: np.sum(v[v > 0] ** 2))(np.array([-1.0, 2.0])).tolist() == [0, 4]


# --- NaN-safety and the kink conventions ----------------------------------------

def test_where_does_not_leak_nan_from_the_unselected_branch():
    g = dfdx.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(np.abs(x)), 0.0)))(
        np.array([-1.0, 0.0, 4.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.25])
    with np.errstate(divide="ignore"):      # np.log(0) in the branch np.where drops
        g = dfdx.grad(lambda x: np.sum(np.where(x > 0, np.log(np.abs(x)), x)))(
            np.array([0.0, 2.0]))
    np.testing.assert_array_equal(g, [1.0, 0.5])


def test_norm_at_zero_has_subgradient_zero():
    np.testing.assert_array_equal(dfdx.grad(np.linalg.norm)(np.zeros(3)), np.zeros(3))
    g = dfdx.grad(lambda x: np.sum(np.linalg.norm(x, axis=0)))(
        np.array([[0.0, 3.0], [0.0, 4.0]]))
    np.testing.assert_allclose(g, [[0.0, 0.6], [0.0, 0.8]])
    _, t = dfdx.jvp(np.linalg.norm, (np.zeros(2),), (np.ones(2),))
    assert t == 0.0


@pytest.mark.parametrize("f, x, expected", [
    (np.abs, 0.0, 0.0),
    (lambda x: np.maximum(x, 0.0), 0.0, 0.5),                 # relu at 0
    (lambda x: np.minimum(x, 0.0), 0.0, 0.5),
    (lambda x: np.fmax(x, 0.0), 0.0, 0.5),
    (lambda x: np.clip(x, 0.0, 1.0), 0.0, 0.5),
    (lambda x: np.clip(x, 0.0, 1.0), 1.0, 0.5),
    pytest.param(np.sign, 0.0, 0.0),
    pytest.param(np.floor, 2.0, 0.0),
    pytest.param(np.round, 1.5, 0.0),
    (lambda x: (x > 0) * 1.0, 0.0, 0.0),
])
def test_kink_convention_is_the_mean_of_one_sided_derivatives(f, x, expected):
    assert dfdx.grad(f)(x) == expected
    assert dfdx.derivative(f)(x) == expected


def test_ties_split_evenly_in_reductions_and_sort():
    x = np.array([3.0, 1.0, 3.0])
    np.testing.assert_array_equal(dfdx.grad(np.max)(x), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(dfdx.grad(lambda x: np.sort(x)[-1])(x), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(dfdx.jacobian(np.sort)(x),
                                  [[0, 1, 0], [0.5, 0, 0.5], [0.5, 0, 0.5]])
    np.testing.assert_array_equal(dfdx.jacobian(np.sort, mode="fwd")(x),
                                  dfdx.jacobian(np.sort, mode="rev")(x))
    g = dfdx.grad(lambda x, y: np.sum(np.maximum(x, y)), argnums=(0, 1))(x, np.array([3.0]))
    np.testing.assert_array_equal(g[0], [0.5, 0.0, 0.5])
    assert g[1].tolist() == [2.0]           # 1/2 + 1/2 from the ties, 1 from x[1] < y


def test_prod_and_cumprod_with_zeros():
    np.testing.assert_array_equal(dfdx.grad(np.prod)(np.array([0.0, 2.0, 3.0])), [6.0, 0, 0])
    np.testing.assert_array_equal(dfdx.grad(np.prod)(np.array([0.0, 2.0, 0.0])), [0, 0, 0])


def test_xlogy_at_zero():
    gx, gy = dfdx.grad(lambda x, y: np.sum(sp.xlogy(x, y)), argnums=(0, 1))(
        np.array([0.0, 1.0]), np.array([0.0, 2.0]))
    assert gy.tolist() == [0.0, 0.5]


# --- stop_gradient, jacobians, hessians, derivative ------------------------------

def test_stop_gradient():
    assert dfdx.grad(lambda x: x * dfdx.stop_gradient(x))(3.0) == 3.0
    assert dfdx.derivative(lambda x: dfdx.stop_gradient(x) ** 2)(3.0) == 0.0


@pytest.mark.parametrize("mode", ["fwd", "rev", "auto"])
def test_jacobian_shape_is_out_then_in(mode):
    x = np.arange(6.0).reshape(2, 3)
    jac = dfdx.jacobian(lambda x: np.sum(x, axis=0) * x[0], mode=mode)(x)
    assert jac.shape == (3, 2, 3)
    expected = np.zeros((3, 2, 3))
    for i in range(3):
        expected[i, 0, i] = 2 * x[0, i] + x[1, i]
        expected[i, 1, i] = x[0, i]
    np.testing.assert_allclose(jac, expected)
    assert dfdx.jacobian(np.sum, mode=mode)(x).shape == (2, 3)
    assert dfdx.jacobian(lambda x: x * 2, mode=mode)(1.0) == 2.0


def test_hessian_and_hvp():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])

    def f(x):
        return 0.5 * x @ A @ x + np.sum(x ** 3)
    x = np.array([1.0, -1.0])
    H = A + np.diag(6 * x)
    np.testing.assert_allclose(dfdx.hessian(f)(x), H)
    v = np.array([0.5, 2.0])
    np.testing.assert_allclose(dfdx.hvp(f, (x,), (v,)), H @ v)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5])
def test_derivative_of_any_order(n):
    x = np.array([0.0, 0.7])
    expected = np.sin(x + n * np.pi / 2)
    np.testing.assert_allclose(dfdx.derivative(np.sin, n)(x), expected, atol=1e-15)


# --- error messages -----------------------------------------------------------------

def test_no_rule_names_the_function_and_the_fix():
    with pytest.raises(dfdx.UnsupportedOperation) as e:
        dfdx.grad(lambda x: np.sum(np.trim_zeros(x)))(np.ones(3))
    msg = str(e.value)
    assert "numpy.trim_zeros" in msg and "dfdx.primitive" in msg and "dfdx.numeric" in msg
    assert isinstance(e.value, NotImplementedError)
    with pytest.raises(dfdx.UnsupportedOperation, match="ellipk"):
        dfdx.grad(sp.ellipk)(1.0)


def test_missing_mode_names_the_primitive_and_the_other_mode():
    @dfdx.primitive
    def cube(x):
        return x ** 3
    cube.defjvp(lambda t, ans, x: 3 * x ** 2 * t)
    assert dfdx.derivative(cube)(2.0) == 12.0
    assert dfdx.grad(cube)(2.0) == 12.0       # one scalar input: grad runs forward mode
    with pytest.raises(dfdx.UnsupportedOperation, match="reverse-mode.*cube.*forward"):
        dfdx.grad(lambda x: np.sum(cube(x)))(np.array([2.0]))


@pytest.mark.parametrize("convert, what", [
    (np.asarray, "np.asarray"), (float, "float()"), (math.exp, "float()"),
    (lambda x: np.array([x, x]), "np.asarray"),
])
def test_converting_a_traced_value_raises(convert, what):
    with pytest.raises(dfdx.TracerConversionError) as e:
        dfdx.grad(convert)(1.0)
    assert what in str(e.value) and "np.stack" in str(e.value)
    assert isinstance(e.value, TypeError)


def test_grad_of_a_non_scalar_output():
    def f(x):
        return x * 2
    with pytest.raises(dfdx.NonScalarOutputError) as e:
        dfdx.grad(f)(np.ones(3))
    assert str(e.value) == ("grad needs a scalar output, but f returned shape (3,). Reduce it "
                            "(np.sum(y)) or use dfdx.jacobian.")
    assert isinstance(e.value, ValueError)


def test_scipy_non_ufuncs_convert_and_the_stand_ins_work():
    # SciPy turns logsumexp's argument into an array: on a traced value that is a
    # TracerConversionError, never a silently wrong derivative.
    with pytest.raises(dfdx.TracerConversionError):
        dfdx.grad(sp.logsumexp)(np.zeros(2))
    np.testing.assert_allclose(dfdx.grad(special.logsumexp)(np.zeros(2)), [0.5, 0.5])
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(special.logsumexp(x, axis=1), sp.logsumexp(x, axis=1))
    np.testing.assert_allclose(special.softmax(x, axis=0), sp.softmax(x, axis=0))
    np.testing.assert_allclose(special.log_softmax(x), sp.log_softmax(x))
    big = np.array([1000.0, 1000.0])
    assert special.logsumexp(big) == pytest.approx(1000 + np.log(2))
    np.testing.assert_allclose(dfdx.grad(special.logsumexp)(big), [0.5, 0.5])


def test_svd_full_matrices_error():
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        dfdx.grad(lambda a: np.sum(np.linalg.svd(a)[0]))(np.ones((3, 2)))


def test_no_object_arrays():
    g = dfdx.grad(lambda x: np.sum(np.stack([x, x ** 2])))(np.ones(2))
    assert g.dtype == np.float64
    jac = dfdx.jacobian(lambda x: np.sort(x))(np.array([2.0, 1.0]))
    assert jac.dtype == np.float64


# --- check_grad ---------------------------------------------------------------------

def test_check_grad_catches_a_wrong_rule_and_reports_three_numbers():
    @dfdx.primitive
    def cube(x):
        return x ** 3
    cube.defjvp(lambda t, ans, x: 3 * x ** 2 * t)
    cube.defvjp(lambda g, ans, x: 3 * x * g)             # wrong
    with pytest.raises(AssertionError) as e:
        dfdx.check_grad(cube, np.array([2.0, 3.0]), order=1)
    msg = str(e.value)
    assert "cube" in msg and "forward" in msg and "reverse" in msg and "numeric" in msg
    assert "input shapes (2,)" in msg and "reverse-mode" in msg


def test_check_grad_catches_a_wrong_second_derivative():
    @dfdx.primitive
    def f(x):
        return np.sin(x)
    f.defvjp(lambda g, ans, x: g * np.cos(dfdx.stop_gradient(x)))   # right value, wrong order 2
    f.defjvp(lambda t, ans, x: t * np.cos(x))
    dfdx.check_grad(f, np.array([0.5]), order=1)
    with pytest.raises(AssertionError, match="order 2"):
        dfdx.check_grad(f, np.array([0.5]), order=2)


def test_check_grad_options():
    dfdx.check_grad(lambda x, y: {"a": x * y, "b": [np.sin(x)]}, 1.5, np.array([1.0, 2.0]),
                    modes="rev", rng=3)
    with pytest.raises(ValueError):
        dfdx.check_grad(np.sin, 1.0, order=0)
    with pytest.raises(ValueError):
        dfdx.check_grad(np.sin, 1.0, modes=("sideways",))


def test_second_derivatives_through_functions_with_guarded_partials():
    assert dfdx.grad(dfdx.grad(np.log))(2.0) == -0.25
    assert dfdx.grad(dfdx.grad(np.abs))(-2.0) == 0.0


@pytest.mark.parametrize("f", [
    lambda x: np.linalg.slogdet(np.outer(x, x) + np.eye(3))[1] + np.sum(np.sort(x) * x),
    lambda x: np.einsum("i,ij,j->", x, np.arange(9.0).reshape(3, 3), np.sin(x)),
    pytest.param(lambda x: np.sum(np.linalg.solve(np.diag(x * x + 1), x) ** 2)
                 + special.logsumexp(x)),
    lambda x: np.sum(np.linalg.eigh(np.outer(x, x) + np.diag([1.0, 2.0, 3.0]))[0] ** 2),
], ids=["slogdet-sort", "einsum", "solve-logsumexp", "eigh"])
def test_hessian_batched_forward_agrees_with_reverse_over_reverse(f):
    x = np.array([0.3, -1.2, 0.7])
    H = dfdx.hessian(f)(x)
    np.testing.assert_allclose(H, H.T, atol=1e-10)
    np.testing.assert_allclose(H, dfdx.jacobian(dfdx.grad(f), mode="rev")(x), atol=1e-10)
    np.testing.assert_allclose(H, dfdx.jacobian(dfdx.grad(f), mode="fwd")(x), atol=1e-10)


# --- the dtype of a derivative, at every order ------------------------------------

X32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
WIDE = {   # float32 inputs, float64 inside; f and its Hessian diagonal (the Hessian is diagonal)
    "astype(np.float64)": (lambda x: np.sum(np.sin(x.astype(np.float64)) ** 2),
                           lambda x: 2 * np.cos(2 * x)),
    "mean(dtype=np.float64)": (lambda x: np.mean(np.sin(x) ** 2, dtype=np.float64),
                               lambda x: 2 * np.cos(2 * x) / 3),
    "x.mean(dtype=np.float64)": (lambda x: (x ** 3).mean(dtype=np.float64), lambda x: 2 * x),
    "times a float64 array": (lambda x: np.sum(np.sin(x) * np.linspace(1.0, 2.0, np.size(x))),
                              lambda x: -np.sin(x) * np.linspace(1.0, 2.0, np.size(x))),
}


@pytest.mark.parametrize("name", list(WIDE))
def test_a_float32_input_gets_float32_derivatives_when_f_computes_in_float64(name):
    f, d2f = WIDE[name]
    want = np.diag(d2f(X32.astype(np.float64)))
    for way, h in {"hessian": dfdx.hessian(f), "jacfwd(grad)": dfdx.jacfwd(dfdx.grad(f)),
                   "jacrev(grad)": dfdx.jacrev(dfdx.grad(f)),
                   "jacrev(jacrev)": dfdx.jacrev(dfdx.jacrev(f))}.items():
        got = h(X32)
        assert got.dtype == np.float32, way
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=way)
    # a cotangent traced by an outer transform (vjp inside jvp) keeps the input's dtype
    _, ct = dfdx.jvp(lambda x: dfdx.vjp(f, x)[1](1.0)[0], (X32,), (np.ones(3, np.float32),))
    assert ct.dtype == np.float32
    np.testing.assert_allclose(ct, np.diag(want), rtol=1e-5, atol=1e-6)
    # a float32 scalar (three copies of it: the trace of the Hessian above)
    g = dfdx.grad(dfdx.grad(lambda v: f(v * np.ones(3, np.float32))))(np.float32(0.5))
    assert type(g) is np.float32
    assert g == pytest.approx(np.sum(d2f(np.full(3, 0.5))), rel=1e-5)
    dfdx.check_grad(f, X32, order=2)


def test_a_float32_step_in_a_float64_program_keeps_float64_tangents():
    c = np.float64(0.25)
    f = lambda x: np.sin(x + c).astype(np.float32) + c   # noqa: E731
    x = np.array([0.1, 0.7, -0.4])
    d2 = dfdx.derivative(f, n=2)(x)
    assert d2.dtype == np.float64
    np.testing.assert_allclose(d2, -np.sin(x + c), rtol=1e-6)
    d1 = lambda v: dfdx.jvp(f, (v,), (np.ones(3),))[1]     # noqa: E731
    _, t2 = dfdx.jvp(d1, (x,), (np.ones(3),))
    assert t2.dtype == np.float64
    np.testing.assert_allclose(t2, -np.sin(x + c), rtol=1e-6)
    # and at first order beside a constant: maximum, where, concatenate pass tangents through
    for g in (lambda v: np.maximum(v.astype(np.float32), c), lambda v: np.where(
              v > 0, v.astype(np.float32), c), lambda v: np.concatenate([v.astype(np.float32), [c]])):
        _, t = dfdx.jvp(g, (x,), (np.ones(3),))
        assert t.dtype == np.float64 == g(x).dtype


def test_a_zero_derivative_of_a_scalar_is_a_numpy_scalar():
    for got in (dfdx.derivative(lambda x: x ** 0, 2)(1.0), dfdx.derivative(lambda x: x ** 0)(1.0),
                dfdx.derivative(lambda x: np.float64(2.0))(1.0), dfdx.grad(lambda x: 3.0)(1.0),
                dfdx.grad(lambda x: x ** 0)(1.0), dfdx.grad(dfdx.grad(lambda x: x ** 0))(1.0),
                dfdx.jvp(lambda x: np.float64(2.0), (1.0,), (1.0,))[1]):
        assert type(got) is np.float64 and got == 0
    # like the nonzero derivatives
    assert type(dfdx.derivative(lambda x: x ** 3, 2)(1.0)) is np.float64
    assert type(dfdx.derivative(lambda x: x ** 0, 2)(np.float32(1.0))) is np.float32
    # an array (0-d included) keeps getting an array
    g = dfdx.grad(lambda x: np.float64(3.0))(np.array(1.0))
    assert isinstance(g, np.ndarray) and g.shape == () and g == 0
    np.testing.assert_array_equal(dfdx.derivative(lambda x: x ** 0, 2)(np.ones(2)), [0.0, 0.0])
