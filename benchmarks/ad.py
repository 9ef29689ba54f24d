"""AD speed: dfdx against PyTorch, torch.func, autograd and JAX, side by side in one run.

Workloads (plain NumPy functions; every backend pinned to one thread):

* W1  value and gradient of ``sum(sin(x)*exp(-x**2) + tanh(x))``, n = 10, 10³, 10⁶
      (and, for n = 10⁶, the peak memory of one call);
* W2  one SGD training step of an MLP 64-256-256-10 (tanh, relu, log-softmax
      cross-entropy), batch 128, float64 and float32;
* W3  dense Hessian of the Rosenbrock function, n = 10 and 100;
* W4  first and second derivative of ``2x² + 3x + 1`` at x = 1 (per-call overhead);
* W5  Hessian-vector product of Rosenbrock, n = 10⁴;
* W6  Jacobian of ``tanh(A @ x)``, A 200×200 (auto, reverse and forward mode).

Rules of the game, the same for every backend:

* inputs arrive in the backend's own array type, built before timing; the
  timed call returns the backend's own result (a NumPy array for dfdx,
  autograd and NumPy, a tensor for torch, a device array for JAX, which is
  blocked on until ready). W4 starts from the Python float 1.0, so building
  the scalar tensor is part of torch's call there;
* every result is checked against a float64 reference (hand-derived formulas,
  or the hand-written NumPy step for W2) before it is timed; a wrong one
  stops the run (``--keep-going`` marks it instead);
* a time is the median of several batches of calls, the batches of a row's
  backends interleaved so they share the machine's load (`_timing.measure_many`);
* "JAX jit" is compiled once, outside the timing: a reference for what
  compilation buys, not an eager peer. Ratios compare dfdx with eager peers.

Run ``python -m benchmarks.ad`` (``--quick`` for fewer, shorter repeats); the
table goes to ``benchmarks/RESULTS-ad.md`` and, between the markers
``<!-- bench:ad:start -->`` / ``<!-- bench:ad:end -->``, into README.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass, field

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
from benchmarks import _readme
import numpy as np

from benchmarks._timing import (clock_name, format_time, machine_info, measure_many,
                                peak_rss_delta, pin_threads, set_clock, thread_report,
                                traced_peak)

__all__ = ["main", "run", "render", "splice_readme", "BACKENDS", "README_MARKERS"]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS-ad.md")
README_MARKERS = _readme.markers("ad")

#: column key -> heading; the order is the table's.
BACKENDS = {
    "dfdx": "dfdx",
    "numpy": "NumPy",
    "numpy.vg": "NumPy ∇ by hand",
    "torch": "PyTorch",
    "torch.func": "torch.func",
    "autograd": "autograd",
    "jax": "JAX eager",
    "jax.jit": "JAX jit (ref.)",
}
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
        return {"dfdx": True, "numpy": True, "torch": self.torch is not None,
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


# ------------------------------------------------------------- workloads --
def w1_fun(xp):
    """sum(sin(x)*exp(-x**2) + tanh(x)) written against the namespace `xp`."""
    def f(x):
        return xp.sum(xp.sin(x) * xp.exp(-x**2) + xp.tanh(x))
    return f


def w1_reference(x):
    e = np.exp(-x**2)
    value = np.sum(np.sin(x) * e + np.tanh(x))
    grad = np.cos(x) * e - 2 * x * np.sin(x) * e + 1 - np.tanh(x)**2
    return value, grad


def w1_by_hand(x):
    """W1's value and gradient written out by hand in NumPy: what any NumPy engine must run."""
    s, e, t = np.sin(x), np.exp(-x**2), np.tanh(x)
    return np.sum(s * e + t), (np.cos(x) - 2 * x * s) * e + (1 - t * t)


def w1_rows(P, sizes):
    import dfdx
    rows = []
    for n in sizes:
        x = np.random.default_rng(1).uniform(-2, 2, n)
        row = Row(f"W1 n={_exp(n)}", "value and gradient of sum(sin(x)·exp(−x²) + tanh(x))",
                  w1_reference(x))
        f = w1_fun(np)
        vg = dfdx.value_and_grad(f)
        row.cases.append(Case("dfdx", lambda vg=vg, x=x: vg(x)))
        row.cases.append(Case("numpy", lambda f=f, x=x: f(x), check=False,
                              note="forward only (the bound)"))
        row.cases.append(Case("numpy.vg", lambda x=x: w1_by_hand(x),
                              note="value and gradient written out by hand"))
        if P.torch is not None:
            torch = P.torch
            ft = w1_fun(torch)
            xt = torch.from_numpy(x.copy()).requires_grad_()

            def torch_vg(ft=ft, xt=xt):
                y = ft(xt)
                g, = torch.autograd.grad(y, xt)
                return y, g
            row.cases.append(Case("torch", torch_vg))
            xf = torch.from_numpy(x.copy())
            gv = torch.func.grad_and_value(ft)
            row.cases.append(Case("torch.func", lambda gv=gv, xf=xf: gv(xf)[::-1]))
        if P.autograd is not None:
            avg = P.autograd.value_and_grad(w1_fun(P.anp))
            row.cases.append(Case("autograd", lambda avg=avg, x=x: avg(x)))
        if P.jax is not None:
            jax = P.jax
            xj = jax.device_put(x)
            jvg = jax.value_and_grad(w1_fun(P.jnp))
            row.cases.append(Case("jax", lambda jvg=jvg, xj=xj: jax.block_until_ready(jvg(xj))))
            jjvg = jax.jit(jvg)
            row.cases.append(Case("jax.jit",
                                  lambda jjvg=jjvg, xj=xj: jax.block_until_ready(jjvg(xj))))
        rows.append(row)
    return rows


