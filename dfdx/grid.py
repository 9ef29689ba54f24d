"""Derivatives of sampled data on uniform and non-uniform grids, in any dimension.

`derivative` differentiates along one axis (any order, accuracy order 1..8,
one-sided stencils at the edges of the same accuracy), `partial` takes mixed
partials, and `gradient` returns one array per axis — the correct form of the
common mistake ``np.gradient(f(x, y), x, y)``.

The pitfall: with 1-D ``x`` and ``y``, ``f(x, y)`` pairs ``x[i]`` with
``y[i]`` (a curve, not a surface), so there is nothing to take partial
derivatives of. Sample f on a grid first, with ``indexing="ij"`` so that axis 0
runs along x and axis 1 along y::

    X, Y = np.meshgrid(x, y, indexing="ij")      # shape (len(x), len(y))
    fx, fy = dfdx.grid.gradient(f(X, Y), x, y)

(NumPy's default ``indexing="xy"`` swaps the axes: axis 0 would run along y.)

Example:
    >>> import numpy as np
    >>> x = np.linspace(-5, 5, 101); y = np.linspace(-5, 5, 81)
    >>> X, Y = np.meshgrid(x, y, indexing="ij")
    >>> fx, fy = gradient(X**2 + 3*Y, x, y)
    >>> bool(np.allclose(fx, 2*X)), bool(np.allclose(fy, 3.0))
    (True, True)
"""

from __future__ import annotations

import math

import numpy as np

from dfdx.numeric._stencils import batched_weights

__all__ = ["derivative", "partial", "gradient"]


def _check_values(values, who):
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"dfdx.grid.{who} needs an array of numbers, got {type(values).__name__}.") from None
    if v.ndim == 0:
        raise ValueError(f"dfdx.grid.{who} needs sampled values (an array with at least one axis), "
                         "got a scalar. To differentiate a function use dfdx.numeric.derivative.")
    return v


def _coords(c, npts, axis, who):
    """Return (coordinates, uniform) for one axis; `c` is a 1-D array or a spacing."""
    if c is None:
        c = 1.0
    ca = np.asarray(c, dtype=float)
    if ca.ndim == 0:
        h = float(ca)
        if not (math.isfinite(h) and h != 0):
            raise ValueError(f"dfdx.grid.{who}: the spacing along axis {axis} must be a finite non-zero "
                             f"number, got {c!r}.")
        return h * np.arange(npts), True
    if ca.ndim != 1:
        raise ValueError(
            f"dfdx.grid.{who}: coordinates along axis {axis} must be 1-D (got shape {ca.shape}). Pass "
            "the 1-D x and y you built the grid from, not the meshgrid arrays X and Y.")
    if ca.size != npts:
        raise ValueError(
            f"dfdx.grid.{who}: axis {axis} has {npts} samples but its coordinates have {ca.size}. If the "
            "values come from np.meshgrid(x, y), use indexing='ij' so axis 0 runs along x "
            "(the default 'xy' puts y first).")
    if not np.all(np.isfinite(ca)):
        raise ValueError(f"dfdx.grid.{who}: coordinates along axis {axis} contain NaN or inf.")
    d = np.diff(ca)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise ValueError(f"dfdx.grid.{who}: coordinates along axis {axis} must be strictly increasing "
                         "or strictly decreasing (no repeats).")
    uniform = bool(np.allclose(d, d[0], rtol=1e-12, atol=0))
    return ca, uniform


