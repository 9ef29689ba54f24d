"""What the rule modules share: the one rules module the others may import.

A rule module imports dfdx._core, dfdx._errors, dfdx._numpy, numpy, scipy and this
module, never another rule module. A rule that needs another family's primitive which
is a NumPy function calls the NumPy function (np.reshape, np.sum, np.matmul, ...): on
plain values that is plain NumPy, on traced ones NumPy's dispatch (NEP 13/18) reaches
the registered primitive. What is here: axis helpers; value and dtype helpers; and the
traced primitives several families use that are not NumPy functions: `untake` (the
scatter-add adjoint of indexing) and SciPy's eigh and svd (SciPy's values; their
rules, numpy.linalg's, are attached in dfdx.rules.linalg).
"""

import numpy as np

from dfdx._core import Box
from dfdx._numpy.box import _astype, getval
from dfdx._numpy.registry import defrule, shape_of


# --- axes ----------------------------------------------------------------

def norm_axis(axis, ndim):
    """The reduced axes as a sorted tuple of non-negative ints (None: all of them)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis))
    return (axis % ndim,)


def shift_axes(axis, ndim):
    """Axis argument for a batched tangent: the same axes, one further right."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim + 1 for a in axis)
    return axis % ndim + 1


# --- values and dtypes ---------------------------------------------------

def as_array(x):
    """A traced value as it is; anything else as NumPy reads it (np.asanyarray)."""
    return x if isinstance(x, Box) else np.asanyarray(x)


def cast_to(x, dt):
    """`x` cast to the dtype `dt` (as NumPy's assignment into an array of `dt` casts it)."""
    if isinstance(x, Box):
        return x if np.result_type(getval(x)) == dt else _astype(x, dt)
    return np.asarray(x, dtype=dt)


def cast_like(c, x):
    """`c` in the dtype of `x` (a cotangent in its argument's; complex stays complex)."""
    dt = getattr(x, "dtype", None)
    if c is None or dt is None or dt.kind not in "fc" or c.dtype == dt:
        return c
    if c.dtype.kind == "c" and dt.kind == "f":
        dt = np.result_type(dt, np.complex64)
    return c if c.dtype == dt else c.astype(dt)


# --- scatter-add, the adjoint of indexing (batched rules shared with x[key]) ---

def _batched_shape(t, shape_or_ans):
    """The shape of a batched tangent: the batch axis of `t`, then the given shape."""
    shape = shape_or_ans if isinstance(shape_or_ans, tuple) else shape_of(shape_or_ans)
    return (shape_of(t)[0],) + tuple(shape)


def _is_advanced(k):
    return not (k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)))


def _split_advanced(keys):
    """Whether NumPy moves the advanced-index axes of `keys` to the front, and their rank."""
    arrays = [k for k in keys if _is_advanced(k)]
    if not arrays:
        return False, 0
    # why: next to an array, an integer is an advanced index too (X[0, :, [0, 1]]).
    pos = [i for i, k in enumerate(keys) if _is_advanced(k) or isinstance(k, (int, np.integer))]
    shapes = []
    for k in arrays:
        k = np.asarray(getval(k))
        shapes.append((int(np.count_nonzero(k)),) if k.dtype == bool else k.shape)
    separated = pos[-1] - pos[0] + 1 != len(pos)
    return separated, len(np.broadcast_shapes(*shapes))


def _batched_key(key):
    """Index for a batched value: the batch axis first, then `key`; and, when NumPy moves
    the advanced-index axes of `key` to the front, their rank (else 0)."""
    keys = key if isinstance(key, tuple) else (key,)
    separated, rank = _split_advanced(keys)
    return (slice(None),) + keys, (rank if separated else 0)


def _getitem_bjvp(t, ans, x, key):
    bkey, moved = _batched_key(key)
    r = t[bkey]
    # why: with separated advanced indices NumPy puts their axes first, before the batch axis.
    return np.moveaxis(r, moved, 0) if moved else r


def _untake_bjvp(t, ans, x, key, shape):
    bkey, moved = _batched_key(key)
    if moved:
        t = np.moveaxis(t, 0, moved)
    return untake(t, bkey, _batched_shape(t if not moved else _BatchLead(t, moved), tuple(shape)))


class _BatchLead:
    """The batch size of a tangent whose batch axis sits at position `i`."""

    def __init__(self, t, i):
        self.shape = (shape_of(t)[i],)


def _untake(g, key, shape):
    """The adjoint of x[key]: a zero array of `shape` with `g` added at `key`."""
    out = np.zeros_like(g, shape=shape)   # why: in g's own namespace (Dask, CuPy)
    if _is_basic(key):
        out[key] = g
    else:
        np.add.at(out, key, g)   # why: repeated fancy indices must accumulate
    return out


def _is_basic(key):
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) for k in keys)


untake = defrule(
    _untake,
    vjp=(lambda g, ans, x, key, shape: g[key], None, None),
    jvp=(lambda t, ans, x, key, shape: untake(t, key, shape), None, None),
    # why: batched rules: the generated form costs 1.18x / 1.21x (jacfwd / jacrev,
    #  benchmarks/RESULTS-batching.md)
    bjvp=(_untake_bjvp, None, None),
    bvjp=(lambda g, ans, x, key, shape: _getitem_bjvp(g, None, None, key), None, None),
    name="scatter-add (the adjoint of indexing)")


# --- SciPy's eigh and svd: SciPy's values (their rules: dfdx.rules.linalg) ----

def _scipy_eigh(a, UPLO="L", driver=None):
    import scipy.linalg   # why: on first use only (importing it costs start-up time)
    w, v = scipy.linalg.eigh(a, lower=UPLO.upper() == "L", driver=driver)
    return w, v


def _scipy_svd(a, lapack_driver="gesdd"):
    import scipy.linalg
    return tuple(scipy.linalg.svd(a, full_matrices=False, lapack_driver=lapack_driver))


scipy_eigh = defrule(_scipy_eigh, multiple_results=True, name="scipy.linalg.eigh")
scipy_svd = defrule(_scipy_svd, multiple_results=True, name="scipy.linalg.svd")
