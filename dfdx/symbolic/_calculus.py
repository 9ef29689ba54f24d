"""Exact calculus on any input: derivatives, Taylor series, limits, continuity.

Every function here takes a plain NumPy callable (traced into SymPy), a SymPy
expression, or a string (read by the safe parser). Limits are two-sided by
default and are computed one side at a time: ``x = a + t`` and ``x = a - t``
with ``t > 0`` are substituted first, so that Piecewise conditions, ``sign``,
``floor`` and ``Heaviside`` resolve to the branch each side lives on, and only
then is ``sympy.limit`` asked about ``t → 0+``. A side on which the function
is not real (``sqrt(x)`` left of 0) is reported as outside the domain rather
than with SymPy's complex answer.
"""

from __future__ import annotations

import math
import time
from typing import Any, NamedTuple

import numpy as np
import sympy
from sympy.calculus.accumulationbounds import AccumBounds

from dfdx._errors import BudgetExceeded, DomainError
from dfdx.result import ContinuityResult, LimitResult, limit_verdict
from dfdx.symbolic._budget import run_with_budget, seconds
from dfdx.symbolic._parse import parse
from dfdx.symbolic._trace import exact_number, parameter_names, trace

__all__ = ["as_expr", "as_point", "diff", "gradient", "jacobian", "hessian", "taylor",
           "limit", "continuity", "discontinuities", "Discontinuity"]


# -- inputs ------------------------------------------------------------------------------------

def _sorted_symbols(expr):
    return tuple(sorted(getattr(expr, "free_symbols", ()), key=lambda s: s.name))


def as_expr(f, *names):
    """Return ``(expr, symbols)`` for a callable, a SymPy expression or a string.

    A callable is traced (`trace`) with `names` (default: its parameter
    names, or ``x`` when they cannot be read); the symbols are then in
    parameter order. For an expression or a string the symbols are its free
    symbols sorted by name.

    Example:
        >>> from dfdx.symbolic import as_expr
        >>> as_expr("x*y + 1")
        (x*y + 1, (x, y))
        >>> as_expr(lambda t: t**2)
        (t**2, (t,))
    """
    if isinstance(f, str):
        expr = parse(f)
        return expr, _sorted_symbols(expr)
    if isinstance(f, (sympy.Basic, sympy.MatrixBase)):
        return f, _sorted_symbols(f)
    if isinstance(f, (int, float, np.number)):
        return exact_number(f), ()
    if callable(f):
        if not names:
            names = parameter_names(f)
            if not names:
                names = ("x",)
        expr = trace(f, *names)
        syms = []
        for n in names:
            if isinstance(n, sympy.Symbol):
                syms.append(n)
            elif isinstance(n, str):
                syms.append(sympy.Symbol(n, real=True))
            else:
                name, shape = n
                size = int(np.prod((shape,) if isinstance(shape, int) else shape))
                syms.extend(sympy.symbols(f"{name}0:{size}", real=True))
        return expr, tuple(syms)
    raise TypeError(f"expected a callable, a SymPy expression or a string, got "
                    f"{type(f).__name__}")


def as_point(at):
    """Return the exact SymPy value of a point: a number, ±inf, a string or a SymPy value.

    Floats that are clearly constants become exact (``np.pi/2`` → ``pi/2``,
    ``math.e`` → ``E``, ``0.5`` → ``1/2``); ``float("inf")`` → ``oo``.

    Example:
        >>> import numpy as np
        >>> from dfdx.symbolic import as_point
        >>> as_point(np.pi / 2), as_point("oo"), as_point(-float("inf")), as_point(0.25)
        (pi/2, oo, -oo, 1/4)
    """
    if isinstance(at, str):
        p = parse(at)
    elif isinstance(at, sympy.Basic):
        p = at
    elif isinstance(at, (int, float, np.number, bool)):
        p = exact_number(at)
    else:
        raise TypeError(f"a point must be a number, ±inf, a string or a SymPy value, "
                        f"not {type(at).__name__}")
    if p.free_symbols:
        raise ValueError(f"the point {p} has free symbols {sorted(map(str, p.free_symbols))}; "
                         "a limit point must be a number such as 0, 'pi/2' or 'oo'")
    if p is sympy.nan or p is sympy.zoo:
        raise ValueError(f"{p} is not a point on the extended real line")
    return p


