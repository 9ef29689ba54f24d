"""The `dfdx` command: single calculations from a shell, and the tour.

Each subcommand reads an expression with the safe parser (never ``eval``),
computes its answer with dfdx's public API and prints the exact result where
there is one, its float value, the method and the error estimate; where the
three methods (automatic, exact, numeric) all apply they are shown side by
side with their agreement. ``--json`` prints one JSON object instead.

Exit status: 0 success; 1 a mathematical failure (the methods disagree, a
limit cannot be decided, a computation failed); 2 bad input (a parse error,
a point outside the domain, an unknown option) — reported in one line,
without a traceback.

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

import argparse
import json
import math
import os
import sys

import numpy as np

import dfdx

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


class MathFailure(Exception):
    """The calculation could not give a trustworthy answer: exit status 1."""


# -- reading the command line ------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _expression(text):
    """Parse an expression safely; a `ParseError` becomes one line naming the column."""
    try:
        return dfdx.symbolic.parse(text)
    except dfdx.ParseError as exc:
        reason = str(exc).splitlines()[0]
        where = f" at column {exc.position + 1}" if exc.position is not None else ""
        raise UsageError(f"cannot parse {text!r}{where}: {reason}") from None


def _names(expr):
    return sorted(s.name for s in expr.free_symbols)


def _number(text, what):
    """Read one exact number (``1``, ``-0.5``, ``pi/2``, ``oo``) for `what`."""
    try:
        value = dfdx.symbolic.parse(text)
    except dfdx.ParseError as exc:
        raise UsageError(f"cannot read {what} {text!r}: {str(exc).splitlines()[0]}") from None
    if value.free_symbols:
        raise UsageError(f"{what} {text!r} must be a number such as 1, -0.5 or pi/2, but it "
                         f"contains {', '.join(sorted(s.name for s in value.free_symbols))}")
    return value


def _point(text, expr, names=None):
    """Read ``--at x=1,y=2`` (or ``--at 1`` for one variable) into ``{name: exact}``.

    Returns:
        An ordered dict from variable name to its exact value; the variables
        are those named (in that order), and must cover the expression's.
    """
    free = _names(expr)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise UsageError(f"--at needs a point such as x=1 or x=1,y=2, got {text!r}")
    point = {}
    if all("=" not in p for p in parts):
        order = list(names or free or ["x"])
        if len(parts) != len(order):
            raise UsageError(f"--at {text!r} gives {len(parts)} value(s) but the expression has "
                             f"variables ({', '.join(order) or 'none'}); write them by name, "
                             f"e.g. --at {','.join(f'{n}=1' for n in order) or 'x=1'}")
        for name, p in zip(order, parts):
            point[name] = _number(p, f"the value of {name}")
    else:
        for p in parts:
            if "=" not in p:
                raise UsageError(f"--at {text!r}: write every coordinate as name=value "
                                 f"(e.g. x=1,y=2), not {p!r}")
            name, value = (s.strip() for s in p.split("=", 1))
            if not name.isidentifier():
                raise UsageError(f"--at {text!r}: {name!r} is not a variable name")
            if name in point:
                raise UsageError(f"--at {text!r} gives {name} twice")
            point[name] = _number(value, f"the value of {name}")
    missing = [n for n in free if n not in point]
    if missing:
        raise UsageError(f"--at gives no value for {', '.join(missing)}; add "
                         f"{','.join(f'{n}=...' for n in missing)}")
    for name, value in point.items():
        if not _finite(value):
            raise UsageError(f"--at {name}={value}: a derivative needs a finite point")
    return point


def _finite(exact):
    try:
        return math.isfinite(float(exact))
    except (TypeError, ValueError):
        return False


def _to_float(exact):
    """Return the float of an exact SymPy value; None when it is not a real number."""
    try:
        return float(exact)
    except (TypeError, ValueError):
        try:
            value = complex(exact.evalf(17))
        except (TypeError, ValueError, AttributeError):
            return None
        return value.real if value.imag == 0 else None


def _substitute(expr, point):
    """Evaluate an exact expression at an exact point (names → values)."""
    table = {s: point[s.name] for s in expr.free_symbols if s.name in point}
    return expr.subs(table) if table else expr


def _function(expr, names):
    """Return the expression as a NumPy function of the variables `names` (positional).

    `dfdx.symbolic.compile` prints only NumPy calls that AD can trace
    (``np.where`` for a Piecewise), so AD differentiates the same code that the
    numeric method evaluates.
    """
    try:
        return dfdx.symbolic.compile(expr, names)
    except ValueError as exc:
        raise MathFailure(f"AD and numeric differentiation cannot evaluate {expr}: "
                          f"{str(exc).splitlines()[0]}") from None


def _check_domain(expr, point):
    """Raise `dfdx.DomainError` when f is not real and finite at the point."""
    value = _to_float(_substitute(expr, point))
    if value is None or not math.isfinite(value):
        where = ", ".join(f"{k} = {v}" for k, v in point.items())
        raise dfdx.DomainError(f"{where} is outside the domain of {expr}: f is "
                               f"{'not a real number' if value is None else value} there")


# -- three methods side by side ----------------------------------------------------------------

def _try(fn):
    """Run `fn`; return ``(value, None)`` or ``(None, reason)`` for a derivative that failed."""
    try:
        with np.errstate(all="ignore"):
            return fn(), None
    except dfdx.TracerConversionError as exc:
        # why: the expression holds a function that compile evaluates with math.* (erf,
        # gamma); AD can never trace it, so there is no AD value to compare: exit 1.
        raise MathFailure("AD cannot differentiate this expression: "
                          f"{str(exc).splitlines()[0]}") from None
    except (dfdx.DfdxError, ArithmeticError, ValueError, TypeError, NotImplementedError) as exc:
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _compare(exact, ad, numeric):
    """Compare exact / AD / numeric values of the same array; return the agreement record.

    Args:
        exact: float array or None.
        ad: float array or None.
        numeric: an `Estimate` or None.
    """
    rec = {"ad_vs_exact": None, "numeric_vs_exact": None, "ad_vs_numeric": None, "agree": None}
    checks = []
    scale = 1.0
    if exact is not None:
        exact = np.asarray(exact, dtype=float)
        scale = max(1.0, float(np.max(np.abs(exact[np.isfinite(exact)]), initial=0.0)))
    if ad is not None and exact is not None:
        ad = np.asarray(ad, dtype=float)
        same = (ad == exact) | (np.abs(ad - exact) <= 1e-9 * scale)
        with np.errstate(invalid="ignore"):
            rec["ad_vs_exact"] = float(np.nanmax(np.where(ad == exact, 0.0, np.abs(ad - exact))))
        checks.append(bool(np.all(same)))
    if numeric is not None:
        value = np.asarray(numeric.value, dtype=float)
        err = np.asarray(numeric.error, dtype=float)
        ref = exact if exact is not None else (None if ad is None else np.asarray(ad, dtype=float))
        if ref is not None and np.all(np.isfinite(ref)):
            diff = float(np.max(np.abs(value - ref)))
            rec["numeric_vs_exact" if exact is not None else "ad_vs_numeric"] = diff
            tol = np.maximum(10 * np.nan_to_num(err, nan=0.0, posinf=np.inf), 1e-6 * scale)
            checks.append(bool(np.all(np.abs(value - ref) <= tol)))
    rec["agree"] = all(checks) if checks else None
    return rec


def _three_ways(exact_expr, point, ad_fn, numeric_fn):
    """Compute one quantity exactly, by AD and numerically at `point`; return a record."""
    exact_at = None
    exact_float = None
    if exact_expr is not None:
        exact_at = exact_expr.applyfunc(lambda e: _substitute(e, point)) \
            if hasattr(exact_expr, "applyfunc") else _substitute(exact_expr, point)
        if hasattr(exact_at, "tolist"):
            floats = [[_to_float(v) for v in row] for row in exact_at.tolist()]
            if all(v is not None for row in floats for v in row):
                exact_float = np.array(floats, dtype=float)
        else:
            f = _to_float(exact_at)
            exact_float = None if f is None else np.array(f)
    ad, ad_failed = _try(ad_fn)
    numeric, numeric_failed = _try(numeric_fn)
    if ad is not None:
        ad = np.asarray(ad, dtype=float)
    if exact_float is not None:
        shape = np.shape(ad) if ad is not None else (np.shape(numeric.value) if numeric else None)
        if shape is not None and exact_float.size == int(np.prod(shape)):
            exact_float = exact_float.reshape(shape)
    rec = _compare(exact_float, ad, numeric)
    return {"exact": exact_at, "exact_float": exact_float, "ad": ad, "ad_failed": ad_failed,
            "numeric": numeric, "numeric_failed": numeric_failed, **rec}


# -- printing ----------------------------------------------------------------------------------

def _fmt(v):
    """Format a float, or an array of floats as nested brackets on one line."""
    if v is None:
        return "-"
    a = np.asarray(v, dtype=float)
    if a.ndim:
        return "[" + ", ".join(_fmt(x) for x in a) + "]"
    x = float(a)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return repr(x) if abs(x) < 1e16 else f"{x:.6e}"


def _fmt_exact(e):
    if e is None:
        return "-"
    if hasattr(e, "tolist"):
        rows = e.tolist()
        if len(rows) and all(len(r) == 1 for r in rows):
            return "(" + ", ".join(str(r[0]) for r in rows) + ")"
        return "[" + "; ".join(", ".join(str(v) for v in r) for r in rows) + "]"
    return str(e)


def _plain_number(e):
    """Whether an exact value already reads as its float (an integer or a terminating decimal)."""
    return getattr(e, "is_Integer", False)


def _jsonable(v):
    """Turn results into JSON: floats (inf/nan as strings), lists, exact values as strings."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (float, np.floating)):
        x = float(v)
        return x if math.isfinite(x) else str(x)
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dfdx.Estimate):
        return {"value": _jsonable(np.asarray(v.value, dtype=float)),
                "error": _jsonable(np.asarray(v.error, dtype=float)), "nfev": v.nfev,
                "method": v.method}
    if hasattr(v, "tolist") and hasattr(v, "shape"):   # a SymPy Matrix
        return _jsonable([[str(x) for x in row] for row in v.tolist()])
    return str(v)


