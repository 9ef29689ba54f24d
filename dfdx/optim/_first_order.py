"""First-order optimizers on parameter pytrees, learning-rate schedules and clipping.

Every optimizer is a small object holding only its hyperparameters; the state
(step count, moments) is a plain dict that `update` takes and returns, so
training code stays a pure loop:

    state = opt.init(params)
    params, state = opt.update(params, grads, state)

Updates keep each parameter's dtype (float32 stays float32) and never modify
their inputs in place.
"""

from __future__ import annotations

import math

import numpy as np

import dfdx
from dfdx.optim._tree import global_norm, tree_map, tree_paths

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSProp", "Adagrad", "NonFiniteGradientError",
           "clip_by_global_norm", "check_finite", "constant", "step_decay", "exponential_decay",
           "cosine_decay"]


class NonFiniteGradientError(dfdx.DfdxError, FloatingPointError):
    """A gradient held NaN or inf, so training stopped before it spoiled the parameters."""


# --- learning-rate schedules: step (0-based) -> learning rate ---------------

def constant(lr):
    """Return the schedule that is `lr` at every step.

    Example:
        >>> from dfdx.optim import constant
        >>> constant(0.1)(1000)
        0.1
    """
    lr = float(lr)
    return lambda step: lr


def step_decay(lr, step_size, gamma=0.1):
    """Return the schedule ``lr * gamma ** (step // step_size)`` (PyTorch's StepLR).

    Example:
        >>> from dfdx.optim import step_decay
        >>> s = step_decay(1.0, step_size=10, gamma=0.5)
        >>> s(0), s(10), s(25)
        (1.0, 0.5, 0.25)
    """
    if step_size < 1:
        raise ValueError(f"step_decay needs step_size >= 1, got {step_size}.")
    return lambda step: float(lr) * gamma ** (step // step_size)


def exponential_decay(lr, rate, decay_steps=1):
    """Return the schedule ``lr * rate ** (step / decay_steps)``.

    Example:
        >>> from dfdx.optim import exponential_decay
        >>> exponential_decay(1.0, rate=0.5, decay_steps=2)(4)
        0.25
    """
    return lambda step: float(lr) * rate ** (step / decay_steps)


def cosine_decay(lr, total_steps, final_lr=0.0, warmup_steps=0):
    """Return a cosine schedule from `lr` to `final_lr` over `total_steps`, after a linear warmup.

    Args:
        lr: the peak learning rate.
        total_steps: the step at which the rate reaches `final_lr` (it stays there after).
        final_lr: the last learning rate.
        warmup_steps: steps of linear increase from ``lr / warmup_steps`` to `lr` first.

    Example:
        >>> from dfdx.optim import cosine_decay
        >>> s = cosine_decay(1.0, total_steps=100)
        >>> s(0), s(50), s(100)
        (1.0, 0.5, 0.0)
    """
    if total_steps < 1 or warmup_steps < 0 or warmup_steps >= max(total_steps, 1) + 1:
        raise ValueError(f"cosine_decay needs 0 <= warmup_steps <= total_steps and "
                         f"total_steps >= 1, got {warmup_steps} and {total_steps}.")

    def schedule(step):
        if step < warmup_steps:
            return float(lr) * (step + 1) / warmup_steps
        span = max(total_steps - warmup_steps, 1)
        frac = min(max(step - warmup_steps, 0) / span, 1.0)
        return float(final_lr + (lr - final_lr) * 0.5 * (1 + math.cos(math.pi * frac)))

    return schedule


def _schedule(lr, who):
    if callable(lr):
        return lr
    if not isinstance(lr, (int, float, np.floating)) or not lr > 0:
        raise ValueError(f"{who} needs a positive learning rate (a number or a schedule "
                         f"step -> lr), got lr={lr!r}.")
    return constant(lr)


# --- gradient checks and clipping -------------------------------------------

def check_finite(grads, step=None):
    """Raise NonFiniteGradientError if any gradient leaf holds NaN or inf.

    Args:
        grads: a gradient pytree.
        step: the training step (1-based) to name in the message.

    Raises:
        NonFiniteGradientError: naming the step, the parameter path and the counts.

    Example:
        >>> import numpy as np
        >>> from dfdx.optim import check_finite
        >>> check_finite({"W": np.array([1.0, np.nan])}, step=3)
        Traceback (most recent call last):
        ...
        dfdx.optim._first_order.NonFiniteGradientError: The gradient of params['W'] ...
    """
    for path, g in tree_paths(grads):
        g = np.asarray(g)
        if g.dtype.kind in "fc" and not np.all(np.isfinite(g)):
            n_nan, n_inf = int(np.sum(np.isnan(g))), int(np.sum(np.isinf(g)))
            at = f" at step {step}" if step is not None else ""
            raise NonFiniteGradientError(
                f"The gradient of {path} (shape {g.shape}) is not finite{at}: {n_nan} NaN and "
                f"{n_inf} inf entries. Training stopped before the parameters were spoiled. "
                "Lower the learning rate, clip gradients (clip_norm=...), or look in the loss "
                "for log(0), division by zero or overflow (use the stable losses in dfdx.nn).")


def clip_by_global_norm(grads, max_norm):
    """Scale `grads` down so that their global norm is at most `max_norm`.

    Returns:
        ``(clipped_grads, norm_before)``.

    Example:
        >>> import numpy as np
        >>> from dfdx.optim import clip_by_global_norm
        >>> g, norm = clip_by_global_norm({"w": np.array([3.0, 4.0])}, max_norm=1.0)
        >>> g["w"], norm
        (array([0.6, 0.8]), 5.0)
    """
    norm = global_norm(grads)
    if max_norm <= 0:
        raise ValueError(f"clip_by_global_norm needs max_norm > 0, got {max_norm}.")
    if norm <= max_norm:
        return grads, norm
    scale = max_norm / (norm + 1e-12)
    return tree_map(lambda g: g * scale, grads), norm


# --- optimizers --------------------------------------------------------------

class Optimizer:
    """Base class: hyperparameters only; ``init`` makes the state, ``update`` steps.

    Subclasses implement ``_init_leaf(p)`` (per-parameter state, a tuple) and
    ``_step(p, g, s, lr, t)`` returning ``(new_p, new_s)``.
    """

    def __init__(self, lr, weight_decay=0.0, clip_norm=None, check=True):
        name = type(self).__name__
        self.schedule = _schedule(lr, name)
        self.lr = lr
        if weight_decay < 0:
            raise ValueError(f"{name} needs weight_decay >= 0, got {weight_decay}.")
        self.weight_decay = float(weight_decay)
        self.clip_norm = clip_norm
        self.check = check

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "schedule")
        return f"{type(self).__name__}({fields})"

    def init(self, params):
        """Return the initial state for `params`: ``{"step": 0, "slots": ...}``."""
        return {"step": 0, "slots": tree_map(self._init_leaf, params)}

    def update(self, params, grads, state):
        """Take one step; returns ``(new_params, new_state)``. Nothing is modified in place.

        Raises:
            NonFiniteGradientError: a gradient holds NaN or inf (naming step and parameter).
        """
        t = state["step"] + 1
        if self.check:
            check_finite(grads, step=t)
        if self.clip_norm is not None:
            grads, _ = clip_by_global_norm(grads, self.clip_norm)
        lr = float(self.schedule(state["step"]))
        pairs = tree_map(lambda p, g, s: self._step(p, g, s, lr, t), params, grads, state["slots"])
        new_params = tree_map(lambda p, pr: pr[0], params, pairs)
        new_slots = tree_map(lambda p, pr: pr[1], params, pairs)
        return new_params, {"step": t, "slots": new_slots}

    def _init_leaf(self, p):
        return ()

    def _decay(self, p, g):
        # coupled weight decay (L2 penalty in the gradient), as torch.optim does
        return g + self.weight_decay * p if self.weight_decay else g


