"""Pictures of calculus: derivatives, limits, discontinuities, gradient fields, step errors, training.

Every function takes a plain NumPy function (or an expression string such as
``"sin(x)/x"``, read by the safe parser), computes what it shows with dfdx's
public API, and returns a `matplotlib.figure.Figure`. Nothing here calls
``plt.show()`` or touches pyplot's global state: the figure is built on the
Agg canvas, so it renders in Jupyter (display the returned object), and
`save` writes it as PNG and/or SVG.

matplotlib is an optional extra (``pip install dfdx[plot]``); it is imported
the first time a picture is drawn.

Colours are fixed so that pictures (and tests) can find each curve: the
function is ``C0`` (blue), its first derivative ``C1`` (orange), the second
``C2`` (green), tangents and limits ``C3`` (red); the left side of a point is
``C0``, the right side ``C1``.

Example:
    >>> import numpy as np
    >>> from dfdx import plot
    >>> fig = plot.derivatives(lambda x: 2*x**2 + 3*x + 1, at=1.0, xlim=(-3, 2))
    >>> [a.get_title() for a in fig.axes]
    ['f(x) and its derivatives; tangent at x = 1: slope 7']
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import dfdx
from dfdx.result import format_number

__all__ = ["derivatives", "limit", "discontinuity", "gradient_field", "step_error", "training",
           "save", "COLORS"]

#: The colour of each kind of curve (matplotlib's default cycle).
COLORS = {"f": "#1f77b4", "df": "#ff7f0e", "d2f": "#2ca02c", "tangent": "#d62728",
          "left": "#1f77b4", "right": "#ff7f0e", "limit": "#d62728", "point": "#000000"}
_ORDER_COLORS = [COLORS["f"], COLORS["df"], COLORS["d2f"], "#9467bd", "#8c564b"]


_FIGURE_CLASS = []


def _figure_class():
    """Return a matplotlib Figure subclass that shows itself in Jupyter (PNG), pyplot or not."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("dfdx.plot needs matplotlib, which is not installed. "
                          "Install the extra: pip install dfdx[plot]") from exc
    if not _FIGURE_CLASS:
        class DfdxFigure(Figure):
            """A Figure that renders in Jupyter even when pyplot's inline backend is not loaded."""

            def _repr_png_(self):
                import io

                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=100)
                return buf.getvalue()

        _FIGURE_CLASS.append(DfdxFigure)
    return _FIGURE_CLASS[0]