def _exp(n):
    return {10: "10", 1000: "10³", 10**4: "10⁴", 10**6: "10⁶"}.get(n, str(n))


# W2: MLP 64-256-256-10, tanh then relu, log-softmax cross-entropy, SGD.
W2_SIZES = (64, 256, 256, 10)
W2_BATCH = 128
W2_LR = 0.01


def w2_data(dtype):
    rng = np.random.default_rng(2)
    params = []
    for fan_in, fan_out in zip(W2_SIZES[:-1], W2_SIZES[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype))
        params.append((0.1 * rng.standard_normal(fan_out)).astype(dtype))
    x = rng.standard_normal((W2_BATCH, W2_SIZES[0])).astype(dtype)
    labels = rng.integers(0, W2_SIZES[-1], W2_BATCH)
    onehot = np.eye(W2_SIZES[-1], dtype=dtype)[labels]
    return params, x, labels, onehot


def mlp_loss(xp):
    """The W2 loss, written once against the NumPy-like namespace `xp`."""
    def loss(params, x, onehot):
        w1, b1, w2, b2, w3, b3 = params
        h1 = xp.tanh(x @ w1 + b1)
        h2 = xp.maximum(h1 @ w2 + b2, 0)
        z = h2 @ w3 + b3
        z = z - xp.max(z, axis=1, keepdims=True)
        logp = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
        return -xp.sum(onehot * logp) / x.shape[0]
    return loss


