"""AD benchmarks: the results table, the targets, README and RESULTS-ad.md."""

from __future__ import annotations

import os

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
from benchmarks import _readme
from benchmarks._timing import format_time
from benchmarks.ad_backends import BACKENDS, EAGER_PEERS, MEM_N

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS-ad.md")


# ----------------------------------------------------------------- render --
def _ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def _t(cells, b):
    c = cells.get(b)
    return c.get("median") if c else None


def _cell(cells, b):
    c = cells.get(b)
    if c is None:
        return ""
    if "wrong" in c:
        return "**wrong**"
    if "error" in c:
        return "error"
    return format_time(c.get("median")) + (" †" if c.get("flags") else "")


def _row(results, key):
    for r in results["rows"]:
        if r["key"] == key:
            return r["cells"]
    return None


def targets(results):
    """The issue's targets: (target, measured, met) for every one whose rows were run."""
    out = []

    def add(name, measured, limit, text, extra=""):
        if not measured or not limit:
            return
        out.append((name, text, measured <= limit, extra))

    c = _row(results, "W1 n=10")
    if c:
        add("W1 n=10 ≤ 40 µs", _t(c, "dfdx"), 40e-6, format_time(_t(c, "dfdx")))
    c = _row(results, "W1 n=10⁶")
    if c and _t(c, "numpy"):
        r = (_t(c, "dfdx") or 0) / _t(c, "numpy")
        hand = _t(c, "numpy.vg")
        add("W1 n=10⁶ ≤ 1.6× NumPy forward", r, 1.6, f"{r:.2f}×" + (
            f" (NumPy by hand: {hand / _t(c, 'numpy'):.2f}×)" if hand else ""))
    mem = results.get("memory") or {}
    if "rss" in mem.get("dfdx", {}) and "rss" in mem.get("autograd", {}):
        d, a = mem["dfdx"], mem["autograd"]
        md = d.get("traced", d["rss"])
        ma = a.get("traced", a["rss"])
        add("W1 n=10⁶ peak memory ≤ autograd's", md, ma,
            f"{md / 2**20:.1f} MiB vs {ma / 2**20:.1f} MiB")
    for dt in ("float64", "float32"):
        c = _row(results, f"W2 {dt}")
        if c and _t(c, "numpy"):
            r = (_t(c, "dfdx") or 0) / _t(c, "numpy")
            add(f"W2 {dt} ≤ 1.1× hand-written NumPy", r, 1.1, f"{r:.2f}×")
    c = _row(results, "W2 float32")
    if c and c.get("dfdx") and "median" in c["dfdx"]:
        leaks = c["dfdx"].get("flags")
        out.append(("W2 float32 stays float32 end to end", "float64 inside (see †)" if leaks
                    else "float32 throughout", not leaks, ""))
    for key, peer, label in (("W3 n=100", "torch.func", "W3 n=100 ≤ torch.func.hessian"),
                             ("W6 auto", None, "W6 jacobian(auto) ≤ torch.func (best)"),
                             ("W6 rev", "torch.func", "W6 jacrev ≤ torch.func.jacrev"),
                             ("W6 fwd", "torch.func", "W6 jacfwd ≤ torch.func.jacfwd")):
        c = _row(results, key)
        if not c:
            continue
        if peer is None:
            peers = [_t(_row(results, k) or {}, "torch.func") for k in ("W6 rev", "W6 fwd")]
            ref = min([p for p in peers if p] or [None]) if any(peers) else None
        else:
            ref = _t(c, peer)
        if ref and _t(c, "dfdx"):
            r = _t(c, "dfdx") / ref
            add(label, r, 1.0, f"{r:.2f}×")
    for key, limit in (("W4 f′", 20e-6), ("W4 f′′", 40e-6)):
        c = _row(results, key)
        if c:
            add(f"{key} ≤ {limit * 1e6:.0f} µs", _t(c, "dfdx"), limit,
                format_time(_t(c, "dfdx")))
    c = _row(results, "W5 n=10⁴")
    if c:
        peers = [t for t in (_t(c, "torch"), _t(c, "torch.func")) if t]
        if peers and _t(c, "dfdx"):
            r = _t(c, "dfdx") / min(peers)
            add("W5 ≤ PyTorch (best of eager, torch.func)", r, 1.0, f"{r:.2f}×")
    return out


