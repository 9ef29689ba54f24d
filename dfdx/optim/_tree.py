"""Small pytree helpers for parameters: map, leaves with their paths, flatten to one vector.

Parameters are nested dict / list / tuple containers of arrays (dicts in sorted
key order, as dfdx's transforms do); mapping and flattening are dfdx's own
`dfdx.tree_map` / `dfdx.tree_leaves`, re-exported here.
"""

from __future__ import annotations

import numpy as np

from dfdx import tree_flatten_with_path, tree_leaves, tree_map

__all__ = ["tree_map", "tree_leaves", "tree_paths", "global_norm", "ravel", "Raveled"]


def tree_paths(tree, prefix="params"):
    """Return ``[(path, leaf), ...]`` with paths such as ``params[0]['W']``."""
    pairs, _ = tree_flatten_with_path(tree)
    return [(prefix + "".join(f"[{k!r}]" for k in path), leaf) for path, leaf in pairs]


def global_norm(tree):
    """Return the Euclidean norm of all leaves of `tree` taken together, as a float.

    Example:
        >>> import numpy as np
        >>> from dfdx.optim import global_norm
        >>> global_norm({"a": np.array([3.0]), "b": np.array([4.0])})
        5.0
    """
    return float(np.sqrt(sum(float(np.sum(np.square(np.asarray(x, dtype=np.float64))))
                             for x in tree_leaves(tree))))


class Raveled:
    """A pytree of arrays flattened into one float vector, and the way back."""

    def __init__(self, tree):
        self.leaves_like = tree_leaves(tree)
        self.shapes = [np.shape(x) for x in self.leaves_like]
        self.dtypes = [np.result_type(x) for x in self.leaves_like]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.tree = tree
        kinds = {d.kind for d in self.dtypes}
        self.dtype = np.result_type(*self.dtypes) if kinds <= {"f", "c"} else np.float64
        self.vector = np.concatenate([np.ravel(np.asarray(x, dtype=self.dtype))
                                      for x in self.leaves_like]) if self.leaves_like \
            else np.zeros(0)

    def unravel(self, v):
        """Rebuild the tree from a vector (traceable: works on dfdx's traced values)."""
        parts, start = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            parts.append(np.reshape(v[start:start + size], shape))
            start += size
        it = iter(parts)
        return tree_map(lambda _: next(it), self.tree)

    def flatten(self, tree):
        """Flatten a tree with this structure into a vector."""
        return np.concatenate([np.ravel(x) for x in tree_leaves(tree)])


def ravel(tree):
    """Flatten a pytree of arrays into one vector; returns ``(vector, unravel)``.

    Example:
        >>> import numpy as np
        >>> from dfdx.optim import ravel
        >>> v, unravel = ravel({"W": np.ones((2, 2)), "b": np.zeros(2)})
        >>> v.shape, unravel(v)["W"].shape
        ((6,), (2, 2))
    """
    r = Raveled(tree)
    return r.vector, r.unravel
