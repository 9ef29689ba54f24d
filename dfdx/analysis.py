"""limit(), continuity() and diff(): one API over the exact and the numeric routes.

`f` may be a plain NumPy callable, a SymPy expression or a string; `at` a
number, ``±inf``, a string (``"pi/2"``, ``"oo"``) or a SymPy value. With
``method="auto"`` the exact route (SymPy, tracing callables) runs first under
an enforced time budget — a forked worker that is killed at the deadline —
and the numeric route (`dfdx.numeric`) takes over when the exact one times
out, cannot trace the function, or cannot decide. Every result says which
route produced it and why (``method``, ``info["route"]``, ``message``).
``verify=True`` runs both routes and flags any disagreement.

`dfdx.symbolic` and `dfdx.numeric` are imported inside the functions so that
``import dfdx`` stays fast and does not load SymPy.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np

from dfdx._errors import (BudgetExceeded, DomainError, ParseError, TracerConversionError,
                          UnsupportedOperation)
from dfdx.result import ContinuityResult, LimitResult

__all__ = ["limit", "continuity", "diff", "RouteDisagreement", "DEFAULT_TIMEOUT"]

#: Seconds the exact route may take before ``method="auto"`` falls back to numeric.
DEFAULT_TIMEOUT = 3.0

_METHODS = ("auto", "exact", "numeric")


class RouteDisagreement(UserWarning):
    """``verify=True`` found the exact and the numeric routes giving different answers."""


# -- the two routes ----------------------------------------------------------------------------

def _exact(kind, f, at, dir, timeout):
    """Run the exact route under the budget: (result, why) or (None, reason)."""
    import dfdx.symbolic as symbolic
    t0 = time.perf_counter()
    try:
        if kind == "limit":
            res = symbolic.limit(f, at, dir, timeout=timeout)
        else:
            res = symbolic.continuity(f, at, timeout=timeout)
    except BudgetExceeded as exc:
        return None, str(exc)
    except (TracerConversionError, UnsupportedOperation) as exc:
        return None, f"could not trace f into SymPy ({exc})"
    except (ParseError, DomainError):
        raise
    except Exception as exc:  # SymPy internals, or f failing on symbols
        return None, f"exact route failed ({type(exc).__name__}: {exc})"
    return res, f"exact route answered in {time.perf_counter() - t0:.2f} s"


def _numeric_function(f):
    """A float -> float function for the numeric route (`dfdx.symbolic.as_function`)."""
    if callable(f) and not isinstance(f, str) and not _is_sympy(f):
        return f
    import dfdx.symbolic as symbolic
    return symbolic.as_function(f, nvars=1, long_double=True)


def _is_sympy(f):
    mod = type(f).__module__ or ""
    return mod.startswith("sympy")


def _numeric_point(at):
    if isinstance(at, str) or _is_sympy(at):
        import dfdx.symbolic as symbolic
        p = symbolic.as_point(at)
        if p.is_infinite:
            return math.inf if p.is_extended_positive else -math.inf
        return float(p)
    return at


def _with_route(res, route, why, verify=None):
    info = dict(res.info) if hasattr(res, "info") and res.info is not None else {}
    info["route"] = route
    info["why"] = why
    if verify is not None:
        info["verify"] = verify
    if isinstance(res, LimitResult):
        return dataclasses.replace(res, info=info)
    # a continuity verdict carries the route twice: on itself and on its limit
    lim = res.limit
    if lim is not None:
        lim = dataclasses.replace(lim, info=dict(lim.info, route=route, why=why,
                                                 **({"verify": verify} if verify else {})))
    return dataclasses.replace(res, limit=lim, info=info)


def _why(primary, exact, reason, method):
    if primary is exact:
        return reason
    if method == "numeric":
        return "method='numeric' was asked for"
    return reason if exact is None else f"exact route could not decide ({exact.message})"


def _prefix(res, text):
    return dataclasses.replace(res, message=f"{text}; {res.message}" if res.message else text)


def _check_method(method):
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, not {method!r}")


# -- comparing the routes ----------------------------------------------------------------------

def limits_agree(a: LimitResult, b: LimitResult, rtol: float = 1e-6) -> bool | None:
    """Whether two limit results say the same thing; None when one of them is undecided.

    Example:
        >>> from dfdx.result import LimitResult
        >>> limits_agree(LimitResult(1.0, True), LimitResult(1.0 + 1e-9, True, error=1e-8))
        True
        >>> limits_agree(LimitResult(None, False), LimitResult(0.0, True))
        False
    """
    if a.exists is None or b.exists is None:
        return None
    if a.exists != b.exists:
        return False
    if not a.exists:
        for x, y in ((a.left, b.left), (a.right, b.right)):
            if x is not None and y is not None and not _close(x, y, a, b, rtol):
                return False
        return True
    va, vb = a.value, b.value
    if va is None or vb is None:
        return va is vb
    return _close(va, vb, a, b, rtol)


def _close(va, vb, a, b, rtol):
    if math.isinf(va) or math.isinf(vb):
        return va == vb
    err = 0.0
    for r in (a, b):
        if r.error is not None and not math.isnan(r.error):
            err += 4 * r.error
    return abs(va - vb) <= max(err, rtol * max(1.0, abs(va), abs(vb)))


def continuity_agree(a: ContinuityResult, b: ContinuityResult) -> bool | None:
    """Whether two continuity verdicts agree; None when one of them is undecided."""
    if a.continuous is None or b.continuous is None:
        return None
    return a.continuous == b.continuous and a.kind == b.kind


def _verify(exact, numeric, agree):
    if exact is None or numeric is None:
        return {"agree": None, "exact": exact, "numeric": numeric,
                "detail": "only one route answered"}
    ok = agree(exact, numeric)
    detail = "the routes agree" if ok else (
        "one route is undecided" if ok is None else
        f"the routes DISAGREE: exact says {_summary(exact)}, numeric says {_summary(numeric)}")
    return {"agree": ok, "exact": exact, "numeric": numeric, "detail": detail}


def _summary(r):
    if isinstance(r, LimitResult):
        if r.exists:
            return f"limit {r.exact if r.exact is not None else r.value}"
        return ("no limit" if r.exists is False else "undecided") + \
            f" (left {r.left}, right {r.right})"
    return f"continuous={r.continuous}, kind={r.kind!r}"


def _decided(res):
    return (res.exists if isinstance(res, LimitResult) else res.continuous) is not None


def _run(kind, f, at, dir, method, verify, timeout):
    """Exact first under the budget, numeric when asked, needed or verifying."""
    _check_method(method)
    exact = reason = numeric = None
    if method in ("auto", "exact") or verify:
        exact, reason = _exact(kind, f, at, dir, timeout)
    if method == "exact" and not verify:
        if exact is None:
            if kind == "limit":
                return LimitResult(value=None, exists=None, method="exact", message=reason,
                                   info={"route": "exact", "why": reason})
            return ContinuityResult(continuous=None, kind="uncertain", method="exact",
                                    message=reason)
        return _with_route(exact, "exact", reason)
    if method == "numeric" or verify or exact is None or not _decided(exact):
        fn, point = _numeric_function(f), _numeric_point(at)
        if kind == "limit":
            from dfdx.numeric import limit as numeric_limit
            numeric = numeric_limit(fn, point, dir)
        else:
            from dfdx.numeric import continuity as numeric_continuity
            numeric = numeric_continuity(fn, point)
    if verify:
        v = _verify(exact, numeric, limits_agree if kind == "limit" else continuity_agree)
        use_exact = exact is not None and method != "numeric" and (
            _decided(exact) or method == "exact")
        primary = exact if use_exact else numeric
        out = _with_route(primary, primary.method, _why(primary, exact, reason, method), verify=v)
        if v["agree"] is False:
            warnings.warn(f"dfdx.{kind}: {v['detail']}", RouteDisagreement, stacklevel=3)
            out = _prefix(out, v["detail"])
        return out
    if method == "numeric":
        return _with_route(numeric, "numeric", "method='numeric' was asked for")
    if exact is not None and _decided(exact):
        return _with_route(exact, "exact", reason)
    why = reason if exact is None else f"exact route could not decide ({exact.message})"
    return _prefix(_with_route(numeric, "numeric", why), why + "; used the numeric route")


# -- public API --------------------------------------------------------------------------------

def limit(f, at, dir: str = "+-", method: str = "auto", verify: bool = False,
          timeout: float | None = DEFAULT_TIMEOUT) -> LimitResult:
    """Compute the limit of f at a point: exactly when possible, numerically otherwise.

    Args:
        f: a callable of one variable (plain NumPy code), a SymPy expression
            or a string such as ``"sin(x)/x"``.
        at: a number, ``float("inf")``, ``-float("inf")``, or a string / SymPy
            value (``"pi/2"``, ``"oo"``). A float such as ``np.pi/2`` is read
            as the constant it approximates on the exact route.
        dir: ``"+-"`` (two-sided, the default), ``"+"`` (from above) or ``"-"``
            (from below); ignored at ±inf.
        method: ``"auto"`` (exact first, numeric as fallback), ``"exact"``
            (SymPy only) or ``"numeric"`` (finite samples only).
        verify: compute both routes; ``info["verify"]`` holds both results and
            whether they agree, and a disagreement is added to ``message`` and
            warned about (`RouteDisagreement`).
        timeout: seconds the exact route may run (it is stopped at the
            deadline); None means no limit.

    Returns:
        LimitResult: ``value`` (float, ±inf, or None when the limit does not
        exist), ``exists``, ``left``/``right``, ``error`` (0 when exact),
        ``method`` (``"exact"`` or ``"numeric"``), ``exact`` (SymPy value),
        ``message``; ``info["route"]`` and ``info["why"]`` say which route
        answered and why.

    Raises:
        ParseError: `f` or `at` is a string that is not allowed mathematics.
        DomainError: f is not defined on either side of the point.

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.limit(lambda x: x**2 + 2*x + 1, 0).value
        1.0
        >>> r = dfdx.limit(np.tan, np.pi / 2)
        >>> r.exists, r.left, r.right, r.method
        (False, inf, -inf, 'exact')
        >>> dfdx.limit("sin(x)/x", 0, method="numeric").value
        1.0
        >>> dfdx.limit("(1 + 1/x)**x", "oo").exact
        E
    """
    return _run("limit", f, at, dir, method, verify, timeout)


def continuity(f, at, method: str = "auto", verify: bool = False,
               timeout: float | None = DEFAULT_TIMEOUT) -> ContinuityResult:
    """Decide whether f is continuous at a point, and classify the point if not.

    The kinds are ``continuous``, ``removable``, ``jump``, ``infinite``,
    ``oscillating`` (the worse kind wins when the sides differ), or
    ``uncertain`` with ``continuous=None``.

    Args:
        f: a callable of one variable, a SymPy expression or a string.
        at: a finite point (number, string or SymPy value).
        method: ``"auto"``, ``"exact"`` or ``"numeric"`` (see `limit`).
        verify: run both routes and flag a disagreement (see `limit`).
        timeout: seconds the exact route may run.

    Returns:
        ContinuityResult; ``limit.info["route"]`` / ``["why"]`` say which route
        answered and why.

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.continuity(lambda x: x**2 + 2*x + 1, 1).continuous
        True
        >>> dfdx.continuity(lambda x: np.sin(x) / x, 0).kind
        'removable'
        >>> dfdx.continuity("floor(x)", 1, method="numeric").kind
        'jump'
    """
    return _run("continuity", f, at, None, method, verify, timeout)


def diff(f, *wrt, n: int = 1):
    """Differentiate exactly (SymPy): the n-th derivative in each listed variable.

    Args:
        f: a callable (traced into SymPy), a SymPy expression or a string.
        *wrt: variable names or symbols; default: the only variable.
        n: the order in each variable.

    Returns:
        The SymPy expression of the derivative (for numbers at a point use
        `dfdx.grad` / `dfdx.derivative`, or `dfdx.symbolic.compile`).

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.diff(lambda x: 2*x**2 + 3*x + 1), dfdx.diff("2*x**2 + 3*x + 1", n=2)
        (4*x + 3, 4)
        >>> f = lambda x, y: x**2 + 3*y + np.exp(x*y)
        >>> dfdx.diff(f, "x"), dfdx.diff(f, "y")
        (2*x + y*exp(x*y), x*exp(x*y) + 3)
    """
    import dfdx.symbolic as symbolic
    return symbolic.diff(f, *wrt, n=n)
