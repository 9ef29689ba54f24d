"""The compiler behind `dfdx.jit`: a recorded graph of NumPy calls, optimised, written as source.

`graph` holds the representation (values and calls, with the shapes and dtypes
seen while recording); `passes` the optimisations that keep every value bit for
bit (folding, exact simplifications, common subexpressions, dead code);
`codegen` the straight-line source with memory planning; `tracer` the traced
array that records a function; `jitted` the cache per signature (`jit`). This
package imports only NumPy (and dfdx's errors and pytrees): it never imports the
AD engine, whose boxes simply hold traced arrays as values, so the derivative
sweeps of a transform are recorded like any other NumPy code.
"""

from dfdx._jit.codegen import Compiled, generate
from dfdx._jit.graph import Graph, Ref, interpret
from dfdx._jit.jitted import Jitted, jit, jit_or_eager
from dfdx._jit.passes import optimize

__all__ = ["Graph", "Ref", "interpret", "optimize", "generate", "Compiled", "jit", "Jitted",
           "jit_or_eager"]
