"""Calling user functions safely: NaN for failures, no leaked warnings, batches, executors.

Everything in `dfdx.numeric` reaches the user's function through this module,
so one policy holds everywhere: an evaluation that raises ValueError,
ZeroDivisionError, OverflowError, ArithmeticError or returns a non-finite number
counts as "undefined there" (NaN), and NumPy floating-point warnings are
silenced inside (they describe exactly the situations we handle on purpose).

On an executor (threads, processes, a Dask cluster's ``client.get_executor()``)
the points of one round go out in a few batches, one or two per worker, so that
a scheduler's per-task overhead (~1 ms on Dask) is paid per batch, not per point;
the results come back in the points' order, whatever order the batches finish in.
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import Executor

import numpy as np

__all__ = ["check_callable", "call_scalar", "Evaluator", "executor_of"]

#: Seconds of evaluations after which a progress bar appears (progress=None).
PROGRESS_AFTER = 3.0

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

        progress: True for a progress bar (tqdm) from the start, False for none, None
            for one once the evaluations have taken more than `PROGRESS_AFTER` seconds.
        who: the routine's name, for the bar.

    Results are identical whatever the route: one point always gives one output.
    Call `close` when done (it closes the progress bar).
    """

    def __init__(self, f, executor: Executor | None = None, vectorized: bool | None = None,
                 elementwise: bool = False, progress: bool | None = None, who: str = "numeric"):
        if executor is not None and not isinstance(executor, Executor) and not hasattr(executor, "map"):
            raise TypeError(f"executor must be a concurrent.futures.Executor (got {type(executor).__name__}); "
                            "e.g. concurrent.futures.ThreadPoolExecutor() or a Dask client.get_executor().")
        self.f = f
        self.executor = executor
        self.vectorized = vectorized if executor is None else False
        self.elementwise = elementwise
        self.out_shape = None
        self._auto = False
        self.progress, self.who = progress, who
        self.count, self._bar, self._t0 = 0, None, time.perf_counter()
        if progress:
            self._open_bar()

    def _open_bar(self):
        try:
            import tqdm
        except ImportError:
            if self.progress:
                raise ImportError("progress=True needs tqdm, which is not installed. Install "
                                  'it with: pip install "dfdx[train]" (or pip install tqdm).') \
                    from None
            self.progress = False
            return
        self._bar = tqdm.tqdm(desc=f"dfdx.numeric.{self.who}", unit="eval", initial=self.count,
                              file=sys.stderr, dynamic_ncols=True)

    def _tick(self, n):
        """Count `n` evaluations; open the bar once they have taken long enough."""
        self.count += n
        if self._bar is None and self.progress is None and \
                time.perf_counter() - self._t0 > PROGRESS_AFTER:
            self._open_bar()
        elif self._bar is not None:
            self._bar.update(n)

    def close(self):
        """Close the progress bar, if one was opened."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

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
                self._tick(n)
                return y
        if self.executor is not None:
            outs = _map_batched(self.executor, self.f, points, self._tick)
            outs = [None if isinstance(o, _Failed) else o for o in outs]
        else:
            outs = []
            for p in points:
                outs.append(self._one(p))
                self._tick(1)
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


def executor_of(executor, client, who):
    """The executor to use: `executor`, or ``client.get_executor()`` for a Dask client."""
    if client is None:
        return executor
    if executor is not None:
        raise ValueError(f"dfdx.numeric.{who}: pass executor= or client=, not both "
                         "(client=c is short for executor=c.get_executor()).")
    if not hasattr(client, "get_executor"):
        raise TypeError(f"dfdx.numeric.{who}: client= needs a dask.distributed.Client, got "
                        f"{type(client).__name__}. For another pool pass executor=.")
    return client.get_executor()


def _workers(executor):
    """How many evaluations the executor runs at once (a guess where it does not say)."""
    client = getattr(executor, "_client", None)     # a Dask ClientExecutor
    if client is not None and hasattr(client, "nthreads"):
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a client that cannot say: guess below
            pass
    return getattr(executor, "_max_workers", None) or os.cpu_count() or 1


def _map_batched(executor, f, points, tick):
    """f at each point on `executor`, in batches of consecutive points; results in order."""
    n = len(points)
    if not hasattr(executor, "submit"):     # a bare object with map(): one task per point
        outs = list(executor.map(_Call(f), list(points)))
        tick(n)
        return outs
    # why: one task per point pays the scheduler's overhead per point (Dask: ~1 ms, more
    # than a cheap f). One batch per worker where the points are few (6 points, 2 workers:
    # 3 each; 4 batches of 1, 2, 1, 2 would take 4 calls' time, not 3), two per worker
    # beyond, so that a slow worker, or one that dies and has its batch run again, leaves
    # less idle time on the others.
    w = _workers(executor)
    k = max(1, min(n, w if n < 4 * w else 2 * w))
    bounds = np.linspace(0, n, k + 1).astype(int)
    call = _CallBatch(f)
    futures = [executor.submit(call, points[a:b])
               for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    outs = []
    for fut in futures:
        part = fut.result()
        outs.extend(part)
        tick(len(part))
    return outs


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


class _CallBatch:
    """Picklable: `_Call` over a batch of points, in a worker thread or process."""

    def __init__(self, f):
        self.call = _Call(f)

    def __call__(self, points):
        return [self.call(p) for p in points]
