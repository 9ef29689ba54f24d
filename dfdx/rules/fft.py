"""The discrete Fourier transforms of numpy.fft.

Primitives: the 1-D transforms fft, ifft, rfft, irfft and fftshift/ifftshift,
with ``n=``, ``axis=`` and ``norm=`` honoured. The n-D transforms (fft2, fftn,
rfftn, ... and their inverses) are composed from them exactly as NumPy
computes them, one axis after the other.

Every transform is linear, so its JVP is the transform of the tangent. The VJP
is the transpose (the engine's cotangent convention, see dfdx.rules.ufuncs):
the DFT matrix is symmetric, so the transpose of ``fft`` is ``fft`` with the
same ``norm``, and padding / truncation to ``n`` transposes to truncation /
padding back. ``rfft`` keeps the first ``n//2 + 1`` outputs of a real input;
``irfft`` reads only the real part of its first and (for even n) last
coefficient and counts every other coefficient twice (Hermitian symmetry), so
its transpose is ``ifft`` weighted 1, 2, ..., 2, 1.
"""

import numpy as np

from dfdx._errors import UnsupportedOperation
from dfdx._numpy.registry import defcomposite, defrule, shape_of

_NORMS = (None, "backward", "ortho", "forward")


def _check(name, norm, out):
    if out is not None:
        raise UnsupportedOperation(
            f"dfdx differentiates numpy.fft.{name} without out=. Use the returned value.")
    if norm not in _NORMS:
        raise ValueError(f'numpy.fft.{name}: norm={norm!r} is not one of "backward", "ortho", '
                         '"forward" (or None).')


def _resize(a, n, axis):
    """Truncate or zero-pad `a` to length `n` along `axis` (traceable)."""
    shape = shape_of(a)
    axis = axis % len(shape)
    m = shape[axis]
    if m == n:
        return a
    if m > n:
        index = [slice(None)] * len(shape)
        index[axis] = slice(0, n)
        return a[tuple(index)]
    pad = [(0, 0)] * len(shape)
    pad[axis] = (0, n - m)
    return np.pad(a, pad)


def _along(c, axis, ndim):
    """Reshape 1-D `c` so it broadcasts along `axis` of an ndim-dimensional array."""
    shape = [1] * ndim
    shape[axis % ndim] = len(c)
    return np.reshape(c, shape)


# --- 1-D transforms: primitives -------------------------------------------------

def _fft_impl(a, n, axis, norm):
    return np.fft.fft(a, n, axis, norm)


def _ifft_impl(a, n, axis, norm):
    return np.fft.ifft(a, n, axis, norm)


def _rfft_impl(a, n, axis, norm):
    return np.fft.rfft(a, n, axis, norm)


def _irfft_impl(a, n, axis, norm):
    return np.fft.irfft(a, n, axis, norm)


_fft = defrule(
    _fft_impl,
    vjp=lambda g, ans, a, n, axis, norm: _resize(_fft(g, None, axis, norm),
                                                 shape_of(a)[axis], axis),
    jvp=lambda t, ans, a, n, axis, norm: _fft(t, n, axis, norm),
    name="numpy.fft.fft")

_ifft = defrule(
    _ifft_impl,
    vjp=lambda g, ans, a, n, axis, norm: _resize(_ifft(g, None, axis, norm),
                                                 shape_of(a)[axis], axis),
    jvp=lambda t, ans, a, n, axis, norm: _ifft(t, n, axis, norm),
    name="numpy.fft.ifft")


def _rfft_vjp(g, ans, a, n, axis, norm):
    length = shape_of(a)[axis]
    n = length if n is None else n
    full = _fft(_resize(g, n, axis), None, axis, norm)   # the rest of the spectrum is zero
    return _resize(np.real(full), length, axis)


_rfft = defrule(
    _rfft_impl, vjp=_rfft_vjp,
    jvp=lambda t, ans, a, n, axis, norm: _rfft(t, n, axis, norm),
    name="numpy.fft.rfft")


def _irfft_vjp(g, ans, a, n, axis, norm):
    m = shape_of(a)[axis]
    n = 2 * (m - 1) if n is None else n
    k = n // 2 + 1
    h = _resize(_ifft(np.real(g), None, axis, norm), k, axis)
    weight = np.full(k, 2.0, dtype=np.finfo(h.dtype).dtype)   # float32 stays float32
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0   # the Nyquist coefficient is read once, like the mean
    return _resize(h * _along(weight, axis, len(shape_of(g))), m, axis)


