"""Writes into traced arrays cost O(1) each: loops of 10^3, 10^4, 10^5 single-element writes.

``python -m benchmarks.writes`` times `dfdx.grad` and forward mode (`dfdx.jvp`) of two loops
that write one element at a time into an array of n elements (n writes):

* ``fill``: ``y[i] = x[i] ** 2`` (each write reads x, a lazy cotangent piece for x);
* ``recurrence``: ``y[i] = 0.5 * y[i - 1] + x[i]`` (each write reads the array it writes).

Linear time means the time per write stays flat as n grows 10x; a copy per write (what a
functional update costs without dfdx's in-place writes and lazy cotangents) would make it
grow 10x. The same loops with Python's cyclic garbage collector paused show how much of the
rest is the collector walking a tape of 10^5 nodes. Times are medians of a few runs (CPU
time); the machine is shared, so the ratios are what to read. Writes RESULTS-writes.md.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

import dfdx

SIZES = (1_000, 10_000, 100_000)
RESULTS = Path(__file__).with_name("RESULTS-writes.md")


def fill(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] ** 2
    return np.sum(y)


def recurrence(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + x[i]
    return np.sum(y)


def _time(fn, repeats):
    out = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return statistics.median(out)


def _row(name, loop, n, repeats, collect):
    x = np.linspace(0.0, 1.0, n)
    u = np.ones(n)
    if not collect:
        gc.disable()
    try:
        rev = _time(lambda: dfdx.grad(loop)(x), repeats)
        fwd = _time(lambda: dfdx.jvp(loop, (x,), (u,)), repeats)
    finally:
        gc.enable()
    return name, n, rev, fwd


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    sizes = SIZES[:2] if quick else SIZES
    # check the answer once (the benchmark must time a right derivative)
    x = np.linspace(0.0, 1.0, 50)
    np.testing.assert_allclose(dfdx.grad(fill)(x), 2 * x)
    rows = []
    for collect in (True, False):
        for name, loop in (("fill", fill), ("recurrence", recurrence)):
            for n in sizes:
                repeats = 5 if n <= 10_000 else 3
                rows.append((collect,) + _row(name, loop, n, repeats, collect))
                print(rows[-1], flush=True)
    lines = ["# Writes into traced arrays: a loop of n single-element writes", "",
             "`python -m benchmarks.writes` (median CPU time of 3-5 runs; a shared machine: read "
             "the ratios). Per write = time / n; x10 = time at 10n / time at n (linear: 10).", ""]
    for collect in (True, False):
        lines += [f"## {'with' if collect else 'without'} Python's cyclic garbage collector", "",
                  "| loop | n | grad (s) | per write (us) | x10 | jvp (s) | per write (us) | x10 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        sel = [r for r in rows if r[0] == collect]
        for c, name, n, rev, fwd in sel:
            prev = [r for r in sel if r[1] == name and r[2] == n // 10]
            r10 = f"{rev / prev[0][3]:.1f}" if prev else ""
            f10 = f"{fwd / prev[0][4]:.1f}" if prev else ""
            lines.append(f"| {name} | {n:,} | {rev:.3f} | {1e6 * rev / n:.1f} | {r10} | "
                         f"{fwd:.3f} | {1e6 * fwd / n:.1f} | {f10} |")
        lines.append("")
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
