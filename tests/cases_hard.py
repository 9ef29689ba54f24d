"""Hard cases for the numeric route: derivatives and limits where finite samples mislead.

Each derivative case names a SymPy expression (the truth is ``sympy.diff`` of it at the
exact binary value of the float point, to 30 digits, computed by `derivative_truth`) and
the plain-NumPy callable that is differentiated (the same function, sometimes with
noise of a known level added, or NaN / raising outside a stated region). Each limit
case stores its truth as SymPy gave it (``sympy.limit`` of the expression, checked
once when the case was written) beside the callable.

The point of these lists is the verdict, not the digits: a numeric answer is allowed
to be uncertain (``error = inf`` for a derivative, ``exists = None`` for a limit), but
never confidently wrong.

Families: fast oscillation, essential singularities, near poles, huge and tiny
arguments, noisy functions, functions that raise or return NaN nearby, domain edges;
for limits, catastrophic cancellation, overflow / underflow cutting the samples short,
and trends that settle late.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

__all__ = ["HardDerivative", "HardLimit", "HARD_DERIVATIVES", "HARD_MULTI", "HARD_LIMITS",
           "derivative_truth", "noise"]

inf = math.inf


def noise(x):
    """Deterministic pseudo-random noise in [-1, 1] from the bits of x (elementwise).

    Not smooth at any scale, so a finite difference of it only ever sees noise: the
    derivative of ``g(x) + s * noise(x)`` is taken to be g'(x), and an error bar must
    cover that or be infinite.
    """
    b = np.asarray(x, dtype=np.float64).view(np.uint64).copy()
    with np.errstate(over="ignore"):
        b ^= b >> np.uint64(33)
        b *= np.uint64(0xFF51AFD7ED558CCD)
        b ^= b >> np.uint64(33)
        b *= np.uint64(0xC4CEB9FE1A85EC53)
        b ^= b >> np.uint64(33)
    u = (b >> np.uint64(11)).astype(np.float64) / float(2**53)
    out = 2.0 * u - 1.0
    return out[()] if out.ndim == 0 else out


@dataclass(frozen=True)
class HardDerivative:
    """The n-th derivative of `expr` at x; `f` is what the numeric route is given."""

    name: str
    expr: str
    x: float
    n: int
    f: Callable | None = None
    family: str = ""

    def __repr__(self) -> str:
        return f"HardDerivative({self.name})"

    def callable(self):
        return self.f if self.f is not None else _lambdify(self.expr)


@lru_cache(maxsize=None)
def _lambdify(expr):
    import sympy as sp

    x = sp.Symbol("x")
    return sp.lambdify(x, sp.sympify(expr), modules="numpy")


@lru_cache(maxsize=None)
def derivative_truth(expr: str, x: float, n: int) -> float:
    """The exact n-th derivative of `expr` at the binary value of x, rounded to float."""
    import sympy as sp

    s = sp.Symbol("x")
    d = sp.diff(sp.sympify(expr), s, n)
    return float(sp.N(d.subs(s, sp.Rational(float(x))), 40))


def _D(name, expr, x, n=1, f=None, family=""):
    return HardDerivative(name, expr, float(x), n, f, family)


def _nan_outside(lo, hi, g):
    def f(x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return np.where((x > lo) & (x < hi), g(x), np.nan)
    return f


def _raises_below(lo, g):
    def f(x):
        if float(x) <= lo:
            raise ValueError("math domain error")
        return g(float(x))
    return f


def _noisy(g, level):
    return lambda x: g(x) + level * noise(x)


def _noisy_rel(g, level):
    return lambda x: g(x) * (1 + level * noise(x))


HARD_DERIVATIVES: list[HardDerivative] = []
for _n in (1, 2):
    HARD_DERIVATIVES += [
        # -- fast oscillation -------------------------------------------------------------------
        _D(f"sin100_n{_n}", "sin(100*x)", 1 / 3, _n, family="oscillation"),
        _D(f"sin1000_n{_n}", "sin(1000*x)", 0.7, _n, family="oscillation"),
        _D(f"cos50_exp_n{_n}", "cos(50*x)*exp(x)", 0.2, _n, family="oscillation"),
        _D(f"sin_x3_n{_n}", "sin(x**3)", 5.0, _n, family="oscillation"),
        _D(f"sin_exp_n{_n}", "sin(exp(x))", 5.0, _n, family="oscillation"),
        # -- essential singularities -------------------------------------------------------------
        _D(f"sin_inv_x_n{_n}", "sin(1/x)", 0.05, _n, family="essential"),
        _D(f"cos_inv_x_n{_n}", "cos(1/x)", 0.02, _n, family="essential"),
        _D(f"x_sin_inv_x_n{_n}", "x*sin(1/x)", 0.01, _n, family="essential"),
        _D(f"flat_exp_n{_n}", "exp(-1/x**2)", 0.1, _n, family="essential"),
        _D(f"exp_inv_x_n{_n}", "exp(1/x)", 0.2, _n, family="essential"),
        # -- near poles ---------------------------------------------------------------------------
        _D(f"pole_0999_n{_n}", "1/(x - 1)", 0.999, _n, family="pole"),
        _D(f"inv_x_1e-8_n{_n}", "1/x", 1e-8, _n, family="pole"),
        _D(f"tan_near_pi2_n{_n}", "tan(x)", math.pi / 2 - 1e-4, _n, family="pole"),
        _D(f"pole_2001_n{_n}", "1/(x**2 - 4)", 2.001, _n, family="pole"),
        _D(f"log_1e-6_n{_n}", "log(x)", 1e-6, _n, family="pole"),
        # -- huge and tiny arguments --------------------------------------------------------------
        _D(f"x2_1e20_n{_n}", "x**2", 1e20, _n, family="huge"),
        _D(f"sin_1e10_n{_n}", "sin(x)", 1e10, _n, family="huge"),
        _D(f"log_1e100_n{_n}", "log(x)", 1e100, _n, family="huge"),
        _D(f"exp_scaled_1e7_n{_n}", "exp(x/1000000)", 1e7, _n, family="huge"),
        _D(f"sqrt_1e200_n{_n}", "sqrt(x)", 1e200, _n, family="huge"),
        _D(f"sin_1e-20_n{_n}", "sin(x) + x**3", 1e-20, _n, family="tiny"),
        _D(f"x2_1e-150_n{_n}", "x**2", 1e-150, _n, family="tiny"),
        _D(f"exp_m700_n{_n}", "exp(x)", -700.0, _n, family="tiny"),
        # -- noisy (the noise level is known; truth is the smooth part's derivative) ----------------
        _D(f"sin_noise1e-10_n{_n}", "sin(x)", 0.7, _n, _noisy(np.sin, 1e-10), family="noise"),
        _D(f"exp_relnoise1e-8_n{_n}", "exp(x)", 1.3, _n, _noisy_rel(np.exp, 1e-8), family="noise"),
        _D(f"exp_float32_n{_n}", "exp(x)", 0.3, _n,
           lambda x: np.exp(np.asarray(x, dtype=np.float32)).astype(np.float64), family="noise"),
        _D(f"cubic_noise1e-6_n{_n}", "x**3 - x", 0.4, _n, _noisy(lambda x: x**3 - x, 1e-6),
           family="noise"),
        # -- NaN or raising nearby, domain edges ------------------------------------------------------
        _D(f"math_log_1e-4_n{_n}", "log(x)", 1e-4, _n, _raises_below(0.0, math.log), family="raises"),
        _D(f"sqrt_1mx2_n{_n}", "sqrt(1 - x**2)", 0.9999, _n, family="edge"),
        _D(f"exp_nan_right_n{_n}", "exp(x)", 1.0, _n, _nan_outside(-inf, 1.0001, np.exp), family="nan"),
        _D(f"log_xm05_n{_n}", "log(x - 1/2)", 0.5000001, _n, family="edge"),
        _D(f"asin_edge_n{_n}", "asin(x)", 0.999999, _n, family="edge"),
        _D(f"sqrt_1e-12_n{_n}", "sqrt(x)", 1e-12, _n, family="edge"),
        _D(f"x15_at_0_n{_n}", "x**(3/2)", 0.0, _n, _nan_outside(-1e-300, inf, lambda x: x**1.5),
           family="edge"),
    ]
del _n
# far closer to 0 than the sweep from 1/2 reaches (first derivatives: the second overflows)
HARD_DERIVATIVES += [
    _D("log_7e-300_n1", "log(x)", 7e-300, 1, family="tiny"),
    _D("sqrt_1e-250_n1", "sqrt(x)", 1e-250, 1, family="tiny"),
    _D("inv_x2_1e-100_n1", "1/x**2", 1e-100, 1, family="tiny"),
]
# x**(3/2) has no second derivative at 0 (it is infinite there)
HARD_DERIVATIVES = [c for c in HARD_DERIVATIVES if c.name != "x15_at_0_n2"]


@dataclass(frozen=True)
class HardMulti:
    """A gradient or Hessian of a scalar function of a vector, truth from SymPy."""

    name: str
    expr: str            # in the symbols x0, x1, ...
    x: tuple
    kind: str            # "gradient" or "hessian"

    def __repr__(self) -> str:
        return f"HardMulti({self.name})"


HARD_MULTI: list[HardMulti] = [
    HardMulti("grad_osc", "sin(100*x0)*cos(x1)", (1 / 3, 0.2), "gradient"),
    HardMulti("grad_pole", "1/(x0 - 1) + x1**2", (0.999, 3.0), "gradient"),
    HardMulti("grad_huge", "x0**2 + x1**2", (1e20, 2e19), "gradient"),
    HardMulti("grad_mixed_scales", "sin(x0) + exp(x1/1000000)", (1e10, 1e7), "gradient"),
    HardMulti("hess_osc", "sin(50*x0 + x1)", (0.3, 0.1), "hessian"),
    HardMulti("hess_pole", "1/(x0 + x1)", (1e-3, 1e-3), "hessian"),
    HardMulti("hess_rosen", "100*(x1 - x0**2)**2 + (1 - x0)**2", (1.0, 1.0), "hessian"),
]


def multi_truth(case: HardMulti):
    """Exact gradient (m,) or Hessian (m, m) of a `HardMulti` case, rounded to float."""
    import sympy as sp

    m = len(case.x)
    xs = sp.symbols(f"x0:{m}")
    e = sp.sympify(case.expr, locals={str(s): s for s in xs})
    at = {s: sp.Rational(float(v)) for s, v in zip(xs, case.x)}
    if case.kind == "gradient":
        return np.array([float(sp.N(sp.diff(e, s).subs(at), 40)) for s in xs])
    return np.array([[float(sp.N(sp.diff(e, a, b).subs(at), 40)) for b in xs] for a in xs])


def multi_callable(case: HardMulti):
    import sympy as sp

    m = len(case.x)
    xs = sp.symbols(f"x0:{m}")
    e = sp.sympify(case.expr, locals={str(s): s for s in xs})
    g = sp.lambdify(xs, e, modules="numpy")
    return lambda v: g(*v)


# -- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HardLimit:
    """A limit whose samples mislead; `value` is SymPy's answer (None: does not exist)."""

    name: str
    expr: str
    f: Callable
    at: float
    dir: str
    value: float | None
    family: str = ""

    def __repr__(self) -> str:
        return f"HardLimit({self.name})"


