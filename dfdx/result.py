"""Result types shared by the numeric and symbolic routes (and by `analysis`).

One return shape per function: numeric and symbolic calculus always return one
of these objects, never a bare number. Every result says how it was obtained
(`method`) and how far it can be trusted (`error`, 0 when exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Estimate", "LimitResult", "ContinuityResult", "CONTINUITY_KINDS"]

#: The kinds of point a continuity check reports, from best to worst.
CONTINUITY_KINDS = ("continuous", "removable", "jump", "oscillating", "infinite")


def _fmt(x: Any) -> str:
    if x is None:
        return "None"
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=8)
    return str(x)


def _latex(x: Any) -> str:
    if x is None:
        return r"\text{none}"
    try:
        import sympy

        return sympy.latex(x)
    except Exception:  # pragma: no cover - sympy is a runtime dependency
        return str(x)


@dataclass(frozen=True)
class Estimate:
    """A numeric value with an estimate of its error.

    Attributes:
        value: the estimate (float or array, shaped like the quantity asked for).
        error: an estimate of the absolute error, same shape as `value`.
        nfev: number of function evaluations used.
        method: how it was computed (e.g. ``"central"``, ``"forward"``, ``"complex-step"``).
        info: extra diagnostics (step chosen, extrapolation order, warnings).
    """

    value: Any
    error: Any
    nfev: int
    method: str = "central"
    info: dict = field(default_factory=dict)

    def __float__(self) -> float:
        return float(self.value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __repr__(self) -> str:
        return (f"Estimate(value={_fmt(self.value)}, error={_fmt(self.error)}, "
                f"nfev={self.nfev}, method={self.method!r})")

    def _repr_latex_(self) -> str:
        if np.ndim(self.value) == 0:
            return (f"${float(self.value):.12g} \\pm {float(self.error):.2g}$ "
                    f"({self.method}, {self.nfev} evaluations)")
        return None   # arrays: Jupyter falls back to the HTML view

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"


@dataclass(frozen=True)
class LimitResult:
    """The limit of a function at a point, with both one-sided values.

    Attributes:
        value: the limit as a float, ``inf``/``-inf`` for an infinite limit, or
            None when it does not exist (or is uncertain).
        exists: True, False (one-sided values differ, oscillation, no convergence)
            or None (the evidence is not enough to say).
        left: the limit from below (float, ±inf or None if it does not exist or
            was not computed).
        right: the limit from above (likewise).
        error: estimated absolute error of `value`; 0 when exact.
        method: ``"exact"`` (SymPy) or ``"numeric"``.
        exact: the SymPy value of the limit when the exact route found it.
        message: why: what was found, or why the answer is uncertain.
        nfev: function evaluations (numeric route).
    """

    value: Any
    exists: bool | None
    left: Any = None
    right: Any = None
    error: float = math.nan
    method: str = "numeric"
    exact: Any = None
    message: str = ""
    nfev: int = 0
    left_exact: Any = None
    right_exact: Any = None
    info: dict = field(default_factory=dict)

    def __float__(self) -> float:
        if self.value is None:
            raise ValueError(f"the limit does not exist ({self.message or 'no value'}); "
                             "look at .left and .right")
        return float(self.value)

    def __repr__(self) -> str:
        parts = [f"value={_fmt(self.exact if self.exact is not None else self.value)}",
                 f"exists={self.exists}", f"left={_fmt(self.left)}", f"right={_fmt(self.right)}",
                 f"error={_fmt(self.error)}", f"method={self.method!r}"]
        if self.message:
            parts.append(f"message={self.message!r}")
        return "LimitResult(" + ", ".join(parts) + ")"

    def _repr_latex_(self) -> str:
        if self.exists:
            v = self.exact if self.exact is not None else self.value
            return f"$\\lim = {_latex(v)}$ ({self.method})"
        return (f"$\\lim^- = {_latex(self.left_exact if self.left_exact is not None else self.left)},"
                f"\\ \\lim^+ = {_latex(self.right_exact if self.right_exact is not None else self.right)}$"
                f" — the limit does not exist ({self.method})")

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"


@dataclass(frozen=True)
class ContinuityResult:
    """Whether a function is continuous at a point, and if not, what kind of point it is.

    Attributes:
        continuous: True, False, or None when the evidence is not enough.
        kind: one of ``"continuous"``, ``"removable"``, ``"jump"``,
            ``"oscillating"``, ``"infinite"`` (`CONTINUITY_KINDS`), or
            ``"uncertain"`` when `continuous` is None.
        value: f(at), or None when f is undefined there.
        defined: whether f(at) is defined (finite).
        limit: the two-sided `LimitResult` the verdict was based on.
        method: ``"exact"`` or ``"numeric"``.
        message: a sentence that explains the verdict.
        info: extra diagnostics (which route answered and why).
    """

    continuous: bool | None
    kind: str
    value: Any = None
    defined: bool = True
    limit: LimitResult | None = None
    method: str = "numeric"
    message: str = ""
    info: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.continuous)

    def __repr__(self) -> str:
        return (f"ContinuityResult(continuous={self.continuous}, kind={self.kind!r}, "
                f"value={_fmt(self.value)}, method={self.method!r}"
                + (f", message={self.message!r}" if self.message else "") + ")")

    def _repr_latex_(self) -> str:
        verdict = r"\text{continuous}" if self.continuous else (
            r"\text{uncertain}" if self.continuous is None else rf"\text{{{self.kind} discontinuity}}")
        return f"${verdict}$ ({self.method})"

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"


__all__ += ["DifferentiabilityResult"]


@dataclass(frozen=True)
class DifferentiabilityResult:
    """Whether a function is differentiable at a point, with its one-sided derivatives.

    Returned by `dfdx.differentiable`; the one-sided derivatives are exact (AD
    with the directional rule at kinks). For an array point every field is an
    array, elementwise (``value`` then holds NaN where there is none).

    Attributes:
        differentiable: True where f is continuous and both one-sided derivatives
            are finite and equal.
        left: the derivative from the left (NaN where f is undefined left of x).
        right: the derivative from the right.
        value: the derivative where both sides agree, or the one side that exists
            at the edge of the domain, including ±inf (sqrt at 0: inf); None where
            there is none (a corner such as abs at 0, a jump).
        continuous: False at a jump (left and right are then the derivatives of
            the one-sided branches) or where f is undefined.
        kink: some branch of f (abs, max, a comparison, ...) was decided by the
            direction of approach at this point.
        message: a sentence that explains the verdict.
    """

    differentiable: Any
    left: Any
    right: Any
    value: Any = None
    continuous: Any = True
    kink: bool = False
    message: str = ""

    def __bool__(self) -> bool:
        return bool(np.all(self.differentiable))

    def __repr__(self) -> str:
        return (f"DifferentiabilityResult(differentiable={self.differentiable}, "
                f"left={_fmt(self.left)}, right={_fmt(self.right)}, value={_fmt(self.value)}"
                + ("" if np.all(self.continuous) else f", continuous={self.continuous}")
                + (f", message={self.message!r}" if self.message else "") + ")")

    def _repr_latex_(self) -> str:
        if np.ndim(self.left) != 0:
            return None   # arrays: Jupyter falls back to the HTML view
        sides = f"f'_-(x) = {_latex_number(self.left)},\\ f'_+(x) = {_latex_number(self.right)}"
        if self.differentiable:
            return f"$f'(x) = {_latex_number(self.value)}$ (differentiable; ${sides}$)"
        return f"$\\text{{not differentiable}}:\\ {sides}$"

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(repr(self))}</code>"


def _latex_number(x: Any) -> str:
    if x is None:
        return r"\text{none}"
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    return f"{x:.12g}"
