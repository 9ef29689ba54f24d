"""More limit and continuity cases, in the format of `tests.cases`, for what the shared list lacks.

They exercise what SymPy's own `limit` gets wrong or cannot see alone — Piecewise
(``where``), ``Heaviside``, ``ceiling``, ``Min``/``Max``, points at the edge of the
domain — plus a few more textbook limits. Each case holds the math text (for the
safe parser) and the equivalent plain-NumPy callable (for tracing and for the
numeric route), so both routes run them. Expected values are the textbook answers.
"""

from __future__ import annotations

import math

import numpy as np

from tests.cases import ContinuityCase, LimitCase

__all__ = ["EXTRA_LIMIT_CASES", "EXTRA_CONTINUITY_CASES"]

inf = math.inf


def _L(name, expr, f, at, dir, value, exists, kind, at_expr=None, left=None, right=None):
    return LimitCase(name, expr, f, at, dir, value, exists, kind, at_expr, left, right)


def _C(name, expr, f, at, continuous, kind, at_expr=None):
    return ContinuityCase(name, expr, f, at, continuous, kind, at_expr)


EXTRA_LIMIT_CASES: list[LimitCase] = [
    # -- Piecewise, Heaviside, ceiling, Min/Max: one side at a time ------------------------------
    _L("where_jump", "where(x < 1, x**2, 2*x)", lambda x: np.where(x < 1, x**2, 2 * x), 1.0,
       "+-", None, False, "jump", left=1.0, right=2.0),
    _L("where_jump_left", "where(x < 1, x**2, 2*x)", lambda x: np.where(x < 1, x**2, 2 * x), 1.0,
       "-", 1.0, True, "jump"),
    _L("where_glued", "where(x < 1, x**2, 2*x - 1)", lambda x: np.where(x < 1, x**2, 2 * x - 1),
       1.0, "+-", 1.0, True, "continuous"),
    _L("heaviside_at_0", "Heaviside(x)", lambda x: np.heaviside(x, 0.5), 0.0, "+-", None, False,
       "jump", left=0.0, right=1.0),
    _L("heaviside_right", "Heaviside(x)", lambda x: np.heaviside(x, 0.5), 0.0, "+", 1.0, True,
       "jump"),
    _L("ceiling_at_2", "ceiling(x)", lambda x: np.ceil(x), 2.0, "+-", None, False, "jump",
       left=2.0, right=3.0),
    _L("relu_at_0", "relu(x)", lambda x: np.maximum(x, 0), 0.0, "+-", 0.0, True, "continuous"),
    _L("min_at_1", "Min(x, 1)", lambda x: np.minimum(x, 1), 1.0, "+-", 1.0, True, "continuous"),
    _L("x_sign_x", "x*sign(x)", lambda x: x * np.sign(x), 0.0, "+-", 0.0, True, "continuous"),
    _L("abs_sin_over_x", "abs(sin(x))/x", lambda x: np.abs(np.sin(x)) / x, 0.0, "+-", None,
       False, "jump", left=-1.0, right=1.0),
    # -- edges of the domain: the limit within f's domain ----------------------------------------
    _L("sqrt_at_0", "sqrt(x)", lambda x: np.sqrt(x), 0.0, "+-", 0.0, True, "domain-edge"),
    _L("log_at_0_two_sided", "log(x)", lambda x: np.log(x), 0.0, "+-", -inf, True, "domain-edge"),
    # -- deep-learning functions at infinity --------------------------------------------------
    _L("sigmoid_inf", "sigmoid(x)", lambda x: 1 / (1 + np.exp(-x)), inf, "+-", 1.0, True,
       "at-infinity"),
    _L("sigmoid_minus_inf", "sigmoid(x)", lambda x: 1 / (1 + np.exp(-x)), -inf, "+-", 0.0, True,
       "at-infinity"),
    _L("softplus_minus_x", "softplus(x) - x", lambda x: np.logaddexp(0, x) - x, inf, "+-", 0.0,
       True, "inf-inf"),
    _L("gauss_tail", "x*exp(-x**2)", lambda x: x * np.exp(-x**2), -inf, "+-", 0.0, True,
       "at-infinity"),
    _L("exp_over_x3", "exp(x)/x**3", lambda x: np.exp(x) / x**3, inf, "+-", inf, True,
       "infinite"),
    _L("floor_over_x_inf", "floor(x)/x", lambda x: np.floor(x) / x, inf, "+-", 1.0, True,
       "at-infinity"),
    # -- more textbook limits ----------------------------------------------------------------
    _L("x2_sin_inv_x", "x**2*sin(1/x)", lambda x: x**2 * np.sin(1 / x), 0.0, "+-", 0.0, True,
       "removable"),
    _L("flat_exp", "exp(-1/x**2)", lambda x: np.exp(-1 / x**2), 0.0, "+-", 0.0, True,
       "removable"),
    _L("x2m4_over_xp2", "(x**2 - 4)/(x + 2)", lambda x: (x**2 - 4) / (x + 2), -2.0, "+-", -4.0,
       True, "removable"),
    _L("cos_over_x", "cos(x)/x", lambda x: np.cos(x) / x, 0.0, "+-", None, False, "infinite",
       left=-inf, right=inf),
    _L("sin_x2_over_x", "sin(x**2)/x", lambda x: np.sin(x**2) / x, 0.0, "+-", 0.0, True, "0/0"),
    _L("where_osc_left", "where(x > 0, sin(1/x), 0)", lambda x: np.where(x > 0, np.sin(1 / x), 0),
       0.0, "-", 0.0, True, "one-sided"),
    _L("sec_at_pi2", "1/cos(x)", lambda x: 1 / np.cos(x), math.pi / 2, "+-", None, False,
       "infinite", at_expr="pi/2", left=inf, right=-inf),
]

