"""Complex numbers: one convention, checked against central differences in x and y.

For real-valued f of z = x + iy, ``grad(f)(z) = df/dx + i df/dy``; forward mode is the
R-linear change of the value (exact for abs, conj, real, imag, angle); ``vjp_fn(v)`` is
the adjoint under ``<a, b> = Re(sum(conj(a) * b))``, so ``vjp`` of a holomorphic
function is ``v * conj(f'(z))``. The checker here is independent of dfdx.testing.
"""

import warnings

import numpy as np
import pytest

import dfdx

RNG_SEED = 20261202


def _inner(a, b):
    """Re <a, b> = Re(sum(conj(a) * b)): the real inner product on C^n."""
    return float(np.real(np.sum(np.conj(np.asarray(a)) * np.asarray(b))))


def _direction(rng, x):
    x = np.asarray(x)
    u = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        u = u + 1j * rng.standard_normal(x.shape)
    return u.astype(x.dtype)[()] if x.shape else x.dtype.type(u)


def _numeric(phi, h=1e-3):
    # why: a 4-point central stencil; its error is O(h^4), far below the tolerance.
    return (-phi(2 * h) + 8 * phi(h) - 8 * phi(-h) + phi(-2 * h)) / (12 * h)


def check_complex(f, *args, us=None, rtol=1e-6, atol=1e-8, rng=None):
    """Check forward and reverse mode of f against central differences, in directions `us`.

    Returns the three numbers (numeric, forward, reverse) of the last direction.
    """
    rng = rng or np.random.default_rng(RNG_SEED)
    out = f(*args)
    v = _direction(rng, out)
    if us is None:
        us = [tuple(_direction(rng, a) for a in args)]
    for u in us:
        def phi(t, u=u):
            return _inner(v, f(*(a + t * du for a, du in zip(args, u))))
        num = _numeric(phi)
        _, tout = dfdx.jvp(f, tuple(args), tuple(u))
        fwd = _inner(v, tout)
        _, vjp_fn = dfdx.vjp(f, *args)
        cts = vjp_fn(v)
        rev = sum(_inner(c, du) for c, du in zip(cts, u))
        tol = atol + rtol * max(1.0, abs(num))
        assert abs(fwd - num) <= tol and abs(rev - num) <= tol, (
            f"{getattr(f, '__name__', f)}: numeric {num!r}, forward {fwd!r}, reverse {rev!r}")
    return num, fwd, rev


def xy_directions(args):
    """The x and y directions of every complex argument separately (real ones: x only)."""
    out = []
    for k, a in enumerate(args):
        a = np.asarray(a)
        kinds = (1.0, 1j) if a.dtype.kind == "c" else (1.0,)
        for unit in kinds:
            u = [np.zeros_like(np.asarray(b)) for b in args]
            u[k] = (np.ones(a.shape) * unit).astype(a.dtype)
            out.append(tuple(x[()] if x.ndim == 0 else x for x in u))
    return out


def check_complex2(f, *args, rtol=1e-5):
    """First order in random and x/y directions, then second order (both modes) via jvp and vjp."""
    rng = np.random.default_rng(RNG_SEED + 1)
    check_complex(f, *args, rtol=rtol, rng=rng)
    check_complex(f, *args, us=xy_directions(args), rtol=rtol, rng=rng)
    w = tuple(_direction(rng, a) for a in args)
    out = f(*args)
    v = _direction(rng, out)

    def by_jvp(*xs):
        return dfdx.jvp(f, tuple(xs), w)[1]

    def by_vjp(*xs):
        return dfdx.vjp(f, *xs)[1](v)[0]

    check_complex(by_jvp, *args, rtol=rtol, rng=rng)
    check_complex(by_vjp, *args, rtol=rtol, rng=rng)


# --- the examples of the issue, with their true values ---------------------------

def test_grad_of_abs_squared():
    assert dfdx.grad(lambda z: np.abs(z) ** 2)(1 + 1j) == pytest.approx(2 + 2j)


def test_grad_of_real_of_square():
    assert dfdx.grad(lambda z: np.real(z ** 2))(1 + 1j) == pytest.approx(2 - 2j)


def test_grad_of_abs_exp_squared_is_real_2e():
    g = dfdx.grad(lambda z: np.abs(np.exp(z)) ** 2)(0.5 + 0.2j)
    assert g == pytest.approx(2 * np.e, rel=1e-12)   # |e^z|^2 = e^(2x): d/dx = 2e at x = 1/2