def _methods_rows(rec, indent="  "):
    """Lines showing the exact, AD and numeric values of one record."""
    lines = [f"{indent}exact      {_fmt_exact(rec['exact'])}"]
    if rec["exact"] is not None and rec["exact_float"] is None:
        lines[-1] += "  (not a finite real number)"
    if rec["exact_float"] is not None and not _plain_number(rec["exact"]):
        lines[-1] += f"  = {_fmt(rec['exact_float'])}"
    if rec["ad"] is not None:
        diff = "" if rec["ad_vs_exact"] is None else f"|AD - exact| = {rec['ad_vs_exact']:.3g}"
        lines.append(f"{indent}AD         {_fmt(rec['ad']):<22} {diff}".rstrip())
    else:
        lines.append(f"{indent}AD         not available ({rec['ad_failed']})")
    if rec["numeric"] is not None:
        est = rec["numeric"]
        err = np.max(np.asarray(est.error, dtype=float))
        diff = rec["numeric_vs_exact"] if rec["numeric_vs_exact"] is not None \
            else rec["ad_vs_numeric"]
        vs = "exact" if rec["numeric_vs_exact"] is not None else "AD"
        tail = "" if diff is None else f"; |numeric - {vs}| = {diff:.3g}"
        lines.append(f"{indent}numeric    {_fmt(est.value)} ± {err:.2g} "
                     f"({est.nfev} evaluations{tail})")
    else:
        lines.append(f"{indent}numeric    not available ({rec['numeric_failed']})")
    return lines