def _zeros(p):
    return np.zeros_like(np.asarray(p))


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    ``v = momentum * v + g``; ``p -= lr * v`` (or ``lr * (g + momentum * v)``
    with Nesterov), as in torch.optim.SGD (dampening 0).

    Args:
        lr: learning rate, a number or a schedule ``step -> lr``.
        momentum: momentum coefficient in [0, 1).
        nesterov: use Nesterov momentum.
        weight_decay: L2 coefficient added to the gradient.
        clip_norm: clip gradients to this global norm first (None: no clipping).
        check: raise NonFiniteGradientError on a NaN/inf gradient.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> opt = optim.SGD(lr=0.1)
        >>> params = {"w": np.array([1.0, -2.0])}
        >>> state = opt.init(params)
        >>> params, state = opt.update(params, {"w": np.array([1.0, 1.0])}, state)
        >>> params["w"], state["step"]
        (array([ 0.9, -2.1]), 1)
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0, clip_norm=None,
                 check=True):
        super().__init__(lr, weight_decay, clip_norm, check)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD needs 0 <= momentum < 1, got {momentum}.")
        if nesterov and momentum == 0:
            raise ValueError("SGD(nesterov=True) needs momentum > 0.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _init_leaf(self, p):
        return (_zeros(p),) if self.momentum else ()

    def _step(self, p, g, s, lr, t):
        g = self._decay(p, g)
        if not self.momentum:
            return p - lr * g, s
        v = self.momentum * s[0] + g
        d = g + self.momentum * v if self.nesterov else v
        return p - lr * d, (v,)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; weight decay is coupled (an L2 term).

    Args:
        lr: learning rate, a number or a schedule ``step -> lr``.
        b1, b2: decay rates of the first and second moment estimates.
        eps: added to the root of the second moment.
        weight_decay: L2 coefficient added to the gradient (see AdamW for decoupled decay).
        clip_norm: clip gradients to this global norm first.
        check: raise NonFiniteGradientError on a NaN/inf gradient.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> opt = optim.Adam(lr=0.1)
        >>> params = np.array([1.0, -1.0])
        >>> params, state = opt.update(params, np.array([0.5, -3.0]), opt.init(params))
        >>> params   # the first Adam step moves each coordinate by about lr
        array([ 0.9, -0.9])
    """

    decoupled = False

    def __init__(self, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, clip_norm=None,
                 check=True):
        super().__init__(lr, weight_decay, clip_norm, check)
        for name, b in (("b1", b1), ("b2", b2)):
            if not 0 <= b < 1:
                raise ValueError(f"{type(self).__name__} needs 0 <= {name} < 1, got {b}.")
        self.b1, self.b2, self.eps = float(b1), float(b2), float(eps)

    def _init_leaf(self, p):
        return (_zeros(p), _zeros(p))

    def _step(self, p, g, s, lr, t):
        if not self.decoupled:
            g = self._decay(p, g)
        m = self.b1 * s[0] + (1 - self.b1) * g
        v = self.b2 * s[1] + (1 - self.b2) * (g * g)
        step = lr * math.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t)
        eps = self.eps * math.sqrt(1 - self.b2 ** t)
        new = p - step * m / (np.sqrt(v) + eps)
        if self.decoupled and self.weight_decay:
            new = new - (lr * self.weight_decay) * p
        return new, (m, v)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p -= lr * wd * p`` apart.

    Takes Adam's arguments; `weight_decay` (default 0.01) shrinks the weights
    directly instead of entering the gradient, as torch.optim.AdamW.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> opt = optim.AdamW(lr=0.1, weight_decay=0.5)
        >>> p, _ = opt.update(np.array([2.0]), np.array([0.0]), opt.init(np.array([2.0])))
        >>> p   # zero gradient: only the decay acts, 2 - 0.1 * 0.5 * 2
        array([1.9])
    """

    decoupled = True

    def __init__(self, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2, clip_norm=None,
                 check=True):
        super().__init__(lr, b1, b2, eps, weight_decay, clip_norm, check)


class RMSProp(Optimizer):
    """RMSProp: divide the gradient by a running root mean square (optionally with momentum).

    ``sq = decay * sq + (1 - decay) * g**2``; ``p -= lr * g / (sqrt(sq) + eps)``
    (with momentum, the scaled gradient is accumulated first), as torch.optim.RMSprop.

    Args:
        lr: learning rate, a number or a schedule ``step -> lr``.
        decay: decay rate of the running mean of squared gradients.
        eps: added to the root for stability.
        momentum: momentum on the scaled gradient (0: none).
        weight_decay: L2 coefficient added to the gradient.
        clip_norm: clip gradients to this global norm first.
        check: raise NonFiniteGradientError on a NaN/inf gradient.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> opt = optim.RMSProp(lr=0.01, decay=0.9)
        >>> p, _ = opt.update(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))
        >>> p   # 1 - 0.01 * 2 / sqrt(0.1 * 4)
        array([0.96837722])
    """

    def __init__(self, lr=1e-2, decay=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0,
                 clip_norm=None, check=True):
        super().__init__(lr, weight_decay, clip_norm, check)
        self.decay, self.eps, self.momentum = float(decay), float(eps), float(momentum)

    def _init_leaf(self, p):
        return (_zeros(p), _zeros(p))

    def _step(self, p, g, s, lr, t):
        g = self._decay(p, g)
        sq = self.decay * s[0] + (1 - self.decay) * (g * g)
        d = g / (np.sqrt(sq) + self.eps)
        if self.momentum:
            buf = self.momentum * s[1] + d
            return p - lr * buf, (sq, buf)
        return p - lr * d, (sq, s[1])


class Adagrad(Optimizer):
    """Adagrad: divide by the root of the sum of all squared gradients so far.

    Args:
        lr: learning rate, a number or a schedule ``step -> lr``.
        eps: added to the root for stability.
        initial_accumulator: starting value of the sum of squares.
        weight_decay: L2 coefficient added to the gradient.
        clip_norm: clip gradients to this global norm first.
        check: raise NonFiniteGradientError on a NaN/inf gradient.

    Example:
        >>> import numpy as np
        >>> from dfdx import optim
        >>> opt = optim.Adagrad(lr=0.5)
        >>> p, _ = opt.update(np.array([1.0]), np.array([4.0]), opt.init(np.array([1.0])))
        >>> p
        array([0.5])
    """

    def __init__(self, lr=1e-2, eps=1e-10, initial_accumulator=0.0, weight_decay=0.0,
                 clip_norm=None, check=True):
        super().__init__(lr, weight_decay, clip_norm, check)
        self.eps, self.initial_accumulator = float(eps), float(initial_accumulator)

    def _init_leaf(self, p):
        return (np.full_like(np.asarray(p), self.initial_accumulator),)

    def _step(self, p, g, s, lr, t):
        g = self._decay(p, g)
        acc = s[0] + g * g
        return p - lr * g / (np.sqrt(acc) + self.eps), (acc,)