def test_jvp_of_abs_in_direction_i():
    out, t = dfdx.jvp(np.abs, (0.4 + 0.3j,), (1j,))
    assert out == pytest.approx(0.5) and t == pytest.approx(0.6)


def test_derivative_of_holomorphic_is_complex_derivative():
    z = 0.3 - 0.7j
    assert dfdx.derivative(np.exp)(z) == pytest.approx(np.exp(z))
    assert dfdx.derivative(np.sin)(z) == pytest.approx(np.cos(z))
    assert dfdx.derivative(np.sin, n=2)(z) == pytest.approx(-np.sin(z))
    assert dfdx.derivative(lambda w: w ** 3)(z) == pytest.approx(3 * z ** 2)


def test_vjp_of_holomorphic_is_g_times_conj_derivative():
    z = np.array([0.3 - 0.7j, 1.1 + 0.2j])
    g = np.array([1.0 + 2.0j, -0.5j])
    _, vjp_fn = dfdx.vjp(np.exp, z)
    np.testing.assert_allclose(vjp_fn(g)[0], g * np.conj(np.exp(z)))


def test_gradient_descent_descends():
    f = lambda z: np.sum(np.abs(z - (1 - 2j)) ** 2)   # noqa: E731
    z = np.array([3.0 + 1.0j])
    for _ in range(50):
        z = z - 0.1 * dfdx.grad(f)(z)
    np.testing.assert_allclose(z, [1 - 2j], atol=1e-4)


def test_grad_keeps_input_dtypes():
    g = dfdx.grad(lambda z: np.real(z[0]))(np.array([1 + 1j], dtype=np.complex64))
    assert g.dtype == np.complex64 and g[0] == 1
    # a real input through complex arithmetic keeps the real part of its cotangent
    g = dfdx.grad(lambda x: np.abs(x * (1 + 1j)) ** 2)(2.0)
    assert type(g) is np.float64 and g == pytest.approx(8.0)
    g = dfdx.grad(lambda x: np.sum(np.imag(np.exp(1j * x))))(np.array([0.3, 0.4]))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.cos([0.3, 0.4]))


def test_non_holomorphic_known_values():
    z = 0.4 + 0.3j
    assert dfdx.grad(lambda w: np.imag(w))(z) == pytest.approx(1j)
    assert dfdx.grad(lambda w: np.real(w))(z) == pytest.approx(1)
    assert dfdx.grad(lambda w: np.angle(w))(z) == pytest.approx(1j / np.conj(z))
    assert dfdx.grad(lambda w: np.real(np.conj(w) * w))(z) == pytest.approx(2 * z)
    assert dfdx.grad(lambda w: np.real(w.conj()))(z) == pytest.approx(1)
    assert dfdx.grad(lambda w: w.imag)(z) == pytest.approx(1j)
    assert dfdx.jvp(np.conj, (z,), (1j,))[1] == pytest.approx(-1j)
    assert dfdx.jvp(np.real, (z,), (1j,))[1] == pytest.approx(0)
    assert dfdx.jvp(np.imag, (z,), (1j,))[1] == pytest.approx(1)
    assert dfdx.jvp(lambda w: np.angle(w, deg=True), (z,), (1j,))[1] == pytest.approx(
        np.degrees(np.real(1 / z)))


def test_grad_of_a_complex_output_is_an_error():
    for x in (0.5, 0.5 + 1j, np.array([0.5 + 1j])):
        with pytest.raises(TypeError, match="real-valued output"):
            dfdx.grad(lambda z: np.sum(np.exp(1j * z)))(x)


def test_abs_at_zero_follows_the_kink_convention():
    assert dfdx.grad(lambda z: np.abs(z))(0j) == 0
    assert dfdx.jvp(np.abs, (0j,), (1 + 1j,))[1] == 0


# --- every elementwise rule NumPy accepts complex input for -----------------------

Z = np.array([0.3 + 0.4j, -0.5 + 0.2j, 0.6 - 0.35j])   # inside every domain, off the cuts
W = np.array([0.7 - 0.2j, 0.4 + 0.5j, -0.3 - 0.6j])

