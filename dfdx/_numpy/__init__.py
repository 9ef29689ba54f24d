"""The array box: NumPy's protocols on traced values, and the rules registry.

Importing this package wires the engine to NumPy, once (`dfdx._core.configure`).
"""

from dfdx._core import configure
from dfdx._numpy import registry as _registry
from dfdx._numpy.box import ArrayBox, getval
from dfdx._numpy.registry import primitive
from dfdx._numpy.scatter import Scatter

__all__ = ["ArrayBox", "getval", "primitive"]

configure(box_class=ArrayBox, accumulate=_registry.accumulate,
          batch_jvp=_registry.batch_fallback, batch_vjp=_registry.batch_fallback_vjp,
          cast=_registry.cast_tangent, scalar_types=_registry.SCALAR_TYPES, lazy=Scatter)