def _L(name, expr, f, at, value, dir="+-", family=""):
    return HardLimit(name, expr, f, at, dir, value, family)


E = math.e

HARD_LIMITS: list[HardLimit] = [
    # -- the examples ---------------------------------------------------------------------
    _L("cos_taylor4", "(cos(x) - 1 + x**2/2)/x**4", lambda x: (np.cos(x) - 1 + x**2 / 2) / x**4,
       0.0, 1 / 24, family="cancellation"),
    _L("exp_diff_inf", "exp(x)*(exp(1/x - exp(-x)) - exp(1/x))",
       lambda x: np.exp(x) * (np.exp(1 / x - np.exp(-x)) - np.exp(1 / x)), inf, -1.0,
       family="cancellation"),
    _L("compound_over_exp", "(1 + 1/x)**(x**2)/exp(x)", lambda x: (1 + 1 / x)**(x**2) / np.exp(x),
       inf, math.exp(-0.5), family="overflow"),
    _L("exp_over_x100", "exp(x)/x**100", lambda x: np.exp(x) / x**100, inf, inf, family="late"),
    _L("gruntz_root", "((x**7 + x + 1)/(2**x + x**2))**(-1/x)",
       lambda x: ((x**7 + x + 1) / (2.0**x + x**2))**(-1 / x), inf, 2.0, family="overflow"),
    _L("sinh_over_x_sin", "(exp(x) - exp(-x) - 2*x)/(x - sin(x))",
       lambda x: (np.exp(x) - np.exp(-x) - 2 * x) / (x - np.sin(x)), 0.0, 2.0, family="cancellation"),
    # -- cancellation at 0 --------------------------------------------------------------------------
    _L("sin_taylor5", "(sin(x) - x + x**3/6)/x**5", lambda x: (np.sin(x) - x + x**3 / 6) / x**5,
       0.0, 1 / 120, family="cancellation"),
    _L("exp_taylor3", "(exp(x) - 1 - x - x**2/2)/x**3",
       lambda x: (np.exp(x) - 1 - x - x**2 / 2) / x**3, 0.0, 1 / 6, family="cancellation"),
    _L("tan_minus_x", "(tan(x) - x)/x**3", lambda x: (np.tan(x) - x) / x**3, 0.0, 1 / 3,
       family="cancellation"),
    _L("log_taylor3", "(log(1 + x) - x + x**2/2)/x**3",
       lambda x: (np.log(1 + x) - x + x**2 / 2) / x**3, 0.0, 1 / 3, family="cancellation"),
    _L("sqrt_taylor2", "(sqrt(1 + x) - 1 - x/2)/x**2",
       lambda x: (np.sqrt(1 + x) - 1 - x / 2) / x**2, 0.0, -1 / 8, family="cancellation"),
    _L("cosh_taylor4", "(cosh(x) - 1 - x**2/2)/x**4",
       lambda x: (np.cosh(x) - 1 - x**2 / 2) / x**4, 0.0, 1 / 24, family="cancellation"),
    _L("compound_e_diff", "((1 + x)**(1/x) - E)/x", lambda x: ((1 + x)**(1 / x) - E) / x, 0.0,
       -E / 2, family="cancellation"),
    _L("sinc_taylor2", "(sin(x)/x - 1)/x**2", lambda x: (np.sin(x) / x - 1) / x**2, 0.0, -1 / 6,
       family="cancellation"),
    _L("tan_tan_sin_sin", "(tan(tan(x)) - sin(sin(x)))/(tan(x) - sin(x))",
       lambda x: (np.tan(np.tan(x)) - np.sin(np.sin(x))) / (np.tan(x) - np.sin(x)), 0.0, 2.0,
       family="cancellation"),
    _L("sin_tan_order7", "(sin(tan(x)) - tan(sin(x)))/x**7",
       lambda x: (np.sin(np.tan(x)) - np.tan(np.sin(x))) / x**7, 0.0, -1 / 30, family="cancellation"),
    _L("pow_diff", "(3**x - 2**x)/x", lambda x: (3.0**x - 2.0**x) / x, 0.0, math.log(1.5),
       family="cancellation"),
    _L("one_minus_cos_x2", "(1 - cos(x**2))/x**4", lambda x: (1 - np.cos(x**2)) / x**4, 0.0, 0.5,
       family="cancellation"),
    # -- cancellation at infinity --------------------------------------------------------------------
    _L("sqrt_diff_times_x", "x*(sqrt(x**2 + 1) - x)", lambda x: x * (np.sqrt(x**2 + 1) - x), inf,
       0.5, family="cancellation"),
    _L("x2_one_minus_cos", "x**2*(1 - cos(1/x))", lambda x: x**2 * (1 - np.cos(1 / x)), inf, 0.5,
       family="cancellation"),
    _L("log_diff_times_x", "x*(log(x + 1) - log(x))", lambda x: x * (np.log(x + 1) - np.log(x)),
       inf, 1.0, family="cancellation"),
    _L("sin_taylor_inf", "x**3*(sin(1/x) - 1/x)", lambda x: x**3 * (np.sin(1 / x) - 1 / x), inf,
       -1 / 6, family="cancellation"),
    _L("cbrt_diff", "(x + 1)**(1/3) - x**(1/3)", lambda x: np.cbrt(x + 1) - np.cbrt(x), inf, 0.0,
       family="cancellation"),
    # -- overflow / underflow cutting the samples short ----------------------------------------------
    _L("exp_ratio", "exp(x)/exp(x + 1)", lambda x: np.exp(x) / np.exp(x + 1), inf, 1 / E,
       family="overflow"),
    _L("log_exp_plus_1", "log(exp(x) + 1) - x", lambda x: np.log(np.exp(x) + 1) - x, inf, 0.0,
       family="overflow"),
    _L("exp_plus_x_over_exp", "(exp(x) + x)/exp(x)", lambda x: (np.exp(x) + x) / np.exp(x), inf,
       1.0, family="overflow"),
    _L("pow_sum_root", "(2**x + 3**x)**(1/x)", lambda x: (2.0**x + 3.0**x)**(1 / x), inf, 3.0,
       family="overflow"),
    _L("exp_x2_ratio", "exp(x**2)/exp(x**2 - 1)", lambda x: np.exp(x**2) / np.exp(x**2 - 1), inf,
       E, family="overflow"),
    _L("underflow_ratio", "exp(-x)/exp(-2*x)", lambda x: np.exp(-x) / np.exp(-2 * x), inf, inf,
       family="overflow"),
    _L("x_log_x_over_expm", "x*exp(-x)/exp(-x)", lambda x: x * np.exp(-x) / np.exp(-x), inf, inf,
       family="overflow"),
    # -- trends that settle late ------------------------------------------------------------------------
    _L("x50_exp", "x**50*exp(-x)", lambda x: x**50 * np.exp(-x), inf, 0.0, family="late"),
    _L("x10_over_pow", "x**10/1.01**x", lambda x: x**10 / 1.01**x, inf, 0.0, family="late"),
    _L("exp_sqrt_over_x10", "exp(sqrt(x))/x**10", lambda x: np.exp(np.sqrt(x)) / x**10, inf, inf,
       family="late"),
    _L("x_pow_inv_log", "x**(1/log(x))", lambda x: x**(1 / np.log(x)), inf, E, family="late"),
    _L("flat_over_x2", "exp(-1/x)/x**2", lambda x: np.exp(-1 / x) / x**2, 0.0, 0.0, dir="+",
       family="late"),
    _L("x2_exp_inv_x", "x**2*exp(1/x)", lambda x: x**2 * np.exp(1 / x), 0.0, inf, dir="+",
       family="late"),
    _L("exp_sin_inf", "exp(x)*sin(x)", lambda x: np.exp(x) * np.sin(x), inf, None,
       family="oscillation"),
    _L("log_pow100_over_x", "log(x)**100/x", lambda x: np.log(x)**100 / x, inf, 0.0, family="late"),
]
