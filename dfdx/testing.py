"""check_grad: automatic differentiation checked against numeric differentiation.

This is the one place where the AD engine and `dfdx.numeric` meet: the numeric
side is the independent oracle. For random directions ``u`` (one per input)
and ``v`` (one per output) three numbers must agree:

* forward mode:  ``<v, J u>`` from `dfdx.jvp`,
* reverse mode:  ``<J^T v, u>`` from `dfdx.vjp`,
* numeric:       ``d/dt <v, f(x + t u)>`` at ``t = 0`` from
  `dfdx.numeric.derivative` (central differences with Richardson extrapolation,
  always in float64).

With ``order=2`` the same check is applied to the derivatives themselves,
``x -> J(x)^T v`` and ``x -> J(x) u``, in both modes: forward-over-reverse,
reverse-over-reverse, reverse-over-forward and forward-over-forward.
"""

from __future__ import annotations

import numpy as np

import dfdx

__all__ = ["check_grad", "GradCheckError"]


class GradCheckError(dfdx.DfdxError, AssertionError):
    """AD and numeric differentiation disagree (raised by `check_grad`)."""


# --- small pytree helpers (dict / list / tuple / namedtuple) -------------

def _leaves(tree):
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [x for item in tree for x in _leaves(item)]
    if tree is None:
        return []
    return [tree]


