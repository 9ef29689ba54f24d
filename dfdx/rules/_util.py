"""Axis helpers shared by the rule modules (the one rules module the others may import).

The rule modules import dfdx._core, dfdx._errors, dfdx._numpy, numpy, scipy and
this module; no rule module imports another's private helpers.
"""


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