def _verdict(rec):
    if rec["agree"] is None:
        return "only one method applies"
    return "the three methods agree" if rec["agree"] else (
        "THE METHODS DISAGREE (is f differentiable here? at a kink or a jump the one-sided "
        "derivatives differ)")


def _summary(rec):
    """Return (value, method, error) of the best answer in a record: exact, else AD, else numeric."""
    if rec["exact_float"] is not None:
        return rec["exact_float"], "exact", 0.0
    if rec["ad"] is not None:
        return rec["ad"], "automatic", 0.0
    if rec["numeric"] is not None:
        return (np.asarray(rec["numeric"].value, dtype=float), "numeric",
                float(np.max(np.asarray(rec["numeric"].error, dtype=float))))
    raise MathFailure("no method could compute this derivative: "
                      f"AD: {rec['ad_failed']}; numeric: {rec['numeric_failed']}")


def _record_json(rec):
    value, method, error = _summary(rec)
    return {"value": value, "method": method, "error": error, "exact": _fmt_exact(rec["exact"]),
            "methods": {"exact": rec["exact_float"], "ad": rec["ad"],
                        "ad_failed": rec["ad_failed"], "numeric": rec["numeric"],
                        "numeric_failed": rec["numeric_failed"]},
            "agreement": {"ad_vs_exact": rec["ad_vs_exact"],
                          "numeric_vs_exact": rec["numeric_vs_exact"],
                          "ad_vs_numeric": rec["ad_vs_numeric"], "agree": rec["agree"]}}


def _where(point):
    return ", ".join(f"{k} = {v}" for k, v in point.items())


# -- subcommands -------------------------------------------------------------------------------

def _sides(res):
    if res.left is None and res.right is None:
        return ""
    return f"from the left {_fmt(res.left)}, from the right {_fmt(res.right)}"


