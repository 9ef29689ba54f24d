"""Benchmark: the digits MLP trained by dfdx, PyTorch and scikit-learn, side by side.

The same model (64-256-256-10, ReLU, softmax cross-entropy), the same 80/20
stratified split, Adam (lr 1e-3, batch 64, 30 epochs). dfdx and PyTorch also
share the initial weights, the minibatch order and the cosine learning-rate
decay; scikit-learn's MLPClassifier uses its own initialisation and a constant
rate (it has no cosine schedule) with alpha=0 (no L2). Every framework runs
on one thread (BLAS via threadpoolctl, torch.set_num_threads(1)), which is the
fastest setting for matrices this small.

    python benchmarks/train_digits.py [--repeat 3] [--out benchmarks/RESULTS-train.md]

Needs: pip install dfdx[bench] (torch==2.13.0, scikit-learn).
"""

import argparse
import os
import platform
import statistics
import time

import numpy as np

from dfdx import nn, optim

EPOCHS, HIDDEN, LR, BATCH, SEED = 30, (256, 256), 1e-3, 64, 0


def run_dfdx():
    res = nn.train_digits(epochs=EPOCHS, hidden=HIDDEN, lr=LR, batch_size=BATCH, seed=SEED,
                          progress=False)
    return res.seconds, res.test_accuracy


def run_torch():
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    x_tr, x_te, y_tr, y_te = nn.load_digits(seed=SEED)
    rng = np.random.default_rng(SEED)
    init, _ = nn.mlp([64, *HIDDEN, 10], activation="relu", dtype=np.float32)
    params = init(rng)                                 # the very weights dfdx starts from
    layers = []
    for i, p in enumerate(params):
        lin = torch.nn.Linear(*p["W"].shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(p["W"].T.copy()))
            lin.bias.copy_(torch.from_numpy(p["b"]))
        layers.append(lin)
        if i < len(params) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    steps = EPOCHS * -(-len(x_tr) // BATCH)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = optim.cosine_decay(LR, total_steps=steps, final_lr=LR * 0.01)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    loss_fn = torch.nn.CrossEntropyLoss()
    step = 0
    t0 = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.from_numpy(rng.permutation(len(x_tr)))
        for start in range(0, len(x_tr), BATCH):
            idx = order[start:start + BATCH]
            for g in opt.param_groups:
                g["lr"] = sched(step)
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            step += 1
        with torch.no_grad():                          # per-epoch evaluation, as dfdx does
            loss_fn(model(torch.from_numpy(x_te)), torch.from_numpy(y_te))
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        acc = float((model(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean())
    return seconds, acc


def run_sklearn():
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    x_tr, x_te, y_tr, y_te = nn.load_digits(seed=SEED)
    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=0.0,
                        batch_size=BATCH, learning_rate_init=LR, max_iter=EPOCHS,
                        n_iter_no_change=EPOCHS + 1, tol=0.0, random_state=SEED, shuffle=True)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_tr, y_tr)
    seconds = time.perf_counter() - t0
    return seconds, float(clf.score(x_te, y_te))


def main():
    parser = argparse.ArgumentParser(description="dfdx vs PyTorch vs scikit-learn on digits")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                      "RESULTS-train.md"))
    args = parser.parse_args()
    import threadpoolctl
    runners = {"dfdx (NumPy, reverse-mode AD)": run_dfdx}
    versions = {"numpy": np.__version__}
    try:
        import torch
        runners["PyTorch (CPU)"] = run_torch
        versions["torch"] = torch.__version__
    except ImportError:
        print("torch not installed: skipped (pip install torch==2.13.0)")
    import sklearn
    runners["scikit-learn MLPClassifier"] = run_sklearn
    versions["scikit-learn"] = sklearn.__version__
    rows = []
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        for name, fn in runners.items():
            fn()                                       # warm-up (imports, caches)
            runs = [fn() for _ in range(args.repeat)]
            t = statistics.median(r[0] for r in runs)
            acc = runs[0][1]
            rows.append((name, t, acc))
            print(f"{name:32s} {t:6.2f} s   test accuracy {100 * acc:.2f}%", flush=True)
    base = rows[0][1]
    lines = [
        "# Training the digits MLP: dfdx vs PyTorch vs scikit-learn",
        "",
        f"Model 64-256-256-10 (ReLU), softmax cross-entropy, Adam lr {LR:g}, batch {BATCH}, "
        f"{EPOCHS} epochs, 80/20 stratified split of scikit-learn's 8x8 digits (seed {SEED}).",
        "dfdx and PyTorch share the initial weights, the batch order and the cosine decay; "
        "scikit-learn uses its own initialisation and a constant rate. One thread each; "
        f"median of {args.repeat} runs after a warm-up; wall time of training only "
        "(including the per-epoch test evaluation).",
        "",
        "| framework | wall time (s) | time / dfdx | test accuracy |",
        "|---|---:|---:|---:|",
    ]
    for name, t, acc in rows:
        lines.append(f"| {name} | {t:.2f} | {t / base:.2f} | {100 * acc:.2f} % |")
    lines += ["", f"Machine: {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} while running: "
              f"the machine was shared), Python {platform.python_version()}, "
              + ", ".join(f"{k} {v}" for k, v in versions.items()) + "."]
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
