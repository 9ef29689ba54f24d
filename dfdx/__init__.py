"""dfdx: calculus for deep learning on plain NumPy code.

One function written with ``import numpy as np``, and every tool takes it:
automatic differentiation (forward and reverse, any order), exact calculus
(SymPy) and numeric calculus (finite differences with error estimates).

Example:
    >>> import numpy as np, dfdx
    >>> def f(x, y):
    ...     return x**2 + 3*y + np.exp(x*y)
    >>> dx, dy = dfdx.grad(f, argnums=(0, 1))(1.0, 2.0)
    >>> bool(np.isclose(dx, 2 + 2*np.exp(2))), bool(np.isclose(dy, 3 + np.exp(2)))
    (True, True)
"""

import importlib as _importlib
import os as _os
import sys as _sys

from dfdx._errors import (BudgetExceeded, DfdxError, DomainError, NonDifferentiableError,
                          NonScalarOutputError, ParseError, TapeError, TracerConversionError,
                          UnsupportedOperation)


def _load():
    """Import the engine, the rules and the front (NumPy, SciPy): everything but the command."""
    global _loaded
    _loaded = True
    from dfdx.result import ContinuityResult, DifferentiabilityResult, Estimate, LimitResult
    from dfdx.api import (derivative, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, stop_gradient,
                          value_and_grad, vjp)
    from dfdx.tape import GradientTape, Variable
    from dfdx._tree import (tree_flatten, tree_flatten_with_path, tree_leaves, tree_map,
                            tree_unflatten)
    from dfdx._numpy.registry import primitive
    from dfdx.testing import check_grad
    from dfdx.analysis import continuity, diff, limit
    from dfdx._onesided import differentiable
    from dfdx._taylor import jet, taylor
    from dfdx._jit import jit
    from dfdx._vmap import vmap
    from dfdx._sparse import hessian_sparsity, sparse_hessian, sparse_jacobian, sparsity
    import dfdx.rules  # noqa: F401  (registers the derivative tables)
    globals().update({k: v for k, v in locals().items() if not k.startswith("_") and k != "dfdx"})


_loaded = False
# why: `dfdx --help` must start in well under a second; the command (console script or
# `python -m dfdx`) loads the rest on first use of an attribute (see __getattr__).
if _os.path.basename(_sys.argv[0] if _sys.argv else "") not in ("dfdx", "dfdx.exe", "-m"):
    _load()

__version__ = "0.1.0"

__all__ = [
    # automatic differentiation
    "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "jacobian", "hessian", "hvp",
    "derivative", "stop_gradient", "GradientTape", "Variable", "primitive", "check_grad",
    # speed and structure: compilation, Taylor mode (high orders in one pass), sparsity
    "jit", "vmap", "taylor", "jet", "sparsity", "sparse_jacobian", "hessian_sparsity", "sparse_hessian",
    # pytrees (nested dict / list / tuple / namedtuple of arrays)
    "tree_map", "tree_leaves", "tree_flatten", "tree_flatten_with_path", "tree_unflatten",
    # analysis (exact first, numeric as fallback)
    "limit", "continuity", "diff", "differentiable",
    # results and errors
    "Estimate", "LimitResult", "ContinuityResult", "DifferentiabilityResult",
    "DfdxError", "UnsupportedOperation", "TracerConversionError", "NonScalarOutputError",
    "TapeError", "ParseError", "DomainError", "BudgetExceeded",
    "NonDifferentiableError",
    # submodules (imported on first use)
    "numeric", "grid", "symbolic", "nn", "optim", "explain", "plot", "result", "special", "stats",
    "linalg", "signal", "integrate",
]

_SUBMODULES = {"numeric", "grid", "symbolic", "nn", "optim", "explain", "plot", "cli", "result",
               "special", "stats", "linalg", "signal", "integrate"}


def __getattr__(name):
    # why: sympy and matplotlib are slow to import; load a submodule on first use.
    if not _loaded:
        _load()
        if name in globals():
            return globals()[name]
    if name in _SUBMODULES:
        return _importlib.import_module(f"dfdx.{name}")
    raise AttributeError(f"module 'dfdx' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
