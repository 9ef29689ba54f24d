"""Do the hand-written batched rules pay? Each one beside the form generated from its plain rule.

Issue 14: batching is declared once per rule; a hand-written batched forward or reverse
rule (``bjvp``/``bvjp`` in `dfdx._numpy.registry.defrule`) stays only where it is faster
than the generated form (the plain rule run under a BatchTrace). For every primitive that
has hand-written batched rules, and the first rule sample of each (`tests/rule_samples.py`)
with a float first argument, this times ``jacfwd`` (batched JVPs) and ``jacrev`` (batched
VJPs) twice, interleaved: with the primitive's hand-written rules, and with only that
primitive's switched off. The samples are small (at most 12 elements), so the figures are
the per-call cost that dominates the W3/W5/W6 workloads at their sizes.

The ratio is generated / hand-written: above 1 the hand-written rule pays. Rows at or below
``KEEP`` (1.15) are candidates for removal.

Run ``python -m benchmarks.batching_rules`` (``--quick``); the table goes to
``benchmarks/RESULTS-batching.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

from benchmarks._timing import format_time, machine_info, measure_many, pin_threads

__all__ = ["main", "run", "KEEP"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(os.path.dirname(__file__), "RESULTS-batching.md")
#: generated / hand-written above this: the hand-written rule pays and stays
KEEP = 1.15
_RULES = ("bjvps", "bjvp_all", "bvjps", "bvjp_all")


def _source(prim):
    """"partials" for a batched rule generated from an elementwise declaration's partial
    derivatives (`defelementwise`), else "hand-written"."""
    fns = [f for f in (*prim.bjvps, *prim.bvjps) if f is not None]
    made = all("_make_b" in getattr(f, "__qualname__", "") for f in fns)
    return "partials" if fns and made and prim.bjvp_all is None and prim.bvjp_all is None \
        else "hand-written"


def _handwritten(prim):
    fwd = bool(getattr(prim, "bjvps", ())) or getattr(prim, "bjvp_all", None) is not None
    rev = bool(getattr(prim, "bvjps", ())) or getattr(prim, "bvjp_all", None) is not None
    return fwd, rev


class _Off:
    """Switch one primitive's hand-written batched rules off inside a ``with`` block."""

    def __init__(self, prim):
        self.prim = prim

    def __enter__(self):
        self.saved = [getattr(self.prim, a) for a in _RULES]
        self.prim.bjvps, self.prim.bjvp_all, self.prim.bvjps, self.prim.bvjp_all = \
            (), None, (), None

    def __exit__(self, *exc):
        for a, v in zip(_RULES, self.saved):
            setattr(self.prim, a, v)


def _cases():
    """(name, primitive, f, x) per primitive with hand-written batched rules."""
    from dfdx._core import Primitive
    from dfdx._numpy.registry import FUNCTIONS, UFUNCS, callable_name
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from rule_samples import SAMPLES
    seen = set()
    for key, samples in SAMPLES.items():
        prim = FUNCTIONS.get(key, UFUNCS.get(key))
        if not isinstance(prim, Primitive) or prim in seen or not any(_handwritten(prim)):
            continue
        for s in samples:
            if s.xfail or not s.args:
                continue
            x = s.args[0]
            if not (isinstance(x, np.ndarray) and x.dtype == np.float64 and x.size >= 2):
                continue
            out = s.fn(*s.args)
            if not (isinstance(out, np.ndarray) and out.dtype == np.float64):
                continue
            seen.add(prim)
            yield callable_name(key), prim, (lambda x, s=s: s.fn(x, *s.args[1:])), x
            break


def run(quick=False):
    """Time every case; return rows ``(name, mode, hand-written s, generated s, ratio)``."""
    import dfdx
    warnings.simplefilter("ignore")
    rows = []
    for name, prim, f, x in _cases():
        fwd, rev = _handwritten(prim)
        for mode, has, jac in (("jacfwd", fwd, dfdx.jacfwd), ("jacrev", rev, dfdx.jacrev)):
            if not has:
                continue
            jf = jac(f)
            try:
                want = jf(x)
                with _Off(prim):
                    np.testing.assert_allclose(jf(x), want, rtol=1e-9, atol=1e-12)
            except Exception as e:     # noqa: BLE001 -- reported, not hidden
                rows.append((name, mode, None, None, f"{type(e).__name__}", _source(prim)))
                continue

            def generated(jf=jf, prim=prim):
                with _Off(prim):
                    jf(x)
            t = measure_many({"hand": lambda jf=jf: jf(x), "gen": generated},
                             repeats=3 if quick else 7, min_time=0.02 if quick else 0.1)
            rows.append((name, mode, t["hand"].median, t["gen"].median,
                         t["gen"].median / t["hand"].median, _source(prim)))
    return rows


def _table(rows):
    lines = ["| primitive | sweep | batched rule | generated | generated / batched rule |",
             "|---|---|---:|---:|---:|"]
    order = sorted(rows, key=lambda r: (-(r[4] if isinstance(r[4], float) else 0), r[0], r[1]))
    for name, mode, th, tg, ratio, _ in order:
        if isinstance(ratio, float):
            lines.append(f"| `{name}` | {mode} | {format_time(th)} | {format_time(tg)} | "
                         f"{ratio:.2f} |")
        else:
            lines.append(f"| `{name}` | {mode} | | | not comparable ({ratio}) |")
    return lines


def _summary(rows):
    ok = [r for r in rows if isinstance(r[4], float)]
    keep = [r for r in ok if r[4] > KEEP]
    ratios = sorted(r[4] for r in ok)
    median = ratios[len(ratios) // 2] if ratios else float("nan")
    return (f"{len(ok)} measured: {len(keep)} pay (ratio > {KEEP}), {len(ok) - len(keep)} "
            f"do not; median ratio {median:.2f}.")


def report(rows):
    info = machine_info()
    hand = [r for r in rows if r[5] == "hand-written"]
    made = [r for r in rows if r[5] == "partials"]
    lines = [
        "# Batched rules beside the form generated from the plain rule", "",
        "`python -m benchmarks.batching_rules`: per primitive with batched rules, "
        "`jacfwd`/`jacrev` of its first rule sample (at most 12 elements) with its batched "
        "rule and with the form generated from its plain rule under a BatchTrace "
        "(interleaved, medians, CPU time, 1 thread). Ratio = generated / batched rule; "
        f"above {KEEP} the batched rule pays.", "",
        f"Python {info.get('python', '?')}; NumPy {info.get('numpy', '?')}.", "",
        "## Hand-written batched rules (`defrule(..., bjvp=, bvjp=)`)", "",
        _summary(hand), "", *_table(hand), "",
        "## Batched rules generated from an elementwise declaration's partials", "",
        "Not hand-written: `defelementwise` makes both batched forms from the partial "
        "derivatives it is given (the declaration).", "",
        _summary(made), "", *_table(made)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter repeats")
    args = ap.parse_args(argv)
    pin_threads()
    text = report(run(args.quick))
    with open(RESULTS, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
