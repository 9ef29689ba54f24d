"""The `dfdx` command: single calculations from a shell, and the tour.

Each subcommand reads an expression with the safe parser (never ``eval``),
computes its answer with dfdx's public API and prints the exact result where
there is one, its float value, the method and the error estimate; where the
three methods (automatic, exact, numeric) all apply they are shown side by
side with their agreement, decided by the one policy of `dfdx.result.agree`
(each value within the others' stated errors plus rounding at its magnitude).
``--json`` prints one JSON object instead. The parts: the arguments
(`dfdx._cli_parse`, one parser built once); one function per subcommand here,
which returns a record of values (``_cmd_*``); one renderer that writes any
record as text or JSON (`dfdx._cli_text`).

The command runs under one time budget (``--timeout S``, default 3 seconds
in all; each route gets a share of what is left and is enforced by stopping
the process that computes it): when the exact route runs out of time the
answer comes from the routes that finished, and says so. ``plot``, ``train``
and ``tour`` have a budget per figure, epoch or step instead. ``--at``
reads one syntax everywhere: ``0``, ``x=0``, ``0+`` / ``0-`` (one-sided),
``oo``. A name given in ``--at`` (or ``--wrt``) is a
variable even where it would be a constant (``e``, ``pi``, ``E``, ``oo``).

``dfdx diff`` at a point starts its exact route (SymPy) in a child process
and computes AD and the numeric route meanwhile from the text read without
SymPy (`dfdx._expr`); where that does not cover the case it takes the whole
path, so the output is the same either way.

Exit status: 0 success; 1 a mathematical failure (the methods disagree, a
derivative or limit does not exist or cannot be decided, the time budget ran
out); 2 bad input (a parse error, a point outside the domain, an unknown
option). Errors are one line on stderr, never a traceback, and no Python
warning reaches the terminal.

Example:
    >>> from dfdx.cli import main
    >>> main(["diff", "2*x**2 + 3*x + 1", "--at", "x=1"])
    f(x) = 2*x**2 + 3*x + 1
    d/dx f = 4*x + 3
    at x = 1:
      exact      7
      AD         7.0                    |AD - exact| = 0
      numeric    7.0...
    value: 7.0 (method: exact, error 0) - the three methods agree
    0
"""

from __future__ import annotations

import ast
import math
import os
import sys
import time
import warnings

import dfdx
from dfdx._cli_parse import (DEFAULT_TIMEOUT, STEP_TIMEOUT, WIDTH, UsageError,  # noqa: F401
                              build_parser, parser)

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "DEFAULT_TIMEOUT",
           "MAX_ORDER", "WIDTH"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

_STEPWISE = ("plot", "train", "tour")
#: The highest derivative order ``diff -n`` accepts (the exact route; AD and numeric stop lower).
MAX_ORDER = 100_000
#: why: nested forward mode costs grow quickly with the order; above this AD is not run.
AD_MAX_ORDER = 40
#: The highest order of dfdx.numeric.derivative.
NUMERIC_MAX_ORDER = 6

# why: `dfdx --help` must start fast; NumPy, SymPy, SciPy and matplotlib are imported
# only by the subcommands that compute (see _load).
np = None
#: `dfdx.result.format_number`, the one number formatter (imported by `_load`, with NumPy).
format_number = None
_TIMEOUT = [DEFAULT_TIMEOUT]
#: why: the budget is for the whole command, not for each step: every step gets a share
#: of what is left before this moment (time.monotonic), so the total stays near --timeout.
_DEADLINE = [None]
#: The least a step is given (seconds) once the budget is nearly spent.
_MIN_STEP = 0.05


class MathFailure(Exception):
    """The calculation could not give a trustworthy answer: exit status 1."""


def _load():
    """Import NumPy (and, through dfdx's attributes, the engine) for a computing subcommand."""
    global np, format_number
    if np is None:
        import numpy

        from dfdx.result import format_number as fmt
        np, format_number = numpy, fmt
    return np


# -- reading the command line ------------------------------------------------------------------

def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _expression(text, variables=()):
    """Parse an expression safely; a `ParseError` becomes one line naming the column.

    Names in `variables` are variables even where they would be constants (``e``, ``pi``).
    """
    try:
        return dfdx.symbolic.parse(text, variables=variables)
    except dfdx.ParseError as exc:
        reason = _first_line(exc)
        where = f" at column {exc.position + 1}" if exc.position is not None else ""
        raise UsageError(f"cannot parse {text!r}{where}: {reason}") from None


def _names(expr):
    return sorted(s.name for s in expr.free_symbols)


def _number(text, what):
    """Read one exact number (``1``, ``-0.5``, ``pi/2``, ``oo``) for `what`."""
    try:
        value = dfdx.symbolic.parse(text)
    except dfdx.ParseError as exc:
        raise UsageError(f"cannot read {what} {text!r}: {_first_line(exc)}") from None
    if value.free_symbols:
        raise UsageError(f"{what} {text!r} must be a number such as 1, -0.5 or pi/2, but it "
                         f"contains {', '.join(sorted(s.name for s in value.free_symbols))}")
    if not value.is_extended_real:
        raise UsageError(f"{what} {text!r} is not a real number")
    return value


def _at_names(args):
    """The names an ``--at``/``--wrt`` gives: they are variables, whatever else they could be."""
    names = set()
    for p in (getattr(args, "at", None) or "").split(","):
        if "=" in p:
            names.add(p.split("=", 1)[0].strip())
    if getattr(args, "wrt", None):
        names.add(args.wrt.strip())
    return {n for n in names if n.isidentifier()}


def _split_side(text):
    """``'0+'`` -> ``('0', '+')``; ``'0-'`` -> ``('0', '-')``; ``'-1'`` -> ``('-1', None)``."""
    t = text.strip()
    if len(t) > 1 and t[-1] in "+-" and t[:-1].strip() and t[-2] not in "eE*/^(+-":
        return t[:-1].strip(), t[-1]
    return t, None


def _at(text, expr, names=None, *, finite=True, side_ok=False):
    """Read ``--at`` in its one syntax: ``0``, ``x=0``, ``0+``/``0-``, ``oo``, ``x=1,y=2``.

    Returns:
        ``(point, side)``: an ordered dict from variable name to its exact value
        (covering the expression's variables) and the side, ``'+'``, ``'-'`` or None.
    """
    free = list(names or _names(expr))
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise UsageError(f"--at needs a point such as 0, x=0, 0+ or x=1,y=2, got {text!r}")
    point, sides = {}, set()
    if all("=" not in p for p in parts):
        order = free or ["x"]
        if len(parts) != len(order):
            raise UsageError(f"--at {text!r} gives {len(parts)} value(s) but the expression has "
                             f"variables ({', '.join(order) or 'none'}); write them by name, "
                             f"e.g. --at {','.join(f'{n}=1' for n in order) or 'x=1'}")
        pairs = list(zip(order, parts))
    else:
        pairs = []
        for p in parts:
            if "=" not in p:
                raise UsageError(f"--at {text!r}: write every coordinate as name=value "
                                 f"(e.g. x=1,y=2), not {p!r}")
            name, value = (s.strip() for s in p.split("=", 1))
            if not name.isidentifier() or name.startswith("_"):
                raise UsageError(f"--at {text!r}: {name!r} is not a variable name")
            if name in dict(pairs):
                raise UsageError(f"--at {text!r} gives {name} twice")
            pairs.append((name, value))
    for name, value in pairs:
        value, side = _split_side(value)
        if side:
            sides.add((name, side))
        point[name] = _number(value, f"the value of {name}")
    missing = [n for n in free if n not in point]
    if missing:
        raise UsageError(f"--at gives no value for {', '.join(missing)}; add "
                         f"{','.join(f'{n}=...' for n in missing)}")
    side = None
    if sides:
        if not side_ok or len(sides) > 1 or len(point) > 1:
            raise UsageError(f"--at {text!r}: a one-sided point ({'/'.join(s for _, s in sides)}) "
                             "applies to a limit or a derivative in one variable")
        side = sides.pop()[1]
    if finite:
        for name, value in point.items():
            if not _finite(value):
                raise UsageError(f"--at {name}={value}: this needs a finite point")
    return point, side


