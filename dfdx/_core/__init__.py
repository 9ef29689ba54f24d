"""The AD engine (standard library only): boxes, nodes, trace levels, sweeps."""

from dfdx._core.engine import (G, MISSING, Box, ForwardTrace, Node, Primitive, ReverseTrace,
                               ShapeOnly, add_cotangents, new_level, register_box_class)

__all__ = ["G", "MISSING", "Box", "ForwardTrace", "Node", "Primitive", "ReverseTrace",
           "ShapeOnly", "add_cotangents", "new_level", "register_box_class"]