def _route_check(verify, describe):
    """Lines and status for the second route (``verify=True``): does it agree with the first?"""
    if not verify:
        return [], None
    other = verify["numeric"] if verify.get("exact") is not None else None
    if other is None:
        return [f"  (only one route answered: {verify.get('detail', '')})"], None
    verdict = {True: "the exact and numeric routes agree", None: "the numeric route is undecided",
               False: "THE EXACT AND NUMERIC ROUTES DISAGREE"}[verify["agree"]]
    return [f"  numeric route: {describe(other)} - {verdict}"], verify["agree"]


def _describe_limit(r):
    if r.exists and r.value is not None:
        err = "" if r.error is None or math.isnan(r.error) else f" ± {r.error:.1g}"
        return f"{_fmt(r.value)}{err}"
    what = "does not exist" if r.exists is False else "undecided"
    return f"{what}" + (f" ({_sides(r)})" if _sides(r) else "")


def _one_variable(args, what):
    """Read the expression and ``--at`` of a question in one variable; return (expr, var, at)."""
    expr = _expression(args.expr)
    names = _names(expr)
    if len(names) > 1:
        raise UsageError(f"{args.expr!r} has several variables ({', '.join(names)}); "
                         f"{what} here is in one variable")
    return expr, names[0] if names else "x", _number(args.at, "the point --at")


def _cmd_limit(args):
    expr, var, at = _one_variable(args, "a limit")
    res = dfdx.limit(expr, at, dir=args.dir, verify=True)
    verify = res.info.get("verify") if res.info else None
    arrow = {"+-": "", "+": "+", "-": "-"}[args.dir]
    lines = [f"lim {str(expr)} as {var} → {at}{arrow}"]
    if res.exists and res.value is not None:
        exact = "" if res.exact is None else f"{res.exact}  = "
        lines.append(f"  = {exact}{_fmt(res.value)}   (method: {res.method}, "
                     f"error {res.error:.2g})")
        if args.dir == "+-" and _sides(res):
            lines.append(f"  {_sides(res)}")
    elif res.exists is False:
        sides = f": {_sides(res)}" if _sides(res) else ""
        lines.append(f"  the limit does not exist{sides}   (method: {res.method})")
    else:
        sides = f": {_sides(res)}" if _sides(res) else ""
        lines.append(f"  undecided{sides}   (method: {res.method})")
    if res.message:
        lines.append(f"  {res.message}")
    more, agree = _route_check(verify, _describe_limit)
    lines += more
    out = {"command": "limit", "expr": str(expr), "at": str(at), "dir": args.dir,
           "exists": res.exists, "value": res.value,
           "exact": None if res.exact is None else str(res.exact),
           "left": res.left, "right": res.right, "method": res.method, "error": res.error,
           "message": res.message, "routes_agree": agree}
    status = EXIT_FAILURE if res.exists is None or agree is False else EXIT_OK
    return out, lines, status


def _cmd_continuity(args):
    expr, var, at = _one_variable(args, "continuity")
    if not _finite(at):
        raise UsageError(f"continuity is a property of a finite point, not --at {args.at}")
    res = dfdx.continuity(expr, at, verify=True)
    lim = res.limit
    verify = lim.info.get("verify") if lim is not None and lim.info else None
    verdict = {True: "continuous", False: "not continuous", None: "undecided"}[res.continuous]
    lines = [f"{str(expr)} at {var} = {at}: {verdict} (kind: {res.kind}, method: {res.method})",
             f"  f({at}) = {_fmt(res.value) if res.defined else 'undefined'}"]
    if lim is not None and _sides(lim):
        lines.append(f"  limit {_sides(lim)}")
    if res.message:
        lines.append(f"  {res.message}")
    more, agree = _route_check(verify, lambda r: f"{r.kind}")
    lines += more
    out = {"command": "continuity", "expr": str(expr), "at": str(at),
           "continuous": res.continuous, "kind": res.kind, "value": res.value,
           "defined": res.defined, "method": res.method, "message": res.message,
           "left": None if lim is None else lim.left, "right": None if lim is None else lim.right,
           "limit": None if lim is None else lim.value, "routes_agree": agree}
    status = EXIT_FAILURE if res.continuous is None or agree is False else EXIT_OK
    return out, lines, status


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