def _variable(expr, symbols, var):
    if var is not None:
        if isinstance(var, sympy.Symbol):
            return var
        for s in symbols:
            if s.name == var:
                return s
        for s in getattr(expr, "free_symbols", ()):
            if s.name == var:
                return s
        return sympy.Symbol(var, real=True)
    free = getattr(expr, "free_symbols", set())
    candidates = [s for s in symbols if s in free] or list(_sorted_symbols(expr))
    if len(candidates) > 1:
        raise ValueError(f"the function has several variables "
                         f"({', '.join(s.name for s in candidates)}); say which one with "
                         f"var='{candidates[0].name}'")
    if candidates:
        return candidates[0]
    return symbols[0] if symbols else sympy.Symbol("x", real=True)


def _scalar_only(expr, what):
    if isinstance(expr, (sympy.MatrixBase, sympy.NDimArray, tuple, list)):
        shape = getattr(expr, "shape", (len(expr),))
        raise TypeError(f"{what} needs a scalar function, but f returned shape {shape}; "
                        f"take the {what} of each component")


def _to_float(v):
    if v is None:
        return None
    if v is sympy.oo:
        return math.inf
    if v is sympy.S.NegativeInfinity:
        return -math.inf
    try:
        return float(v)
    except (TypeError, ValueError):
        try:
            return float(sympy.N(v, 17))
        except (TypeError, ValueError):
            return None


# -- derivatives -------------------------------------------------------------------------------

def diff(f, *wrt, n: int = 1):
    """Differentiate exactly: the n-th derivative with respect to each variable in turn.

    Args:
        f: a callable (traced), a SymPy expression or a string.
        *wrt: variables (names or symbols). Default: the only variable.
        n: order of differentiation in each listed variable.

    Returns:
        The SymPy expression of the derivative.

    Example:
        >>> from dfdx.symbolic import diff
        >>> diff("2*x**2 + 3*x + 1"), diff("2*x**2 + 3*x + 1", n=2)
        (4*x + 3, 4)
        >>> diff(lambda x, y: x**2 + 3*y, "y")
        3
    """
    expr, symbols = as_expr(f)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not wrt:
        wrt = (_variable(expr, symbols, None),)
    args = []
    for w in wrt:
        args += [_variable(expr, symbols, w), n]
    return sympy.diff(expr, *args) if n else expr


def _wrt(expr, symbols, wrt):
    if wrt is None:
        return list(symbols) or list(_sorted_symbols(expr))
    if isinstance(wrt, (str, sympy.Symbol)):
        wrt = [wrt]
    return [_variable(expr, symbols, w) for w in wrt]


def gradient(f, wrt=None):
    """Return the exact gradient as a SymPy column Matrix.

    Example:
        >>> import numpy as np
        >>> from dfdx.symbolic import gradient
        >>> gradient(lambda x, y: x**2 + 3*y + np.exp(x*y))
        Matrix([
        [2*x + y*exp(x*y)],
        [  x*exp(x*y) + 3]])
    """
    expr, symbols = as_expr(f)
    if isinstance(expr, sympy.MatrixBase):
        raise ValueError("gradient needs a scalar function; use jacobian for vector outputs")
    return sympy.Matrix([sympy.diff(expr, s) for s in _wrt(expr, symbols, wrt)])


def jacobian(f, wrt=None):
    """Return the exact Jacobian (rows: outputs, columns: variables) as a SymPy Matrix.

    `f` may also be a list of expressions or strings.

    Example:
        >>> from dfdx.symbolic import jacobian
        >>> jacobian(["x*y", "x + y"])
        Matrix([
        [y, x],
        [1, 1]])
    """
    if isinstance(f, (list, tuple)):
        parts = [as_expr(g)[0] for g in f]
        expr = sympy.Matrix(parts)
        symbols = _sorted_symbols(expr)
    else:
        expr, symbols = as_expr(f)
    if not isinstance(expr, sympy.MatrixBase):
        expr = sympy.Matrix([expr])
    return expr.reshape(len(expr), 1).jacobian(_wrt(expr, symbols, wrt))


def hessian(f, wrt=None):
    """Return the exact Hessian of a scalar function as a SymPy Matrix.

    Example:
        >>> from dfdx.symbolic import hessian
        >>> hessian("x**2*y + y**3")
        Matrix([
        [2*y,      2*x],
        [2*x, 6*y]])
    """
    expr, symbols = as_expr(f)
    return sympy.hessian(expr, _wrt(expr, symbols, wrt))


