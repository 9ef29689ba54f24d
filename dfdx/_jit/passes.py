"""Optimisation of a recorded graph: each pass keeps the values the outputs get, bit for bit.

- constant folding: a call on constants only is made once, while compiling;
- simplification: ``x * 1``, ``x / 1``, ``x - (+0.)`` and ``x + (-0.)`` are ``x`` when the
  shape and dtype do not change (only exact identities: ``x + (+0.)`` is not one, it turns
  -0. into +0.), and so are a broadcast or a reshape of ``x`` to the shape it has;
  ``np.power(x, 2)`` is ``np.square(x)`` (what NumPy itself runs for ``x ** 2``);
- common subexpressions: the same function on the same values and parameters is called once
  (the forward ``cos`` reused by the backward sweep);
- dead code: calls whose results no output needs are dropped (the part of a backward sweep
  that a gradient does not need);
- broadcasts: ``np.broadcast_to(x, s)`` read only by elementwise ufuncs whose results have
  shape s anyway is ``x`` (the ufunc broadcasts it; np.broadcast_to costs ~5 us a call);
- identity seeds: ``(I * w) @ B``, the reverse sweep of a Jacobian through a matrix product
  (its seed is the identity), is ``w[:, None] * B``: an n³ product becomes n² (`scale_rows`;
  equal to the product up to the sign of zeros, and made as written when w is not finite).
"""

from __future__ import annotations

import numpy as np

from dfdx._jit.graph import Graph, Node, Ref, Var, map_refs, refs

__all__ = ["optimize", "fold", "simplify", "cse", "dce", "identity_seeds", "scale_rows",
           "broadcasts"]

#: Largest constant (in elements) that folding may create.
FOLD_LIMIT = 1 << 20


def optimize(graph: Graph) -> Graph:
    """Return an equivalent graph after folding, simplification, CSE and dead-code removal."""
    return dce(broadcasts(identity_seeds(cse(simplify(fold(graph))))))


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
        if n.fn in (np.broadcast_to, np.reshape) and len(n.args) == 2 and not n.kwargs and \
                isinstance(n.args[0], Ref):
            x = n.args[0]
            while x.id in subst:
                x = subst[x.id]
            shape = n.args[1] if isinstance(n.args[1], tuple) else (n.args[1],)
            if V[x.id].shape == shape == V[n.outs[0]].shape and V[x.id].kind == "node":
                subst[n.outs[0]] = x        # a broadcast or reshape to the shape it has
                continue
        if n.fn is np.power and len(n.args) == 2 and not n.kwargs and \
                isinstance(n.args[0], Ref) and type(n.args[1]) in (int, float) and \
                n.args[1] == 2 and V[n.args[0].id].dtype is not None and \
                V[n.args[0].id].dtype.kind in "fc" and V[n.args[0].id].dtype == V[n.outs[0]].dtype:
            n = Node(np.square, (n.args[0],), {}, n.outs, False)   # NumPy's own x ** 2
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


def scale_rows(w, b, eye):
    """``(eye * w) @ b`` for an identity matrix `eye`: the rows of `b` scaled by `w`.

    A non-finite `w` makes the whole column of ``eye * w`` NaN, which the product spreads
    to every row: then it is made as written.
    """
    if np.isfinite(w).all():
        return np.multiply(np.reshape(w, (-1, 1)), b)
    return np.matmul(np.multiply(eye, w), b)


def _is_eye(v):
    if v.kind != "const" or not isinstance(v.value, np.ndarray) or v.value.ndim != 2:
        return False
    n, m = v.value.shape
    return n == m and v.value.dtype.kind in "fiu" and np.array_equal(v.value, np.eye(n))


def identity_seeds(graph: Graph) -> Graph:
    """Write ``matmul(multiply(I, w), B)`` (I an identity constant, w a vector) as `scale_rows`."""
    V = graph.vars
    made = {i: n for n in graph.nodes for i in n.outs}
    nodes = []
    for n in graph.nodes:
        d = n.args[0] if n.fn is np.matmul and len(n.args) == 2 and not n.kwargs else None
        m = made.get(d.id) if isinstance(d, Ref) else None
        b = n.args[1] if d is not None else None
        if m is not None and m.fn is np.multiply and len(m.args) == 2 and not m.kwargs \
                and isinstance(b, Ref) and V[b.id].shape is not None and len(V[b.id].shape) == 2:
            for e, w in (m.args, m.args[::-1]):
                if not (isinstance(e, Ref) and isinstance(w, Ref) and _is_eye(V[e.id])):
                    continue
                wv, bv, out = V[w.id], V[b.id], V[n.outs[0]]
                k = V[e.id].shape[0]
                if wv.shape in ((k,), (1, k)) and bv.shape[0] == k and \
                        np.result_type(wv.dtype, bv.dtype) == out.dtype and \
                        np.result_type(V[e.id].dtype, wv.dtype) == V[d.id].dtype:
                    n = Node(scale_rows, (w, b, e), {}, n.outs, False)
                    break
        nodes.append(n)
    return _copy(graph, nodes, {})


def broadcasts(graph: Graph) -> Graph:
    """Drop the broadcasts that only elementwise ufuncs read, where the ufunc broadcasts alike."""
    V = graph.vars
    kept = {r.id for r in refs(graph.outputs)} | {r.id for r, _, _ in graph.guards}
    users = {}
    for n in graph.nodes:
        for r in refs((n.args, n.kwargs)):
            users.setdefault(r.id, []).append(n)
    subst = {}
    for n in graph.nodes:
        if n.fn is not np.broadcast_to or len(n.args) != 2 or n.kwargs or \
                not isinstance(n.args[0], Ref):
            continue
        out = V[n.outs[0]]
        if out.id in kept or out.shape is None:
            continue
        readers = users.get(out.id, [])
        if readers and all(isinstance(u.fn, np.ufunc) and u.fn.signature is None and
                           not u.kwargs and not u.multi and V[u.outs[0]].shape == out.shape
                           for u in readers):
            subst[out.id] = n.args[0]
    return _copy(graph, graph.nodes, subst)
