"""check_grad: automatic differentiation checked against numeric differentiation.

This is the one place where the AD engine and `dfdx.numeric` meet: the numeric
side is the independent oracle. For random directions ``u`` (one per input)
and ``v`` (one per output) three numbers must agree:

* forward mode:  ``<v, J u>`` from `dfdx.jvp`,
* reverse mode:  ``<J^T v, u>`` from `dfdx.vjp`,
* numeric:       ``d/dt <v, f(x + t u)>`` at ``t = 0`` from
  `dfdx.numeric.derivative` (central differences with Richardson extrapolation,
  always in float64 / complex128).

``<a, b>`` is the real inner product ``Re sum(conj(a) * b)``: forward mode is
R-linear, and for complex arguments the directions have random real and
imaginary parts, so the convention ``grad f = df/dx + i df/dy`` is checked
along every real direction of the complex plane. Matrix directions are plain
random matrices (never symmetrised), so a rule that is right only on a
special subspace fails.

The checker cannot be fooled into passing: where the numeric side cannot give
a usable number (NaN, an infinite or too large error estimate) it tries other
steps, other directions and (unless ``move=False``) nearby points, a bounded
number of times, and then fails saying it could not check. It also demands
that the traced values equal NumPy's untraced ones and that every AD result
keeps the dtype of what it differentiates (float32 stays float32).

With ``order=2`` the same check is applied to the derivatives themselves,
``x -> J(x)^T v`` and ``x -> J(x) u``, in both modes: forward-over-reverse,
reverse-over-reverse, reverse-over-forward and forward-over-forward.
"""

from __future__ import annotations

import warnings

import numpy as np

from dfdx._errors import DfdxError
from dfdx._onesided import differentiable
from dfdx._tree import tree_flatten, tree_leaves, tree_unflatten
from dfdx.api import jvp, vjp

__all__ = ["check_grad", "GradCheckError"]


class GradCheckError(DfdxError, AssertionError):
    """AD and numeric differentiation disagree, or the check could not run (`check_grad`)."""


# --- pytrees (nested dict / list / tuple / namedtuple), as the transforms see them ---

_leaves = tree_leaves


def _rebuild(tree, leaves):
    """A tree shaped like `tree` whose leaves are taken in order from the iterable `leaves`."""
    return tree_unflatten(tree_flatten(tree)[1], leaves)


# --- numbers -------------------------------------------------------------

#: Tried in turn when the numeric side gives no usable number: step factors at
#: the point, then (with move=True) nearby points at growing relative distances.
_STEP_FACTORS = (1.0, 0.1, 0.01, 3.0)
_MOVES = (1e-3, 1e-2, 3e-2, 0.1)
_NOISE = 10.0    # the numeric error may be at most this many nominal tolerances
_ACROSS = 1e-3   # rounding of a traced value, relative to the largest output (see _check_values)


def _dtype(x):
    return np.result_type(x)


def _inexact(x):
    return _dtype(x).kind in "fc"


def _low_precision(x):
    return _inexact(x) and _dtype(x).itemsize <= (8 if _dtype(x).kind == "c" else 4)


def _as_inexact(x):
    a = np.asarray(x)
    return a.astype(np.float64) if a.dtype.kind in "biu" else a


def _wide(x):
    a = np.asarray(x)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _dot(a, b):
    """The real inner product Re sum(conj(a) * b), in double precision."""
    return float(np.sum(np.real(np.conj(_wide(a)) * _wide(b))))


def _random_like(rng, x):
    """A standard normal array shaped like `x`, complex (both parts random) where `x` is."""
    shape, dt = np.shape(x), _dtype(x)
    d = rng.standard_normal(shape)
    if dt.kind == "c":
        d = d + 1j * rng.standard_normal(shape)
    return np.asarray(d, dtype=dt) if dt.kind in "fc" else np.zeros(shape)


def _shapes(tree):
    shapes = [np.shape(x) for x in _leaves(tree)]
    return shapes[0] if len(shapes) == 1 else shapes