_irfft = defrule(
    _irfft_impl, vjp=_irfft_vjp,
    jvp=lambda t, ans, a, n, axis, norm: _irfft(t, n, axis, norm),
    name="numpy.fft.irfft")


def _input(a, name):
    if isinstance(a, (list, tuple)):
        return np.asarray(a)
    return a


def fft(a, n=None, axis=-1, norm=None, out=None):
    _check("fft", norm, out)
    return _fft(_input(a, "fft"), n, axis, norm)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    _check("ifft", norm, out)
    return _ifft(_input(a, "ifft"), n, axis, norm)


def rfft(a, n=None, axis=-1, norm=None, out=None):
    _check("rfft", norm, out)
    return _rfft(_input(a, "rfft"), n, axis, norm)


def irfft(a, n=None, axis=-1, norm=None, out=None):
    _check("irfft", norm, out)
    return _irfft(_input(a, "irfft"), n, axis, norm)


# --- n-D transforms: one axis after the other, as NumPy computes them ------------

def _cook(a, s, axes, invreal=False):
    shape = shape_of(a)
    shapeless = s is None
    if s is None:
        s = list(shape) if axes is None else [shape[ax] for ax in axes]
    s = list(s)
    axes = list(range(-len(s), 0)) if axes is None else list(axes)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if invreal and shapeless:
        s[-1] = (shape[axes[-1]] - 1) * 2
    s = [shape[ax] if (n is None or n == -1) else n for n, ax in zip(s, axes)]
    return s, axes


def fftn(a, s=None, axes=None, norm=None, out=None):
    _check("fftn", norm, out)
    a = _input(a, "fftn")
    s, axes = _cook(a, s, axes)
    for ii in reversed(range(len(axes))):
        a = _fft(a, s[ii], axes[ii], norm)
    return a


def ifftn(a, s=None, axes=None, norm=None, out=None):
    _check("ifftn", norm, out)
    a = _input(a, "ifftn")
    s, axes = _cook(a, s, axes)
    for ii in reversed(range(len(axes))):
        a = _ifft(a, s[ii], axes[ii], norm)
    return a


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return fftn(a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return ifftn(a, s, axes, norm, out)


def rfftn(a, s=None, axes=None, norm=None, out=None):
    _check("rfftn", norm, out)
    a = _input(a, "rfftn")
    s, axes = _cook(a, s, axes)
    a = _rfft(a, s[-1], axes[-1], norm)
    for ii in range(len(axes) - 2, -1, -1):
        a = _fft(a, s[ii], axes[ii], norm)
    return a


def irfftn(a, s=None, axes=None, norm=None, out=None):
    _check("irfftn", norm, out)
    a = _input(a, "irfftn")
    s, axes = _cook(a, s, axes, invreal=True)
    for ii in range(len(axes) - 1):
        a = _ifft(a, s[ii], axes[ii], norm)
    return _irfft(a, s[-1], axes[-1], norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return rfftn(a, s, axes, norm, out)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return irfftn(a, s, axes, norm, out)


# --- shifts: permutations, each the transpose of the other -------------------------

def _fftshift_impl(x, axes):
    return np.fft.fftshift(x, axes)


def _ifftshift_impl(x, axes):
    return np.fft.ifftshift(x, axes)


_fftshift = defrule(
    _fftshift_impl,
    vjp=lambda g, ans, x, axes: _ifftshift(g, axes),
    jvp=lambda t, ans, x, axes: _fftshift(t, axes),
    name="numpy.fft.fftshift")
_ifftshift = defrule(
    _ifftshift_impl,
    vjp=lambda g, ans, x, axes: _fftshift(g, axes),
    jvp=lambda t, ans, x, axes: _ifftshift(t, axes),
    name="numpy.fft.ifftshift")


def fftshift(x, axes=None):
    return _fftshift(x, axes)


def ifftshift(x, axes=None):
    return _ifftshift(x, axes)


for _fn, _impl in {np.fft.fft: fft, np.fft.ifft: ifft, np.fft.rfft: rfft, np.fft.irfft: irfft,
                   np.fft.fftn: fftn, np.fft.ifftn: ifftn, np.fft.fft2: fft2,
                   np.fft.ifft2: ifft2, np.fft.rfftn: rfftn, np.fft.irfftn: irfftn,
                   np.fft.rfft2: rfft2, np.fft.irfft2: irfft2, np.fft.fftshift: fftshift,
                   np.fft.ifftshift: ifftshift}.items():
    defcomposite(_fn, _impl)
