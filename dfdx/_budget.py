"""A time budget that really stops SymPy.

SymPy's `limit` (and friends) can run for minutes on some inputs and cannot be
interrupted from the inside. `run_with_budget` runs the work in another
process and kills that process at the deadline; the caller never waits longer
than the budget (plus a few milliseconds).

Work whose function and arguments pickle (SymPy expressions, numbers, module
level functions) goes to one long-lived worker, forked once and reused, so
SymPy's caches stay warm from call to call; the worker is killed at a deadline
and a fresh one is forked on the next call. Anything else (a lambda) runs in a
one-off forked child, which needs no pickling. Where ``fork`` is not available
(Windows) the work runs in-process without a hard stop.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
import time

from dfdx._errors import BudgetExceeded

__all__ = ["run_with_budget", "BudgetExceeded", "can_enforce", "shutdown", "seconds", "step_budget",
           "StepTimeout", "Prefetch"]


def seconds(t: float) -> str:
    """Format a duration for messages: 3 -> '3.0', 0.25 -> '0.25'."""
    return f"{t:.1f}" if round(t, 1) == t else f"{t:g}"


def can_enforce() -> bool:
    """Whether a budget can be enforced here (the 'fork' start method exists)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _child(conn, fn, args, kwargs, close=True):
    try:
        result = ("ok", fn(*args, **kwargs))
    except Exception as exc:  # the parent re-raises it
        result = ("err", exc)
    try:
        data = pickle.dumps(result)
    except Exception as exc:  # an unpicklable result or error
        data = pickle.dumps(("err", RuntimeError(f"{type(exc).__name__}: {exc}")))
    try:
        conn.send_bytes(data)
    finally:
        if close:
            conn.close()


class _Worker:
    """A forked process that runs pickled calls one at a time (SymPy caches stay warm)."""

    def __init__(self):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def alive(self):
        return self.proc.is_alive()

    def stop(self):
        try:
            self.conn.close()
        finally:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(1.0)


def _serve(conn):
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            fn, args, kwargs = pickle.loads(data)
        except Exception as exc:
            # e.g. a function defined in __main__ after this worker was forked
            conn.send_bytes(pickle.dumps(("unpicklable", f"{type(exc).__name__}: {exc}")))
            continue
        _child(conn, fn, args, kwargs, close=False)


_WORKER: _Worker | None = None
_LOCK = threading.Lock()


def _pickled(fn, args, kwargs):
    try:
        return pickle.dumps((fn, args, kwargs))
    except Exception:
        return None


def _run_in_worker(payload, timeout):
    global _WORKER
    if _WORKER is None or not _WORKER.alive():
        _WORKER = _Worker()
    worker = _WORKER
    try:
        worker.conn.send_bytes(payload)
        ready = worker.conn.poll(timeout)
        if ready:
            return pickle.loads(worker.conn.recv_bytes())
    except (EOFError, OSError, BrokenPipeError):
        _WORKER = None
        worker.stop()
        raise RuntimeError("the exact worker died (out of memory or killed)") from None
    _WORKER = None
    worker.stop()
    raise BudgetExceeded(f"exact route timed out after {seconds(timeout)} s "
                         "(the worker was stopped)", timeout)


def shutdown():
    """Stop the long-lived worker, if any (it is a daemon and also ends with Python)."""
    global _WORKER
    with _LOCK:
        if _WORKER is not None:
            _WORKER.stop()
            _WORKER = None


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
        >>> from dfdx._budget import run_with_budget, BudgetExceeded
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
    payload = _pickled(fn, args, kwargs)
    if payload is not None:
        with _LOCK:
            status, value = _run_in_worker(payload, timeout)
        if status == "err":
            raise value
        if status == "ok":
            return value
        # the worker cannot load this call: run it in a one-off child instead
    status, value = _run_in_child(fn, args, kwargs, timeout)
    if status == "err":
        raise value
    return value


