"""Benchmark dfdx.numeric against its peers, side by side, in one run.

Derivatives: median relative error, the share of cases where the reported error
estimate covers the true error, and the evaluations used, on smooth functions
at several points, against ``scipy.differentiate.derivative`` (and numdifftools
when installed). True values come from SymPy at 30 digits.

Limits: the textbook suite of ``tests/cases.py`` against ``mpmath.limit``
(used the natural way: one call per side; a two-sided limit is claimed when both
sides agree to 1e-6; |value| > 1e10 counts as a claim of ±inf). A numeric answer
is *right* when verdict and value match, *uncertain* when it says so
(``exists=None``), and *confidently wrong* otherwise.

Run: ``python -m benchmarks.numeric`` (writes benchmarks/RESULTS-numeric.md).
"""

from __future__ import annotations

import math
import pathlib
import sys
import time
import warnings

import numpy as np
import sympy as sp

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dfdx import numeric  # noqa: E402
from tests.cases import LIMIT_CASES  # noqa: E402

X = sp.Symbol("x")

SMOOTH = [
    "exp(x)", "sin(x)", "cos(x)", "log(x)", "sqrt(x)", "atan(x)", "tanh(x)", "1/(1 + x**2)",
    "exp(-x**2)", "x**5 - 3*x**3 + x", "sin(3*x)*exp(x/2)", "log(1 + x**2)", "cosh(x)", "x*exp(-x)",
    "1/x", "exp(sin(x))", "sqrt(1 + x**2)", "sin(x)/x", "x**(3/2)", "erf(x)", "besselj(0, x)",
    "gamma(x)", "tan(x)", "asin(x/3)", "x**2*log(x)", "cos(x)**2", "exp(x)/(1 + exp(x))", "sin(x**2)",
    "1/(2 + cos(x))", "log(cosh(x))", "exp(10*x)", "sin(10*x)", "x**10", "1/(1 + exp(-5*x))",
]
POINTS = [0.3, 0.7, 1.3, 2.1]


def _functions():
    for e in SMOOTH:
        ex = sp.sympify(e)
        f = sp.lambdify(X, ex, modules=["scipy", "numpy"])
        yield e, ex, f


def _true(ex, n, x0):
    return float(sp.N(sp.diff(ex, X, n).subs(X, sp.Rational(str(x0))), 30))


def _summary(rows):
    # a NaN result (the method failed, e.g. stepped outside the domain) counts as an infinite error
    rel = np.array([r[0] if np.isfinite(r[0]) else np.inf for r in rows])
    cov = np.array([r[1] for r in rows], dtype=float)
    nfev = np.array([r[2] for r in rows], dtype=float)
    return np.median(rel), np.nanmean(cov), np.median(nfev), np.mean(nfev), int(np.sum(~np.isfinite(rel)))


def bench_derivatives(orders=(1, 2, 4, 6)):
    from scipy.differentiate import derivative as sp_derivative
    try:
        import numdifftools as nd
    except ImportError:
        nd = None
    out = {}
    for n in orders:
        res = {"dfdx": [], "dfdx-tight": [], "scipy": [], "numdifftools": []}
        for e, ex, f in _functions():
            for x0 in POINTS:
                t = _true(ex, n, x0)
                scale = max(abs(t), 1e-300)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = numeric.derivative(f, x0, n=n)
                    res["dfdx"].append((abs(r.value - t) / scale, abs(r.value - t) <= r.error, r.nfev))
                    if n == 1:
                        r = numeric.derivative(f, x0, n=n, rtol=1e-11)
                        res["dfdx-tight"].append((abs(r.value - t) / scale, abs(r.value - t) <= r.error,
                                                  r.nfev))
                    if n == 1:
                        calls = [0]

                        def fc(z, _f=f, _c=calls):
                            _c[0] += np.size(z)
                            return _f(z)

                        s = sp_derivative(fc, x0)
                        res["scipy"].append((abs(float(s.df) - t) / scale, abs(float(s.df) - t) <= float(s.error),
                                             int(s.nfev)))
                    if nd is not None:
                        cnt = [0]

                        def fn(z, _f=f, _c=cnt):
                            _c[0] += np.size(z)
                            return _f(z)

                        nd_out = nd.Derivative(fn, n=n, full_output=True)(x0)
                        if hasattr(nd_out, "estimate"):
                            d, est_err = nd_out.estimate, nd_out.error_estimate
                        else:  # older numdifftools: (value, info)
                            d, est_err = nd_out[0], nd_out[1].error_estimate
                        d = float(np.squeeze(d))
                        res["numdifftools"].append((abs(d - t) / scale,
                                                    abs(d - t) <= float(np.squeeze(est_err)), cnt[0]))
        out[n] = {k: _summary(v) for k, v in res.items() if v}
        if res["scipy"]:
            common = [i for i, r in enumerate(res["scipy"]) if np.isfinite(r[0])]
            out[n]["common"] = {k: (np.median([v[i][0] for i in common]), np.mean([v[i][2] for i in common]))
                                for k, v in res.items() if v}
    return out


