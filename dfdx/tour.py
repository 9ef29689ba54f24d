"""The tour: every example of the calculus tutorial dfdx grew from, working, in a minute.

``dfdx tour --out DIR`` (and ``make demo``) walks the tutorial section by
section — limits, continuity, derivatives (numeric, symbolic, automatic), the
second derivative with nested tapes, partial derivatives, Hessians, Newton's
method, backpropagation on the digits, sensitivity and uncertainty. Each step
computes its quantity by the three methods where they apply — automatic
(AD), exact (SymPy) and numeric (finite differences with an error estimate) —
prints how well they agree, and writes its picture to DIR. The three samples
of the tutorial that are wrong as written (``np.limit``,
``np.gradient(f(x, y), x, y)`` on 1-D x and y, a second derivative from one
``GradientTape``) are run, their failure shown, and then corrected.

The tour uses dfdx's public API only; read it as a worked example.
Steps that need an optional extra (matplotlib for pictures, scikit-learn for
the digits) say so in one line and are skipped.

Example:
    >>> import io
    >>> from dfdx import tour
    >>> buf = io.StringIO()
    >>> tour.run(out=None, quick=True, only=["hessians"], stream=buf)
    0
    >>> "the three methods agree" in buf.getvalue()
    True
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

import dfdx
from dfdx.result import format_number

__all__ = ["run", "STEPS"]


# -- bookkeeping -------------------------------------------------------------------------------

class _Skip(Exception):
    """A step (or a part of one) needs something that is not installed."""


class _Tour:
    """Printing, the summary table and the pictures of one run."""

    def __init__(self, out, quick, stream):
        self.out = None if out is None else Path(out)
        self.quick = quick
        self.stream = stream
        self.rows = []         # (step, quantity, exact, ad, numeric, agree)
        self.pictures = []
        self.problems = []
        self.step = ""

    def say(self, text=""):
        # why: every line fits 100 columns; a long line continues indented under itself
        lines = [text]
        if len(text) > 100:
            import textwrap

            lead = len(text) - len(text.lstrip())
            lines = textwrap.wrap(text, 100, subsequent_indent=" " * (lead + 4),
                                  break_long_words=True, break_on_hyphens=False) or [""]
        print("\n".join(lines), file=self.stream, flush=True)

    def heading(self, number, title, name):
        self.step = name
        self.say()
        self.say(f"━━ {number}. {title} " + "━" * max(3, 66 - len(title)))

    def row(self, quantity, exact=None, ad=None, numeric=None, agree=None):
        """Record one line of the summary table (values as short strings)."""
        agree = None if agree is None else bool(agree)
        self.rows.append((self.step, quantity, exact or "-", ad or "-", numeric or "-", agree))
        if agree is False:
            self.problems.append(f"{self.step}: {quantity}: the methods disagree")

    def picture(self, name, make):
        """Draw a picture with `make()` and save it as DIR/name.png and .svg."""
        if self.out is None:
            return
        try:
            fig = make()
        except ImportError as exc:
            self.say(f"  (picture {name} skipped: {str(exc).splitlines()[0]})")
            return
        for path in dfdx.plot.save(fig, self.out / name):
            self.pictures.append(path)
        self.say(f"  picture: {self.out / name}.png (and .svg)")


def _g(v, digits=12):
    """A number (or array, flattened to a tuple) as the tour prints it: `format_number`, short."""
    if v is not None and np.ndim(v):
        v = np.ravel(v)
    return format_number(v, digits, none="none", brackets="()")


def _matrix(m, digits):
    return "[" + ", ".join("[" + ", ".join(_g(v, digits) for v in row) + "]"
                           for row in np.asarray(m, dtype=float)) + "]"


def _close(a, b, rtol=None, atol=0.0):
    """Whether two answers agree by the one policy (`dfdx.result.agree`).

    `rtol`/`atol` state the error of `b` when it is not exact (an optimiser's
    tolerance, a quadrature's or a sample's error); without them both are exact
    and only rounding is allowed.
    """
    from dfdx.result import agree

    b = np.asarray(b, dtype=float)
    err = atol + (0.0 if rtol is None else rtol * np.abs(b))
    return agree(np.asarray(a, dtype=float), b, 0.0, err) is True


def _within(est, exact):
    """Whether a numeric `Estimate` agrees with `exact` within its own stated error."""
    from dfdx.result import agree

    return agree(est.value, np.asarray(exact, dtype=float), est.error, 0.0) is True


def _methods_agree(exact, ad, numeric, *more_exact):
    """Whether the exact, AD and numeric answers agree: the CLI's verdict (`result.agreement`).

    `more_exact` are further answers without an error bar (another exact or AD route).
    """
    from dfdx.result import agreement

    answers = {"exact": (np.asarray(exact, dtype=float), 0.0),
               "ad": (np.asarray(ad, dtype=float), 0.0),
               "numeric": (numeric.value, numeric.error)}
    for i, v in enumerate(more_exact):
        answers[f"exact{i + 2}"] = (np.asarray(v, dtype=float), 0.0)
    return agreement(answers)["agree"] is True


def _exact_at(sym, values):
    """Substitute `values` for the symbols of an exact result, in the order of their names."""
    return sym.subs(dict(zip(sorted(sym.free_symbols, key=lambda s: s.name), values)))


def _pm(est, digits=10):
    return f"{_g(est.value, digits)} ± {float(np.max(est.error)):.0e}"


def _agreement(t, label, ok):
    t.say(f"  {label}: {'the three methods agree' if ok else 'THE METHODS DISAGREE'}")


# -- 1. limits ---------------------------------------------------------------------------------

def _limits(t):
    t.say("Tutorial: sp.limit(x**2 + 2*x + 1, x, 0) = 1, then np.limit(f, 0) on a NumPy f.")

    def f(x):
        return x**2 + 2*x + 1

    exact = dfdx.limit(f, 0)
    numeric = dfdx.numeric.limit(f, 0)
    ok = exact.value == 1 and _within(numeric, 1)
    t.say(f"  dfdx.limit(f, 0)          = {exact.exact if exact.exact is not None else exact.value}"
          f"   ({exact.method}: f, written in NumPy, traced to SymPy)")
    t.say(f"  dfdx.numeric.limit(f, 0)  = {_g(numeric.value)} ± {numeric.error:.1g}   "
          f"({numeric.nfev} evaluations)")
    t.row("lim x²+2x+1 at 0", str(exact.exact), None, f"{_g(numeric.value)} ± {numeric.error:.0e}",
          ok)
    t.say(f"  The tutorial's np.limit is wrong as written: NumPy has no limit function "
          f"(hasattr(np, 'limit') is {hasattr(np, 'limit')}).")
    t.say("  Corrected: dfdx.limit(f, 0) (exact first, numeric fallback) or dfdx.numeric.limit.")

    cases = [("sin(x)/x", lambda x: np.sin(x) / x, 0, "1"),
             ("abs(x)/x", lambda x: np.abs(x) / x, 0, None),
             ("(1 + 1/x)**x", lambda x: (1 + 1/x) ** x, math.inf, "E")]
    for text, fn, at, expected in cases:
        ex = dfdx.limit(text, at)
        nu = dfdx.numeric.limit(fn, at)
        where = _g(at)
        if expected is None:
            # why: the numeric route states no error for the sides of a jump (nan): they
            # must then agree to rounding, as two exact answers do under `agree`
            ok = ex.exists is False and nu.exists is False and _close(ex.left, nu.left) \
                and _close(ex.right, nu.right)
            t.say(f"  lim {text} at {where}: does not exist — left {_g(ex.left)}, right "
                  f"{_g(ex.right)} (exact); left {_g(nu.left, 8)}, right {_g(nu.right, 8)} "
                  "(numeric)")
            t.row(f"lim {text} at {where}", f"none (L {_g(ex.left)}, R {_g(ex.right)})", None,
                  f"none (L {_g(nu.left, 6)}, R {_g(nu.right, 6)})", ok)
        else:
            ok = bool(ex.exists) and str(ex.exact) == expected and nu.value is not None \
                and _within(nu, float(ex.value))
            shown = str(ex.exact) if str(ex.exact) == _g(ex.value) else f"{ex.exact} = {_g(ex.value)}"
            t.say(f"  lim {text} at {where} = {shown} (exact); "
                  f"{_g(nu.value)} ± {nu.error:.1g} (numeric)")
            t.row(f"lim {text} at {where}", str(ex.exact), None,
                  f"{_g(nu.value, 10)} ± {nu.error:.0e}", ok)
    t.picture("limit-sinx-over-x", lambda: dfdx.plot.limit(lambda x: np.sin(x) / x, 0.0))
    t.picture("limit-abs-jump", lambda: dfdx.plot.limit(lambda x: np.abs(x) / x, 0.0))


# -- 2. continuity -----------------------------------------------------------------------------

def _continuity(t):
    t.say("Tutorial: f = x**2 + 2*x + 1 is continuous at 1 when f(1), the left and the right "
          "limits agree.")

    def f(x):
        return x**2 + 2*x + 1

    ex = dfdx.continuity(f, 1, method="exact")
    nu = dfdx.continuity(f, 1, method="numeric")
    lim = ex.limit
    t.say(f"  f(1) = {_g(ex.value)}, left limit {_g(lim.left)}, right limit {_g(lim.right)}: "
          f"continuous = {ex.continuous} (exact), {nu.continuous} (numeric)")
    t.row("x²+2x+1 continuous at 1", str(ex.continuous), None, str(nu.continuous),
          ex.continuous is True and nu.continuous is True)
    t.say("  What a point can be, exactly and numerically:")
    gallery = [("sin(x)/x", lambda x: np.sin(x) / x, "removable"),
               ("abs(x)/x", lambda x: np.abs(x) / x, "jump"),
               ("1/x", lambda x: 1 / x, "infinite"),
               ("sin(1/x)", lambda x: np.sin(1 / x), "oscillating")]
    for text, fn, kind in gallery:
        ex = dfdx.continuity(text, 0, method="exact")
        nu = dfdx.continuity(fn, 0, method="numeric")
        ok = ex.kind == kind and nu.kind == kind
        t.say(f"    {text:<9} at 0: {ex.kind:<11} (exact)  {nu.kind:<11} (numeric)")
        t.row(f"{text} at 0", ex.kind, None, nu.kind, ok)
        t.picture(f"discontinuity-{kind}",
                  lambda fn=fn, ex=ex: dfdx.plot.discontinuity(fn, 0.0, result=ex))


# -- 3. derivatives ----------------------------------------------------------------------------

def _f1(x):
    return 2*x**2 + 3*x + 1


def _derivatives(t):
    t.say("Tutorial: f(x) = 2x² + 3x + 1 — f'(1) = 7 and f''(1) = 4, three ways.")
    # numeric: the tutorial's np.gradient on samples, then dfdx on the function itself
    x = np.linspace(-5, 5, 100)
    fp = np.gradient(_f1(x), x)
    fpp = np.gradient(fp, x)
    t.say(f"  np.gradient on 100 samples: f' off by {np.max(np.abs(fp - (4*x + 3))):.2g} and f'' "
          f"by {np.max(np.abs(fpp - 4)):.2g} (first-order edges);")
    g1 = dfdx.grid.derivative(_f1(x), x, n=1, accuracy=2)
    g2 = dfdx.grid.derivative(_f1(x), x, n=2, accuracy=2)
    t.say(f"  dfdx.grid.derivative (second order at the edges too): off by "
          f"{np.max(np.abs(g1 - (4*x + 3))):.1g} and {np.max(np.abs(g2 - 4)):.1g}")
    n1 = dfdx.numeric.derivative(_f1, 1.0)
    n2 = dfdx.numeric.derivative(_f1, 1.0, n=2)
    t.say(f"  dfdx.numeric.derivative(f, 1.0) = {_pm(n1)}; n=2: {_pm(n2)}")
    # symbolic: the same NumPy function, traced to SymPy
    s1 = dfdx.symbolic.diff(_f1)
    s2 = dfdx.symbolic.diff(_f1, n=2)
    t.say(f"  dfdx.symbolic.diff(f) = {s1}; n=2: {s2}  (sp.diff on the tutorial's expression "
          "gives the same)")
    e1, e2 = float(s1.subs(dfdx.symbolic.parse("x"), 1)), float(s2)
    # automatic: grad, derivative(n=2), and nested GradientTapes
    a1 = float(dfdx.grad(_f1)(1.0))
    a2 = float(dfdx.derivative(_f1, n=2)(1.0))
    xv = dfdx.Variable(1.0)
    with dfdx.GradientTape() as outer:
        with dfdx.GradientTape() as inner:
            y = _f1(xv)
        dy = inner.gradient(y, xv)
    d2y = outer.gradient(dy, xv)
    t.say(f"  dfdx.grad(f)(1.0) = {_g(a1)}; dfdx.derivative(f, n=2)(1.0) = {_g(a2)}; "
          f"nested tapes: {_g(dy)}, {_g(d2y)}")
    ok1 = e1 == 7 and _methods_agree(e1, a1, n1, float(dy))
    ok2 = e2 == 4 and _methods_agree(e2, a2, n2, float(d2y))
    _agreement(t, "f'(1) = 7", ok1)
    _agreement(t, "f''(1) = 4", ok2)
    t.row("f'(1), f = 2x²+3x+1", f"{s1.subs(dfdx.symbolic.parse('x'), 1)}", _g(a1), _pm(n1, 7), ok1)
    t.row("f''(1), nested tapes", str(s2), f"{_g(a2)} (tapes {_g(d2y)})", _pm(n2, 7), ok2)

    t.say("  The tutorial's second derivative from one GradientTape is wrong as written:")
    xv = dfdx.Variable(1.0)
    with dfdx.GradientTape() as tape:
        y = _f1(xv)
    f_prime = tape.gradient(y, xv)
    try:
        with dfdx.GradientTape() as tape:
            y = f_prime
        tape.gradient(y, xv)
        t.say("    (no error: unexpected)")
    except dfdx.TapeError as exc:
        t.say(f"    TapeError: {str(exc).split('. ')[0]}.")
    t.say("    Corrected: nest the tapes (above) — the outer tape records the inner gradient.")
    _taylor(t)
    t.picture("derivatives", lambda: dfdx.plot.derivatives(_f1, at=1.0, xlim=(-3, 2)))
    t.picture("step-error", lambda: dfdx.plot.step_error(np.exp, 1.0))


def _f3(x):
    return np.exp(np.sin(x))


def _taylor(t):
    """High orders: Taylor mode's coefficients against SymPy's series of the same function."""
    from dfdx.result import agree

    order = 10
    tay = np.asarray(dfdx.taylor(_f3, 0.0, order), dtype=float)
    series = dfdx.symbolic.taylor(_f3, 0, order)
    x = dfdx.symbolic.parse("x")
    exact = np.array([float(series.coeff(x, k)) for k in range(order + 1)])
    # why: coefficients are compared at the magnitude of the largest term, as a polynomial's
    # value is (a zero coefficient has no magnitude of its own)
    ok = agree(tay, exact, scale=float(np.max(np.abs(exact)))) is True
    t.say(f"  Taylor coefficients of exp(sin(x)) at 0 to order {order}: dfdx.taylor "
          f"{_g(tay[:6], 6)}…; dfdx.symbolic.taylor "
          f"({', '.join(str(series.coeff(x, k)) for k in range(6))}, …) "
          f"(largest difference {np.max(np.abs(tay - exact)):.1e})")
    t.say(f"  Taylor coefficients to order {order}: "
          f"{'Taylor mode and the exact series agree' if ok else 'THE TWO ROUTES DISAGREE'}")
    t.row(f"Taylor of exp(sin x), order {order}", _g(exact[:4], 4) + "…", _g(tay[:4], 4) + "…",
          None, ok)


# -- 4. partial derivatives --------------------------------------------------------------------

def _f2(x, y):
    return x**2 + 3*y + np.exp(x*y)


def _partials(t):
    t.say("Tutorial: f(x, y) = x² + 3y + exp(xy); ∇f(1, 2) = (2 + 2e², 3 + e²).")
    x = np.linspace(-5, 5, 101)
    y = np.linspace(-5, 5, 101)
    try:
        np.gradient(_f2(x, y), x, y)
        t.say("  np.gradient(f(x, y), x, y) ran (unexpected)")
    except (TypeError, ValueError) as exc:
        t.say(f"  The tutorial's np.gradient(f(x, y), x, y) on 1-D x, y fails: "
              f"{type(exc).__name__}: {exc} — f(x, y) pairs x[i] with y[i], a curve, not a "
              "surface.")
    X, Y = np.meshgrid(x, y, indexing="ij")
    i, j = int(np.argmin(np.abs(x - 1))), int(np.argmin(np.abs(y - 2)))
    exact_f = np.array([2 + 2*math.e**2, 3 + math.e**2])
    grids = {}
    for acc in (2, 6):
        fx, fy = dfdx.grid.gradient(_f2(X, Y), x, y, accuracy=acc)
        grids[acc] = np.array([fx[i, j], fy[i, j]])
    t.say(f"  Corrected: X, Y = np.meshgrid(x, y, indexing='ij'); dfdx.grid.gradient(f(X, Y), "
          f"x, y) at (1, 2), h = 0.1: {_g(grids[2], 8)} (accuracy 2), {_g(grids[6], 10)} "
          "(accuracy 6)")
    sym = dfdx.symbolic.gradient(_f2)
    sym_at = list(_exact_at(sym, (1, 2)))
    t.say(f"  exact: ∇f = ({sym[0]}, {sym[1]}) → ({sym_at[0]}, {sym_at[1]})")
    ad = np.array([float(g) for g in dfdx.grad(_f2, argnums=(0, 1))(1.0, 2.0)])
    xv, yv = dfdx.Variable(1.0), dfdx.Variable(2.0)
    with dfdx.GradientTape() as tape:
        z = _f2(xv, yv)
    tp = np.array([float(g) for g in tape.gradient(z, [xv, yv])])
    nu = dfdx.numeric.gradient(lambda v: _f2(v[0], v[1]), np.array([1.0, 2.0]))
    t.say(f"  AD: dfdx.grad(f, argnums=(0, 1))(1.0, 2.0) = {_g(ad)}; GradientTape: {_g(tp)}")
    t.say(f"  numeric: dfdx.numeric.gradient = {_pm(nu)}")
    ok = _methods_agree(exact_f, ad, nu, tp, [float(v) for v in sym_at])
    _agreement(t, "∇f(1, 2)", ok)
    t.row("∇f(1, 2), x²+3y+exp(xy)", "(2+2e², 3+e²)", _g(ad, 7), _pm(nu, 7), ok)
    grid_ok = abs(grids[6] - exact_f).max() < abs(grids[2] - exact_f).max()
    t.row("∇f(1, 2) on a grid, h=0.1", None, None,
          f"{_g(grids[6], 7)} (acc 6)", grid_ok)
    t.picture("gradient-field", lambda: dfdx.plot.gradient_field(
        _f2, xlim=(-1.0, 1.5), ylim=(-1.0, 2.5), at=(1.0, 2.0)))


# -- 5. Hessians -------------------------------------------------------------------------------

def _hessians(t):
    t.say("Second derivatives of f(x, y) = x² + 3y + exp(xy) at (1, 2): the Hessian.")

    def fv(v):
        return _f2(v[0], v[1])

    v0 = np.array([1.0, 2.0])
    e2 = math.e**2
    exact_f = np.array([[2 + 4*e2, 3*e2], [3*e2, e2]])
    sym = dfdx.symbolic.hessian(_f2)
    sym_at = _exact_at(sym, (1, 2))
    ad = np.asarray(dfdx.hessian(fv)(v0), dtype=float)
    nu = dfdx.numeric.hessian(fv, v0)
    t.say(f"  exact:   {sym_at.tolist()}")
    t.say(f"  AD:      dfdx.hessian(f)(v) = {_matrix(ad, 12)}")
    t.say(f"  numeric: dfdx.numeric.hessian = {_matrix(nu.value, 10)} ± {float(np.max(nu.error)):.0e}")
    ok = _methods_agree(exact_f, ad, nu, np.array(sym_at.tolist(), dtype=float))
    _agreement(t, "the Hessian", ok)
    eig = np.linalg.eigvalsh(ad)
    t.say(f"  eigenvalues {_g(eig, 6)}: indefinite — (1, 2) is on a saddle-shaped slope")
    t.row("Hessian of f at (1, 2)", "[[2+4e², 3e²], [3e², e²]]", f"[[{_g(ad[0, 0], 6)}, …]]",
          f"[[{_g(nu.value[0][0], 6)}, …]] ± {float(np.max(nu.error)):.0e}", ok)


# -- 6. Newton's method ------------------------------------------------------------------------

def _rosen(v):
    return (1 - v[0])**2 + 100 * (v[1] - v[0]**2)**2


def _newton(t):
    t.say("Newton's method uses the Hessian: minimize Rosenbrock's function from (-1.2, 1).")
    x0 = np.array([-1.2, 1.0])
    results = {}
    for method in ("newton", "lbfgs", "gd"):
        res = dfdx.optim.minimize(_rosen, x0, method=method,
                                  maxiter=2000 if method == "gd" else None)
        results[method] = res
        t.say(f"  {method:<7} {res.nit:>5} iterations  x = {_g(res.x, 8)}  f = {res.fun:.2e}  "
              f"{'converged' if res.success else 'not converged: ' + res.message}")
    newton = results["newton"]
    h_ad = np.asarray(dfdx.hessian(_rosen)(np.array([1.0, 1.0])), dtype=float)
    h_nu = dfdx.numeric.hessian(_rosen, np.array([1.0, 1.0]))
    h_ex = np.array([[802.0, -400.0], [-400.0, 200.0]])
    ok = newton.success and _close(newton.x, [1, 1], 1e-6, 1e-8) \
        and _methods_agree(h_ex, h_ad, h_nu)
    t.say(f"  the Hessian at the minimum: exact [[802, -400], [-400, 200]], AD {_g(h_ad.ravel())},"
          f" numeric ± {float(np.max(h_nu.error)):.1g}")
    t.say(f"  Newton needs {newton.nit} steps where gradient descent needs "
          f"{results['gd'].nit}{'+' if not results['gd'].success else ''}.")
    _agreement(t, "the minimum and its Hessian", ok)
    t.row("Newton on Rosenbrock", "x* = (1, 1)", f"{_g(newton.x, 8)}, {newton.nit} steps",
          f"H ± {float(np.max(h_nu.error)):.0e}", ok)


# -- 7. backpropagation ------------------------------------------------------------------------

def _training(t):
    t.say("Backpropagation: an MLP on the 8x8 digits, trained with dfdx.grad and Adam.")
    if importlib.util.find_spec("sklearn") is None:
        raise _Skip("the digits come with scikit-learn: pip install dfdx[train]")
    nn = dfdx.nn
    # First: backpropagation is right — AD against numeric on a small batch.
    x_tr, x_te, y_tr, y_te = nn.load_digits(seed=0, dtype=np.float64)
    init, apply = nn.mlp([64, 16, 10], activation="tanh", dtype=np.float64)
    params = init(np.random.default_rng(0))
    xb, yb = x_tr[:32], y_tr[:32]
    try:
        dfdx.check_grad(lambda p: nn.softmax_cross_entropy(apply(p, xb), yb), params, order=1)
        ok_grad = True
        t.say("  dfdx.check_grad: the loss gradient by forward mode, reverse mode (backprop) and "
              "finite differences agree")
    except AssertionError as exc:
        ok_grad = False
        t.say(f"  dfdx.check_grad FAILED: {str(exc).splitlines()[0]}")
    epochs, hidden = (3, (64,)) if t.quick else (20, (128,))

    def report(rec):
        t.say(f"    epoch {rec.get('epoch', '?'):>2}: loss {rec['loss']:.4f}, test accuracy "
              f"{100 * rec['test_accuracy']:.1f}%")

    res = nn.train_digits(epochs=epochs, hidden=hidden, lr=1e-2, seed=0, progress=False,
                          on_epoch=report)
    ok = ok_grad and res.test_accuracy > (0.85 if t.quick else 0.93)
    t.say(f"  {epochs} epochs in {res.seconds:.1f} s: test accuracy {100 * res.test_accuracy:.1f}%"
          f" (train {100 * res.train_accuracy:.1f}%)")
    t.row("MLP on digits (backprop)", None, f"test acc {100 * res.test_accuracy:.1f}%",
          "check_grad ok" if ok_grad else "check_grad failed", ok)
    t.picture("training", lambda: dfdx.plot.training(res.history))


# -- 8. sensitivity and uncertainty ------------------------------------------------------------

def _output(v):
    """A small model: the logistic output of two inputs."""
    return 1 / (1 + np.exp(-(1.5 * v[0] - 2.0 * v[1] + 0.5 * v[0] * v[1])))


def _uncertainty(t):
    t.say("Sensitivity and uncertainty: how a model's output moves with its inputs.")
    explain = dfdx.explain
    x0 = np.array([0.8, 0.3])
    sens = np.asarray(explain.sensitivity(_output, x0).jacobian, dtype=float)
    ad = np.asarray(dfdx.grad(_output)(x0), dtype=float)
    nu = dfdx.numeric.gradient(_output, x0)
    sym = dfdx.symbolic.gradient(lambda a, b: _output([a, b]))
    ex = np.array([float(v) for v in _exact_at(sym, (0.8, 0.3))])
    ok = _methods_agree(ex, ad, nu, sens.ravel())
    t.say(f"  sensitivity ∂y/∂x at {_g(x0)}: explain.sensitivity {_g(sens.ravel(), 8)}, "
          f"exact {_g(ex, 8)}, numeric {_pm(nu)}")
    _agreement(t, "the sensitivities", ok)
    t.row("sensitivity ∂y/∂x", _g(ex, 6), _g(ad, 6), _pm(nu, 5), ok)

    ig = explain.integrated_gradients(_output, x0, np.zeros(2))
    total = float(np.sum(ig.attributions))
    # the path integral's quadrature error: 1e-3 of the output's magnitude
    ok = _close(total, ig.f_x - ig.f_baseline, atol=1e-3 * max(1.0, abs(ig.f_x)))
    t.say(f"  feature importance (integrated gradients from 0): {_g(ig.attributions, 6)}; they "
          f"add up to {total:.6f} = f(x) - f(0) = {ig.f_x - ig.f_baseline:.6f} "
          f"(gap {abs(ig.delta):.1e})")
    t.row("integrated gradients", f"Σ = {ig.f_x - ig.f_baseline:.6f}", f"Σ = {total:.6f}",
          None, ok)

    cov = np.array([[0.02, 0.005], [0.005, 0.01]])
    mean_out, cov_out = explain.delta_method(_output, x0, cov)
    std = float(np.sqrt(np.squeeze(cov_out)))
    std_exact = float(np.sqrt(ex @ cov @ ex))
    rng = np.random.default_rng(0)
    samples = rng.multivariate_normal(x0, cov, size=20000 if t.quick else 200000)
    mc = _output(samples.T)
    # the Monte Carlo standard deviation is a sample: 5 % (many times its standard error)
    ok = _close(std, std_exact) and _close(np.std(mc), std, rtol=0.05)
    t.say(f"  uncertainty (inputs ~ N(x, Σ)): delta method y = {float(np.squeeze(mean_out)):.4f} "
          f"± {std:.4f}; exact gradient gives ± {std_exact:.4f}; Monte Carlo "
          f"{np.mean(mc):.4f} ± {np.std(mc):.4f}")
    t.row("delta-method std of y", f"{std_exact:.6f}", f"{std:.6f}", f"MC {np.std(mc):.4f}", ok)


# -- running -----------------------------------------------------------------------------------

#: The steps of the tour in order: (name, title, function).
STEPS = [
    ("limits", "Limits", _limits),
    ("continuity", "Continuity", _continuity),
    ("derivatives", "Derivatives: numeric, symbolic, automatic", _derivatives),
    ("partials", "Gradient and partial derivatives", _partials),
    ("hessians", "Hessians", _hessians),
    ("newton", "Newton's method", _newton),
    ("training", "Backpropagation on the digits", _training),
    ("uncertainty", "Sensitivity and uncertainty", _uncertainty),
]


def _summary(t, seconds):
    t.say()
    t.say("━━ Summary " + "━" * 70)
    cols = ("step", "quantity", "exact", "AD", "numeric", "agree")
    # why: the table fits 100 columns (five gaps of 2); long cells end in "…"
    widths = (9, 21, 18, 17, 20, 5)
    t.say("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    for step, quantity, exact, ad, numeric, agree in t.rows:
        mark = {True: "yes", False: "NO", None: "-"}[agree]
        cells = [step, quantity, exact, ad, numeric, mark]
        t.say("  ".join((str(c) if len(str(c)) <= w else str(c)[:w - 1] + "…").ljust(w)
                        for c, w in zip(cells, widths)).rstrip())
    n_ok = sum(1 for r in t.rows if r[-1] is True)
    t.say()
    t.say(f"{n_ok} of {len(t.rows)} results agree across methods; {len(t.pictures)} picture files"
          + (f" in {t.out}/" if t.out is not None and t.pictures else "")
          + f"; {seconds:.1f} s.")
    for p in t.problems:
        t.say(f"problem: {p}")


def run(out="demo-output", quick=False, only=None, stream=None, step_timeout=None) -> int:
    """Run the tour; return 0 when every step ran and its methods agreed, else 1.

    Args:
        out: folder for the pictures (created), or None for no pictures.
        quick: shorten the training step (a few seconds in all).
        only: names of the steps to run (see `STEPS`); default all.
        stream: where to print (default ``sys.stdout``).
        step_timeout: seconds each step may run (None: no limit); a step that runs
            out of time is reported as a problem and the tour goes on.

    Returns:
        0 or 1 (the exit status of ``dfdx tour``).
    """
    stream = sys.stdout if stream is None else stream
    t = _Tour(out, quick, stream)
    if t.out is not None:
        t.out.mkdir(parents=True, exist_ok=True)
    t.say("dfdx tour: every example of the calculus tutorial, computed automatically (AD), "
          "exactly (SymPy) and numerically (finite differences with error estimates).")
    start = time.perf_counter()
    names = [s[0] for s in STEPS]
    if only is not None:
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ValueError(f"unknown tour steps {unknown}; the steps are {names}")
    number = 0
    for name, title, step in STEPS:
        if only is not None and name not in only:
            continue
        number += 1
        t.heading(number, title, name)
        from dfdx.symbolic._budget import StepTimeout, step_budget
        try:
            with step_budget(step_timeout), \
                    np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                step(t)
        except StepTimeout:
            t.say(f"  ran out of time ({step_timeout:g} s per step; raise it with --timeout)")
            t.problems.append(f"{title}: ran out of time ({step_timeout:g} s)")
        except _Skip as exc:
            t.say(f"  skipped: {exc}")
        except ImportError as exc:
            t.say(f"  skipped: {str(exc).splitlines()[0]}")
        except Exception as exc:  # a step that breaks must not hide the rest of the tour
            if os.environ.get("DFDX_TRACEBACK"):
                raise
            where = exc.__traceback__
            while where.tb_next is not None:
                where = where.tb_next
            line = f"{Path(where.tb_frame.f_code.co_filename).name}:{where.tb_lineno}"
            msg = str(exc).splitlines()[0] if str(exc) else ""
            t.say(f"  step failed: {type(exc).__name__}: {msg} ({line})")
            t.problems.append(f"{title}: {type(exc).__name__}: {msg}")
    _summary(t, time.perf_counter() - start)
    return 1 if t.problems else 0
