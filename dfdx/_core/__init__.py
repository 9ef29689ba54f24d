"""The AD engine (standard library only): boxes, nodes, trace levels, sweeps.

The transforms use the traces' public methods only (see the module docstring of
`dfdx._core.engine`); `dfdx._numpy` wires in the array library with `configure`.
"""

from dfdx._core.engine import (MISSING, Box, ForwardTrace, MissingRule, Node, Primitive,
                               ReverseTrace, ShapeOnly, add_cotangents, configure, getval,
                               new_level)

__all__ = ["MISSING", "Box", "ForwardTrace", "MissingRule", "Node", "Primitive", "ReverseTrace",
           "ShapeOnly", "add_cotangents", "configure", "getval", "new_level"]