UNARY = [np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sqrt, np.square,
         np.reciprocal, np.negative, np.positive, np.sin, np.cos, np.tan, np.sinh, np.cosh,
         np.tanh, np.arcsin, np.arccos, np.arctan, np.arcsinh, np.arccosh, np.arctanh,
         np.conjugate, np.absolute, np.real, np.imag, np.angle]
BINARY = [np.add, np.subtract, np.multiply, np.true_divide, np.power, np.float_power]


@pytest.mark.parametrize("fn", UNARY, ids=lambda f: f.__name__)
def test_unary_complex_rules(fn):
    z = Z + 1.5 if fn is np.arccosh else Z
    check_complex2(fn, z)


def test_arccosh_left_half_plane():
    check_complex2(np.arccosh, np.array([-0.5 + 0.4j, -2.0 - 0.3j]))


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_binary_complex_rules(fn):
    check_complex2(fn, Z, W)


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_binary_mixed_real_and_complex(fn):
    x = np.array([0.7, 1.2, 0.4])
    check_complex2(fn, x, W)
    check_complex2(fn, Z, x)


def test_broadcasting_is_undone_for_complex():
    check_complex2(lambda z, w: z * w, Z, W[:1])
    check_complex2(lambda z, w: z / w, Z.reshape(3, 1), W)
    check_complex2(lambda z: z * (1 + 2j), np.array(0.3 - 0.1j))


def test_where_with_complex_branches():
    check_complex2(lambda z: np.where(np.real(z) > 0, z ** 2, np.conj(z)), Z)


@pytest.mark.parametrize("fn", [
    lambda z: np.sum(z), lambda z: np.mean(z), lambda z: np.reshape(z, (3, 1)),
    lambda z: z.T, lambda z: z[::-1], lambda z: np.cumsum(z), lambda z: np.prod(z),
    lambda z: np.stack([z, 2 * z]), lambda z: np.concatenate([z, z ** 2]),
    lambda z: np.outer(z, z), lambda z: z @ z, lambda z: np.dot(z, np.conj(z)),
    lambda z: np.sum(np.abs(z) ** 2), lambda z: np.transpose(np.outer(z, z))[0],
], ids=["sum", "mean", "reshape", "T", "reverse", "cumsum", "prod", "stack", "concatenate",
        "outer", "matmul", "dot", "abs2", "transpose"])
def test_linear_and_shape_rules_on_complex(fn):
    check_complex2(fn, Z)


@pytest.mark.parametrize("call", [
    lambda z: np.maximum(z, 0.1), lambda z: np.minimum(z, 0.1), lambda z: np.fmax(z, z),
    lambda z: np.fmin(z, z), lambda z: np.sign(z), lambda z: np.clip(z, -1, 1),
], ids=["maximum", "minimum", "fmax", "fmin", "sign", "clip"])
def test_complex_ordering_is_refused(call):
    with pytest.raises(dfdx.UnsupportedOperation, match="complex"):
        dfdx.grad(lambda z: np.real(np.sum(call(z))))(Z)
    with pytest.raises(dfdx.UnsupportedOperation, match="complex"):
        dfdx.jvp(call, (Z,), (Z,))


def test_second_order_of_real_function_of_complex():
    # f(x + iy) = x^2 y: grad = 2xy + i x^2; its jvp in direction 1 (d/dx) is 2y + 2ix.
    f = lambda z: np.real(z) ** 2 * np.imag(z)   # noqa: E731
    z = 0.5 + 0.25j
    assert dfdx.grad(f)(z) == pytest.approx(2 * 0.5 * 0.25 + 0.25j)
    assert dfdx.jvp(dfdx.grad(f), (z,), (1.0 + 0j,))[1] == pytest.approx(0.5 + 1j)


# --- numpy.fft ------------------------------------------------------------------

X = np.random.default_rng(3).standard_normal(6)
C = np.random.default_rng(4).standard_normal(5) + 1j * np.random.default_rng(5).standard_normal(5)
C2 = np.random.default_rng(6).standard_normal((3, 4)) + 1j * np.random.default_rng(7).standard_normal((3, 4))
X2 = np.random.default_rng(8).standard_normal((4, 6))


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("n", [None, 3, 8])
def test_fft_family_1d(norm, n):
    for fn in (np.fft.fft, np.fft.ifft):
        check_complex2(lambda z: fn(z, n=n, norm=norm), C)
        check_complex2(lambda x: fn(x, n=n, norm=norm), X)
    check_complex2(lambda x: np.fft.rfft(x, n=n, norm=norm), X)
    check_complex2(lambda z: np.fft.irfft(z, n=n, norm=norm), C)


