"""Straight-line NumPy source from a graph, compiled once.

Each node becomes one line, ``v7 = np.multiply(v3, x0)``, in recording order.
Memory planning: a ufunc call whose result has the shape and dtype of a buffer
that nothing reads any more writes into it with ``out=`` — its own dead operand
first (an in-place update), else any dead buffer of that shape. Only buffers
the graph made itself (results of ufunc calls) are ever written: never an
input, a constant, an output, or a buffer that a live view may still see (the
results of any call other than a ufunc's count as views of their arguments).
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import math
import operator

import numpy as np

from dfdx._jit.graph import OWNED, Graph, Ref, refs, setitem, ufunc_at
from dfdx._jit.passes import scale_rows

__all__ = ["generate", "Compiled"]

_COUNTER = itertools.count()

#: Smallest result (bytes) written into a reused buffer: below it, passing ``out=`` costs
#: NumPy more than a fresh allocation (measured: the two meet near 100-1000 doubles).
MIN_REUSE_BYTES = 4096

#: Reductions written as the ufunc reduction NumPy's function calls (np.sum -> np.add.reduce,
#: ~1 us less per call), for float and complex arrays of one dimension or more.
_REDUCE = {np.sum: "np.add.reduce", np.max: "np.maximum.reduce", np.min: "np.minimum.reduce",
           np.prod: "np.multiply.reduce", np.amax: "np.maximum.reduce",
           np.amin: "np.minimum.reduce"}


class Compiled:
    """A compiled graph: call it with the inputs (flat), get the outputs (a list)."""

    def __init__(self, fn, source):
        self.fn, self.source = fn, source

    def __call__(self, *inputs):
        return self.fn(*inputs)


def generate(graph: Graph, name: str = "f") -> Compiled:
    """Write `graph` as Python source and compile it.

    Example:
        >>> import numpy as np
        >>> from dfdx._jit.graph import Graph
        >>> g = Graph()
        >>> x = g.input(np.ones(1000))
        >>> s = g.call(np.sin, (x,), {}, np.ones(1000))
        >>> g.outputs = [g.call(np.multiply, (s, s), {}, np.ones(1000))]
        >>> print(generate(g, "square_sin").source)
        def square_sin(x0):
            v1 = np.sin(x0)
            v2 = np.multiply(v1, v1, out=v1)
            return [v2]
        <BLANKLINE>
    """
    names = _Names(graph, _identifier(name))
    outs = _plan(graph)
    checks = _checks(graph, names)
    in_place = _writes_in_place(graph)
    body = [f"def {_identifier(name)}({', '.join(names.var(i) for i in graph.inputs)}):"]
    body += checks.get(-1, [])
    for k, node in enumerate(graph.nodes):
        target = ", ".join(names.var(i) for i in node.outs) + ("," if len(node.outs) == 1
                                                                and node.multi else "")
        if k in in_place:
            x, key, value = node.args
            body.append(f"    {names.value(x)}[{names._index(key)}] = {names.value(value)}")
            body.append(f"    {target} = {names.value(x)}")
        else:
            body.append(f"    {target} = {names.call(node, outs.get(k))}")
        body += checks.get(k, [])
    body.append(f"    return [{', '.join(names.output(o) for o in graph.outputs)}]")
    source = "\n".join(body) + "\n"
    filename = f"<dfdx.jit {name} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(names.globals)
    exec(compile(source, filename, "exec"), namespace)   # noqa: S102 - our own generated source
    return Compiled(namespace[_identifier(name)], source)


def _writes_in_place(graph):
    """Indices of the ``setitem`` nodes that may write into their array instead of a copy.

    That array must be one the code made itself (zeros_like, a ufunc, an earlier write) and
    read by nothing after the write: not an input, a constant, an output or a guard.
    """
    last, made = {}, {}
    for k, node in enumerate(graph.nodes):
        for r in refs((node.args, node.kwargs)):
            last[r.id] = k
        for i in node.outs:
            made[i] = node
    for r in refs(graph.outputs):
        last[r.id] = math.inf
    for r, _, _ in graph.guards:
        last[r.id] = math.inf
    out = set()
    for k, node in enumerate(graph.nodes):
        if node.fn is not setitem or node.kwargs or len(node.args) != 3 or \
                not isinstance(node.args[0], Ref):
            continue
        x = node.args[0].id
        maker = made.get(x)
        if maker is None or maker.multi or last.get(x) != k or \
                any(isinstance(r, Ref) and r.id == x for r in refs(node.args[1:])):
            continue
        if isinstance(maker.fn, np.ufunc) or maker.fn in OWNED or maker.fn in (setitem, ufunc_at):
            out.add(k)
    return out


def _checks(graph, names):
    """node index -> the lines checking the guards on its results (-1: on the inputs).

    A failed guard returns None: the caller records the function again for the new case.
    """
    made = {i: k for k, node in enumerate(graph.nodes) for i in node.outs}
    out = {}
    for r, kind, want in graph.guards:
        v = names.var(r.id)
        if kind == "bool":
            line = f"    if {'not ' if want else ''}{v}: return None"
        elif kind == "value":
            line = f"    if {v} != {names.value(want)}: return None"
        else:
            line = f"    if not np.array_equal({v}, {names.value(want)}): return None"
        out.setdefault(made.get(r.id, -1), []).append(line)
    return out


def _identifier(name):
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "f"
    return ident if not ident[0].isdigit() else "_" + ident


#: Functions (besides ufuncs) whose results never share memory with their arguments.
_NEW = {np.sum, np.prod, np.max, np.min, np.amax, np.amin, np.mean, np.all, np.any, np.dot,
        np.where, np.concatenate, np.stack, np.vstack, np.hstack, np.outer, np.cumsum,
        np.cumprod, np.var, np.std, np.copy, np.linalg.inv, np.linalg.solve, np.linalg.det}


def _makes_new(fn):
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        return getattr(fn, "__name__", "") in ("reduce", "accumulate", "outer", "reduceat")
    try:
        return fn in _NEW or fn in OWNED or fn is scale_rows
    except TypeError:               # an unhashable callable
        return False


def _plan(graph):
    """node index -> id of the value whose buffer its result is written into (``out=``)."""
    last = {}
    for k, node in enumerate(graph.nodes):
        for r in refs((node.args, node.kwargs)):
            last[r.id] = k
    for r in refs(graph.outputs):
        last[r.id] = math.inf
    made = {i: k for k, node in enumerate(graph.nodes) for i in node.outs}
    for r, _, _ in graph.guards:            # checked right after the node that makes it
        last[r.id] = max(last.get(r.id, -1), made.get(r.id, -1))
    V = graph.vars
    sees = {}                   # value id -> the graph's own buffers it may share memory with
    users = {}                  # buffer -> the values that may see it
    free = []                   # buffers that nothing reads any more
    plan = {}
    for v in V:
        if v.kind == "input" and v.fresh:        # donated: the caller gave its buffer away
            sees[v.id], users[v.id] = {v.id}, {v.id}

    def dead(buf, k):
        return all(last.get(u, -1) <= k for u in users[buf])

    for k, node in enumerate(graph.nodes):
        seen = set().union(*(sees.get(r.id, ()) for r in refs((node.args, node.kwargs))))
        out = V[node.outs[0]]
        if out.fresh and not node.multi and isinstance(node.fn, np.ufunc):
            # why: elementwise ufuncs only: NumPy defines their result when out= overlaps an
            # operand; a gufunc (matmul) makes a new buffer but is not written into one
            if node.fn.signature is None and not node.kwargs and \
                    math.prod(out.shape) * out.dtype.itemsize >= MIN_REUSE_BYTES:
                # the operands' own buffers first (an update in place), then any dead one
                for buf in sorted(seen) + free:
                    b = V[buf]
                    if b.shape == out.shape and b.dtype == out.dtype and dead(buf, k):
                        plan[k] = buf
                        break
            buf = plan.get(k, out.id)
            if buf in free:
                free.remove(buf)
            sees[out.id], users[buf] = {buf}, {out.id}
        elif _makes_new(node.fn):
            for i in node.outs:         # a new array: it sees none of its arguments' buffers
                sees[i] = set()
        else:
            # why: which results are views of which arguments is not recorded (reshape may
            # copy or not): a result may see every buffer its arguments see
            for i in node.outs:
                sees[i] = seen
            for buf in seen:
                users[buf].update(node.outs)
        for buf in seen:
            if buf not in free and buf != plan.get(k) and dead(buf, k):
                free.append(buf)
    return plan


def _fast_reduce(names, node, args):
    a = node.args[0]
    if len(node.args) > 2 or not set(node.kwargs) <= {"axis", "keepdims"} or \
            names.graph.vars[a.id].dtype.kind not in "fc":
        return None
    axis = node.args[1] if len(node.args) == 2 else node.kwargs.get("axis")
    keep = node.kwargs.get("keepdims", False)
    if not isinstance(keep, bool) or any(isinstance(r, Ref) for r in refs(axis)):
        return None
    return f"{_REDUCE[node.fn]}({args[0]}, axis={names.value(axis)}" + \
        (", keepdims=True)" if keep else ")")


class _Names:
    """Source names: inputs x0.., values v<id>, constants c<k>, functions np.<name> or f<k>."""

    def __init__(self, graph, reserved=""):
        self.graph, self.reserved = graph, reserved
        self.globals = {"np": np}
        self._bound = {}
        self._inputs = {i: f"x{k}" for k, i in enumerate(graph.inputs)}

    def var(self, i):
        v = self.graph.vars[i]
        if v.kind == "const":
            if isinstance(v.value, np.ufunc) and getattr(np, v.value.__name__, None) is v.value:
                return f"np.{v.value.__name__}"
            return self._bind(v.value, "c")
        return self._inputs.get(i, f"v{i}")

    def output(self, o):
        if isinstance(o, Ref) and self.graph.vars[o.id].kind == "const":
            # why: the caller may write into what it gets; the constant is reused every call
            return f"np.copy({self.var(o.id)})"
        return self.value(o)

    def _bind(self, obj, prefix):
        key = id(obj)
        if key not in self._bound:
            name = f"{prefix}{sum(1 for n in self._bound.values() if n[0] == prefix)}"
            self._bound[key] = (prefix, name, obj)
            self.globals[name] = obj
        return self._bound[key][1]

    def function(self, fn):
        for space, prefix in ((np, "np."), (np.linalg, "np.linalg."), (np.fft, "np.fft.")):
            name = getattr(fn, "__name__", None)
            if name and getattr(space, name, None) is fn:
                return prefix + name
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, np.ufunc) and getattr(np, owner.__name__, None) is owner:
            return f"np.{owner.__name__}.{fn.__name__}"
        name = getattr(fn, "__name__", "").lstrip("_")
        if name.isidentifier() and not keyword.iskeyword(name) and not name[1:].isdigit() \
                and name not in ("np", self.reserved):
            # why: readable source -- a helper of dfdx.jit or a rule's function by its name
            hit = self.globals.get(name)
            if hit is None or hit is fn:
                self.globals[name] = fn
                return name
        return self._bind(fn, "f")

    def _fast(self, node, args):
        """A quicker spelling of the same NumPy call (a method, a ufunc's reduce), or None."""
        if not node.args or not self._array(node.args[0]):
            return None
        if node.fn in _REDUCE:
            return _fast_reduce(self, node, args)
        if node.fn in (np.all, np.any) and len(node.args) == 1 and \
                set(node.kwargs) <= {"axis", "keepdims"} and \
                not any(isinstance(r, Ref) for r in refs(node.kwargs)):
            kw = "".join(f", {k}={self.value(v)}" for k, v in node.kwargs.items())
            return f"{args[0]}.{node.fn.__name__}({kw[2:]})"
        if node.fn in (np.transpose, np.reshape) and len(node.args) == 2 and not node.kwargs \
                and not any(isinstance(r, Ref) for r in refs(node.args[1])):
            return f"{args[0]}.{node.fn.__name__}({args[1]})"
        return None

    def value(self, obj):
        """Source text of an argument: a value name, or a plain Python value written out."""
        if isinstance(obj, Ref):
            return self.var(obj.id)
        if obj is None or isinstance(obj, (bool, int, str)):
            return repr(obj)
        if obj is Ellipsis:
            return "..."
        if type(obj) is float:
            return repr(obj) if math.isfinite(obj) else f"float({str(obj)!r})"
        if type(obj) is tuple:
            inner = ", ".join(self.value(o) for o in obj)
            return f"({inner},)" if len(obj) == 1 else f"({inner})"
        if type(obj) is list:
            return "[" + ", ".join(self.value(o) for o in obj) + "]"
        if type(obj) is slice:
            return f"slice({self.value(obj.start)}, {self.value(obj.stop)}, " \
                   f"{self.value(obj.step)})"
        if type(obj) is dict:
            return "{" + ", ".join(f"{k!r}: {self.value(v)}" for k, v in obj.items()) + "}"
        return self._bind(obj, "c")      # arrays, NumPy scalars, dtypes, complex, ...

    def _index(self, key):
        """An index written as Python index syntax: ``1:, None, ...``."""
        parts = key if type(key) is tuple else (key,)
        out = []
        for p in parts:
            if type(p) is slice and all(isinstance(e, (int, type(None))) and
                                        not isinstance(e, bool)
                                        for e in (p.start, p.stop, p.step)):
                s = ("" if p.start is None else str(p.start)) + ":" + \
                    ("" if p.stop is None else str(p.stop))
                out.append(s + ("" if p.step is None else f":{p.step}"))
            else:
                out.append(self.value(p))
        if type(key) is tuple and len(key) == 1:
            return out[0] + ","
        return ", ".join(out) if out else "()"

    def _array(self, a):
        """Whether argument `a` is a value of one dimension or more (an ndarray when run)."""
        return isinstance(a, Ref) and bool(self.graph.vars[a.id].shape)

    def _scalar(self, node, k):
        """A Python number argument of a ufunc as a 0-d array of the dtype NumPy casts it to.

        Under NEP 50 a Python number takes the dtype of the array operand; NumPy converts
        it on every call (~0.5-1 us for a small array), a 0-d array of that dtype it does not.
        """
        a = node.args[k]
        other = node.args[1 - k]
        if type(a) not in (int, float) or not isinstance(other, Ref):
            return None
        d = self.graph.vars[other.id].dtype
        if d is None or d.kind not in "fc" or self.graph.vars[node.outs[0]].dtype != d:
            return None
        with np.errstate(all="ignore"):
            c = np.asarray(a, dtype=d)
        if math.isfinite(a) and not np.isfinite(c):
            return None
        name = f"{d.name[0]}{d.itemsize * 8}_{a!r}".replace(".", "_").replace("-", "m")
        name = name if name.isidentifier() else None
        if name is None:
            return self._bind(c, "c")
        if name not in self.globals:
            self.globals[name] = c
        return name

    def call(self, node, out):
        args = [self.value(a) for a in node.args]
        if isinstance(node.fn, np.ufunc) and len(node.args) == 2 and not node.kwargs:
            for k in (0, 1):
                args[k] = self._scalar(node, k) or args[k]
        if node.fn is operator.getitem and len(node.args) == 2 and not node.kwargs:
            return f"{args[0]}[{self._index(node.args[1])}]"
        fast = self._fast(node, args)
        if fast is not None:
            return fast
        args += [f"{k}={self.value(v)}" for k, v in node.kwargs.items()]
        if out is not None:
            args.append(f"out={self.var(out)}")
        method = getattr(node.fn, "method_name", None)
        if method is not None:          # a method call recorded as a function: x.astype(...)
            return f"{args[0]}.{method}({', '.join(args[1:])})"
        return f"{self.function(node.fn)}({', '.join(args)})"
