"""Optimisation of a recorded graph: each pass keeps the values the outputs get, bit for bit.

- constant folding: a call on constants only is made once, while compiling;
- simplification: ``x * 1``, ``x / 1``, ``x - (+0.)`` and ``x + (-0.)`` are ``x`` when the
  shape and dtype do not change (only exact identities: ``x + (+0.)`` is not one, it turns
  -0. into +0.);
- common subexpressions: the same function on the same values and parameters is called once
  (the forward ``cos`` reused by the backward sweep);
- dead code: calls whose results no output needs are dropped (the part of a backward sweep
  that a gradient does not need).
"""

from __future__ import annotations

import numpy as np

from dfdx._jit.graph import Graph, Node, Ref, Var, map_refs, refs

__all__ = ["optimize", "fold", "simplify", "cse", "dce"]

#: Largest constant (in elements) that folding may create.
FOLD_LIMIT = 1 << 20


def optimize(graph: Graph) -> Graph:
    """Return an equivalent graph after folding, simplification, CSE and dead-code removal."""
    return dce(cse(simplify(fold(graph))))


def _copy(graph, nodes, subst):
    """A graph with `nodes`, every reference resolved through `subst` (id -> Ref or const)."""
    def look(r):
        while r.id in subst:
            r = subst[r.id]
        return r
    out = Graph()
    out.vars, out.inputs = graph.vars, graph.inputs
    out.nodes = [Node(n.fn, map_refs(n.args, look), map_refs(n.kwargs, look), n.outs, n.multi)
                 for n in nodes]
    out.outputs = [map_refs(o, look) for o in graph.outputs]
    out.guards = [(look(r), kind, want) for r, kind, want in graph.guards
                  if out.vars[look(r).id].kind != "const"]   # a folded guard held while folding
    return out


def fold(graph: Graph) -> Graph:
    """Evaluate, once, every call whose array arguments are all constants."""
    vars_ = list(graph.vars)
    nodes = []
    for n in graph.nodes:
        rs = list(refs((n.args, n.kwargs)))
        if rs and all(vars_[r.id].kind == "const" for r in rs) and _pure(n.fn):
            look = lambda r: vars_[r.id].value                    # noqa: E731
            res = n.fn(*map_refs(n.args, look), **map_refs(n.kwargs, look))
            vals = tuple(res) if n.multi else (res,)
            if all(np.size(v) <= FOLD_LIMIT for v in vals):
                for i, v in zip(n.outs, vals):
                    vars_[i] = Var(i, "const", v, v)
                continue
        nodes.append(n)
    g = _copy(graph, nodes, {})
    g.vars = vars_
    return g


def _pure(fn):
    """Whether `fn` gives the same result for the same arguments (not np.random's)."""
    return "random" not in (getattr(fn, "__module__", None) or "")


def _all(v, test):
    """Whether `v` is a real constant (not bool) every element of which passes `test`."""
    if v.kind != "const" or isinstance(v.value, bool) or \
            not isinstance(v.value, (np.ndarray, np.generic, float, int)):
        return False
    c = np.asarray(v.value)
    return c.dtype.kind in "fiu" and bool(np.all(test(c)))


# ufunc -> (argument position that may be dropped, test of the constant there)
_IDENTITY = {
    np.multiply: ((0, 1), lambda c: c == 1),
    np.true_divide: ((1,), lambda c: c == 1),
    np.subtract: ((1,), lambda c: (c == 0) & ~np.signbit(c)),
    np.add: ((0, 1), lambda c: (c == 0) & np.signbit(c)),
}


def simplify(graph: Graph) -> Graph:
    """Drop multiplications by one and the other exact identities (module docstring)."""
    subst, nodes = {}, []
    V = graph.vars
    for n in graph.nodes:
        rule = _IDENTITY.get(n.fn) if isinstance(n.fn, np.ufunc) else None
        if rule is not None and not n.kwargs and len(n.args) == 2:
            out = V[n.outs[0]]
            keep = _kept(n, rule, V, out, subst)
            if keep is not None:
                subst[out.id] = keep
                continue
        nodes.append(n)
    return _copy(graph, nodes, subst)


def _kept(n, rule, V, out, subst):
    """The argument that `n` returns unchanged, or None."""
    positions, test = rule
    for drop in positions:
        other = n.args[1 - drop]
        c = n.args[drop]
        if not isinstance(other, Ref):
            continue
        cv = V[c.id] if isinstance(c, Ref) else Var(-1, "const", c, c)
        while other.id in subst:
            other = subst[other.id]
        ov = V[other.id]
        if _all(cv, test) and ov.shape == out.shape and ov.dtype == out.dtype:
            return other
    return None


def _key(obj):
    """A hashable key of call arguments (Refs by id), or None when one is not hashable."""
    if isinstance(obj, Ref):
        return ("ref", obj.id)
    if isinstance(obj, (tuple, list)):
        parts = tuple(_key(o) for o in obj)
        return None if None in parts else (type(obj).__name__, parts)
    if isinstance(obj, dict):
        parts = tuple((k, _key(v)) for k, v in sorted(obj.items()))
        return None if any(p[1] is None for p in parts) else ("dict", parts)
    if isinstance(obj, slice):
        parts = (_key(obj.start), _key(obj.stop), _key(obj.step))
        return None if None in parts else ("slice", parts)
    if obj is None or isinstance(obj, (bool, int, float, complex, str, type(Ellipsis))):
        return (type(obj).__name__, repr(obj))
    if isinstance(obj, np.dtype):
        return ("dtype", obj.str)
    return None


def _fn_key(fn):
    """Identity of a function; a bound method (``np.add.reduce``) by its object and name."""
    owner = getattr(fn, "__self__", None)
    return (id(owner), fn.__name__) if owner is not None and not isinstance(owner, type(np)) \
        else id(fn)


def cse(graph: Graph) -> Graph:
    """Call each pure function once per distinct argument list."""
    seen, subst, nodes = {}, {}, []
    for n in _copy(graph, graph.nodes, {}).nodes:
        n = Node(n.fn, map_refs(n.args, lambda r: subst.get(r.id, r)),
                 map_refs(n.kwargs, lambda r: subst.get(r.id, r)), n.outs, n.multi)
        key = _key((n.args, n.kwargs))
        if key is not None and _pure(n.fn):
            key = (_fn_key(n.fn), n.multi, key)
            first = seen.get(key)
            if first is not None:
                for i, j in zip(n.outs, first.outs):
                    subst[i] = Ref(j)
                continue
            seen[key] = n
        nodes.append(n)
    return _copy(graph, nodes, subst)


def dce(graph: Graph) -> Graph:
    """Drop the calls that no output depends on."""
    live = {r.id for r in refs(graph.outputs)} | {r.id for r, _, _ in graph.guards}
    kept = []
    for n in reversed(graph.nodes):
        if any(i in live for i in n.outs):
            kept.append(n)
            live.update(r.id for r in refs((n.args, n.kwargs)))
    return _copy(graph, kept[::-1], {})
