"""Where dfdx's time goes: cProfile of W1 n=10, W2 and W4, per call and per primitive.

For each workload this prints

* the unprofiled time per call and the number of primitives it records
  (nodes on the reverse tape), hence the time per primitive;
* the time NumPy's own kernels would take for the same arithmetic (the plain
  forward, and for W2 the hand-written step): what is left is dfdx's overhead;
* per primitive: the forward kernel, the recording overhead around it and
  the VJP rules, timed with CPU-time stopwatches;
* cProfile's tottime per call grouped by file (dfdx engine, box dispatch,
  rules, api, NumPy's Python wrappers, builtins) and the top functions.

cProfile slows Python-level calls down far more than C kernels (each profiled
call costs ~0.3-1 µs), so read shares and call counts, not absolute times.
Ufunc kernels are not Python functions: cProfile charges their time to the
caller (`Primitive.__call__` for the forward values, the rule for the
backward), which is why the kernel time is measured separately.

Then a handful of micro-measurements put a price on the overheads a profile
points at (``np.errstate``, a box, a node, ``unbroadcast`` on equal shapes...).

Run ``python -m benchmarks.profile_ad`` (``--calls N`` to change the sample).
``--jit`` profiles the code `dfdx.jit` generates instead (`profile_jitted`):
every line of the source of W1 n=10 and the W2 steps timed on its own, the
fastest of many calls per line, so the BLAS products and the elementwise rest
can be told apart.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

from benchmarks._timing import format_time, measure, measure_many, pin_threads

__all__ = ["main", "profile", "overheads", "profile_jitted"]

_GROUPS = (
    ("dfdx/_core/engine.py", "engine (trace, nodes, sweep)"),
    ("dfdx/_numpy/box.py", "box dispatch (protocols, dunders)"),
    ("dfdx/_numpy/registry.py", "rule wrappers (vjp/jvp, unbroadcast)"),
    ("dfdx/rules/", "rules (partials)"),
    ("dfdx/api.py", "api (boxing inputs, seeds, outputs)"),
    ("dfdx/_tree.py", "pytrees"),
    ("numpy/", "NumPy Python wrappers (errstate, fromnumeric...)"),
    ("benchmarks/", "the workload function itself"),
)


def _group(filename, funcname):
    f = filename.replace(os.sep, "/")
    for part, name in _GROUPS:
        if part in f:
            return name
    if filename == "~":
        if "numpy" in funcname:
            return "NumPy C functions called from Python"
        return "builtins (isinstance, getattr, ...)"
    return "other Python"


def _count_primitives(fn):
    """Nodes one call of `fn` records on reverse tapes, and primitive calls in total."""
    from dfdx._core import engine
    counts = {"nodes": 0, "calls": 0}
    orig_process = engine.ReverseTrace.process
    orig_fwd = engine.ForwardTrace.process

    def process(self, prim, args, kwargs):
        counts["calls"] += 1
        before = len(self.tape)
        out = orig_process(self, prim, args, kwargs)
        counts["nodes"] += len(self.tape) - before
        return out

    def fprocess(self, prim, args, kwargs):
        counts["calls"] += 1
        return orig_fwd(self, prim, args, kwargs)

    engine.ReverseTrace.process = process
    engine.ForwardTrace.process = fprocess
    try:
        fn()
    finally:
        engine.ReverseTrace.process = orig_process
        engine.ForwardTrace.process = orig_fwd
    return counts


def per_primitive(fn, calls, out=print):
    """Time each primitive's forward kernel, its recording overhead and its VJP rule.

    Wraps, for the duration, every registered primitive's ``fun`` and VJP rules
    and `ReverseTrace.process` with CPU-time stopwatches (the stopwatches cost
    ~0.2 µs each; that is included in the overhead column).
    """
    import time

    from dfdx._core import engine
    from dfdx._numpy.registry import FUNCTIONS, UFUNCS
    clock = time.process_time
    stats = {}                    # name -> [calls, process total, fun, vjp]
    saved = []
    prims = {id(p): p for p in (*UFUNCS.values(), *FUNCTIONS.values())
             if isinstance(p, engine.Primitive)}

    def slot(name):
        return stats.setdefault(name, [0, 0.0, 0.0, 0.0])

    def timed(f, name, col):
        def wrapper(*a, **k):
            t0 = clock()
            try:
                return f(*a, **k)
            finally:
                slot(name)[col] += clock() - t0
        return wrapper

    for p in prims.values():
        saved.append((p, p.fun, p.vjps, p.vjp_all))
        p.fun = timed(p.fun, p.name, 2)
        p.vjps = tuple(v if not callable(v) else timed(v, p.name, 3) for v in p.vjps)
        if p.vjp_all is not None:
            p.vjp_all = timed(p.vjp_all, p.name, 3)
    orig = engine.ReverseTrace.process

    def process(self, prim, args, kwargs):
        t0 = clock()
        try:
            return orig(self, prim, args, kwargs)
        finally:
            st = slot(prim.name)
            st[0] += 1
            st[1] += clock() - t0

    engine.ReverseTrace.process = process
    try:
        t0 = clock()
        for _ in range(calls):
            fn()
        total = clock() - t0
    finally:
        engine.ReverseTrace.process = orig
        for p, fun, vjps, vjp_all in saved:
            p.fun, p.vjps, p.vjp_all = fun, vjps, vjp_all
    out("\n| Primitive | calls/call | forward kernel | forward overhead | backward (VJP rules) |")
    out("|---|---:|---:|---:|---:|")
    acc = [0.0, 0.0, 0.0]
    for name, (nc, proc, fun, vjp) in sorted(stats.items(), key=lambda kv: -sum(kv[1][1:])):
        if not nc:
            continue
        acc[0] += fun
        acc[1] += proc - fun
        acc[2] += vjp
        out(f"| {name} | {nc / calls:.0f} | {format_time(fun / calls)} | "
            f"{format_time((proc - fun) / calls)} | {format_time(vjp / calls)} |")
    rest = total - sum(acc)
    out(f"| **all** | | {format_time(acc[0] / calls)} | {format_time(acc[1] / calls)} | "
        f"{format_time(acc[2] / calls)} |")
    out(f"\nInstrumented call: {format_time(total / calls)}; outside primitives (the user "
        f"function's Python, box dispatch before `process`, api boxing/seeding/outputs, "
        f"the sweep loop and cotangent sums): {format_time(rest / calls)}.")


def profile(name, fn, baseline, calls, top=18, out=print):
    """Print a profile of `fn` (dfdx) next to `baseline` (NumPy's kernels for the same maths)."""
    both = measure_many({"dfdx": fn, "base": baseline}, repeats=7, min_time=0.2)
    t, tb = both["dfdx"], both["base"]
    counts = _count_primitives(fn)
    n = max(counts["calls"], 1)
    out(f"\n## {name}\n")
    out(f"- dfdx, unprofiled: {format_time(t.median)} per call; {counts['calls']} primitive "
        f"calls ({counts['nodes']} tape nodes) -> {format_time(t.median / n)} per primitive")
    out(f"- NumPy kernels for the same maths (baseline): {format_time(tb.median)} -> dfdx "
        f"overhead {format_time(t.median - tb.median)} per call, "
        f"{format_time((t.median - tb.median) / n)} per primitive "
        f"({(t.median - tb.median) / t.median:.0%} of the time)")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())
    groups = {}
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _) in st.stats.items():
        g = _group(filename, func)
        groups[g] = groups.get(g, 0.0) + tt
        where = f"{os.path.basename(filename)}:{line}" if filename != "~" else ""
        rows.append((tt, ct, nc, f"{func} {where}".strip(), g))
    out(f"- profiled: {format_time(total / calls)} per call (cProfile's own cost inflates "
        "Python-level calls)\n")
    out("| Where (tottime, by file) | per call | share |")
    out("|---|---:|---:|")
    for g, tt in sorted(groups.items(), key=lambda kv: -kv[1]):
        out(f"| {g} | {format_time(tt / calls)} | {tt / total:.0%} |")
    out("\n| Function | calls/call | tottime/call | cumtime/call | share |")
    out("|---|---:|---:|---:|---:|")
    for tt, ct, nc, label, _ in sorted(rows, key=lambda r: -r[0])[:top]:
        out(f"| `{label}` | {nc / calls:.0f} | {format_time(tt / calls)} | "
            f"{format_time(ct / calls)} | {tt / total:.0%} |")
    per_primitive(fn, calls, out)


