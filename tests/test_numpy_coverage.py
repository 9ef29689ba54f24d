"""The rest of NumPy (issue 12): known derivatives, NumPy's values on traced input, the
conventions at knots and jumps, and the errors for what has no derivative.

The generic checker (test_rules.py, rows in rule_samples_numpy.py) compares every rule
with numeric differentiation; the tests here pin down what the numbers must be.
"""

import warnings

import numpy as np
import pytest

import dfdx
from dfdx import NonDifferentiableError, UnsupportedOperation


def _traced_value(f, *args):
    """f(*args) computed on traced inputs (the value, untraced)."""
    seen = []

    def g(*xs):
        seen.append(f(*xs))
        return np.real(np.sum(xs[0])) * 0.0
    dfdx.grad(g, argnums=tuple(range(len(args))))(*args)
    out = seen[0]
    return tuple(dfdx.stop_gradient(o) for o in out) if isinstance(out, tuple) else \
        dfdx.stop_gradient(out)


def _assert_same(want, got):
    for w, g in zip(want if isinstance(want, tuple) else (want,),
                    got if isinstance(got, tuple) else (got,)):
        w, g = np.asarray(w), np.asarray(g)
        assert w.shape == g.shape and w.dtype == g.dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


rng = np.random.default_rng(20261203)


@pytest.mark.parametrize("n, m", [(5, 3), (3, 5), (4, 4), (1, 3), (6, 1), (2, 7)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_and_correlate_compute_numpys_values(n, m, mode):
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    ca, cv = a + 1j * rng.standard_normal(n), v - 1j * rng.standard_normal(m)
    for fn in (np.convolve, np.correlate):
        _assert_same(fn(a, v, mode), _traced_value(lambda a, v: fn(a, v, mode), a, v))
        _assert_same(fn(ca, cv, mode), _traced_value(lambda a, v: fn(a, v, mode), ca, cv))


def test_convolve_derivative_is_the_other_signal():
    # d/da conv(a, v)[k] = v[k - i]: the Jacobian is the Toeplitz matrix of v
    a, v = np.array([1.0, 2.0, -1.0]), np.array([0.5, 3.0])
    jac = dfdx.jacobian(np.convolve)(a, v)
    want = np.array([[0.5, 0, 0], [3.0, 0.5, 0], [0, 3.0, 0.5], [0, 0, 3.0]])
    np.testing.assert_allclose(jac, want)
    dfdx.check_grad(lambda a, v: np.abs(np.correlate(a, v, "full")) ** 2,
                    a + 0.5j, v - 1j, order=2)


def test_interp_derivatives_and_conventions():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])   # slopes 2 and 0.5
    d = dfdx.grad(lambda x: np.sum(np.interp(x, xp, fp)))
    np.testing.assert_allclose(d(np.array([0.5, 2.0])), [2.0, 0.5])
    np.testing.assert_allclose(d(np.array([1.0])), [1.25])        # a knot: the mean slope
    np.testing.assert_allclose(d(np.array([0.0, 3.0])), [1.0, 0.25])   # end knots: 0 outside
    np.testing.assert_allclose(d(np.array([-1.0, 4.0])), [0.0, 0.0])
    # a jump at an end knot (left != fp[0]): the derivative of the piece NumPy's value is from
    dj = dfdx.grad(lambda x: np.sum(np.interp(x, xp, fp, left=-1.0, right=5.0)))
    np.testing.assert_allclose(dj(np.array([0.0, 3.0])), [2.0, 0.5])
    # in fp: the interpolation weights
    w = dfdx.jacobian(lambda f: np.interp(np.array([0.25, 2.0]), xp, f))(fp)
    np.testing.assert_allclose(w, [[0.75, 0.25, 0.0], [0.0, 0.5, 0.5]])
    # NumPy's values, float64 out for float32 in, NaN through
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.9, 3.0, 7.0, np.nan], dtype=np.float32)
    _assert_same(np.interp(x, xp, fp, right=9.0), _traced_value(
        lambda x: np.interp(x, xp, fp, right=9.0), x))


def test_interp_with_a_repeated_knot_and_a_period():
    xp, fp = np.array([0.0, 1.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0, 4.0])
    x = np.array([0.5, 1.0, 1.5])
    _assert_same(np.interp(x, xp, fp), _traced_value(lambda x: np.interp(x, xp, fp), x))
    np.testing.assert_allclose(dfdx.grad(lambda x: np.sum(np.interp(x, xp, fp)))(x), [1, 1, 1])
    xs = np.linspace(-3, 3, 13)
    per = (np.array([0.5, 2.0, 1.0]), np.array([0.0, 1.0, -1.0]))
    _assert_same(np.interp(xs, *per, period=2.5),
                 _traced_value(lambda x: np.interp(x, *per, period=2.5), xs))