def _cmd_diff(args):
    expr = _expression(args.expr)
    if args.n < 0:
        raise UsageError(f"-n must be >= 0, got {args.n}")
    point = _point(args.at, expr) if args.at else None
    var = _wrt(args, expr, point)
    if point is not None and var not in point:
        raise UsageError(f"--at gives no value for {var}; add {var}=...")
    exact = dfdx.symbolic.diff(expr, var, n=args.n)
    order = "" if args.n == 1 else str(args.n).translate(_SUPERSCRIPT)
    head = [f"f({', '.join(point or _names(expr) or ['x'])}) = {str(expr)}",
            f"d{order}/d{var}{order} f = {exact}"]
    out = {"command": "diff", "expr": str(expr), "wrt": var, "n": args.n,
           "derivative": str(exact)}
    if point is None:
        out.update(value=None, method="exact", error=0.0)
        return out, head, EXIT_OK
    _check_domain(expr, point)
    names = list(point)
    point_f = [float(point[n]) for n in names]
    fn = _function(expr, names)
    g = _partial(fn, names, point_f, var)
    t0 = point_f[names.index(var)]
    rec = _three_ways(exact, point, lambda: dfdx.derivative(g, n=args.n)(t0),
                      lambda: dfdx.numeric.derivative(g, t0, n=args.n))
    value, method, error = _summary(rec)
    out.update(at={k: str(v) for k, v in point.items()}, **_record_json(rec))
    lines = head + [f"at {_where(point)}:"] + _methods_rows(rec)
    lines.append(f"value: {_fmt(value)} (method: {method}, error {error:.2g}) - {_verdict(rec)}")
    return out, lines, EXIT_FAILURE if rec["agree"] is False else EXIT_OK


def _at_point(args):
    """Read the expression and ``--at`` point of a gradient question.

    Returns:
        ``(expr, point, fv, x0)``: `fv` is f as a function of one vector, `x0`
        the point as floats, both in the order of `point`.
    """
    expr = _expression(args.expr)
    point = _point(args.at, expr)
    _check_domain(expr, point)
    names = list(point)
    fn = _function(expr, names)
    x0 = np.array([float(point[n]) for n in names])
    return expr, point, lambda v: fn(*[v[i] for i in range(len(names))]), x0


def _gradient_record(expr, point, fv, x0, hessian=False):
    """Return the exact gradient (or Hessian) and its record at the point: exact, AD, numeric."""
    exact_fn, ad_fn, numeric_fn = (
        (dfdx.symbolic.hessian, dfdx.hessian, dfdx.numeric.hessian) if hessian
        else (dfdx.symbolic.gradient, dfdx.grad, dfdx.numeric.gradient))
    exact = exact_fn(expr, wrt=list(point))
    return exact, _three_ways(exact, point, lambda: ad_fn(fv)(x0), lambda: numeric_fn(fv, x0))


def _cmd_grad(args, hessian=False):
    expr, point, fv, x0 = _at_point(args)
    names = list(point)
    exact, rec = _gradient_record(expr, point, fv, x0, hessian)
    what = "Hessian" if hessian else "gradient"
    value, method, error = _summary(rec)
    out = {"command": "hessian" if hessian else "grad", "expr": str(expr),
           "variables": names, "at": {k: str(v) for k, v in point.items()},
           "symbolic": _fmt_exact(exact), **_record_json(rec)}
    lines = [f"f({', '.join(names)}) = {str(expr)}",
             f"{what} = {_fmt_exact(exact)}", f"at {_where(point)}:"] + _methods_rows(rec)
    lines.append(f"value: {_fmt(value)} (method: {method}, error {error:.2g}) - {_verdict(rec)}")
    return out, lines, EXIT_FAILURE if rec["agree"] is False else EXIT_OK


def _cmd_taylor(args):
    expr = _expression(args.expr)
    if args.order < 0 or args.order > 30:
        raise UsageError(f"--order must be between 0 and 30, got {args.order}")
    names = _names(expr)
    var = _wrt(args, expr)
    if len(names) > 1 and var in names:
        raise UsageError(f"{args.expr!r} has several variables ({', '.join(names)}); "
                         "a Taylor polynomial here is in one variable")
    at = _number(args.at, "the point --at")
    if not _finite(at):
        raise UsageError("--at must be a finite point for a Taylor polynomial")
    point = {var: at}
    _check_domain(expr, point)
    poly = dfdx.symbolic.taylor(expr, at, args.order, var=var)
    a = float(at)
    fn = _function(expr, [var])
    # The coefficients f⁽ᵏ⁾(a)/k!, exactly and by AD (any order, nested forward mode).
    coeffs = []
    worst = 0.0
    for k in range(args.order + 1):
        exact_k = _substitute(dfdx.symbolic.diff(expr, var, n=k), point) / math.factorial(k)
        ad_k, failed = _try(lambda k=k: float(dfdx.derivative(fn, n=k)(a)) / math.factorial(k))
        ef = _to_float(exact_k)
        if ad_k is not None and ef is not None and math.isfinite(ef):
            worst = max(worst, abs(ad_k - ef) / max(1.0, abs(ef)))
        coeffs.append({"k": k, "exact": str(exact_k), "exact_float": ef, "ad": ad_k,
                       "ad_failed": failed})
    agree = worst <= 1e-9
    out = {"command": "taylor", "expr": str(expr), "at": str(at), "order": args.order,
           "polynomial": str(poly), "method": "exact", "error": 0.0, "coefficients": coeffs,
           "agreement": {"ad_vs_exact": worst, "agree": agree}}
    lines = [f"Taylor polynomial of {str(expr)} about {var} = {at}, order {args.order}:",
             f"  {poly}", "  k   exact coefficient        AD coefficient"]
    for c in coeffs:
        lines.append(f"  {c['k']:<3} {c['exact']:<24} {_fmt(c['ad']) if c['ad'] is not None else 'n/a'}")
    lines.append(f"method: exact - coefficients by AD agree to {worst:.2g}" if agree
                 else f"THE AD COEFFICIENTS DISAGREE (worst relative difference {worst:.2g})")
    return out, lines, EXIT_OK if agree else EXIT_FAILURE


