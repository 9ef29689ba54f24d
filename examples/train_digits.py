"""Train an MLP on scikit-learn's 8x8 digits with dfdx backpropagation, then explain it.

    python examples/train_digits.py                   # 30 epochs, about 98 % test accuracy
    python examples/train_digits.py --epochs 3 --hidden 64 --lr 0.02    # a one-second run

Needs scikit-learn (the data set ships with it: no download): pip install dfdx[train].
tqdm draws a progress bar per epoch on a terminal (plain lines otherwise);
matplotlib, if present, saves the loss curve (--plot).
"""

import argparse
import time

import numpy as np

from dfdx import explain, nn


def plot_history(history, path):
    """Save loss and accuracy curves to `path`; returns False if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(history["epoch"], history["loss"], label="train")
    ax1.plot(history["epoch"], history["test_loss"], label="test")
    ax1.set_xlabel("epoch"), ax1.set_ylabel("cross-entropy"), ax1.set_yscale("log")
    ax1.legend()
    ax2.plot(history["epoch"], 100 * np.array(history["accuracy"]), label="train")
    ax2.plot(history["epoch"], 100 * np.array(history["test_accuracy"]), label="test")
    ax2.set_xlabel("epoch"), ax2.set_ylabel("accuracy (%)"), ax2.legend()
    fig.suptitle("MLP on 8x8 digits, trained with dfdx")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--plot", default="digits-loss.png",
                        help="where to save the loss curve ('' to skip)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    res = nn.train_digits(epochs=args.epochs, hidden=tuple(args.hidden), lr=args.lr,
                          batch_size=args.batch_size, seed=args.seed,
                          activation=args.activation, progress=not args.no_progress)
    print(f"test accuracy {100 * res.test_accuracy:.2f}%  (train {100 * res.train_accuracy:.2f}%)"
          f"  in {res.seconds:.1f} s of training, {time.perf_counter() - t0:.1f} s in all")
    if args.plot and plot_history(res.history, args.plot):
        print(f"loss curve saved to {args.plot}")

    # Why did the model say what it said? Integrated gradients from a blank image.
    _, x_test, _, y_test = nn.load_digits(seed=args.seed)
    model = lambda v: res.apply(res.params, v[None])[0]
    for i in range(3):
        x, label = x_test[i], int(y_test[i])
        ig = explain.integrated_gradients(model, x, steps=50, target=label)
        top = np.argsort(-ig.attributions)[:3]
        print(f"digit {label}: logit change {ig.f_x - ig.f_baseline:+.3f}, "
              f"attributions sum {np.sum(ig.attributions):+.3f} "
              f"(gap {100 * ig.relative_gap:.3f}%), most important pixels (row, col) "
              f"{[divmod(int(p), 8) for p in top]}")
    return res


if __name__ == "__main__":
    main()