def taylor(f, at=0, order: int = 3, var=None):
    """Return the Taylor polynomial of `f` about `at`, up to ``(x - at)**order``.

    Example:
        >>> from dfdx.symbolic import taylor
        >>> taylor("exp(x)", 0, 3)
        x**3/6 + x**2/2 + x + 1
    """
    expr, symbols = as_expr(f)
    x = _variable(expr, symbols, var)
    p = as_point(at)
    return sympy.series(expr, x, p, order + 1).removeO()


# -- limits ------------------------------------------------------------------------------------

class _Side(NamedTuple):
    kind: str            # converged | infinite | oscillating | undefined | uncertain
    value: Any           # SymPy value (finite, ±oo, AccumBounds) or None
    note: str = ""


# why Floats: an exact 10**-12 makes SymPy expand (1 + t)**(1/t) into a huge rational.
_PROBES = tuple(sympy.Float(h, 30) for h in ("1e-6", "1e-9", "1e-12"))


def _real_near(g, t) -> bool | None:
    """Is g(t) real for small t > 0? None when the probes cannot tell."""
    verdicts = []
    for h in _PROBES:
        try:
            v = sympy.N(g.xreplace({t: h}), 20)
        except Exception:
            continue
        if v.has(sympy.nan) or v is sympy.zoo:
            continue
        re, im = v.as_real_imag()
        if not (im.is_number and re.is_number):
            continue
        verdicts.append(abs(im) <= 1e-12 * (1 + abs(re)))
    if not verdicts:
        return None
    return any(verdicts)


def _classify(r) -> _Side:
    if r is None:
        return _Side("uncertain", None, "SymPy gave no answer")
    if isinstance(r, AccumBounds):
        return _Side("oscillating", r, f"f oscillates within {r}")
    if r is sympy.oo or r is sympy.S.NegativeInfinity:
        return _Side("infinite", r)
    if r.has(AccumBounds) and not r.has(sympy.Limit, sympy.nan):
        return _Side("oscillating", r, f"f oscillates without a limit ({r})")
    if r is sympy.nan or r is sympy.zoo or r.has(sympy.Limit):
        return _Side("uncertain", None, f"SymPy answered {r}")
    if r.is_extended_real is False:
        return _Side("undefined", None, f"SymPy's answer {r} is not real")
    if r.free_symbols or r.is_finite is not False:
        return _Side("converged", r)
    return _Side("uncertain", None, f"SymPy answered {r}")


def _side_limit(expr, x, p, side: str) -> _Side:
    t = sympy.Dummy("t", positive=True)
    if p is sympy.oo:
        g = expr.subs(x, 1 / t)
    elif p is sympy.S.NegativeInfinity:
        g = expr.subs(x, -1 / t)
    else:
        g = expr.subs(x, p + t if side == "+" else p - t)
    if not g.free_symbols - {t} and _real_near(g, t) is False:
        return _Side("undefined", None, "f is not real there")
    try:
        if p.is_infinite:
            r = sympy.limit(expr, x, p)
        else:
            r = sympy.limit(g, t, 0, "+")
    except (NotImplementedError, ValueError, TypeError, RecursionError, AttributeError) as exc:
        return _Side("uncertain", None, f"SymPy could not compute it ({type(exc).__name__})")
    return _classify(r)


def _side_text(side: _Side) -> str:
    if side.kind in ("converged", "infinite"):
        return str(side.value)
    if side.kind == "oscillating":
        return f"oscillates within {side.value}"
    if side.kind == "undefined":
        return "f is not defined (not real) there"
    return "unknown"


def _same(a, b) -> bool:
    if a == b:
        return True
    if a.is_infinite or b.is_infinite:
        return False
    try:
        d = sympy.simplify(a - b)
        if d == 0:
            return True
        fd = _to_float(d)
        return fd is not None and abs(fd) <= 1e-14 * (1 + abs(_to_float(a) or 0))
    except Exception:
        return False


