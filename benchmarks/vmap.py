"""Per-example gradients: dfdx.vmap(dfdx.grad) beside one batch gradient and torch.func.

Workload W7: the W2 MLP (64-256-256-10, tanh then relu, log-softmax cross-entropy),
batch 128, float64 and float32; every backend pinned to one thread.

* "batch grad": one dfdx.grad of the mean loss over the batch (the reference cost);
* "per-example": ``dfdx.vmap(dfdx.grad(loss), in_axes=(None, 0, 0))(params, X, Y)``,
  128 gradients (a leading batch axis on every parameter);
* "loop": 128 calls of dfdx.grad, one per example (what vmap replaces);
* "torch.func": ``vmap(grad(loss), in_dims=(None, 0, 0))`` on the same model.

Results are checked against the loop before they are timed. Targets (issue 14):
per-example <= 3x the batch gradient, and <= torch.func.

The per-example gradient of the 256x256 layer alone is 64 MiB (float64), above glibc's
largest mmap threshold (32 MiB): NumPy's array comes from a fresh mmap each call and is
paid for in page faults (about 10 ms of the total here), where torch's caching allocator
reuses its memory. ``--keep-memory`` (glibc's M_MMAP_MAX = 0: every allocation from the
heap, reused) shows the time without them.

Run ``python -m benchmarks.vmap`` (``--quick`` for shorter repeats); the table goes to
``benchmarks/RESULTS-vmap.md``.
"""

from __future__ import annotations

import argparse
import os

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

from benchmarks._timing import format_time, machine_info, measure_many, pin_threads
from benchmarks.ad_workloads import W2_BATCH, mlp_loss, w2_data

__all__ = ["main", "run"]

RESULTS = os.path.join(os.path.dirname(__file__), "RESULTS-vmap.md")


def _one_example_loss(xp, relu=None):
    relu = relu or (lambda a: xp.maximum(a, 0))

    def loss(params, x, onehot):
        w1, b1, w2, b2, w3, b3 = params
        h1 = xp.tanh(x @ w1 + b1)
        h2 = relu(h1 @ w2 + b2)
        z = h2 @ w3 + b3
        z = z - xp.max(z)
        return -xp.sum(onehot * (z - xp.log(xp.sum(xp.exp(z)))))
    return loss


def _cases(dtype, with_torch=True, with_loop=True):
    import dfdx
    params, x, _, onehot = w2_data(dtype)
    params = list(params)
    one = _one_example_loss(np)
    batch_loss = mlp_loss(np)
    per_example = dfdx.vmap(dfdx.grad(one), in_axes=(None, 0, 0))
    batch_grad = dfdx.grad(batch_loss)
    grad_one = dfdx.grad(one)
    fns = {
        "batch grad": lambda: batch_grad(params, x, onehot),
        "per-example (vmap)": lambda: per_example(params, x, onehot),
    }
    if with_loop:
        fns["loop of grads"] = lambda: [grad_one(params, x[i], onehot[i])
                                        for i in range(W2_BATCH)]
    # check: vmap against the loop, and the batch gradient against the mean
    got = per_example(params, x, onehot)
    want = [grad_one(params, x[i], onehot[i]) for i in range(W2_BATCH)]
    tol = 1e-9 if dtype == np.float64 else 1e-3
    for k, g in enumerate(got):
        w = np.stack([wi[k] for wi in want])
        if g.shape != w.shape or not np.allclose(g, w, rtol=tol, atol=tol):
            raise AssertionError(f"per-example gradient {k} differs from the loop")
    if with_torch:
        try:
            import torch
            from torch.func import grad as tgrad, vmap as tvmap
        except ImportError:
            torch = None
        if torch is not None:
            pin_threads()
            tp = [torch.tensor(p) for p in params]
            tx, ty = torch.tensor(x), torch.tensor(onehot)
            tone = _one_example_loss(torch, torch.relu)

            def tloss(ps, xi, yi):
                return tone(ps, xi, yi)
            tper = tvmap(tgrad(tloss), in_dims=(None, 0, 0))
            tg = tper(tp, tx, ty)
            for k, g in enumerate(tg):
                if not np.allclose(g.numpy(), got[k], rtol=tol, atol=tol):
                    raise AssertionError(f"torch.func per-example gradient {k} differs")
            fns["torch.func vmap(grad)"] = lambda: tper(tp, tx, ty)
    return fns


def run(quick=False):
    rows = []
    for dtype in (np.float64, np.float32):
        fns = _cases(dtype)
        t = measure_many(fns, repeats=3 if quick else 7, min_time=0.05 if quick else 0.2)
        rows.append((np.dtype(dtype).name, {k: v.median for k, v in t.items()}))
    return rows


def render(rows):
    info = machine_info()
    lines = ["# W7: per-example gradients of the W2 MLP (batch 128), 1 thread", "",
             f"Machine: {info.get('machine', '?')}, NumPy {info.get('numpy')}, dfdx at "
             f"{info.get('dfdx_commit')}, {info.get('date')}; medians.", "",
             "| dtype | batch grad | per-example (vmap) | ratio | loop of grads | "
             "torch.func vmap(grad) | vmap / torch.func |",
             "|---|---|---|---|---|---|---|"]
    for dt, t in rows:
        b, p = t["batch grad"], t["per-example (vmap)"]
        tf = t.get("torch.func vmap(grad)")
        lines.append(f"| {dt} | {format_time(b)} | {format_time(p)} | {p / b:.2f}x | "
                     f"{format_time(t.get('loop of grads'))} | {format_time(tf)} | "
                     f"{(p / tf) if tf else float('nan'):.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.vmap", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    p.add_argument("--keep-memory", action="store_true",
                   help="glibc keeps freed memory (M_MMAP_MAX = 0): no page faults per call")
    args = p.parse_args(argv)
    if args.keep_memory:
        import ctypes
        ctypes.CDLL("libc.so.6").mallopt(-4, 0)   # M_MMAP_MAX
    text = render(run(args.quick))
    if args.keep_memory:
        text = text.replace("1 thread", "1 thread, --keep-memory (no mmap: heap memory reused)")
    print(text)
    mode = "a" if args.keep_memory and os.path.exists(RESULTS) else "w"
    with open(RESULTS, mode, encoding="utf-8") as fh:
        fh.write(("\n" if mode == "a" else "") + text)


if __name__ == "__main__":
    main()
