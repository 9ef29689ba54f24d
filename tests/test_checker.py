"""The checker cannot be fooled: every deliberately wrong rule below makes `check_grad` fail.

Each test registers a primitive whose rule is wrong in one situation only (one
mode, second order, off the symmetric subspace, float32, the imaginary
direction, one special point, NaN) and asserts `dfdx.check_grad` raises; a
right rule for the same function passes, so the test would notice a checker
that fails everything. Functions the numeric side cannot differentiate make
the checker fail with "could not check", never pass.
"""

import numpy as np
import pytest

import dfdx
from dfdx.testing import GradCheckError


def _prim(fun, jvp, vjp, name):
    p = dfdx.primitive(fun, name=name)
    p.defjvp(jvp)
    p.defvjp(vjp)
    return p


def _sin(jvp=None, vjp=None, name="sin"):
    return _prim(np.sin, jvp or (lambda t, ans, x: t * np.cos(x)),
                 vjp or (lambda g, ans, x: g * np.cos(x)), name)


X = np.array([0.3, -1.2, 2.0])


def test_the_right_rule_passes_to_third_order():
    dfdx.check_grad(_sin(), X, order=3)


def test_wrong_vjp_only():
    f = _sin(vjp=lambda g, ans, x: g * np.cos(x) * 1.001)
    with pytest.raises(GradCheckError, match="reverse-mode derivative rule is wrong"):
        dfdx.check_grad(f, X)


def test_wrong_jvp_only():
    f = _sin(jvp=lambda t, ans, x: t * np.cos(x) + 1e-4 * t)
    with pytest.raises(GradCheckError, match="forward-mode derivative rule is wrong"):
        dfdx.check_grad(f, X)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_wrong_only_at_second_order(mode):
    # Right values, but the derivative rule is a constant to the next order.
    frozen = lambda d, ans, x: d * np.cos(dfdx.stop_gradient(x))   # noqa: E731
    f = _sin(**{("jvp" if mode == "fwd" else "vjp"): frozen})
    dfdx.check_grad(f, X, order=1)
    with pytest.raises(GradCheckError, match="order 2"):
        dfdx.check_grad(f, X, order=2)


def test_wrong_only_at_third_order():
    # d/dx cos(x) is written as -sin(stop_gradient(x)): orders 1 and 2 right, 3 wrong.
    cos = _prim(np.cos, lambda t, ans, x: -t * np.sin(dfdx.stop_gradient(x)),
                lambda g, ans, x: -g * np.sin(dfdx.stop_gradient(x)), "cos")
    f = _sin(jvp=lambda t, ans, x: t * cos(x), vjp=lambda g, ans, x: g * cos(x))
    dfdx.check_grad(f, X, order=2)
    with pytest.raises(GradCheckError, match="order 3"):
        dfdx.check_grad(f, X, order=3)


def _upper_entry(rule_sym):
    """f(A) = A[0, 1]; with rule_sym the rule symmetrises: right only for symmetric directions."""
    if rule_sym:
        jvp = lambda t, ans, a: (t[0, 1] + t[1, 0]) / 2      # noqa: E731
        vjp = lambda g, ans, a: g * (np.eye(2, k=1) + np.eye(2, k=-1)) / 2   # noqa: E731
    else:
        jvp = lambda t, ans, a: t[0, 1]                      # noqa: E731
        vjp = lambda g, ans, a: g * np.eye(2, k=1)           # noqa: E731
    return _prim(lambda a: a[0, 1], jvp, vjp, "upper_entry")


def test_wrong_only_off_the_symmetric_subspace():
    a = np.array([[1.0, 0.5], [0.5, 2.0]])
    dfdx.check_grad(_upper_entry(False), a, order=2)
    with pytest.raises(GradCheckError):
        dfdx.check_grad(_upper_entry(True), a)


def test_wrong_only_for_float32():
    def jvp(t, ans, x):
        return t * np.cos(x) * (1.01 if x.dtype == np.float32 else 1.0)
    f = _sin(jvp=jvp, vjp=lambda g, ans, x: jvp(g, ans, x))
    dfdx.check_grad(f, X, order=2)
    with pytest.raises(GradCheckError, match="rule is wrong"):
        dfdx.check_grad(f, X.astype(np.float32))