def _stencil_plan(x: np.ndarray, uniform: bool, n: int, accuracy: int):
    """Window start and weights for every sample: (starts (N,), weights (N, m) padded)."""
    N = x.size
    m_edge = n + accuracy
    if uniform:
        # why: on a uniform grid a centred stencil gains an order by symmetry
        m_in = max(2 * ((n + 1) // 2) - 1 + accuracy, n + 1)
    else:
        m_in = m_edge
    m = max(m_in, m_edge)
    if N < m:
        raise ValueError(f"{N} samples are too few for derivative order {n} at accuracy {accuracy}: "
                         f"a stencil needs {m}. Lower `accuracy` or sample more points.")
    i = np.arange(N)
    half = (m_in - 1) // 2
    starts_in = np.clip(i - half, 0, N - m_in)
    interior = (i - half >= 0) & (i - half + m_in <= N)
    starts = np.where(interior, starts_in, np.clip(i - (m_edge - 1) // 2, 0, N - m_edge))
    sizes = np.where(interior, m_in, m_edge)
    W = np.zeros((N, m))
    for size in np.unique(sizes):
        rows = np.nonzero(sizes == size)[0]
        idx = starts[rows, None] + np.arange(size)[None, :]
        offs = x[idx] - x[rows, None]
        if uniform:
            # same pattern for rows with the same relative position: solve once per pattern
            rel = idx - rows[:, None]
            keys, inv = np.unique(rel, axis=0, return_inverse=True)
            inv = np.asarray(inv).reshape(-1)
            h = x[1] - x[0]
            wk = batched_weights(keys.astype(float) * h, n)
            W[rows, :size] = wk[inv]
        else:
            # chunks bound the (rows, size, size) systems solved at once
            for c in range(0, rows.size, 65536):
                W[rows[c:c + 65536], :size] = batched_weights(offs[c:c + 65536], n)
    return starts, W


def derivative(values, coords=None, *, axis=0, n=1, accuracy=2):
    """Differentiate sampled values along one axis (uniform or non-uniform grid).

    Interior points use centred stencils, the edges one-sided ones of the same
    accuracy order, so a polynomial of degree <= n + accuracy - 1 is
    differentiated exactly (up to rounding) everywhere, edges included.

    Args:
        values: array of samples, any number of dimensions.
        coords: the 1-D coordinates along `axis` (length ``values.shape[axis]``),
            or a scalar spacing; default spacing 1.
        axis: the axis to differentiate along.
        n: derivative order (>= 0).
        accuracy: order of accuracy of the stencils, 1..8.

    Returns:
        Array shaped like `values`.

    Raises:
        ValueError: shapes or coordinates do not fit, n < 0, accuracy out of range.

    Example:
        >>> import numpy as np
        >>> x = np.linspace(-5, 5, 100)
        >>> d1 = derivative(2*x**2 + 3*x + 1, x)            # 4x + 3, exact
        >>> d2 = derivative(2*x**2 + 3*x + 1, x, n=2)       # 4, exact
        >>> bool(np.allclose(d1, 4*x + 3)), bool(np.allclose(d2, 4.0))
        (True, True)
    """
    v = _check_values(values, "derivative")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"dfdx.grid.derivative: the derivative order n must be an integer >= 0, got {n!r}.")
    if isinstance(accuracy, bool) or not isinstance(accuracy, (int, np.integer)) or not 1 <= accuracy <= 8:
        raise ValueError(f"dfdx.grid.derivative: accuracy must be an integer from 1 to 8, got {accuracy!r}.")
    if not -v.ndim <= axis < v.ndim:
        raise ValueError(f"dfdx.grid.derivative: axis {axis} is out of range for an array with "
                         f"{v.ndim} dimension(s).")
    axis = axis % v.ndim
    if n == 0:
        return v.copy()
    x, uniform = _coords(coords, v.shape[axis], axis, "derivative")
    starts, W = _stencil_plan(x, uniform, n, accuracy)
    vm = np.moveaxis(v, axis, 0)
    m = W.shape[1]
    idx = np.minimum(starts[:, None] + np.arange(m)[None, :], v.shape[axis] - 1)
    # why: one stencil column at a time keeps memory at the size of the data
    # (gathering all m columns at once would need m copies of it)
    shape = (-1,) + (1,) * (v.ndim - 1)
    out = np.zeros_like(vm)
    for j in range(m):
        out += W[:, j].reshape(shape) * vm[idx[:, j]]
    return np.moveaxis(out, 0, axis)


def partial(values, *coords, order, accuracy=2):
    """Take a (mixed) partial derivative of gridded values.

    Args:
        values: array of samples on a grid, one axis per coordinate (build it with
            ``np.meshgrid(..., indexing="ij")``).
        *coords: one 1-D coordinate array (or spacing) per axis of `values`.
        order: derivative order per axis, e.g. ``(1, 1)`` for d²f/dxdy.
        accuracy: stencil accuracy order, 1..8.

    Returns:
        Array shaped like `values`.

    Example:
        >>> import numpy as np
        >>> x = np.linspace(0, 1, 21); y = np.linspace(0, 2, 31)
        >>> X, Y = np.meshgrid(x, y, indexing="ij")
        >>> fxy = partial(X**2 * Y**3, x, y, order=(1, 1), accuracy=4)
        >>> bool(np.allclose(fxy, 6 * X * Y**2))
        True
    """
    v = _check_values(values, "partial")
    _check_arity(v, coords, "partial")
    order = tuple(order)
    if len(order) != v.ndim:
        raise ValueError(f"dfdx.grid.partial: order needs one entry per axis ({v.ndim}), got {order}.")
    out = v
    for ax, (c, k) in enumerate(zip(coords, order)):
        if k:
            out = derivative(out, c, axis=ax, n=k, accuracy=accuracy)
    return out


def _check_arity(v, coords, who):
    if len(coords) == 0:
        return
    if len(coords) != v.ndim:
        hint = ""
        if v.ndim == 1 and len(coords) > 1:
            hint = (" It looks like f(x, y) was evaluated on 1-D x and y, which pairs x[i] with y[i] "
                    "(a curve, not a grid). Build the grid first: X, Y = np.meshgrid(x, y, "
                    "indexing='ij'), then pass f(X, Y), x, y.")
        raise ValueError(f"dfdx.grid.{who}: values have {v.ndim} axis/axes but {len(coords)} coordinate "
                         f"arrays were given; pass one per axis.{hint}")


def gradient(values, *coords, accuracy=2):
    """Return the first partial derivatives of gridded values, one array per axis.

    Args:
        values: samples on a grid (``np.meshgrid(..., indexing="ij")`` for several axes).
        *coords: one 1-D coordinate array (or scalar spacing) per axis; none means
            spacing 1 everywhere.
        accuracy: stencil accuracy order, 1..8 (default 2, as np.gradient).

    Returns:
        tuple of arrays shaped like `values`, one per axis (a 1-tuple for 1-D data:
        ``(fx,) = gradient(y, x)``).

    Example:
        >>> import numpy as np
        >>> x = np.linspace(-5, 5, 100); y = np.linspace(-5, 5, 100)
        >>> X, Y = np.meshgrid(x, y, indexing="ij")
        >>> F = X**2 + 3*Y + np.exp(X*Y / 25)
        >>> fx, fy = gradient(F, x, y, accuracy=6)
        >>> bool(np.allclose(fx, 2*X + Y/25 * np.exp(X*Y / 25), atol=1e-6))
        True
    """
    v = _check_values(values, "gradient")
    _check_arity(v, coords, "gradient")
    cs = coords if coords else (None,) * v.ndim
    return tuple(derivative(v, c, axis=ax, n=1, accuracy=accuracy) for ax, c in enumerate(cs))
