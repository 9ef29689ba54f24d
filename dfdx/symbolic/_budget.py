"""A time budget that really stops SymPy.

SymPy's `limit` (and friends) can run for minutes on some inputs and cannot be
interrupted from the inside. `run_with_budget` runs the work in a forked child
process and kills it at the deadline; the parent never waits longer than the
budget (plus the cost of a fork, a few milliseconds). Where ``fork`` is not
available (Windows) the work runs in-process without a hard stop, and the
caller is told so.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time

from dfdx._errors import DfdxError

__all__ = ["run_with_budget", "BudgetExceeded", "can_enforce"]


class BudgetExceeded(DfdxError, TimeoutError):
    """The exact computation did not finish within its time budget (and was stopped)."""

    def __init__(self, message, seconds):
        super().__init__(message)
        self.seconds = seconds


def can_enforce() -> bool:
    """Whether a budget can be enforced here (the 'fork' start method exists)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _child(conn, fn, args, kwargs):
    try:
        result = ("ok", fn(*args, **kwargs))
    except BaseException as exc:  # the parent re-raises it
        result = ("err", exc)
    try:
        conn.send_bytes(pickle.dumps(result))
    except Exception as exc:  # an unpicklable result or error
        conn.send_bytes(pickle.dumps(("err", RuntimeError(f"{type(exc).__name__}: {exc}"))))
    finally:
        conn.close()


def run_with_budget(fn, *args, timeout: float | None = 3.0, **kwargs):
    """Call ``fn(*args, **kwargs)``, stopping it for good after `timeout` seconds.

    Args:
        fn: the work; its result and any exception it raises must pickle.
        timeout: seconds; None runs ``fn`` in this process with no limit.

    Returns:
        What ``fn`` returned.

    Raises:
        BudgetExceeded: the deadline passed; the worker process was killed.
        Exception: whatever ``fn`` raised.

    Example:
        >>> import time
        >>> from dfdx.symbolic._budget import run_with_budget, BudgetExceeded
        >>> run_with_budget(pow, 2, 10, timeout=5)
        1024
        >>> t0 = time.perf_counter()
        >>> try:
        ...     run_with_budget(time.sleep, 30, timeout=0.5)
        ... except BudgetExceeded as e:
        ...     print(e)
        exact route timed out after 0.5 s (the worker was stopped)
        >>> time.perf_counter() - t0 < 5
        True
    """
    if timeout is None or not can_enforce():
        return fn(*args, **kwargs)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs), daemon=True)
    start = time.monotonic()
    proc.start()
    send.close()
    try:
        if not recv.poll(max(0.0, timeout - (time.monotonic() - start))):
            raise BudgetExceeded(f"exact route timed out after {timeout:g} s "
                                 "(the worker was stopped)", timeout)
        try:
            status, value = pickle.loads(recv.recv_bytes())
        except EOFError:
            raise RuntimeError(f"the exact worker died (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
        if proc.is_alive():  # pragma: no cover - kill is not refusable on POSIX
            os.kill(proc.pid, 9)
    if status == "err":
        raise value
    return value
