"""Start-up time of the `dfdx` command: ``python -m benchmarks --only startup``.

Measures, as medians of several fresh processes (wall clock, since a start-up
is I/O and imports), ``python -c pass`` (the floor), ``dfdx --help`` (target
<= 0.3 s: it imports no NumPy, SymPy, SciPy or matplotlib) and
``dfdx diff 'x**2' --at x=1`` (target <= 1.0 s: parse, three methods, answer; SymPy is
imported only in the child process that computes the exact route, see `dfdx.cli`).
The command runs as ``python -m dfdx`` with the interpreter running this file,
so no installed script is needed. ``PYTHONDONTWRITEBYTECODE`` is unset for the
runs (a normal install has bytecode caches; without them every start-up
compiles SymPy again). Writes ``benchmarks/RESULTS-startup.md``; the
suite runner copies its table into README.md between the ``startup`` markers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: name -> (argv after the interpreter, target seconds or None)
CASES = {
    "python -c pass": (["-c", "pass"], None),
    "dfdx --help": (["-m", "dfdx", "--help"], 0.3),
    "dfdx diff 'x**2' --at x=1": (["-m", "dfdx", "diff", "x**2", "--at", "x=1"], 1.0),
}


def _env():
    """The environment of the runs: as a user's, with bytecode caches written and read."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_once(argv):
    """Wall-clock seconds of one fresh interpreter running `argv`; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env=_env())
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return dt


def measure(repeats):
    """Return ``{case: (median, min, max)}`` over `repeats` runs each (one warm-up first)."""
    out = {}
    for name, (argv, _) in CASES.items():
        time_once(argv)                     # warm the file cache and .pyc files
        times = [time_once(argv) for _ in range(repeats)]
        out[name] = (statistics.median(times), min(times), max(times))
    return out


def table(results, repeats):
    lines = [f"Start-up of the command (median of {repeats} fresh processes, wall clock; "
             f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; bytecode caches on):", "",
             "| command | median | min | max | target | met |",
             "|---|---|---|---|---|---|"]
    for name, (med, lo, hi) in results.items():
        target = CASES[name][1]
        met = "-" if target is None else ("yes" if med <= target else "no")
        tgt = "-" if target is None else f"≤ {target:g} s"
        lines.append(f"| `{name}` | {med:.3f} s | {lo:.3f} s | {hi:.3f} s | {tgt} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__)
    p.add_argument("--quick", action="store_true", help="3 runs each instead of 9")
    p.add_argument("--repeats", type=int, default=None)
    args = p.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 9)
    results = measure(repeats)
    text = table(results, repeats)
    print(text)
    with open(os.path.join(ROOT, "benchmarks", "RESULTS-startup.md"), "w") as fh:
        fh.write("# Start-up time\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