def jit_targets(results):
    """The dfdx.jit targets of the issue: (target, measured text, met) for the rows run."""
    out = []

    def ratio(key, over, name, limit):
        c = _row(results, key)
        if c and _t(c, "dfdx.jit") and _t(c, over):
            r = _t(c, "dfdx.jit") / _t(c, over)
            out.append((name, f"{r:.2f}× ({format_time(_t(c, 'dfdx.jit'))} vs "
                              f"{format_time(_t(c, over))})", r <= limit))

    ratio("W1 n=10", "jax.jit", "W1 n=10 dfdx jit ≤ JAX jit", 1.0)
    ratio("W4 f′", "jax.jit", "W4 f′ dfdx jit ≤ 2× JAX jit", 2.0)
    ratio("W4 f′′", "jax.jit", "W4 f′′ dfdx jit ≤ 2× JAX jit", 2.0)
    for dt in ("float64", "float32"):
        ratio(f"W2 {dt}", "numpy", f"W2 {dt} dfdx jit ≤ 0.9× hand-written NumPy", 0.9)
        ratio(f"W2 {dt}", "torch", f"W2 {dt} dfdx jit ≤ PyTorch eager", 1.0)
    ratio("W1 n=10⁶", "numpy", "W1 n=10⁶ dfdx jit ≤ 1.6× NumPy forward", 1.6)
    for key in ("W3 n=100", "W5 n=10⁴", "W6 auto", "W6 rev", "W6 fwd"):
        ratio(key, "dfdx", f"{key} dfdx jit ≤ 0.5× eager dfdx", 0.5)
    c = _row(results, "W2 float64")
    if c and (c.get("dfdx.jit") or {}).get("compile"):
        t = c["dfdx.jit"]["compile"]
        out.append(("W2 compile (first call) ≤ 150 ms", format_time(t), t <= 0.150))
    mem = results.get("memory") or {}
    if "rss" in mem.get("dfdx.jit", {}) and "rss" in mem.get("dfdx", {}):
        d, e = mem["dfdx.jit"], mem["dfdx"]
        md, me = d.get("traced", d["rss"]), e.get("traced", e["rss"])
        out.append(("W1 n=10⁶ peak memory dfdx jit ≤ eager dfdx",
                    f"{md / 2**20:.1f} MiB vs {me / 2**20:.1f} MiB", md <= me))
    return out


def compile_times(results):
    """(row key, seconds) of every dfdx.jit first call that was timed."""
    return [(r["key"], r["cells"]["dfdx.jit"]["compile"]) for r in results["rows"]
            if (r["cells"].get("dfdx.jit") or {}).get("compile") is not None]


