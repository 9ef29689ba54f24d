"""Derivatives that use structure (issue 15): Taylor mode for high orders, sparse Jacobians
and Hessians, and Newton with a sparse Hessian, beside JAX and SciPy where they have one.

* High order: ``dfdx.derivative(f, n)`` of ``f(x) = sin(exp(x)) tanh(x)`` at 0.3 for
  n = 1..8 (Taylor mode from ``dfdx.api.TAYLOR_FROM`` on), beside nested forward mode
  (``dfdx.api.nested_derivative``), one pass of ``dfdx.taylor``, JAX's ``jet`` and JAX's
  ``grad`` nested n times (both under ``jax.jit``, compiled before timing). Target:
  n = 8 costs at most 20x n = 1.
* Sparse Jacobian of the bidiagonal ``f(x) = x[1:]**2 - x[:-1]``: the reusable
  ``dfdx.sparse_jacobian(f, x0)`` (pattern and colouring found once) beside the dense
  ``dfdx.jacobian`` and ``jax.jacfwd`` (jit). Targets: n = 10^4 in at most 5 ms; at
  n = 3,000 at least 100x faster than dfdx's dense Jacobian.
* Sparse Hessian of the chained Rosenbrock function: ``dfdx.sparse_hessian`` beside the
  dense ``dfdx.hessian`` and ``jax.hessian`` (jit). Target: n = 10^4 in at most 20 ms.
* Newton (``dfdx.optim.minimize(method="newton")``, a sparse Hessian and a sparse
  factorisation) on chained Rosenbrock at n = 10^4, beside SciPy's Newton-CG with the
  hand-written ``scipy.optimize.rosen_der`` / ``rosen_hess_prod``. Target: converges in
  seconds.
* Sparse results are compared with the dense ones entry by entry where both run.

Every backend is pinned to one thread; times are medians of the process's CPU time (see
`benchmarks._timing`). A target that misses is profiled (cProfile, the top entries by
cumulative time go into the results). Run ``python -m benchmarks.structure`` (or
``python -m benchmarks --only structure``); the tables go to
``benchmarks/RESULTS-structure.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

from benchmarks._timing import format_time, machine_info, measure, measure_many, pin_threads

__all__ = ["main", "run", "render"]

RESULTS = os.path.join(os.path.dirname(__file__), "RESULTS-structure.md")

ORDERS = (1, 2, 3, 4, 6, 8)
AT = 0.3


def _f_np(x):
    return np.sin(np.exp(x)) * np.tanh(x)


def _bidiagonal(x):
    return x[1:] ** 2 - x[:-1]


def _rosen(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _jax():
    """jax and jax.numpy with float64 on, or (None, None) when JAX is not installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None, None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def _timings(fns, quick):
    return {k: v.median for k, v in measure_many(
        fns, repeats=3 if quick else 7, min_time=0.05 if quick else 0.2).items()}


# -- high order ---------------------------------------------------------------------------------

def high_order(quick=False):
    """Rows (n, {column: seconds}) for the derivatives of order n of sin(exp(x)) tanh(x)."""
    import dfdx
    from dfdx.api import nested_derivative
    jax, jnp = _jax()
    want = {n: float(nested_derivative(_f_np, n)(AT)) for n in ORDERS}
    rows = []
    for n in ORDERS:
        d = dfdx.derivative(_f_np, n)
        nested = nested_derivative(_f_np, n)
        fns = {"dfdx.derivative": lambda d=d: d(AT),
               "nested forward": lambda nested=nested: nested(AT),
               "dfdx.taylor": lambda n=n: dfdx.taylor(_f_np, AT, n)}
        got = float(d(AT))
        if abs(got - want[n]) > 1e-9 * abs(want[n]):
            raise AssertionError(f"derivative(n={n}) = {got}, nested forward mode {want[n]}")
        if jax is not None:
            from jax.experimental.jet import jet

            def fj(x):
                return jnp.sin(jnp.exp(x)) * jnp.tanh(x)
            jj = jax.jit(lambda x, n=n: jet(fj, (x,), ([1.0] + [0.0] * (n - 1),))[1][-1])
            g = fj
            for _ in range(n):
                g = jax.grad(g)
            gj = jax.jit(g)
            x = jnp.asarray(AT)
            for name, fn in (("JAX jet (jit)", jj), ("JAX nested grad (jit)", gj)):
                if abs(float(fn(x)) - want[n]) > 1e-9 * abs(want[n]):
                    raise AssertionError(f"{name} n={n} differs from dfdx")
            fns["JAX jet (jit)"] = lambda jj=jj, x=x: jj(x).block_until_ready()
            fns["JAX nested grad (jit)"] = lambda gj=gj, x=x: gj(x).block_until_ready()
        rows.append((n, _timings(fns, quick)))
    return rows