@pytest.mark.parametrize("n", [None, 7, 8, 4])
def test_irfft_counts_hermitian_pairs_twice(n):
    # the imaginary parts of the first (and for even n the last) coefficient are not read
    check_complex(lambda z: np.fft.irfft(z, n=n), C, us=xy_directions((C,)))
    units = [(np.eye(5)[k] * unit,) for k in range(5) for unit in (1.0, 1j)]
    check_complex(lambda z: np.fft.irfft(z, n=n), C, us=units)


def test_irfft_gradient_known_value():
    # irfft(X)[0] = (X0 + 2 Re X1 + 2 Re X2 + X3) / 6 for n = 6 (X0, X3 real parts only)
    g = dfdx.grad(lambda z: np.fft.irfft(z)[0])(np.array([1 + 1j, 2 - 1j, 0.5j, 3 + 2j]))
    np.testing.assert_allclose(g, np.array([1, 2, 2, 1]) / 6)


def test_fft_axis_and_nd():
    check_complex2(lambda z: np.fft.fft(z, axis=0), C2)
    check_complex2(lambda z: np.fft.ifft(z, n=5, axis=0, norm="ortho"), C2)
    check_complex2(lambda z: np.fft.fft2(z), C2)
    check_complex2(lambda z: np.fft.ifft2(z, s=(2, 5)), C2)
    check_complex2(lambda z: np.fft.fftn(z, axes=(0,)), C2)
    check_complex2(lambda z: np.fft.ifftn(z, norm="forward"), C2)
    check_complex2(lambda x: np.fft.rfft2(x), X2)
    check_complex2(lambda x: np.fft.rfftn(x, s=(3, 5), axes=(0, 1), norm="ortho"), X2)
    check_complex2(lambda z: np.fft.irfft2(z), C2)
    check_complex2(lambda z: np.fft.irfftn(z, s=(4, 5), axes=(0, 1)), C2)
    check_complex2(lambda x: np.fft.rfft(x, axis=0), X2)
    check_complex2(lambda z: np.fft.irfft(z, axis=0), C2)


def test_fft_values_match_numpy_under_tracing():
    for fn, arg, kw in [(np.fft.fftn, C2, {"s": (2, 5), "axes": (0, 1)}), (np.fft.rfftn, X2, {"norm": "ortho"}),
                        (np.fft.irfftn, C2, {}), (np.fft.irfft2, C2, {"s": (3, 7)}),
                        (np.fft.fft2, C2, {"axes": (1, 0)})]:
        out, _ = dfdx.jvp(lambda a: fn(a, **kw), (arg,), (arg,))
        np.testing.assert_allclose(out, fn(arg, **kw), rtol=1e-13, atol=1e-13)


def test_fftshift():
    check_complex2(np.fft.fftshift, C2)
    check_complex2(lambda z: np.fft.ifftshift(z, axes=0), C2)
    check_complex2(lambda x: np.fft.fftshift(x, axes=(1,)), X2)


def test_fft_power_spectrum_gradient():
    # d/dx sum |fft(x)|^2 = 2 n x (Parseval)
    g = dfdx.grad(lambda x: np.sum(np.abs(np.fft.fft(x)) ** 2))(X)
    np.testing.assert_allclose(g, 2 * len(X) * X)


def test_fft_refuses_out():
    with pytest.raises(dfdx.UnsupportedOperation, match="out="):
        dfdx.grad(lambda z: np.real(np.sum(np.fft.fft(z, out=np.empty(5, complex)))))(C)


def test_jacobians_of_complex_input():
    z = np.array([0.3 + 0.1j, -0.2 + 0.5j])
    # jacfwd columns are d/dx_j (the complex derivative for a holomorphic f) ...
    np.testing.assert_allclose(dfdx.jacfwd(np.exp)(z), np.diag(np.exp(z)))
    # ... and jacrev rows are vjps: conj(f') for a holomorphic f
    np.testing.assert_allclose(dfdx.jacrev(np.exp)(z), np.diag(np.conj(np.exp(z))))
    # jacobian("auto") does not switch between the two with the sizes
    np.testing.assert_allclose(dfdx.jacobian(np.exp)(z), np.diag(np.exp(z)))
    np.testing.assert_allclose(dfdx.jacobian(lambda w: np.sum(w ** 2))(z), 2 * z)


