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

__all__ = ["Estimate", "LimitResult", "ContinuityResult", "CONTINUITY_KINDS",
           "ROUNDING_RTOL", "rounding", "format_number", "agree", "agreement", "combine_sides", "limit_verdict"]

#: The kinds of point a continuity check reports, from best to worst.
CONTINUITY_KINDS = ("continuous", "removable", "jump", "oscillating", "infinite")


def format_number(x: Any, digits: int | None = None, *, none: str = "-",
                  brackets: str = "[]") -> str:
    """Format a number, or an array of numbers, for a person to read.

    The one number formatter of dfdx: the result reprs, the `dfdx` command, the
    tour and the plots all print their numbers with it.

    Args:
        x: a number, an array (any shape; printed nested) or None.
        digits: None for every digit (the float's ``repr``, which reads back as
            the same float; ``inf``, ``nan``); a number for a short form: a
            whole number below 1e15 without a point, others to `digits`
            significant digits, ``∞`` / ``-∞``.
        none: the text for None.
        brackets: the two characters around an array (``"()"`` for a tuple).

    Examples:
        >>> format_number(0.1), format_number(2.0), format_number(2.0, 4)
        ('0.1', '2.0', '2')
        >>> format_number(np.pi, 4), format_number(float("inf"), 4), format_number(None)
        ('3.142', '∞', '-')
        >>> format_number(np.eye(2)), format_number([0.5, 3.0], 6, brackets="()")
        ('[[1.0, 0.0], [0.0, 1.0]]', '(0.5, 3)')
    """
    if x is None:
        return none
    if not isinstance(x, (int, float, np.number)) and np.ndim(x):
        inner = ", ".join(format_number(v, digits, none=none, brackets=brackets)
                          for v in np.asarray(x, dtype=float))
        return f"{brackets[0]}{inner}{brackets[1]}"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if digits is None:
        return repr(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    # why: below 1e15 (< 2**53) a float that is a whole number is that integer exactly.
    if v == round(v) and abs(v) < 1e15:
        return str(int(round(v)))
    return f"{v:.{digits}g}"


def _fmt(x: Any) -> str:
    """A value in a result's repr: every digit (`format_number`); exact values as SymPy prints."""
    if isinstance(x, (float, np.floating, np.ndarray)):
        return format_number(x, none="None")
    return "None" if x is None else str(x)


def _latex(x: Any) -> str:
    if x is None:
        return r"\text{none}"
    try:
        import sympy

        return sympy.latex(x)
    except Exception:  # pragma: no cover - sympy is a runtime dependency
        return str(x)


def _mathml(x: Any) -> str:
    """Presentation MathML of a number, an exact SymPy value or an array (for Jupyter)."""
    import html

    if x is None:
        return "<mtext>none</mtext>"
    if isinstance(x, (bool, np.bool_)):
        return f"<mtext>{x}</mtext>"
    if isinstance(x, (int, float, np.integer, np.floating)):
        v = float(x)
        if math.isinf(v):
            return ("<mo>-</mo>" if v < 0 else "") + "<mi>&#x221E;</mi>"
        return f"<mn>{html.escape(f'{v:.12g}')}</mn>"
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return _mathml(x[()])
        rows = x.reshape(-1, 1) if x.ndim == 1 else x.reshape(x.shape[0], -1)
        body = "".join("<mtr>" + "".join(f"<mtd>{_mathml(v)}</mtd>" for v in r) + "</mtr>"
                       for r in rows)
        return f"<mrow><mo>[</mo><mtable>{body}</mtable><mo>]</mo></mrow>"
    try:
        import sympy

        out = sympy.mathml(sympy.sympify(x), printer="presentation")
        return out
    except Exception:
        return f"<mtext>{html.escape(str(x))}</mtext>"


def _math_html(mathml: str, note: str = "") -> str:
    """Wrap MathML for Jupyter's HTML view, with a plain-text note after it."""
    import html

    tail = f" <span>{html.escape(note)}</span>" if note else ""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">{mathml}</math>{tail}'


# -- one answer contract: when do two answers agree? -------------------------------------------

#: Relative rounding allowed between two float evaluations of the same quantity at one
#: magnitude. why: AD and a compiled expression evaluate the same value through different
#: sequences of float operations (and at the float nearest an exact point), so they differ
#: by a few thousand ulps on ill-conditioned expressions; 1e-9 ≈ 4.5e6 ulps still sees any
#: wrong rule (those differ in the leading digits).
ROUNDING_RTOL = 1e-9


def rounding(*values, scale: float = 1.0):
    """Return the rounding allowed at the magnitude of `values` (elementwise).

    Args:
        *values: the numbers (or arrays) compared.
        scale: the magnitude below which rounding is absolute (default 1: a value
            of 1e-17 where the truth is 0 is rounding).

    Example:
        >>> from dfdx.result import rounding
        >>> float(rounding(2e20)), float(rounding(0.0))
        (200000000000.0, 1e-09)
    """
    mag = np.full(np.broadcast(*[np.asarray(v, dtype=float) for v in values]).shape,
                  float(scale))
    for v in values:
        a = np.abs(np.asarray(v, dtype=float))
        mag = np.fmax(mag, np.where(np.isfinite(a), a, 0.0))
    return ROUNDING_RTOL * mag


def _agree_one(a, b, ea, eb, scale):
    if math.isnan(a) or math.isnan(b) or math.isnan(ea) or math.isnan(eb):
        return None
    if math.isinf(a) or math.isinf(b):
        if a == b and ea == 0 and eb == 0:
            return True
        return None if ea > 0 or eb > 0 else False
    # why: an error bar wider than the magnitude of every value carries no digit: the
    # estimate neither confirms nor refutes the other value (it is "uncertain").
    big = max(abs(a), abs(b), scale)
    if math.isinf(ea) or math.isinf(eb) or ea > big or eb > big:
        return None
    return abs(a - b) <= ea + eb + ROUNDING_RTOL * big


def agree(a, b, error_a=0.0, error_b=0.0, *, scale: float = 1.0):
    """Decide whether two answers for the same quantity agree: the one policy of dfdx.

    Each value must lie within the other's stated error plus rounding at that
    magnitude (`rounding`): ``|a - b| <= error_a + error_b + ROUNDING_RTOL *
    max(|a|, |b|, scale)``. An answer whose error is infinite, NaN or larger
    than every magnitude involved cannot decide: the verdict is None
    (uncertain), never a false agreement. Equal infinities agree when both
    are exact.

    Args:
        a, b: the two values (numbers or arrays of one shape).
        error_a, error_b: their stated absolute errors (0 for exact or AD values).
        scale: the magnitude below which rounding is absolute.

    Returns:
        True, False, or None when the errors are too large to tell. For arrays:
        False if any element disagrees, else None if any is uncertain, else True.

    Example:
        >>> from dfdx.result import agree
        >>> agree(2e20, 2.0000000000000002e20), agree(1.0, 1.1, 0.2), agree(1.0, 1.1, 0.01)
        (True, True, False)
        >>> agree(2e20, -2.7e23, 0.0, 3.1e25) is None     # an error bar wider than the value
        True
    """
    a, b, ea, eb = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                         for v in (a, b, error_a, error_b)))
    verdicts = [_agree_one(float(x), float(y), float(ex), float(ey), float(scale))
                for x, y, ex, ey in zip(a.ravel(), b.ravel(), ea.ravel(), eb.ravel())]
    if any(v is False for v in verdicts):
        return False
    if any(v is None for v in verdicts):
        return None
    return True