def _name(f):
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def _check_values(label, mode, want, got):
    """The traced value must be NumPy's untraced value, with NumPy's dtype and shape."""
    want, got = _leaves(want), _leaves(got)
    if len(want) != len(got):
        raise GradCheckError(f"check_grad failed for {label}: under {mode} mode f returned "
                             f"{len(got)} arrays, untraced {len(want)}.")
    # why: the outputs are derivatives of one function (at order 2, the gradient's parts),
    # so rounding is relative to the largest of them, and never below a few ulps of 1: an
    # entry that is exactly 0 in NumPy may come out as 4e-18 when traced.
    overall = max((float(np.max(np.abs(np.asarray(w)[np.isfinite(w)]), initial=0.0))
                   for w in want if _inexact(np.asarray(w))), default=0.0)
    for i, (w, g) in enumerate(zip(want, got)):
        where = f" (output {i})" if len(want) > 1 else ""
        if np.shape(w) != np.shape(g) or _dtype(w) != _dtype(g):
            raise GradCheckError(
                f"check_grad failed for {label}{where}: under {mode} mode the traced value has "
                f"shape {np.shape(g)} and dtype {_dtype(g)}, but NumPy computes shape "
                f"{np.shape(w)} and dtype {_dtype(w)}. The rule must compute what NumPy computes.")
        w, g = np.asarray(w), np.asarray(g)
        if _inexact(w):
            rtol = 1e-4 if _low_precision(w) else 1e-7
            finite = np.isfinite(w)
            size = max(float(np.max(np.abs(w[finite]), initial=0.0)), _ACROSS * overall)
            floor = 16 * float(np.finfo(w.dtype).eps)     # an exact 0 against rounding
            ok = np.isclose(g, w, rtol=rtol, atol=max(rtol * size, floor), equal_nan=True)
        else:
            ok = g == w
        if not np.all(ok):
            bad = np.argwhere(~np.asarray(ok))[0]
            idx = tuple(int(k) for k in bad)
            raise GradCheckError(
                f"check_grad failed for {label}{where}: under {mode} mode the traced value at "
                f"index {idx} is {g[idx]!r}, but NumPy computes {w[idx]!r}. The rule must "
                "compute what NumPy computes (a keyword dropped?).")


def _check_dtypes(label, what, want, got):
    for w, g in zip(_leaves(want), _leaves(got)):
        if _inexact(w) and _dtype(g) != _dtype(w):
            raise GradCheckError(
                f"check_grad failed for {label}: the {what} has dtype {_dtype(g)}, but it "
                f"belongs to a value of dtype {_dtype(w)}. AD must keep the dtype (float32 "
                "stays float32).")


def _numeric(f, args, x64, u64, vs, outs, step, method="central"):
    """d/dt <v, f(x + t u)> at 0 in double precision, or (None, why) when it cannot say."""
    from dfdx.numeric import derivative

    def phi(t):
        shifted = _rebuild(args, iter(x + t * u for x, u in zip(x64, u64)))
        y = _leaves(f(*shifted))
        return sum(_dot(v, o) for v, o, o0 in zip(vs, y, outs) if _inexact(o0))

    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = derivative(phi, 0.0, step=step, vectorized=False, method=method)
    except Exception as e:      # noqa: BLE001 - any failure means "cannot check here"
        return None, f"the numeric derivative raised {type(e).__name__}: {e}"
    value, error = float(np.real(est.value)), float(est.error)
    if not (np.isfinite(value) and np.isfinite(error)):
        return None, f"the numeric derivative is {value!r} with error estimate {error!r}"
    return (value, error), ""