def _finite(exact):
    try:
        return math.isfinite(float(exact))
    except (TypeError, ValueError, OverflowError):
        return False


def _to_float(exact):
    """Return the float of an exact SymPy value (±inf for ±oo); None when it is not real."""
    if exact is None:
        return None
    if getattr(exact, "is_infinite", False) and getattr(exact, "is_extended_real", False):
        return math.inf if exact.is_extended_positive else -math.inf
    try:
        return float(exact)
    except (TypeError, ValueError):
        try:
            value = complex(exact.evalf(17))
        except (TypeError, ValueError, AttributeError):
            return None
        return value.real if value.imag == 0 else None
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def _substitute(expr, point):
    """Evaluate an exact expression at an exact point (names → values)."""
    table = {s: point[s.name] for s in expr.free_symbols if s.name in point}
    return expr.subs(table) if table else expr


def _function(expr, names):
    """Return the expression as a NumPy function of the variables `names` (positional).

    `dfdx.symbolic.as_function` (through `compile`) prints only NumPy calls that AD can trace
    (``np.where`` for a Piecewise), so AD differentiates the same code that the
    numeric method evaluates.
    """
    try:
        return dfdx.symbolic.as_function(expr, names)
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        raise MathFailure(f"AD and numeric differentiation cannot evaluate {expr}: "
                          f"{_first_line(exc)}") from None


# -- the time budget ---------------------------------------------------------------------------

def _left(share=1.0, now=None):
    """Seconds this step may run: `share` of what is left of the command's budget.

    `now` is the moment the step starts (`time.monotonic`; default: now).

    Raises:
        BudgetExceeded: nothing is left.
    """
    if _DEADLINE[0] is None:
        return _TIMEOUT[0] * share
    left = _DEADLINE[0] - (time.monotonic() if now is None else now)
    if left < _MIN_STEP:
        raise dfdx.BudgetExceeded(f"the time budget of {_TIMEOUT[0]:g} s is spent", _TIMEOUT[0])
    return max(_MIN_STEP, left * share)


def _budget(fn, *args, share=1.0):
    """Run ``fn(*args)`` in another process, stopped when its share of the budget is spent.

    Raises:
        BudgetExceeded: the time ran out (the process was stopped).
    """
    from dfdx._budget import run_with_budget
    return run_with_budget(fn, *args, timeout=_left(share))


