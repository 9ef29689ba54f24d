"""The AD engine (standard library only): boxes, nodes, trace levels, sweeps.

The transforms use the traces' public methods only (see the module docstring of
`dfdx._core.engine`); `dfdx._numpy` wires in the array library with `configure`.
"""

from dfdx._core.engine import (ALWAYS, MISSING, BatchTrace, Box, ForwardTrace, MissingRule, Node,
                               Primitive, ReverseTrace, ShapeOnly, add_cotangents, aux_of,
                               configure, configure_batching, getval, new_level, rebind,
                               trace_of, value_of)

__all__ = ["ALWAYS", "MISSING", "BatchTrace", "Box", "ForwardTrace", "MissingRule", "Node",
           "Primitive", "ReverseTrace", "ShapeOnly", "add_cotangents", "aux_of", "configure",
           "configure_batching", "getval", "new_level", "rebind", "trace_of", "value_of"]
