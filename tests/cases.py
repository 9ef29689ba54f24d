"""Textbook limits and continuity cases shared by the numeric and the exact routes.

Each case holds the same function twice: as text in plain math syntax (what the
safe parser of `dfdx.symbolic` accepts: Python operators, ``sin cos tan exp log
sqrt abs sign floor asin acos atan sinh cosh tanh``, constants ``pi``, ``E``,
``oo``) and as a plain-NumPy callable of one scalar. Expected values come from
the textbook answer and were checked with SymPy / mpmath.

Conventions (DESIGN.md, "Public API contract"):

- `value` is the limit (float, ``inf``, ``-inf``), or None when it does not exist.
- `exists` is True for finite and for infinite limits (``value=±inf``), False when
  the one-sided values differ, the function oscillates, or it does not converge.
- `dir` is ``"+-"`` (two-sided), ``"+"`` (from above) or ``"-"`` (from below);
  at ``±inf`` it is ignored.
- `at_expr` (optional) is the exact form of `at` for the symbolic route when the
  float is only an approximation (``"pi/2"``).
- `left` / `right` (optional) are the one-sided limits where they are part of
  the answer (a jump or an infinite two-sided case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["LimitCase", "ContinuityCase", "LIMIT_CASES", "CONTINUITY_CASES"]

inf = math.inf


@dataclass(frozen=True)
class LimitCase:
    """One limit with its textbook answer."""

    name: str
    expr: str
    f: Callable
    at: float
    dir: str
    value: float | None
    exists: bool
    kind: str
    at_expr: str | None = None
    left: float | None = None
    right: float | None = None

    def __repr__(self) -> str:  # short ids in pytest output
        return f"LimitCase({self.name})"


@dataclass(frozen=True)
class ContinuityCase:
    """One point of one function with its textbook continuity verdict."""

    name: str
    expr: str
    f: Callable
    at: float
    continuous: bool
    kind: str
    at_expr: str | None = None

    def __repr__(self) -> str:
        return f"ContinuityCase({self.name})"


def _L(name, expr, f, at, dir, value, exists, kind, at_expr=None, left=None, right=None):
    return LimitCase(name, expr, f, at, dir, value, exists, kind, at_expr, left, right)


LIMIT_CASES: list[LimitCase] = [
    # -- 0/0 and removable singularities --------------------------------------------------
    _L("sinx_over_x", "sin(x)/x", lambda x: np.sin(x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("one_minus_cos_over_x2", "(1 - cos(x))/x**2", lambda x: (1 - np.cos(x)) / x**2,
       0.0, "+-", 0.5, True, "0/0"),
    _L("expm1_over_x", "(exp(x) - 1)/x", lambda x: (np.exp(x) - 1) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("log1p_over_x", "log(1 + x)/x", lambda x: np.log(1 + x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("tan_over_x", "tan(x)/x", lambda x: np.tan(x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("x2m1_over_xm1", "(x**2 - 1)/(x - 1)", lambda x: (x**2 - 1) / (x - 1), 1.0, "+-", 2.0,
       True, "removable"),
    _L("x3m8_over_xm2", "(x**3 - 8)/(x - 2)", lambda x: (x**3 - 8) / (x - 2), 2.0, "+-", 12.0,
       True, "removable"),
    _L("sqrt1px_m1_over_x", "(sqrt(1 + x) - 1)/x", lambda x: (np.sqrt(1 + x) - 1) / x, 0.0, "+-",
       0.5, True, "0/0"),
    _L("sqrtx_m2_over_xm4", "(sqrt(x) - 2)/(x - 4)", lambda x: (np.sqrt(x) - 2) / (x - 4), 4.0,
       "+-", 0.25, True, "0/0"),
    _L("asin_over_x", "asin(x)/x", lambda x: np.arcsin(x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("atan_over_x", "atan(x)/x", lambda x: np.arctan(x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("sinh_over_x", "sinh(x)/x", lambda x: np.sinh(x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("tanh_over_x", "tanh(x)/x", lambda x: np.tanh(x) / x, 0.0, "+-", 1.0, True, "0/0"),
    _L("x_minus_sin_over_x3", "(x - sin(x))/x**3", lambda x: (x - np.sin(x)) / x**3, 0.0, "+-",
       1 / 6, True, "0/0"),
    _L("expm1mx_over_x2", "(exp(x) - 1 - x)/x**2", lambda x: (np.exp(x) - 1 - x) / x**2, 0.0,
       "+-", 0.5, True, "0/0"),
    _L("sin3x_over_sin5x", "sin(3*x)/sin(5*x)", lambda x: np.sin(3 * x) / np.sin(5 * x), 0.0,
       "+-", 0.6, True, "0/0"),
    _L("pow2m1_over_x", "(2**x - 1)/x", lambda x: (2.0**x - 1) / x, 0.0, "+-", math.log(2), True,
       "0/0"),
    _L("cosm1_over_x", "(cos(x) - 1)/x", lambda x: (np.cos(x) - 1) / x, 0.0, "+-", 0.0, True, "0/0"),
    _L("x_over_sqrt1px_m1", "x/(sqrt(1 + x) - 1)", lambda x: x / (np.sqrt(1 + x) - 1), 0.0, "+-",
       2.0, True, "0/0"),
    _L("tan_minus_sin_over_x3", "(tan(x) - sin(x))/x**3", lambda x: (np.tan(x) - np.sin(x)) / x**3,
       0.0, "+-", 0.5, True, "0/0"),
    _L("x_sin_inv_x", "x*sin(1/x)", lambda x: x * np.sin(1 / x), 0.0, "+-", 0.0, True,
       "removable"),
    # -- continuous points (the seed's example first) -------------------------------------
    _L("seed_poly", "x**2 + 2*x + 1", lambda x: x**2 + 2 * x + 1, 0.0, "+-", 1.0, True,
       "continuous"),
    _L("exp_at_1", "exp(x)", lambda x: np.exp(x), 1.0, "+-", math.e, True, "continuous"),
    _L("cos_at_pi", "cos(x)", lambda x: np.cos(x), math.pi, "+-", -1.0, True, "continuous",
       at_expr="pi"),
    _L("sqrt_at_4", "sqrt(x)", lambda x: np.sqrt(x), 4.0, "+-", 2.0, True, "continuous"),
    # -- infinite limits -------------------------------------------------------------------
    _L("inv_x2", "1/x**2", lambda x: 1 / x**2, 0.0, "+-", inf, True, "infinite"),
    _L("neg_inv_x2", "-1/x**2", lambda x: -1 / x**2, 0.0, "+-", -inf, True, "infinite"),
    _L("inv_x_right", "1/x", lambda x: 1 / x, 0.0, "+", inf, True, "infinite"),
    _L("inv_x_left", "1/x", lambda x: 1 / x, 0.0, "-", -inf, True, "infinite"),
    _L("log_at_0", "log(x)", lambda x: np.log(x), 0.0, "+", -inf, True, "infinite"),
    _L("inv_abs", "1/abs(x)", lambda x: 1 / np.abs(x), 0.0, "+-", inf, True, "infinite"),
    _L("exp_inv_x_right", "exp(1/x)", lambda x: np.exp(1 / x), 0.0, "+", inf, True, "infinite"),
    _L("exp_inv_x_left", "exp(1/x)", lambda x: np.exp(1 / x), 0.0, "-", 0.0, True, "0*inf"),
    _L("tan_at_pi2_left", "tan(x)", lambda x: np.tan(x), math.pi / 2, "-", inf, True, "infinite",
       at_expr="pi/2"),
    _L("cot_at_0_right", "cos(x)/sin(x)", lambda x: np.cos(x) / np.sin(x), 0.0, "+", inf, True,
       "infinite"),
    _L("inv_sqrt", "1/sqrt(x)", lambda x: 1 / np.sqrt(x), 0.0, "+", inf, True, "infinite"),
    # -- limits that do not exist (two-sided) ----------------------------------------------
    _L("inv_x", "1/x", lambda x: 1 / x, 0.0, "+-", None, False, "infinite", left=-inf, right=inf),
    _L("inv_xm2", "1/(x - 2)", lambda x: 1 / (x - 2), 2.0, "+-", None, False, "infinite",
       left=-inf, right=inf),
    _L("abs_over_x", "abs(x)/x", lambda x: np.abs(x) / x, 0.0, "+-", None, False, "jump",
       left=-1.0, right=1.0),
    _L("sign_at_0", "sign(x)", lambda x: np.sign(x), 0.0, "+-", None, False, "jump", left=-1.0,
       right=1.0),
    _L("floor_at_1", "floor(x)", lambda x: np.floor(x), 1.0, "+-", None, False, "jump", left=0.0,
       right=1.0),
    _L("frac_at_2", "x - floor(x)", lambda x: x - np.floor(x), 2.0, "+-", None, False, "jump",
       left=1.0, right=0.0),
    _L("atan_inv_x", "atan(1/x)", lambda x: np.arctan(1 / x), 0.0, "+-", None, False, "jump",
       left=-math.pi / 2, right=math.pi / 2),
    _L("logistic_inv_x", "1/(1 + exp(1/x))", lambda x: 1 / (1 + np.exp(1 / x)), 0.0, "+-", None,
       False, "jump", left=1.0, right=0.0),
    _L("quot_abs_at_1", "(x**2 - 1)/abs(x - 1)", lambda x: (x**2 - 1) / np.abs(x - 1), 1.0, "+-",
       None, False, "jump", left=-2.0, right=2.0),
    _L("exp_inv_x", "exp(1/x)", lambda x: np.exp(1 / x), 0.0, "+-", None, False, "infinite",
       left=0.0, right=inf),
    _L("tan_at_pi2", "tan(x)", lambda x: np.tan(x), math.pi / 2, "+-", None, False, "infinite",
       at_expr="pi/2", left=inf, right=-inf),
    _L("sin_inv_x", "sin(1/x)", lambda x: np.sin(1 / x), 0.0, "+-", None, False, "oscillating"),
    _L("cos_inv_x", "cos(1/x)", lambda x: np.cos(1 / x), 0.0, "+-", None, False, "oscillating"),
    _L("sin_inv_x_over_x", "sin(1/x)/x", lambda x: np.sin(1 / x) / x, 0.0, "+-", None, False,
       "oscillating"),
    _L("sin_inv_x_right", "sin(1/x)", lambda x: np.sin(1 / x), 0.0, "+", None, False,
       "oscillating"),
    _L("sin_at_inf", "sin(x)", lambda x: np.sin(x), inf, "+-", None, False, "oscillating"),
    _L("cos_at_inf", "cos(x)", lambda x: np.cos(x), inf, "+-", None, False, "oscillating"),
    _L("x_sin_at_inf", "x*sin(x)", lambda x: x * np.sin(x), inf, "+-", None, False, "oscillating"),
    # -- one-sided limits at a jump --------------------------------------------------------
    _L("floor_at_1_left", "floor(x)", lambda x: np.floor(x), 1.0, "-", 0.0, True, "jump"),
    _L("floor_at_1_right", "floor(x)", lambda x: np.floor(x), 1.0, "+", 1.0, True, "jump"),
    _L("sign_at_0_right", "sign(x)", lambda x: np.sign(x), 0.0, "+", 1.0, True, "jump"),
    _L("abs_over_x_left", "abs(x)/x", lambda x: np.abs(x) / x, 0.0, "-", -1.0, True, "jump"),
    # -- at infinity -----------------------------------------------------------------------
    _L("compound_interest", "(1 + 1/x)**x", lambda x: (1 + 1 / x)**x, inf, "+-", math.e, True,
       "1^inf"),
    _L("compound_2", "(1 + 2/x)**x", lambda x: (1 + 2 / x)**x, inf, "+-", math.e**2, True, "1^inf"),
    _L("compound_minus", "(1 - 1/x)**x", lambda x: (1 - 1 / x)**x, inf, "+-", 1 / math.e, True,
       "1^inf"),
    _L("x_root_x", "x**(1/x)", lambda x: x**(1 / x), inf, "+-", 1.0, True, "logarithmic"),
    _L("logx_over_x", "log(x)/x", lambda x: np.log(x) / x, inf, "+-", 0.0, True, "logarithmic"),
    _L("rational_inf", "(3*x**2 + x)/(2*x**2 - 1)", lambda x: (3 * x**2 + x) / (2 * x**2 - 1), inf,
       "+-", 1.5, True, "inf/inf"),
    _L("x_over_exp", "x/exp(x)", lambda x: x / np.exp(x), inf, "+-", 0.0, True, "inf/inf"),
    _L("sqrt_minus_x", "sqrt(x**2 + x) - x", lambda x: np.sqrt(x**2 + x) - x, inf, "+-", 0.5, True,
       "inf-inf"),
    _L("x_sin_inv_x_inf", "x*sin(1/x)", lambda x: x * np.sin(1 / x), inf, "+-", 1.0, True, "0*inf"),
    _L("x_expm1_inv_x", "x*(exp(1/x) - 1)", lambda x: x * (np.exp(1 / x) - 1), inf, "+-", 1.0, True,
       "0*inf"),
    _L("exp_minus_x", "exp(-x)", lambda x: np.exp(-x), inf, "+-", 0.0, True, "at-infinity"),
    _L("atan_inf", "atan(x)", lambda x: np.arctan(x), inf, "+-", math.pi / 2, True, "at-infinity"),
    _L("atan_minus_inf", "atan(x)", lambda x: np.arctan(x), -inf, "+-", -math.pi / 2, True,
       "at-infinity"),
    _L("x2_inf", "x**2", lambda x: x**2, inf, "+-", inf, True, "infinite"),
    _L("exp_minus_inf", "exp(x)", lambda x: np.exp(x), -inf, "+-", 0.0, True, "at-infinity"),
    _L("rational_minus_inf", "(2*x + 1)/(x - 3)", lambda x: (2 * x + 1) / (x - 3), -inf, "+-", 2.0,
       True, "inf/inf"),
    _L("log_inf", "log(x)", lambda x: np.log(x), inf, "+-", inf, True, "logarithmic"),
    _L("tanh_inf", "tanh(x)", lambda x: np.tanh(x), inf, "+-", 1.0, True, "at-infinity"),
    _L("x_over_sqrt_minus_inf", "x/sqrt(x**2 + 1)", lambda x: x / np.sqrt(x**2 + 1), -inf, "+-",
       -1.0, True, "at-infinity"),
    _L("sinx_over_x_inf", "sin(x)/x", lambda x: np.sin(x) / x, inf, "+-", 0.0, True,
       "at-infinity"),
    # -- slow (logarithmic) and indeterminate forms at 0+ ----------------------------------
    _L("x_log_x", "x*log(x)", lambda x: x * np.log(x), 0.0, "+", 0.0, True, "0*inf"),
    _L("x_pow_x", "x**x", lambda x: x**x, 0.0, "+", 1.0, True, "0^0"),
    _L("sqrt_x_log_x", "sqrt(x)*log(x)", lambda x: np.sqrt(x) * np.log(x), 0.0, "+", 0.0, True,
       "0*inf"),
    _L("x_log2_x", "x*log(x)**2", lambda x: x * np.log(x)**2, 0.0, "+", 0.0, True, "logarithmic"),
    _L("log_x_log_1mx", "log(x)*log(1 - x)", lambda x: np.log(x) * np.log(1 - x), 0.0, "+", 0.0,
       True, "0*inf"),
    _L("one_over_log", "1/log(x)", lambda x: 1 / np.log(x), 0.0, "+", 0.0, True, "logarithmic"),
    _L("one_plus_x_pow_inv_x", "(1 + x)**(1/x)", lambda x: (1 + x)**(1 / x), 0.0, "+-", math.e,
       True, "1^inf"),
    _L("cos_pow_inv_x2", "cos(x)**(1/x**2)", lambda x: np.cos(x)**(1 / x**2), 0.0, "+-",
       math.exp(-0.5), True, "1^inf"),
    _L("inv_x_minus_inv_sin", "1/x - 1/sin(x)", lambda x: 1 / x - 1 / np.sin(x), 0.0, "+-", 0.0,
       True, "inf-inf"),
    _L("inv_x_minus_inv_expm1", "1/x - 1/(exp(x) - 1)", lambda x: 1 / x - 1 / (np.exp(x) - 1), 0.0,
       "+-", 0.5, True, "inf-inf"),
]


def _C(name, expr, f, at, continuous, kind, at_expr=None):
    return ContinuityCase(name, expr, f, at, continuous, kind, at_expr)


CONTINUITY_CASES: list[ContinuityCase] = [
    # -- continuous ------------------------------------------------------------------------
    _C("seed_poly_at_1", "x**2 + 2*x + 1", lambda x: x**2 + 2 * x + 1, 1.0, True, "continuous"),
    _C("x2_at_1", "x**2", lambda x: x**2, 1.0, True, "continuous"),
    _C("sin_at_0", "sin(x)", lambda x: np.sin(x), 0.0, True, "continuous"),
    _C("exp_at_0", "exp(x)", lambda x: np.exp(x), 0.0, True, "continuous"),
    _C("abs_at_0", "abs(x)", lambda x: np.abs(x), 0.0, True, "continuous"),
    _C("sqrt_at_4", "sqrt(x)", lambda x: np.sqrt(x), 4.0, True, "continuous"),
    _C("cos_at_pi", "cos(x)", lambda x: np.cos(x), math.pi, True, "continuous", at_expr="pi"),
    _C("cubic_at_2", "x**3 - 2*x", lambda x: x**3 - 2 * x, 2.0, True, "continuous"),
    _C("tanh_at_0", "tanh(x)", lambda x: np.tanh(x), 0.0, True, "continuous"),
    _C("log_at_1", "log(x)", lambda x: np.log(x), 1.0, True, "continuous"),
    _C("floor_at_half", "floor(x)", lambda x: np.floor(x), 0.5, True, "continuous"),
    _C("sign_at_2", "sign(x)", lambda x: np.sign(x), 2.0, True, "continuous"),
    _C("inv_x_at_1", "1/x", lambda x: 1 / x, 1.0, True, "continuous"),
    # -- removable -------------------------------------------------------------------------
    _C("sinx_over_x", "sin(x)/x", lambda x: np.sin(x) / x, 0.0, False, "removable"),
    _C("x2m1_over_xm1", "(x**2 - 1)/(x - 1)", lambda x: (x**2 - 1) / (x - 1), 1.0, False,
       "removable"),
    _C("one_minus_cos_over_x2", "(1 - cos(x))/x**2", lambda x: (1 - np.cos(x)) / x**2, 0.0, False,
       "removable"),
    _C("expm1_over_x", "(exp(x) - 1)/x", lambda x: (np.exp(x) - 1) / x, 0.0, False, "removable"),
    _C("x_sin_inv_x", "x*sin(1/x)", lambda x: x * np.sin(1 / x), 0.0, False, "removable"),
    _C("x3m8_over_xm2", "(x**3 - 8)/(x - 2)", lambda x: (x**3 - 8) / (x - 2), 2.0, False,
       "removable"),
    _C("tan_over_x", "tan(x)/x", lambda x: np.tan(x) / x, 0.0, False, "removable"),
    _C("x_log_abs_x", "x*log(abs(x))", lambda x: x * np.log(np.abs(x)), 0.0, False, "removable"),
    _C("floor_plus_floor_neg", "floor(x) + floor(-x)", lambda x: np.floor(x) + np.floor(-x), 0.0,
       False, "removable"),
    _C("sign_squared", "sign(x)**2", lambda x: np.sign(x)**2, 0.0, False, "removable"),
    # -- jump ------------------------------------------------------------------------------
    _C("abs_over_x", "abs(x)/x", lambda x: np.abs(x) / x, 0.0, False, "jump"),
    _C("sign_at_0", "sign(x)", lambda x: np.sign(x), 0.0, False, "jump"),
    _C("floor_at_1", "floor(x)", lambda x: np.floor(x), 1.0, False, "jump"),
    _C("floor_at_0", "floor(x)", lambda x: np.floor(x), 0.0, False, "jump"),
    _C("frac_at_3", "x - floor(x)", lambda x: x - np.floor(x), 3.0, False, "jump"),
    _C("atan_inv_x", "atan(1/x)", lambda x: np.arctan(1 / x), 0.0, False, "jump"),
    _C("logistic_inv_x", "1/(1 + exp(1/x))", lambda x: 1 / (1 + np.exp(1 / x)), 0.0, False, "jump"),
    _C("abs_xm1_over_xm1", "abs(x - 1)/(x - 1)", lambda x: np.abs(x - 1) / (x - 1), 1.0, False,
       "jump"),
    # -- infinite --------------------------------------------------------------------------
    _C("inv_x", "1/x", lambda x: 1 / x, 0.0, False, "infinite"),
    _C("inv_x2", "1/x**2", lambda x: 1 / x**2, 0.0, False, "infinite"),
    _C("inv_xm1", "1/(x - 1)", lambda x: 1 / (x - 1), 1.0, False, "infinite"),
    _C("log_abs", "log(abs(x))", lambda x: np.log(np.abs(x)), 0.0, False, "infinite"),
    _C("tan_at_pi2", "tan(x)", lambda x: np.tan(x), math.pi / 2, False, "infinite",
       at_expr="pi/2"),
    # one side finite (0), the other infinite: the worse kind wins.
    _C("exp_inv_x", "exp(1/x)", lambda x: np.exp(1 / x), 0.0, False, "infinite"),
    # -- oscillating -----------------------------------------------------------------------
    _C("sin_inv_x", "sin(1/x)", lambda x: np.sin(1 / x), 0.0, False, "oscillating"),
    _C("cos_inv_x", "cos(1/x)", lambda x: np.cos(1 / x), 0.0, False, "oscillating"),
    # one side tends to 0, the other oscillates: the worse kind wins.
    _C("half_sin_inv_x", "sin(1/x)*(1 + sign(x))", lambda x: np.sin(1 / x) * (1 + np.sign(x)), 0.0,
       False, "oscillating"),
]
