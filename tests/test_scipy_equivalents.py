"""dfdx.linalg, dfdx.signal, dfdx.integrate: SciPy's values, known derivatives, and the errors.

Their derivatives (both modes, second order, float32) are checked by the
generic checker over the rows in scipy_samples.py; here: the values against
SciPy, derivatives against closed forms, and what raises.
"""

import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl
import scipy.signal as ss

import dfdx
from dfdx import integrate, linalg, signal

RNG = np.random.default_rng(12)
A = RNG.standard_normal((4, 4))
SPD = A @ A.T + np.eye(4)
B = RNG.standard_normal((4, 3))
NEAR2 = 0.3 * RNG.standard_normal((4, 4)) + 2 * np.eye(4)


def _close(got, want, rtol=1e-12):
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * np.max(np.abs(w)))


@pytest.mark.parametrize("call", [
    lambda m: m.expm(A), lambda m: m.expm(np.stack([A, -A])), lambda m: m.sqrtm(SPD),
    lambda m: m.sqrtm(NEAR2), lambda m: m.logm(SPD), lambda m: m.logm(NEAR2),
    lambda m: m.solve_triangular(A, B), lambda m: m.solve_triangular(A, B[:, 0], trans="T",
                                                                     lower=True),
    lambda m: m.solve_triangular(A, B, trans=2, unit_diagonal=True),
    lambda m: m.cho_factor(SPD), lambda m: m.cho_factor(SPD, lower=True),
    lambda m: m.cho_solve(m.cho_factor(SPD), B), lambda m: m.lu_factor(A),
    lambda m: m.lu_solve(m.lu_factor(A), B), lambda m: m.lu_solve(m.lu_factor(A), B, trans=1),
    lambda m: m.det(A), lambda m: m.inv(A), lambda m: m.inv(SPD, assume_a="pos"),
    lambda m: m.inv(A, assume_a="sym", lower=True), lambda m: m.inv(A, assume_a="diagonal"),
    lambda m: m.inv(A, assume_a="lower triangular"), lambda m: m.eigh(SPD),
    lambda m: m.eigh(A, lower=False), lambda m: m.eigh(SPD, eigvals_only=True),
    lambda m: m.eigh(SPD, SPD + np.eye(4)), lambda m: m.svd(A), lambda m: m.svd(B, False),
    lambda m: m.svd(B, compute_uv=False), lambda m: m.svd(A, lapack_driver="gesvd")])
def test_linalg_values_are_scipys(call):
    _close(call(linalg), call(sl))


def test_lu_and_cholesky_pack_their_factors_as_scipy():
    lu, piv = linalg.lu_factor(A)
    want_lu, want_piv = sl.lu_factor(A)
    np.testing.assert_array_equal(piv, want_piv)
    np.testing.assert_array_equal(lu, want_lu)
    c, low = linalg.cho_factor(SPD)
    want_c, want_low = sl.cho_factor(SPD)
    assert low is want_low is False
    np.testing.assert_array_equal(np.tril(c, -1), np.tril(want_c, -1))   # a's own entries


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [((7,), (3,)), ((3,), (7,)), ((5, 6), (2, 3)),
                                    ((2, 3), (4, 4)), ((4, 3), (2, 2))])
def test_signal_values_are_scipys(mode, shapes):
    x, k = (RNG.standard_normal(s) for s in shapes)
    if mode == "valid" and not (all(a >= b for a, b in zip(*shapes))
                                or all(a <= b for a, b in zip(*shapes))):
        return
    for method in ("auto", "direct", "fft"):
        _close(signal.convolve(x, k, mode, method), ss.convolve(x, k, mode, method))
        _close(signal.correlate(x, k, mode, method), ss.correlate(x, k, mode, method))


def test_correlate_of_complex_input_is_scipys():
    x = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
    k = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    for mode in ("full", "same", "valid"):
        _close(signal.correlate(x, k, mode), ss.correlate(x, k, mode))