def _limit_expr(expr, x, p, dir: str) -> LimitResult:
    if dir not in ("+-", "+", "-"):
        raise ValueError(f"dir must be '+-' (two-sided), '+' (from above) or '-' (from below), "
                         f"not {dir!r}")
    info = {"var": x, "at": p}
    if p.is_infinite:
        s = _side_limit(expr, x, p, "+")
        info.update(kind=s.kind)
        where = f"as {x} → {p}"
        return _one_sided_result(s, where, info, left=None)
    if dir != "+-":
        s = _side_limit(expr, x, p, dir)
        info.update(kind=s.kind, left_kind=s.kind if dir == "-" else None,
                    right_kind=s.kind if dir == "+" else None)
        where = f"as {x} → {p}{dir}"
        return _one_sided_result(s, where, info, left=(dir == "-"))
    lft = _side_limit(expr, x, p, "-")
    rgt = _side_limit(expr, x, p, "+")
    info.update(left_kind=lft.kind, right_kind=rgt.kind)
    le = lft.value if lft.kind in ("converged", "infinite") else None
    re = rgt.value if rgt.kind in ("converged", "infinite") else None
    common = dict(left=_to_float(le), right=_to_float(re), left_exact=le, right_exact=re,
                  error=0.0, method="exact")
    sides = f"left: {_side_text(lft)}; right: {_side_text(rgt)}"
    verdict, exists = limit_verdict(lft.kind, rgt.kind, lambda: _same(le, re))
    if verdict == "undefined":
        raise DomainError(f"f is not real-valued on either side of {x} = {p}, so it has no "
                          "real limit there; check the point and the formula")
    if verdict in ("left", "right"):
        one = lft if verdict == "left" else rgt
        side = "right" if one is rgt else "left"
        other = "left" if side == "right" else "right"
        info["kind"] = one.kind
        info["one_sided"] = "+" if side == "right" else "-"
        r = _one_sided_result(one, f"as {x} → {p}", info, left=(side == "left"))
        return LimitResult(value=r.value, exists=r.exists, exact=r.exact,
                           message=f"f is not defined to the {other} of {p}, so the limit is the "
                                   f"one-sided limit from the {side}. " + r.message,
                           info=info, **common)
    if verdict == "oscillating":
        info["kind"] = "oscillating"
        return LimitResult(value=None, exists=False, exact=None,
                           message=f"the limit does not exist: f oscillates ({sides})",
                           info=info, **common)
    if verdict == "uncertain":
        info["kind"] = "uncertain"
        notes = "; ".join(n for n in (lft.note, rgt.note) if n)
        return LimitResult(value=None, exists=None, exact=None,
                           message=f"SymPy could not decide ({sides})"
                                   + (f": {notes}" if notes else ""),
                           info=info, **common)
    if exists:
        info["kind"] = lft.kind
        return LimitResult(value=_to_float(le), exists=True, exact=le,
                           message=("both one-sided limits are " + str(le)),
                           info=info, **common)
    info["kind"] = verdict
    return LimitResult(value=None, exists=False, exact=None,
                       message=f"the one-sided limits differ ({sides}): the two-sided limit "
                               "does not exist", info=info, **common)


def _one_sided_result(s: _Side, where: str, info, left: bool) -> LimitResult:
    v = s.value if s.kind in ("converged", "infinite") else None
    if left is None:  # at ±oo there is one approach and no sides
        side = {}
    elif left:
        side = dict(left=_to_float(v), left_exact=v)
    else:
        side = dict(right=_to_float(v), right_exact=v)
    if s.kind in ("converged", "infinite"):
        return LimitResult(value=_to_float(v), exists=True, exact=v, error=0.0, method="exact",
                           message=f"the limit {where} is {v}", info=info, **side)
    if s.kind == "oscillating":
        return LimitResult(value=None, exists=False, error=0.0, method="exact",
                           message=f"the limit {where} does not exist: {s.note}", info=info,
                           **side)
    if s.kind == "undefined":
        return LimitResult(value=None, exists=False, error=0.0, method="exact",
                           message=f"f is not real-valued {where.replace('as', 'for')}, so it "
                                   "has no real limit there", info=info, **side)
    return LimitResult(value=None, exists=None, error=0.0, method="exact",
                       message=f"SymPy could not decide the limit {where}: {s.note}",
                       info=info, **side)


