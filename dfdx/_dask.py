"""Dask values in the transforms: lazy results computed once, gradients in their input's chunks.

The engine needs nothing special for Dask: a Dask array is a duck array (NEP 13/18),
so the rules' ``np.*`` calls on box values build Dask's own graph, chunk by chunk,
and its reductions are tree-reduced by Dask. What this module adds is what happens
to the results (`finishing`):

- ``lazy=None`` (the default): results come back in the type of the arguments. When
  no differentiated argument is a Dask array (NumPy parameters, Dask data), the
  value, the gradients and the aux are computed in one ``dask.compute`` (the forward
  graph they share runs once) and come back as NumPy; when one is, nothing is
  computed and each gradient of a Dask argument is a Dask array with its chunks.
- ``lazy=True``: every Dask result stays lazy (gradients of Dask arguments in
  their chunks); compute them with ``dask.compute``.
- ``lazy=False``: everything is computed.

Dask is imported only when a Dask value is met; `require` raises an ImportError
naming the extra (``pip install "dfdx[dask]"``) where it is missing.
"""

from __future__ import annotations

import functools

import numpy as np

from dfdx._tree import tree_flatten, tree_unflatten

__all__ = ["require", "is_lazy", "finishing"]

_PLAIN = frozenset({np.ndarray, np.float64, np.float32, np.complex128, np.complex64, float,
                    complex})


def require(who="this"):
    """Import dask (and dask.array); an ImportError naming the extra when missing."""
    try:
        import dask
        import dask.array  # noqa: F401
    except ImportError:
        raise ImportError(f"{who} needs Dask, which is not installed. Install the extra with: "
                          'pip install "dfdx[dask]"') from None
    return dask


def is_lazy(x):
    """Whether `x` is a Dask collection (a lazy value): the Dask collection protocol."""
    return hasattr(x, "__dask_graph__")


def finishing(value_and_grad_f, argnums, lazy):
    """Wrap a value_and_grad function so that its Dask results follow `lazy` (module doc)."""
    if lazy not in (None, True, False):
        raise ValueError(f"lazy must be None, True or False, got {lazy!r}.")

    @functools.wraps(value_and_grad_f)
    def finished(*args, **kwargs):
        out = value_and_grad_f(*args, **kwargs)
        if type(out[0]) in _PLAIN and type(out[1]) in _PLAIN:   # the NumPy hot path
            return out
        return _finish(out, args, argnums, lazy)

    return finished


def _finish(out, args, argnums, lazy):
    leaves, td = tree_flatten(out)
    if not any(is_lazy(v) for v in leaves):
        return out
    dask = require("dfdx.grad of a Dask value")
    value, grads = out
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    inputs = [x for i in nums for x in tree_flatten(args[i])[0]]
    gl, gtd = tree_flatten(grads if isinstance(argnums, int) else tuple(grads))
    if lazy is None:
        lazy = any(is_lazy(x) for x in inputs)
    if lazy:
        gl = [_in_chunks(g, x) if is_lazy(x) else g for g, x in zip(gl, inputs)]
        grads = tree_unflatten(gtd, gl)
        return value, (grads if isinstance(argnums, int) else tuple(grads))
    return tree_unflatten(td, list(dask.compute(*leaves)))


def _in_chunks(g, x):
    """The gradient `g` of Dask input `x` as a Dask array in x's chunks."""
    import dask.array as da
    if not is_lazy(g):
        return da.from_array(np.broadcast_to(g, x.shape), chunks=x.chunks)
    return g if g.chunks == x.chunks else g.rechunk(x.chunks)