def test_trapezoid_values_are_scipys():
    y = RNG.standard_normal((3, 6))
    x = np.sort(RNG.standard_normal(6))
    _close(integrate.trapezoid(y), si.trapezoid(y))
    _close(integrate.trapezoid(y, x), si.trapezoid(y, x))
    _close(integrate.trapezoid(y.T, x, axis=0), si.trapezoid(y.T, x, axis=0))
    _close(integrate.trapezoid(y, np.sort(y, axis=1)), si.trapezoid(y, np.sort(y, axis=1)))
    _close(integrate.trapezoid(y, dx=0.3), si.trapezoid(y, dx=0.3))
    _close(integrate.trapezoid([1.0, 2.0, 4.0]), si.trapezoid([1.0, 2.0, 4.0]))


def test_derivatives_match_closed_forms():
    # d/dt expm(t A) = A expm(t A); d/dt sqrtm(t S) = sqrtm(S) / (2 sqrt t); d logm(t S)/dt = I/t
    t = 0.7
    np.testing.assert_allclose(dfdx.jacobian(lambda s: linalg.expm(s * A))(t),
                               A @ sl.expm(t * A), rtol=1e-10)
    np.testing.assert_allclose(dfdx.jacobian(lambda s: linalg.sqrtm(s * SPD))(t),
                               sl.sqrtm(SPD) / (2 * np.sqrt(t)), rtol=1e-10)
    np.testing.assert_allclose(dfdx.jacobian(lambda s: linalg.logm(s * NEAR2))(t),
                               np.eye(4) / t, atol=1e-10)
    # the gradient of log det through the Cholesky solve: d/dS b^T S^-1 b = -S^-1 b b^T S^-1
    b = B[:, 0]
    g = dfdx.grad(lambda s: b @ linalg.cho_solve(linalg.cho_factor(s, lower=True), b))(SPD)
    x = np.linalg.solve(SPD, b)
    want = -np.outer(x, x)
    np.testing.assert_allclose(np.tril(g), np.tril(want + np.triu(want, 1).T), rtol=1e-10)
    np.testing.assert_array_equal(np.triu(g, 1), 0.0)          # the unread triangle
    # the derivative of a convolution in the kernel is the signal, reversed
    x = RNG.standard_normal(6)
    np.testing.assert_allclose(dfdx.grad(lambda k: signal.convolve(x, k, "valid")[0])(np.ones(3)),
                               x[2::-1])
    np.testing.assert_allclose(dfdx.grad(integrate.trapezoid)(np.ones(4)), [0.5, 1, 1, 0.5])


def test_float32_stays_float32():
    a32, s32, b32 = A.astype(np.float32), SPD.astype(np.float32), B.astype(np.float32)
    calls = [lambda: linalg.expm(a32), lambda: linalg.sqrtm(s32), lambda: linalg.logm(s32),
             lambda: linalg.det(a32), lambda: linalg.inv(a32),
             lambda: linalg.solve_triangular(a32, b32),
             lambda: linalg.cho_solve(linalg.cho_factor(s32), b32),
             lambda: linalg.lu_solve(linalg.lu_factor(a32), b32), lambda: linalg.eigh(s32)[1],
             lambda: linalg.svd(a32)[0], lambda: signal.convolve(b32[:, 0], b32[:2, 1]),
             lambda: integrate.trapezoid(b32)]
    for call in calls:
        assert call().dtype == np.float32
    g = dfdx.grad(lambda s: np.sum(linalg.logm(s)))(s32)
    assert g.dtype == np.float32
    np.testing.assert_allclose(linalg.logm(s32), sl.logm(SPD), rtol=1e-5, atol=1e-6)


def test_matrix_functions_off_their_domain_raise_named_errors():
    singular = np.diag([1.0, 0.0])
    negative = np.diag([2.0, -1.0])
    with pytest.raises(dfdx.NonDifferentiableError, match="sqrtm: the matrix is singular"):
        dfdx.grad(lambda a: np.sum(linalg.sqrtm(a)))(singular)
    with pytest.raises(dfdx.DomainError, match="logm: the matrix is singular"):
        dfdx.jvp(lambda a: linalg.logm(a), (singular,), (np.eye(2),))
    for fn in (linalg.sqrtm, linalg.logm):
        with pytest.raises(dfdx.DomainError, match=r"eigenvalue\(s\) -1 on the negative real"):
            dfdx.grad(lambda a: np.sum(np.real(fn(a))))(negative)
        _close(fn(negative), getattr(sl, fn.__name__)(negative))   # the value is SciPy's
    with pytest.raises(dfdx.UnsupportedOperation, match="real matrices only"):
        dfdx.grad(lambda a: np.sum(np.abs(linalg.expm(a))))(np.eye(2) * (1 + 1j))