def overheads(out=print):
    """Price the small costs a dfdx call pays per primitive, measured one by one."""
    import dfdx
    from dfdx._core import engine
    from dfdx._numpy import box as boxmod
    from dfdx._numpy import registry

    x = np.random.default_rng(0).uniform(-2, 2, 10)
    tr = engine.ReverseTrace()
    b = tr.input(x)
    sin = registry.UFUNCS[np.sin]
    g0 = np.ones(())
    items = [
        ("np.sin(x), n=10 (the kernel, plain)", lambda: np.sin(x)),
        ("np.sin(box): dispatch + record a node", lambda: np.sin(b)),
        ("sin primitive called directly on the box", lambda: sin(b)),
        ("box * box (dunder -> multiply primitive)", lambda: b * b),
        ("np.errstate enter+exit", _errstate_cycle),
        ("ArrayBox(...) construction", lambda: boxmod.ArrayBox(x, tr, None)),
        ("Node(...) construction", lambda: engine.Node(sin, x, (x,), {}, ())),
        ("unbroadcast(g, x), equal shapes", lambda: registry.unbroadcast(x, x)),
        ("add_cotangents(g, g)", lambda: engine.add_cotangents(x, x)),
        ("np.result_type(x)", lambda: np.result_type(x)),
        ("np.ones((), dtype)", lambda: np.ones((), dtype=np.float64)),
        ("np.sum(x) (wrapper + reduce)", lambda: np.sum(x)),
        ("x.sum() (method, no wrapper)", lambda: x.sum()),
        ("np.add.reduce(x) (the ufunc, no wrapper)", lambda: np.add.reduce(x)),
        ("np.broadcast_to(g, (10,)) (sum's VJP)", lambda: np.broadcast_to(g0, (10,))),
        ("np.full((10,), g)", lambda: np.full((10,), g0)),
        ("np.all(np.isfinite(x)) (guarded rules)", lambda: np.all(np.isfinite(x))),
        ("np.shape(x)", lambda: np.shape(x)),
        ("isinstance(b, Box)", lambda: isinstance(b, engine.Box)),
        ("ReverseTrace() (new level)", engine.ReverseTrace),
        ("dfdx.value_and_grad(f) wrapper creation", lambda: dfdx.value_and_grad(np.sin)),
    ]
    out("\n## Price list (median per call, unprofiled)\n")
    out("| Operation | time |")
    out("|---|---:|")
    for label, fn in items:
        try:
            t = measure(fn, repeats=5, min_time=0.05).median
            out(f"| {label} | {format_time(t)} |")
        except Exception as exc:                    # noqa: BLE001 -- report and go on
            out(f"| {label} | error: {type(exc).__name__} |")