EXTRA_CONTINUITY_CASES: list[ContinuityCase] = [
    _C("where_jump", "where(x < 1, x**2, 2*x)", lambda x: np.where(x < 1, x**2, 2 * x), 1.0,
       False, "jump"),
    _C("where_glued", "where(x < 1, x**2, 2*x - 1)", lambda x: np.where(x < 1, x**2, 2 * x - 1),
       1.0, True, "continuous"),
    _C("sinc_defined", "where(x == 0, 1, sin(x)/x)",
       lambda x: np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1.0, x)), 0.0, True,
       "continuous"),
    _C("sinc_misdefined", "where(x == 0, 2, sin(x)/x)",
       lambda x: np.where(x == 0, 2.0, np.sin(x) / np.where(x == 0, 1.0, x)), 0.0, False,
       "removable"),
    _C("heaviside_at_0", "Heaviside(x)", lambda x: np.heaviside(x, 0.5), 0.0, False, "jump"),
    _C("ceiling_at_2", "ceiling(x)", lambda x: np.ceil(x), 2.0, False, "jump"),
    _C("relu_at_0", "relu(x)", lambda x: np.maximum(x, 0), 0.0, True, "continuous"),
    _C("min_at_1", "Min(x, 1)", lambda x: np.minimum(x, 1), 1.0, True, "continuous"),
    _C("sqrt_at_0", "sqrt(x)", lambda x: np.sqrt(x), 0.0, True, "continuous"),
    _C("x2_sin_inv_x", "x**2*sin(1/x)", lambda x: x**2 * np.sin(1 / x), 0.0, False, "removable"),
    _C("flat_exp", "exp(-1/x**2)", lambda x: np.exp(-1 / x**2), 0.0, False, "removable"),
    _C("cos_over_x", "cos(x)/x", lambda x: np.cos(x) / x, 0.0, False, "infinite"),
    _C("abs_sin_over_x", "abs(sin(x))/x", lambda x: np.abs(np.sin(x)) / x, 0.0, False, "jump"),
    _C("x_sign_x", "x*sign(x)", lambda x: x * np.sign(x), 0.0, True, "continuous"),
]