def test_upcasting_float32_fails():
    # (A reverse rule that upcasts is cast back to the input's dtype by the engine.)
    f = _sin(jvp=lambda t, ans, x: (t * np.cos(x)).astype(np.float64))
    dfdx.check_grad(f, X, order=2)
    with pytest.raises(GradCheckError, match="dtype float64.*float32"):
        dfdx.check_grad(f, X.astype(np.float32))


def test_upcasting_value_fails():
    f = _prim(lambda x: np.sin(x).astype(np.float64),
              lambda t, ans, x: (t * np.cos(x)).astype(np.float64),
              lambda g, ans, x: g * np.cos(x), "sin64")
    # NumPy computes float64 here too, so the check passes: the dtype follows NumPy.
    dfdx.check_grad(f, X.astype(np.float32))

    def traced_differs(x):
        # The untraced call keeps float32; the traced one (a box) upcasts.
        return np.sin(x) if isinstance(x, np.ndarray) else np.sin(x).astype(np.float64)
    with pytest.raises(GradCheckError, match="dtype"):
        dfdx.check_grad(traced_differs, X.astype(np.float32))


def test_tolerance_follows_the_output_dtype_not_the_input():
    # float32 in, float64 out: the output is compared at float64 precision, so an
    # error of 1e-4 (relative) is caught although the input is float32.
    f = _prim(lambda x: np.sin(x.astype(np.float64)),
              lambda t, ans, x: (t * np.cos(x)).astype(np.float64) * (1 + 1e-4),
              lambda g, ans, x: (g * np.cos(x)).astype(np.float32), "sin_up")
    with pytest.raises(GradCheckError, match="forward-mode derivative rule is wrong"):
        dfdx.check_grad(f, X.astype(np.float32))
    # float64 in, float32 out: compared at float32 precision, and it passes.
    dfdx.check_grad(lambda x: np.sin(x).astype(np.float32), X, order=2)


def test_nan_rule_everywhere_fails():
    f = _sin(jvp=lambda t, ans, x: t * np.nan, vjp=lambda g, ans, x: g * np.nan)
    with pytest.raises(GradCheckError, match="rule is wrong"):
        dfdx.check_grad(f, X)


def test_nan_function_everywhere_cannot_pass():
    f = _prim(lambda x: np.sin(x) * np.nan, lambda t, ans, x: t, lambda g, ans, x: g, "nan")
    with pytest.raises(GradCheckError, match="could not check"):
        dfdx.check_grad(f, X)


def test_noisy_function_cannot_pass():
    # Rounding-like noise: a tiny, very fast oscillation the finite differences cannot resolve.
    f = _prim(lambda x: np.sin(x) + 1e-3 * np.sin(1e7 * x),
              lambda t, ans, x: t * np.cos(x), lambda g, ans, x: g * np.cos(x), "noisy")
    # (It says "could not check" or reports a disagreement; it never passes.)
    with pytest.raises(GradCheckError):
        dfdx.check_grad(f, X)


def test_wrong_rule_at_an_undefined_point_is_checked_nearby():
    # log at 0 is not defined: the checker moves to nearby points (and finds the bug there).
    f = _prim(np.log, lambda t, ans, x: t / x * 1.01, lambda g, ans, x: g / x * 1.01, "log")
    with pytest.raises(GradCheckError, match="moved.*rule is wrong"):
        dfdx.check_grad(f, np.array([2.0, 0.0]))


def test_undefined_point_without_moving_cannot_pass():
    with pytest.raises(GradCheckError, match="could not check"):
        dfdx.check_grad(np.sqrt, np.array([0.0, 1.0]), move=False)


def test_wrong_only_at_a_special_point():
    def jvp(t, ans, x):
        return t * (np.cos(x) + np.where(x == 0, 1.0, 0.0))
    f = _sin(jvp=jvp, vjp=lambda g, ans, x: jvp(g, ans, x))
    dfdx.check_grad(f, X, order=2)
    with pytest.raises(GradCheckError, match="rule is wrong"):
        dfdx.check_grad(f, np.array([0.0, 1.0]), move=False)
    with pytest.raises(GradCheckError, match="rule is wrong"):
        dfdx.check_grad(f, 0.0)


# --- complex: grad f = df/dx + i df/dy, forward mode R-linear ---------------------

