"""AD speed: dfdx against PyTorch, torch.func, autograd and JAX, side by side in one run.

Workloads (plain NumPy functions; every backend pinned to one thread):

* W1  value and gradient of ``sum(sin(x)*exp(-x**2) + tanh(x))``, n = 10, 10³, 10⁶
      (and, for n = 10⁶, the peak memory of one call);
* W2  one SGD training step of an MLP 64-256-256-10 (tanh, relu, log-softmax
      cross-entropy), batch 128, float64 and float32;
* W3  dense Hessian of the Rosenbrock function, n = 10 and 100;
* W4  first and second derivative of ``2x² + 3x + 1`` at x = 1 (per-call overhead);
* W5  Hessian-vector product of Rosenbrock, n = 10⁴;
* W6  Jacobian of ``tanh(A @ x)``, A 200×200 (auto, reverse and forward mode).

Rules of the game, the same for every backend:

* inputs arrive in the backend's own array type, built before timing; the
  timed call returns the backend's own result (a NumPy array for dfdx,
  autograd and NumPy, a tensor for torch, a device array for JAX, which is
  blocked on until ready). W4 starts from the Python float 1.0, so building
  the scalar tensor is part of torch's call there;
* every result is checked against a float64 reference (hand-derived formulas,
  or the hand-written NumPy step for W2) before it is timed; a wrong one
  stops the run (``--keep-going`` marks it instead);
* a time is the median of several batches of calls, the batches of a row's
  backends interleaved so they share the machine's load (`_timing.measure_many`);
* "dfdx jit" (`dfdx.jit` of the same dfdx transform; for W2 the whole step)
  and "JAX jit" are compiled once, outside the timing; dfdx jit's first call
  (record, optimise, generate) is timed apart and listed. Its result is checked
  against the reference like every other cell. The eager ratios compare eager
  dfdx with eager peers; the jit ratios compare dfdx jit with JAX jit, with
  eager dfdx and with NumPy (the forward pass for W1, the hand-written step
  for W2).

Run ``python -m benchmarks.ad`` (``--quick`` for fewer, shorter repeats); the
table goes to ``benchmarks/RESULTS-ad.md`` and, between the markers
``<!-- bench:ad:start -->`` / ``<!-- bench:ad:end -->``, into README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import traceback

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
from benchmarks import _readme
import numpy as np

from benchmarks._timing import (clock_name, format_time, machine_info, measure_many,
                                peak_rss_delta, pin_threads, set_clock, thread_report,
                                traced_peak)
from benchmarks.ad_backends import (BACKENDS, MEM_N, Case, Peers, Row, VerificationError,  # noqa: F401
                                    _np)
from benchmarks.ad_report import ROOT, RESULTS, render, splice_readme, write_results
from benchmarks.ad_workloads import WORKLOADS, auto_mode_choice, w1_by_hand, w1_fun

__all__ = ["main", "run", "render", "splice_readme", "BACKENDS", "README_MARKERS"]

README_MARKERS = _readme.markers("ad")

# ------------------------------------------------------------ verification --
def verify(row: Row, case: Case) -> float:
    """Compare a case's result with the row's float64 reference; return the relative error.

    Raises:
        VerificationError: a result is missing, has the wrong dtype, or differs
            by more than the row's tolerance (norm-wise relative error).
    """
    from dfdx import tree_leaves
    got = tree_leaves((case.check or case.fn)())
    want = tree_leaves(row.reference)
    who = f"{case.backend} on {row.key}"
    if len(got) != len(want):
        raise VerificationError(f"{who}: returned {len(got)} arrays, the reference has "
                                f"{len(want)}.")
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        if case.dtype is not None and hasattr(g, "dtype"):
            gd = _np(g).dtype
            if gd != case.dtype:
                raise VerificationError(f"{who}: result {i} has dtype {gd}, expected "
                                        f"{np.dtype(case.dtype).name} end to end.")
        g = _np(g).astype(np.float64)
        w = np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            raise VerificationError(f"{who}: result {i} has shape {g.shape}, the reference "
                                    f"{w.shape}.")
        scale = max(np.linalg.norm(w), 1e-300)
        err = float(np.linalg.norm(g - w) / scale)
        worst = max(worst, err)
        if not err <= row.rtol:
            raise VerificationError(f"{who}: result {i} differs from the float64 reference by "
                                    f"{err:.3g} (relative, norm-wise), tolerance {row.rtol:g}.")
    return worst


# -------------------------------------------------------------------- run --
def run(workloads=None, backends=None, quick=False, keep_going=False, memory=True, log=print):
    """Verify then time every case; return the results as a plain dict.

    Args:
        workloads: keys of `WORKLOADS` to run (default all).
        backends: keys of `BACKENDS` (default all that are installed).
        quick: 3 repeats of >= 0.05 s instead of 7 of >= 0.2 s.
        keep_going: mark a wrong result instead of stopping the run.
        memory: measure W1 n=10⁶ peak memory in fresh processes.
        log: where progress lines go.

    Returns:
        ``{"info": ..., "rows": [{key, title, cells: {backend: {...}}}], "memory": ...}``.
    """
    wanted = list(backends or BACKENDS)
    P = Peers(wanted)
    pinned = pin_threads()
    repeats, min_time = (3, 0.05) if quick else (7, 0.2)
    info = machine_info()
    info.update(versions=P.versions(), pinned=pinned, pools=thread_report(),
                dropped_env=benchmarks.ENV_REPORT["dropped"],
                numpy_preloaded=benchmarks.ENV_REPORT["numpy_preloaded"],
                malloc=benchmarks.ENV_REPORT.get("malloc"),
                quick=quick, repeats=repeats, min_time=min_time, clock=clock_name(),
                missing=[b for b in wanted if b not in P.wanted], load_start=_load_avg())
    results = {"info": info, "rows": [], "errors": [], "flags": [], "memory": None}
    for wk in workloads or WORKLOADS:
        for row in WORKLOADS[wk](P, quick):
            cells, timed = {}, {}
            for case in row.cases:
                if case.backend not in P.wanted:
                    continue
                cells[case.backend] = cell = {"note": case.note}
                if case.compile_s is not None:
                    cell["compile"] = case.compile_s
                try:
                    if case.check is not False:
                        cell["err"] = verify(row, case)
                    case.fn()                       # warm-up (JIT compiles here), and errors
                except VerificationError as exc:
                    if not keep_going:
                        raise
                    cell["wrong"] = str(exc)
                    results["errors"].append(str(exc))
                    log(f"{row.key:<16} {BACKENDS[case.backend]:<14}      WRONG: {exc}")
                    continue
                except Exception as exc:            # noqa: BLE001 -- reported in the table
                    msg = f"{case.backend} on {row.key}: {type(exc).__name__}: {exc}"
                    cell["error"] = msg
                    results["errors"].append(msg)
                    log(f"{row.key:<16} {BACKENDS[case.backend]:<14}      ERROR: {msg}")
                    if os.environ.get("DFDX_BENCH_TRACEBACK"):
                        traceback.print_exc()
                    continue
                if case.flags:
                    cell["flags"] = list(case.flags)
                    results["flags"] += case.flags
                    for fl in case.flags:
                        log(f"{row.key:<16} {BACKENDS[case.backend]:<14}      NOTE: {fl}")
                timed[case.backend] = case.fn
            # why: interleaved batches -- every backend of a row sees the same load.
            for b, t in measure_many(timed, repeats=repeats, min_time=min_time).items():
                cells[b].update(median=t.median, best=t.best, spread=t.spread, number=t.number)
                log(f"{row.key:<16} {BACKENDS[b]:<14} {format_time(t.median):>10}"
                    f"   (±{t.spread:.0%}, {t.number}×{t.repeats})")
            results["rows"].append({"key": row.key, "title": row.title, "cells": cells})
    if workloads is None or "W6" in workloads:
        results["auto_mode"] = auto_mode_choice()
        log(f"jacobian(mode='auto') picks: {results['auto_mode']}")
    if memory and (workloads is None or "W1" in workloads):
        results["memory"] = w1_memory([b for b in P.wanted if b != "jax.jit"], log)
    info["load_end"] = _load_avg()
    return results


def _load_avg():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


# ------------------------------------------------------------- W1 memory --


def _memprobe(backend):
    """In a fresh process: peak memory of one W1 n=10⁶ value-and-gradient call."""
    P = Peers([backend])
    pin_threads()
    x = np.random.default_rng(1).uniform(-2, 2, MEM_N)
    fn = None
    if backend == "dfdx":
        import dfdx
        vg = dfdx.value_and_grad(w1_fun(np))
        fn = lambda: vg(x)                                  # noqa: E731
    elif backend == "dfdx.jit":
        import dfdx
        jvg = dfdx.jit(dfdx.value_and_grad(w1_fun(np)))
        fn = lambda: jvg(x)                                 # noqa: E731
    elif backend == "numpy":
        f = w1_fun(np)
        fn = lambda: f(x)                                   # noqa: E731
    elif backend == "numpy.vg":
        fn = lambda: w1_by_hand(x)                          # noqa: E731
    elif backend == "autograd":
        avg = P.autograd.value_and_grad(w1_fun(P.anp))
        fn = lambda: avg(x)                                 # noqa: E731
    elif backend == "torch":
        torch = P.torch
        xt = torch.from_numpy(x).requires_grad_()
        ft = w1_fun(torch)
        fn = lambda: torch.autograd.grad(ft(xt), xt)        # noqa: E731
    elif backend == "torch.func":
        torch = P.torch
        gv = torch.func.grad_and_value(w1_fun(torch))
        xf = torch.from_numpy(x)
        fn = lambda: gv(xf)                                 # noqa: E731
    elif backend == "jax":
        jax = P.jax
        jvg = jax.value_and_grad(w1_fun(P.jnp))
        xj = jax.device_put(x)
        fn = lambda: jax.block_until_ready(jvg(xj))         # noqa: E731
    for _ in range(3):
        fn()                                               # warm caches and allocators
    out = {"rss": peak_rss_delta(fn)}
    if backend in ("dfdx", "dfdx.jit", "numpy", "numpy.vg", "autograd"):
        out["traced"] = traced_peak(fn)
    print(json.dumps(out))


def w1_memory(backends, log=print):
    """Peak memory above baseline of one W1 n=10⁶ call per backend, each in a fresh process."""
    out = {}
    # why: glibc raises its mmap threshold after the first large free, so later
    # large blocks come from the heap and stay resident when freed: the peak of a
    # warmed-up call would then not show. A fixed threshold keeps RSS honest.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072")
    for b in backends:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.ad", "--memprobe", b],
                              capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
        if proc.returncode != 0:
            out[b] = {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
            log(f"memory W1 n=10⁶  {BACKENDS[b]:<14} ERROR {out[b]['error']}")
            continue
        out[b] = json.loads(proc.stdout.strip().splitlines()[-1])
        mib = {k: f"{v / 2**20:.1f} MiB" for k, v in out[b].items() if v is not None}
        log(f"memory W1 n=10⁶  {BACKENDS[b]:<14} {mib}")
    return out


def build_parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks.ad",
                                description="AD speed: dfdx against installed peers.")
    p.add_argument("--quick", action="store_true",
                   help="3 short repeats per cell (noisy); prints the table, writes files "
                        "only with --out")
    p.add_argument("--only", default=None,
                   help=f"comma-separated workloads ({','.join(WORKLOADS)})")
    p.add_argument("--backends", default=None,
                   help=f"comma-separated backends ({','.join(BACKENDS)})")
    p.add_argument("--out", default=None, help=f"results file (default {RESULTS})")
    p.add_argument("--no-readme", action="store_true",
                   help="don't splice the table into README.md")
    p.add_argument("--no-memory", action="store_true", help="skip the W1 n=10⁶ memory probe")
    p.add_argument("--keep-going", action="store_true",
                   help="mark wrong results in the table instead of stopping")
    p.add_argument("--clock", choices=("cpu", "wall"), default=None,
                   help="cpu: the process's CPU time (default; steady on a shared machine); "
                        "wall: perf_counter")
    p.add_argument("--memprobe", default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    """Run the AD benchmarks from the command line; return an exit code."""
    args = build_parser().parse_args(argv)
    if args.memprobe:
        _memprobe(args.memprobe)
        return 0
    if args.clock:
        set_clock(args.clock)
    only = args.only.split(",") if args.only else None
    backends = args.backends.split(",") if args.backends else None
    for name, allowed in ((only, WORKLOADS), (backends, BACKENDS)):
        bad = [x for x in name or () if x not in allowed]
        if bad:
            raise SystemExit(f"unknown {'/'.join(bad)}; choose from {', '.join(allowed)}")
    try:
        results = run(only, backends, quick=args.quick, keep_going=args.keep_going,
                      memory=not args.no_memory)
    except VerificationError as exc:
        print(f"\nWRONG RESULT, benchmark stopped: {exc}\n(run with --keep-going to mark it "
              "in the table instead)", file=sys.stderr)
        return 1
    if args.quick and not args.out:
        body = render(results)
    else:
        body = write_results(results, args.out or RESULTS)
        print(f"\nwrote {args.out or RESULTS}")
        if not args.quick and not args.no_readme and only is None and splice_readme(body):
            print("updated README.md between the bench:ad markers")
    print()
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