def _mp_function(expr):
    import mpmath

    ex = sp.sympify(expr, locals={"sign": sp.sign, "floor": sp.floor, "E": sp.E})
    g = sp.lambdify(X, ex, modules="mpmath")

    def f(t):
        try:
            return g(t)
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan
    return f


def _mp_claim(case):
    """What mpmath.limit claims: ('value', v) / ('none', None) / ('error', None)."""
    import mpmath

    f = _mp_function(case.expr)

    def one(direction):
        at = mpmath.inf if case.at == math.inf else (-mpmath.inf if case.at == -math.inf else case.at)
        v = mpmath.limit(f, at, direction=direction)
        if isinstance(v, mpmath.mpc):
            if abs(v.imag) > 1e-10 * max(1, abs(v.real)):
                raise ValueError("complex")
            v = v.real
        v = float(v)
        if abs(v) > 1e10:
            v = math.copysign(math.inf, v)
        return v

    try:
        if math.isinf(case.at) or case.dir != "+-":
            return ("value", one(1 if case.dir != "-" else -1))
        a, b = one(-1), one(1)
        if a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 1e-6 * max(1, abs(a))):
            return ("value", b)
        return ("none", None)
    except Exception:  # noqa: BLE001 - mpmath failing is "no answer"
        return ("error", None)


def _right(value, expected):
    if value is None or expected is None:
        return value is expected
    if math.isinf(expected):
        return value == expected
    return math.isfinite(value) and abs(value - expected) <= 1e-6 * max(1.0, abs(expected))


def bench_limits():
    ours = {"right": 0, "uncertain": 0, "wrong": []}
    theirs = {"right": 0, "no answer": 0, "wrong": []}
    t0 = time.perf_counter()
    for c in LIMIT_CASES:
        r = numeric.limit(c.f, c.at, c.dir)
        ours.setdefault("nfev", []).append(r.nfev)
        if r.exists is None:
            ours["uncertain"] += 1
        elif r.exists == c.exists and _right(r.value, c.value):
            ours["right"] += 1
        else:
            ours["wrong"].append(c.name)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for c in LIMIT_CASES:
        kind, v = _mp_claim(c)
        if kind == "error":
            theirs["no answer"] += 1
        elif kind == "none":
            if not c.exists:
                theirs["right"] += 1
            else:
                theirs["wrong"].append(c.name)
        elif c.exists and _right(v, c.value):
            theirs["right"] += 1
        else:
            theirs["wrong"].append(c.name)
    t_mp = time.perf_counter() - t0
    return ours, theirs, t_ours, t_mp


ATOMS_0 = ["sin(x)", "x", "exp(x)-1", "log(1+x)", "1-cos(x)", "tan(x)", "atan(x)", "sqrt(1+x)-1", "x**2",
           "sinh(x)", "x*exp(x)", "asin(x)", "x**3", "abs(x)", "tanh(x)", "exp(-1/x**2)", "x*log(abs(x))",
           "sin(1/x)", "1/x", "floor(x)", "sign(x)", "cos(x)"]
ATOMS_INF = ["x", "log(x)", "exp(x)", "sqrt(x)", "x**2", "sin(x)", "atan(x)", "exp(-x)", "1/x", "x*log(x)",
             "log(log(x))", "cos(1/x)", "x**(1/x)", "(1+1/x)", "exp(1/x)-1", "sqrt(x**2+1)", "log(1+x)"]


