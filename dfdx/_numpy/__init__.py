"""The array box: NumPy's protocols on traced values, and the rules registry."""

from dfdx._numpy.box import ArrayBox, getval
from dfdx._numpy.registry import primitive

__all__ = ["ArrayBox", "getval", "primitive"]
