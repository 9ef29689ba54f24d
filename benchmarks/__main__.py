"""Run every benchmark in this folder: ``python -m benchmarks`` (what ``make bench`` calls).

The AD suite (`benchmarks.ad`) always runs; the other suites run when their
module is present and exposes ``main``: `benchmarks.numeric`,
`benchmarks.symbolic_compile`, `benchmarks.train_digits`, `benchmarks.startup`. A suite that fails
is reported and the others still run; the exit status is non-zero if any failed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import sys
import time
import traceback

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
from benchmarks import _readme

#: suite name -> (results file, README marker name) for the suites whose tables go in README.md
#: (the AD suite splices its own table).
README_TABLES = {
    "numeric": ("RESULTS-numeric.md", "numeric", None),
    "symbolic_compile": ("RESULTS-symbolic.md", "symbolic", 1),
    "train_digits": ("RESULTS-train.md", "train", None),
    "startup": ("RESULTS-startup.md", "startup", None),
}

#: suite name -> module; run in this order.
SUITES = {
    "ad": "benchmarks.ad",
    "numeric": "benchmarks.numeric",
    "symbolic_compile": "benchmarks.symbolic_compile",
    "train_digits": "benchmarks.train_digits",
    "startup": "benchmarks.startup",
    "vmap": "benchmarks.vmap",
    "dask_bench": "benchmarks.dask_bench",
    "structure": "benchmarks.structure",
}


def splice_tables(name):
    """Copy suite `name`'s tables from its results file into README.md."""
    results, marker, limit = README_TABLES[name]
    path = os.path.join(_readme.ROOT, "benchmarks", results)
    if os.path.exists(path):
        _readme.splice(marker, _readme.tables(path, limit))


def _present(module):
    return importlib.util.find_spec(module) is not None


def _call_main(main, argv):
    """Call a suite's main with `argv` if it takes arguments, else with none."""
    try:
        params = inspect.signature(main).parameters
    except (TypeError, ValueError):
        params = {}
    return main(argv) if params else main()


def main(argv=None):
    """Run the suites; return 0 when all of them succeeded."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="dfdx benchmarks: every suite present in benchmarks/, side by side with "
                    "the installed peers (pip install dfdx[bench]). Results are written next "
                    "to each suite (benchmarks/RESULTS-*.md) and into README.md between its "
                    "markers.")
    p.add_argument("--only", default=None,
                   help=f"comma-separated suites to run (of {', '.join(SUITES)})")
    p.add_argument("--quick", action="store_true",
                   help="fewer, shorter repeats (noisy; for checking the harness)")
    p.add_argument("--list", action="store_true", help="list the suites found and exit")
    args = p.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SUITES)
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        p.error(f"unknown suite {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    if args.list:
        for name, module in SUITES.items():
            print(f"{name:<18} {'present' if _present(module) else 'absent'}")
        return 0
    failed = []
    for name in chosen:
        module = SUITES[name]
        if not _present(module):
            print(f"== {name}: not present, skipped")
            continue
        mod = importlib.import_module(module)
        entry = getattr(mod, "main", None)
        if entry is None:
            print(f"== {name}: {module} has no main(), skipped")
            continue
        print(f"== {name} ({module})", flush=True)
        t0 = time.perf_counter()
        try:
            rc = _call_main(entry, ["--quick"] if args.quick else [])
        except SystemExit as exc:
            rc = exc.code
        except Exception:                       # noqa: BLE001 -- one suite must not stop the rest
            traceback.print_exc()
            rc = 1
        print(f"== {name}: {'ok' if not rc else f'FAILED ({rc})'} in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
        elif name in README_TABLES and not args.quick:
            splice_tables(name)
    if failed:
        print(f"failed suites: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