def _generated_cases(count=260, seed=1):
    """Held-out limits: quotients and differences of textbook atoms, truth from SymPy."""
    import itertools
    import random

    xr = sp.Symbol("x", real=True)
    exprs = [(f"({a})/({b})", 0) for a, b in itertools.product(ATOMS_0, ATOMS_0)]
    exprs += [(f"({a})/({b})", sp.oo) for a, b in itertools.product(ATOMS_INF, ATOMS_INF)]
    exprs += [(f"({a})-({b})", sp.oo) for a, b in itertools.product(ATOMS_INF[:10], ATOMS_INF[:10])]
    random.Random(seed).shuffle(exprs)

    def tofl(v):
        if v == sp.oo:
            return math.inf
        if v == -sp.oo:
            return -math.inf
        if v.has(sp.AccumBounds) or v.has(sp.zoo) or v.has(sp.nan) or not v.is_real:
            return None
        return float(v)

    out = []
    for e, at in exprs[:count]:
        ex = sp.sympify(e, locals={"x": xr})
        try:
            if at == 0:
                lt, rt = tofl(sp.limit(ex, xr, 0, "-")), tofl(sp.limit(ex, xr, 0, "+"))
                truth = lt if (lt is not None and lt == rt) else None
            else:
                truth = tofl(sp.limit(ex, xr, sp.oo))
        except Exception:  # noqa: BLE001 - SymPy could not decide: leave the case out
            continue
        f = sp.lambdify(xr, ex, modules="numpy")
        g = sp.lambdify(xr, ex, modules="mpmath")
        out.append((e, float(at), truth, f, g))
    return out


def bench_generated():
    import mpmath

    cases = _generated_cases()
    ours = {"right": 0, "uncertain": 0, "wrong": []}
    theirs = {"right": 0, "no answer": 0, "wrong": []}
    for e, at, truth, f, g in cases:
        r = numeric.limit(f, at)
        if r.exists is None:
            ours["uncertain"] += 1
        elif (truth is None and r.exists is False) or (truth is not None and r.exists and _right(r.value, truth)):
            ours["right"] += 1
        else:
            ours["wrong"].append(f"{e} at {at}")

        def mpf(t, _g=g):
            try:
                return _g(t)
            except (ZeroDivisionError, ValueError, OverflowError):
                return mpmath.nan

        try:
            if math.isinf(at):
                v = float(mpmath.limit(mpf, mpmath.inf))
                v = math.copysign(math.inf, v) if abs(v) > 1e10 else v
                claim = v
            else:
                a, b = (float(mpmath.limit(mpf, 0, direction=d)) for d in (-1, 1))
                a, b = (math.copysign(math.inf, u) if abs(u) > 1e10 else u for u in (a, b))
                claim = b if (a == b or abs(a - b) <= 1e-6 * max(1, abs(a))) else None
            ok = (truth is None and claim is None) or (truth is not None and claim is not None
                                                       and _right(claim, truth))
            if ok:
                theirs["right"] += 1
            else:
                theirs["wrong"].append(f"{e} at {at}")
        except Exception:  # noqa: BLE001
            theirs["no answer"] += 1
    return len(cases), ours, theirs


def _tally(rows):
    """rows of (true_error, error_bar, nfev): coverage %, confident-wrong, uncertain, median nfev."""
    cov = sum(1 for e, b, _ in rows if e <= b)
    wrong = sum(1 for e, b, _ in rows if math.isfinite(b) and e > 10 * b)
    unc = sum(1 for e, b, _ in rows if not math.isfinite(b))
    return 100.0 * cov / len(rows), wrong, unc, float(np.median([n for _, _, n in rows]))


def bench_hard_derivatives():
    """The hard list of tests/cases_hard.py: dfdx beside scipy.differentiate and numdifftools.

    A peer's answer counts as uncertain when it says so (scipy: ``success`` False;
    numdifftools: a non-finite error estimate); confidently wrong when off by more than
    10x the error it reports.
    """
    from scipy.differentiate import derivative as sp_derivative

    from tests.cases_hard import HARD_DERIVATIVES, derivative_truth
    try:
        import numdifftools as nd
    except ImportError:
        nd = None
    res = {"dfdx": [], "scipy": [], "numdifftools": []}
    for c in HARD_DERIVATIVES:
        t = derivative_truth(c.expr, c.x, c.n)
        f = c.callable()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = numeric.derivative(f, c.x, n=c.n)
            res["dfdx"].append((abs(r.value - t), float(r.error), r.nfev))
            calls = [0]

            def fc(z, _f=f, _c=calls):
                _c[0] += np.size(z)
                return np.vectorize(lambda v: _safe(_f, v))(z)

            if c.n == 1:
                try:
                    sr = sp_derivative(fc, c.x)
                    e = float(sr.error) if bool(sr.success) else math.inf
                    v = float(sr.df)
                    res["scipy"].append((abs(v - t) if math.isfinite(v) else math.inf, e, calls[0]))
                except Exception:  # noqa: BLE001 - a crash is no answer
                    res["scipy"].append((math.inf, math.inf, calls[0]))
            if nd is not None:
                cnt = [0]

                def fn(z, _f=f, _c=cnt):
                    _c[0] += np.size(z)
                    return np.vectorize(lambda v: _safe(_f, v))(z)

                try:
                    out = nd.Derivative(fn, n=c.n, full_output=True)(c.x)
                    d, ee = (out.estimate, out.error_estimate) if hasattr(out, "estimate") else \
                        (out[0], out[1].error_estimate)
                    d, ee = float(np.squeeze(d)), float(np.squeeze(ee))
                    res["numdifftools"].append((abs(d - t) if math.isfinite(d) else math.inf,
                                                ee if math.isfinite(ee) else math.inf, cnt[0]))
                except Exception:  # noqa: BLE001
                    res["numdifftools"].append((math.inf, math.inf, cnt[0]))
    return len(HARD_DERIVATIVES), {k: _tally(v) for k, v in res.items() if v}, \
        {k: len(v) for k, v in res.items() if v}