def _quiet(fn):
    """Call `fn` with NumPy's floating-point warnings off (a route reports inf/nan itself)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


_OUT_OF_TIME = "ran out of time ({:g} s budget; raise it with --timeout)"


def _reason(exc):
    """Why a route or a step failed, as the output says it."""
    if isinstance(exc, dfdx.BudgetExceeded):
        return _OUT_OF_TIME.format(_TIMEOUT[0])
    if isinstance(exc, RecursionError):
        return "too deeply nested (RecursionError)"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _try(fn, share=0.5):
    """Run one route under the budget; return ``(value, None)`` or ``(None, reason)``.

    `share` is the fraction of what is left of the command's budget this route may use.
    """
    return _exact(_quiet, fn, share=share)


def _exact(fn, *args, share=0.5, here=False):
    """Run one step of the exact route under the budget: ``(value, None)`` or ``(None, reason)``.

    The exact route gets half of what is left (by default), so that AD and the
    numeric route still have time when it runs out. ``here=True`` runs it in
    this process, unbounded (the fast path's child, which its parent stops).
    """
    try:
        return (fn(*args) if here else _budget(fn, *args, share=share)), None
    except Exception as exc:  # why: one route or step failing must not stop the others
        return None, _reason(exc)


# The exact route's steps: module-level functions, so that they run in the budget's
# long-lived worker (SymPy's caches stay warm) and can be stopped there.

def _exact_diff(expr, var, n):
    return dfdx.symbolic.diff(expr, var, n=n)


def _exact_matrix(kind, expr, names):
    fn = dfdx.symbolic.hessian if kind == "hessian" else dfdx.symbolic.gradient
    return fn(expr, wrt=names)


def _exact_at(exact, point):
    """The exact value(s) at the point and their floats (None where not a real number)."""
    if hasattr(exact, "applyfunc"):
        at = exact.applyfunc(lambda e: _substitute(e, point))
        return at, [[_to_float(v) for v in row] for row in at.tolist()]
    at = _substitute(exact, point)
    return at, _to_float(at)


def _exact_float(exact, point):
    """The float value at the point without building the exact number (x**1000000 at 1.0001)."""
    table = {s: point[s.name] for s in exact.free_symbols if s.name in point}
    if hasattr(exact, "applyfunc"):
        return None, [[_to_float(v.evalf(17, subs=table)) for v in row]
                      for row in exact.tolist()]
    return None, _to_float(exact.evalf(17, subs=table))


def _exact_one_sided(expr, var, n, point, side):
    """The exact one-sided n-th derivative (`dfdx.symbolic.one_sided_diff`), others fixed."""
    others = {s: point[s.name] for s in expr.free_symbols if s.name != var}
    return dfdx.symbolic.one_sided_diff(expr.subs(others), var, point[var], side, n=n)


def _exact_taylor(expr, var, at, order):
    """The Taylor polynomial and its coefficients f⁽ᵏ⁾(a)/k!, exactly (None: no series)."""
    return dfdx.symbolic.taylor_coefficients(expr, var, at, order)


def _nonsmooth(expr, var=None):
    """Whether the expression holds a function at whose kinks or jumps a derivative may fail
    (with `var`: one whose argument depends on `var`)."""
    return dfdx.symbolic.is_nonsmooth(expr, var)


#: why: each lower order costs two exact one-sided limits; beyond this they are not checked.
_LOWER_ORDERS = 3


def _lower_order_jump(expr, var, n, point, g, t0):
    """The first order k < n whose one-sided derivatives differ at the point, or None.

    An n-th derivative exists only where the (n-1)-th does: abs'' at 0 has equal
    one-sided values (0 and 0), but abs' jumps there.

    Returns:
        ``(k, sides)`` or None.
    """
    for k in range(1, min(n, _LOWER_ORDERS + 1)):
        sides = _one_sided(expr, var, k, point, g, t0)
        if _sides_verdict(sides)[0] is False:
            return k, sides
    return None


def _exact_defined(expr, point):
    """Whether f is real and finite at the point, exactly (a huge value is finite)."""
    table = {s: point[s.name] for s in expr.free_symbols if s.name in point}
    v = expr.evalf(17, subs=table)
    return bool(v.is_extended_real and v.is_finite), str(v)


def _check_domain(expr, point, fn=None, names=None):
    """Raise `dfdx.DomainError` when f is not real and finite at the point.

    The float value (compiled NumPy) decides quickly; where it is not finite the
    exact value, under the budget, tells an overflow (exp(exp(x)) at 10: finite,
    only too large for a float) from a point outside the domain.
    """
    value = None if fn is None else _float_value(fn, [float(point[n]) for n in names])
    if value is not None and math.isfinite(value):
        return
    got, _ = _exact(_exact_defined, expr, point)
    if got is not None:
        defined, shown = got
        if defined:
            return          # finite, only too large (or small) for a float
        what = {"zoo": "not a finite number", "nan": "undefined"}.get(shown, shown)
        if not shown.replace(".", "").replace("-", "").replace("e", "").isdigit() \
                and "I" in shown:
            what = "not a real number"
    elif value is not None and math.isinf(value):
        return              # no exact answer in time; the routes report the overflow
    else:
        what = "undefined" if value is None or math.isnan(value) else str(value)
    from dfdx._cli_text import point_text
    raise dfdx.DomainError(f"{point_text(point)} is outside the domain of {expr}: f is {what} there")


def _float_value(fn, point_f):
    """f at the point as a float (None where it raises)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(fn(*point_f))
    except Exception:
        return None


# -- three methods side by side ----------------------------------------------------------------


def _record(exact_expr, point, ad_fn, numeric_fn, exact_failed=None, shape=None):
    """Compute one quantity exactly, by AD and numerically at `point`; return a record."""
    exact_at, exact_float = None, None
    alone = isinstance(ad_fn, str) and isinstance(numeric_fn, str)
    share = 1.0 if alone else 0.5
    if exact_expr is not None:
        got, failed = _exact(_exact_at, exact_expr, point, share=share)
        if got is None:
            # the exact number may be too large to build (x**1000000 at 1.0001): its float
            got2, _ = _exact(_exact_float, exact_expr, point, share=share)
            exact_failed = failed if got2 is None else None
            got = got2
        if got is not None:
            exact_at, exact_float = got[0], _exact_array(got[1])
    return _record_of(exact_at, exact_float, exact_failed, *_routes(ad_fn, numeric_fn))


def _exact_array(floats):
    """The exact value's floats (`_exact_at`) as an array; None where one is not a real number."""
    if isinstance(floats, list):
        return np.array(floats, dtype=float) \
            if all(v is not None for row in floats for v in row) else None
    return None if floats is None else np.array(floats, dtype=float)


def _routes(ad_fn, numeric_fn):
    """``(ad, ad_failed, numeric, numeric_failed)``: run AD and the numeric route (or a reason)."""
    ad, ad_failed = (None, ad_fn) if isinstance(ad_fn, str) else _try(ad_fn)
    numeric, numeric_failed = (None, numeric_fn) if isinstance(numeric_fn, str) \
        else _try(numeric_fn, share=1.0)
    return ad, ad_failed, numeric, numeric_failed


def _record_of(exact_at, exact_float, exact_failed, ad, ad_failed, numeric, numeric_failed):
    """The record of one quantity from its answers: values, reasons and their agreement."""
    if ad is not None:
        ad = np.asarray(ad, dtype=float)
    if exact_float is not None:
        ref = ad if ad is not None else (None if numeric is None else
                                         np.asarray(numeric.value, dtype=float))
        if ref is not None and exact_float.size == ref.size:
            exact_float = exact_float.reshape(ref.shape)
    rec = {"exact": exact_at, "exact_float": exact_float, "exact_failed": exact_failed,
           "ad": ad, "ad_failed": ad_failed, "numeric": numeric,
           "numeric_failed": numeric_failed}
    rec.update(_compare(rec))
    return rec


def _compare(rec):
    """The agreement of a record's answers by the one policy (`dfdx.result.agreement`)."""
    from dfdx.result import agreement
    answers = {}
    if rec["exact_float"] is not None:
        answers["exact"] = (rec["exact_float"], 0.0)
    if rec["ad"] is not None:
        answers["ad"] = (rec["ad"], 0.0)
    if rec["numeric"] is not None:
        answers["numeric"] = (np.asarray(rec["numeric"].value, dtype=float),
                              np.asarray(rec["numeric"].error, dtype=float))
    res = agreement(answers)

    def diff(a, b):
        if a not in answers or b not in answers:
            return None
        x, y = answers[a][0], answers[b][0]
        if np.shape(x) != np.shape(y):
            return None
        with np.errstate(invalid="ignore"):
            return float(np.nanmax(np.where(x == y, 0.0, np.abs(x - y)), initial=0.0))
    return {"ad_vs_exact": diff("ad", "exact"), "numeric_vs_exact": diff("numeric", "exact"),
            "ad_vs_numeric": diff("ad", "numeric"), "agree": res["agree"],
            "pairs": {f"{a}-{b}": v for (a, b), v in res["pairs"].items()},
            "answered": list(answers)}


def _summary(rec):
    """Return (value, method, error) of the best answer in a record: exact, else AD, else numeric."""
    if rec["exact_float"] is not None:
        return rec["exact_float"], "exact", 0.0
    if rec["ad"] is not None:
        return rec["ad"], "automatic", 0.0
    if rec["numeric"] is not None and np.all(np.isfinite(np.asarray(rec["numeric"].error,
                                                                      dtype=float))):
        return (np.asarray(rec["numeric"].value, dtype=float), "numeric",
                float(np.max(np.asarray(rec["numeric"].error, dtype=float))))
    from dfdx._cli_text import LABEL
    reasons = [f"{LABEL[m]}: {rec[m + '_failed']}" for m in ("exact", "ad", "numeric")
               if rec[m + "_failed"]]
    if rec["numeric"] is not None:
        reasons.append("numeric: uncertain (error inf)")
    raise MathFailure("no method could compute this: " + "; ".join(reasons))


def _record_json(rec):
    value, method, error = _summary(rec)
    from dfdx._cli_text import fmt_exact
    return {"value": value, "method": method, "error": error, "exact": fmt_exact(rec["exact"]),
            "methods": {"exact": rec["exact_float"], "exact_failed": rec["exact_failed"],
                        "ad": rec["ad"], "ad_failed": rec["ad_failed"],
                        "numeric": rec["numeric"], "numeric_failed": rec["numeric_failed"]},
            "agreement": {"ad_vs_exact": rec["ad_vs_exact"],
                          "numeric_vs_exact": rec["numeric_vs_exact"],
                          "ad_vs_numeric": rec["ad_vs_numeric"], "pairs": rec["pairs"],
                          "agree": rec["agree"]}}


# -- subcommands -------------------------------------------------------------------------------


def _routes_agree(verify):
    """Whether the second route (``verify=True``) agrees with the first (None: undecided)."""
    if not verify or verify.get("exact") is None or verify["numeric"] is None:
        return None
    return verify["agree"]


def _one_variable(args, what, finite=False, side_ok=True):
    """Read the expression and ``--at`` of a question in one variable: (expr, var, at, side)."""
    expr = _expression(args.expr, _at_names(args))
    names = _names(expr)
    if len(names) > 1:
        raise UsageError(f"{args.expr!r} has several variables ({', '.join(names)}); "
                         f"{what} here is in one variable")
    var = names[0] if names else None
    point, side = _at(args.at, expr, names, finite=finite, side_ok=side_ok)
    if var is None:
        var = next(iter(point))
    elif var not in point:
        raise UsageError(f"--at names {', '.join(point)} but the variable is {var}")
    return expr, var, point[var], side


def _cmd_limit(args):
    expr, var, at, side = _one_variable(args, "a limit")
    direction = args.dir
    if side:
        if args.dir not in ("+-", side):
            raise UsageError(f"--at {args.at} approaches from {side} but --dir says {args.dir}")
        direction = side
    res = dfdx.limit(expr, at, dir=direction, verify=True, timeout=_left())
    verify = res.info.get("verify") if res.info else None
    agree = _routes_agree(verify)
    return {"command": "limit", "expr": str(expr), "at": str(at), "dir": direction,
            "exists": res.exists, "value": res.value,
            "exact": None if res.exact is None else str(res.exact),
            "left": res.left, "right": res.right, "method": res.method, "error": res.error,
            "message": res.message, "routes_agree": agree,
            "_status": EXIT_FAILURE if res.exists is None or agree is False else EXIT_OK,
            "_var": var, "_verify": verify}


def _cmd_continuity(args):
    expr, var, at, side = _one_variable(args, "continuity", side_ok=False)
    if not _finite(at):
        raise UsageError(f"continuity is a property of a finite point, not --at {args.at}")
    res = dfdx.continuity(expr, at, verify=True, timeout=_left())
    lim = res.limit
    verify = lim.info.get("verify") if lim is not None and lim.info else None
    agree = _routes_agree(verify)
    return {"command": "continuity", "expr": str(expr), "at": str(at),
            "continuous": res.continuous, "kind": res.kind, "value": res.value,
            "defined": res.defined, "method": res.method, "message": res.message,
            "left": None if lim is None else lim.left, "right": None if lim is None else lim.right,
            "limit": None if lim is None else lim.value, "routes_agree": agree,
            "_status": EXIT_FAILURE if res.continuous is None or agree is False else EXIT_OK,
            "_var": var, "_verify": verify}


def _wrt(args, expr, point=None):
    names = list(point) if point else _names(expr)
    if args.wrt:
        if not args.wrt.isidentifier():
            raise UsageError(f"--wrt {args.wrt!r} is not a variable name")
        return args.wrt
    if len(names) > 1:
        raise UsageError(f"{str(expr)!r} has several variables ({', '.join(names)}); say which "
                         f"one with --wrt {names[0]}")
    return names[0] if names else "x"


def _partial(fn, names, point_f, var):
    """Return g(t): f with every variable but `var` fixed at the point."""
    i = names.index(var)

    def g(t):
        args = list(point_f)
        args[i] = t
        return fn(*args)
    return g


def _side_value(v):
    """An exact one-sided value as a float, ±inf, or None when it is not a real number."""
    if v is None:
        return None
    f = _to_float(v)
    return None if f is None or math.isnan(f) else f


def _one_sided(expr, var, n, point, g, t0, sides=("-", "+")):
    """The one-sided n-th derivatives at the point, by every route that can give them.

    Returns:
        ``{side: {"exact": float|None, "exact_text": str, "numeric": Estimate|None,
        "value": float|None, "error": float, "why": str}}``.

    The AD route (``dfdx.differentiable``, one-sided forward mode at kinks) goes in
    `_ad_one_sided`: the one place to add it.
    """
    out = {}
    for side in sides:
        got, failed = _exact(_exact_one_sided, expr, var, n, point, side)
        ex = _side_value(got)
        method = "forward" if side == "+" else "backward"
        num, num_failed = (None, f"dfdx.numeric stops at order {NUMERIC_MAX_ORDER}") \
            if n > NUMERIC_MAX_ORDER else _try(
                lambda m=method: dfdx.numeric.derivative(g, t0, n=n, method=m))
        ad = _ad_one_sided(g, t0, n, side)
        rec = {"exact": ex, "exact_text": None if got is None else str(got),
               "exact_failed": failed, "numeric": num, "numeric_failed": num_failed, "ad": ad}
        if ex is not None:
            rec.update(value=ex, error=0.0, method="exact")
        elif ad is not None:
            rec.update(value=ad, error=0.0, method="automatic")
        elif num is not None and math.isfinite(float(np.max(num.error))):
            rec.update(value=float(num.value), error=float(num.error), method="numeric")
        else:
            rec.update(value=None, error=math.inf, method=None)
        if rec["value"] is None:
            rec["why"] = ("f is not real on that side" if got is not None and ex is None
                          else "no route could tell")
        out[side] = rec
    return out


def _ad_one_sided(g, t0, n, side):
    """The exact one-sided derivative by AD (`dfdx.derivative(side=...)`), or None.

    None where AD cannot answer: order above AD_MAX_ORDER, out of time, a refused
    branch point, or NaN (f undefined on that side).
    """
    if n > AD_MAX_ORDER:
        return None
    got, _ = _try(lambda: float(dfdx.derivative(g, n, side=side)(float(t0))))
    return None if got is None or math.isnan(got) else got


def _cmd_diff(args):
    expr, point, side, var = _diff_question(args)
    # why: above AD's order (and numeric's) the exact route is the only one: it gets all the time
    alone = point is None or args.n > AD_MAX_ORDER
    exact, exact_failed = _exact(_exact_diff, expr, var, args.n, share=1.0 if alone else 0.5)
    out = _diff_record(args, list(point or _names(expr) or ["x"]), str(expr), var, exact,
                       exact_failed)
    if point is None:
        if exact is None:
            raise MathFailure(f"the exact derivative could not be computed: {exact_failed}")
        out.update(value=None, method="exact", error=0.0, _case="formula", _status=EXIT_OK)
        return out
    names = list(point)
    fn = _function(expr, names)
    _check_domain(expr, point, fn, names)
    point_f = [float(point[n]) for n in names]
    g = _partial(fn, names, point_f, var)
    t0 = point_f[names.index(var)]
    out["at"] = {k: str(v) for k, v in point.items()}
    if side:
        return _diff_one_side(args, expr, var, point, g, t0, side, out)
    rec = _record(exact, point, *_diff_routes(args.n, g, t0), exact_failed=exact_failed)
    out["_rec"] = rec
    # why: at a kink or a jump, or where the exact derivative has no finite value, the
    # central answers (the AD convention, the symmetric difference) are not "the derivative"
    not_finite = rec["exact"] is not None and rec["exact_float"] is None
    jump = _lower_order_jump(expr, var, args.n, point, g, t0) \
        if args.n >= 2 and _nonsmooth(expr, var) else None
    if jump is not None:
        k, sides = jump
        out.update({kk: v for kk, v in _record_json_safe(rec).items()
                    if kk not in ("value", "method", "error")})
        out.update(value=None, method=None, error=None, differentiable=False,
                   jump={"order": k, "left": sides["-"]["value"], "right": sides["+"]["value"]},
                   _case="jump", _sides=sides, _status=EXIT_FAILURE)
        return out
    if args.n >= 1 and (_nonsmooth(expr, var) or not_finite or rec["agree"] is False):
        sides = _one_sided(expr, var, args.n, point, g, t0)
        verdict = _sides_verdict(sides)
        out["one_sided"] = {s: {"value": r["value"], "error": r["error"], "method": r["method"]}
                            for s, r in sides.items()}
        out["differentiable"] = verdict[0]
        if verdict[0] is False or (verdict[0] is None and rec["exact_float"] is None):
            out.update({k: v for k, v in _record_json_safe(rec).items()
                        if k not in ("value", "method", "error")})
            out.update(value=None, method=None, error=None, _case="one-sided", _sides=sides,
                       _status=EXIT_FAILURE)
            return out
        if verdict[0] is True and rec["exact_float"] is None:
            out.update({k: v for k, v in _record_json_safe(rec).items()
                        if k not in ("value", "method", "error")})
            out.update(value=sides["+"]["value"], method=sides["+"]["method"],
                       error=sides["+"]["error"], _case="one-sided-agree", _sides=sides,
                       _status=EXIT_OK)
            return out
    return _diff_value(out, rec)


def _diff_question(args):
    """Read what ``diff`` asks: ``(expr, point, side, var)`` (point and side None without --at)."""
    expr = _expression(args.expr, _at_names(args))
    if args.n < 0:
        raise UsageError(f"-n must be >= 0, got {args.n}")
    if args.n > MAX_ORDER:
        raise UsageError(f"-n {args.n} is above the limit of {MAX_ORDER}")
    point, side = (_at(args.at, expr, side_ok=True) if args.at else (None, None))
    var = _wrt(args, expr, point)
    if point is not None and var not in point:
        raise UsageError(f"--at gives no value for {var}; add {var}=...")
    return expr, point, side, var


def _diff_record(args, names, expr_text, var, exact, exact_failed):
    """The start of the record of ``diff``: f, the variables and the exact derivative."""
    return {"command": "diff", "expr": expr_text, "wrt": var, "n": args.n,
            "derivative": None if exact is None else str(exact), "_names": names,
            "_exact": exact, "_exact_failed": exact_failed}


def _diff_routes(n, g, t0):
    """The AD and numeric routes of the n-th derivative of g at t0 (a reason where none runs)."""
    ad_fn = (f"nested AD is limited to order {AD_MAX_ORDER}" if n > AD_MAX_ORDER
             else lambda: dfdx.derivative(g, n=n)(t0))
    numeric_fn = (f"dfdx.numeric stops at order {NUMERIC_MAX_ORDER}" if n > NUMERIC_MAX_ORDER
                  else lambda: dfdx.numeric.derivative(g, t0, n=n))
    return ad_fn, numeric_fn


def _diff_value(out, rec):
    """The record of ``diff`` where the central answers are the derivative: the value."""
    out.update(**_record_json(rec), _case="value", _rec=rec,
               _status=EXIT_FAILURE if rec["agree"] is False else EXIT_OK)
    return out


# -- diff without SymPy in this process ---------------------------------------------------------
# why: SymPy's import is most of the start-up of `dfdx diff`. Where the answer is the common
# one (a smooth f at an ordinary point, the methods agree), the exact route runs in a child
# process (forked once NumPy is imported: dfdx.symbolic needs it too), while this process
# imports the engine and computes AD and the numeric route. Every other case (a kink, one
# side, a non-finite value, disagreement, a lost child, no fork) takes the whole path above,
# so the output is the same; a step out of time says so, as on the whole path.

#: Whether ``diff`` may take the fast path (tests switch it off to compare the two).
_FAST_DIFF = True


class _Shown(str):
    """An exact value as the child process wrote it; `fmt_exact` reads it as the SymPy value."""

    def __new__(cls, text, integer):
        self = super().__new__(cls, text)
        self.is_Integer = integer
        return self


def _literal(text):
    """The float of ``1``, ``-0.5``, ``2e-3`` (as SymPy's exact value gives it), else None."""
    from dfdx._expr import read
    try:
        _, tree = read(text)
    except (dfdx.ParseError, TypeError):
        return None
    node, sign = tree.body, 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node, sign = node.operand, -1.0 if isinstance(node.op, ast.USub) else 1.0
    if not isinstance(node, ast.Constant) or type(node.value) not in (int, float):
        return None
    try:
        value = sign * float(node.value) + 0.0      # + 0.0: SymPy has no -0
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def _fast_plan(args):
    """``(names, var, point_f, expression)`` read without SymPy, or None where not covered."""
    from dfdx._budget import can_enforce
    from dfdx._expr import numpy_source
    if not (_FAST_DIFF and args.command == "diff" and args.at and 0 <= args.n <= NUMERIC_MAX_ORDER
            and can_enforce()):
        return None
    try:
        free, nonsmooth, expression = numpy_source(args.expr, _at_names(args))
    except (dfdx.ParseError, TypeError):
        return None
    parts = [p.strip() for p in args.at.split(",")]
    if nonsmooth or not all(parts):
        return None
    if all("=" not in p for p in parts):
        pairs = list(zip(free or ["x"], parts)) if len(parts) == len(free or ["x"]) else None
    else:
        pairs = [tuple(s.strip() for s in p.split("=", 1)) for p in parts if "=" in p]
    names = [n for n, _ in pairs or ()]
    if len(pairs or ()) != len(parts) or len(set(names)) != len(names) or set(free) - set(names):
        return None
    point_f = [_literal(v) for _, v in pairs]
    var = args.wrt or (names[0] if len(names) == 1 else None)
    if None in point_f or var not in names:
        return None
    return names, var, point_f, expression


def _fast_start(args):
    """Start the exact route of ``diff`` in a child process: ``(plan, child)``, or None."""
    plan = _fast_plan(args)
    if plan is None:
        return None
    from dfdx._budget import Prefetch
    return plan, Prefetch(_diff_stages, args)


def _diff_stages(send, args):
    """The child's exact route: what SymPy says, as text and floats, step by step."""
    import dfdx.symbolic  # noqa: F401 - here only, never in the parent on the fast path
    expr, point, side, var = _diff_question(args)
    names = list(point)
    source = dfdx.symbolic.as_function(expr, names).source
    send({"expr": str(expr), "names": names, "var": var, "side": side, "source": source,
          "point": {k: str(v) for k, v in point.items()},
          "floats": [repr(float(point[n])) for n in names], "nonsmooth": _nonsmooth(expr, var)})
    exact, failed = _exact(_exact_diff, expr, var, args.n, here=True)
    send({"failed": failed} if exact is None else _shown(exact, None))
    # its float at the point first (that needs no exact number: x**1000000 at 1.0001), then
    # its exact value there
    for fn in () if exact is None else (_exact_float, _exact_at):
        got, failed = _exact(fn, exact, point, here=True)
        send({"failed": failed} if got is None else _shown(*got))


def _shown(exact, floats):
    """A message for the parent: an exact value as text, and its floats."""
    return {"text": str(exact), "integer": bool(getattr(exact, "is_Integer", False)),
            "floats": floats}


def _fast_routes(n, fn, names, point_f, var):
    """AD's and the numeric route's answers (`_routes`), or None where f is not finite here."""
    value = _float_value(fn, point_f)
    if value is None or not math.isfinite(value):
        return None
    return _routes(*_diff_routes(n, _partial(fn, names, point_f, var),
                                 point_f[names.index(var)]))


class _Lost(Exception):
    """The child ended without its answer: the whole path answers instead."""


def _next_stage(child, deadline):
    """``(moment, message, None)`` of the child's next step, or ``(None, None, reason)``."""
    try:
        got = child.get(deadline() if callable(deadline) else deadline)
    except dfdx.BudgetExceeded as exc:
        return None, None, _reason(exc)
    if got is None or not isinstance(got[1], dict):
        raise _Lost
    return (got[0], None, got[1]["failed"]) if "failed" in got[1] else (*got, None)


def _fast_exact(child, since):
    """The child's exact derivative and its value at the point, each step under its share.

    As `_record` does, the value is the exact number where it can be built in
    time, else its float (``x**1000000`` at 1.0001).

    Returns:
        ``(derivative, value, floats, failed)``: `_Shown` texts (or None), the
        value's floats, and why the exact route gave none.
    """
    t2, derivative, failed = _next_stage(child, lambda: since + _left(0.5, now=since))
    if derivative is None:
        return None, None, None, failed
    shown = _Shown(derivative["text"], derivative["integer"])
    try:
        deadline = t2 + _left(0.5, now=t2)
    except dfdx.BudgetExceeded as exc:
        return shown, None, None, _reason(exc)
    _, rough, _ = _next_stage(child, deadline)
    _, exact, failed = _next_stage(child, deadline)
    if exact is not None:
        return shown, _Shown(exact["text"], exact["integer"]), exact["floats"], None
    if rough is not None:
        return shown, None, rough["floats"], None
    return shown, None, None, failed


def _fast_diff(args, plan, child):
    """``diff`` by the fast path: the command's answer, or None to take the whole path."""
    from dfdx._expr import numpy_function, same_code
    names, var, point_f, expression = plan
    with child:
        fn = None if expression is None else numpy_function(names, expression=expression)
        answers = None if fn is None else _fast_routes(args.n, fn, names, point_f, var)
        try:
            t1, read, _ = _next_stage(child, None)     # the text read: no budget, as parsing
            if (read["names"], read["var"], read["side"], read["nonsmooth"], read["floats"]) \
                    != (names, var, None, False, [repr(v) for v in point_f]):
                return None
            if fn is None or not same_code(expression, names, read["source"]):
                # why: the same code gives the same values, bit for bit; else SymPy's form rules
                answers = _fast_routes(args.n, numpy_function(names, source=read["source"]),
                                       names, point_f, var)
            derivative, exact_at, floats, failed = _fast_exact(child, t1)
        except _Lost:
            return None
    if answers is None:
        return None
    out = _diff_record(args, names, read["expr"], var, derivative,
                       failed if derivative is None else None)
    out["at"] = dict(read["point"])
    rec = _record_of(exact_at, _exact_array(floats), failed, *answers)
    if (rec["exact"] is not None and rec["exact_float"] is None) or rec["agree"] is False:
        return None
    return _diff_value(out, rec)


def _record_json_safe(rec):
    try:
        return _record_json(rec)
    except MathFailure:
        return {"methods": {"ad": rec["ad"], "ad_failed": rec["ad_failed"],
                            "numeric": rec["numeric"], "numeric_failed": rec["numeric_failed"]}}


def _sides_verdict(sides):
    """One verdict from two one-sided answers (`dfdx.result.combine_sides`)."""
    from dfdx.result import combine_sides
    left, right = sides["-"], sides["+"]
    if left["value"] is None and right["value"] is not None and left["why"].startswith("f is not"):
        return False, None     # defined on one side only: no two-sided derivative
    return combine_sides(left["value"], right["value"], left["error"], right["error"])


def _diff_one_side(args, expr, var, point, g, t0, side, out):
    """``--at 0+`` / ``--at 0-``: the one-sided derivative."""
    if args.n < 1:
        raise UsageError("a one-sided point needs a derivative order -n of at least 1")
    rec = _one_sided(expr, var, args.n, point, g, t0, sides=(side,))[side]
    out.update(side=side, value=rec["value"], method=rec["method"], error=rec["error"],
               _case="side", _side_rec=rec,
               _status=EXIT_FAILURE if rec["value"] is None else EXIT_OK)
    return out


def _at_point(args):
    """Read the expression and ``--at`` point of a gradient question.

    Returns:
        ``(expr, point, fv, x0)``: `fv` is f as a function of one vector, `x0`
        the point as floats, both in the order of `point`.
    """
    expr = _expression(args.expr, _at_names(args))
    point, _ = _at(args.at, expr)
    # why: a gradient has one entry per variable of f; a name f does not have would add a
    # row (and column) of zeros that is not f's, so it is refused rather than guessed at
    extra = [n for n in point if n not in _names(expr)]
    if extra:
        has = ", ".join(_names(expr)) or "none"
        raise UsageError(f"--at gives {', '.join(extra)}, but {str(expr)!r} has no variable "
                         f"{' or '.join(extra)} (its variables: {has}); drop "
                         f"{', '.join(f'{n}=...' for n in extra)} from --at")
    names = list(point)
    fn = _function(expr, names)
    _check_domain(expr, point, fn, names)
    x0 = np.array([float(point[n]) for n in names])
    return expr, point, lambda v: fn(*[v[i] for i in range(len(names))]), x0


def _gradient_record(expr, point, fv, x0, hessian=False):
    """Return the exact gradient (or Hessian) and its record at the point: exact, AD, numeric."""
    ad_fn, numeric_fn = ((dfdx.hessian, dfdx.numeric.hessian) if hessian
                         else (dfdx.grad, dfdx.numeric.gradient))
    exact, failed = _exact(_exact_matrix, "hessian" if hessian else "gradient", expr,
                           list(point))
    return exact, _record(exact, point, lambda: ad_fn(fv)(x0), lambda: numeric_fn(fv, x0),
                          exact_failed=failed)


def _missing_partials(expr, point, fv, x0, hessian=False):
    """The partial derivatives that do not exist at the point (a kink or jump in that variable).

    Returns:
        ``(missing, undecided)``: `missing` a list of ``(name, sides)``, ``name``
        like ``∂f/∂x`` or ``∂²f/∂y∂x``, `sides` the one-sided answers
        (`_one_sided`); `undecided` the names whose one-sided answers decide
        nothing (a route out of time): there the agreement is undecided too.
    """
    names = list(point)
    x0 = [float(v) for v in x0]

    def along(fn, var):
        i = names.index(var)

        def g(t):
            v = list(x0)
            v[i] = t
            return fn(np.array(v))
        return g
    missing, first, undecided = [], {}, []
    for var in names:
        if _nonsmooth(expr, var):
            sides = _one_sided(expr, var, 1, point, along(fv, var), x0[names.index(var)])
            verdict = _sides_verdict(sides)[0]
            if verdict is False:
                first[var] = sides
                missing.append((f"∂f/∂{var}", sides))
            elif verdict is None:
                undecided.append(f"∂f/∂{var}")
    if not hessian:
        return missing, undecided
    out = []
    for vi in names:
        if vi in first:
            out += [(f"∂²f/∂{vj}∂{vi}", first[vi]) for vj in names]
            continue
        if not _nonsmooth(expr, vi) and not any(_nonsmooth(expr, vj) for vj in names):
            continue
        di, _ = _exact(_exact_diff, expr, vi, 1)
        if di is None:
            continue
        fi = _function(di, names)
        fiv = lambda v, fi=fi: fi(*[v[k] for k in range(len(names))])  # noqa: E731
        for vj in names:
            if _nonsmooth(di, vj):
                sides = _one_sided(di, vj, 1, point, along(fiv, vj), x0[names.index(vj)])
                verdict = _sides_verdict(sides)[0]
                if verdict is False:
                    out.append((f"∂²f/∂{vj}∂{vi}", sides))
                elif verdict is None:
                    undecided.append(f"∂²f/∂{vj}∂{vi}")
    return out, undecided


def _cmd_grad(args, hessian=False):
    from dfdx._cli_text import fmt_exact
    expr, point, fv, x0 = _at_point(args)
    exact, rec = _gradient_record(expr, point, fv, x0, hessian)
    out = {"command": "hessian" if hessian else "grad", "expr": str(expr),
           "variables": list(point), "at": {k: str(v) for k, v in point.items()},
           "symbolic": fmt_exact(exact), **_record_json(rec),
           "_status": EXIT_FAILURE if rec["agree"] is False else EXIT_OK, "_rec": rec,
           "_exact_known": exact is not None}
    missing, undecided = _missing_partials(expr, point, fv, x0, hessian) \
        if _nonsmooth(expr) else ([], [])
    if missing:
        out.update(value=None, method=None, error=None, differentiable=False,
                   missing=[{"name": n, "left": s["-"]["value"], "right": s["+"]["value"]}
                            for n, s in missing], _missing=missing, _status=EXIT_FAILURE)
    elif undecided and rec["agree"] is not False:
        out["agreement"]["agree"] = None
        out.update(differentiable=None, undecided=undecided, _status=EXIT_FAILURE)
    return out


def _ad_coefficients(fn, a, order):
    out = []
    for k in range(order + 1):
        out.append(float(dfdx.derivative(fn, n=k)(a)) / math.factorial(k))
    return out


def _cmd_taylor(args):
    from dfdx._cli_text import side_text
    expr = _expression(args.expr, _at_names(args))
    if args.order < 0 or args.order > 30:
        raise UsageError(f"--order must be between 0 and 30, got {args.order}")
    names = _names(expr)
    var = _wrt(args, expr)
    if len(names) > 1 and var in names:
        raise UsageError(f"{args.expr!r} has several variables ({', '.join(names)}); "
                         "a Taylor polynomial here is in one variable")
    point, side = _at(args.at, expr, [var], side_ok=True)
    if side:
        raise UsageError(f"--at {args.at}: a Taylor polynomial is about a point, not one side "
                         "of it")
    at = point[var]
    fn = _function(expr, [var])
    _check_domain(expr, point, fn, [var])
    a = float(at)
    got, exact_failed = _exact(_exact_taylor, expr, var, at, args.order)
    poly, exact_coeffs = got if got is not None else (None, None)
    if exact_coeffs is not None and poly is None:
        k = len(exact_coeffs) - 1
        raise MathFailure(f"{expr} has no Taylor series about {var} = {at}: its derivative of "
                          f"order {k} is {exact_coeffs[-1] * math.factorial(k)} there")
    if _nonsmooth(expr) and args.order >= 1:
        g = _partial(fn, [var], [a], var)
        for k in range(1, min(args.order, 2) + 1):
            sides = _one_sided(expr, var, k, point, g, a)
            ok, _ = _sides_verdict(sides)
            if ok is False:
                raise MathFailure(f"{expr} has no Taylor series about {var} = {at}: it is not "
                                  f"{k} times differentiable there (left "
                                  f"{side_text(sides['-'])}, right {side_text(sides['+'])})")
    ad, ad_failed = (None, f"nested AD is limited to order {AD_MAX_ORDER}") \
        if args.order > AD_MAX_ORDER else _try(lambda: _ad_coefficients(fn, a, args.order))
    if exact_coeffs is None and ad is None:
        raise MathFailure(f"no Taylor polynomial in time: exact route {exact_failed}; AD "
                          f"{ad_failed}")
    coeffs, worst = [], 0.0
    from dfdx.result import agree
    verdicts = []
    for k in range(args.order + 1):
        ex = None if exact_coeffs is None else exact_coeffs[k]
        ef = None if ex is None else _to_float(ex)
        adk = None if ad is None else ad[k]
        if adk is not None and ef is not None and math.isfinite(ef):
            worst = max(worst, abs(adk - ef) / max(1.0, abs(ef)))
            verdicts.append(agree(adk, ef))
        coeffs.append({"k": k, "exact": None if ex is None else str(ex), "exact_float": ef,
                       "ad": adk, "ad_failed": ad_failed})
    agreed = all(v is not False for v in verdicts)
    return {"command": "taylor", "expr": str(expr), "at": str(at), "order": args.order,
            "polynomial": None if poly is None else str(poly),
            "method": "exact" if poly is not None else "automatic", "error": 0.0,
            "coefficients": coeffs, "agreement": {"ad_vs_exact": worst, "agree": agreed},
            "_status": EXIT_OK if agreed else EXIT_FAILURE, "_var": var,
            "_exact_failed": exact_failed, "_ad_failed": ad_failed if ad is None else None}


def _cmd_check(args):
    expr, point, fv, x0 = _at_point(args)
    recs = {"gradient": _gradient_record(expr, point, fv, x0)[1]}
    if args.order >= 2:
        recs["hessian"] = _gradient_record(expr, point, fv, x0, hessian=True)[1]
    # Forward and reverse mode against each other and against finite differences, along
    # random directions (dfdx.check_grad), to the same order.
    got, why = _try(lambda: _check_grad(fv, x0, args.order))
    if got is None:
        modes, modes_note = None, f"not run ({why})"
    else:
        modes, modes_note = got
    exact_confirms = all(
        r["pairs"].get("exact-ad", r["pairs"].get("ad-exact")) is True for r in recs.values())
    if modes is False and exact_confirms:
        # why: AD equals the exact derivative, so the rules are right; the finite differences
        # along random directions are what cannot resolve f here (large arguments, rounding)
        modes, modes_note = None, ("inconclusive: the finite differences along random "
                                   "directions disagree, but AD equals the exact derivative, so "
                                   "the numeric side cannot resolve f here")
    missing, undecided = _check_kink(expr, point, fv, x0, args.order >= 2)
    agree = all(r["agree"] is not False for r in recs.values()) and modes is not False \
        and not missing
    if agree and undecided:
        agree = None
    out = {"command": "check", "expr": str(expr), "at": {k: str(v) for k, v in point.items()},
           "order": args.order, "agree": agree,
           "check_grad": {"agree": modes, "message": modes_note},
           **{k: _record_json(r) for k, r in recs.items()},
           "_status": EXIT_OK if agree else EXIT_FAILURE, "_recs": recs, "_missing": missing}
    if missing:
        out["differentiable"] = False
    elif agree is None:
        out.update(differentiable=None, undecided=undecided)
    return out


def _check_kink(expr, point, fv, x0, hessian=False):
    """At a kink of f the agreeing central answers are a convention: say so.

    The one-sided partial derivatives decide (`_missing_partials`).

    Returns:
        ``(missing, undecided)`` (`_missing_partials`): the partials that do not
        exist, and those whose existence could not be decided (then agreement
        is undecided).
    """
    if not _nonsmooth(expr):
        return [], []
    return _missing_partials(expr, point, fv, x0, hessian)


def _check_grad(fv, x0, order):
    try:
        dfdx.check_grad(fv, x0, order=order)
        return True, "forward mode, reverse mode and finite differences agree"
    except AssertionError as exc:
        return False, _first_line(exc)


def _pair(text, what):
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        raise UsageError(f"{what} needs two numbers LO,HI, got {text!r}")
    lo, hi = (_to_float(_number(p, what)) for p in parts)
    if lo is None or hi is None or not lo < hi or not (math.isfinite(lo) and math.isfinite(hi)):
        raise UsageError(f"{what} {text!r}: need finite LO < HI")
    return lo, hi


def _plot_at(text, expr, names):
    point, _ = _at(text, expr, names or ["x"])
    if len(point) != 1:
        raise UsageError(f"--at {text}: this picture takes a point in one variable")
    return float(next(iter(point.values())))


def _cmd_plot(args):
    expr = _expression(args.expr, _at_names(args))
    names = _names(expr)
    suffix = os.path.splitext(args.output)[1].lower()
    if suffix not in ("", ".png", ".svg", ".pdf"):
        raise UsageError(f"-o {args.output}: cannot write a {suffix} picture; use .png, .svg or "
                         ".pdf (no suffix writes .png and .svg)")
    kind = args.kind
    if kind == "auto":
        kind = "field" if len(names) == 2 else "derivatives"
    if kind == "field" and len(names) > 2 or kind != "field" and len(names) > 1:
        raise UsageError(f"{args.expr!r} has variables {', '.join(names)}; the {kind} picture "
                         f"takes {'two' if kind == 'field' else 'one'}")
    with _step() as step:
        try:
            return _draw(args, expr, names, kind)
        except dfdx.BudgetExceeded:
            raise MathFailure(f"the picture ran out of time ({step.timeout:g} s per figure; "
                              "raise it with --timeout)") from None


def _step():
    """The step-wise budget of plot, train and tour: ``--timeout`` seconds per step."""
    from dfdx._budget import step_budget
    return step_budget(_TIMEOUT[0])


def _draw(args, expr, names, kind):
    plot = dfdx.plot      # matplotlib itself is imported when the picture is drawn
    text = str(expr)
    at = None if args.at is None else args.at
    xlim = _pair(args.range, "--range") if args.range else None
    if kind == "derivatives":
        a = None if at is None else _plot_at(at, expr, names)
        fig = plot.derivatives(text, at=a, xlim=xlim or (-3.0, 3.0), order=args.order)
    elif kind in ("limit", "continuity"):
        if at is None:
            raise UsageError(f"the {kind} picture needs --at A")
        a = _plot_at(at, expr, names)
        fig = (plot.limit if kind == "limit" else plot.discontinuity)(text, a)
    elif kind == "step-error":
        if at is None:
            raise UsageError("the step-error picture needs --at A")
        a = _plot_at(at, expr, names)
        p, _ = _at(at, expr, names or ["x"])
        _check_domain(expr, p, _function(expr, list(p)), list(p))
        fig = plot.step_error(text, a)
    else:
        pt = None
        if at is not None:
            p, _ = _at(at, expr, names)
            pt = tuple(float(v) for v in p.values())
        ylim = _pair(args.yrange, "--yrange") if args.yrange else (-2.0, 2.0)
        fig = plot.gradient_field(text, xlim or (-2.0, 2.0), ylim, at=pt)
    files = [str(p) for p in plot.save(fig, args.output)]
    return {"command": "plot", "expr": text, "kind": kind, "files": files, "_status": EXIT_OK}


def _cmd_train(args):
    if args.epochs < 1 or args.hidden < 1:
        raise UsageError("--epochs and --hidden must be at least 1")
    try:
        with _step() as step:
            res = dfdx.nn.train_digits(epochs=args.epochs, hidden=(args.hidden,), lr=args.lr,
                                       seed=args.seed, progress=False if args.json else "lines",
                                       stream=sys.stderr, on_epoch=lambda record: step.rearm())
    except ImportError as exc:
        raise MathFailure(str(exc).splitlines()[0]) from None
    except dfdx.BudgetExceeded:
        raise MathFailure(f"training ran out of time: an epoch took more than {_TIMEOUT[0]:g} s "
                          "(raise it with --timeout)") from None
    out = {"command": "train", "test_accuracy": res.test_accuracy,
           "train_accuracy": res.train_accuracy, "seconds": res.seconds, "config": res.config,
           "history": res.history, "_status": EXIT_OK, "_hidden": args.hidden,
           "_epochs": args.epochs}
    if args.output:
        try:
            fig = dfdx.plot.training(res.history)
        except ImportError as exc:
            raise MathFailure(str(exc).splitlines()[0]) from None
        out["files"] = [str(p) for p in dfdx.plot.save(fig, args.output)]
    return out


def _cmd_tour(args):
    from dfdx import tour
    status = tour.run(out=args.out, quick=args.quick, step_timeout=_TIMEOUT[0])
    return {"command": "tour", "_status": status, "_printed": True}


_COMMANDS = {"limit": _cmd_limit, "continuity": _cmd_continuity, "diff": _cmd_diff,
             "grad": _cmd_grad, "hessian": lambda a: _cmd_grad(a, hessian=True),
             "taylor": _cmd_taylor, "check": _cmd_check, "plot": _cmd_plot, "train": _cmd_train,
             "tour": _cmd_tour}


def main(argv=None) -> int:
    """Run the `dfdx` command line; return the exit status (0 ok, 1 failure, 2 bad input).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 when the mathematics failed, 2 for bad input.

    Example:
        >>> from dfdx.cli import main
        >>> main(["limit", "sin(x", "--at", "0"])
        2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    want_json = "--json" in argv
    # why: a route reports inf/nan and overflow itself; no raw Python warning reaches the user
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _main(argv, want_json)


def _main(argv, want_json):
    try:
        try:
            args, extra = parser().parse_known_args(argv)
        except SystemExit as exc:      # --help and --version
            return int(exc.code or 0)
        if extra:
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} "
                             f"(see 'dfdx {args.command} --help')")
        if args.timeout is None:
            args.timeout = STEP_TIMEOUT if args.command in _STEPWISE else DEFAULT_TIMEOUT
        if not (args.timeout > 0 and math.isfinite(args.timeout)):
            raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
        _TIMEOUT[0] = args.timeout
        _DEADLINE[0] = None if args.command in _STEPWISE else time.monotonic() + args.timeout
        _load()
        # why: after NumPy, which the child's dfdx.symbolic imports too: forked, it has it free
        fast = _fast_start(args)
        try:
            with np.errstate(all="ignore"):
                got = None if fast is None else _fast_diff(args, *fast)
                record = got if got is not None else _COMMANDS[args.command](args)
                from dfdx._cli_text import render
                shown = render(record, args.json)
        finally:
            if fast is not None:
                fast[1].close()
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc), want_json)
    except dfdx.ParseError as exc:
        return _fail(EXIT_USAGE, f"cannot parse: {_first_line(exc)}", want_json)
    except dfdx.DomainError as exc:
        return _fail(EXIT_USAGE, _first_line(exc), want_json)
    except (MathFailure, dfdx.DfdxError, ArithmeticError, ValueError, NotImplementedError,
            ImportError) as exc:
        if os.environ.get("DFDX_TRACEBACK"):
            raise
        return _fail(EXIT_FAILURE, _first_line(exc), want_json)
    except KeyboardInterrupt:
        return _fail(EXIT_FAILURE, "interrupted", want_json)
    except Exception as exc:   # why: never a traceback; name the failure in one line
        if os.environ.get("DFDX_TRACEBACK"):
            raise
        return _fail(EXIT_FAILURE, f"internal error ({type(exc).__name__}: {_first_line(exc)}); "
                     "set DFDX_TRACEBACK=1 to see where", want_json)
    finally:
        _TIMEOUT[0] = DEFAULT_TIMEOUT
        _DEADLINE[0] = None
    if shown is not None:
        print(shown)
    return record["_status"]


def _fail(status, message, want_json):
    message = " ".join(message.split())
    if want_json:
        from dfdx._cli_text import json_text
        print(json_text({"error": message}, status))
    print(f"dfdx: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
