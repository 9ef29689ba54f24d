"""dfdx on Dask: ``python -m benchmarks --only dask_bench`` (``python -m benchmarks.dask_bench``).

Two figures, on a ``distributed.LocalCluster`` of 2 worker processes (1 thread each):

- a numeric Jacobian (``dfdx.numeric.jacobian``, 6 inputs, 4 outputs) of a function that
  takes 50 ms per call, serial against ``client=`` (target: >= 1.7x faster). The function
  waits 50 ms (``time.sleep``), as a call of an external simulator or solver does; a
  CPU-bound one also needs a free core per worker, which a shared machine may not have.
- the gradient of a least-squares loss over 1.28 GB of data generated chunk by chunk on
  the workers (300 MB memory limit each: out of core), ``dfdx.grad`` beside plain Dask's
  ``X.T @ (X @ w - y)`` on the same graph (the bound) and beside making the data alone
  (``X.sum()``), in MB of X per second.

``rules`` (``python -m benchmarks.dask_bench rules``) instead runs every rules-table
sample with its first array argument a Dask array (two chunks) and lists, by name, the
rules that do not build a lazy graph (they compute the value), that Dask refuses, or
that give a different answer. Writes ``benchmarks/RESULTS-dask.md`` (or
``RESULTS-dask-rules.md``).
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "RESULTS-dask.md")
MEMORY_LIMIT = 300 * 2**20


def _time(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def bench(repeat=2):
    import dask.array as da
    import distributed

    import dfdx
    from dfdx import numeric

    def simulator(v):      # a black box taking 50 ms per call (a closure: pickled by value)
        time.sleep(0.05)
        return np.array([np.sin(v[0]) * v[1], np.exp(v[1] - v[2]) + v[3], v @ v,
                         np.cos(v[4]) * v[5]])

    lines = ["# dfdx on Dask", "",
             "`python -m benchmarks --only dask_bench`: a `distributed.LocalCluster` of 2 worker "
             "processes, 1 thread each, 300 MB memory limit each, on this machine "
             f"({os.cpu_count()} cores, shared).", ""]
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  memory_limit=MEMORY_LIMIT, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        x = np.linspace(0.1, 0.6, 6)
        ts, serial = _time(lambda: numeric.jacobian(simulator, x), 1)
        tc, on = _time(lambda: numeric.jacobian(simulator, x, client=client), repeat)
        same = np.array_equal(serial.value, on.value)
        lines += ["## Numeric Jacobian of a 50 ms function (6 inputs, 4 outputs)", "",
                  "| route | evaluations | seconds | speed-up |", "|---|---:|---:|---:|",
                  f"| serial | {serial.nfev} | {ts:.2f} | 1.00x |",
                  f"| `client=` (2 workers) | {on.nfev} | {tc:.2f} | {ts / tc:.2f}x |", "",
                  f"Results identical to the serial run: {same}. Target >= 1.7x: "
                  f"{'met' if ts / tc >= 1.7 else 'NOT met'}.", ""]
        print("\n".join(lines[-10:]), flush=True)

        rows, d = 1_600_000, 100
        rs = da.random.RandomState(0)
        X = rs.random_sample((rows, d), chunks=(25_000, d))
        y = rs.random_sample(rows, chunks=25_000)
        w = np.linspace(-1, 1, d)
        mb = rows * d * 8 / 1e6
        loss = lambda w, X, y: 0.5 * np.mean((X @ w - y) ** 2)   # noqa: E731
        t_gen, _ = _time(lambda: X.sum().compute(), repeat)
        t_plain, plain = _time(lambda: ((X.T @ (X @ w - y)) / rows).compute(), repeat)
        t_dfdx, g = _time(lambda: dfdx.grad(loss)(w, X, y), repeat)
        err = float(np.max(np.abs(g - plain)) / np.max(np.abs(plain)))
        lines += [f"## Gradient over {mb / 1000:.2f} GB out of core (64 chunks of 20 MB, "
                  "made on the workers)", "",
                  "| computation | seconds | MB/s of X | vs plain Dask |", "|---|---:|---:|---:|",
                  f"| make the data only (`X.sum()`) | {t_gen:.2f} | {mb / t_gen:.0f} | |",
                  f"| plain Dask `X.T @ (X @ w - y) / n` | {t_plain:.2f} | {mb / t_plain:.0f} "
                  "| 1.00x |",
                  f"| `dfdx.grad(loss)(w, X, y)` | {t_dfdx:.2f} | {mb / t_dfdx:.0f} | "
                  f"{t_plain / t_dfdx:.2f}x |", "",
                  f"Largest relative difference from plain Dask: {err:.1e}. Best of {repeat}.", ""]
        print("\n".join(lines[-10:]), flush=True)
    with open(RESULTS, "w") as fh:
        fh.write("\n".join(lines))
    return 0


def rules_report():
    """Every rules-table sample with a Dask argument: which rules stay lazy and right."""
    import warnings

    import dask
    import dask.array as da

    import dfdx
    from dfdx._numpy.registry import callable_name
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from rule_samples import SAMPLES
    warnings.simplefilter("ignore")

    def no_compute(*args, **kwargs):
        raise RuntimeError("computed")

    res = collections.defaultdict(list)
    for key, samples in SAMPLES.items():
        s, name = samples[0], callable_name(key)
        idx = [i for i, a in enumerate(s.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
               and a.ndim >= 1 and a.shape[0] >= 2]
        if not idx:
            continue
        i, a = idx[0], s.args[idx[0]]

        def f(x, s=s, i=i):
            args = list(s.args)
            args[i] = x
            return sum(np.sum(np.real(o)) for o in dfdx.tree_leaves(s.fn(*args)))
        try:
            ref = dfdx.grad(f)(a)
        except Exception:  # noqa: BLE001 - the row needs more than one argument moved
            continue
        X = da.from_array(a, chunks=(a.shape[0] // 2,) + a.shape[1:])
        try:
            with dask.config.set(scheduler=no_compute):
                g = dfdx.grad(f, lazy=True)(X)
            ok = np.allclose(np.asarray(dask.compute(g)[0]), ref, rtol=1e-9, atol=1e-11,
                             equal_nan=True)
            res["lazy and right" if ok else "lazy, different answer"].append(name)
        except Exception as e:  # noqa: BLE001 - sorted into the report
            kind = ("computes the value (not lazy)" if "computed" in repr(e)
                    else f"refused ({type(e).__name__})")
            res[kind].append(name)
    total = sum(len(v) for v in res.values())
    lines = ["# Rules on Dask values", "",
             "`python -m benchmarks.dask_bench rules`: each rules-table sample's gradient with "
             "its first float array argument a Dask array of two chunks, traced under a scheduler "
             "that refuses to compute.", "", f"{total} rules tried.", ""]
    for kind in sorted(res):
        names = sorted(res[kind])
        lines += [f"## {kind}: {len(names)}", "",
                  "(names not listed)" if kind == "lazy and right" else ", ".join(names), ""]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(ROOT, "benchmarks", "RESULTS-dask-rules.md"), "w") as fh:
        fh.write(text)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", nargs="?", default="bench", choices=["bench", "rules"])
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args(argv)
    return rules_report() if a.what == "rules" else bench(a.repeat)


if __name__ == "__main__":
    sys.exit(main())
