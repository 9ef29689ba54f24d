"""The graph `dfdx.jit` records: a straight list of NumPy calls on earlier values.

A `Graph` is filled by running a function once on traced values: every call
of a NumPy function becomes a `Node` whose arguments are `Ref`s to earlier
values (inputs, constants, results of earlier nodes) and plain Python values
(axes, shapes, slices, dtypes). Each value keeps the shape and dtype it had
while recording, which is what the optimiser and the memory planner reason
with. `interpret` replays a graph call by call: the reference the generated
code is tested against.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Ref", "Var", "Node", "Graph", "OWNED", "setitem", "ufunc_at", "refs", "map_refs", "interpret", "guard_holds"]


class Ref:
    """A reference to a value of the graph (by number)."""

    __slots__ = ("id",)

    def __init__(self, id):
        self.id = id

    def __repr__(self):
        return f"Ref({self.id})"


class Var:
    """A value of the graph: an input, a constant, or the result of a node.

    Attributes:
        id: its number.
        kind: ``"input"``, ``"const"`` or ``"node"``.
        shape, dtype: as recorded (None for a value that is not an array).
        value: the constant itself (constants only).
        fresh: a new array that no other value shares memory with (the result
            of a ufunc call), so its buffer may be reused once it is dead.
    """

    __slots__ = ("id", "kind", "shape", "dtype", "value", "fresh")

    def __init__(self, id, kind, example, value=None, fresh=False):
        self.id, self.kind, self.value = id, kind, value
        is_array = isinstance(example, (np.ndarray, np.generic))
        self.shape = example.shape if is_array else None
        self.dtype = example.dtype if is_array else None
        self.fresh = fresh and isinstance(example, np.ndarray) and example.ndim > 0

    def __repr__(self):
        return f"Var({self.id}, {self.kind}, {self.shape}, {self.dtype})"


class Node:
    """One call ``fn(*args, **kwargs)``; `outs` are the ids of its results.

    `multi` says the call returns a tuple (unpacked into `outs`).
    """

    __slots__ = ("fn", "args", "kwargs", "outs", "multi")

    def __init__(self, fn, args, kwargs, outs, multi):
        self.fn, self.args, self.kwargs, self.outs, self.multi = fn, args, kwargs, outs, multi

    def __repr__(self):
        name = getattr(self.fn, "__name__", repr(self.fn))
        return f"Node({name}, {self.args}, {self.kwargs} -> {self.outs})"


#: Functions whose result is a new array of their own (which may be written into).
OWNED = {np.zeros, np.zeros_like, np.ones, np.ones_like, np.empty, np.empty_like, np.full,
         np.full_like, np.copy, np.array, np.eye, np.identity}


def setitem(x, key, value):
    """``x[key] = value`` as a function: a new array (the source writes in place where it may)."""
    out = np.array(x, copy=True)
    out[key] = value
    return out


def ufunc_at(x, *args, ufunc):
    """``ufunc.at(x, *args)`` as a function giving the new array."""
    out = np.array(x, copy=True)
    ufunc.at(out, *args)
    return out


def refs(obj):
    """Yield every `Ref` inside `obj` (tuples, lists, dicts and slices are searched)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Ref):
            yield o
        elif isinstance(o, (tuple, list)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, slice):
            stack.extend((o.start, o.stop, o.step))


def map_refs(obj, fn):
    """`obj` with every `Ref` r replaced by ``fn(r)`` (containers rebuilt as their type)."""
    if isinstance(obj, Ref):
        return fn(obj)
    if isinstance(obj, tuple):
        items = [map_refs(o, fn) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [map_refs(o, fn) for o in obj]
    if isinstance(obj, dict):
        return {k: map_refs(v, fn) for k, v in obj.items()}
    if isinstance(obj, slice):
        return slice(map_refs(obj.start, fn), map_refs(obj.stop, fn), map_refs(obj.step, fn))
    return obj


class Graph:
    """Inputs, constants and calls, in the order they were recorded.

    Example:
        >>> import numpy as np
        >>> g = Graph()
        >>> x = g.input(np.ones(3))
        >>> y = g.call(np.sin, (x,), {}, np.sin(np.ones(3)))
        >>> g.outputs = [g.call(np.multiply, (y, 2.0), {}, 2 * np.sin(np.ones(3)))]
        >>> interpret(g, [np.zeros(3)])
        [array([0., 0., 0.])]
    """

    def __init__(self):
        self.vars: list[Var] = []
        self.nodes: list[Node] = []
        self.inputs: list[int] = []
        self.outputs: list = []         # Refs, or plain values that do not depend on the inputs
        #: (Ref, kind, expected): values dfdx's own code read while recording. The code is
        #: valid only while each is what it was: kind "bool" (its truth), "value" (a Python
        #: number, compared with ==) or "array" (every element equal).
        self.guards: list = []

    def _var(self, kind, example, value=None, fresh=False):
        v = Var(len(self.vars), kind, example, value, fresh)
        self.vars.append(v)
        return v

    def input(self, example) -> Ref:
        """A new input of the graph, recorded with the shape and dtype of `example`."""
        v = self._var("input", example)
        self.inputs.append(v.id)
        return Ref(v.id)

    def const(self, value) -> Ref:
        """A constant of the graph (an array or any value that is not written as source)."""
        return Ref(self._var("const", value, value).id)

    def call(self, fn, args, kwargs, result):
        """Record ``fn(*args, **kwargs)``, which gave `result`; return a Ref (a tuple of Refs).

        A tuple or list result (``np.linalg.eigh``, ``np.split``) is recorded as one node
        with one value per element.
        """
        fresh = isinstance(fn, np.ufunc) and "out" not in kwargs
        if isinstance(result, (tuple, list)):
            outs = tuple(self._var("node", r).id for r in result)
            self.nodes.append(Node(fn, tuple(args), dict(kwargs), outs, True))
            return tuple(Ref(i) for i in outs)
        v = self._var("node", result, fresh=fresh)
        self.nodes.append(Node(fn, tuple(args), dict(kwargs), (v.id,), False))
        return Ref(v.id)


def guard_holds(kind, value, expected):
    """Whether a guard of `kind` (see `Graph.guards`) holds for `value`."""
    if kind == "bool":
        return bool(value) == expected
    if kind == "value":
        return value == expected
    return np.shape(value) == np.shape(expected) and bool(np.all(value == expected))


def interpret(graph, inputs):
    """Run `graph` on `inputs` call by call and return its outputs (a list; None if a guard fails)."""
    env = {i: x for i, x in zip(graph.inputs, inputs)}
    for v in graph.vars:
        if v.kind == "const":
            env[v.id] = v.value
    look = lambda r: env[r.id]                                    # noqa: E731
    for node in graph.nodes:
        res = node.fn(*map_refs(node.args, look), **map_refs(node.kwargs, look))
        if node.multi:
            env.update(zip(node.outs, res))
        else:
            env[node.outs[0]] = res
    if not all(guard_holds(kind, look(r), want) for r, kind, want in graph.guards):
        return None
    return [map_refs(o, look) for o in graph.outputs]