@pytest.mark.parametrize("fn", [np.var, np.std, lambda z: np.var(z, ddof=1),
                                np.linalg.norm, lambda z: np.vdot(z, 2 * z + 1j),
                                lambda z: np.linalg.norm(np.outer(z, z), axis=1),
                                lambda z: np.vecdot(z, W), lambda z: np.linalg.vecdot(W, z)],
                         ids=["var", "std", "var ddof", "norm", "vdot", "norm axis", "vecdot",
                              "linalg.vecdot"])
def test_reductions_that_conjugate(fn):
    out, _ = dfdx.jvp(fn, (Z,), (Z,))
    np.testing.assert_allclose(out, fn(Z), rtol=1e-13)   # the traced value is NumPy's
    check_complex2(fn, Z)


def test_norm_gradient_known_value():
    np.testing.assert_allclose(dfdx.grad(np.linalg.norm)(Z), Z / np.linalg.norm(Z))


M3 = np.array([[1 + 0.5j, 0.2 - 0.3j, 0.1j], [0.4, 1 - 1j, 0.3 + 0.2j], [0.1 - 0.1j, 0.2j, 1.5 + 0.1j]])


def _hermitian(a):
    return a @ np.conj(a.T) + np.eye(3)


@pytest.mark.parametrize("fn", [np.linalg.inv, np.linalg.det, lambda a: np.linalg.slogdet(a)[1],
                                lambda a: np.real(np.linalg.slogdet(a)[0]),
                                lambda a: np.imag(np.linalg.slogdet(a)[0]),
                                lambda a: np.linalg.solve(a, a[0]),
                                lambda a: np.linalg.matrix_power(a, 3), np.trace,
                                lambda a: np.kron(a, a), lambda a: np.linalg.norm(a)],
                         ids=["inv", "det", "slogdet", "slogdet sign re", "slogdet sign im", "solve", "matrix_power", "trace",
                              "kron", "fro"])
def test_linalg_on_complex(fn):
    check_complex2(fn, M3)


@pytest.mark.parametrize("fn", [lambda a: np.linalg.eigvalsh(_hermitian(a)),
                                lambda a: np.linalg.cholesky(_hermitian(a)),
                                lambda a: np.linalg.svd(a, compute_uv=False),
                                lambda a: np.linalg.norm(a, 2), np.linalg.pinv],
                         ids=["eigvalsh", "cholesky", "svdvals", "norm2", "pinv"])
def test_complex_linalg_is_checked_or_refused(fn):
    try:
        check_complex2(fn, M3)
    except dfdx.UnsupportedOperation as e:
        assert "complex" in str(e)   # a refusal that says why is fine too


@pytest.mark.parametrize("name", ["erf", "erfc", "ndtr", "log_ndtr"])
def test_scipy_special_holomorphic_on_complex(name):
    import scipy.special as sp
    check_complex2(getattr(sp, name), Z + 0.5)


def test_scipy_gamma_on_complex_first_order():
    # gamma' = gamma * digamma, and SciPy's digamma takes complex input.
    import scipy.special as sp
    check_complex(sp.gamma, Z + 0.5)


@pytest.mark.parametrize("mode", ["jvp", "vjp"])
@pytest.mark.parametrize("what", ["psi", "gamma second order"])
def test_scipy_psi_derivative_on_complex_is_refused(what, mode):
    # psi' is polygamma(1, z), which SciPy has for real input only: a named refusal.
    import scipy.special as sp
    if what == "psi":
        f = sp.psi
    else:
        def f(z):
            return dfdx.jvp(sp.gamma, (z,), (np.ones_like(z),))[1]
    z = Z + 0.5
    with pytest.raises(dfdx.UnsupportedOperation, match="complex") as e:
        if mode == "jvp":
            dfdx.jvp(f, (z,), (np.ones_like(z),))
        else:
            dfdx.vjp(f, z)[1](np.ones_like(z))
    assert "digamma" in str(e.value) and "polygamma" in str(e.value)