def _rebuild(tree, leaves):
    """A tree shaped like `tree` whose leaves are taken in order from the iterator `leaves`."""
    if isinstance(tree, dict):
        return {k: _rebuild(tree[k], leaves) for k in sorted(tree)}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*(_rebuild(x, leaves) for x in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(_rebuild(x, leaves) for x in tree)
    if tree is None:
        return None
    return next(leaves)


def _is_float(x):
    return np.result_type(x).kind == "f"


def _as_float(x):
    a = np.asarray(x)
    return a.astype(np.float64) if a.dtype.kind in "biu" else a


def _dot(a, b):
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def _shapes(tree):
    shapes = [np.shape(x) for x in _leaves(tree)]
    return shapes[0] if len(shapes) == 1 else shapes


def _name(f):
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def _check_once(f, args, rng, modes, rtol, atol, step, label):
    from dfdx.numeric import derivative

    leaves = [_as_float(x) for x in _leaves(args)]
    args = _rebuild(args, iter(leaves))
    us = [rng.standard_normal(np.shape(x)).astype(np.result_type(x)) for x in leaves]
    out = f(*args)
    out_leaves = _leaves(out)
    vs = [rng.standard_normal(np.shape(o)).astype(np.result_type(o)) if _is_float(o)
          else np.zeros(np.shape(o)) for o in out_leaves]
    single32 = any(np.result_type(x) == np.float32 for x in leaves)
    if rtol is None:
        rtol = 2e-3 if single32 else 1e-6
    if atol is None:
        atol = 1e-4 if single32 else 1e-8

    x64 = [np.asarray(x, dtype=np.float64) for x in leaves]
    u64 = [np.asarray(u, dtype=np.float64) for u in us]

    def phi(t):
        shifted = _rebuild(args, iter(x + t * u for x, u in zip(x64, u64)))
        y = _leaves(f(*shifted))
        return sum(_dot(v, o) for v, o in zip(vs, y) if _is_float(o))

    est = derivative(phi, 0.0, step=step, vectorized=False)
    results = {}
    scale = abs(est.value)
    if "fwd" in modes:
        _, tout = dfdx.jvp(f, tuple(args), tuple(_rebuild(args, iter(us))))
        touts = _leaves(tout)
        results["forward"] = sum(_dot(v, t) for v, t in zip(vs, touts))
        scale = max(scale, np.sqrt(sum(_dot(v, v) for v in vs) * sum(_dot(t, t) for t in touts)))
    if "rev" in modes:
        _, vjp_fn = dfdx.vjp(f, *args)
        cts = _leaves(vjp_fn(_rebuild(out, iter(vs))))
        results["reverse"] = sum(_dot(c, u) for c, u in zip(cts, us))
        scale = max(scale, np.sqrt(sum(_dot(c, c) for c in cts) * sum(_dot(u, u) for u in us)))
    tol = atol + rtol * scale + 2 * float(est.error)
    bad = [m for m, val in results.items() if not abs(val - est.value) <= tol]
    if bad:
        nums = ", ".join(f"{m} {float(val)!r}" for m, val in results.items())
        raise GradCheckError(
            f"check_grad failed for {label}: input shapes {_shapes(args)}, output shapes "
            f"{_shapes(out)}; <v, J u> by {nums}, numeric {float(est.value)!r} (error estimate "
            f"{float(est.error):.2g}); tolerance {tol:.2g}. The {' and '.join(bad)}-mode "
            "derivative rule is wrong (or the function is not differentiable here).")


def check_grad(f, *args, order=1, modes=("fwd", "rev"), rtol=None, atol=None, rng=None,
               step=0.05):
    """Check the derivatives of `f` at `args` against numeric differentiation.

    For random directions ``u`` (inputs) and ``v`` (outputs) it compares
    ``<v, J u>`` computed by forward mode (`dfdx.jvp`), by reverse mode
    (`dfdx.vjp`) and numerically (`dfdx.numeric.derivative` of
    ``t -> <v, f(x + t u)>``, in float64). With ``order=2`` it also checks the
    derivatives of ``x -> J(x)^T v`` and ``x -> J(x) u`` the same way (all four
    mode pairs); ``order=n`` recurses likewise.

    Args:
        f: a function of NumPy values; every positional argument (an array,
            a scalar or a pytree of them) is differentiated. Outputs may be
            pytrees; integer and boolean outputs are ignored.
        *args: the point.
        order: how many orders of derivatives to check (1, 2, ...).
        modes: which AD modes to check: ``"fwd"``, ``"rev"`` or both.
        rtol, atol: tolerances on ``<v, J u>`` relative to its scale; default
            1e-6 / 1e-8, or 2e-3 / 1e-4 when an input is float32.
        rng: a seed or `numpy.random.Generator` for the directions (default 0:
            the check is reproducible).
        step: the largest finite-difference step along ``u``.

    Returns:
        None when every check passes.

    Raises:
        GradCheckError: (an AssertionError) naming the function, the order,
            the shapes and the three numbers: forward, reverse and numeric.

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.check_grad(lambda x: np.sin(x) * x, np.array([0.5, 1.0]))
        >>> @dfdx.primitive
        ... def cube(x):
        ...     return x ** 3
        >>> _ = cube.defjvp(lambda t, ans, x: t * 3 * x ** 2)
        >>> _ = cube.defvjp(lambda g, ans, x: g * 3 * x)        # wrong: 3 x**2
        >>> try:
        ...     dfdx.check_grad(cube, 2.0, order=1)
        ... except AssertionError as e:
        ...     print(e)
        check_grad failed for cube (order 1): input shapes (), output shapes (); <v, J u> by
        forward -0.1993..., reverse -0.0996..., numeric -0.1993... (error estimate ...);
        tolerance ... The reverse-mode derivative rule is wrong ...
    """
    if not callable(f):
        raise TypeError(f"check_grad needs a function, but got {type(f).__name__}.")
    if not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"check_grad: order must be an integer >= 1, not {order!r}.")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or set(modes) - {"fwd", "rev"}:
        raise ValueError(f"check_grad: modes must be 'fwd', 'rev' or both, not {modes!r}.")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else rng)
    _check_order(f, args, int(order), modes, rtol, atol, rng, step, _name(f), 1)


def _check_order(f, args, order, modes, rtol, atol, rng, step, name, k):
    _check_once(f, args, rng, modes, rtol, atol, step, f"{name} (order {k})")
    if order == 1:
        return
    leaves = [_as_float(x) for x in _leaves(args)]
    args = _rebuild(args, iter(leaves))
    us = _rebuild(args, iter(rng.standard_normal(np.shape(x)).astype(np.result_type(x))
                             for x in leaves))
    out = f(*args)
    vs = _rebuild(out, iter(rng.standard_normal(np.shape(o)).astype(np.result_type(o))
                            if _is_float(o) else np.zeros(np.shape(o)) for o in _leaves(out)))
    if "rev" in modes:
        def reverse(*xs):
            return dfdx.vjp(f, *xs)[1](vs)
        _check_order(reverse, args, order - 1, modes, rtol, atol, rng, step,
                     f"{name}: reverse-mode derivative", k + 1)
    if "fwd" in modes:
        def forward(*xs):
            return dfdx.jvp(f, xs, tuple(us))[1]
        _check_order(forward, args, order - 1, modes, rtol, atol, rng, step,
                     f"{name}: forward-mode derivative", k + 1)
