"""Benchmark: dfdx.symbolic.compile (value + gradient, shared subexpressions) vs sympy.lambdify.

Peers, side by side in one run, on the same points:

- ``dfdx``: ``compile(expr, gradient=True)`` — one generated function for the
  value and all partials, common subexpressions computed once.
- ``lambdify (separate)``: ``sympy.lambdify`` of the value and of each
  separately differentiated partial, called one after another (what people
  write by hand).
- ``lambdify (cse list)``: one ``sympy.lambdify(..., [value, *partials], cse=True)``
  — SymPy's own shared-subexpression mode, for an honest comparison.

Run from the repository root: ``python3 -m benchmarks.symbolic_compile [--n 100000]``.
Reports the best of several repeats (ms per call over n points) and the ratios.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import sympy

from dfdx.symbolic import compile, trace


def _mlp(w1, b1, w2):
    def f(x, y):
        h = np.tanh(w1[:, 0] * x + w1[:, 1] * y + b1)
        return np.sum(w2 * h) + 0.1 * (x**2 + y**2)
    return f


def _problems():
    rng = np.random.default_rng(0)
    w1, b1, w2 = (np.round(rng.normal(size=s), 3) for s in ((8, 2), 8, 8))
    return [
        ("tutorial x²+3y+exp(xy)", trace(lambda x, y: x**2 + 3 * y + np.exp(x * y))),
        ("tanh MLP 2-8-1 (traced)", trace(_mlp(w1, b1, w2))),
        ("softplus loss, 4 vars", trace(
            lambda a, b, c, d: np.logaddexp(0, a * b - c * d) + np.sqrt(1 + (a - c)**2 + (b - d)**2))),
        ("Gaussian NLL (mu, s, x)", trace(
            lambda mu, s, x: 0.5 * ((x - mu) / np.exp(s))**2 + s + 0.5 * np.log(2 * np.pi))),
    ]


def _best(fns, args, repeat=30):
    """Best time (ms) of each function, the peers interleaved so that load affects all alike."""
    for fn in fns:
        fn(*args)
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn(*args)
            best[i] = min(best[i], time.perf_counter() - t0)
    return [b * 1e3 for b in best]


def run(n=100_000, repeat=30):
    rows = []
    rng = np.random.default_rng(1)
    for name, expr in _problems():
        vars_ = sorted(expr.free_symbols, key=lambda s: s.name)
        args = [rng.uniform(0.1, 1.0, size=n) for _ in vars_]

        t0 = time.perf_counter()
        ours = compile(expr, vars_, gradient=True)
        build_ours = (time.perf_counter() - t0) * 1e3

        t0 = time.perf_counter()
        partials = [sympy.diff(expr, v) for v in vars_]
        sep = [sympy.lambdify(vars_, e, "numpy") for e in [expr] + partials]
        build_sep = (time.perf_counter() - t0) * 1e3

        def separate(*a):
            return sep[0](*a), [g(*a) for g in sep[1:]]

        t0 = time.perf_counter()
        together = sympy.lambdify(vars_, [expr] + [sympy.diff(expr, v) for v in vars_], "numpy",
                                  cse=True)
        build_cse = (time.perf_counter() - t0) * 1e3

        # the three agree
        v, g = ours(*args)
        v2, g2 = separate(*args)
        np.testing.assert_allclose(v, v2, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, np.stack(np.broadcast_arrays(*g2)), rtol=1e-10, atol=1e-12)

        t_ours, t_sep, t_cse = _best([ours, separate, together], args, repeat)
        rows.append(dict(name=name, nvars=len(vars_), ours=t_ours, sep=t_sep, cse=t_cse,
                         build_ours=build_ours, build_sep=build_sep, build_cse=build_cse))
    return rows


def markdown(rows, n):
    out = [f"n = {n:,} points per call, best of repeated calls, peers interleaved; {platform.processor() or platform.machine()}, "
           f"Python {platform.python_version()}, NumPy {np.__version__}, SymPy {sympy.__version__}.",
           "",
           "| expression | vars | dfdx compile (ms) | lambdify separate (ms) | ratio | "
           "lambdify cse list (ms) | ratio | build: dfdx / separate / cse (ms) |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['name']} | {r['nvars']} | {r['ours']:.2f} | {r['sep']:.2f} | "
                   f"{r['sep'] / r['ours']:.2f}× | {r['cse']:.2f} | {r['cse'] / r['ours']:.2f}× | "
                   f"{r['build_ours']:.0f} / {r['build_sep']:.0f} / {r['build_cse']:.0f} |")
    out.append("")
    out.append("ratio = peer time / dfdx time (above 1: dfdx is faster).")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="points per call (default 100,000)")
    p.add_argument("--quick", action="store_true", help="10,000 points, fewer repeats")
    args = p.parse_args(argv)
    n = args.n or (10_000 if args.quick else 100_000)
    print(markdown(run(n, repeat=5 if args.quick else 30), n))
    return 0


if __name__ == "__main__":
    main()