def test_unsupported_options_are_refused_by_name():
    with pytest.raises(dfdx.UnsupportedOperation, match="subset_by_index"):
        linalg.eigh(SPD, subset_by_index=[0, 1])
    with pytest.raises(dfdx.UnsupportedOperation, match="full_matrices=False"):
        dfdx.grad(lambda b: np.sum(linalg.svd(b)[0]))(B)
    with pytest.raises(dfdx.UnsupportedOperation, match="square matrix only"):
        linalg.lu_factor(B)
    with pytest.raises(ValueError, match="mode"):
        signal.convolve(np.ones(3), np.ones(2), "circular")


@pytest.mark.parametrize("module,name,call", [
    ("linalg", "expm", lambda a: sl.expm(a)), ("linalg", "sqrtm", lambda a: sl.sqrtm(a)),
    ("linalg", "logm", lambda a: sl.logm(a)), ("linalg", "det", lambda a: sl.det(a)),
    ("linalg", "inv", lambda a: sl.inv(a)), ("linalg", "eigh", lambda a: sl.eigh(a)[0]),
    ("linalg", "svd", lambda a: sl.svd(a)[1]),
    ("linalg", "solve_triangular", lambda a: sl.solve_triangular(a, np.ones(2))),
    ("linalg", "cho_factor", lambda a: sl.cho_factor(a)[0]),
    ("linalg", "cho_solve", lambda a: sl.cho_solve((a, False), np.ones(2))),
    ("linalg", "lu_factor", lambda a: sl.lu_factor(a)[0]),
    ("linalg", "lu_solve", lambda a: sl.lu_solve((a, np.arange(2)), np.ones(2))),
    ("signal", "convolve", lambda a: ss.convolve(a, a)),
    ("signal", "correlate", lambda a: ss.correlate(a, a, "same")),
    ("integrate", "trapezoid", lambda a: si.trapezoid(a))])
def test_scipys_own_function_names_the_dfdx_equivalent(module, name, call):
    equivalent = getattr(getattr(dfdx, module), name)
    assert callable(equivalent)
    with pytest.raises(dfdx.TracerConversionError,
                       match=rf"scipy\.{module}\.{name} converts .* Use dfdx\.{module}\.{name},"):
        dfdx.grad(lambda a: np.sum(call(a)))(2.0 * np.eye(2))


def test_deprecated_disp_false_returns_scipys_error_estimate_too():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for fn in ("sqrtm", "logm"):
            x, err = getattr(linalg, fn)(SPD, disp=False)
            want, want_err = getattr(sl, fn)(SPD, disp=False)
            _close(x, want)
            assert err == want_err


def test_the_modules_are_public_submodules():
    import importlib
    for name in ("linalg", "signal", "integrate"):
        assert name in dfdx.__all__
        assert getattr(dfdx, name) is importlib.import_module(f"dfdx.{name}")
        mod = getattr(dfdx, name)
        for fn in mod.__all__:
            assert callable(getattr(mod, fn)) and getattr(mod, fn).__doc__


def test_with_scipy_array_api_the_dfdx_error_is_the_one_scipy_was_handling():
    # docs/scipy.md: under SCIPY_ARRAY_API=1 SciPy replaces dfdx's error by its own TypeError
    import subprocess
    import sys
    code = ("import numpy as np, dfdx, scipy.integrate as si\n"
            "try:\n"
            "    dfdx.grad(lambda y: si.trapezoid(y))(np.ones(3))\n"
            "except TypeError as e:\n"
            "    print(type(e).__name__, '|', e, '|', type(e.__context__).__name__, '|',"
            " e.__context__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "SCIPY_ARRAY_API": "1"}, timeout=120)
    got = out.stdout + out.stderr
    assert "TracerConversionError" in got and "Use dfdx.integrate.trapezoid" in got, got
