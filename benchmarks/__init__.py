"""dfdx benchmarks: speed against peers, side by side in one run (not tests).

Importing this package pins every numeric library to one thread, drops the
OpenBLAS tuning variables that slow NumPy down on the project machine, and
fixes glibc's malloc thresholds. All of it must happen before NumPy (or torch,
or JAX) is first imported, which is why it lives here: ``python -m benchmarks``
and ``python -m benchmarks.ad`` run this module first.
"""

from __future__ import annotations

import os
import sys

#: Threads every backend is pinned to.
THREADS = 1

#: OpenBLAS variables set on the project machine that slow NumPy; unset for benchmark runs only.
DROPPED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

#: What this process found (and did) at import, for the results header.
ENV_REPORT: dict = {"dropped": [], "numpy_preloaded": "numpy" in sys.modules}

for _name in DROPPED_ENV:
    if _name in os.environ:
        ENV_REPORT["dropped"].append(f"{_name}={os.environ[_name]}")
        # why: OpenBLAS reads these once, when NumPy loads it; unsetting them
        # after that point changes nothing, so the header says when it was late.
        del os.environ[_name]

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = str(THREADS)

# why: XLA's CPU client otherwise starts one Eigen worker per core.
_xla = os.environ.get("XLA_FLAGS", "")
if "xla_cpu_multi_thread_eigen" not in _xla:
    os.environ["XLA_FLAGS"] = (_xla + " --xla_cpu_multi_thread_eigen=false "
                               f"intra_op_parallelism_threads={THREADS}").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _fix_malloc():
    """Give glibc's malloc a fixed policy for the whole run; return what was set.

    glibc raises its mmap threshold each time a large block is freed, so
    whether a 0.3-8 MB temporary is a fresh mmap (page faults on every touch)
    or reused heap depends on what ran before: the hand-written W2 step took
    1.7 or 2.9 ms depending on which backend's batches it was interleaved
    with. Fixed thresholds (the steady state a long training loop reaches)
    make every backend pay the same. The memory probe sets its own policy
    through the environment and is left alone.
    """
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = (libc.mallopt(m_mmap_threshold, 32 * 2**20) == 1
              and libc.mallopt(m_trim_threshold, 128 * 2**20) == 1)
    except (OSError, AttributeError):
        return None
    return "mmap threshold 32 MiB, trim threshold 128 MiB" if ok else None


ENV_REPORT["malloc"] = _fix_malloc()