def numpy_step(params, x, onehot, lr=W2_LR, return_grads=False):
    """The hand-written NumPy training step: forward, backward, SGD update."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    a2 = h1 @ w2 + b2
    h2 = np.maximum(a2, 0)
    z = h2 @ w3 + b3
    z = z - z.max(axis=1, keepdims=True)
    ez = np.exp(z)
    s = ez.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.sum(onehot * (z - np.log(s))) / n
    dz = (ez / s - onehot) / n
    dw3 = h2.T @ dz
    db3 = dz.sum(axis=0)
    dh2 = dz @ w3.T
    da2 = dh2 * (a2 > 0)
    dw2 = h1.T @ da2
    db2 = da2.sum(axis=0)
    dh1 = da2 @ w2.T
    da1 = dh1 * (1 - h1 * h1)
    dw1 = x.T @ da1
    db1 = da1.sum(axis=0)
    grads = (dw1, db1, dw2, db2, dw3, db3)
    if return_grads:
        return loss, grads
    return loss, [p - lr * g for p, g in zip(params, grads)]


class audit_cotangent_dtypes:
    """Record every dfdx VJP whose cotangent leaves `dtype` (context manager, first order).

    Wraps the VJP rules of every registered primitive while active; `leaks`
    lists ``"numpy.max (argument 0): float32 -> float64"`` for each rule that
    took a `dtype` cotangent and returned another dtype.
    """

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.leaks = []
        self._saved = []

    def __enter__(self):
        from dfdx._core import engine
        from dfdx._numpy.registry import FUNCTIONS, UFUNCS
        prims = {id(p): p for p in (*UFUNCS.values(), *FUNCTIONS.values())
                 if isinstance(p, engine.Primitive)}
        for p in prims.values():
            self._saved.append((p, p.vjps, p.vjp_all))
            p.vjps = tuple(self._wrap(v, p.name, i) if callable(v) else v
                           for i, v in enumerate(p.vjps))
            if p.vjp_all is not None:
                p.vjp_all = self._wrap(p.vjp_all, p.name, "all")
        return self

    def __exit__(self, *exc):
        for p, vjps, vjp_all in self._saved:
            p.vjps, p.vjp_all = vjps, vjp_all
        self._saved = []
        return False

    def _wrap(self, rule, name, i):
        def audited(g, *args, **kwargs):
            ct = rule(g, *args, **kwargs)
            gd = np.result_type(g) if g is not None else None
            for c in (ct if isinstance(ct, tuple) else (ct,)):
                if c is None or gd != self.dtype:
                    continue
                cd = np.result_type(c)
                if cd != self.dtype:
                    msg = f"{name} (argument {i}): {gd} -> {cd}"
                    if msg not in self.leaks:
                        self.leaks.append(msg)
            return ct
        return audited


def w2_rows(P, dtypes):
    import dfdx
    rows = []
    params64, x64, labels, onehot64 = w2_data(np.float64)
    loss64, grads64 = numpy_step(params64, x64, onehot64, return_grads=True)
    for dtype in dtypes:
        params, x, _, onehot = w2_data(dtype)
        name = np.dtype(dtype).name
        rtol = 1e-9 if dtype == np.float64 else 2e-4
        row = Row(f"W2 {name}", f"MLP 64-256-256-10 SGD step, batch 128, {name}",
                  (loss64, *grads64), rtol=rtol)
        loss = mlp_loss(np)
        vg = dfdx.value_and_grad(loss)

        def dfdx_step(vg=vg, params=params, x=x, onehot=onehot):
            value, g = vg(params, x, onehot)
            return value, [p - W2_LR * gi for p, gi in zip(params, g)]

        dfdx_case = Case("dfdx", dfdx_step, dtype=dtype)

        def dfdx_check(vg=vg, params=params, x=x, onehot=onehot, dtype=dtype, name=name,
                       dfdx_step=dfdx_step, dfdx_case=dfdx_case):
            with audit_cotangent_dtypes(dtype) as audit:
                value, g = vg(params, x, onehot)
            if audit.leaks:
                dfdx_case.flags.append(f"dfdx W2 {name}: cotangents leave {name} inside the "
                                       "backward sweep (the result is cast back at the end): "
                                       + "; ".join(audit.leaks))
            new = dfdx_step()[1]
            bad = [a.dtype for a in (*g, *new) if a.dtype != dtype]
            if bad or np.result_type(value) != dtype:
                raise VerificationError(f"dfdx W2 {name}: the step did not stay {name} "
                                        f"(value {np.result_type(value)}, arrays {bad}).")
            return (value, *g)
        dfdx_case.check = dfdx_check
        row.cases.append(dfdx_case)
        row.cases.append(Case("numpy", lambda params=params, x=x, onehot=onehot:
                              numpy_step(params, x, onehot),
                              lambda params=params, x=x, onehot=onehot: _flat_step(
                                  numpy_step(params, x, onehot, return_grads=True)),
                              note="hand-written forward+backward", dtype=dtype))
        if P.torch is not None:
            row.cases += _w2_torch(P.torch, params, x, labels)
        if P.autograd is not None:
            avg = P.autograd.value_and_grad(mlp_loss(P.anp))

            def ag_step(avg=avg, params=params, x=x, onehot=onehot):
                value, g = avg(params, x, onehot)
                return value, [p - W2_LR * gi for p, gi in zip(params, g)]
            row.cases.append(Case("autograd", ag_step,
                                  lambda avg=avg, params=params, x=x, onehot=onehot:
                                  _flat_step(avg(params, x, onehot))))
        if P.jax is not None:
            row.cases += _w2_jax(P.jax, P.jnp, params, x, onehot)
        rows.append(row)
    return rows


def _flat_step(value_grads):
    value, g = value_grads
    return (value, *g)


def _w2_torch(torch, params, x, labels):
    F = torch.nn.functional
    tp = [torch.from_numpy(p.copy()).requires_grad_() for p in params]
    tx = torch.from_numpy(x)
    ty = torch.from_numpy(labels)

    def forward(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h1 = torch.tanh(tx @ w1 + b1)
        h2 = torch.relu(h1 @ w2 + b2)
        return F.cross_entropy(h2 @ w3 + b3, ty)

    def step():
        loss = forward(tp)
        loss.backward()
        with torch.no_grad():
            for p in tp:
                p -= W2_LR * p.grad
                p.grad = None
        return loss

    def check():
        fresh = [torch.from_numpy(p.copy()).requires_grad_() for p in params]
        loss = forward(fresh)
        gs = torch.autograd.grad(loss, fresh)
        return (loss, *gs)

    vg = torch.func.grad_and_value(forward)
    fp = [torch.from_numpy(p.copy()) for p in params]

    def func_step():
        g, loss = vg(fp)
        return loss, [p - W2_LR * gi for p, gi in zip(fp, g)]

    def func_check():
        g, loss = vg(fp)
        return (loss, *g)

    dtype = params[0].dtype
    return [Case("torch", step, check, note="in-place SGD, F.cross_entropy", dtype=dtype),
            Case("torch.func", func_step, func_check, dtype=dtype)]


def _w2_jax(jax, jnp, params, x, onehot):
    jp = [jax.device_put(p) for p in params]
    jx, jy = jax.device_put(x), jax.device_put(onehot)
    vg = jax.value_and_grad(mlp_loss(jnp))

    def step(vg=vg):
        value, g = vg(jp, jx, jy)
        return jax.block_until_ready((value, [p - W2_LR * gi for p, gi in zip(jp, g)]))

    def check(vg=vg):
        value, g = vg(jp, jx, jy)
        return (value, *g)

    @jax.jit
    def jstep(ps, xb, yb):
        value, g = vg(ps, xb, yb)
        return value, [p - W2_LR * gi for p, gi in zip(ps, g)]

    dtype = params[0].dtype
    return [Case("jax", step, check, dtype=dtype),
            Case("jax.jit", lambda: jax.block_until_ready(jstep(jp, jx, jy)), check,
                 dtype=dtype)]


def rosenbrock(x):
    """The Rosenbrock function; the same text works for NumPy, torch, JAX and autograd."""
    return (100 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2).sum()


def rosen_hessian_parts(x):
    """Diagonal and off-diagonal of Rosenbrock's tridiagonal Hessian (hand-derived)."""
    diag = np.zeros_like(x)
    diag[:-1] += 1200 * x[:-1]**2 - 400 * x[1:] + 2
    diag[1:] += 200
    off = -400 * x[:-1]
    return diag, off


def w3_rows(P, sizes):
    import dfdx
    rows = []
    for n in sizes:
        x = np.random.default_rng(3).uniform(-1.5, 1.5, n)
        diag, off = rosen_hessian_parts(x)
        ref = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
        row = Row(f"W3 n={n}", "dense Hessian of Rosenbrock", (ref,))
        h = dfdx.hessian(rosenbrock)
        row.cases.append(Case("dfdx", lambda h=h, x=x: h(x)))
        if P.torch is not None:
            torch = P.torch
            xt = torch.from_numpy(x.copy())
            row.cases.append(Case("torch", lambda xt=xt: torch.autograd.functional.hessian(
                rosenbrock, xt), note="torch.autograd.functional.hessian"))
            th = torch.func.hessian(rosenbrock)
            row.cases.append(Case("torch.func", lambda th=th, xt=xt: th(xt)))
        if P.autograd is not None:
            ah = P.autograd.hessian(rosenbrock)
            row.cases.append(Case("autograd", lambda ah=ah, x=x: ah(x)))
        if P.jax is not None:
            row.cases += _jax_pair(P.jax, P.jax.hessian(rosenbrock), (P.jax.device_put(x),))
        rows.append(row)
    return rows


