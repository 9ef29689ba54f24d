"""Derivative tables, one module per family; importing this package registers them all."""

# (order: shape first users)
from dfdx.rules import ufuncs, shape, reductions, linalg, special, sorting, fft  # noqa: F401