# -- sparse Jacobian and Hessian ----------------------------------------------------------------

def _sparse_case(sparse_of, dense_of, f, x, with_dense):
    """The timed functions, the extra columns and the dense matrix (or None) of one size.

    The sparse function (pattern and colouring found once, then reused) and, `with_dense`,
    the dense one beside it, with whether the two are equal.
    """
    t0 = time.process_time()
    sparse = sparse_of(f, x)
    setup = time.process_time() - t0
    fns = {"dfdx sparse (reused)": lambda: sparse(x)}
    extra = {"pattern + colouring (once)": setup, "colours": sparse.colours}
    if not with_dense:
        return fns, extra, None
    dense = dense_of(f)
    D = np.asarray(dense(x))
    S = sparse(x).toarray()
    extra["sparse == dense"] = "exactly" if np.array_equal(S, D) else (
        f"max |diff| {np.max(np.abs(S - D)):.1e} (of {np.max(np.abs(D)):.0f})")
    fns["dfdx dense"] = lambda: dense(x)
    return fns, extra, D


def _row(n, fns, extra, quick):
    t = _timings(fns, quick)
    t.update(extra)
    return n, t


def jacobians(quick=False):
    """Rows (n, {column: seconds or text}) for the bidiagonal Jacobian."""
    import dfdx
    jax, jnp = _jax()
    rows = []
    for n in (3000, 10**4):
        x = np.linspace(-1.0, 1.0, n)
        fns, extra, D = _sparse_case(dfdx.sparse_jacobian, dfdx.jacobian, _bidiagonal, x,
                                     n <= 3000)
        if D is not None:
            fns["dfdx.jacobian(sparse=True)"] = (
                lambda x=x: dfdx.jacobian(_bidiagonal, sparse=True)(x))
            if jax is not None:
                jf = jax.jit(jax.jacfwd(lambda v: v[1:] ** 2 - v[:-1]))
                xj = jnp.asarray(x)
                if not np.array_equal(np.asarray(jf(xj)), D):
                    raise AssertionError("jax.jacfwd differs from dfdx's dense Jacobian")
                fns["JAX jacfwd dense (jit)"] = lambda jf=jf, xj=xj: jf(xj).block_until_ready()
        rows.append(_row(n, fns, extra, quick))
    return rows


def hessians(quick=False):
    """Rows (n, {column: seconds or text}) for the chained Rosenbrock Hessian."""
    import dfdx
    jax, jnp = _jax()
    rows = []
    for n in (1000, 10**4):
        x = np.linspace(-1.0, 1.0, n)
        fns, extra, D = _sparse_case(dfdx.sparse_hessian, dfdx.hessian, _rosen, x, n <= 1000)
        if D is not None and jax is not None:
            hj = jax.jit(jax.hessian(
                lambda v: jnp.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)))
            xj = jnp.asarray(x)
            if not np.allclose(np.asarray(hj(xj)), D, rtol=1e-12, atol=1e-9):
                raise AssertionError("jax.hessian differs from dfdx's dense Hessian")
            fns["JAX hessian dense (jit)"] = lambda hj=hj, xj=xj: hj(xj).block_until_ready()
        rows.append(_row(n, fns, extra, quick))
    return rows


# -- Newton --------------------------------------------------------------------------------------

NEWTON_N = 10**4


