"""Calling user functions safely: NaN for failures, no leaked warnings, batches, executors.

Everything in `dfdx.numeric` reaches the user's function through this module,
so one policy holds everywhere: an evaluation that raises ValueError,
ZeroDivisionError, OverflowError, ArithmeticError or returns a non-finite number
counts as "undefined there" (NaN), and NumPy floating-point warnings are
silenced inside (they describe exactly the situations we handle on purpose).
"""

from __future__ import annotations

import math
from concurrent.futures import Executor

import numpy as np

__all__ = ["check_callable", "call_scalar", "Evaluator"]

# why: these are the exceptions plain `math` / NumPy code raises outside its domain
# (math.log(-1), 1/0, math.exp(1000)); anything else is a bug in f and must surface.
UNDEFINED = (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, FloatingPointError)


def check_callable(f, who: str) -> None:
    """Raise a TypeError that names the problem when `f` is not callable."""
    if not callable(f):
        raise TypeError(
            f"dfdx.numeric.{who} needs a callable f, but got {type(f).__name__} {f!r:.60}. "
            "Pass a function, e.g. lambda x: np.sin(x) / x (for an expression string use "
            "dfdx.limit / dfdx.symbolic).")


def _as_float(y):
    """Turn one scalar result into a float; NaN when it is not a finite real number."""
    try:
        if isinstance(y, complex) or np.iscomplexobj(y):
            y = complex(y)
            if y.imag != 0:
                return math.nan
            y = y.real
        v = float(y)
    except (TypeError, ValueError, OverflowError):
        return math.nan
    return v


def call_scalar(f, x: float, keep_inf: bool = False) -> float:
    """Evaluate f at one real point; NaN when f is undefined there.

    With `keep_inf`, ±inf results are returned as they are (limits care whether
    f blew up), otherwise they count as undefined.
    """
    try:
        with np.errstate(all="ignore"):
            y = f(np.float64(x))
    except UNDEFINED:
        return math.nan
    size = np.size(y)
    if size != 1:
        raise ValueError(f"f must return one number for one number, but f({x!r}) returned shape "
                         f"{np.shape(y)}. Reduce the output (e.g. np.sum) or use dfdx.numeric.jacobian.")
    v = _as_float(np.reshape(y, ()) if isinstance(y, np.ndarray) else y)
    if not keep_inf and math.isinf(v):
        return math.nan
    return v


class Evaluator:
    """Evaluate f at many points (one batch), serially, vectorised, or on an executor.

    Args:
        f: the user's callable.
        executor: a `concurrent.futures.Executor` or None.
        vectorized: True when f takes the whole batch at once (stacked along axis 0),
            False for one call per point, None to try the batch first and fall back.
        elementwise: points are scalars and f is elementwise (f(array) maps each entry).

    Results are identical whatever the route: one point always gives one output.
    """

    def __init__(self, f, executor: Executor | None = None, vectorized: bool | None = None,
                 elementwise: bool = False):
        if executor is not None and not isinstance(executor, Executor) and not hasattr(executor, "map"):
            raise TypeError(f"executor must be a concurrent.futures.Executor (got {type(executor).__name__}); "
                            "e.g. concurrent.futures.ThreadPoolExecutor() or a Dask client.get_executor().")
        self.f = f
        self.executor = executor
        self.vectorized = vectorized if executor is None else False
        self.elementwise = elementwise
        self.out_shape = None
        self._auto = False

    def _one(self, p):
        try:
            with np.errstate(all="ignore"):
                y = self.f(p)
        except UNDEFINED:
            return None
        return np.asarray(y, dtype=float) if not np.iscomplexobj(y) else np.asarray(y)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Return f at each point: shape (N, *out_shape), NaN where f is undefined."""
        points = np.asarray(points, dtype=float)
        n = points.shape[0]
        if self.vectorized or (self.vectorized is None and n >= 2):
            y = self._try_batch(points)
            if y is not None:
                return y
        if self.executor is not None:
            outs = list(self.executor.map(_Call(self.f), list(points)))
            outs = [None if isinstance(o, _Failed) else o for o in outs]
        else:
            outs = [self._one(p) for p in points]
        return self._stack(outs, n)

    def _try_batch(self, points):
        user_said = self.vectorized is True and not self._auto
        try:
            with np.errstate(all="ignore"):
                y = np.asarray(self.f(points))
            ok = (y.shape[:1] == points.shape[:1] and np.issubdtype(y.dtype, np.number)
                  and not np.iscomplexobj(y) and (not self.elementwise or y.shape == points.shape))
        except Exception:  # noqa: BLE001 - f does not take batches: call it point by point
            if user_said:
                raise
            ok = False
        if ok and self.vectorized is None:
            # why: a function written for one point may still accept a batch and return
            # the right shape with the wrong numbers (v @ A @ v); check two points.
            probe = self._stack([self._one(points[0]), self._one(points[-1])], 2)
            yb = np.where(np.isfinite(y[[0, -1]]), y[[0, -1]], np.nan) if y.ndim else y
            ok = probe.shape == yb.shape and np.allclose(probe, yb, rtol=1e-13, atol=0, equal_nan=True)
            self._auto = True
        if not ok:
            if user_said:
                raise ValueError(f"vectorized=True but f returned shape {np.shape(y)} for a batch of "
                                 f"shape {points.shape}; f must map a batch along axis 0.")
            self.vectorized = False
            return None
        self.vectorized = True
        y = y.astype(float)
        if self.out_shape is None:
            self.out_shape = y.shape[1:]
        y[~np.isfinite(y)] = np.nan
        return y

    def _stack(self, outs, n):
        shape = self.out_shape
        for o in outs:
            if o is not None:
                if shape is None:
                    shape = o.shape
                elif o.shape != shape:
                    raise ValueError(f"f returned arrays of different shapes ({shape} and {o.shape}) "
                                     "at different points; it must return one shape.")
        if shape is None:
            shape = self.out_shape if self.out_shape is not None else ()
        self.out_shape = shape
        res = np.full((n,) + tuple(shape), np.nan)
        for i, o in enumerate(outs):
            if o is not None:
                if np.iscomplexobj(o):
                    o = np.where(o.imag == 0, o.real, np.nan)
                res[i] = o
        res[~np.isfinite(res)] = np.nan
        return res


class _Failed:
    """Marker for an evaluation that raised (picklable, for process pools)."""


class _Call:
    """Picklable wrapper that maps 'undefined' exceptions to a marker in worker processes."""

    def __init__(self, f):
        self.f = f

    def __call__(self, p):
        try:
            with np.errstate(all="ignore"):
                y = self.f(p)
        except UNDEFINED:
            return _Failed()
        return np.asarray(y)