def limit(f, at, dir: str = "+-", var=None, *, timeout: float | None = None) -> LimitResult:
    """Compute a limit exactly with SymPy, two-sided by default.

    Both one-sided limits are computed; when they differ the result says the
    limit does not exist (``exists=False``, ``value=None``) and keeps both in
    ``left`` / ``right``. An oscillation (SymPy's AccumBounds) also means
    ``exists=False``; an infinite limit has ``value=±inf`` and
    ``exists=True``. At ``±oo`` the direction is ignored.

    Args:
        f: a callable (traced), a SymPy expression or a string.
        at: a number, ``±inf``, a string (``"pi/2"``, ``"oo"``) or a SymPy
            value. Floats that are clear constants are made exact
            (``np.pi/2`` → ``pi/2``).
        dir: ``"+-"`` (two-sided), ``"+"`` (from above) or ``"-"`` (from below).
        var: the variable, when f has several.
        timeout: seconds the whole computation may take, tracing a callable
            included; the work runs in another process that is stopped at the
            deadline (see `run_with_budget`). None: no limit, in this process.

    Returns:
        LimitResult with ``method="exact"``, ``error=0``, the SymPy value in
        ``exact`` and floats in ``value``, ``left``, ``right``.

    Raises:
        DomainError: f is not real-valued on either side of the point.
        BudgetExceeded: `timeout` ran out (the message says whether while tracing f).

    Example:
        >>> from dfdx.symbolic import limit
        >>> limit("x**2 + 2*x + 1", 0).exact
        1
        >>> r = limit("abs(x)/x", 0)
        >>> r.exists, r.left, r.right
        (False, -1.0, 1.0)
        >>> limit("sin(x)/x", 0)
        LimitResult(value=1, exists=True, left=1.0, right=1.0, error=0.0, method='exact', ...)
    """
    (expr, x, p), left = _read_within(f, at, var, "limit", timeout)
    return _within(timeout, left, _limit_expr, expr, x, p, dir)


def _read(f, at, var, what):
    """f and the point for a limit or a continuity verdict: (expression, variable, point)."""
    expr, symbols = as_expr(f)
    _scalar_only(expr, what)
    return sympy.sympify(expr), _variable(expr, symbols, var), as_point(at)


def _read_within(f, at, var, what, timeout):
    """`_read` under the budget: ((expression, variable, point), seconds left).

    why: tracing a callable runs user code on symbols, which may not end, so it runs in a
    one-off child under the budget; a string or an expression is read here.
    """
    if timeout is None or not callable(f) or isinstance(f, (str, sympy.Basic)):
        return _read(f, at, var, what), timeout
    t0 = time.perf_counter()
    try:
        read = run_with_budget(_read, f, at, var, what, timeout=timeout)
    except BudgetExceeded:
        raise BudgetExceeded(f"exact route timed out after {seconds(timeout)} s "
                             "(while tracing f)", timeout) from None
    return read, max(0.05, timeout - (time.perf_counter() - t0))


def _within(timeout, left, work, *args):
    """``work(*args)`` in the budget's worker with `left` of `timeout` seconds remaining."""
    try:
        return run_with_budget(work, *args, timeout=left)
    except BudgetExceeded:
        raise BudgetExceeded(f"exact route timed out after {seconds(timeout)} s",
                             timeout) from None


# -- continuity --------------------------------------------------------------------------------

def callable_defined(f, p):
    """Whether a callable f gives a finite value at the point p (None if f is not a callable).

    why: tracing lets SymPy simplify x/x to 1, so the function itself is asked too.
    """
    if not callable(f) or isinstance(f, (sympy.Basic, str)) or p.is_infinite:
        return None
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(f(float(p)), dtype=float)
        return bool(np.all(np.isfinite(y)))
    except (ZeroDivisionError, ValueError, OverflowError, FloatingPointError):
        return False
    except Exception:
        return None


def _value_at(expr, x, p, defined_hint=None):
    """f(p) exactly, or None when undefined (or when `defined_hint` is False)."""
    if defined_hint is False:
        return None
    try:
        v = expr.subs(x, p)
        if v.has(sympy.Piecewise) or v.has(sympy.floor) or v.has(sympy.sign):
            v = sympy.simplify(v)
    except Exception:
        return None
    if (v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or v.is_extended_real is False
            or v.free_symbols or v.is_finite is False):
        return None
    return v


