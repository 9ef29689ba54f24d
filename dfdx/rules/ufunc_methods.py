"""The methods of a binary ufunc on traced values: ``outer``, ``reduce``, ``accumulate``.

Each is a composition of the ufunc's own call (whose rule is in `ufuncs`), so any binary
ufunc with a rule gets them: ``np.multiply.outer(x, y)``, ``np.logaddexp.reduce(x)``,
``np.maximum.accumulate(x)``. ``np.add``/``np.multiply``/``np.maximum``/``np.minimum``
reductions and the sum/product accumulations go to ``np.sum``, ``np.cumsum``, ... instead
(one primitive, see `dfdx._numpy.box`). ``reduceat`` and ``at`` have no rule.

Reductions and accumulations here fold along the axis, one ufunc call per element of
it, in NumPy's order (``((x0 op x1) op x2) ...``): correct at every order, and linear
in the length of the axis.
"""

from __future__ import annotations

import numpy as np

from dfdx._errors import UnsupportedOperation
from dfdx._numpy.registry import UFUNC_METHODS, callable_name, shape_of

_NO = np._NoValue


def _binary(ufunc, method):
    if ufunc.nin != 2 or ufunc.nout != 1:
        raise UnsupportedOperation(
            f"{callable_name(ufunc)}.{method} needs a ufunc of two inputs and one output.")


def _array(a):
    return np.asarray(a) if isinstance(a, (list, tuple)) or np.isscalar(a) else a


def outer(ufunc, a, b, **kwargs):
    """``ufunc.outer(a, b)``: `ufunc` of every element of `a` with every element of `b`."""
    _binary(ufunc, "outer")
    a, b = _array(a), _array(b)
    return ufunc(np.reshape(a, tuple(shape_of(a)) + (1,) * len(shape_of(b))), b, **kwargs)


def _fold_axis(a, axis):
    """`a` with `axis` moved to the front, and the normalised axis."""
    nd = len(shape_of(a))
    if nd == 0:
        raise ValueError("reduce and accumulate need an array of at least one dimension.")
    axis = int(axis) % nd
    return np.moveaxis(a, axis, 0), axis


def _unsupported_keywords(ufunc, method, dtype, out, where=True):
    if dtype is not None or out is not None or where is not True:
        raise UnsupportedOperation(
            f"{callable_name(ufunc)}.{method} on a traced value takes no dtype=, out= or "
            "where=: cast or select the input first (x.astype(...), np.where).")


def reduce(ufunc, a, axis=0, dtype=None, out=None, keepdims=False, initial=_NO, where=True):
    """``ufunc.reduce(a, axis)``: fold `ufunc` over `axis` (a tuple or None: several axes)."""
    _binary(ufunc, "reduce")
    _unsupported_keywords(ufunc, "reduce", dtype, out, where)
    a = _array(a)
    nd = len(shape_of(a))
    axes = tuple(range(nd)) if axis is None else \
        tuple(sorted({int(ax) % nd for ax in np.atleast_1d(axis)}, reverse=True))
    if len(axes) > 1 and ufunc.identity is None and ufunc not in (np.logaddexp, np.logaddexp2):
        raise UnsupportedOperation(f"{callable_name(ufunc)}.reduce over several axes: NumPy "
                                   "allows it only for reorderable ufuncs.")
    acc = a
    for ax in axes:            # why: from the last axis, so the others keep their numbers
        parts, _ = _fold_axis(acc, ax)
        n = shape_of(parts)[0]
        if n == 0 and initial is _NO:
            if ufunc.identity is None:
                raise ValueError(f"zero-size array to reduction operation {ufunc.__name__} "
                                 "which has no identity")
            acc = np.full(shape_of(parts)[1:], ufunc.identity, dtype=np.result_type(parts))
            continue
        acc = parts[0] if initial is _NO else ufunc(initial, parts[0])
        for i in range(1, n):
            acc = ufunc(acc, parts[i])
        initial = _NO          # why: NumPy applies `initial` once, not per axis
    if keepdims:
        for ax in sorted(axes):
            acc = np.expand_dims(acc, ax)
    return acc


def accumulate(ufunc, a, axis=0, dtype=None, out=None):
    """``ufunc.accumulate(a, axis)``: every prefix of the fold of `ufunc` along `axis`."""
    _binary(ufunc, "accumulate")
    _unsupported_keywords(ufunc, "accumulate", dtype, out)
    parts, axis = _fold_axis(_array(a), axis)
    acc = [parts[0]]
    for i in range(1, shape_of(parts)[0]):
        acc.append(ufunc(acc[-1], parts[i]))
    return np.moveaxis(np.stack(acc), 0, axis)


UFUNC_METHODS.update(outer=outer, reduce=reduce, accumulate=accumulate)