def render(results) -> str:
    """The results as markdown: header, times table, ratios, targets, memory, notes."""
    info = results["info"]
    cols = [b for b in BACKENDS if any(b in r["cells"] for r in results["rows"])]
    peers = [b for b in EAGER_PEERS if b in cols]
    lines = []
    v = info["versions"]
    lines.append(f"Machine: {info['machine']}; Python {info['python']}, NumPy {info['numpy']} "
                 f"({info['blas']}); {info['date']}.  ")
    lines.append("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items())
                 + (f" (dfdx at {info['dfdx_commit']})" if info.get("dfdx_commit") else "")
                 + ".  ")
    lines.append(f"Every backend pinned to {info['threads']} thread ({info['pools']}); "
                 f"median of {info['repeats']} batches of ≥ {info['min_time']} s of "
                 + ("process CPU time" if info.get("clock") == "cpu" else "wall-clock time")
                 + (" (**--quick**: noisy)" if info["quick"] else "")
                 + "; every result checked against a float64 reference first.  "
                 + (f" glibc malloc fixed for the run ({info['malloc']})."
                    if info.get("malloc") else "")
                 + (f" Unset for this run: {', '.join(info['dropped_env'])}."
                    if info["dropped_env"] else ""))
    if info.get("load_start") is not None:
        lines.append(f"Load average (1 min) at start / end: {info['load_start']} / "
                     f"{info.get('load_end')} on {os.cpu_count()} cores: the machine is shared, "
                     "so read ratios (peers run in the same minutes) rather than absolute "
                     + ("times.  " if info.get("clock") == "wall" else
                        "times; CPU time leaves out the time spent waiting for a core.  "))
    if info["missing"]:
        lines.append(f"Not installed (skipped): {', '.join(info['missing'])}.")
    lines.append("")
    jit_over = [b for b in ("jax.jit", "dfdx", "numpy") if "dfdx.jit" in cols and b in cols]
    head = ["Workload"] + [BACKENDS[b] for b in cols] + [f"dfdx ÷ {BACKENDS[p]}" for p in peers] \
        + [f"dfdx jit ÷ {BACKENDS[p]}" for p in jit_over]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for r in results["rows"]:
        c = r["cells"]
        d = _t(c, "dfdx")
        cells = [r["key"]] + [_cell(c, b) for b in cols] + [_ratio(d, _t(c, p)) for p in peers] \
            + [_ratio(_t(c, "dfdx.jit"), _t(c, p)) for p in jit_over]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if peers:
        lines.append("The same ratios from each cell's fastest batch (less moved by the load of "
                     "a shared machine):")
        lines.append("")
        head = ["Workload"] + [f"dfdx ÷ {BACKENDS[p]}" for p in peers]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        for r in results["rows"]:
            c = r["cells"]
            best = {b: c[b].get("best") for b in c}
            lines.append("| " + " | ".join([r["key"]] + [_ratio(best.get("dfdx"), best.get(p))
                                                         for p in peers]) + " |")
        lines.append("")
    lines.append("Ratios are dfdx's time over the peer's: below 1 means dfdx is faster. "
                 "NumPy is the plain forward pass for W1 (the bound a gradient is measured "
                 "against) and a hand-written forward+backward+update for W2. "
                 "dfdx jit (`dfdx.jit` of the same transform; for W2 the whole step) and JAX "
                 "jit are compiled outside the timing and checked against the reference "
                 "like the rest; they are not counted as eager peers. "
                 "PyTorch means the eager `torch.autograd` API (in W3/W6 "
                 "`torch.autograd.functional`, which loops in Python), torch.func the "
                 "functional transforms (vmap-batched).")
    tg = targets(results)
    if tg:
        lines += ["", "| Target | dfdx | Met |", "|---|---:|:---:|"]
        for name, text, met, _ in tg:
            lines.append(f"| {name} | {text} | {'yes' if met else '**no**'} |")
    jt = jit_targets(results)
    if jt:
        lines += ["", "| dfdx.jit target | measured | Met |", "|---|---:|:---:|"]
        for name, text, met in jt:
            lines.append(f"| {name} | {text} | {'yes' if met else '**no**'} |")
    ct = compile_times(results)
    if ct:
        lines += ["", "dfdx jit first call (record the transform, optimise the graph, generate "
                  "and compile the source; once per signature): " + ", ".join(
                      f"{k} {format_time(t)}" for k, t in ct) + "."]
    if results.get("auto_mode"):
        lines += ["", "`dfdx.jacobian(mode=\"auto\")` picks: " + ", ".join(
            f"{k}: {v}" for k, v in results["auto_mode"].items()) + "."]
    mem = results.get("memory")
    if mem:
        lines += ["", f"Peak memory of one W1 n=10⁶ value-and-gradient call (input "
                  f"{MEM_N * 8 / 2**20:.1f} MiB; fresh process each; RSS rise above the "
                  "baseline; tracemalloc peak for NumPy-based backends):", "",
                  "| Backend | RSS peak rise | tracemalloc peak |", "|---|---:|---:|"]
        for b, m in mem.items():
            if "error" in m:
                lines.append(f"| {BACKENDS[b]} | error | |")
                continue
            rss = f"{m['rss'] / 2**20:.1f} MiB" if m.get("rss") is not None else "—"
            tr = f"{m['traced'] / 2**20:.1f} MiB" if m.get("traced") is not None else "—"
            lines.append(f"| {BACKENDS[b]} | {rss} | {tr} |")
    notes = [(r["key"], b, c["note"]) for r in results["rows"]
             for b, c in r["cells"].items() if c.get("note")]
    if results.get("flags"):
        lines += ["", "† Findings (timed anyway):", ""]
        lines += [f"- {e}" for e in results["flags"]]
    if results["errors"]:
        lines += ["", "Errors and wrong results:", ""]
        lines += [f"- {e}" for e in results["errors"]]
    if notes:
        seen, items = set(), []
        for key, b, note in notes:
            if (b, note) not in seen:
                seen.add((b, note))
                items.append(f"{BACKENDS[b]} ({key.split()[0]}): {note}")
        lines += ["", "What each cell calls: " + "; ".join(items) + "."]
    return "\n".join(lines) + "\n"


def splice_readme(table: str, readme: str | None = None) -> bool:
    """Put `table` between the bench:ad markers in README.md; return whether it did."""
    return _readme.splice("ad", table, readme)


def write_results(results, path=RESULTS):
    """Write the full results file (header, table, targets, memory)."""
    body = render(results)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# AD speed: dfdx against its peers\n\n"
                 "Generated by `python -m benchmarks.ad` (`make bench`); do not edit by hand. "
                 "Workloads: `benchmarks/ad_workloads.py`, method: `benchmarks/ad.py`; where dfdx's time goes: "
                 "`python -m benchmarks.profile_ad`.\n\n")
        fh.write(body)
    return body