def profile_jitted(name, jitted, args, calls, top=16, out=print):
    """Time each line of ``jitted.source(*args)`` on its own; print the lines that cost most.

    The source is run again with a stopwatch after every line; a line's time
    is its fastest over `calls` calls (the least disturbed on a shared machine).
    """
    import time

    from dfdx import tree_leaves
    src = jitted.source(*args)
    lines = src.splitlines()
    body = [ln for ln in lines[1:] if not ln.strip().startswith("return")]
    ret = [ln for ln in lines[1:] if ln.strip().startswith("return")]
    timed = [lines[0], "    _t = _clock()"]
    for i, ln in enumerate(body):
        timed += [ln, f"    _n = _clock(); _best[{i}] = min(_best[{i}], _n - _t); _t = _clock()"]
    timed += ret
    variants = next(iter(jitted.cache.values()))
    glb = dict(variants[0].code.fn.__globals__)
    best = [float("inf")] * len(body)
    glb.update(_clock=time.perf_counter, _best=best)
    exec("\n".join(timed), glb)                       # noqa: S102 -- our own generated source
    fn = glb[lines[0].split("(")[0][4:]]
    inputs = [a for a in tree_leaves(list(args)) if isinstance(a, np.ndarray)]
    for _ in range(calls):
        fn(*inputs)
    total = sum(best)
    blas = sum(b for b, ln in zip(best, body) if "np.matmul(" in ln or "scale_rows(" in ln)
    out(f"\n### dfdx.jit: {name}\n")
    out(f"{len(body)} lines; sum of per-line fastest times {format_time(total)}, of which "
        f"matrix products {format_time(blas)} ({blas / total:.0%}).\n")
    out("| time | line |\n|---:|---|")
    for b, ln in sorted(zip(best, body), reverse=True)[:top]:
        out(f"| {format_time(b)} | `{ln.strip()}` |")
    return best