def test_single_precision_stays_single():
    x = np.arange(6, dtype=np.float32)
    z = (x + 1j * x).astype(np.complex64)
    for f, a in [(lambda v: np.sum(np.abs(np.fft.fft(v)) ** 2), x),
                 (lambda v: np.sum(np.fft.irfft(v) ** 2), z),
                 (lambda v: np.sum(np.abs(v) ** 2), z), (lambda v: np.sum(np.angle(v + 1)), z)]:
        _, t = dfdx.jvp(f, (a,), (a,))
        assert f(a).dtype == t.dtype == np.float32
        assert dfdx.grad(f)(a).dtype == a.dtype


def test_real_to_complex_cast_and_back():
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no ComplexWarning: the real part is taken on purpose
        f = lambda x: np.sum(np.abs(x.astype(complex) * (1 + 1j)) ** 2)   # noqa: E731
        np.testing.assert_allclose(dfdx.grad(f)(np.array([1.0, 2.0])), [4.0, 8.0])
        np.testing.assert_allclose(dfdx.hessian(f)(np.array([1.0, 2.0])), 4 * np.eye(2))
        check_complex2(lambda z: np.real(z).astype(np.complex128) * z, Z)


# --- a real value made complex beside a constant: the tangent is complex at every order

def test_tangent_of_a_complex_value_is_complex_at_every_order():
    # f(x, y) = sin(x) + i y: df = cos(x) dx + i dy, d2f(dx, dx) = -sin(x) dx^2 (+ 0i)
    f = lambda x, y: np.sin(x) + 1j * y   # noqa: E731
    x, y = np.array([0.3, -1.1]), np.array([0.5, 2.0])
    out, t = dfdx.jvp(f, (x, y), (np.ones(2), np.zeros(2)))
    assert out.dtype == t.dtype == np.complex128
    np.testing.assert_allclose(t, np.cos(x))
    d1 = lambda x, y: dfdx.jvp(f, (x, y), (np.ones(2), np.ones(2)))[1]   # noqa: E731
    _, t2 = dfdx.jvp(d1, (x, y), (np.ones(2), np.ones(2)))
    assert t2.dtype == np.complex128
    np.testing.assert_allclose(t2, -np.sin(x))
    for g, want in [(lambda v: v + 1j, 0.0), (lambda v: np.where(v > 0, v * v, 1j), 2.0),
                    (lambda v: np.stack([v * v, 1j])[0], 2.0)]:
        d2 = dfdx.derivative(g, n=2)(1.5)
        assert np.result_type(d2) == np.complex128 and d2 == want
    # the fuzz's reproducer, every transform and order
    fz = lambda x, y: np.sin(x) + 1j * y[0:1].reshape(())   # noqa: E731
    dfdx.check_grad(fz, np.float64(0.4), np.linspace(-1.0, 1.0, 4), order=2)
    check_complex2(lambda x: np.sin(x) + 1j * x ** 2, np.array([0.3, -0.7]))


def test_real_and_imag_in_the_batched_transforms():
    x = np.array([0.5, -1.0, 2.0])
    # of real values: np.imag is a constant 0 (its rule answers "no derivative")
    f = lambda v: np.imag(v) + 2 * np.real(v)   # noqa: E731
    for jac in (dfdx.jacfwd(f), dfdx.jacrev(f)):
        np.testing.assert_array_equal(jac(x), 2 * np.eye(3))
    s = lambda v: np.sum(np.imag(v * v) + np.real(v) ** 2)   # noqa: E731
    for h in (dfdx.hessian(s), dfdx.jacfwd(dfdx.jacfwd(s)), dfdx.jacrev(dfdx.jacrev(s))):
        np.testing.assert_allclose(h(x), 2 * np.eye(3))
    # of complex values: Im((x + i)^2) = 2x, Re((x + i)^2) = x^2 - 1
    g = lambda v: np.imag((v + 1j) ** 2) * v + np.real((v + 1j) ** 2)   # noqa: E731 (3x^2 - 1)
    for jac in (dfdx.jacfwd(g), dfdx.jacrev(g)):
        np.testing.assert_allclose(jac(x), np.diag(6 * x))
    sg = lambda v: np.sum(g(v))   # noqa: E731
    for h in (dfdx.hessian(sg), dfdx.jacfwd(dfdx.jacfwd(sg)), dfdx.jacrev(dfdx.jacrev(sg))):
        np.testing.assert_allclose(h(x), 6 * np.eye(3))
