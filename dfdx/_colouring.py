"""Colourings of sparsity patterns: which columns one directional derivative can share.

Plain graph algorithms on ``scipy.sparse`` patterns, used by the AD transforms
(`dfdx.sparse_jacobian`, `dfdx.sparse_hessian`) and by finite differences
(`dfdx.numeric.jacobian(sparsity=...)`) alike.
"""

from __future__ import annotations

import numpy as np

__all__ = ["colour_columns", "colour_star"]


def colour_columns(pattern):
    """Colour the columns of `pattern` so that no two columns of one colour share a row.

    Greedy in order of decreasing degree (the number of columns each column
    conflicts with). Returns an int array: the colour of each column.
    """
    import scipy.sparse as sps       # why: imported on first use (start-up of `import dfdx`)

    P = sps.csr_matrix(pattern, dtype=bool).astype(np.int32)
    conflict = (P.T @ P).tocsr()
    n = P.shape[1]
    degree = np.diff(conflict.indptr)
    colour = np.full(n, -1)
    for j in np.argsort(-degree, kind="stable"):
        used = colour[conflict.indices[conflict.indptr[j]:conflict.indptr[j + 1]]]
        c = 0
        taken = set(used[used >= 0].tolist())
        while c in taken:
            c += 1
        colour[j] = c
    return colour


def colour_star(pattern):
    """Star-colour the symmetric `pattern`: the columns of the Hessian one sweep can share.

    A distance-1 colouring of the graph of the pattern (two coupled variables
    never share a colour) in which every path on four vertices uses at least
    three colours. Then every off-diagonal entry H[i, j] is the only entry of
    its colour class in row i or in row j, so the compressed product ``H S``
    determines H. Greedy, in order of decreasing degree. Returns an int array:
    the colour of each column.

    Example:
        >>> import numpy as np, scipy.sparse as sps
        >>> from dfdx._colouring import colour_star, colour_columns
        >>> arrow = np.eye(6, dtype=bool); arrow[0] = arrow[:, 0] = True
        >>> int(colour_star(sps.csr_matrix(arrow)).max()) + 1, int(colour_columns(arrow).max()) + 1
        (2, 6)
    """
    import scipy.sparse as sps

    P = sps.csr_matrix(pattern, dtype=bool)
    P = sps.csr_matrix(P + P.T, dtype=bool)
    P.setdiag(False)
    P.eliminate_zeros()
    n = P.shape[0]
    nbrs = [P.indices[P.indptr[v]:P.indptr[v + 1]].tolist() for v in range(n)]
    colour = [-1] * n
    for v in np.argsort(-np.diff(P.indptr), kind="stable").tolist():
        forbidden = set()
        for w in nbrs[v]:
            cw = colour[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in nbrs[w]:
                cx = colour[x]
                if x == v or cx < 0:
                    continue
                if cw < 0:
                    forbidden.add(cx)          # v - w - x: v may not take x's colour
                elif any(colour[y] == cw for y in nbrs[x] if y != w):
                    forbidden.add(cx)          # v - w - x - y would be a two-coloured path
        c = 0
        while c in forbidden:
            c += 1
        colour[v] = c
    return np.array(colour, dtype=int)