def _projections(f, args, out, out_leaves, us, vs, modes, label, first):
    """<v, J u> by each AD mode asked for, and the norms that scale their tolerance.

    On the first try the modes' values and dtypes are checked against `out` too.
    """
    results, norms = {}, []
    u_norm = np.sqrt(sum(_dot(u, u) for u in us))
    v_norm = np.sqrt(sum(_dot(v, v) for v, o in zip(vs, out_leaves) if _inexact(o)))
    if "fwd" in modes:
        tout_primal, tout = jvp(f, tuple(args), tuple(_rebuild(args, iter(us))))
        if first:
            _check_values(label, "forward", out, tout_primal)
            _check_dtypes(label, "forward-mode tangent", out, tout)
        touts = _leaves(tout)
        results["forward"] = sum(_dot(v, t) for v, t, o in zip(vs, touts, out_leaves)
                                 if _inexact(o))
        norms.append(v_norm * np.sqrt(sum(_dot(t, t) for t, o in zip(touts, out_leaves)
                                          if _inexact(o))))
    if "rev" in modes:
        vout, vjp_fn = vjp(f, *args)
        if first:
            _check_values(label, "reverse", out, vout)
        cts = vjp_fn(_rebuild(out, iter(vs)))
        if first:
            _check_dtypes(label, "reverse-mode cotangent", args, cts)
        cts = _leaves(cts)
        results["reverse"] = sum(_dot(c, u) for c, u in zip(cts, us))
        norms.append(u_norm * np.sqrt(sum(_dot(c, c) for c in cts)))
    return results, norms


def _attempt(f, args, rng, modes, rtol, atol, step, label, first, low):
    """One try; returns None when checked, or a reason string when the numeric side failed."""
    leaves = [_as_inexact(x) for x in _leaves(args)]
    args = _rebuild(args, iter(leaves))
    us = [_random_like(rng, x) for x in leaves]
    out = f(*args)
    out_leaves = _leaves(out)
    if not any(_inexact(o) for o in out_leaves):
        raise GradCheckError(f"check_grad cannot check {label}: f has no floating-point output "
                             f"(its outputs have dtypes {[str(_dtype(o)) for o in out_leaves]}).")
    vs = [_random_like(rng, o) for o in out_leaves]
    # Low precision: a float32 / complex64 output here, or at a lower order (the
    # derivatives of a float32 computation carry its rounding whatever their dtype).
    low = low or any(_low_precision(o) for o in out_leaves)
    rtol = (2e-3 if low else 1e-6) if rtol is None else rtol
    atol = (1e-4 if low else 1e-8) if atol is None else atol

    x64 = [_wide(x) for x in leaves]
    u64 = [_wide(u) for u in us]
    num, why = _numeric(f, args, x64, u64, vs, out_leaves, step)
    if num is None:
        return why
    est, err = num

    results, norms = _projections(f, args, out, out_leaves, us, vs, modes, label, first)
    norms.append(abs(est))
    scale = max(norms)
    nominal = atol + rtol * scale
    nums = ", ".join(f"{m} {float(val)!r}" for m, val in results.items())
    finite = all(np.isfinite(val) for val in results.values())
    if finite and err > _NOISE * nominal:
        return (f"the numeric error estimate {err:.2g} is too large to check against "
                f"(<v, J u> by {nums}, numeric {est!r})")
    tol = nominal + 2 * err
    bad = [m for m, val in results.items() if not abs(val - est) <= tol]
    if bad:
        raise GradCheckError(
            f"check_grad failed for {label}: input shapes {_shapes(args)}, output shapes "
            f"{_shapes(out)}; <v, J u> by {nums}, numeric {est!r} (error estimate "
            f"{err:.2g}); tolerance {tol:.2g}. The {' and '.join(bad)}-mode "
            "derivative rule is wrong (or the function is not differentiable here).")
    return None


def _check_once(f, args, rng, modes, rtol, atol, step, label, move, low):
    reasons = []
    for k, factor in enumerate(_STEP_FACTORS):
        why = _attempt(f, args, rng, modes, rtol, atol, step * factor, label, k == 0, low)
        if why is None:
            return
        reasons.append(f"step {step * factor:g}: {why}")
    if move:
        leaves = [_as_inexact(x) for x in _leaves(args)]
        for dist in _MOVES:
            moved = [x + (dist * (1 + np.abs(x)) * _random_like(rng, x)).astype(_dtype(x))
                     for x in leaves]
            why = _attempt(f, _rebuild(args, iter(moved)), rng, modes, rtol, atol, step,
                           f"{label} at a point moved by {dist:g} (relative)", True, low)
            if why is None:
                return
            reasons.append(f"moved by {dist:g}: {why}")
    raise GradCheckError(
        f"check_grad could not check {label}: input shapes {_shapes(args)}; the numeric "
        f"derivative gave no usable number in {len(reasons)} attempts ("
        + "; ".join(reasons[:2]) + (f"; ... last: {reasons[-1]}" if len(reasons) > 2 else "")
        + "). This is not a pass: check at a point where f is differentiable "
        "(or pass move=True to let the checker look nearby).")


