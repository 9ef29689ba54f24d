"""Does fusing dfdx.jit's elementwise chains with numba pay? (issue 13, "Code generation").

`python -m benchmarks.jit_fusion` times, interleaved (`measure_many`, median CPU time
per call, 1 thread), for W1 n=10, W1 n=10^6 and the W2 float64 training step:

* ``jit``: ``dfdx.jit(...)`` called as a user calls it (signature lookup included);
* ``jit code``: the generated NumPy function alone (``entry.fn``), no dispatch;
* ``numba``: the same graph with its maximal elementwise chains (reductions included
  where they close a chain) fused by hand into ``numba.njit`` loops -- the code a
  fusion pass would have to emit -- the guards of the generated code kept (they become
  flags the kernels return); BLAS calls stay NumPy's;
* references: the hand-written NumPy code, and for W1 n=10^6 the NumPy forward pass.

``numba + dispatch`` adds dfdx.jit's measured dispatch (``jit`` - ``jit code``) to the
numba time: what ``dfdx.jit`` with such a fusion would cost per call. Each fused result
is checked against the generated code's before timing. numba's compile time (the first
call of each kernel, no on-disk cache) and its import time are measured apart. Writes
RESULTS-jit-fusion.md; the machine is shared, so read the ratios.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import benchmarks  # noqa: F401  -- pins threads and drops the OpenBLAS variables first
import numpy as np

from benchmarks._timing import format_time, machine_info, measure_many, pin_threads
from benchmarks.ad_workloads import W2_LR, mlp_loss, numpy_step, w1_by_hand, w1_fun, w2_data

RESULTS = Path(__file__).with_name("RESULTS-jit-fusion.md")


# ------------------------------------------------------------------ kernels --
def make_kernels():
    """Compile nothing yet: the njit kernels (lazy), and numba's import time."""
    t0 = time.perf_counter()
    import numba
    import_s = time.perf_counter() - t0
    njit = numba.njit(cache=False)

    @njit
    def w1_kernel(x):
        # the whole W1 value-and-gradient graph in one pass: v1..v24 of the generated code
        g = np.empty_like(x)
        s = 0.0
        ok = True
        for i in range(x.size):
            xi = x[i]
            si = np.sin(xi)
            ei = np.exp(-(xi * xi))
            ti = np.tanh(xi)
            if not np.isfinite(ei):
                ok = False
            v5 = si * ei
            s += v5 + ti
            g[i] = ((1.0 - ti * ti) + (-v5) * (2.0 * xi)) + ei * np.cos(xi)
        return s, g, ok

    @njit
    def neg_square(x):                      # v2, v3 (hybrid: NumPy then takes the exp)
        q = np.empty_like(x)
        for i in range(x.size):
            q[i] = -(x[i] * x[i])
        return q

    @njit
    def w1_rest(x, si, ei, ti, ci, g):
        # hybrid: sin, exp, tanh, cos come from NumPy's SIMD loops; the rest in one pass
        s = 0.0
        ok = True
        for i in range(x.size):
            e = ei[i]
            if not np.isfinite(e):
                ok = False
            t = ti[i]
            v5 = si[i] * e
            s += v5 + t
            g[i] = ((1.0 - t * t) + (-v5) * (2.0 * x[i])) + e * ci[i]
        return s, ok

    @njit
    def bias_tanh(a, b):                    # v9, v10: a <- tanh(a + b)
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                a[i, j] = np.tanh(a[i, j] + b[j])
        return a

    @njit
    def bias_relu(a, b):                    # v12, v13: a <- a + b; h = max(a, 0)
        h = np.empty_like(a)
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                v = a[i, j] + b[j]
                a[i, j] = v
                h[i, j] = 0.0 if v < 0.0 else v
        return h

    @njit
    def softmax_block(zp, b3, onehot, c0):
        # v15..v48: bias, row max, log-softmax loss, its backward, the bias gradient
        n, k = zp.shape
        dz = np.empty_like(zp)
        db3 = np.zeros(k)
        z = np.empty(k)
        total = 0.0
        ok = True
        for i in range(n):
            m = -np.inf
            for j in range(k):
                v = zp[i, j] + b3[j]
                z[j] = v
                if v > m:
                    m = v
            ties = 0
            s = 0.0
            for j in range(k):
                if z[j] == m:
                    ties += 1
                z[j] = z[j] - m                 # v17
                e = np.exp(z[j])                # v18
                if not np.isfinite(e):
                    ok = False
                dz[i, j] = e
                s += e
            if ties != 1:
                ok = False
            r = 1.0 / s                         # v30
            if not np.isfinite(r):
                ok = False
            ls = np.log(s)
            r28 = 0.0
            for j in range(k):
                total += onehot[i, j] * (z[j] - ls)
                r28 += -(c0[i, j] * onehot[i, j])
            v33 = r28 * r
            s39 = 0.0
            for j in range(k):
                v38 = c0[i, j] * onehot[i, j] + v33 * dz[i, j]
                dz[i, j] = v38
                s39 += -v38
            for j in range(k):
                v47 = dz[i, j] + (s39 if z[j] == 0.0 else 0.0)
                dz[i, j] = v47
                db3[j] += v47
        return -total / n, dz, db3, ok

    @njit
    def relu_back(d, a2):                   # v53..v57: d <- d * (a2 > 0); column sums
        db = np.zeros(d.shape[1])
        ok = True
        for i in range(d.shape[0]):
            for j in range(d.shape[1]):
                a = a2[i, j]
                if a == 0.0:
                    ok = False
                v = d[i, j] if a > 0.0 else 0.0
                d[i, j] = v
                db[j] += v
        return db, ok

    @njit
    def tanh_back(d, h):                    # v62..v65: d <- d * (1 - h^2); column sums
        db = np.zeros(d.shape[1])
        for i in range(d.shape[0]):
            for j in range(d.shape[1]):
                hij = h[i, j]
                v = d[i, j] * (1.0 - hij * hij)
                d[i, j] = v
                db[j] += v
        return db

    @njit
    def sgd(p, g, lr):                      # v68..v79: g <- p - lr * g
        pf = p.reshape(-1)
        gf = g.reshape(-1)
        for i in range(gf.size):
            gf[i] = pf[i] - lr * gf[i]
        return g

    kernels = dict(w1_kernel=w1_kernel, neg_square=neg_square, w1_rest=w1_rest, bias_tanh=bias_tanh, bias_relu=bias_relu,
                   softmax_block=softmax_block, relu_back=relu_back, tanh_back=tanh_back,
                   sgd=sgd)
    return numba.__version__, import_s, kernels


