"""W1 and W2 on a GPU: dfdx on CuPy arrays beside PyTorch CUDA (``python -m benchmarks.gpu``).

Needs CuPy, PyTorch with CUDA and a CUDA device; it exits with a message (status 0)
where one is missing, so it is not part of ``make bench``. It has NOT been run yet:
the machines the project was built on have no GPU. Prints a table and writes
``benchmarks/RESULTS-gpu.md``.

- W1: value and gradient of ``sum(sin(x) * exp(-x**2) + tanh(x))``, n = 10^6.
- W2: one SGD step of the MLP 64-256-256-10 (tanh, relu, log-softmax cross-entropy),
  batch 128 (the loss of benchmarks/ad_workloads.py).

Each figure is the median of 30 calls after 5 warm-up calls, the device synchronised
around each call; the answers are checked against NumPy on the host first.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _median(fn, sync, warm=5, runs=30):
    for _ in range(warm):
        fn()
    sync()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main(argv=None):
    try:
        import cupy as cp
        import torch
        if cp.cuda.runtime.getDeviceCount() == 0 or not torch.cuda.is_available():
            raise RuntimeError("no CUDA device")
    except Exception as e:  # noqa: BLE001 - any missing piece: say which, and stop
        print(f"benchmarks.gpu: not run ({type(e).__name__}: {e}). It needs CuPy, PyTorch with "
              "CUDA and a CUDA device.")
        return 0
    import dfdx
    from benchmarks.ad_workloads import W2_LR, mlp_loss, w1_fun, w2_data

    sync = cp.cuda.Device().synchronize
    rows = []
    # W1
    x = np.random.default_rng(1).uniform(-2, 2, 10**6)
    vg = dfdx.value_and_grad(w1_fun(np))
    xc = cp.asarray(x)
    ref = vg(x)[1]
    assert np.allclose(cp.asnumpy(vg(xc)[1]), ref, rtol=1e-10)
    xt = torch.tensor(x, device="cuda", requires_grad=True)
    ft = w1_fun(torch)

    def torch_w1():
        return torch.autograd.grad(ft(xt), xt)[0]
    assert np.allclose(torch_w1().cpu().numpy(), ref, rtol=1e-10)
    rows.append(("W1 n=10^6", _median(lambda: vg(xc), sync),
                 _median(torch_w1, torch.cuda.synchronize)))
    # W2
    params, xb, labels, onehot = w2_data(np.float64)
    loss = mlp_loss(np)
    vg2 = dfdx.value_and_grad(loss)
    pc, xcb, oc = [cp.asarray(p) for p in params], cp.asarray(xb), cp.asarray(onehot)

    def dfdx_w2():
        value, g = vg2(pc, xcb, oc)
        return [p - W2_LR * gi for p, gi in zip(pc, g)]
    expect = vg2(params, xb, onehot)[1]
    assert all(np.allclose(cp.asnumpy(a), b, rtol=1e-9)
               for a, b in zip(vg2(pc, xcb, oc)[1], expect))
    tp = [torch.tensor(p, device="cuda", requires_grad=True) for p in params]
    tx, toh = torch.tensor(xb, device="cuda"), torch.tensor(onehot, device="cuda")
    def tloss(ps, x, oh):       # W2's loss in torch's names (dim=, relu)
        w1, b1, w2, b2, w3, b3 = ps
        z = torch.relu(torch.tanh(x @ w1 + b1) @ w2 + b2) @ w3 + b3
        return -torch.sum(oh * torch.log_softmax(z, dim=1)) / x.shape[0]

    def torch_w2():
        g = torch.autograd.grad(tloss(tp, tx, toh), tp)
        return [p - W2_LR * gi for p, gi in zip(tp, g)]
    rows.append(("W2 step, batch 128", _median(dfdx_w2, sync),
                 _median(torch_w2, torch.cuda.synchronize)))

    name = cp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    lines = ["# W1 and W2 on a GPU", "", f"Device: {name}. Median of 30 calls, float64.", "",
             "| workload | dfdx on CuPy (ms) | PyTorch CUDA (ms) | dfdx / torch |",
             "|---|---:|---:|---:|"]
    lines += [f"| {w} | {a * 1e3:.3f} | {b * 1e3:.3f} | {a / b:.2f}x |" for w, a, b in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(ROOT, "benchmarks", "RESULTS-gpu.md"), "w") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