def _jax_pair(jax, fn, args):
    """An eager JAX case and its jit'd reference."""
    jf = jax.jit(fn)
    return [Case("jax", lambda: jax.block_until_ready(fn(*args))),
            Case("jax.jit", lambda: jax.block_until_ready(jf(*args)))]


def w4_poly(x):
    return 2 * x**2 + 3 * x + 1


def w4_rows(P):
    import dfdx
    rows = []
    d1, d2 = dfdx.grad(w4_poly), dfdx.grad(dfdx.grad(w4_poly))
    for order, ref, dfn in ((1, 7.0, d1), (2, 4.0, d2)):
        prime = "′" * order
        row = Row(f"W4 f{prime}", f"f{prime}(1) of 2x²+3x+1, from the Python float 1.0",
                  (np.float64(ref),))
        row.cases.append(Case("dfdx", lambda dfn=dfn: dfn(1.0),
                              note="grad" if order == 1 else "grad(grad)"))
        if P.torch is not None:
            row.cases += _w4_torch(P.torch, order)
        if P.autograd is not None:
            g = P.autograd.grad(w4_poly)
            if order == 2:
                g = P.autograd.grad(g)
            row.cases.append(Case("autograd", lambda g=g: g(1.0)))
        if P.jax is not None:
            jax = P.jax
            g = jax.grad(w4_poly)
            if order == 2:
                g = jax.grad(g)
            row.cases += _jax_pair(jax, g, (1.0,))
        rows.append(row)
        drow = Row(f"W4 f{prime} derivative", f"dfdx.derivative(f, n={order})(1.0) "
                   "(forward mode)", (np.float64(ref),))
        dn = dfdx.derivative(w4_poly, n=order)
        drow.cases.append(Case("dfdx", lambda dn=dn: dn(1.0), note=f"derivative(n={order})"))
        rows.append(drow)
    return rows


def _w4_torch(torch, order):
    def eager():
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        y = w4_poly(x)
        g, = torch.autograd.grad(y, x, create_graph=order > 1)
        if order > 1:
            g, = torch.autograd.grad(g, x)
        return g
    g = torch.func.grad(w4_poly)
    if order > 1:
        g = torch.func.grad(g)
    return [Case("torch", eager),
            Case("torch.func", lambda: g(torch.tensor(1.0, dtype=torch.float64)))]


def w5_rows(P, n=10**4):
    import dfdx
    rng = np.random.default_rng(5)
    x = rng.uniform(-1.5, 1.5, n)
    v = rng.standard_normal(n)
    diag, off = rosen_hessian_parts(x)
    ref = diag * v
    ref[:-1] += off * v[1:]
    ref[1:] += off * v[:-1]
    row = Row(f"W5 n={_exp(n)}", "Hessian-vector product of Rosenbrock", (ref,))
    row.cases.append(Case("dfdx", lambda: dfdx.hvp(rosenbrock, (x,), (v,)), note="hvp"))
    if P.torch is not None:
        torch = P.torch
        xt, vt = torch.from_numpy(x.copy()), torch.from_numpy(v.copy())

        def eager():
            xx = xt.detach().requires_grad_()
            g, = torch.autograd.grad(rosenbrock(xx), xx, create_graph=True)
            hv, = torch.autograd.grad(g, xx, vt)
            return hv
        tg = torch.func.grad(rosenbrock)
        row.cases.append(Case("torch", eager, note="double backward"))
        row.cases.append(Case("torch.func", lambda: torch.func.jvp(tg, (xt,), (vt,))[1],
                              note="jvp(grad)"))
    if P.autograd is not None:
        ahvp = P.autograd.hessian_vector_product(rosenbrock)
        row.cases.append(Case("autograd", lambda: ahvp(x, v)))
    if P.jax is not None:
        jax = P.jax
        jg = jax.grad(rosenbrock)
        xj, vj = jax.device_put(x), jax.device_put(v)
        row.cases += _jax_pair(jax, lambda a, b: jax.jvp(jg, (a,), (b,))[1], (xj, vj))
    return [row]


def w6_fun(xp, A):
    def f(x):
        return xp.tanh(A @ x)
    return f


def w6_rows(P, m=200):
    import dfdx
    rng = np.random.default_rng(6)
    A = rng.standard_normal((m, m)) / np.sqrt(m)
    x = rng.standard_normal(m)
    ref = (1 - np.tanh(A @ x)**2)[:, None] * A
    f = w6_fun(np, A)
    rows = []
    modes = (("auto", dfdx.jacobian), ("rev", dfdx.jacrev), ("fwd", dfdx.jacfwd))
    for mode, maker in modes:
        row = Row(f"W6 {mode}", f"Jacobian of tanh(A @ x), A {m}×{m}, mode {mode}", (ref,))
        jf = maker(f)
        row.cases.append(Case("dfdx", lambda jf=jf: jf(x),
                              note={"auto": "jacobian", "rev": "jacrev", "fwd": "jacfwd"}[mode]))
        if P.torch is not None:
            torch = P.torch
            At, xt = torch.from_numpy(A.copy()), torch.from_numpy(x.copy())
            ft = w6_fun(torch, At)
            if mode == "auto":
                row.cases.append(Case("torch", lambda ft=ft, xt=xt:
                                      torch.autograd.functional.jacobian(ft, xt),
                                      note="torch.autograd.functional.jacobian"))
            else:
                tj = (torch.func.jacrev if mode == "rev" else torch.func.jacfwd)(ft)
                row.cases.append(Case("torch.func", lambda tj=tj, xt=xt: tj(xt)))
        if P.autograd is not None and mode != "fwd":
            aj = P.autograd.jacobian(w6_fun(P.anp, A))
            row.cases.append(Case("autograd", lambda aj=aj: aj(x),
                                  note="autograd.jacobian (reverse)"))
        if P.jax is not None and mode != "auto":
            jax = P.jax
            fj = w6_fun(P.jnp, jax.device_put(A))
            jj = (jax.jacrev if mode == "rev" else jax.jacfwd)(fj)
            row.cases += _jax_pair(jax, jj, (jax.device_put(x),))
        rows.append(row)
    return rows