def _cmd_check(args):
    expr, point, fv, x0 = _at_point(args)
    names = list(point)
    recs = {"gradient": _gradient_record(expr, point, fv, x0)[1]}
    if args.order >= 2:
        recs["hessian"] = _gradient_record(expr, point, fv, x0, hessian=True)[1]
    # Forward and reverse mode against each other and against finite differences, along
    # random directions (dfdx.check_grad), to the same order.
    try:
        with np.errstate(all="ignore"):
            dfdx.check_grad(fv, x0, order=args.order)
        modes, modes_note = True, "forward mode, reverse mode and finite differences agree"
    except AssertionError as exc:
        modes, modes_note = False, str(exc).splitlines()[0]
    except (dfdx.DfdxError, ArithmeticError, ValueError, TypeError) as exc:
        modes, modes_note = None, f"not run ({type(exc).__name__}: {str(exc).splitlines()[0]})"
    agree = all(r["agree"] is not False for r in recs.values()) and modes is not False
    out = {"command": "check", "expr": str(expr), "at": {k: str(v) for k, v in point.items()},
           "order": args.order, "agree": agree,
           "check_grad": {"agree": modes, "message": modes_note},
           **{k: _record_json(r) for k, r in recs.items()}}
    lines = [f"f({', '.join(names)}) = {str(expr)} at {_where(point)}"]
    for what, rec in recs.items():
        lines.append(f"{what}:")
        lines += _methods_rows(rec, "  ")
        lines.append(f"  {_verdict(rec)}")
    lines.append(f"dfdx.check_grad (order {args.order}): {modes_note}")
    lines.append("OK: AD, exact and numeric derivatives agree" if agree
                 else "FAILED: the methods disagree (see above)")
    return out, lines, EXIT_OK if agree else EXIT_FAILURE


def _pair(text, what):
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        raise UsageError(f"{what} needs two numbers LO,HI, got {text!r}")
    lo, hi = (_to_float(_number(p, what)) for p in parts)
    if lo is None or hi is None or not lo < hi:
        raise UsageError(f"{what} {text!r}: need LO < HI")
    return lo, hi


def _cmd_plot(args):
    expr = _expression(args.expr)
    names = _names(expr)
    kind = args.kind
    if kind == "auto":
        kind = "field" if len(names) == 2 else "derivatives"
    if kind == "field" and len(names) > 2 or kind != "field" and len(names) > 1:
        raise UsageError(f"{args.expr!r} has variables {', '.join(names)}; the {kind} picture "
                         f"takes {'two' if kind == 'field' else 'one'}")
    plot = dfdx.plot      # matplotlib itself is imported when the picture is drawn
    text = str(expr)
    at = None if args.at is None else args.at
    xlim = _pair(args.range, "--range") if args.range else None
    if kind == "derivatives":
        a = None if at is None else _to_float(_number(at, "--at"))
        fig = plot.derivatives(text, at=a, xlim=xlim or (-3.0, 3.0), order=args.order)
    elif kind in ("limit", "continuity"):
        if at is None:
            raise UsageError(f"the {kind} picture needs --at A")
        a = _to_float(_number(at, "--at"))
        fig = (plot.limit if kind == "limit" else plot.discontinuity)(text, a)
    elif kind == "step-error":
        if at is None:
            raise UsageError("the step-error picture needs --at A")
        a = _to_float(_number(at, "--at"))
        _check_domain(expr, {(names or ['x'])[0]: _number(at, '--at')})
        fig = plot.step_error(text, a)
    else:
        pt = None
        if at is not None:
            p = _point(at, expr, names)
            pt = tuple(float(v) for v in p.values())
        ylim = _pair(args.yrange, "--yrange") if args.yrange else (-2.0, 2.0)
        fig = plot.gradient_field(text, xlim or (-2.0, 2.0), ylim, at=pt)
    files = [str(p) for p in plot.save(fig, args.output)]
    out = {"command": "plot", "expr": text, "kind": kind, "files": files}
    return out, [f"wrote {f}" for f in files], EXIT_OK