def _continuity_expr(expr, x, p, defined_hint=None) -> ContinuityResult:
    if p.is_infinite:
        raise ValueError("continuity is a property of a point on the real line; use limit() at "
                         "±oo instead")
    fv = _value_at(expr, x, p, defined_hint)
    defined = fv is not None
    try:
        lim = _limit_expr(expr, x, p, "+-")
    except DomainError as exc:
        raise DomainError(f"continuity at {x} = {p}: {exc}") from None
    lk, rk = lim.info.get("left_kind"), lim.info.get("right_kind")
    kinds = {lk, rk}
    at = f"{x} = {p}"
    fval = _to_float(fv) if defined else None
    fv_text = f"f({p}) = {fv}" if defined else f"f({p}) is undefined"

    def result(continuous, kind, message):
        return ContinuityResult(continuous=continuous, kind=kind, value=fval, defined=defined,
                                limit=lim, method="exact", message=message)

    if "infinite" in kinds:
        side = "left" if lk == "infinite" else "right"
        v = lim.left_exact if side == "left" else lim.right_exact
        return result(False, "infinite", f"infinite discontinuity at {at}: f → {v} from the "
                                         f"{side}")
    if "oscillating" in kinds:
        return result(False, "oscillating", f"oscillating discontinuity at {at}: "
                                            f"{lim.message}")
    if "uncertain" in kinds:
        return result(None, "uncertain", f"cannot decide continuity at {at}: {lim.message}")
    L = lim.exact
    if lim.exists is False:
        return result(False, "jump", f"jump discontinuity at {at}: the limit from the left is "
                                     f"{lim.left_exact}, from the right {lim.right_exact}")
    one_sided = "" if "undefined" not in kinds else \
        f" (f is defined only on the {'right' if lk == 'undefined' else 'left'} near {p})"
    if defined and _same(fv, L):
        return result(True, "continuous", f"continuous at {at}: {fv_text} equals the limit"
                                          + one_sided)
    if defined:
        return result(False, "removable", f"removable discontinuity at {at}: {fv_text}, but the "
                                          f"limit is {L}; redefining f({p}) = {L} makes f "
                                          "continuous" + one_sided)
    return result(False, "removable", f"removable discontinuity at {at}: {fv_text}, but the "
                                      f"limit is {L}; defining f({p}) = {L} makes f continuous"
                                      + one_sided)


def continuity(f, at, var=None, *, timeout: float | None = None) -> ContinuityResult:
    """Decide exactly whether f is continuous at a point, and classify the point.

    The kinds, worst first: ``infinite`` (a side tends to ±oo),
    ``oscillating`` (a side has no limit), ``jump`` (one-sided limits differ),
    ``removable`` (the limit exists but f is undefined there or has another
    value), ``continuous``. Both sides are examined separately, so Piecewise,
    ``sign``, ``floor`` and ``Heaviside`` are handled where ``sympy.limit``
    alone is not reliable. A callable is also evaluated at the point itself,
    since tracing may have simplified away a 0/0 (``x/x``).

    Args:
        f: a callable (traced), a SymPy expression or a string.
        at: a finite point (number, string or SymPy value).
        var: the variable, when f has several.
        timeout: seconds the whole computation may take, as in `limit`.

    Returns:
        ContinuityResult with ``method="exact"``.

    Example:
        >>> from dfdx.symbolic import continuity
        >>> continuity("x**2 + 2*x + 1", 1).continuous
        True
        >>> r = continuity("sin(x)/x", 0)
        >>> r.kind, r.message
        ('removable', 'removable discontinuity at x = 0: f(0) is undefined, but the limit is 1; defining f(0) = 1 makes f continuous')
        >>> [continuity(g, 0).kind for g in ("sign(x)", "1/x", "sin(1/x)")]
        ['jump', 'infinite', 'oscillating']
    """
    (expr, x, p), left = _read_within(f, at, var, "continuity", timeout)
    return _within(timeout, left, _continuity_expr, expr, x, p, callable_defined(f, p))


# -- discontinuities on an interval ------------------------------------------------------------

class Discontinuity(NamedTuple):
    """A point where f is not continuous: `at` (SymPy), its `kind`, and the full result."""

    at: Any
    kind: str
    result: ContinuityResult


def _zeros(g, x, domain, notes):
    try:
        s = sympy.solveset(g, x, domain=domain)
    except Exception as exc:
        notes.append(f"could not solve {g} = 0 ({type(exc).__name__})")
        return []
    if isinstance(s, sympy.FiniteSet):
        return list(s)
    if s is sympy.S.EmptySet:
        return []
    if isinstance(s, sympy.Union):
        out = []
        for part in s.args:
            if isinstance(part, sympy.FiniteSet):
                out += list(part)
            else:
                notes.append(f"the zeros of {g} are not all found ({part})")
        return out
    notes.append(f"the zeros of {g} could not be listed ({type(s).__name__})")
    return []


def _integer_crossings(g, x, domain, notes, max_points):
    try:
        rng = sympy.calculus.util.function_range(g, x, domain)
        lo, hi = _to_float(rng.inf), _to_float(rng.sup)
    except Exception:
        lo = hi = None
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        notes.append(f"the integer crossings of {g} could not be bounded")
        return []
    ks = range(math.ceil(lo), math.floor(hi) + 1)
    if len(ks) > max_points:
        notes.append(f"{g} crosses more than {max_points} integers; only the first are listed")
        ks = ks[:max_points]
    out = []
    for k in ks:
        out += _zeros(g - k, x, domain, notes)
    return out


