"""Sample rows for SciPy's linalg / signal / integrate equivalents (dfdx.rules.scipy_*).

Imported at the end of rule_samples.py, so the generic checker in test_rules.py
runs every row (first and second order, forward and reverse, and again in
float32) and its meta-test sees that every registered SciPy callable has one.
"""

import numpy as np
import scipy.integrate as si
import scipy.linalg as sl
import scipy.signal as ss

import dfdx
from dfdx import integrate, linalg, signal
from dfdx.rules import _util as rules_util
from rule_samples import _sym, add, normal, spd_input, uniform


def _signs(v):
    """Vectors with a fixed sign (a constant), so a sample of eigenvectors is smooth."""
    return v * np.sign(dfdx.stop_gradient(v)[..., :1, :])


def _near(n, c):
    """A nonsymmetric matrix with eigenvalues near c (away from the negative real axis)."""
    return 0.3 * normal(n, n) + c * np.eye(n)


# --- matrix functions ---------------------------------------------------------------
add(sl.expm, linalg.expm, 0.5 * normal(3, 3))
add(sl.expm, linalg.expm, 0.5 * normal(2, 2, 2), label="batch")
add(sl.expm, linalg.expm, np.zeros((2, 2)), label="zero", kind="special")
add(sl.expm, linalg.expm, np.eye(3), label="identity", kind="special")
add(sl.sqrtm, lambda x: linalg.sqrtm(_sym(x)), spd_input())
add(sl.sqrtm, linalg.sqrtm, _near(3, 2.0), label="nonsymmetric")
add(sl.sqrtm, linalg.sqrtm, np.eye(2), label="identity", kind="special")
add(sl.logm, lambda x: linalg.logm(_sym(x)), spd_input())
add(sl.logm, linalg.logm, _near(3, 2.0), label="nonsymmetric")
add(sl.logm, linalg.logm, np.eye(2), label="identity", kind="special")

# --- solves and factorizations ------------------------------------------------------
_TRI = 0.5 * normal(3, 3) + 3 * np.eye(3)
add(sl.solve_triangular, linalg.solve_triangular, _TRI, normal(3, 2))
add(sl.solve_triangular, lambda a, b: linalg.solve_triangular(a, b, lower=True, trans="T"),
    _TRI, normal(3), label="lower, trans='T', vector b")
add(sl.solve_triangular, lambda a, b: linalg.solve_triangular(a, b, unit_diagonal=True,
                                                              trans=1), normal(3, 3),
    normal(3, 2), label="unit diagonal")
add(sl.cho_factor, lambda x: linalg.cho_factor(_sym(x))[0], spd_input())
add(sl.cho_factor, lambda x: linalg.cho_factor(_sym(x), lower=True)[0], spd_input(),
    label="lower")
add(sl.cho_solve, lambda x, b: linalg.cho_solve(linalg.cho_factor(_sym(x)), b), spd_input(),
    normal(3, 2))
add(sl.cho_solve, lambda x, b: linalg.cho_solve(linalg.cho_factor(_sym(x), lower=True), b),
    spd_input(), normal(3), label="lower, vector b")
add(sl.lu_factor, lambda a: linalg.lu_factor(a)[0], normal(3, 3))
add(sl.lu_solve, lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b), normal(3, 3) + 2 * np.eye(3),
    normal(3, 2))
add(sl.lu_solve, lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b, trans=1),
    normal(3, 3) + 2 * np.eye(3), normal(3), label="trans=1")
add(sl.det, linalg.det, normal(3, 3))
add(sl.det, linalg.det, np.array([[1.0, 2.0], [2.0, 4.0]]), label="singular", kind="special")
add(sl.inv, linalg.inv, normal(3, 3) + 3 * np.eye(3))
add(sl.inv, lambda a: linalg.inv(_sym(a), assume_a="pos", lower=True), normal(3, 3),
    label="pos, lower")
add(sl.inv, lambda a: linalg.inv(a, assume_a="sym"), normal(3, 3) + 3 * np.eye(3), label="sym")
add(sl.inv, lambda a: linalg.inv(a, assume_a="upper triangular"), _TRI, label="triangular")
add(sl.inv, lambda a: linalg.inv(a, assume_a="diagonal"), _TRI, label="diagonal")

# --- eigh and svd: SciPy's values, numpy.linalg's rules ---------------------------
add(sl.eigh, lambda x: (lambda w, v: (w, _signs(v)))(*linalg.eigh(_sym(x))), spd_input())
add(sl.eigh, lambda x: linalg.eigh(x, lower=False, eigvals_only=True), normal(3, 3),
    label="upper triangle, values")
add(sl.eigh, lambda x, y: (lambda w, v: (w, _signs(v)))(*linalg.eigh(_sym(x), _sym(y))),
    spd_input(), spd_input(), label="generalized")
add(rules_util._scipy_eigh, lambda x: linalg.eigh(_sym(x))[0], normal(2, 3, 3), label="batch")
add(sl.svd, lambda x: (lambda u, s, vh: (_signs(u), s))(*linalg.svd(x)), normal(3, 3))
add(sl.svd, lambda x: linalg.svd(x, compute_uv=False), normal(4, 2), label="values")
add(rules_util._scipy_svd, lambda x: (lambda u, s, vh: (_signs(u), s))(
    *linalg.svd(x, full_matrices=False)), normal(2, 4), label="wide")

# --- signal and integrate -------------------------------------------------------------
for _mode in ("full", "same", "valid"):
    add(ss.convolve, lambda x, y, _m=_mode: signal.convolve(x, y, _m), normal(6), normal(3),
        label=_mode)
    add(ss.convolve, lambda x, y, _m=_mode: signal.convolve(x, y, _m), normal(3), normal(5),
        label=f"{_mode}, in2 larger")
    add(ss.convolve, lambda x, y, _m=_mode: signal.convolve(x, y, _m, method="fft"),
        normal(4, 5), normal(2, 3), label=f"2-d {_mode}, fft")
    add(ss.correlate, lambda x, y, _m=_mode: signal.correlate(x, y, _m), normal(6), normal(3),
        label=_mode)
    add(ss.correlate, lambda x, y, _m=_mode: signal.correlate(x, y, _m), normal(3), normal(5),
        label=f"{_mode}, in2 larger")
add(ss.correlate, lambda x, y: signal.correlate(x, y, "same"), normal(3, 4), normal(2, 2),
    label="2-d")
add(si.trapezoid, integrate.trapezoid, normal(2, 5))
add(si.trapezoid, lambda y, x: integrate.trapezoid(y, x), normal(2, 5), uniform(0, 1, 5) +
    np.arange(5.0), label="x 1-d")
add(si.trapezoid, lambda y, x: integrate.trapezoid(y, x, axis=0), normal(4, 2),
    uniform(0, 1, 4, 2) + np.arange(4.0)[:, None], label="x like y, axis=0")
add(si.trapezoid, lambda y, d: integrate.trapezoid(y, dx=d), normal(4), uniform(0.1, 1),
    label="dx")