def auto_mode_choice():
    """Which mode ``dfdx.jacobian(mode="auto")`` picks for a wide and a tall Jacobian.

    Returns ``{"R^2 -> R^50": "fwd", "R^50 -> R^2": "rev"}`` (or "?" when the
    choice cannot be observed): jacfwd / jacrev in `dfdx.api` are watched
    while it runs.
    """
    import dfdx
    from dfdx import api
    A = np.random.default_rng(7).standard_normal((50, 2))
    cases = {"R^2 -> R^50": (lambda x: np.tanh(A @ x), np.ones(2)),
             "R^50 -> R^2": (lambda x: np.tanh(A.T @ x), np.ones(50))}
    out = {}
    saved = api.jacfwd, api.jacrev
    for label, (f, x) in cases.items():
        seen = []

        def spy(real, name):
            def make(*a, **k):
                seen.append(name)
                return real(*a, **k)
            return make
        api.jacfwd, api.jacrev = spy(saved[0], "fwd"), spy(saved[1], "rev")
        try:
            dfdx.jacobian(f)(x)
        except Exception:                   # noqa: BLE001 -- reported as unknown
            seen = []
        finally:
            api.jacfwd, api.jacrev = saved
        out[label] = seen[0] if len(set(seen)) == 1 else "?"
    return out


WORKLOADS = {
    "W1": lambda P, quick: w1_rows(P, (10, 1000, 10**6)),
    "W2": lambda P, quick: w2_rows(P, (np.float64, np.float32)),
    "W3": lambda P, quick: w3_rows(P, (10, 100)),
    "W4": lambda P, quick: w4_rows(P),
    "W5": lambda P, quick: w5_rows(P),
    "W6": lambda P, quick: w6_rows(P),
}


# ------------------------------------------------------------ verification --
def verify(row: Row, case: Case) -> float:
    """Compare a case's result with the row's float64 reference; return the relative error.

    Raises:
        VerificationError: a result is missing, has the wrong dtype, or differs
            by more than the row's tolerance (norm-wise relative error).
    """
    from dfdx import tree_leaves
    got = tree_leaves((case.check or case.fn)())
    want = tree_leaves(row.reference)
    who = f"{case.backend} on {row.key}"
    if len(got) != len(want):
        raise VerificationError(f"{who}: returned {len(got)} arrays, the reference has "
                                f"{len(want)}.")
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        if case.dtype is not None and hasattr(g, "dtype"):
            gd = _np(g).dtype
            if gd != case.dtype:
                raise VerificationError(f"{who}: result {i} has dtype {gd}, expected "
                                        f"{np.dtype(case.dtype).name} end to end.")
        g = _np(g).astype(np.float64)
        w = np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            raise VerificationError(f"{who}: result {i} has shape {g.shape}, the reference "
                                    f"{w.shape}.")
        scale = max(np.linalg.norm(w), 1e-300)
        err = float(np.linalg.norm(g - w) / scale)
        worst = max(worst, err)
        if not err <= row.rtol:
            raise VerificationError(f"{who}: result {i} differs from the float64 reference by "
                                    f"{err:.3g} (relative, norm-wise), tolerance {row.rtol:g}.")
    return worst


