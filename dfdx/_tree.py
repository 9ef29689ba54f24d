"""Pytrees: nested tuple / list / dict / namedtuple containers of arrays.

A leaf is anything that is not one of those containers (an array, a scalar, a
traced value). ``None`` is an empty container: it has no leaves. Dicts are
flattened in sorted key order, so two dicts with the same keys always line up.
"""

from __future__ import annotations

__all__ = ["tree_flatten", "tree_flatten_with_path", "tree_unflatten", "tree_map", "tree_leaves",
           "TreeDef"]


class TreeDef:
    """The structure of a pytree, without its leaves."""

    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta=None, children=()):
        self.kind = kind          # "leaf", "none", "tuple", "list", "dict", "namedtuple"
        self.meta = meta          # dict keys or namedtuple class
        self.children = children

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.children))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children)) + "}"
        if self.kind == "tuple":
            return f"({inner},)" if len(self.children) == 1 else f"({inner})"
        if self.kind == "list":
            return f"[{inner}]"
        return f"{self.meta.__name__}({inner})"

    @property
    def num_leaves(self):
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)


LEAF = TreeDef("leaf")
_NONE = TreeDef("none")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree):
    """Return ``(leaves, treedef)``: the leaves in a fixed order, and the structure.

    Example:
        >>> import dfdx
        >>> leaves, treedef = dfdx.tree_flatten((1.0, {"a": 2.0}))
        >>> leaves, dfdx.tree_unflatten(treedef, [10.0, 20.0])
        ([1.0, 2.0], (10.0, {'a': 20.0}))
    """
    leaves = []

    def build(node):
        t = type(node)
        if t is tuple or t is list:
            kids = tuple(build(c) for c in node)
            return TreeDef("tuple" if t is tuple else "list", None, kids)
        if t is dict:
            keys = tuple(sorted(node))
            return TreeDef("dict", keys, tuple(build(node[k]) for k in keys))
        if node is None:
            return _NONE
        if _is_namedtuple(node):
            return TreeDef("namedtuple", t, tuple(build(c) for c in node))
        if isinstance(node, dict):
            keys = tuple(sorted(node))
            return TreeDef("dict", keys, tuple(build(node[k]) for k in keys))
        leaves.append(node)
        return LEAF

    return leaves, build(tree)


def tree_flatten_with_path(tree):
    """Return ``([(path, leaf), ...], treedef)``: each leaf with the keys that reach it.

    A path is a tuple of keys, one per level: the dict key, the list / tuple
    index, or the namedtuple field name; the leaves and their order are those of
    `tree_flatten`.

    Example:
        >>> import dfdx
        >>> pairs, _ = dfdx.tree_flatten_with_path({"layers": [{"W": 1.0, "b": 2.0}]})
        >>> pairs
        [(('layers', 0, 'W'), 1.0), (('layers', 0, 'b'), 2.0)]
        >>> "".join(f"[{k!r}]" for k in pairs[0][0])
        "['layers'][0]['W']"
    """
    leaves, treedef = tree_flatten(tree)
    paths = []

    def walk(td, path):
        if td.kind == "leaf":
            paths.append(path)
            return
        keys = (td.meta if td.kind == "dict" else td.meta._fields if td.kind == "namedtuple"
                else range(len(td.children)))
        for key, child in zip(keys, td.children):
            walk(child, path + (key,))

    walk(treedef, ())
    return list(zip(paths, leaves)), treedef


def tree_unflatten(treedef, leaves):
    """Rebuild a pytree of structure `treedef` from an iterable of leaves."""
    it = iter(leaves)

    def build(td):
        k = td.kind
        if k == "leaf":
            return next(it)
        if k == "none":
            return None
        kids = [build(c) for c in td.children]
        if k == "tuple":
            return tuple(kids)
        if k == "list":
            return kids
        if k == "dict":
            return dict(zip(td.meta, kids))
        return td.meta(*kids)

    return build(treedef)


def tree_leaves(tree):
    """Return the leaves of a pytree, in flattening order (dict keys sorted).

    Example:
        >>> import dfdx
        >>> dfdx.tree_leaves({"w": [1.0, 2.0], "b": 3.0})
        [3.0, 1.0, 2.0]
    """
    return tree_flatten(tree)[0]


def tree_map(f, tree, *rest):
    """Apply `f` to every leaf (and the matching parts of `rest`), keeping the structure.

    Each tree in `rest` must have the structure of `tree` down to its leaves; what
    stands there (a leaf or a whole subtree) is passed to `f`, as in JAX.

    Example:
        >>> import dfdx
        >>> dfdx.tree_map(lambda a, b: a + b, {"w": 1.0, "b": [2.0]}, {"w": 10.0, "b": [20.0]})
        {'b': [22.0], 'w': 11.0}
    """
    leaves, td = tree_flatten(tree)
    if not rest:
        return tree_unflatten(td, [f(x) for x in leaves])
    others = [_flatten_up_to(td, r) for r in rest]
    return tree_unflatten(td, [f(x, *ys) for x, *ys in zip(leaves, *others)])


def _flatten_up_to(treedef, tree):
    """The parts of `tree` that stand where `treedef` has its leaves."""
    out = []

    def walk(td, node):
        if td.kind == "leaf":
            out.append(node)
            return
        if td.kind == "none":
            return
        if td.kind == "dict":
            if not isinstance(node, dict) or set(node) != set(td.meta):
                raise ValueError(f"tree structures differ: expected a dict with keys "
                                 f"{list(td.meta)}, got {type(node).__name__}")
            for k, c in zip(td.meta, td.children):
                walk(c, node[k])
            return
        if not isinstance(node, (tuple, list)) or len(node) != len(td.children):
            raise ValueError(f"tree structures differ: expected a {td.kind} of "
                             f"{len(td.children)}, got {type(node).__name__}")
        for c, x in zip(td.children, node):
            walk(c, x)

    walk(treedef, tree)
    return out
