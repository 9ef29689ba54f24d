"""scipy.signal for traced code: ``from dfdx import signal`` in place of ``from scipy import signal``.

`convolve` and `correlate` with SciPy's signatures, defaults and values (N-d;
modes 'full', 'same', 'valid'; `method` passed to SciPy), differentiable in both
arguments at every order, on plain arrays as well.

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import signal
    >>> kernel = np.array([0.25, 0.5, 0.25])
    >>> dfdx.grad(lambda x: np.sum(signal.convolve(x, kernel, mode="same") ** 2))(np.ones(3))
    array([1.25, 1.75, 1.25])
"""

from dfdx.rules.scipy_signal import convolve, correlate

__all__ = ["convolve", "correlate"]