# ---------------------------------------------------------------- workloads --
def _entry_fn(jf):
    """The generated function of the (single) signature `jf` has compiled."""
    variants = next(iter(jf._plain.values()))
    return variants[0].fn


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def w1_case(n, K):
    import dfdx
    x = np.random.default_rng(1).uniform(-2, 2, n)
    f = w1_fun(np)
    jf = dfdx.jit(dfdx.value_and_grad(f))
    t0 = time.perf_counter()
    jf(x)
    jit_compile = time.perf_counter() - t0
    code = _entry_fn(jf)
    jff = dfdx.jit(dfdx.value_and_grad(f), fuse=True)
    t0 = time.perf_counter()
    jff(x)
    fuse_compile = time.perf_counter() - t0
    kern = K["w1_kernel"]

    def fused(x):
        s, g, ok = kern(x)
        return None if not ok else [s, g]

    neg_square, w1_rest = K["neg_square"], K["w1_rest"]

    def hybrid(x):
        e = np.exp(neg_square(x))
        s = np.sin(x)
        t = np.tanh(x)
        c = np.cos(x)
        v, ok = w1_rest(x, s, e, t, c, s)
        return None if not ok else [v, s]

    t0 = time.perf_counter()
    fused(x)
    hybrid(x)
    numba_compile = time.perf_counter() - t0 if n == 10 else None
    want = code(x)
    err = 0.0
    for got in (fused(x), hybrid(x), jff(x)):
        err = max(err, _rel(got[0], want[0]), _rel(got[1], want[1]))
    fns = {"jit": lambda: jf(x), "jit code": lambda: code(x), "numba": lambda: fused(x),
           "numba hybrid": lambda: hybrid(x), "jit fuse=True": lambda: jff(x),
           "numpy.vg": lambda: w1_by_hand(x), "numpy forward": lambda: f(x)}
    return fns, err, jit_compile, (numba_compile, fuse_compile)


