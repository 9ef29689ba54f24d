"""Derivative tables, one module per family; importing this package registers them all.

scipy.special's table (`dfdx.rules.special`) is registered on first need: the first
traced call of a function without a rule loads it (why: importing scipy.special
costs ~0.4 s, paid only by code that uses it).

A rule module imports dfdx._core, dfdx._errors, dfdx._numpy, numpy/scipy and
`dfdx.rules._util` (what the families share), never another rule module: it reaches
another family's primitive through the NumPy function registered for it (np.reshape,
np.sum, np.matmul, ...). tests/test_layers.py checks this.
"""

import importlib as _importlib

# (order: shape first users)
from dfdx.rules import ufuncs, shape, reductions, linalg, sorting, fft  # noqa: F401
from dfdx.rules import numpy_more, linalg_qr, ufunc_methods  # noqa: F401
from dfdx.rules import writes  # noqa: F401  (after shape: it replaces np.copy, np.zeros_like, ...)
from dfdx._numpy.registry import add_lazy_rules as _add_lazy_rules

_add_lazy_rules(lambda: _importlib.import_module("dfdx.rules.special"))