def _cmd_train(args):
    if args.epochs < 1 or args.hidden < 1:
        raise UsageError("--epochs and --hidden must be at least 1")
    try:
        res = dfdx.nn.train_digits(epochs=args.epochs, hidden=(args.hidden,), lr=args.lr,
                                   seed=args.seed, progress=False if args.json else "lines",
                                   stream=sys.stderr)
    except ImportError as exc:
        raise MathFailure(str(exc).splitlines()[0]) from None
    out = {"command": "train", "test_accuracy": res.test_accuracy,
           "train_accuracy": res.train_accuracy, "seconds": res.seconds, "config": res.config,
           "history": res.history}
    lines = [f"trained an MLP (64-{args.hidden}-10) on the digits for {args.epochs} epochs in "
             f"{res.seconds:.1f} s: test accuracy {100 * res.test_accuracy:.1f}%, "
             f"final loss {res.history['loss'][-1]:.4f}"]
    if args.output:
        try:
            fig = dfdx.plot.training(res.history)
        except ImportError as exc:
            raise MathFailure(str(exc).splitlines()[0]) from None
        files = [str(p) for p in dfdx.plot.save(fig, args.output)]
        out["files"] = files
        lines += [f"wrote {f}" for f in files]
    return out, lines, EXIT_OK


def _cmd_tour(args):
    from dfdx import tour
    status = tour.run(out=args.out, quick=args.quick)
    return None, [], status


_EXAMPLES = {
    "limit": "dfdx limit 'sin(x)/x' --at 0\n  dfdx limit 'abs(x)/x' --at 0 --dir +\n"
             "  dfdx limit '(1 + 1/x)^x' --at oo",
    "continuity": "dfdx continuity 'abs(x)/x' --at 0",
    "diff": "dfdx diff '2*x**2 + 3*x + 1' -n 2 --at x=1\n"
            "  dfdx diff 'x**2 + 3*y + exp(x*y)' --wrt y --at x=1,y=2",
    "grad": "dfdx grad 'x**2 + 3*y + exp(x*y)' --at x=1,y=2",
    "hessian": "dfdx hessian 'x**2 + 3*y + exp(x*y)' --at x=1,y=2",
    "taylor": "dfdx taylor 'exp(x)' --at 0 --order 4",
    "check": "dfdx check 'tanh(x*y) + log(1 + x**2)' --at x=0.5,y=-1 --order 2",
    "plot": "dfdx plot 'sin(x)' --at 1 -o sine.png\n"
            "  dfdx plot 'abs(x)/x' --kind continuity --at 0 -o jump.svg\n"
            "  dfdx plot 'x**2 + 3*y + exp(x*y)' --at x=1,y=2 --range=-1,1.5 --yrange=-1,2.5 "
            "-o field.png",
    "train": "dfdx train --epochs 10 -o curves.png",
    "tour": "dfdx tour --out demo-output",
}