def w2_case(K):
    import dfdx
    params, x, _, onehot = w2_data(np.float64)
    vg = dfdx.value_and_grad(mlp_loss(np))

    def step(ps, xb, yb):
        value, g = vg(ps, xb, yb)
        return value, [p - W2_LR * gi for p, gi in zip(ps, g)]

    jf = dfdx.jit(step)
    t0 = time.perf_counter()
    jf(params, x, onehot)
    jit_compile = time.perf_counter() - t0
    code = _entry_fn(jf)
    c0 = code.__globals__["c0"]
    bias_tanh, bias_relu, softmax_block = K["bias_tanh"], K["bias_relu"], K["softmax_block"]
    relu_back, tanh_back, sgd = K["relu_back"], K["tanh_back"], K["sgd"]
    lr = W2_LR

    def step(first_layer):
        """The W2 step with every elementwise block fused, the first layer's by `first_layer`."""
        def run(w1, b1, w2, b2, w3, b3, xb, yb):
            h1 = first_layer(xb @ w1, b1)
            a2 = h1 @ w2
            h2 = bias_relu(a2, b2)
            loss, dz, db3, ok = softmax_block(h2 @ w3, b3, yb, c0)
            if not ok:
                return None
            d2 = dz @ w3.T
            dw3 = h2.T @ dz
            db2, ok = relu_back(d2, a2)
            if not ok:
                return None
            d1 = d2 @ w2.T
            dw2 = h1.T @ d2
            db1 = tanh_back(d1, h1)
            dw1 = xb.T @ d1
            return [loss, sgd(w1, dw1, lr), sgd(b1, db1, lr), sgd(w2, dw2, lr),
                    sgd(b2, db2, lr), sgd(w3, dw3, lr), sgd(b3, db3, lr)]
        return run

    fused = step(bias_tanh)
    # hybrid: as `fused`, but tanh from NumPy's SIMD loop (numba calls libm's, one at a time)
    hybrid = step(lambda a1, b1: np.tanh(np.add(a1, b1, out=a1), out=a1))

    # the BLAS part alone: the step's eight matmuls on arrays of the same shapes, into
    # preallocated buffers (subtracted to give each step's elementwise part)
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    dz = np.ones((x.shape[0], w3.shape[1]))
    d2, d1 = np.ones_like(h2), np.ones_like(h1)
    bufs = [np.empty_like(h1), np.empty_like(h2), np.empty_like(dz), np.empty_like(h2),
            np.empty_like(w3), np.empty_like(h1), np.empty_like(w2), np.empty_like(w1)]

    def matmuls():
        np.matmul(x, w1, out=bufs[0])
        np.matmul(h1, w2, out=bufs[1])
        np.matmul(h2, w3, out=bufs[2])
        np.matmul(dz, w3.T, out=bufs[3])
        np.matmul(h2.T, dz, out=bufs[4])
        np.matmul(d2, w2.T, out=bufs[5])
        np.matmul(h1.T, d2, out=bufs[6])
        np.matmul(x.T, d1, out=bufs[7])

    args = (*params, x, onehot)
    t0 = time.perf_counter()
    fused(*args)
    numba_compile = time.perf_counter() - t0
    want = code(*args)
    err = max(_rel(g, w) for fn in (fused, hybrid) for g, w in zip(fn(*args), want))
    fns = {"jit": lambda: jf(params, x, onehot), "jit code": lambda: code(*args),
           "numba": lambda: fused(*args), "numba hybrid": lambda: hybrid(*args), "numpy.step": lambda: numpy_step(params, x, onehot),
           "matmuls only": matmuls}
    return fns, err, jit_compile, (numba_compile, None)


def size_sweep(repeats, min_time):
    """(n, jit, fused) seconds for W1 at several sizes, fusion forced; and fuse's MAX_SIZE."""
    import dfdx
    from dfdx._jit import fusion
    vg = dfdx.value_and_grad(w1_fun(np))
    out, saved = [], fusion.MAX_SIZE
    fusion.MAX_SIZE = 10**12
    try:
        for n in (10, 100, 300, 1000, 3000, 10**4):
            x = np.random.default_rng(1).uniform(-2, 2, n)
            a, b = dfdx.jit(vg), dfdx.jit(vg, fuse=True)
            a(x), b(x)
            t = measure_many({"a": lambda: a(x), "b": lambda: b(x)}, repeats=repeats,
                             min_time=min_time / 2)
            out.append((n, t["a"].median, t["b"].median))
            print("sweep", n, format_time(t["a"].median), format_time(t["b"].median), flush=True)
    finally:
        fusion.MAX_SIZE = saved
    return out, saved


