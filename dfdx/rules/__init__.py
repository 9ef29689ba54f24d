"""Derivative tables, one module per family; importing this package registers them all."""

from dfdx.rules import ufuncs, shape, reductions, linalg  # noqa: F401  (order: shape first users)