# -------------------------------------------------------------------- run --
def run(workloads=None, backends=None, quick=False, keep_going=False, memory=True, log=print):
    """Verify then time every case; return the results as a plain dict.

    Args:
        workloads: keys of `WORKLOADS` to run (default all).
        backends: keys of `BACKENDS` (default all that are installed).
        quick: 3 repeats of >= 0.05 s instead of 7 of >= 0.2 s.
        keep_going: mark a wrong result instead of stopping the run.
        memory: measure W1 n=10⁶ peak memory in fresh processes.
        log: where progress lines go.

    Returns:
        ``{"info": ..., "rows": [{key, title, cells: {backend: {...}}}], "memory": ...}``.
    """
    wanted = list(backends or BACKENDS)
    P = Peers(wanted)
    pinned = pin_threads()
    repeats, min_time = (3, 0.05) if quick else (7, 0.2)
    info = machine_info()
    info.update(versions=P.versions(), pinned=pinned, pools=thread_report(),
                dropped_env=benchmarks.ENV_REPORT["dropped"],
                numpy_preloaded=benchmarks.ENV_REPORT["numpy_preloaded"],
                malloc=benchmarks.ENV_REPORT.get("malloc"),
                quick=quick, repeats=repeats, min_time=min_time, clock=clock_name(),
                missing=[b for b in wanted if b not in P.wanted], load_start=_load_avg())
    results = {"info": info, "rows": [], "errors": [], "flags": [], "memory": None}
    for wk in workloads or WORKLOADS:
        for row in WORKLOADS[wk](P, quick):
            cells, timed = {}, {}
            for case in row.cases:
                if case.backend not in P.wanted:
                    continue
                cells[case.backend] = cell = {"note": case.note}
                try:
                    if case.check is not False:
                        cell["err"] = verify(row, case)
                    case.fn()                       # warm-up (JIT compiles here), and errors
                except VerificationError as exc:
                    if not keep_going:
                        raise
                    cell["wrong"] = str(exc)
                    results["errors"].append(str(exc))
                    log(f"{row.key:<16} {BACKENDS[case.backend]:<14}      WRONG: {exc}")
                    continue
                except Exception as exc:            # noqa: BLE001 -- reported in the table
                    msg = f"{case.backend} on {row.key}: {type(exc).__name__}: {exc}"
                    cell["error"] = msg
                    results["errors"].append(msg)
                    log(f"{row.key:<16} {BACKENDS[case.backend]:<14}      ERROR: {msg}")
                    if os.environ.get("DFDX_BENCH_TRACEBACK"):
                        traceback.print_exc()
                    continue
                if case.flags:
                    cell["flags"] = list(case.flags)
                    results["flags"] += case.flags
                    for fl in case.flags:
                        log(f"{row.key:<16} {BACKENDS[case.backend]:<14}      NOTE: {fl}")
                timed[case.backend] = case.fn
            # why: interleaved batches -- every backend of a row sees the same load.
            for b, t in measure_many(timed, repeats=repeats, min_time=min_time).items():
                cells[b].update(median=t.median, best=t.best, spread=t.spread, number=t.number)
                log(f"{row.key:<16} {BACKENDS[b]:<14} {format_time(t.median):>10}"
                    f"   (±{t.spread:.0%}, {t.number}×{t.repeats})")
            results["rows"].append({"key": row.key, "title": row.title, "cells": cells})
    if workloads is None or "W6" in workloads:
        results["auto_mode"] = auto_mode_choice()
        log(f"jacobian(mode='auto') picks: {results['auto_mode']}")
    if memory and (workloads is None or "W1" in workloads):
        results["memory"] = w1_memory([b for b in P.wanted if b != "jax.jit"], log)
    info["load_end"] = _load_avg()
    return results


def _load_avg():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


# ------------------------------------------------------------- W1 memory --
MEM_N = 10**6


def _memprobe(backend):
    """In a fresh process: peak memory of one W1 n=10⁶ value-and-gradient call."""
    P = Peers([backend])
    pin_threads()
    x = np.random.default_rng(1).uniform(-2, 2, MEM_N)
    fn = None
    if backend == "dfdx":
        import dfdx
        vg = dfdx.value_and_grad(w1_fun(np))
        fn = lambda: vg(x)                                  # noqa: E731
    elif backend == "numpy":
        f = w1_fun(np)
        fn = lambda: f(x)                                   # noqa: E731
    elif backend == "numpy.vg":
        fn = lambda: w1_by_hand(x)                          # noqa: E731
    elif backend == "autograd":
        avg = P.autograd.value_and_grad(w1_fun(P.anp))
        fn = lambda: avg(x)                                 # noqa: E731
    elif backend == "torch":
        torch = P.torch
        xt = torch.from_numpy(x).requires_grad_()
        ft = w1_fun(torch)
        fn = lambda: torch.autograd.grad(ft(xt), xt)        # noqa: E731
    elif backend == "torch.func":
        torch = P.torch
        gv = torch.func.grad_and_value(w1_fun(torch))
        xf = torch.from_numpy(x)
        fn = lambda: gv(xf)                                 # noqa: E731
    elif backend == "jax":
        jax = P.jax
        jvg = jax.value_and_grad(w1_fun(P.jnp))
        xj = jax.device_put(x)
        fn = lambda: jax.block_until_ready(jvg(xj))         # noqa: E731
    for _ in range(3):
        fn()                                               # warm caches and allocators
    out = {"rss": peak_rss_delta(fn)}
    if backend in ("dfdx", "numpy", "numpy.vg", "autograd"):
        out["traced"] = traced_peak(fn)
    print(json.dumps(out))