def _safe(f, v):
    try:
        return float(f(v))
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def bench_hard_limits():
    """The hard limits of tests/cases_hard.py: dfdx.numeric.limit beside mpmath.limit.

    mpmath is given the same expression at 15 digits through SymPy's lambdify (mpmath
    functions), one call per side; it never says it is unsure.
    """
    import mpmath

    from tests.cases_hard import HARD_LIMITS
    ours = {"right": 0, "uncertain": 0, "wrong": [], "nfev": []}
    theirs = {"right": 0, "no answer": 0, "wrong": []}
    for c in HARD_LIMITS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = numeric.limit(c.f, c.at, c.dir)
        ours["nfev"].append(r.nfev)
        exists = c.value is not None
        if r.exists is None:
            ours["uncertain"] += 1
        elif r.exists == exists and _right(r.value, c.value):
            ours["right"] += 1
        else:
            ours["wrong"].append(c.name)
        case = LimitCaseLike(c.expr, c.at, c.dir)
        kind, v = _mp_claim(case)
        if kind == "error":
            theirs["no answer"] += 1
        elif kind == "none":
            (theirs.__setitem__("right", theirs["right"] + 1) if not exists else theirs["wrong"].append(c.name))
        elif exists and _right(v, c.value):
            theirs["right"] += 1
        else:
            theirs["wrong"].append(c.name)
    del mpmath
    return len(HARD_LIMITS), ours, theirs


class LimitCaseLike:
    """What `_mp_claim` reads from a case."""

    def __init__(self, expr, at, dir):
        self.expr, self.at, self.dir = expr, at, dir