def agreement(answers: dict, *, scale: float = 1.0) -> dict:
    """Compare several answers for one quantity pairwise with `agree`.

    Args:
        answers: ``{method: (value, error)}``; a method whose value is None is
            left out (it did not answer).

    Returns:
        ``{"agree": True/False/None, "pairs": {(m1, m2): verdict}}``: False if
        any pair disagrees, True if every pair agrees (and at least two methods
        answered), None otherwise (fewer than two answers, or an uncertain pair
        and no disagreement).

    Example:
        >>> from dfdx.result import agreement
        >>> agreement({"exact": (7.0, 0), "ad": (7.0, 0), "numeric": (7.0000001, 1e-6)})["agree"]
        True
    """
    names = [m for m, (v, _) in answers.items() if v is not None]
    pairs = {}
    for i, m in enumerate(names):
        for n in names[i + 1:]:
            (va, ea), (vb, eb) = answers[m], answers[n]
            pairs[(m, n)] = agree(va, vb, ea, eb, scale=scale)
    verdicts = list(pairs.values())
    if any(v is False for v in verdicts):
        overall = False
    elif verdicts and all(v is True for v in verdicts):
        overall = True
    elif True in (pairs.get(("exact", "ad")), pairs.get(("ad", "exact"))):
        # why: exact and AD agreeing settles the value; an uncertain numeric estimate
        # (error inf) neither confirms nor contradicts it.
        overall = True
    else:
        overall = None
    return {"agree": overall, "pairs": pairs}