def w1_memory(backends, log=print):
    """Peak memory above baseline of one W1 n=10⁶ call per backend, each in a fresh process."""
    out = {}
    # why: glibc raises its mmap threshold after the first large free, so later
    # large blocks come from the heap and stay resident when freed: the peak of a
    # warmed-up call would then not show. A fixed threshold keeps RSS honest.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072")
    for b in backends:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.ad", "--memprobe", b],
                              capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
        if proc.returncode != 0:
            out[b] = {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
            log(f"memory W1 n=10⁶  {BACKENDS[b]:<14} ERROR {out[b]['error']}")
            continue
        out[b] = json.loads(proc.stdout.strip().splitlines()[-1])
        mib = {k: f"{v / 2**20:.1f} MiB" for k, v in out[b].items() if v is not None}
        log(f"memory W1 n=10⁶  {BACKENDS[b]:<14} {mib}")
    return out


# ----------------------------------------------------------------- render --
def _ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def _t(cells, b):
    c = cells.get(b)
    return c.get("median") if c else None


def _cell(cells, b):
    c = cells.get(b)
    if c is None:
        return ""
    if "wrong" in c:
        return "**wrong**"
    if "error" in c:
        return "error"
    return format_time(c.get("median")) + (" †" if c.get("flags") else "")


def _row(results, key):
    for r in results["rows"]:
        if r["key"] == key:
            return r["cells"]
    return None


def targets(results):
    """The issue's targets: (target, measured, met) for every one whose rows were run."""
    out = []

    def add(name, measured, limit, text, extra=""):
        if not measured or not limit:
            return
        out.append((name, text, measured <= limit, extra))

    c = _row(results, "W1 n=10")
    if c:
        add("W1 n=10 ≤ 40 µs", _t(c, "dfdx"), 40e-6, format_time(_t(c, "dfdx")))
    c = _row(results, "W1 n=10⁶")
    if c and _t(c, "numpy"):
        r = (_t(c, "dfdx") or 0) / _t(c, "numpy")
        hand = _t(c, "numpy.vg")
        add("W1 n=10⁶ ≤ 1.6× NumPy forward", r, 1.6, f"{r:.2f}×" + (
            f" (NumPy by hand: {hand / _t(c, 'numpy'):.2f}×)" if hand else ""))
    mem = results.get("memory") or {}
    if "rss" in mem.get("dfdx", {}) and "rss" in mem.get("autograd", {}):
        d, a = mem["dfdx"], mem["autograd"]
        md = d.get("traced", d["rss"])
        ma = a.get("traced", a["rss"])
        add("W1 n=10⁶ peak memory ≤ autograd's", md, ma,
            f"{md / 2**20:.1f} MiB vs {ma / 2**20:.1f} MiB")
    for dt in ("float64", "float32"):
        c = _row(results, f"W2 {dt}")
        if c and _t(c, "numpy"):
            r = (_t(c, "dfdx") or 0) / _t(c, "numpy")
            add(f"W2 {dt} ≤ 1.1× hand-written NumPy", r, 1.1, f"{r:.2f}×")
    c = _row(results, "W2 float32")
    if c and c.get("dfdx") and "median" in c["dfdx"]:
        leaks = c["dfdx"].get("flags")
        out.append(("W2 float32 stays float32 end to end", "float64 inside (see †)" if leaks
                    else "float32 throughout", not leaks, ""))
    for key, peer, label in (("W3 n=100", "torch.func", "W3 n=100 ≤ torch.func.hessian"),
                             ("W6 auto", None, "W6 jacobian(auto) ≤ torch.func (best)"),
                             ("W6 rev", "torch.func", "W6 jacrev ≤ torch.func.jacrev"),
                             ("W6 fwd", "torch.func", "W6 jacfwd ≤ torch.func.jacfwd")):
        c = _row(results, key)
        if not c:
            continue
        if peer is None:
            peers = [_t(_row(results, k) or {}, "torch.func") for k in ("W6 rev", "W6 fwd")]
            ref = min([p for p in peers if p] or [None]) if any(peers) else None
        else:
            ref = _t(c, peer)
        if ref and _t(c, "dfdx"):
            r = _t(c, "dfdx") / ref
            add(label, r, 1.0, f"{r:.2f}×")
    for key, limit in (("W4 f′", 20e-6), ("W4 f′′", 40e-6)):
        c = _row(results, key)
        if c:
            add(f"{key} ≤ {limit * 1e6:.0f} µs", _t(c, "dfdx"), limit,
                format_time(_t(c, "dfdx")))
    c = _row(results, "W5 n=10⁴")
    if c:
        peers = [t for t in (_t(c, "torch"), _t(c, "torch.func")) if t]
        if peers and _t(c, "dfdx"):
            r = _t(c, "dfdx") / min(peers)
            add("W5 ≤ PyTorch (best of eager, torch.func)", r, 1.0, f"{r:.2f}×")
    return out


def render(results) -> str:
    """The results as markdown: header, times table, ratios, targets, memory, notes."""
    info = results["info"]
    cols = [b for b in BACKENDS if any(b in r["cells"] for r in results["rows"])]
    peers = [b for b in EAGER_PEERS if b in cols]
    lines = []
    v = info["versions"]
    lines.append(f"Machine: {info['machine']}; Python {info['python']}, NumPy {info['numpy']} "
                 f"({info['blas']}); {info['date']}.  ")
    lines.append("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items())
                 + (f" (dfdx at {info['dfdx_commit']})" if info.get("dfdx_commit") else "")
                 + ".  ")
    lines.append(f"Every backend pinned to {info['threads']} thread ({info['pools']}); "
                 f"median of {info['repeats']} batches of ≥ {info['min_time']} s of "
                 + ("process CPU time" if info.get("clock") == "cpu" else "wall-clock time")
                 + (" (**--quick**: noisy)" if info["quick"] else "")
                 + "; every result checked against a float64 reference first.  "
                 + (f" glibc malloc fixed for the run ({info['malloc']})."
                    if info.get("malloc") else "")
                 + (f" Unset for this run: {', '.join(info['dropped_env'])}."
                    if info["dropped_env"] else ""))
    if info.get("load_start") is not None:
        lines.append(f"Load average (1 min) at start / end: {info['load_start']} / "
                     f"{info.get('load_end')} on {os.cpu_count()} cores: the machine is shared, "
                     "so read ratios (peers run in the same minutes) rather than absolute "
                     + ("times.  " if info.get("clock") == "wall" else
                        "times; CPU time leaves out the time spent waiting for a core.  "))
    if info["missing"]:
        lines.append(f"Not installed (skipped): {', '.join(info['missing'])}.")
    lines.append("")
    head = ["Workload"] + [BACKENDS[b] for b in cols] + [f"dfdx ÷ {BACKENDS[p]}" for p in peers]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for r in results["rows"]:
        c = r["cells"]
        d = _t(c, "dfdx")
        cells = [r["key"]] + [_cell(c, b) for b in cols] + [_ratio(d, _t(c, p)) for p in peers]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if peers:
        lines.append("The same ratios from each cell's fastest batch (less moved by the load of "
                     "a shared machine):")
        lines.append("")
        head = ["Workload"] + [f"dfdx ÷ {BACKENDS[p]}" for p in peers]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        for r in results["rows"]:
            c = r["cells"]
            best = {b: c[b].get("best") for b in c}
            lines.append("| " + " | ".join([r["key"]] + [_ratio(best.get("dfdx"), best.get(p))
                                                         for p in peers]) + " |")
        lines.append("")
    lines.append("Ratios are dfdx's time over the peer's: below 1 means dfdx is faster. "
                 "NumPy is the plain forward pass for W1 (the bound a gradient is measured "
                 "against) and a hand-written forward+backward+update for W2. "
                 "JAX jit is compiled outside the timing: a reference, not an eager peer. "
                 "PyTorch means the eager `torch.autograd` API (in W3/W6 "
                 "`torch.autograd.functional`, which loops in Python), torch.func the "
                 "functional transforms (vmap-batched).")
    tg = targets(results)
    if tg:
        lines += ["", "| Target | dfdx | Met |", "|---|---:|:---:|"]
        for name, text, met, _ in tg:
            lines.append(f"| {name} | {text} | {'yes' if met else '**no**'} |")
    if results.get("auto_mode"):
        lines += ["", "`dfdx.jacobian(mode=\"auto\")` picks: " + ", ".join(
            f"{k}: {v}" for k, v in results["auto_mode"].items()) + "."]
    mem = results.get("memory")
    if mem:
        lines += ["", f"Peak memory of one W1 n=10⁶ value-and-gradient call (input "
                  f"{MEM_N * 8 / 2**20:.1f} MiB; fresh process each; RSS rise above the "
                  "baseline; tracemalloc peak for NumPy-based backends):", "",
                  "| Backend | RSS peak rise | tracemalloc peak |", "|---|---:|---:|"]
        for b, m in mem.items():
            if "error" in m:
                lines.append(f"| {BACKENDS[b]} | error | |")
                continue
            rss = f"{m['rss'] / 2**20:.1f} MiB" if m.get("rss") is not None else "—"
            tr = f"{m['traced'] / 2**20:.1f} MiB" if m.get("traced") is not None else "—"
            lines.append(f"| {BACKENDS[b]} | {rss} | {tr} |")
    notes = [(r["key"], b, c["note"]) for r in results["rows"]
             for b, c in r["cells"].items() if c.get("note")]
    if results.get("flags"):
        lines += ["", "† Findings (timed anyway):", ""]
        lines += [f"- {e}" for e in results["flags"]]
    if results["errors"]:
        lines += ["", "Errors and wrong results:", ""]
        lines += [f"- {e}" for e in results["errors"]]
    if notes:
        seen, items = set(), []
        for key, b, note in notes:
            if (b, note) not in seen:
                seen.add((b, note))
                items.append(f"{BACKENDS[b]} ({key.split()[0]}): {note}")
        lines += ["", "What each cell calls: " + "; ".join(items) + "."]
    return "\n".join(lines) + "\n"


def splice_readme(table: str, readme: str | None = None) -> bool:
    """Put `table` between the bench:ad markers in README.md; return whether it did."""
    return _readme.splice("ad", table, readme)


def write_results(results, path=RESULTS):
    """Write the full results file (header, table, targets, memory)."""
    body = render(results)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# AD speed: dfdx against its peers\n\n"
                 "Generated by `python -m benchmarks.ad` (`make bench`); do not edit by hand. "
                 "Workloads and method: `benchmarks/ad.py`; where dfdx's time goes: "
                 "`python -m benchmarks.profile_ad`.\n\n")
        fh.write(body)
    return body