def _errstate_cycle():
    with np.errstate(divide="ignore", invalid="ignore"):
        pass


def main(argv=None):
    """Profile dfdx on W1 n=10, W2 (float64, float32) and W4 f′; print markdown."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_ad",
                                description="cProfile of dfdx on W1 n=10, W2 and W4.")
    p.add_argument("--calls", type=int, default=2000, help="profiled calls for W1 (W2: /20)")
    p.add_argument("--jit", action="store_true",
                   help="profile the source dfdx.jit generates, line by line")
    args = p.parse_args(argv)
    pin_threads()
    import dfdx
    from benchmarks import ad_workloads as ad
    x = np.random.default_rng(1).uniform(-2, 2, 10)
    f = ad.w1_fun(np)
    vg = dfdx.value_and_grad(f)
    if args.jit:
        profile_jitted("W1 n=10", dfdx.jit(vg), (x,), args.calls * 5)
        for dtype in (np.float64, np.float32):
            params, xb, _, onehot = ad.w2_data(dtype)
            wvg = dfdx.value_and_grad(ad.mlp_loss(np))

            def step(ps, xs, ys, wvg=wvg):
                value, g = wvg(ps, xs, ys)
                return value, [p_ - ad.W2_LR * gi for p_, gi in zip(ps, g)]
            profile_jitted(f"W2 {np.dtype(dtype).name}", dfdx.jit(step), (params, xb, onehot),
                           max(args.calls // 10, 20))
        return 0

    profile("W1 n=10: value_and_grad of sum(sin(x)·exp(−x²) + tanh(x))",
            lambda: vg(x), lambda: ad.w1_by_hand(x), args.calls)
    for dtype in (np.float64, np.float32):
        params, xb, _, onehot = ad.w2_data(dtype)
        wvg = dfdx.value_and_grad(ad.mlp_loss(np))

        def step(wvg=wvg, params=params, xb=xb, onehot=onehot):
            value, g = wvg(params, xb, onehot)
            return value, [p_ - ad.W2_LR * gi for p_, gi in zip(params, g)]
        profile(f"W2 {np.dtype(dtype).name}: MLP training step (batch 128)", step,
                lambda params=params, xb=xb, onehot=onehot: ad.numpy_step(params, xb, onehot),
                max(args.calls // 20, 20))
    d1 = dfdx.grad(ad.w4_poly)
    profile("W4: f′(1) of 2x²+3x+1 from the Python float 1.0 (per-call overhead)",
            lambda: d1(1.0), lambda: ad.w4_poly(1.0), args.calls)
    overheads()
    return 0


if __name__ == "__main__":
    sys.exit(main())
