"""What the transforms share (dfdx.api, dfdx.tape, dfdx._onesided): inputs and outputs.

An argument becomes a differentiable input (`as_input`); a derivative comes back
in the type of its argument (`match_input`, `zeros_like`). The engine itself is
reached only through the traces' public methods (see `dfdx._core.engine`).
"""

from __future__ import annotations

import numbers

import numpy as np

from dfdx._core import Box
from dfdx._numpy.box import getval

__all__ = ["check_callable", "as_input", "is_duck", "float_dtype", "is_complex", "zeros_like",
           "match_input"]


def check_callable(f, who):
    """Raise a TypeError naming `who` unless `f` is callable (f(x) passed for f, say)."""
    if not callable(f):
        raise TypeError(f"{who} needs a function, but got {type(f).__name__}. "
                        f"Pass the function itself, e.g. dfdx.{who}(f), not f(x).")


def is_duck(x):
    """Whether `x` is an array that is not NumPy's but takes NumPy's functions itself (NEP
    13/18): dfdx.jit's traced arrays, Taylor series, sparsity patterns (and Dask, CuPy)."""
    t = type(x)
    return (not isinstance(x, (np.ndarray, np.generic, Box)) and
            getattr(t, "__array_ufunc__", None) is not None and
            hasattr(t, "__array_function__") and hasattr(x, "dtype"))


def as_input(x):
    """A differentiable input: ints and bools become float64; arrays stay their dtype."""
    if isinstance(x, (Box, np.floating)):
        return x
    if is_duck(x):
        # why: a duck array's own methods keep it what it is (np.asarray would not)
        return x.astype(np.float64) if np.dtype(x.dtype).kind in "biu" else x
    if isinstance(x, float):
        return np.float64(x)   # why: NumPy scalars give inf/nan where Python floats raise
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "biu":
            return x.astype(np.float64)
        if x.dtype.kind not in "fc":
            raise TypeError(f"Cannot differentiate with respect to an array of dtype {x.dtype}; "
                            "pass float or complex arrays.")
        return x
    if isinstance(x, numbers.Number):
        return float(x) if not isinstance(x, complex) else x
    raise TypeError(f"Cannot differentiate with respect to a {type(x).__name__}. Pass a float, "
                    "a NumPy array, or a pytree (dict / list / tuple) of them.")


def float_dtype(x):
    """The dtype of `x` (a value or a box) if float or complex, else float64."""
    dt = np.result_type(getval(x))
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def is_complex(v):
    """Whether the plain value `v` is complex."""
    dt = getattr(v, "dtype", None)
    return dt.kind == "c" if dt is not None else isinstance(v, complex)


def zeros_like(x):
    """A zero derivative shaped like `x`: a NumPy scalar for a scalar, else an array."""
    v = getval(x)
    dt = np.dtype(float_dtype(v))
    if isinstance(v, (np.generic, numbers.Number)):
        return dt.type(0)
    return np.zeros(np.shape(v), dtype=dt)


def match_input(g, x):
    """Give a cotangent the type of the input: its dtype, and a float for a float input.

    Complex numbers: the engine's cotangents are transposes (see dfdx.rules.ufuncs); the
    gradient of a complex input is their conjugate, df/dx + i df/dy, and a real input
    keeps the real part of its cotangent.
    """
    xv = x if not isinstance(x, Box) else getval(x)
    if is_complex(g) or is_complex(xv):
        g = np.conjugate(g) if is_complex(xv) else np.real(g)
    dt = np.dtype(float_dtype(xv))
    if isinstance(g, Box):
        # why: under tracing too (Hessians), a float32 input gets a float32 cotangent
        # however wide the computation inside f was (astype, mean(dtype=np.float64)).
        return g if g.dtype == dt else g.astype(dt)
    if is_duck(xv) or is_duck(g):
        if np.dtype(g.dtype) != dt:
            g = g.astype(dt)
        return g if np.shape(g) == np.shape(xv) else np.broadcast_to(g, np.shape(xv))
    if isinstance(xv, np.ndarray):
        g = np.asarray(g)
        if g.dtype != xv.dtype:
            g = g.astype(xv.dtype)
        if g.shape != xv.shape:
            g = np.broadcast_to(g, xv.shape).copy()
        return g
    return dt.type(g) if np.ndim(g) == 0 else g