# ------------------------------------------------------------------- report --
def _ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "—"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    repeats, min_time = (3, 0.05) if quick else (9, 0.2)
    pinned = pin_threads()
    numba_version, import_s, K = make_kernels()
    info = machine_info()
    rows = []
    for name, build in (("W1 n=10", lambda: w1_case(10, K)),
                        ("W1 n=10⁶", lambda: w1_case(10**6, K)),
                        ("W2 float64 step", lambda: w2_case(K))):
        fns, err, jit_compile, numba_compile = build()
        t = {k: v.median for k, v in measure_many(fns, repeats=repeats,
                                                  min_time=min_time).items()}
        print(name, {k: format_time(v) for k, v in t.items()}, f"err {err:.1e}", flush=True)
        rows.append((name, t, err, jit_compile, numba_compile))

    sweep, sweep_max = size_sweep(repeats, min_time)
    lines = [
        "# dfdx.jit: NumPy code against numba-fused elementwise chains",
        "",
        "`python -m benchmarks.jit_fusion` (median CPU time per call over interleaved batches, "
        f"{info['threads']} thread; a shared machine: read the ratios). {info['date']}, "
        f"{info['machine']}, Python {info['python']}, NumPy {info['numpy']} ({info['blas']}), "
        f"numba {numba_version}, dfdx {info.get('dfdx_commit', '?')}; {', '.join(pinned)}.",
        "",
        "*jit*: `dfdx.jit(...)` as a user calls it; *jit code*: the generated NumPy function "
        "alone; *numba*: the same graph's elementwise chains (and the reductions closing them) "
        "fused by hand into `numba.njit` loops, guards kept, BLAS calls left to NumPy; "
        "*numba + dispatch* = numba + (jit − jit code), what `dfdx.jit` with such a fusion "
        "would cost. *gain* = jit / (numba + dispatch). *max rel diff*: fused against "
        "generated result.",
        "",
        "*hybrid*: as *numba*, but the transcendentals (sin, cos, exp, tanh) of large arrays "
        "left to NumPy's SIMD loops (numba calls libm one element at a time); "
        "*hybrid gain* = jit / (hybrid + dispatch).",
        "",
        "| workload | jit | jit code | numba | numba + dispatch | gain | hybrid | hybrid gain | "
        "hand NumPy | jit / hand | best fused / hand | max rel diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t, err, _, _ in rows:
        hand = t.get("numpy.vg", t.get("numpy.step"))
        disp = max(t["jit"] - t["jit code"], 0.0)
        fused = t["numba"] + disp
        hyb = t["numba hybrid"] + disp
        lines.append(f"| {name} | {format_time(t['jit'])} | {format_time(t['jit code'])} | "
                     f"{format_time(t['numba'])} | {format_time(fused)} | "
                     f"**{_ratio(t['jit'], fused)}** | {format_time(t['numba hybrid'])} | "
                     f"**{_ratio(t['jit'], hyb)}** | {format_time(hand)} | "
                     f"{_ratio(t['jit'], hand)} | {_ratio(min(fused, hyb), hand)} | {err:.1e} |")
    lines += ["", "Against the issue's bounds:", ""]
    for name, t, _, _, _ in rows:
        disp = max(t["jit"] - t["jit code"], 0.0)
        fused = min(t["numba"], t["numba hybrid"]) + disp
        if "numpy forward" in t and name.endswith("10⁶"):
            lines.append(f"- {name}: jit {_ratio(t['jit'], t['numpy forward'])} the NumPy forward "
                         f"pass ({format_time(t['numpy forward'])}), best fused "
                         f"{_ratio(fused, t['numpy forward'])} (bound 1.6x).")
        if "matmuls only" in t:
            mm = t["matmuls only"]
            ej, ef = t["jit code"] - mm, min(t["numba"], t["numba hybrid"]) - mm
            lines.append(f"- {name}: the eight matmuls alone take {format_time(mm)}; the rest "
                         f"(elementwise, reductions, guards, Python) is {format_time(ej)} in the "
                         f"generated NumPy code and {format_time(ef)} fused "
                         f"({_ratio(ej, ef)} less); step against hand-written NumPy: jit "
                         f"{_ratio(t['jit'], t['numpy.step'])}, best fused "
                         f"{_ratio(fused, t['numpy.step'])} (bound 0.9x).")
    lines += ["", "`dfdx.jit(f, fuse=True)` (dfdx/_jit/fusion.py: a graph that is elementwise "
              "throughout becomes one numba loop; any other graph, W2's, keeps its NumPy code):",
              ""]
    for name, t, _, _, _ in rows:
        if "jit fuse=True" in t:
            lines.append(f"- {name}: {format_time(t['jit fuse=True'])}; `dfdx.jit(f)` / this = "
                         f"{_ratio(t['jit'], t['jit fuse=True'])}.")
    lines += ["", "W1 by size, `dfdx.jit(f)` against the fused loop forced at every size "
              "(`fusion.MAX_SIZE` lifted; `fuse=True` itself fuses up to "
              f"{sweep_max} elements):", "",
              "| n | jit | fused loop | jit / fused |", "|---:|---:|---:|---:|"]
    for n, a, b in sweep:
        lines.append(f"| {n:,} | {format_time(a)} | {format_time(b)} | {_ratio(a, b)} |")
    lines += ["", "Compile (first call), wall clock:", "",
              f"- `import numba`: {format_time(import_s)} (once per process).",
              ]
    for name, _, _, jit_compile, (numba_compile, fuse_compile) in rows:
        extra = (f"; numba kernels' first call (compiling them) {format_time(numba_compile)}"
                 if numba_compile is not None else "; hand-fused kernel already compiled")
        if fuse_compile is not None:
            extra += f"; `dfdx.jit(f, fuse=True)`'s first call {format_time(fuse_compile)}"
        lines.append(f"- {name}: dfdx.jit trace + optimise + generate {format_time(jit_compile)}"
                     f"{extra}.")
    by = {name: t for name, t, _, _, _ in rows}
    small, big, w2 = by["W1 n=10"], by["W1 n=10⁶"], by["W2 float64 step"]
    disp = max(small["jit"] - small["jit code"], 0.0)
    lines += [
        "", "## Reading", "",
        f"- **Small arrays: fusion pays.** W1 n=10 runs 18 NumPy calls at ~0.4 µs each; one "
        f"numba loop does the same in {format_time(small['numba'])} "
        f"({_ratio(small['jit'], small['numba'] + disp)} with dfdx.jit's dispatch; "
        f"`fuse=True` as built: {_ratio(small['jit'], small['jit fuse=True'])}), which puts "
        f"dfdx.jit well under jax.jit's ~11 µs. The price is numba's compile, ~0.3-0.6 s "
        f"a signature (and ~0.15-0.2 s to import numba): it pays back after ~10⁵ calls, so "
        f"it is opt-in (`dfdx.jit(f, fuse=True)`), never automatic.",
        f"- **Large arrays: plain fusion loses.** numba calls libm's sin/cos/exp/tanh one "
        f"element at a time; NumPy 2's SIMD loops are faster than the memory traffic fusion "
        f"saves: W1 n=10⁶ fused {_ratio(big['jit'], big['numba'])} of the jit speed. Fusing "
        f"only the arithmetic around NumPy's transcendentals (*hybrid*) gains "
        f"{_ratio(big['jit'], big['numba hybrid'])}: short of the 1.3x that would pay for "
        f"a second code generator, and still "
        f"{_ratio(big['numba hybrid'], big['numpy forward'])} the forward pass (bound 1.6x).",
        f"- **W2 step: matmuls dominate.** Fusing everything loses "
        f"({_ratio(w2['jit'], w2['numba'])}: 32768 scalar tanh calls); the hybrid halves the "
        f"non-BLAS part but the step gains only {_ratio(w2['jit'], w2['numba hybrid'])} "
        f"({_ratio(w2['numba hybrid'], w2['numpy.step'])} the hand-written step, bound 0.9x), "
        f"below the 1.3x bar, so `fuse=True` leaves graphs with matmuls to NumPy.",
        ""]
    lines.append("")
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