def build_parser():
    """Build the argparse parser of the `dfdx` command (one subparser per subcommand).

    Example:
        >>> from dfdx.cli import build_parser
        >>> args = build_parser().parse_args(["grad", "x*y", "--at", "x=1,y=2"])
        >>> args.command, args.at
        ('grad', 'x=1,y=2')
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object (for machines)")
    parser = _Parser(prog="dfdx", description="Calculus for deep learning on plain NumPy code: "
                     "limits, continuity and derivatives computed automatically (AD), exactly "
                     "(SymPy) and numerically, side by side.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="examples:\n  dfdx diff '2*x**2 + 3*x + 1' -n 2 --at x=1\n"
                            "  dfdx limit 'abs(x)/x' --at 0\n  dfdx tour --out demo-output\n\n"
                            "Run 'dfdx COMMAND --help' for an example of each command; "
                            "'dfdx tour' shows everything in a minute.\n"
                            "Exit status: 0 success, 1 mathematical failure, 2 bad input.")
    parser.add_argument("--version", action="version", version=f"dfdx {dfdx.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name, help, func):
        p = sub.add_parser(name, help=help, description=help, parents=[common],
                           epilog="example:\n  " + _EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    expr_help = "an expression such as 'sin(x)/x' or 'x^2 + 3*y' (read safely, never eval'd)"
    p = add("limit", "the limit of f(x) as x → A, with both one-sided values", _cmd_limit)
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--at", required=True, metavar="A",
                   help="the point: a number, pi/2, oo (use --at=-oo for minus infinity)")
    p.add_argument("--dir", default="+-", choices=["+", "-", "+-"],
                   help="approach from above (+), below (-) or both (+-, the default)")
    p = add("continuity", "whether f is continuous at A, and what kind of point it is",
            _cmd_continuity)
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--at", required=True, metavar="A", help="the point (a finite number)")
    p = add("diff", "the n-th derivative, exactly; at a point also by AD and numerically",
            _cmd_diff)
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--wrt", metavar="VAR", help="the variable (default: the only one)")
    p.add_argument("-n", type=int, default=1, metavar="N", help="the order (default 1)")
    p.add_argument("--at", metavar="POINT", help="evaluate at a point, e.g. x=1 or x=1,y=2")
    p = add("grad", "the gradient at a point: AD, exact and numeric side by side",
            lambda a: _cmd_grad(a))
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1,y=2")
    p = add("hessian", "the Hessian at a point: AD, exact and numeric side by side",
            lambda a: _cmd_grad(a, hessian=True))
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1,y=2")
    p = add("taylor", "the Taylor polynomial about A (coefficients checked by AD)", _cmd_taylor)
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--at", required=True, metavar="A", help="the centre, e.g. 0 or pi/2")
    p.add_argument("--order", type=int, default=3, metavar="N", help="the degree (default 3)")
    p.add_argument("--wrt", metavar="VAR", help="the variable (default: the only one)")
    p = add("check", "check that AD, exact and numeric derivatives agree at a point; "
            "exit 1 if they do not", _cmd_check)
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1,y=2")
    p.add_argument("--order", type=int, default=1, choices=[1, 2],
                   help="1: gradient; 2: gradient and Hessian")
    p = add("plot", "draw a picture (PNG or SVG; needs pip install dfdx[plot])", _cmd_plot)
    p.add_argument("expr", metavar="EXPR", help=expr_help)
    p.add_argument("--kind", default="auto",
                   choices=["auto", "derivatives", "limit", "continuity", "field", "step-error"],
                   help="the picture (auto: derivatives for f(x), field for f(x, y))")
    p.add_argument("--at", metavar="POINT", help="the point: tangent, limit point, arrow")
    p.add_argument("--range", metavar="LO,HI", help="the x-range (default -3,3; -2,2 for a field); write "
                   "--range=-1,2 when LO is negative")
    p.add_argument("--yrange", metavar="LO,HI", help="the y-range of a field (default -2,2)")
    p.add_argument("--order", type=int, default=2, choices=range(0, 5),
                   help="highest derivative drawn (default 2)")
    p.add_argument("-o", "--output", default="dfdx-plot.png",
                   help="file to write: .png or .svg; no suffix writes both (default dfdx-plot.png)")
    p = add("train", "train an MLP on the digits by backpropagation (needs dfdx[train])",
            _cmd_train)
    p.add_argument("--epochs", type=int, default=10, help="passes over the data (default 10)")
    p.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    p.add_argument("--lr", type=float, default=1e-2,
                   help="Adam's peak learning rate (default 0.01)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", help="write the loss/accuracy curves to this picture")
    p = add("tour", "the tour: every example of the tutorial, three methods side by side",
            _cmd_tour)
    p.add_argument("--out", default="demo-output", metavar="DIR",
                   help="folder for the pictures (default demo-output)")
    p.add_argument("--quick", action="store_true", help="a shorter training step")
    return parser


def _print_json(out, status):
    out = dict(out or {})
    out.setdefault("status", status)
    print(json.dumps(_jsonable(out), indent=2, ensure_ascii=False))


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
    parser = build_parser()
    want_json = "--json" in argv
    try:
        try:
            args, extra = parser.parse_known_args(argv)
        except SystemExit as exc:      # --help and --version
            return int(exc.code or 0)
        if extra:
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} "
                             f"(see 'dfdx {args.command} --help')")
        out, lines, status = args.func(args)
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc), want_json)
    except dfdx.ParseError as exc:
        return _fail(EXIT_USAGE, f"cannot parse: {str(exc).splitlines()[0]}", want_json)
    except dfdx.DomainError as exc:
        return _fail(EXIT_USAGE, str(exc).splitlines()[0], want_json)
    except (MathFailure, dfdx.DfdxError, ArithmeticError, ValueError, NotImplementedError,
            ImportError) as exc:
        if os.environ.get("DFDX_TRACEBACK"):
            raise
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _fail(EXIT_FAILURE, text, want_json)
    if out is not None:
        if args.json:
            _print_json(out, status)
        else:
            print("\n".join(lines))
    return status


def _fail(status, message, want_json):
    if want_json:
        _print_json({"error": message}, status)
    print(f"dfdx: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