def check_grad(f, *args, order=1, modes=("fwd", "rev"), rtol=None, atol=None, rng=None,
               step=0.05, move=True):
    """Check the derivatives of `f` at `args` against numeric differentiation.

    For random directions ``u`` (inputs) and ``v`` (outputs) it compares
    ``<v, J u>`` computed by forward mode (`dfdx.jvp`), by reverse mode
    (`dfdx.vjp`) and numerically (`dfdx.numeric.derivative` of
    ``t -> <v, f(x + t u)>``, in double precision), with the real inner product
    ``Re sum(conj(v) * w)``; complex arguments get complex directions. With
    ``order=2`` it also checks the derivatives of ``x -> J(x)^T v`` and
    ``x -> J(x) u`` the same way (all four mode pairs); ``order=n`` recurses
    likewise. It also requires the traced value to equal NumPy's (same dtype,
    same numbers) and every tangent and cotangent to keep the dtype of its value.

    Where the numeric derivative is unusable (NaN, an infinite or too large
    error estimate) other steps and directions are tried, then nearby points
    (unless ``move=False``); if none works, the check fails: it never passes
    without comparing.

    At a kink of f (some branch -- abs, max, sort, a comparison -- depends on
    the side from which ``x + t u`` approaches x) the exact one-sided
    derivatives along u (the directional rule of ``dfdx.derivative(f,
    side=...)``) are checked against one-sided differences too, and a failure
    there reports them instead of the convention of the default transforms.

    Args:
        f: a function of NumPy values; every positional argument (an array,
            a scalar or a pytree of them; real or complex) is differentiated.
            Outputs may be pytrees; integer and boolean outputs are ignored.
        *args: the point.
        order: how many orders of derivatives to check (1, 2, ...).
        modes: which AD modes to check: ``"fwd"``, ``"rev"`` or both.
        rtol, atol: tolerances on ``<v, J u>`` relative to its scale; default
            1e-6 / 1e-8, or 2e-3 / 1e-4 when an output is float32 / complex64.
        rng: a seed or `numpy.random.Generator` for the directions (default 0:
            the check is reproducible).
        step: the largest finite-difference step along ``u``.
        move: whether the check may move to a nearby point where the numeric
            side cannot be evaluated at `args`; False at special points, which
            must be checked exactly there.

    Returns:
        None when every check passes.

    Raises:
        GradCheckError: (an AssertionError) naming the function, the order,
            the shapes and the three numbers: forward, reverse and numeric; or
            saying the check could not run.

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
    modes, rng = _check_options(f, order, modes, rng)
    try:
        _check_order(f, args, int(order), modes, rtol, atol, rng, step, _name(f), 1, move, False)
    except GradCheckError as e:
        kink = _kink(f, args, rng, rtol, atol, step, _name(f), check=True)
        if kink:
            raise GradCheckError(f"{e} {kink}") from None
        raise
    _kink(f, args, rng, rtol, atol, step, _name(f), check=True)


def _check_options(f, order, modes, rng):
    """check_grad's options checked: the modes as a tuple, and the generator of directions."""
    if not callable(f):
        raise TypeError(f"check_grad needs a function, but got {type(f).__name__}.")
    if not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"check_grad: order must be an integer >= 1, not {order!r}.")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or set(modes) - {"fwd", "rev"}:
        raise ValueError(f"check_grad: modes must be 'fwd', 'rev' or both, not {modes!r}.")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else rng)
    return modes, rng