def newton(quick=False):
    """Rows (start, {column: value}) for Newton on chained Rosenbrock at n = 10^4."""
    import scipy.optimize as so

    from dfdx import optim
    n = NEWTON_N
    starts = {"0.5 everywhere": np.full(n, 0.5),
              "(-1.2, 1) repeated, maxiter 100": np.tile([-1.2, 1.0], n // 2)}
    rows = []
    for name, x0 in starts.items():
        out = {}
        res = {}

        def dfdx_newton(x0=x0):
            res["dfdx"] = optim.minimize(_rosen, x0, method="newton", maxiter=100)

        def scipy_newton_cg(x0=x0):
            res["scipy"] = so.minimize(so.rosen, x0, jac=so.rosen_der,
                                       hessp=so.rosen_hess_prod, method="Newton-CG")
        for key, fn in (("dfdx", dfdx_newton), ("scipy", scipy_newton_cg)):
            out[f"{key} time"] = measure(fn, repeats=1 if quick else 3, min_time=0.0).median
            r = res[key]
            out[f"{key} nit"] = r.nit
            out[f"{key} success"] = bool(r.success)
            out[f"{key} max|x-1|"] = float(np.max(np.abs(np.asarray(r.x) - 1)))
            out[f"{key} f"] = float(r.fun)
        rows.append((name, out))
    return rows


# -- targets and profiles ------------------------------------------------------------------------

def targets(high, jac, hess, newt):
    """[(target, measured, met, function to profile or None)]"""
    import dfdx
    out = []
    t = dict(high)
    r = t[8]["dfdx.derivative"] / t[1]["dfdx.derivative"]
    out.append(("derivative(n=8) <= 20x derivative(n=1)", f"{r:.1f}x", r <= 20,
                lambda: dfdx.derivative(_f_np, 8)(AT)))
    j = dict(jac)
    x4 = np.linspace(-1.0, 1.0, 10**4)
    jac4 = dfdx.sparse_jacobian(_bidiagonal, x4)
    s = j[10**4]["dfdx sparse (reused)"]
    out.append(("bidiagonal Jacobian, n = 10^4, <= 5 ms", format_time(s), s <= 5e-3,
                lambda: jac4(x4)))
    sp3 = j[3000]["dfdx dense"] / j[3000]["dfdx sparse (reused)"]
    out.append(("bidiagonal Jacobian, n = 3,000, >= 100x faster than dense", f"{sp3:.0f}x",
                sp3 >= 100, None))
    h = dict(hess)
    hess4 = dfdx.sparse_hessian(_rosen, x4)
    s = h[10**4]["dfdx sparse (reused)"]
    out.append(("chained Rosenbrock Hessian, n = 10^4, <= 20 ms", format_time(s), s <= 20e-3,
                lambda: hess4(x4)))
    nw = dict(newt)["0.5 everywhere"]
    ok = nw["dfdx success"] and nw["dfdx max|x-1|"] < 1e-8 and nw["dfdx time"] < 10
    out.append(("Newton, chained Rosenbrock n = 10^4, converges in seconds",
                f"{nw['dfdx time']:.2f} s, {nw['dfdx nit']} iterations, "
                f"max|x-1| {nw['dfdx max|x-1|']:.0e}", ok, None))
    exact = [dict(jac)[3000]["sparse == dense"], dict(hess)[1000]["sparse == dense"]]
    out.append(("sparse results equal the dense ones exactly",
                f"Jacobian: {exact[0]}; Hessian: {exact[1]}",
                all(e == "exactly" for e in exact), None))
    return out


def _profile(fn, top=8):
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(20):
        fn()
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(top)
    lines = [ln for ln in s.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


#: What the tables do not say by themselves (read from the runs and their profiles).
NOTES: dict = {
    "Newton from (-1.2, 1) repeated": (
        "From the classic start the chained Rosenbrock function at n = 10^4 is not solved in "
        "100 Newton iterations by dfdx, nor by SciPy: each step moves the front of converged "
        "variables along the chain by about one place (n = 10: 26 iterations, n = 100: 157, "
        "n = 1000: over 1000; the same from x0 = 0), and from this start the iteration heads "
        "for the local minimum near x_0 = -1. It is a property of the problem, not of the "
        "Hessian: each iteration costs ~8 ms here (sparse Hessian, sparse factorisation, "
        "line search). From 0.5 everywhere Newton converges to machine precision."),
    "SciPy Newton-CG": (
        "SciPy's Newton-CG reports success on its default step tolerance (xtol = 1e-5, "
        "relative) long before the minimum (max |x - 1| above 0.1); dfdx stops on the "
        "gradient norm (1e-8). Its times are for that early stop."),
    "JAX": (
        "JAX's times are of compiled XLA programs (jax.jit, compiled before timing); dfdx "
        "runs eagerly, one Python dispatch per NumPy call, so JAX is far ahead on small "
        "scalar work. JAX has no sparse Jacobian or Hessian of its own: its columns are "
        "the dense ones."),
    "derivative(n) at n = 2": (
        "`dfdx.derivative` switches to Taylor mode from n = 3 (`dfdx.api.TAYLOR_FROM`). At "
        "n = 2 Taylor mode is cheaper for this function (see the dfdx.taylor column) and "
        "dearer for sin alone (30 µs nested, 48 µs Taylor): a fixed ~30 µs per call of "
        "Taylor mode against ~3x per order for nesting; from n = 3 on Taylor mode wins for "
        "every function tried."),
}


def run(quick=False):
    pin_threads()
    high = high_order(quick)
    jac = jacobians(quick)
    hess = hessians(quick)
    newt = newton(quick)
    tg = targets(high, jac, hess, newt)
    profiles = {name: _profile(fn) for name, _, met, fn in tg if not met and fn is not None}
    return high, jac, hess, newt, tg, profiles


def _fmt(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return format_time(v)
    return "—" if v is None else str(v)


def render(high, jac, hess, newt, tg, profiles):
    info = machine_info()
    lines = ["# Derivatives that use structure: Taylor mode, sparse Jacobians and Hessians, "
             "Newton (1 thread)", "",
             f"Machine: {info.get('machine', '?')}, NumPy {info.get('numpy')}, dfdx at "
             f"{info.get('dfdx_commit')}, {info.get('date')}; medians of CPU time. JAX "
             "under `jax.jit` (compiled before timing), float64.", "",
             "## Targets (issue 15)", "",
             "| target | measured | met |", "|---|---|---|"]
    for name, measured, met, _ in tg:
        lines.append(f"| {name} | {measured} | {'yes' if met else '**no**'} |")
    cols = ["dfdx.derivative", "nested forward", "dfdx.taylor", "JAX jet (jit)",
            "JAX nested grad (jit)"]
    base = dict(high)[1]["dfdx.derivative"]
    lines += ["", f"## n-th derivative of sin(exp(x)) tanh(x) at {AT}", "",
              "| n | " + " | ".join(cols) + " | derivative(n) / derivative(1) | "
              "nested / derivative |", "|---" * (len(cols) + 3) + "|"]
    for n, t in high:
        lines.append(f"| {n} | " + " | ".join(_fmt(t.get(c)) for c in cols)
                     + f" | {t['dfdx.derivative'] / base:.1f}x | "
                       f"{t['nested forward'] / t['dfdx.derivative']:.1f}x |")
    cols = ["dfdx sparse (reused)", "dfdx.jacobian(sparse=True)", "dfdx dense",
            "JAX jacfwd dense (jit)", "pattern + colouring (once)", "colours",
            "sparse == dense"]
    lines += ["", "## Jacobian of x[1:]**2 - x[:-1] (bidiagonal)", "",
              "| n | " + " | ".join(cols) + " | dense / sparse |", "|---" * (len(cols) + 2) + "|"]
    for n, t in jac:
        ratio = (f"{t['dfdx dense'] / t['dfdx sparse (reused)']:.0f}x"
                 if "dfdx dense" in t else "—")
        lines.append(f"| {n:,} | " + " | ".join(_fmt(t.get(c)) for c in cols) + f" | {ratio} |")
    cols = ["dfdx sparse (reused)", "dfdx dense", "JAX hessian dense (jit)",
            "pattern + colouring (once)", "colours", "sparse == dense"]
    lines += ["", "## Hessian of the chained Rosenbrock function", "",
              "| n | " + " | ".join(cols) + " | dense / sparse |", "|---" * (len(cols) + 2) + "|"]
    for n, t in hess:
        ratio = (f"{t['dfdx dense'] / t['dfdx sparse (reused)']:.0f}x"
                 if "dfdx dense" in t else "—")
        lines.append(f"| {n:,} | " + " | ".join(_fmt(t.get(c)) for c in cols) + f" | {ratio} |")
    lines += ["", f"## Newton on chained Rosenbrock, n = {NEWTON_N:,}", "",
              "dfdx: `optim.minimize(method=\"newton\")` (sparse Hessian, sparse factorisation, "
              "Armijo line search); SciPy: `minimize(method=\"Newton-CG\")` with the "
              "hand-written `rosen_der` and `rosen_hess_prod`, its default tolerances.", "",
              "| start | dfdx time | iterations | success | max abs(x - 1) | f | "
              "SciPy Newton-CG time | iterations | success | max abs(x - 1) | f |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, t in newt:
        cells = []
        for key in ("dfdx", "scipy"):
            cells += [format_time(t[f"{key} time"]), str(t[f"{key} nit"]),
                      "yes" if t[f"{key} success"] else "no",
                      f"{t[f'{key} max|x-1|']:.1e}", f"{t[f'{key} f']:.3g}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if NOTES:
        lines += ["", "## Notes", ""]
        for name, why in NOTES.items():
            lines += [f"**{name}.** {why}", ""]
    if profiles:
        lines += ["", "## Targets missed: profiles", ""]
        for name, prof in profiles.items():
            lines += [f"Profile of *{name}* (20 calls, cumulative time):", "", "```",
                      prof, "```", ""]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.structure",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = p.parse_args(argv)
    text = render(*run(args.quick))
    print(text)
    with open(RESULTS, "w", encoding="utf-8") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