def _candidates(expr, x, domain, notes, max_points):
    cands = []
    for node in sympy.preorder_traversal(expr):
        if not getattr(node, "free_symbols", None) or x not in node.free_symbols:
            continue
        if isinstance(node, sympy.Pow) and node.exp.is_negative:
            cands += _zeros(node.base, x, domain, notes)
        elif isinstance(node, sympy.Pow) and not node.exp.is_integer:
            cands += _zeros(node.base, x, domain, notes)
        elif isinstance(node, (sympy.tan, sympy.sec)):
            cands += _zeros(sympy.cos(node.args[0]), x, domain, notes)
        elif isinstance(node, (sympy.cot, sympy.csc, sympy.coth, sympy.csch)):
            f = sympy.sin if isinstance(node, (sympy.cot, sympy.csc)) else sympy.sinh
            cands += _zeros(f(node.args[0]), x, domain, notes)
        elif isinstance(node, (sympy.log, sympy.sign, sympy.Heaviside)):
            cands += _zeros(node.args[0], x, domain, notes)
        elif isinstance(node, (sympy.floor, sympy.ceiling, sympy.frac)):
            cands += _integer_crossings(node.args[0], x, domain, notes, max_points)
        elif isinstance(node, sympy.Mod):
            cands += _integer_crossings(node.args[0] / node.args[1], x, domain, notes, max_points)
        elif isinstance(node, sympy.Piecewise):
            for _, cond in node.args:
                for rel in cond.atoms(sympy.core.relational.Relational):
                    cands += _zeros(rel.lhs - rel.rhs, x, domain, notes)
    try:
        sing = sympy.singularities(expr, x, domain)
        if isinstance(sing, sympy.FiniteSet):
            cands += list(sing)
    except Exception:
        pass
    uniq = []
    for c in cands:
        if c.is_real is False or not c.is_number:
            continue
        if not any(_same(c, u) for u in uniq):
            uniq.append(c)
    return sorted(uniq, key=lambda c: float(c))


def discontinuities(f, interval, var=None, max_points: int = 100) -> list:
    """List the points of a closed interval where f is not continuous, with their kinds.

    Candidates are the zeros of denominators and of the arguments of ``log``,
    ``sign``, ``Heaviside``, ``tan``/``sec``/``cot``/``csc``, the points where
    the argument of ``floor``/``ceiling``/``Mod`` crosses an integer, the
    boundaries of Piecewise conditions and SymPy's ``singularities``; each is
    then classified with `continuity`. Points SymPy cannot find are not
    listed (the finder's notes are not raised as errors).

    Args:
        f: a callable (traced), a SymPy expression or a string.
        interval: ``(a, b)`` with finite ends (numbers, strings or SymPy values).
        var: the variable, when f has several.
        max_points: most integer crossings examined per floor/ceiling.

    Returns:
        A list of `Discontinuity` (``at``, ``kind``, ``result``), sorted by ``at``.

    Example:
        >>> from dfdx.symbolic import discontinuities
        >>> [(d.at, d.kind) for d in discontinuities("sin(x)/x + 1/(x - 2)", (-1, 3))]
        [(0, 'removable'), (2, 'infinite')]
        >>> [(d.at, d.kind) for d in discontinuities("floor(x)", (0, 2.5))]
        [(0, 'jump'), (1, 'jump'), (2, 'jump')]
    """
    expr, symbols = as_expr(f)
    x = _variable(expr, symbols, var)
    a, b = (as_point(v) for v in interval)
    if a.is_infinite or b.is_infinite:
        raise ValueError("discontinuities needs a finite interval (a, b); infinitely many "
                         "points could need checking otherwise")
    domain = sympy.Interval(a, b)
    notes: list = []
    out = []
    for c in _candidates(expr, x, domain, notes, max_points):
        try:
            r = _continuity_expr(expr, x, c, callable_defined(f, c))
        except DomainError:
            continue
        if r.continuous is not True:
            out.append(Discontinuity(c, r.kind, r))
    return out