def combine_sides(left, right, error_left=0.0, error_right=0.0, *, scale: float = 1.0):
    """Combine two one-sided answers into one verdict (limits and one-sided derivatives).

    Returns:
        ``(exists, value)``: ``(True, value)`` when the sides agree (by `agree`),
        ``(False, None)`` when they differ, ``(None, None)`` when a side is
        missing or too uncertain to tell.

    Example:
        >>> from dfdx.result import combine_sides
        >>> combine_sides(-1.0, 1.0), combine_sides(0.5, 0.5), combine_sides(None, 1.0)
        ((False, None), (True, 0.5), (None, None))
    """
    if left is None or right is None:
        return None, None
    verdict = agree(left, right, error_left, error_right, scale=scale)
    if verdict:
        return True, right
    return verdict, None


def limit_verdict(left_kind: str, right_kind: str, same) -> tuple[str, bool | None]:
    """The two-sided verdict on a limit from what each one-sided limit is: one rule for both routes.

    Each side is one of ``"converged"``, ``"infinite"``, ``"oscillating"``,
    ``"undefined"`` (f is not defined on that side) or ``"uncertain"``. The order of
    the rules: a side where f is undefined leaves the other as the limit (within
    f's domain); an oscillating side means no limit; an uncertain side, no verdict;
    otherwise the limit exists when the two values are the same.

    Args:
        left_kind, right_kind: the kinds of the one-sided limits.
        same: a callable, called only when both sides have a value (converged or
            infinite), that says whether the two values are the same (each route
            compares in its own arithmetic: exactly, or within the errors).

    Returns:
        ``(kind, exists)``: ``("left" | "right", None)`` when only that side is
        defined (the caller answers with that side; ``("undefined", None)`` when
        neither is), ``("oscillating", False)``, ``("uncertain", None)``,
        ``("converged" | "infinite", True)`` when the sides agree, and
        ``("infinite" | "jump", False)`` when they differ.

    Example:
        >>> from dfdx.result import limit_verdict
        >>> limit_verdict("converged", "converged", lambda: False)
        ('jump', False)
        >>> limit_verdict("undefined", "infinite", lambda: True)
        ('right', None)
    """
    kinds = {left_kind, right_kind}
    if "undefined" in kinds:
        if kinds == {"undefined"}:
            return "undefined", None
        return ("right" if left_kind == "undefined" else "left"), None
    if "oscillating" in kinds:
        return "oscillating", False
    if "uncertain" in kinds:
        return "uncertain", None
    if same():
        return ("infinite" if "infinite" in kinds else "converged"), True
    return ("infinite" if "infinite" in kinds else "jump"), False


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
        # why: Jupyter shows text/html before text/latex; a formatted value, not the repr.
        return _math_html(f"{_mathml(np.asarray(self.value, dtype=float))}<mo>&#xB1;</mo>"
                          f"{_mathml(np.max(np.asarray(self.error, dtype=float)))}",
                          f"({self.method}, {self.nfev} evaluations)")


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
        lim = "<munder><mo>lim</mo><mrow></mrow></munder>"
        if self.exists:
            v = self.exact if self.exact is not None else self.value
            return _math_html(f"{lim}<mo>=</mo>{_mathml(v)}", f"({self.method})")
        left = self.left_exact if self.left_exact is not None else self.left
        right = self.right_exact if self.right_exact is not None else self.right
        return _math_html(f"<msup>{lim}<mo>-</mo></msup><mo>=</mo>{_mathml(left)}<mo>,</mo>"
                          f"<msup>{lim}<mo>+</mo></msup><mo>=</mo>{_mathml(right)}",
                          f"the limit does not exist ({self.method})" if self.exists is False
                          else f"undecided ({self.method})")


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
        verdict = "continuous" if self.continuous else (
            "uncertain" if self.continuous is None else f"{self.kind} discontinuity")
        return _math_html(f"<mtext>{verdict}</mtext>", f"({self.method})")


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
        if np.ndim(self.left) != 0:
            import html

            return f"<code>{html.escape(repr(self))}</code>"
        sides = (f"<msub><mi>f'</mi><mo>-</mo></msub><mo>=</mo>{_mathml(self.left)}<mo>,</mo>"
                 f"<msub><mi>f'</mi><mo>+</mo></msub><mo>=</mo>{_mathml(self.right)}")
        verdict = "differentiable" if self.differentiable else "not differentiable"
        return _math_html(sides, f"({verdict})")


def _latex_number(x: Any) -> str:
    if x is None:
        return r"\text{none}"
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    return f"{x:.12g}"
