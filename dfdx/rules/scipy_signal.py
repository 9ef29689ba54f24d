"""scipy.signal.convolve and correlate (N-d, modes full / same / valid), and scipy.integrate.trapezoid.

SciPy converts their arguments with ``np.asarray``; these have SciPy's
signatures, defaults and values (`dfdx.signal`, `dfdx.integrate` are the public
faces). convolve is one bilinear primitive whose rules are convolutions again
(so every order is exact): forward, the convolution of each tangent with the
other argument; reverse, the full convolution of the cotangent with the other
argument flipped, cut to the argument's shape. correlate is convolve with
`in2` flipped (and conjugated), as SciPy defines it; trapezoid is SciPy's
formula written with NumPy.
"""

import numpy as np
import scipy.integrate as si
import scipy.signal as ss

from dfdx._numpy.registry import defcomposite, defrule, shape_of

__all__ = ["convolve", "correlate", "trapezoid"]


def _convolve(in1, in2, mode="full", method="auto"):
    return ss.convolve(in1, in2, mode=mode, method=method)


def _adjoint(g, other, own, mode, method):
    """The cotangent of one argument (shape `own`) of convolve(., other, mode)."""
    full = [a + b - 1 for a, b in zip(own, shape_of(other))]
    # the output of `mode` starts at s = (full - out) // 2 inside the full convolution
    # (SciPy's centring); the argument's part of the full adjoint starts at m - 1 - s
    starts = [m - 1 - (f - o) // 2 for m, f, o in zip(shape_of(other), full, shape_of(g))]
    c = conv(g, np.flip(other), mode="full", method=method)
    # where the argument's part reaches past the full adjoint, that part is zero
    pads = [(max(0, -s), max(0, s + n - k)) for s, n, k in zip(starts, own, shape_of(c))]
    if any(p != (0, 0) for p in pads):
        c = np.pad(c, pads)
        starts = [s + p[0] for s, p in zip(starts, pads)]
    return c[tuple(slice(s, s + n) for s, n in zip(starts, own))]


conv = defrule(
    ss.convolve,
    vjp=(lambda g, ans, x, y, mode="full", method="auto": _adjoint(g, y, shape_of(x), mode, method),
         lambda g, ans, x, y, mode="full", method="auto": _adjoint(g, x, shape_of(y), mode, method)),
    jvp=(lambda t, ans, x, y, **kw: conv(t, y, **kw), lambda t, ans, x, y, **kw: conv(x, t, **kw)),
    impl=_convolve, name="scipy.signal.convolve")


def _check(name, in1, in2, mode):
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{name}: acceptable mode flags are 'valid', 'same', or 'full', "
                         f"got {mode!r}")
    if len(shape_of(in1)) != len(shape_of(in2)):
        raise ValueError(f"{name}: in1 and in2 should have the same dimensionality "
                         f"({len(shape_of(in1))} and {len(shape_of(in2))})")


def _array(x):
    return x if hasattr(x, "shape") else np.asarray(x)


def convolve(in1, in2, mode="full", method="auto"):
    """Convolve two N-dimensional arrays (traceable `scipy.signal.convolve`).

    Args:
        in1, in2: arrays of the same number of dimensions.
        mode: 'full' (default), 'same' (the size of `in1`, centred) or 'valid'.
        method: 'auto', 'direct' or 'fft', passed to SciPy (speed, not the value).

    Returns:
        ``scipy.signal.convolve(in1, in2, mode, method)``, differentiable in both.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import signal
        >>> signal.convolve(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
        array([1., 3., 2.])
        >>> dfdx.grad(lambda k: signal.convolve(np.array([1.0, 2.0]), k, "valid")[0])(np.ones(2))
        array([2., 1.])
    """
    in1, in2 = _array(in1), _array(in2)
    _check("scipy.signal.convolve", in1, in2, mode)
    if not shape_of(in1):
        return in1 * in2
    return conv(in1, in2, mode=mode, method=method)


def correlate(in1, in2, mode="full", method="auto"):
    """Cross-correlate two N-dimensional arrays (traceable `scipy.signal.correlate`).

    SciPy's definition: ``convolve(in1, in2 flipped on every axis and conjugated, mode)``.

    Example:
        >>> import numpy as np
        >>> from dfdx import signal
        >>> signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0]), "valid")
        array([2., 3.])
    """
    in1, in2 = _array(in1), _array(in2)
    _check("scipy.signal.correlate", in1, in2, mode)
    if not shape_of(in1):
        return in1 * np.conjugate(in2) if np.iscomplexobj(in2) else in1 * in2
    rev = np.flip(in2)
    if np.result_type(in2).kind == "c":
        rev = np.conjugate(rev)
    return conv(in1, rev, mode=mode, method=method)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integrate `y` along `axis` by the trapezoidal rule (traceable `scipy.integrate.trapezoid`).

    Args:
        y: the samples.
        x: the sample points: 1-D (along `axis`) or of `y`'s shape; None: spacing `dx`.
        dx: the spacing when `x` is None.
        axis: the axis to integrate along.

    Returns:
        ``scipy.integrate.trapezoid(y, x, dx, axis)``, differentiable in `y`, `x` and `dx`.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx import integrate
        >>> float(integrate.trapezoid(np.array([1.0, 2.0, 3.0]), dx=0.5))
        2.0
        >>> dfdx.grad(integrate.trapezoid)(np.ones(3))
        array([0.5, 1. , 0.5])
    """
    y = _array(y)
    nd = len(shape_of(y))
    axis = axis % nd
    hi = tuple(slice(1, None) if i == axis else slice(None) for i in range(nd))
    lo = tuple(slice(None, -1) if i == axis else slice(None) for i in range(nd))
    if x is None:
        d = dx
    else:
        x = _array(x)
        if len(shape_of(x)) == 1:
            d = x[1:] - x[:-1]
            d = np.reshape(d, tuple(-1 if i == axis else 1 for i in range(nd)))
        else:
            d = x[hi] - x[lo]
    return np.sum(d * (y[hi] + y[lo]) / 2.0, axis=axis)


defcomposite(ss.correlate, correlate)
defcomposite(si.trapezoid, trapezoid)