def build_parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks.ad",
                                description="AD speed: dfdx against installed peers.")
    p.add_argument("--quick", action="store_true",
                   help="3 short repeats per cell (noisy); prints the table, writes files "
                        "only with --out")
    p.add_argument("--only", default=None,
                   help=f"comma-separated workloads ({','.join(WORKLOADS)})")
    p.add_argument("--backends", default=None,
                   help=f"comma-separated backends ({','.join(BACKENDS)})")
    p.add_argument("--out", default=None, help=f"results file (default {RESULTS})")
    p.add_argument("--no-readme", action="store_true",
                   help="don't splice the table into README.md")
    p.add_argument("--no-memory", action="store_true", help="skip the W1 n=10⁶ memory probe")
    p.add_argument("--keep-going", action="store_true",
                   help="mark wrong results in the table instead of stopping")
    p.add_argument("--clock", choices=("cpu", "wall"), default=None,
                   help="cpu: the process's CPU time (default; steady on a shared machine); "
                        "wall: perf_counter")
    p.add_argument("--memprobe", default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    """Run the AD benchmarks from the command line; return an exit code."""
    args = build_parser().parse_args(argv)
    if args.memprobe:
        _memprobe(args.memprobe)
        return 0
    if args.clock:
        set_clock(args.clock)
    only = args.only.split(",") if args.only else None
    backends = args.backends.split(",") if args.backends else None
    for name, allowed in ((only, WORKLOADS), (backends, BACKENDS)):
        bad = [x for x in name or () if x not in allowed]
        if bad:
            raise SystemExit(f"unknown {'/'.join(bad)}; choose from {', '.join(allowed)}")
    try:
        results = run(only, backends, quick=args.quick, keep_going=args.keep_going,
                      memory=not args.no_memory)
    except VerificationError as exc:
        print(f"\nWRONG RESULT, benchmark stopped: {exc}\n(run with --keep-going to mark it "
              "in the table instead)", file=sys.stderr)
        return 1
    if args.quick and not args.out:
        body = render(results)
    else:
        body = write_results(results, args.out or RESULTS)
        print(f"\nwrote {args.out or RESULTS}")
        if not args.quick and not args.no_readme and only is None and splice_readme(body):
            print("updated README.md between the bench:ad markers")
    print()
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