Z = np.array([0.5 + 0.2j, -0.3 + 0.7j])


def _square(vjp):
    return _prim(lambda z: z * z, lambda t, ans, z: 2 * z * t, vjp, "square")


# A rule's cotangents are transposes, as in JAX (README, "Complex numbers"): the VJP of a
# holomorphic f is g * f'(z); grad and vjp conjugate once at the boundary.

def test_complex_right_rule_passes():
    dfdx.check_grad(_square(lambda g, ans, z: g * 2 * z), Z)


def test_wrong_only_in_the_imaginary_direction():
    # Right for real directions u, wrong for imaginary ones.
    f = _square(lambda g, ans, z: np.real(g * 2 * z) + 0j)
    with pytest.raises(GradCheckError, match="reverse-mode derivative rule is wrong"):
        dfdx.check_grad(f, Z)


def test_complex_conjugation_convention_is_checked():
    # The other convention (the conjugate of the right cotangent) is caught.
    f = _square(lambda g, ans, z: g * np.conj(2 * z))
    with pytest.raises(GradCheckError, match="reverse-mode derivative rule is wrong"):
        dfdx.check_grad(f, Z)


def test_real_valued_function_of_complex_input():
    # |z|^2: grad = 2x + 2iy = 2z (the conjugate of the rule's 2 g conj(z)); the forward
    # tangent is real.
    f = _prim(lambda z: np.real(z * np.conj(z)),
              lambda t, ans, z: np.real(np.conj(z) * t + z * np.conj(t)),
              lambda g, ans, z: 2 * g * np.conj(z), "abs2")
    dfdx.check_grad(f, Z)
    wrong = _prim(lambda z: np.real(z * np.conj(z)),
                  lambda t, ans, z: np.real(np.conj(z) * t + z * np.conj(t)),
                  lambda g, ans, z: 2 * g * z, "abs2_conj")
    with pytest.raises(GradCheckError, match="reverse-mode"):
        dfdx.check_grad(wrong, Z)


def test_no_floating_point_output_cannot_pass():
    with pytest.raises(GradCheckError, match="no floating-point output"):
        dfdx.check_grad(lambda x: np.argmax(x), X)


def test_options_are_validated():
    with pytest.raises(ValueError, match="order"):
        dfdx.check_grad(np.sin, 1.0, order=0)
    with pytest.raises(ValueError, match="modes"):
        dfdx.check_grad(np.sin, 1.0, modes=("sideways",))
    with pytest.raises(TypeError, match="function"):
        dfdx.check_grad(3.0, 1.0)


# --- at kinks: the exact one-sided derivatives are checked too ---------------------

def _relu(x):
    return np.maximum(x, 0.0)


def test_kink_where_the_convention_holds_passes_and_checks_both_sides():
    # abs at 0: the convention (0) is the central difference; both sides (-1, 1) are
    # checked against one-sided differences.
    dfdx.check_grad(np.abs, np.array([0.0, 1.5]), move=False)
    dfdx.check_grad(lambda x: np.sort(x), np.array([1.0, 1.0, 2.0]), move=False)


def test_composed_kink_names_the_exact_one_sided_derivatives():
    # relu(relu(x)) - relu(x) is identically 0; the convention gives -1/4 at 0.
    with pytest.raises(GradCheckError) as e:
        dfdx.check_grad(lambda x: _relu(_relu(x)) - _relu(x), 0.0, move=False)
    msg = str(e.value)
    assert "kink" in msg and "left 0.0 and right 0.0" in msg
    assert "differentiable there nevertheless" in msg and "side=" in msg


def test_wrong_one_sided_rule_is_caught(monkeypatch):
    # A directional rule for abs that takes the right branch from both sides.
    from dfdx import _onesided

    def wrong(trace, prim, args, kwargs):
        (x,) = args
        _onesided._side_of_zero(trace, prim, x, kwargs, jump=False)
        return x * 1.0

    monkeypatch.setitem(_onesided.KINKS, "numpy.absolute", wrong)
    with pytest.raises(GradCheckError, match="sided derivative .* The one-sided rule of a kink in f is wrong"):
        dfdx.check_grad(np.abs, np.array([0.0, 1.5]), move=False)
    monkeypatch.undo()
    dfdx.check_grad(np.abs, np.array([0.0, 1.5]), move=False)     # the control