def _figure(ncols=1, width=6.4, height=4.2):
    """Return a Figure on the Agg canvas with `ncols` axes (pyplot is never touched)."""
    cls = _figure_class()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = cls(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _function(f, nvars=1):
    """Return a NumPy function of `nvars` arguments (`dfdx.symbolic.as_function`)."""
    if not callable(f) and not isinstance(f, str):
        raise TypeError(f"expected a NumPy function or an expression string, "
                        f"got {type(f).__name__}")
    return dfdx.symbolic.as_function(f, nvars=nvars)


def _variables(text, nvars):
    """The `nvars` argument names `as_function` gives an expression string, in order."""
    return [str(v) for v in dfdx.symbolic.as_function(text, nvars=nvars).variables]


def _label(f, default="f"):
    return f if isinstance(f, str) else getattr(f, "__name__", default).replace("<lambda>", default)


def _evaluate(fn, x):
    """Evaluate `fn` on an array, quietly (nan where undefined), broadcasting scalars."""
    with np.errstate(all="ignore"):
        y = np.asarray(fn(x), dtype=float)
    return np.broadcast_to(y, np.shape(x)).astype(float)


def _nth_derivative(f, fn, n, x):
    """Return the elementwise n-th derivative on `x`.

    An expression string is differentiated exactly (SymPy, then compiled); a
    NumPy function by AD, or numerically where AD has no rule.
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        if isinstance(f, str):
            d = dfdx.symbolic.diff(f, n=n) if dfdx.symbolic.parse(f).free_symbols \
                else dfdx.symbolic.parse("0")
            try:
                return _evaluate(dfdx.symbolic.as_function(d, nvars=1), x)
            except Exception:
                pass    # SymPy left it unevaluated (d/dx floor(x)): AD on the compiled f
        try:
            return np.broadcast_to(np.asarray(dfdx.derivative(fn, n=n)(x), dtype=float), x.shape)
        except dfdx.DfdxError:
            return np.array([float(dfdx.numeric.derivative(fn, float(t), n=n).value) for t in x])


def _gradient_on_grid(f, fn, X, Y):
    """Return the partial derivatives of f(x, y) on grid arrays: exactly for text, else AD."""
    with np.errstate(all="ignore"):
        if isinstance(f, str):
            names = _variables(f, 2)
            _, g = dfdx.symbolic.compile(f, names, gradient=True)(X, Y)
            return np.asarray(g[0], dtype=float), np.asarray(g[1], dtype=float)
        # why: for an elementwise f, the gradient of sum(f) on a grid is the pointwise gradient.
        gx, gy = dfdx.grad(lambda A, B: np.sum(fn(A, B)), argnums=(0, 1))(X, Y)
        return np.asarray(gx, dtype=float), np.asarray(gy, dtype=float)


def _robust_ylim(ax, *ys, pad=0.1):
    """Zoom the y-axis on the bulk of the finite values (poles would squash everything else)."""
    finite = np.concatenate([np.asarray(y, dtype=float).ravel() for y in ys])
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return
    lo, hi = np.percentile(finite, [2, 98])
    if np.ptp(finite) <= 3 * (hi - lo):      # no pole: show everything
        lo, hi = float(np.min(finite)), float(np.max(finite))
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    ax.set_ylim(lo - pad * span, hi + pad * span)


def _number(v, digits=4):
    """Format a number short (`dfdx.result.format_number` to `digits` significant digits)."""
    return format_number(v, digits, none="none")


def _named(f, text):
    """A title that names the function: ``'sin(x): …'`` (``f`` for an anonymous function)."""
    name = _label(f)
    return f"{name}: {text}" if name != "f" else text


def _break_jumps(x, y, span):
    """NaN between samples where y jumps (a pole or a jump), so no line joins across it.

    Returns:
        ``(y, breaks)``: the broken copy and the indices i with a break between i and i + 1.
    """
    y = np.array(y, dtype=float)
    with np.errstate(invalid="ignore"):
        dy = np.abs(np.diff(y))
    finite = dy[np.isfinite(dy)]
    if finite.size == 0 or span <= 0:
        return y, np.array([], dtype=int)
    typical = float(np.median(finite))
    # why: a continuous curve moves by about its slope times the sample step between two
    # samples; a jump (or a pole's sign flip) moves by a sizeable part of the visible range
    # in one step, far more than its neighbours do
    with np.errstate(all="ignore"):
        big = dy > max(25 * typical, 0.08 * span)
        prev = np.nan_to_num(np.concatenate([[0.0], dy[:-1]]))
        nxt = np.nan_to_num(np.concatenate([dy[1:], [0.0]]))
        isolated = dy > 4 * np.fmax(prev, nxt)
        flips = np.sign(y[:-1]) != np.sign(y[1:])
    breaks = np.flatnonzero(big & (isolated | flips))
    out = y.copy()
    if breaks.size:
        out = np.insert(out, breaks + 1, np.nan)
    return out, breaks


def _one_sided_slopes(f, fn, a):
    """The left and right slopes of f at a (±inf for a vertical tangent, None if undefined).

    Exact (SymPy one-sided limits of the difference quotient) for an expression
    string; one-sided finite differences for a NumPy function.
    """
    if isinstance(f, str):
        expr = dfdx.symbolic.parse(f)
        names = _variables(f, 1)
        out = []
        for side in "-+":
            try:
                # why: a SymPy limit can run for minutes; it is stopped after 3 s
                from dfdx.symbolic._budget import run_with_budget
                v = run_with_budget(dfdx.symbolic.one_sided_diff, expr, names[0], a, side,
                                    timeout=3.0)
                out.append(_side_float(v))
            except Exception:     # SymPy could not decide in time: the numeric slope
                out.append(_numeric_slope(fn, a, side))
        return tuple(out)
    return _numeric_slope(fn, a, "-"), _numeric_slope(fn, a, "+")


def _side_float(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _numeric_slope(fn, a, side):
    try:
        with np.errstate(all="ignore"):
            est = dfdx.numeric.derivative(fn, float(a), method="forward" if side == "+"
                                          else "backward")
    except (dfdx.DfdxError, ValueError, ArithmeticError):
        return None
    v, e = float(est.value), float(est.error)
    if not math.isfinite(e):
        # why: the estimates diverge; a slope that grows without bound is a vertical tangent
        return math.copysign(math.inf, v) if abs(v) > 1e3 else None
    return v


def derivatives(f, at=None, *, xlim=(-3.0, 3.0), order=2, num=400, title=None):
    """Draw f with its derivatives and, if `at` is given, the tangent there.

    The derivatives are computed by AD for a NumPy function (numerically where
    AD has no rule) and exactly for an expression string. Each curve is drawn
    only where f and it are defined (``log(x)`` not for x < 0) and is broken at
    poles and jumps (never joined across); vertical asymptotes of f are dotted;
    the y-range follows the bulk of the values, so ``tan(x)`` stays visible.
    At a kink there is no tangent: the two one-sided tangents are drawn (``abs``
    at 0); where the slope is infinite, a vertical tangent (``sqrt`` at 0).

    Args:
        f: an elementwise NumPy function of one variable, or an expression string.
        at: the point of tangency, or None for no tangent.
        xlim: the x-range ``(lo, hi)``.
        order: the highest derivative drawn (0 to 4).
        num: number of sample points.
        title: the axes title (default: the function and the tangent's slope).

    Returns:
        The Figure (one axes): f in ``C0``, f' in ``C1``, f'' in ``C2``, the
        tangent dashed in ``C3``.

    Example:
        >>> from dfdx import plot
        >>> fig = plot.derivatives("sin(x)", at=0.0)
        >>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
        ['f', "f'", "f''"]
        >>> fig.axes[0].get_title()
        'sin(x) and its derivatives; tangent at x = 0: slope 1'
        >>> plot.derivatives("abs(x)", at=0.0).axes[0].get_title()
        'abs(x) and its derivatives; a kink at x = 0, one-sided slopes -1 and 1'
    """
    fn = _function(f)
    x = np.linspace(float(xlim[0]), float(xlim[1]), int(num))
    fig, (ax,) = _figure()
    f0 = _evaluate(fn, x)
    defined = np.isfinite(f0)
    ys = [f0 if k == 0 else _nth_derivative(f, fn, k, x) for k in range(int(order) + 1)]
    # why: a derivative exists only where f does (d/dx log(x) = 1/x, but not for x < 0)
    ys = [np.where(defined, y, np.nan) for y in ys]
    lo, hi = _robust_range(*ys)
    _draw_curves(ax, x, ys, lo, hi)
    label = _label(f)
    heading = title or ("f(x) and its derivatives" if label == "f"
                        else f"{label} and its derivatives")
    if at is not None:
        a = float(at)
        fa = float(_evaluate(fn, np.array([a]))[0])
        left, right = _one_sided_slopes(f, fn, a)
        note = _draw_tangents(ax, x[defined] if defined.any() else x, a, fa, left, right,
                              lo, hi)
        if title is None:
            heading += f"; {note}"
    ax.set_ylim(lo, hi)
    ax.axhline(0, color="0.6", lw=0.6, zorder=0)
    ax.set_xlabel("x")
    ax.set_title(heading)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _draw_curves(ax, x, ys, lo, hi):
    """f and its derivatives, each broken at its jumps; f's vertical asymptotes dotted."""
    names = ["f", "f'", "f''", "f'''", "f⁽⁴⁾"]
    for k, y in enumerate(ys):
        yb, breaks = _break_jumps(x, y, hi - lo)
        xb = np.insert(x, breaks + 1, np.nan) if breaks.size else x
        ax.plot(xb, yb, color=_ORDER_COLORS[k], lw=2.2 if k == 0 else 1.6, label=names[k])
        if k == 0:
            for n, xp in enumerate(_poles(x, y, breaks, lo, hi)):
                ax.axvline(xp, ls=":", color="0.45", lw=1.0, zorder=0,
                           label="asymptote" if n == 0 else None)


def _poles(x, y, breaks, lo, hi):
    """The x of each vertical asymptote: a break, or a gap of undefined samples, across which
    f leaves the view on both sides (1/(x - 1) at 1, tan at ±pi/2)."""
    out = [0.5 * (x[i] + x[i + 1]) for i in breaks if _is_pole(y[i], y[i + 1], lo, hi)]
    finite = np.isfinite(y)
    i = 0
    while i < len(y) - 1:
        if finite[i] and not finite[i + 1]:
            j = i + 1
            while j < len(y) and not finite[j]:
                j += 1
            # why: a short gap between two branches beyond the view is a pole; an edge of the
            # domain (log at 0) has f on one side only
            if j < len(y) and j - i <= 3 and _is_pole(y[i], y[j], lo, hi) and \
                    not lo <= y[i] <= hi and not lo <= y[j] <= hi:
                out.append(0.5 * (x[i] + x[j]))
            i = j
        else:
            i += 1
    return sorted(out)


def _is_pole(y0, y1, lo, hi):
    """Whether a break between two samples is a vertical asymptote (values leave the view)."""
    out0 = not lo <= y0 <= hi if np.isfinite(y0) else True
    out1 = not lo <= y1 <= hi if np.isfinite(y1) else True
    return out0 or out1


def _draw_tangents(ax, x, a, fa, left, right, lo, hi):
    """Draw the tangent(s) at a; return the sentence for the title."""
    from dfdx.result import combine_sides

    color = COLORS["tangent"]
    if not math.isfinite(fa):
        return f"f is undefined at x = {_number(a)}"
    ax.plot([a], [fa], "o", color=COLORS["point"], ms=5, zorder=5)
    same, slope = (None, None)
    if left is not None and right is not None:
        if math.isinf(left) or math.isinf(right):
            same, slope = (left == right), right
        else:
            # why: numeric one-sided slopes carry rounding; 1e-6 relative is far below a kink
            same, slope = combine_sides(left, right, 1e-6 * max(1.0, abs(left)), 0.0)
            same = bool(same)
            slope = right if same else None
    if same and slope is not None and math.isfinite(slope):
        ax.plot(x, fa + slope * (x - a), "--", color=color, lw=1.4,
                label=f"tangent at {_number(a)}")
        return f"tangent at x = {_number(a)}: slope {_number(slope)}"
    known = [s for s in (left, right) if s is not None]
    if known and all(math.isinf(s) for s in known) and (same or len(known) == 1):
        ax.axvline(a, ls="--", color=color, lw=1.4, label=f"vertical tangent at {_number(a)}")
        return f"vertical tangent at x = {_number(a)} (infinite slope)"
    drawn = []
    for side, s in (("left", left), ("right", right)):
        if s is None:
            continue
        mask = x <= a if side == "left" else x >= a
        if math.isinf(s):
            ax.plot([a, a], [fa, hi if (s > 0) == (side == "right") else lo], "--",
                    color=color, lw=1.4, label=f"{side} tangent (vertical)")
        else:
            ax.plot(x[mask], fa + s * (x[mask] - a), "--", color=color, lw=1.4,
                    alpha=1.0 if side == "right" else 0.7, label=f"{side} tangent")
        drawn.append(_number(s))
    if len(drawn) == 2:
        return f"a kink at x = {_number(a)}, one-sided slopes {drawn[0]} and {drawn[1]}"
    if drawn:
        return f"one-sided tangent at x = {_number(a)}: slope {drawn[0]}"
    return f"no tangent at x = {_number(a)}"


def _robust_range(*ys, pad=0.1):
    """The y-range of the bulk of the finite values (poles would squash everything else)."""
    finite = np.concatenate([np.asarray(y, dtype=float).ravel() for y in ys])
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = np.percentile(finite, [5, 95])
    if np.ptp(finite) <= 3 * max(hi - lo, 1e-300):      # no pole: show everything
        lo, hi = float(np.min(finite)), float(np.max(finite))
    else:
        # why: room around the bulk so a pole's branches are seen rising out of view
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        lo, hi = mid - 1.6 * half, mid + 1.6 * half
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    return float(lo - pad * span), float(hi + pad * span)


def _steps(k):
    return 2.0 ** -np.arange(1, k + 1)


def limit(f, at, *, result=None, steps=14, title=None):
    """Draw the approach to a limit from both sides, converging or not.

    The left panel shows f near `at` with the points ``at ± 2**-k`` walking in
    (left side ``C0``, right side ``C1``) and the one-sided limits as dashed
    lines; the right panel shows ``f(at - h)`` and ``f(at + h)`` against the
    step h on a log axis, so two different plateaus (a jump), one plateau, or
    no plateau (oscillation, a pole) can be read off.

    Args:
        f: a NumPy function of one variable, or an expression string.
        at: a finite point.
        result: a `LimitResult` already computed (default: ``dfdx.limit(f, at)``).
        steps: how many points on each side (``h = 2**-1 … 2**-steps``).
        title: the figure title (default: the verdict).

    Returns:
        The Figure (two axes).

    Example:
        >>> import numpy as np
        >>> from dfdx import plot
        >>> fig = plot.limit(lambda x: np.sin(x) / x, 0.0)
        >>> fig.get_suptitle()
        'lim f(x) as x → 0 = 1'
    """
    fn = _function(f)
    a = float(at)
    if result is None:
        result = dfdx.limit(f, at)
    h = _steps(int(steps))
    left = _evaluate(fn, a - h)
    right = _evaluate(fn, a + h)
    fig, (ax, ax2) = _figure(ncols=2, width=5.2)
    sides = [(float(side), color) for side, color in ((result.left, COLORS["left"]),
                                                       (result.right, COLORS["right"]))
             if side is not None and np.isfinite(float(side))]
    _draw_approach(ax, fn, a, h, left, right, sides)
    _draw_steps(ax2, a, h, left, right, sides)
    if title is None:
        if result.exists and result.value is not None:
            title = _named(f, f"lim f(x) as x → {_number(a)} = {_number(result.value)}")
        else:
            title = _named(f, f"no limit at x = {_number(a)}: left {_number(result.left)}, "
                              f"right {_number(result.right)}")
    fig.suptitle(title)
    return fig


def _draw_approach(ax, fn, a, h, left, right, sides):
    """f near `a` in grey, the points a - h and a + h walking in, the one-sided limits."""
    xs = np.linspace(a - 2.2, a + 2.2, 801)
    xs = xs[np.abs(xs - a) > 1e-9]
    ys = _evaluate(fn, xs)
    ax.plot(xs[xs < a], ys[xs < a], color="0.55", lw=1.2)
    ax.plot(xs[xs > a], ys[xs > a], color="0.55", lw=1.2)
    ax.plot(a - h, left, "o", color=COLORS["left"], ms=4, label="from the left")
    ax.plot(a + h, right, "o", color=COLORS["right"], ms=4, label="from the right")
    for value, color in sides:
        ax.axhline(value, ls="--", color=color, lw=1.0)
    ax.axvline(a, color="0.7", lw=0.8, zorder=0)
    _robust_ylim(ax, ys, left, right)
    ax.set_xlabel("x")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)


def _draw_steps(ax2, a, h, left, right, sides):
    """f(a - h) and f(a + h) against the step h, on a log axis shrinking to the right."""
    for value, color in sides:
        ax2.axhline(value, ls="--", color=color, lw=1.0)
    ax2.semilogx(h, left, "o-", color=COLORS["left"], ms=4, label=f"f({_number(a)} - h)")
    ax2.semilogx(h, right, "s-", color=COLORS["right"], ms=4, label=f"f({_number(a)} + h)")
    ax2.invert_xaxis()
    _robust_ylim(ax2, left, right)
    ax2.set_xlabel("h (the step shrinks to the right)")
    ax2.legend(loc="best", fontsize=8)
    ax2.grid(alpha=0.3)


def discontinuity(f, at, *, result=None, xlim=None, title=None):
    """Draw f around a point and mark what kind of point it is.

    A removable point gets an open circle at the limit (and a dot at f(at)
    if defined); a jump gets the two one-sided limits (open and filled
    circles); an infinite discontinuity a dashed vertical asymptote; an
    oscillating one the band the values fill; a continuous point a dot.

    Args:
        f: a NumPy function of one variable, or an expression string.
        at: a finite point.
        result: a `ContinuityResult` (default: ``dfdx.continuity(f, at)``).
        xlim: the x-range (default ``at ± 2``).
        title: the axes title (default: the kind).

    Returns:
        The Figure (one axes).

    Example:
        >>> import numpy as np
        >>> from dfdx import plot
        >>> plot.discontinuity(lambda x: np.abs(x) / x, 0.0).axes[0].get_title()
        'jump at x = 0'
    """
    fn = _function(f)
    a = float(at)
    if result is None:
        result = dfdx.continuity(f, at)
    lo, hi = xlim if xlim is not None else (a - 2.0, a + 2.0)
    oscillating = result.kind == "oscillating"
    n = 20001 if oscillating else 1201
    gap = 1e-9 if oscillating else (hi - lo) * 1e-4
    xl = np.linspace(lo, a - gap, n)
    xr = np.linspace(a + gap, hi, n)
    yl, yr = _evaluate(fn, xl), _evaluate(fn, xr)
    fig, (ax,) = _figure()
    lw = 0.6 if oscillating else 2.0
    ax.plot(xl, yl, color=COLORS["left"], lw=lw)
    ax.plot(xr, yr, color=COLORS["right"], lw=lw)
    _mark_kind(ax, result, a, lo, hi)
    fa = result.value if result.defined else None
    if fa is not None and np.isfinite(float(fa)):
        ax.plot([a], [float(fa)], "o", color=COLORS["point"], ms=6, zorder=5,
                label=f"f({_number(a)}) = {_number(fa)}")
    _robust_ylim(ax, yl, yr)
    ax.axvline(a, color="0.8", lw=0.6, zorder=0)
    ax.set_xlabel("x")
    ax.set_title(title or _named(f, f"{result.kind} at x = {_number(a)}"))
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _mark_kind(ax, result, a, lo, hi):
    """The mark of the point's kind: asymptote, one-sided limits, the limit, or a band."""
    lim = result.limit
    if result.kind == "infinite":
        ax.axvline(a, ls="--", color=COLORS["limit"], lw=1.4, label="vertical asymptote")
    elif result.kind == "jump" and lim is not None:
        ax.plot([a], [float(lim.left)], "o", mfc="white", color=COLORS["left"], ms=8,
                label=f"left limit {_number(lim.left)}")
        ax.plot([a], [float(lim.right)], "o", mfc="white", color=COLORS["right"], ms=8,
                label=f"right limit {_number(lim.right)}")
    elif result.kind == "removable" and lim is not None and lim.value is not None:
        ax.plot([a], [float(lim.value)], "o", mfc="white", color=COLORS["limit"], ms=8,
                mew=2, label=f"limit {_number(lim.value)}")
    elif result.kind == "oscillating":
        ax.axvspan(a - 0.02 * (hi - lo), a + 0.02 * (hi - lo), color=COLORS["limit"], alpha=0.15,
                   label="no limit: oscillates")


def gradient_field(f, xlim=(-2.0, 2.0), ylim=(-2.0, 2.0), *, at=None, num=120, arrows=15,
                   title=None):
    """Draw the contours of f(x, y) with its gradient field (by AD; exactly for a string).

    Args:
        f: an elementwise NumPy function of two variables, or an expression string.
        xlim, ylim: the ranges.
        at: a point ``(x, y)`` whose gradient is drawn as a red arrow, or None.
        num: grid points per axis for the contours.
        arrows: arrows per axis for the field.
        title: the axes title.

    Returns:
        The Figure (one axes, with a colour bar).

    Example:
        >>> import numpy as np
        >>> from dfdx import plot
        >>> fig = plot.gradient_field(lambda x, y: x**2 + 3*y + np.exp(x*y), at=(1.0, 2.0),
        ...                           xlim=(-1, 1.5), ylim=(-1, 2.5))
        >>> len(fig.axes)
        2
    """
    fn = _function(f, nvars=2)
    x = np.linspace(*map(float, xlim), int(num))
    y = np.linspace(*map(float, ylim), int(num))
    X, Y = np.meshgrid(x, y, indexing="xy")
    with np.errstate(all="ignore"):
        Z = np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape)
    fig, (ax,) = _figure(width=6.0, height=5.0)
    finite = Z[np.isfinite(Z)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    levels = np.linspace(lo, hi, 21) if hi > lo else 10
    cs = ax.contourf(X, Y, np.clip(Z, lo, hi), levels=levels, cmap="viridis", alpha=0.85)
    ax.contour(X, Y, np.clip(Z, lo, hi), levels=levels, colors="k", linewidths=0.3)
    fig.colorbar(cs, ax=ax, label="f(x, y)")
    xa = np.linspace(*map(float, xlim), int(arrows))
    ya = np.linspace(*map(float, ylim), int(arrows))
    XA, YA = np.meshgrid(xa, ya, indexing="xy")
    U, V = _gradient_on_grid(f, fn, XA, YA)
    norm = np.hypot(U, V)
    norm[norm == 0] = 1.0
    ax.quiver(XA, YA, U / norm, V / norm, color="white", alpha=0.9, pivot="mid", width=0.004)
    if at is not None:
        px, py = map(float, at)
        gx, gy = (float(np.ravel(g)[0]) for g in _gradient_on_grid(f, fn, np.array([px]),
                                                                      np.array([py])))
        scale = 0.25 * min(np.ptp(x), np.ptp(y)) / max(math.hypot(gx, gy), 1e-300)
        ax.annotate("", xy=(px + gx * scale, py + gy * scale), xytext=(px, py),
                    arrowprops=dict(arrowstyle="-|>", color=COLORS["limit"], lw=2.2),
                    annotation_clip=False)
        ax.plot([px], [py], "o", color=COLORS["limit"], ms=6)
        if title is None:
            title = _named(f, f"∇f({_number(px)}, {_number(py)}) = ({gx:.5g}, {gy:.5g})")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or _named(f, "contours of f and its gradient field"))
    return fig