def main():
    t0 = time.perf_counter()
    der = bench_derivatives()
    ours, theirs, t_ours, t_mp = bench_limits()
    n_cases = len(SMOOTH) * len(POINTS)
    lines = ["# dfdx.numeric benchmark", "",
             "Reproduce with `python -m benchmarks.numeric` (needs scipy, sympy, mpmath; numdifftools "
             "optional). Peers run with their defaults, side by side in one run.", "",
             f"Derivatives of {len(SMOOTH)} smooth functions at {len(POINTS)} points each ({n_cases} cases "
             "per order); truth from SymPy at 30 digits. *covered*: share of cases where the reported error "
             "estimate is at least the true error. Evaluations: median (mean).", "",
             "| order | method | median rel. error | error estimate covers | evaluations | failed (NaN) |",
             "|---|---|---|---|---|---|"]
    for n, res in der.items():
        for name in ("dfdx", "dfdx-tight", "scipy", "numdifftools"):
            if name in res and name != "common":
                med, cov, nmed, nmean, nfail = res[name]
                label = {"dfdx": "dfdx.numeric.derivative", "scipy": "scipy.differentiate.derivative",
                         "dfdx-tight": "dfdx.numeric.derivative(rtol=1e-11)",
                         "numdifftools": "numdifftools.Derivative"}[name]
                lines.append(f"| {n} | {label} | {med:.1e} | {100 * cov:.0f}% | {nmed:.0f} ({nmean:.1f}) | {nfail} |")
    if "common" in der.get(1, {}):
        c = der[1]["common"]
        lines += ["", "On the first-derivative cases where scipy returns a number (not NaN): "
                  + "; ".join(f"{k} median rel. error {v[0]:.1e}, mean evaluations {v[1]:.1f}"
                              for k, v in c.items()) + "."]
    total = len(LIMIT_CASES)
    lines += ["", f"Limits: the {total} textbook cases of `tests/cases.py` "
              f"({sum(1 for c in LIMIT_CASES if not c.exists)} that do not exist).", "",
              "| method | right | uncertain / no answer | confidently wrong | time |", "|---|---|---|---|---|",
              f"| dfdx.numeric.limit | {ours['right']} | {ours['uncertain']} | {len(ours['wrong'])} | {t_ours:.1f} s |",
              f"| mpmath.limit | {theirs['right']} | {theirs['no answer']} | {len(theirs['wrong'])} | {t_mp:.1f} s |",
              ""]
    lines.append(f"dfdx.numeric.limit median evaluations per limit: {np.median(ours['nfev']):.0f} "
                 "(samples, plus their long-double and perturbed copies that measure rounding).")
    lines.append("")
    if ours["wrong"]:
        lines.append("dfdx wrong on: " + ", ".join(ours["wrong"]))
    lines.append("mpmath.limit wrong on: " + ", ".join(theirs["wrong"]))
    n_gen, g_ours, g_theirs = bench_generated()
    lines += ["", f"Generated limits: {n_gen} quotients and differences of textbook functions at 0 (two-sided) "
              "and at +inf, drawn with a fixed seed, truth from SymPy (a two-sided limit whose sides "
              "differ, or an AccumBounds answer, counts as not existing). This set was used during "
              "development to find failure modes (the fixes were general: rounding-noise and 0/0 "
              "breakdown handling), so it is not strictly held out.", "",
              "| method | right | uncertain / no answer | wrong |", "|---|---|---|---|",
              f"| dfdx.numeric.limit | {g_ours['right']} | {g_ours['uncertain']} | {len(g_ours['wrong'])} |",
              f"| mpmath.limit | {g_theirs['right']} | {g_theirs['no answer']} | {len(g_theirs['wrong'])} |",
              "", "dfdx wrong on: " + "; ".join(g_ours["wrong"]) + ". (Poles accumulating at the point, "
              "like 1/sin(1/x), are invisible to sampling; for f/floor(x) at 0, f is undefined (division "
              "by zero) right of 0 and dfdx reports the limit within the domain, where SymPy says none.)"]
    n_hd, hd, hd_n = bench_hard_derivatives()
    lines += ["", f"Hard derivatives: the {n_hd} cases of `tests/cases_hard.py` (n = 1 and 2: fast "
              "oscillation, essential singularities, near poles, huge and tiny arguments, noisy "
              "functions, NaN or raising nearby, domain edges), truth from SymPy. *covered*: the error "
              "bar is at least the true error (an uncertain answer, error = inf, covers); *confidently "
              "wrong*: off by more than 10x the error bar it reports; scipy.differentiate gives first "
              "derivatives only.", "",
              "| method | cases | covered | confidently wrong | uncertain | median evaluations |",
              "|---|---|---|---|---|---|"]
    names = {"dfdx": "dfdx.numeric.derivative", "scipy": "scipy.differentiate.derivative",
             "numdifftools": "numdifftools.Derivative"}
    for k, (cov, wrong, unc, nmed) in hd.items():
        lines.append(f"| {names[k]} | {hd_n[k]} | {cov:.1f}% | {wrong} | {unc} | {nmed:.0f} |")
    n_hl, hl_ours, hl_theirs = bench_hard_limits()
    lines += ["", f"Hard limits: the {n_hl} limits of `tests/cases_hard.py` (catastrophic cancellation, "
              "overflow / underflow cutting the samples short, trends that settle late), truth from SymPy. "
              "dfdx sees a float64 black box; mpmath.limit gets the same expression in mpmath functions.", "",
              "| method | right | uncertain / no answer | confidently wrong | median evaluations |",
              "|---|---|---|---|---|",
              f"| dfdx.numeric.limit | {hl_ours['right']} | {hl_ours['uncertain']} | {len(hl_ours['wrong'])} | "
              f"{np.median(hl_ours['nfev']):.0f} |",
              f"| mpmath.limit | {hl_theirs['right']} | {hl_theirs['no answer']} | {len(hl_theirs['wrong'])} | - |"]
    if hl_ours["wrong"]:
        lines.append("")
        lines.append("dfdx wrong on: " + ", ".join(hl_ours["wrong"]))
    lines += ["", "mpmath.limit wrong on: " + ", ".join(hl_theirs["wrong"])]
    lines += ["", f"(total run {time.perf_counter() - t0:.0f} s; numpy {np.__version__}, "
              f"sympy {sp.__version__})", ""]
    text = "\n".join(lines)
    print(text)
    (ROOT / "benchmarks" / "RESULTS-numeric.md").write_text(text)


if __name__ == "__main__":
    main()
