"""scipy.linalg for traced code: ``from dfdx import linalg`` in place of ``from scipy import linalg``.

SciPy's linear algebra converts its arguments with ``np.asarray``, which would
drop the derivative; these are traceable equivalents with SciPy's signatures,
defaults and values (tested against SciPy), working on plain arrays as well:
expm, sqrtm, logm, solve_triangular, cho_factor / cho_solve, lu_factor /
lu_solve, det, inv, eigh and svd. Derivatives exist at every order. sqrtm and
logm are differentiated where no eigenvalue lies on (-inf, 0] (elsewhere
NonDifferentiableError or DomainError says why); eigh and svd follow
numpy.linalg's conventions (one triangle read; repeated values). float32 in
gives float32 out (SciPy's logm and det return float64 there).

Example:
    >>> import numpy as np, dfdx
    >>> from dfdx import linalg
    >>> a = np.array([[0.0, 1.0], [-1.0, 0.0]])
    >>> bool(np.allclose(linalg.expm(np.pi / 2 * a), a))   # a rotation by 90 degrees
    True
    >>> float(dfdx.grad(lambda t: np.trace(linalg.expm(t * a)))(0.0))   # 2 cos t
    -0.0
"""

from dfdx.rules.scipy_linalg import (cho_factor, cho_solve, det, eigh, expm, inv, logm,
                                     lu_factor, lu_solve, solve_triangular, sqrtm, svd)

__all__ = ["expm", "sqrtm", "logm", "solve_triangular", "cho_factor", "cho_solve", "lu_factor",
           "lu_solve", "det", "inv", "eigh", "svd"]
