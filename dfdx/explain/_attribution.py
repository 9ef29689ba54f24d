"""Gradients that explain a prediction: sensitivity, saliency, gradient x input,
integrated gradients and SmoothGrad.

`f` maps an input array `x` to a scalar or to an array of outputs; `target`
picks one output (an index into the last axis). With a batch of rows that do
not interact (``f(x)[i]`` depends only on ``x[i]``), attributions come out per
row, as the gradient of the sum of the selected outputs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import dfdx

__all__ = ["sensitivity", "Sensitivity", "saliency", "gradient_x_input", "integrated_gradients",
           "IntegratedGradients", "smoothgrad"]


def _as_float(x):
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _selected(f, target):
    """The scalar function of x whose gradient is attributed: sum of the chosen outputs."""
    def scalar(x):
        y = f(x)
        if target is not None:
            if np.ndim(y) == 0:
                raise ValueError(f"target={target!r} was given but f returns a scalar; "
                                 "drop target.")
            y = y[..., target]
        return np.sum(y)
    return scalar


@dataclasses.dataclass
class Sensitivity:
    """How strongly f's outputs respond to its inputs, from the Jacobian at x.

    Attributes:
        jacobian: ``d f / d x``, shape ``(*out_shape, *in_shape)``.
        frobenius: the Frobenius norm of the Jacobian.
        spectral: its largest singular value: the worst-case gain
            ``max |J dx| / |dx|`` for small perturbations.
        per_input: for each input element, the Euclidean norm of its column
            (how much all outputs move per unit change in it), shape ``in_shape``.
    """

    jacobian: np.ndarray
    frobenius: float
    spectral: float
    per_input: np.ndarray


def sensitivity(f, x):
    """Return the Jacobian of `f` at `x` and its norms (local sensitivity to the inputs).

    Args:
        f: ``f(x)`` returning a scalar or an array, written with NumPy.
        x: the input (an array or a number).

    Returns:
        Sensitivity with ``jacobian``, ``frobenius``, ``spectral``, ``per_input``.

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> A = np.array([[3.0, 0.0], [0.0, 4.0]])
        >>> s = explain.sensitivity(lambda x: A @ x, np.ones(2))
        >>> s.spectral, s.per_input
        (4.0, array([3., 4.]))
    """
    x = _as_float(x)
    J = np.asarray(dfdx.jacobian(f)(x))
    in_shape = x.shape
    n_in = int(np.prod(in_shape)) if in_shape else 1
    M = J.reshape(-1, n_in)
    spectral = float(np.linalg.norm(M, 2)) if M.size else 0.0
    per_input = np.sqrt(np.sum(M * M, axis=0)).reshape(in_shape)
    return Sensitivity(jacobian=J, frobenius=float(np.linalg.norm(M)), spectral=spectral,
                       per_input=per_input)


def saliency(f, x, target=None, abs=True):
    """Return the saliency map ``|d f_target / d x|`` (Simonyan et al., 2014).

    Args:
        f: ``f(x)`` returning a scalar or outputs along the last axis.
        x: the input.
        target: index of the output to explain (None: f is scalar, or sum all).
        abs: take the absolute value (the usual map); False keeps the sign.

    Returns:
        An array shaped like `x`.

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> w = np.array([2.0, -3.0])
        >>> explain.saliency(lambda x: x @ w, np.array([1.0, 1.0]))
        array([2., 3.])
    """
    g = dfdx.grad(_selected(f, target))(_as_float(x))
    return np.abs(g) if abs else g


def gradient_x_input(f, x, target=None):
    """Return ``x * d f_target / d x``: each input's first-order contribution.

    For a linear model without bias the attributions sum to ``f(x)``.

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> w = np.array([2.0, -3.0])
        >>> explain.gradient_x_input(lambda x: x @ w, np.array([1.0, 2.0]))
        array([ 2., -6.])
    """
    x = _as_float(x)
    return x * dfdx.grad(_selected(f, target))(x)


@dataclasses.dataclass
class IntegratedGradients:
    """Integrated-gradients attributions and how well they add up.

    Attributes:
        attributions: shaped like x; ``(x - baseline) * mean path gradient``.
        delta: the completeness gap ``sum(attributions) - (f(x) - f(baseline))``
            (zero for the exact integral; here the quadrature error).
        relative_gap: ``|delta| / |f(x) - f(baseline)|`` (inf if that difference is 0
            and delta is not).
        f_x: ``f(x)`` for the target.
        f_baseline: ``f(baseline)`` for the target.
        steps: quadrature points used.
    """

    attributions: np.ndarray
    delta: float
    relative_gap: float
    f_x: float
    f_baseline: float
    steps: int


def _quadrature(steps, method):
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return 0.5 * (nodes + 1), 0.5 * weights
    if method == "riemann_trapezoid":
        a = np.linspace(0.0, 1.0, steps)
        w = np.full(steps, 1.0 / (steps - 1))
        w[[0, -1]] *= 0.5
        return a, w
    if method == "riemann_middle":
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    raise ValueError(f"Unknown integration method {method!r}; use 'gausslegendre', "
                     "'riemann_trapezoid' or 'riemann_middle'.")


def integrated_gradients(f, x, baseline=None, steps=50, target=None, method="gausslegendre"):
    """Attribute ``f(x) - f(baseline)`` to the inputs by integrating the gradient along a line.

    ``IG_i = (x_i - b_i) * integral_0^1 d f / d x_i (b + a (x - b)) da``
    (Sundararajan et al., 2017), by `steps`-point quadrature. Completeness,
    ``sum(IG) = f(x) - f(baseline)``, holds for the exact integral; the
    result reports the gap left by the quadrature.

    Args:
        f: ``f(x)`` returning a scalar or outputs along the last axis.
        x: the input.
        baseline: the reference input (default zeros).
        steps: quadrature points (gradient evaluations).
        target: index of the output to explain.
        method: ``"gausslegendre"`` (default, most accurate for smooth f),
            ``"riemann_trapezoid"`` or ``"riemann_middle"``.

    Returns:
        IntegratedGradients with ``attributions``, ``delta``, ``relative_gap``,
        ``f_x``, ``f_baseline``, ``steps``.

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> w = np.array([1.0, -2.0, 0.5])
        >>> ig = explain.integrated_gradients(lambda x: np.tanh(x) @ w, np.ones(3), steps=32)
        >>> np.round(ig.attributions, 4), abs(ig.delta) < 1e-10
        (array([ 0.7616, -1.5232,  0.3808]), True)
    """
    if steps < 2:
        raise ValueError(f"integrated_gradients needs steps >= 2, got {steps}.")
    x = _as_float(x)
    b = np.zeros_like(x) if baseline is None else np.broadcast_to(
        np.asarray(baseline, dtype=x.dtype), x.shape)
    scalar = _selected(f, target)
    grad = dfdx.grad(scalar)
    alphas, weights = _quadrature(steps, method)
    diff = x - b
    points = b + alphas.astype(x.dtype).reshape((-1,) + (1,) * x.ndim) * diff
    grads = _grads_at(grad, points)
    total = np.tensordot(weights, grads.astype(np.float64, copy=False), axes=(0, 0))
    attributions = (diff * total).astype(x.dtype, copy=False)
    f_x, f_b = float(scalar(x)), float(scalar(b))
    delta = float(np.sum(attributions, dtype=np.float64)) - (f_x - f_b)
    change = abs(f_x - f_b)
    rel = abs(delta) / change if change > 0 else (0.0 if delta == 0 else float("inf"))
    return IntegratedGradients(attributions=attributions, delta=delta, relative_gap=rel,
                               f_x=f_x, f_baseline=f_b, steps=steps)


def smoothgrad(f, x, samples=50, noise=0.15, rng=None, target=None, squared=False):
    """Return the gradient averaged over noisy copies of `x` (Smilkov et al., 2017).

    Args:
        f: ``f(x)`` returning a scalar or outputs along the last axis.
        x: the input.
        samples: noisy copies.
        noise: noise standard deviation as a fraction of ``max(x) - min(x)``
            (of 1 if `x` is constant).
        rng: an `np.random.Generator` (default: seed 0, reproducible).
        target: index of the output to explain.
        squared: average squared gradients (SmoothGrad-Squared) instead.

    Returns:
        An array shaped like `x`.

    Example:
        >>> import numpy as np
        >>> from dfdx import explain
        >>> w = np.array([2.0, -3.0])        # a linear model: noise changes nothing
        >>> explain.smoothgrad(lambda x: x @ w, np.array([1.0, 2.0]), samples=5)
        array([ 2., -3.])
    """
    x = _as_float(x)
    rng = np.random.default_rng(0) if rng is None else rng
    span = float(np.max(x) - np.min(x)) if x.size else 0.0
    sd = noise * (span if span > 0 else 1.0)
    grad = dfdx.grad(_selected(f, target))
    noisy = np.stack([x + rng.normal(0.0, sd, size=x.shape).astype(x.dtype)
                      for _ in range(samples)])   # the same draws, in the same order, as before
    g = _grads_at(grad, noisy).astype(np.float64, copy=False)
    total = np.sum(g * g if squared else g, axis=0)
    return (total / samples).astype(x.dtype, copy=False)


def _grads_at(grad, points):
    """``grad`` at each of `points` (stacked along axis 0), in one batched pass (dfdx.vmap).

    why: one pass over all the points instead of a Python loop of gradients (measured:
    see docs/deep-learning.md). A function vmap cannot batch (Python control flow on the
    input) is evaluated point by point instead, as before.
    """
    try:
        return np.asarray(dfdx.vmap(grad)(points))
    except (dfdx.TracerConversionError, dfdx.UnsupportedOperation):
        return np.stack([np.asarray(grad(p)) for p in points])
