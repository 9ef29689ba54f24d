"""Shared timing tools: thread pinning, medians of repeated timeit runs, peak memory.

Every benchmark in this folder measures the same way, so numbers from
different files can sit in one table:

* `pin_threads` limits NumPy's BLAS (threadpoolctl), torch and JAX to
  `benchmarks.THREADS` threads (the environment variables are set when the
  `benchmarks` package is imported, before any numeric library loads).
* `measure` calls a function in batches sized so one batch takes at least
  `min_time` seconds (timeit's autorange, with our own target), repeats the batch, and reports
  the median time per call -- the statistic least moved by a shared machine.
  By default it reads the process's CPU time rather than the wall clock: on a
  shared machine, time spent waiting for a core is not the benchmark's.
* `peak_rss_delta` runs a function once and reports how far the process's
  resident memory rose above where it started (Linux: VmHWM after resetting
  it through /proc/self/clear_refs); unlike tracemalloc it also sees memory
  torch and JAX allocate outside Python.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import benchmarks

__all__ = ["Timing", "measure", "measure_many", "set_clock", "clock_name", "CLOCKS", "pin_threads", "peak_rss_delta", "traced_peak",
           "machine_info", "format_time", "thread_report"]

_LIMITER = None


def pin_threads(threads: int | None = None) -> list[str]:
    """Limit every loaded numeric library to `threads` threads; return what was pinned."""
    global _LIMITER
    threads = threads or benchmarks.THREADS
    done = []
    try:
        import threadpoolctl
        _LIMITER = threadpoolctl.threadpool_limits(limits=threads)
        done.append(f"threadpoolctl({threads})")
    except ImportError:
        done.append("env vars only (threadpoolctl not installed)")
    if "torch" in sys.modules:
        import torch
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass   # why: may only be set before torch's first parallel op
        done.append(f"torch.set_num_threads({threads})")
    return done


def thread_report() -> str:
    """The thread counts each BLAS/OpenMP pool actually runs with (threadpoolctl)."""
    try:
        import threadpoolctl
    except ImportError:
        return "threadpoolctl not installed"
    info = threadpoolctl.threadpool_info()
    return ", ".join(f"{i.get('internal_api')}={i.get('num_threads')}" for i in info) or "none"


@dataclass
class Timing:
    """Seconds per call: median and spread of `repeats` batches of `number` calls."""

    median: float
    best: float
    worst: float
    number: int
    repeats: int

    @property
    def spread(self) -> float:
        """(worst - best) / median: how noisy the machine was for this row."""
        return (self.worst - self.best) / self.median if self.median else 0.0


#: The clocks `measure` can use: "cpu" is the process's CPU time (all threads),
#: which a shared machine's other jobs barely move; "wall" is perf_counter.
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = {"name": os.environ.get("DFDX_BENCH_CLOCK", "cpu")}


def set_clock(name: str) -> None:
    """Choose the clock every later `measure` uses ("cpu" or "wall")."""
    if name not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, not {name!r}.")
    _clock["name"] = name


def clock_name() -> str:
    """The clock `measure` uses now."""
    return _clock["name"]


def _batch(fn, number):
    # why: the garbage collector stays on, as in real use: engines that
    # allocate many Python objects per call pay for it here too.
    timer = CLOCKS[_clock["name"]]
    t0 = timer()
    for _ in range(number):
        fn()
    return timer() - t0


def measure(fn, *, repeats: int = 7, min_time: float = 0.2, max_number: int = 10**6) -> Timing:
    """Time `fn()`: median seconds per call over `repeats` batches of >= `min_time` s.

    Args:
        fn: a function of no arguments (results must be computed, not deferred:
            JAX callers block until ready inside `fn`).
        repeats: batches to time; the median is reported.
        min_time: seconds one batch should last at least (sets calls per batch).
        max_number: the most calls in one batch.

    Returns:
        A `Timing`.
    """
    number = _calibrate(fn, min_time, max_number)
    per = sorted(_batch(fn, number) / number for _ in range(repeats))
    return Timing(statistics.median(per), per[0], per[-1], number, repeats)


def _calibrate(fn, min_time, max_number):
    fn()                                    # warm-up: lazy imports, caches, JIT
    gc.collect()
    number = 1
    while True:                             # timeit.autorange, with our own target
        t = _batch(fn, number)
        if t >= min_time or number >= max_number:
            return number
        number = min(max_number, max(number * 2, int(number * min_time / max(t, 1e-9) * 1.2)))


def measure_many(fns: dict, *, repeats: int = 7, min_time: float = 0.2,
                 max_number: int = 10**6) -> dict:
    """Time several functions with their batches interleaved: ``{key: Timing}``.

    Each function gets its own batch size (as in `measure`); then round after
    round every function runs one batch, so all of them see the same load on a
    shared machine and their ratios stay fair even when the load drifts.
    """
    numbers = {k: _calibrate(fn, min_time, max_number) for k, fn in fns.items()}
    per = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            per[k].append(_batch(fn, numbers[k]) / numbers[k])
    out = {}
    for k, ts in per.items():
        ts.sort()
        out[k] = Timing(statistics.median(ts), ts[0], ts[-1], numbers[k], repeats)
    return out


def _status_kib(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def peak_rss_delta(fn) -> int | None:
    """Bytes the process's peak resident memory rose above its current size while `fn()` ran.

    Linux only (returns None elsewhere): resets the high-water mark by writing
    5 to /proc/self/clear_refs, runs `fn` once, reads VmHWM.
    """
    try:
        gc.collect()
        base = _status_kib("VmRSS")
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        fn()
        return (_status_kib("VmHWM") - base) * 1024
    except (OSError, KeyError):
        return None


def traced_peak(fn) -> int:
    """Peak bytes Python and NumPy allocated while `fn()` ran (tracemalloc)."""
    import tracemalloc
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """Machine, date and library versions for a results header."""
    import numpy as np
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
                   f"{platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": benchmarks.THREADS,
    }
    try:
        info["blas"] = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:                       # noqa: BLE001 -- informational only
        info["blas"] = "?"
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, cwd=root)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "dfdx"],
                               capture_output=True, text=True, timeout=5, cwd=root)
        if rev.returncode == 0:
            info["dfdx_commit"] = rev.stdout.strip() + (" (+ uncommitted changes)"
                                                        if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def format_time(seconds: float | None) -> str:
    """Seconds as a short human string in ns / µs / ms / s."""
    if seconds is None:
        return "—"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        v = seconds * 1e6
        return f"{v:.1f} µs" if v < 100 else f"{v:.0f} µs"
    if seconds < 1:
        v = seconds * 1e3
        return f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"
    return f"{seconds:.2f} s"
