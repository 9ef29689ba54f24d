"""The compiler behind `dfdx.jit`: a recorded graph of NumPy calls, optimised, written as source.

`graph` holds the representation (values and calls, with the shapes and dtypes
seen while recording); `passes` the optimisations that keep every value bit for
bit (folding, exact simplifications, common subexpressions, dead code);
`codegen` the straight-line source with memory planning. This package imports
only NumPy: recording a function (the traced values that fill a graph) belongs
to the transforms.
"""

from dfdx._jit.codegen import Compiled, generate
from dfdx._jit.graph import Graph, Ref, interpret
from dfdx._jit.passes import optimize

__all__ = ["Graph", "Ref", "interpret", "optimize", "generate", "Compiled"]
