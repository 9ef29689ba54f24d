"""Exact calculus with SymPy on the same inputs as the rest of dfdx.

Every function takes a plain NumPy callable (traced into SymPy by running it
on symbols), a SymPy expression, or a string read by a safe parser that never
executes the text. Limits are two-sided by default and say when they do not
exist; continuity classifies a point; `compile` turns an expression (and its
gradient) back into a fast NumPy function. This package never imports the AD
engine or `dfdx.numeric`: it is an independent, exact oracle.

Example:
    >>> import numpy as np
    >>> from dfdx import symbolic
    >>> def f(x, y):
    ...     return x**2 + 3*y + np.exp(x*y)
    >>> symbolic.trace(f)
    x**2 + 3*y + exp(x*y)
    >>> symbolic.diff(f, "x")
    2*x + y*exp(x*y)
    >>> symbolic.limit("sin(x)/x", 0).exact
    1
    >>> symbolic.continuity("floor(x)", 1).kind
    'jump'
    >>> symbolic.parse("x^2 + 1")
    x**2 + 1
"""

from dfdx.symbolic._parse import parse
from dfdx.symbolic._trace import SymbolicArray, exact_number, trace
from dfdx.symbolic._calculus import (Discontinuity, as_expr, as_point, continuity, diff,
                                     discontinuities, gradient, hessian, jacobian, limit,
                                     one_sided_diff, taylor, taylor_coefficients,
                                     is_nonsmooth)
from dfdx.symbolic._compile import CompiledFunction, as_function, compile

__all__ = [
    "parse", "trace", "diff", "gradient", "jacobian", "hessian", "taylor", "limit",
    "continuity", "discontinuities", "compile", "as_function", "one_sided_diff",
    "taylor_coefficients", "is_nonsmooth",
    "as_expr", "as_point", "exact_number", "SymbolicArray", "CompiledFunction", "Discontinuity",
]