def _kink(f, args, rng, rtol, atol, step, name, check=True):
    """At a kink of f along a random direction u: the one-sided picture, checked.

    ``phi(t) = <v, f(x + t u)>`` is traced with the directional rule of
    `dfdx.derivative(side=...)`; where some branch of f depends on the side of
    approach (`at_kink`), its exact one-sided derivatives must match one-sided
    differences (with ``check``: else GradCheckError, the directional rule is wrong).
    Returns a sentence describing the kink for a failure message, or "" at a point
    where f has no kink along u (or the directional rule cannot trace f: complex
    values, a primitive it does not know -- the normal check still ran).
    """
    leaves = [_as_inexact(x) for x in _leaves(args)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = _leaves(f(*_rebuild(args, iter(leaves))))
    if any(_dtype(x).kind == "c" for x in leaves + outs) or not leaves:
        return ""
    us = [_random_like(rng, x) for x in leaves]
    vs = [_random_like(rng, o) for o in outs]

    def phi(t):
        shifted = _rebuild(args, iter(x + t * u for x, u in zip(leaves, us)))
        y = _leaves(f(*shifted))
        return sum(np.sum(v * o) for v, o, o0 in zip(vs, y, outs) if _inexact(o0))

    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = differentiable(phi, 0.0)
    except DfdxError:
        return ""
    if not r.kink:
        return ""
    left, right = float(r.left), float(r.right)
    if check:
        low = any(_low_precision(o) for o in outs)
        rt = (2e-3 if low else 1e-6) if rtol is None else rtol
        at = (1e-4 if low else 1e-8) if atol is None else atol
        x64, u64 = [_wide(x) for x in leaves], [_wide(u) for u in us]
        for side, method, exact in (("right", "forward", right), ("left", "backward", left)):
            num, _ = _numeric(f, args, x64, u64, vs, outs, step, method=method)
            if num is None or not np.isfinite(exact):
                continue        # one side undefined or not measurable: nothing to compare
            est, err = num
            tol = at + rt * max(abs(est), abs(exact)) + 2 * err
            if not abs(exact - est) <= tol:
                raise GradCheckError(
                    f"check_grad failed for {name} (order 1, at a kink): along a random "
                    f"direction the exact {side}-sided derivative (the directional rule of "
                    f"dfdx.derivative(side=...)) is {exact!r}, but one-sided differences "
                    f"give {est!r} (error estimate {err:.2g}); tolerance {tol:.2g}. The "
                    "one-sided rule of a kink in f is wrong.")
    verdict = ("f is differentiable there nevertheless" if r.differentiable
               else "f is not differentiable there")
    checked = " (both match one-sided differences)" if check else ""
    return (f"Note: this point is a kink of f: along a random direction the exact one-sided "
            f"derivatives are left {left!r} and right {right!r}{checked}: {verdict}; the default "
            "transforms give the convention at each kink (the mean of its one-sided "
            "derivatives), which does not survive composition. Check at a smooth point, or "
            "use dfdx.derivative(f, side='+'/'-') and dfdx.differentiable(f, x).")


def _check_order(f, args, order, modes, rtol, atol, rng, step, name, k, move, low):
    _check_once(f, args, rng, modes, rtol, atol, step, f"{name} (order {k})", move, low)
    if order == 1:
        return
    leaves = [_as_inexact(x) for x in _leaves(args)]
    args = _rebuild(args, iter(leaves))
    us = _rebuild(args, iter(_random_like(rng, x) for x in leaves))
    out = f(*args)
    low = low or any(_low_precision(o) for o in _leaves(out))
    vs = _rebuild(out, iter(_random_like(rng, o) for o in _leaves(out)))
    if "rev" in modes:
        def reverse(*xs):
            return vjp(f, *xs)[1](vs)
        _check_order(reverse, args, order - 1, modes, rtol, atol, rng, step,
                     f"{name}: reverse-mode derivative", k + 1, move, low)
    if "fwd" in modes:
        def forward(*xs):
            return jvp(f, xs, tuple(us))[1]
        _check_order(forward, args, order - 1, modes, rtol, atol, rng, step,
                     f"{name}: forward-mode derivative", k + 1, move, low)
