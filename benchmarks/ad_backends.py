"""AD benchmarks: the backends (dfdx and its optional peers) and the data model of a row."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

#: the size of W1's largest row, whose peak memory is measured too.
MEM_N = 10**6

#: column key -> heading; the order is the table's.
BACKENDS = {
    "dfdx": "dfdx",
    "numpy": "NumPy",
    "numpy.vg": "NumPy ∇ by hand",
    "torch": "PyTorch",
    "torch.func": "torch.func",
    "autograd": "autograd",
    "jax": "JAX eager",
    "dfdx.jit": "dfdx jit",
    "jax.jit": "JAX jit",
}
#: the compiled columns (compiled outside the timing; the first call's time is reported apart).
JIT = ("dfdx.jit", "jax.jit")
#: peers whose time counts in "best eager peer" ratios (NumPy and jit'd JAX don't).
EAGER_PEERS = ("torch", "torch.func", "autograd", "jax")


class VerificationError(AssertionError):
    """A backend's derivative disagrees with the float64 reference."""


@dataclass
class Case:
    """One timed cell: a backend's way of computing one workload row."""

    backend: str
    fn: object                 # timed, no arguments
    check: object = None       # returns arrays to compare with the row's reference
    note: str = ""
    dtype: object = None       # expected dtype of every checked array (float32 end to end)
    flags: list = field(default_factory=list)   # non-fatal findings, e.g. a float64 leak
    compile_s: float = None    # dfdx.jit: seconds of the first call (record, optimise, generate)


@dataclass
class Row:
    """One workload row: its reference result and a case per backend."""

    key: str                   # "W1 n=10"
    title: str
    reference: tuple
    cases: list = field(default_factory=list)
    rtol: float = 1e-8


# ---------------------------------------------------------------- backends --
def _load(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


class Peers:
    """The optional peers, imported once; missing ones are None."""

    def __init__(self, wanted):
        self.torch = _load("torch") if "torch" in wanted or "torch.func" in wanted else None
        self.jax = self.jnp = None
        if "jax" in wanted or "jax.jit" in wanted:
            self.jax = _load("jax")
            if self.jax is not None:
                self.jax.config.update("jax_enable_x64", True)
                self.jnp = importlib.import_module("jax.numpy")
        self.autograd = _load("autograd") if "autograd" in wanted else None
        self.anp = importlib.import_module("autograd.numpy") if self.autograd else None
        self.wanted = [b for b in wanted if self.available(b)]

    def available(self, backend):
        return {"dfdx": True, "dfdx.jit": True, "numpy": True, "torch": self.torch is not None,
                "numpy.vg": True, "torch.func": self.torch is not None,
                "autograd": self.autograd is not None,
                "jax": self.jax is not None, "jax.jit": self.jax is not None}[backend]

    def versions(self):
        import dfdx
        out = {"dfdx": getattr(dfdx, "__version__", "dev")}
        for name, mod in (("torch", self.torch), ("jax", self.jax), ("autograd", self.autograd)):
            if mod is not None:
                out[name] = getattr(mod, "__version__", None) or _dist_version(name)
        return out


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:                       # noqa: BLE001 -- informational only
        return "?"


def _np(x):
    """A backend's result as a float64 NumPy array (for checking only, never timed)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _ready(jax):
    return jax.block_until_ready