def one_sided_diff(f, var, at, side: str = "+", n: int = 1):
    """The exact one-sided n-th derivative at a point: a limit of a difference quotient.

    With g = f⁽ⁿ⁻¹⁾, this is the limit of ``(g(a + h) - g(a)) / h`` as h → 0 from
    the side given (the derivative's definition, right at kinks where the
    derivative formula is a convention); where g has no value at a, the
    one-sided limit of g' instead. ``±oo`` is a vertical tangent; a value that
    is not real means f is not real on that side.

    Args:
        f: a SymPy expression or a string.
        var: the variable (name or symbol).
        at: the point (exact number).
        side: ``"+"`` (from the right) or ``"-"`` (from the left).
        n: the order.

    Returns:
        The SymPy value of the limit.

    Example:
        >>> from dfdx.symbolic import one_sided_diff
        >>> one_sided_diff("abs(x)", "x", 0, "-"), one_sided_diff("abs(x)", "x", 0, "+")
        (-1, 1)
        >>> one_sided_diff("sqrt(x)", "x", 0, "+")
        oo
        >>> one_sided_diff("abs(x)", "x", 0, "-", n=2), one_sided_diff("abs(x)", "x", 0, "+", n=2)
        (0, 0)
    """
    if side not in ("+", "-"):
        raise ValueError(f"side must be '+' or '-', got {side!r}")
    expr, symbols = as_expr(f)
    name = var if isinstance(var, str) else var.name
    x = next((s for s in expr.free_symbols if s.name == name), sympy.Symbol(name, real=True))
    g = sympy.diff(expr, x, n - 1) if n > 1 else expr
    # why: a float point makes SymPy's limit work in floating point (tan at 1.0 → oo)
    a = sympy.Rational(repr(float(at))) if isinstance(at, float) else sympy.sympify(at)
    h = sympy.Symbol("h", positive=True)
    s = 1 if side == "+" else -1
    # why: for n > 1 the base is the one-sided (n-1)-th derivative, not the formula's value
    # at a, which is a convention at a kink (sign(0) = 0 would make abs'' at 0 infinite)
    ga = g.subs(x, a)
    if n > 1:
        try:
            ga = sympy.limit(g, x, a, side)
        except (NotImplementedError, ValueError, TypeError):
            pass
    if ga.is_extended_real and ga.is_finite:
        q = (g.subs(x, a + s * h) - ga) / (s * h)
    else:
        q = sympy.diff(g, x).subs(x, a + s * h)
    return sympy.limit(q, h, 0, "+")


#: SymPy functions at whose arguments a derivative may fail to exist (kinks, jumps).
NONSMOOTH = ("Abs", "sign", "Heaviside", "floor", "ceiling", "frac", "Piecewise", "Max", "Min",
             "Mod", "DiracDelta")


def is_nonsmooth(f, var=None) -> bool:
    """Whether an expression holds a function with kinks or jumps (abs, floor, Max, Piecewise…).

    Where it does, a derivative's formula may be a convention at some points;
    ask `one_sided_diff` there. With `var` (a name or symbol), only such
    functions whose arguments depend on `var` count.

    Example:
        >>> from dfdx.symbolic import is_nonsmooth
        >>> is_nonsmooth("abs(x) + 1"), is_nonsmooth("sin(x)**2")
        (True, False)
        >>> is_nonsmooth("abs(x) + y**2", "x"), is_nonsmooth("abs(x) + y**2", "y")
        (True, False)
    """
    expr, _ = as_expr(f)
    name = None if var is None else (var if isinstance(var, str) else var.name)
    return any(type(a).__name__ in NONSMOOTH and
               (name is None or any(s.name == name for s in a.free_symbols))
               for a in sympy.preorder_traversal(expr))


def taylor_coefficients(f, var, at, order: int):
    """The exact Taylor coefficients f⁽ᵏ⁾(a)/k! for k = 0..order, and the polynomial.

    Returns:
        ``(polynomial, coefficients)``; where a coefficient is not a finite real
        number there is no Taylor series: ``(None, coefficients up to that one)``.

    Example:
        >>> from dfdx.symbolic import taylor_coefficients
        >>> taylor_coefficients("exp(x)", "x", 0, 2)
        (x**2/2 + x + 1, [1, 1, 1/2])
        >>> taylor_coefficients("sqrt(x)", "x", 0, 3)
        (None, [0, zoo])
    """
    expr, _ = as_expr(f)
    name = var if isinstance(var, str) else var.name
    x = next((s for s in expr.free_symbols if s.name == name), sympy.Symbol(name, real=True))
    a = sympy.sympify(at)
    coeffs, d = [], expr
    for k in range(int(order) + 1):
        if k:
            d = sympy.diff(d, x)
        coeffs.append(sympy.simplify(d.subs(x, a) / sympy.factorial(k)))
        if not (coeffs[-1].is_extended_real and coeffs[-1].is_finite):
            return None, coeffs
    poly = sympy.expand(sum(c * (x - a) ** k for k, c in enumerate(coeffs)))
    return poly, coeffs