def _run_in_child(fn, args, kwargs, timeout):
    """``fn(*args, **kwargs)`` in a forked child, killed at the deadline: (status, value)."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs), daemon=True)
    start = time.monotonic()
    proc.start()
    send.close()
    try:
        if not recv.poll(max(0.0, timeout - (time.monotonic() - start))):
            raise BudgetExceeded(f"exact route timed out after {seconds(timeout)} s "
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
    return status, value


class StepTimeout(BudgetExceeded):
    """A step run under `step_budget` went past its seconds."""


class step_budget:
    """Stop the Python code of one step after `timeout` seconds (a step-wise budget).

    A timer signal (``SIGALRM``) raises `StepTimeout` in the main thread at the
    deadline, so a step that loops in Python (SymPy, a training epoch, drawing a
    figure) stops there; `rearm` starts the count again (once per epoch). The
    long-lived exact worker is stopped too, since a call to it may have been cut
    short. Where there is no such timer (Windows, another thread) it only measures.

    Example:
        >>> import time
        >>> from dfdx._budget import step_budget, StepTimeout
        >>> try:
        ...     with step_budget(0.2):
        ...         while True:
        ...             time.sleep(0.01)
        ... except StepTimeout as e:
        ...     print(e)
        the step ran out of time (0.2 s)
    """

    def __init__(self, timeout: float | None):
        self.timeout = timeout
        self._old = None
        self._armed = False

    def _fire(self, signum, frame):
        raise StepTimeout(f"the step ran out of time ({seconds(self.timeout)} s)", self.timeout)

    def _unraisable(self, info):
        # why: the timer may fire inside a __del__ or a gc callback, where Python only prints
        # the exception; it fires again shortly, so this one is dropped without a traceback
        if not isinstance(info.exc_value, StepTimeout):
            self._old_hook(info)

    def rearm(self):
        if self._armed:
            import signal
            signal.setitimer(signal.ITIMER_REAL, self.timeout, 0.05)

    def __enter__(self):
        import signal
        if (self.timeout is not None and hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread()):
            self._old = signal.signal(signal.SIGALRM, self._fire)
            self._old_hook = sys.unraisablehook
            sys.unraisablehook = self._unraisable
            self._armed = True
            # why: fires again every 50 ms after the deadline, in case the exception was
            # raised where Python ignores it (a __del__ or a weakref callback)
            signal.setitimer(signal.ITIMER_REAL, self.timeout, 0.05)
        return self

    def __exit__(self, kind, exc, tb):
        if self._armed:
            import signal
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old)
            sys.unraisablehook = self._old_hook
            self._armed = False
        if kind is not None and issubclass(kind, StepTimeout):
            shutdown()      # a call to the worker may have been cut short: its answer is stale
        return False


class Prefetch:
    """Start ``fn(send, *args)`` in a forked child now; read what it sends later, by deadlines.

    The command starts its exact route (SymPy) this way before it imports NumPy,
    so the two imports run side by side. In the child, ``send(payload)`` passes
    one message (plain data, pickled) stamped with the moment it was sent
    (`time.monotonic`, one clock for both processes); an exception that `fn`
    raises arrives as ``("error", "Type: text")``. The child is killed on
    `close` (or at the end of a ``with`` block). Needs ``fork`` (`can_enforce`).

    Example:
        >>> from dfdx._budget import Prefetch
        >>> def work(send, n):
        ...     send(n * n)
        ...     send(n + 1)
        >>> with Prefetch(work, 7) as child:
        ...     print(child.get()[1], child.get()[1], child.get())
        49 8 None
    """

    def __init__(self, fn, *args):
        from multiprocessing.connection import Connection

        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:       # the child: run, send, and leave without running any cleanup
            try:
                os.close(read)
                out = Connection(write, readable=False)

                def send(payload):
                    out.send_bytes(pickle.dumps((time.monotonic(), payload)))
                try:
                    fn(send, *args)
                except BaseException as exc:  # noqa: BLE001 - the parent decides
                    send(("error", f"{type(exc).__name__}: {exc}"))
            finally:
                os._exit(0)
        os.close(write)
        self.conn = Connection(read, writable=False)

    def get(self, deadline: float | None = None):
        """The next message as ``(moment, payload)``; None once the child has ended.

        Raises:
            BudgetExceeded: no message by `deadline` (a `time.monotonic` moment).
        """
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not self.conn.poll(wait):
            raise BudgetExceeded(f"the exact route sent nothing in {seconds(wait)} s", wait)
        try:
            return pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return None

    def close(self):
        if self.pid:
            self.conn.close()
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