def step_error(f, x, *, exact=None, title=None):
    """Draw the error of finite differences against the step size: truncation vs rounding.

    Forward differences lose ~h to truncation, central ones ~h²; both gain
    ~eps/h from rounding, so each has a best step (~1e-8 and ~1e-5). The error
    and the step chosen by `dfdx.numeric.derivative` are marked.

    Args:
        f: a NumPy function of one variable, or an expression string.
        x: the point.
        exact: the true derivative (default: AD, ``dfdx.derivative(f)(x)``).
        title: the axes title.

    Returns:
        The Figure (one log-log axes): forward error ``C0``, central ``C1``.

    Example:
        >>> import numpy as np
        >>> from dfdx import plot
        >>> fig = plot.step_error(np.exp, 1.0)
        >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
        ('log', 'log')
    """
    fn = _function(f)
    x = float(x)
    if exact is None:
        exact = float(_nth_derivative(f, fn, 1, np.array([x]))[0])
    h = np.logspace(-16, 0, 161)
    with np.errstate(all="ignore"):
        fx = float(fn(x))
        forward = np.abs((np.asarray(fn(x + h), dtype=float) - fx) / h - exact)
        central = np.abs((np.asarray(fn(x + h), dtype=float)
                          - np.asarray(fn(x - h), dtype=float)) / (2 * h) - exact)
    tiny = np.finfo(float).eps * max(abs(exact), 1.0) * 1e-3
    fig, (ax,) = _figure()
    ax.loglog(h, np.maximum(forward, tiny), color=COLORS["left"], lw=1.6, label="forward difference")
    ax.loglog(h, np.maximum(central, tiny), color=COLORS["right"], lw=1.6, label="central difference")
    eps = np.finfo(float).eps
    scale = max(abs(fx), 1.0)
    ax.loglog(h, eps * scale / h, ":", color="0.4", lw=1, label="rounding ~ eps/h")
    ax.loglog(h, np.abs(exact) * h, "--", color="0.55", lw=1, label="truncation ~ h")
    ax.loglog(h, np.abs(exact) * h**2, "-.", color="0.55", lw=1, label="truncation ~ h²")
    est = dfdx.numeric.derivative(fn, x)
    actual = abs(float(est.value) - exact)
    ax.axhline(max(float(est.error), tiny), color=COLORS["d2f"], lw=1.2,
               label=f"dfdx.numeric: claimed error {float(est.error):.1e}")
    ax.axhline(max(actual, tiny), color=COLORS["d2f"], lw=1.2, ls="--",
               label=f"dfdx.numeric: actual error {actual:.1e}")
    ax.set_ylim(tiny, 10 * max(1.0, abs(exact)))
    ax.set_xlabel("step h")
    ax.set_ylabel("|estimate - exact|")
    ax.set_title(title or _named(f, f"error of a numeric derivative at x = {_number(x)}"))
    ax.legend(loc="lower left", fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


def _series(history, *names):
    for name in names:
        if isinstance(history, dict) and name in history:
            return np.asarray(history[name], dtype=float)
        value = getattr(history, name, None)
        if value is not None:
            return np.asarray(value, dtype=float)
    return None


def training(history, *, title=None):
    """Draw loss and accuracy curves from training.

    Args:
        history: a dict (or an object with attributes) holding lists per
            epoch: ``loss`` (or ``train_loss``), and optionally ``val_loss``,
            ``accuracy`` (or ``train_accuracy``/``acc``) and ``val_accuracy``
            (or ``test_accuracy``). A result with a ``history`` attribute is
            accepted too.

    Returns:
        The Figure (two axes: loss, accuracy); training curves ``C0``,
        validation curves ``C1``.

    Example:
        >>> from dfdx import plot
        >>> fig = plot.training({"loss": [2.3, 1.0, 0.5], "accuracy": [0.1, 0.7, 0.9]})
        >>> [a.get_ylabel() for a in fig.axes]
        ['loss', 'accuracy']
    """
    if not isinstance(history, dict) and hasattr(history, "history"):
        history = history.history
    loss = _series(history, "loss", "train_loss")
    if loss is None:
        raise ValueError("training() needs a history with a 'loss' list (one value per epoch); "
                         f"got keys {sorted(history) if isinstance(history, dict) else history!r}")
    held_out = "validation" if _series(history, "val_loss", "val_accuracy") is not None else "test"
    val_loss = _series(history, "val_loss", "test_loss")
    acc = _series(history, "accuracy", "train_accuracy", "acc", "train_acc")
    val_acc = _series(history, "val_accuracy", "test_accuracy", "val_acc", "test_acc")
    fig, (ax, ax2) = _figure(ncols=2, width=4.8)
    epochs = np.arange(1, len(loss) + 1)
    ax.plot(epochs, loss, "o-", color=COLORS["left"], ms=3, label="training")
    if val_loss is not None:
        ax.plot(np.arange(1, len(val_loss) + 1), val_loss, "s-", color=COLORS["right"], ms=3,
                label=held_out)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if acc is not None:
        ax2.plot(np.arange(1, len(acc) + 1), acc, "o-", color=COLORS["left"], ms=3,
                 label="training")
    if val_acc is not None:
        ax2.plot(np.arange(1, len(val_acc) + 1), val_acc, "s-", color=COLORS["right"], ms=3,
                 label=held_out)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(0, 1.02)
    ax2.grid(alpha=0.3)
    if acc is not None or val_acc is not None:
        ax2.legend(fontsize=8, loc="lower right")
    fig.suptitle(title or "training by backpropagation")
    return fig


_FORMATS = ("png", "svg", "pdf")


def save(fig, path, formats=None, dpi=110):
    """Write a figure to disk as PNG, SVG or PDF; return the paths written.

    Args:
        fig: a Figure (from any function here).
        path: the file name; its suffix (``.png``, ``.svg``, ``.pdf``) picks the
            format, with no suffix PNG and SVG are written; another suffix is refused.
        formats: formats to write (e.g. ``("png", "svg")``), overriding the suffix.
        dpi: resolution of the PNG.

    Returns:
        The list of `pathlib.Path` written.

    Example:
        >>> import tempfile, pathlib
        >>> from dfdx import plot
        >>> fig = plot.training({"loss": [1.0, 0.5]})
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> [p.name for p in plot.save(fig, d / "curves")]
        ['curves.png', 'curves.svg']
    """
    path = Path(path)
    if formats is None:
        suffix = path.suffix.lower().lstrip(".")
        if suffix and suffix not in _FORMATS:
            raise ValueError(f"cannot save a picture as .{suffix}; use .png, .svg or .pdf "
                             "(no suffix writes .png and .svg)")
        formats = (suffix,) if suffix else ("png", "svg")
        if suffix:
            path = path.with_suffix("")
    elif isinstance(formats, str):
        formats = (formats,)
    written = []
    path.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        if fmt not in _FORMATS:
            raise ValueError(f"cannot save a picture as {fmt!r}; use 'png', 'svg' or 'pdf'")
        target = path.with_name(path.name + "." + fmt)
        fig.savefig(target, format=fmt, dpi=dpi)
        written.append(target)
    return written