def test_gradient_matches_numpy_and_is_linear():
    f = rng.standard_normal((5, 4)).astype(np.float32)
    c = np.array([0.0, 0.3, 1.0, 1.2, 2.5])
    for call in (lambda f: np.gradient(f), lambda f: np.gradient(f, 0.5, edge_order=2),
                 lambda f: np.gradient(f, c, axis=0, edge_order=2),
                 lambda f: np.gradient(f, c, [0.0, 1.0, 3.0, 4.0])):
        _assert_same(call(f), _traced_value(call, f))
    # np.gradient is linear in f: its Jacobian is its action on the unit vectors
    jac = dfdx.jacobian(lambda f: np.gradient(f, c))(np.zeros(5))
    np.testing.assert_allclose(jac, np.stack([np.gradient(e, c) for e in np.eye(5)], axis=1))


def test_nan_reductions_skip_nan_and_keep_numpys_all_nan_result():
    x = np.array([[np.nan, 1.0, 2.0], [np.nan, np.nan, np.nan]])
    g = dfdx.grad(lambda x: np.sum(np.nansum(x, axis=1)))(x)
    np.testing.assert_array_equal(g, [[0, 1, 1], [0, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for fn in (np.nanmean, np.nanmax, np.nanmin, np.nanvar, np.nanstd):
            _assert_same(fn(x, axis=1), _traced_value(lambda x: fn(x, axis=1), x))
            g = dfdx.grad(lambda x: np.nansum(fn(x, axis=1)))(x)
            assert np.all(np.isfinite(g)) and np.all(g[1] == 0) and g[0, 0] == 0
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        dfdx.grad(lambda x: np.nansum(np.nanmax(x, axis=1)))(x)
    np.testing.assert_allclose(dfdx.grad(lambda x: np.nanmean(x))(x[0]), [0, 0.5, 0.5])


def test_ptp_partition_and_shape_functions_keep_numpys_values():
    x = rng.standard_normal((3, 4))
    for call in (np.ptp, lambda x: np.partition(x, 2, axis=None), lambda x: np.rot90(x, 3),
                 lambda x: np.insert(x, [1, 1, 3], [[7.0], [8.0], [9.0]], axis=1),
                 lambda x: np.delete(x, slice(0, 2), axis=1), lambda x: np.append(x, x[0]),
                 lambda x: np.block([[x, x[:, :1]], [x[:1], 1.5]]), lambda x: np.diff(x, 2),
                 lambda x: np.ediff1d(x, to_begin=[0.5]), lambda x: np.meshgrid(x[0], x[1])):
        _assert_same(call(x), _traced_value(call, x))
    # ptp at a tie: the tied maxima share
    np.testing.assert_allclose(dfdx.grad(np.ptp)(np.array([2.0, 0.0, 2.0])), [0.5, -1.0, 0.5])


def test_select_and_piecewise_take_the_selected_derivative():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    d = dfdx.grad(lambda x: np.sum(np.select([x < -1, x > 1], [x ** 2, 3 * x], default=0.0)))
    np.testing.assert_allclose(d(x), [-4.0, 0.0, 0.0, 3.0])
    calls = []

    def only_negative(v):
        calls.append(dfdx.stop_gradient(v))
        return np.log(-v)
    p = dfdx.grad(lambda x: np.sum(np.piecewise(x, [x < 0], [only_negative, lambda v: v ** 2])))
    np.testing.assert_allclose(p(x), [-0.5, -2.0, 1.0, 4.0])
    assert all(np.all(c < 0) for c in calls)     # NumPy's rule: called on x[cond] only


def test_linspace_geomspace_follow_their_ends():
    lin = dfdx.jacobian(lambda a, b: np.linspace(a, b, 5), argnums=(0, 1))(1.0, 3.0)
    np.testing.assert_allclose(lin[0], [1, 0.75, 0.5, 0.25, 0])
    np.testing.assert_allclose(lin[1], [0, 0.25, 0.5, 0.75, 1])
    geo = dfdx.jacobian(lambda b: np.geomspace(1.0, b, 3))(4.0)     # 1, sqrt(b), b
    np.testing.assert_allclose(geo, [0.0, 0.25, 1.0])
    for call in (lambda a, b: np.linspace(a, b, 4, endpoint=False, retstep=True),
                 lambda a, b: np.geomspace(a, b, 5), lambda a, b: np.logspace(a, b, 3, base=2.0)):
        _assert_same(call(np.float32(-1.5), np.float32(-4.0)), _traced_value(
            call, np.float32(-1.5), np.float32(-4.0)))


def test_cross_trapezoid_polyval_known_derivatives():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    # d (a x b) / d a = -[b]_x (the cross-product matrix of b)
    bx = np.array([[0, -b[2], b[1]], [b[2], 0, -b[0]], [-b[1], b[0], 0]])
    np.testing.assert_allclose(dfdx.jacobian(np.cross)(a, b), -bx)
    np.testing.assert_allclose(dfdx.grad(np.trapezoid)(np.ones(4)), [0.5, 1, 1, 0.5])
    np.testing.assert_allclose(dfdx.grad(np.polyval, argnums=1)(np.array([1.0, 0, -2.0]), 3.0),
                               6.0)


def test_qr_and_lstsq():
    a = rng.standard_normal((5, 3))
    q, r = np.linalg.qr(a)
    _assert_same((q, r), _traced_value(lambda a: tuple(np.linalg.qr(a)), a))
    # a loss of Q R alone is a loss of a: its gradient is the plain one
    np.testing.assert_allclose(dfdx.grad(lambda a: np.sum(np.matmul(*np.linalg.qr(a)) ** 2))(a),
                               2 * a, atol=1e-12)
    b = rng.standard_normal(5)
    x = dfdx.jacobian(lambda b: np.linalg.lstsq(a, b)[0])(b)
    np.testing.assert_allclose(x, np.linalg.pinv(a), atol=1e-12)
    want = np.linalg.lstsq(a, b)
    got = _traced_value(lambda a, b: np.linalg.lstsq(a, b), a, b)
    _assert_same((want[0], want[1], want[3]), (got[0], got[1], got[3]))
    assert got[2] == want[2]


def test_what_has_no_derivative_raises_the_named_error():
    singular = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    with pytest.raises(NonDifferentiableError, match="rank-deficient"):
        dfdx.grad(lambda a: np.sum(np.linalg.lstsq(a, np.ones(3))[0]))(singular)
    with pytest.raises(NonDifferentiableError, match="full column rank"):
        dfdx.grad(lambda a: np.sum(np.linalg.qr(a)[0]))(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(UnsupportedOperation, match="mode='reduced'"):
        dfdx.grad(lambda a: np.sum(np.linalg.qr(a, mode="complete").R))(np.ones((3, 2)))
    with pytest.raises(UnsupportedOperation, match="real input only"):
        dfdx.grad(lambda a: np.abs(np.sum(np.linalg.qr(a)[1])))(np.eye(2) * (1 + 1j))


def test_numpys_errors_are_kept():
    x = np.ones((2, 3))
    for call, err in [(lambda x: np.diff(x, -1), ValueError),
                      (lambda x: np.vsplit(x[0], 2), ValueError),
                      (lambda x: np.rot90(x, axes=(0, 0)), ValueError),
                      (lambda x: np.block([[x], x]), ValueError),
                      (lambda x: np.cross(x, x[:, :1]), ValueError),
                      (lambda x: np.convolve(x[0], x[0, :0]), ValueError),
                      (lambda x: np.interp(x[0], [0.0, 1.0], [1.0]), ValueError),
                      (lambda x: np.gradient(x, edge_order=3), ValueError)]:
        with pytest.raises(err):
            call(x)
        with pytest.raises(err):
            dfdx.grad(lambda x: np.sum(call(x)))(x)


def test_beyond_the_list_known_values():
    # sinc at 0: value 1, derivative 0, second derivative -pi^2/3 (NumPy's own formula
    # there is a constant, so this needs the series)
    np.testing.assert_allclose(dfdx.derivative(np.sinc, 2)(0.0), -np.pi ** 2 / 3)
    np.testing.assert_allclose(dfdx.derivative(np.sinc)(np.array([0.0, 0.5])),
                               [0.0, -4 / np.pi])
    x = rng.standard_normal((3, 6)).astype(np.float32)
    for call in (np.cov, np.corrcoef, lambda x: np.cov(x, bias=True, aweights=np.arange(1.0, 7)),
                 lambda x: np.vander(x[0], 4), lambda x: np.unwrap(4 * x, axis=1),
                 lambda x: np.polyfit(np.arange(6.0), x.T, 2),
                 lambda x: np.nan_to_num(np.where(x > 1, np.inf, x)),
                 lambda x: np.apply_along_axis(np.diff, 1, x)):
        _assert_same(call(x), _traced_value(call, x))
    # np.i0 through scipy.special.i0, in double precision: NumPy's float32 values to an ulp
    np.testing.assert_allclose(_traced_value(np.i0, x), np.i0(x), rtol=3e-7)
    assert _traced_value(np.i0, x).dtype == np.float32
    # a correlation matrix has a constant diagonal
    g = dfdx.jacobian(lambda x: np.diagonal(np.corrcoef(x)))(x.astype(float))
    np.testing.assert_allclose(g, 0, atol=1e-12)
    # weighted bincount: each weight lands in its bin
    j = dfdx.jacobian(lambda w: np.bincount(np.array([2, 0, 2]), weights=w))(np.ones(3))
    np.testing.assert_array_equal(j, [[0, 1, 0], [0, 0, 0], [1, 0, 1]])
    # a root r of p moves by -(dp)(r) / p'(r)
    p = np.poly([1.0, 2.0, 4.0])
    dr = dfdx.jacobian(lambda p: np.sort(np.real(np.roots(p))))(p)
    for i, r in enumerate([1.0, 2.0, 4.0]):
        np.testing.assert_allclose(dr[i], -r ** np.arange(3, -1, -1) / np.polyval(np.polyder(p), r),
                                   rtol=1e-8)


def test_plain_lists_among_joined_parts_are_constants():
    # zero padding written as lists: f = x1^2 + (x2-x1)^2 + (x3-x2)^2 + x3^2
    x = np.array([1.0, 2.0, 3.0])
    f = lambda x: np.sum(np.diff(np.concatenate([[0.0], x, [0.0]])) ** 2)  # noqa: E731
    np.testing.assert_allclose(dfdx.grad(f)(x), [0.0, 0.0, 8.0], atol=1e-14)
    np.testing.assert_allclose(dfdx.hessian(f)(x), 2 * np.eye(3) * 2 - 2 * (np.eye(3, k=1)
                                                                          + np.eye(3, k=-1)))
    jac = dfdx.jacfwd(lambda x: np.concatenate(([0.0], x, (1.0,))))(x)
    np.testing.assert_array_equal(jac, np.eye(5, 3, k=-1))
    for join in (np.hstack, np.vstack, np.dstack, np.column_stack, np.stack):
        g = lambda x, join=join: np.sum(join([x, [1.0, 2.0, 3.0]]) ** 2)  # noqa: E731
        np.testing.assert_allclose(dfdx.grad(g)(x), 2 * x, err_msg=join.__name__)
        assert dfdx.testing.check_grad(g, x, order=2) is None


@pytest.mark.parametrize("build, fix", [
    (lambda x: np.r_[0.0, x], r"np\.r_\[\.\.\.\] .* Use np\.concatenate"),
    (lambda x: np.c_[x, x], r"np\.c_\[\.\.\.\] .* Use np\.column_stack"),
    (lambda x: np.array([x[0], x[1]]), r"np\.stack\(\[\.\.\.\]\) instead of np\.array"),
])
def test_joining_through_np_array_names_the_traceable_call(build, fix):
    with pytest.raises(dfdx.TracerConversionError, match=fix):
        dfdx.grad(lambda x: np.sum(build(x)))(np.array([1.0, 2.0]))


UFUNC_METHOD_CASES = {
    "logaddexp.reduce": lambda x: np.logaddexp.reduce(x),
    "logaddexp.reduce, axis None": lambda x: np.logaddexp.reduce(np.outer(x, x), axis=None),
    "hypot.reduce, axis 1, keepdims": lambda x: np.hypot.reduce(np.outer(x, x), axis=1,
                                                               keepdims=True),
    "add.reduce, initial": lambda x: np.add.reduce(x, initial=2.0),
    "maximum.accumulate": lambda x: np.maximum.accumulate(x),
    "power.accumulate": lambda x: np.power.accumulate(np.abs(x) + 1),
    "logaddexp.accumulate, axis 1": lambda x: np.logaddexp.accumulate(np.outer(x, x), axis=1),
    "multiply.outer": lambda x: np.multiply.outer(x, x[:2]),
    "subtract.outer with a list": lambda x: np.subtract.outer(x, [1.0, 2.0]),
}


@pytest.mark.parametrize("name", sorted(UFUNC_METHOD_CASES))
def test_binary_ufunc_methods_trace_with_numpys_values(name):
    f = UFUNC_METHOD_CASES[name]
    x = np.array([1.0, 2.0, 3.5, -0.5])
    _assert_same(f(x), _traced_value(f, x))
    scalar = lambda x: np.sum(np.sin(f(x)))  # noqa: E731
    assert dfdx.testing.check_grad(scalar, x, order=2) is None


def test_logaddexp_reduce_gradient_is_the_softmax():
    x = np.array([1.0, 2.0, 3.5, -0.5])
    np.testing.assert_allclose(dfdx.grad(np.logaddexp.reduce)(x), np.exp(x) / np.exp(x).sum(),
                               rtol=1e-14)


def test_ufunc_methods_without_a_rule_say_so():
    x = np.array([1.0, 2.0])
    with pytest.raises(UnsupportedOperation, match=r"numpy\.add\.reduceat"):
        dfdx.grad(lambda x: np.sum(np.add.reduceat(x, [0, 1])))(x)
    with pytest.raises(UnsupportedOperation, match=r"takes no dtype=, out= or where="):
        dfdx.grad(lambda x: np.logaddexp.reduce(x, where=x > 0))(x)
