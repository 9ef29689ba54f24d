"""The AD engine: boxes, nodes, trace levels, primitives, forward and reverse sweeps.

Standard library only; it knows nothing about NumPy. Arrays live in a `Box`
subclass, and the few array operations the sweeps need are plain callables;
`dfdx._numpy` hands both over once, with `configure`. Derivative rules are
plain callables attached to `Primitive` objects by `dfdx.rules`.

How it works, in one screen:

* Every transform opens a *trace* with a fresh, ever-increasing `level`.
  Inputs are wrapped in boxes of that trace.
* Calling a `Primitive` on boxes finds the box of the highest level (the
  innermost transform), unwraps the boxes of that trace only, calls the
  primitive again on what is left (which may still hold boxes of outer traces
  -- this is what makes any nesting correct, with no perturbation confusion),
  and wraps the answer in a new box of that trace. `Primitive.__call__` is the
  entry into a trace's `process`; the array box enters `process` directly only
  where it is the only traced argument (a measured shortcut, see dfdx._numpy.box).
* A reverse trace records one `Node` per primitive call on its tape, in
  evaluation order. Evaluation order is a topological order, so the backward
  sweep is a plain loop over the reversed tape: iterative, never recursive.
* A forward trace carries a tangent in each box and applies the JVP rules at
  once.
* A batching trace (`BatchTrace`, for dfdx.vmap) holds in each box a value with a
  leading batch axis, and applies the primitive's batching declaration (`Primitive.batch`,
  set by dfdx.rules.batching) to the unwrapped values, or a loop over the batch where it
  has none. It differentiates nothing, so it nests under and over the other traces.
  While one is open, `getval` stops at its boxes: a mapped value is the plain value of
  the code being mapped (its shape is one example's), never the whole batch. A
  derivative rule whose Python control flow differs between the examples (a fast path
  "no ties") is run again one example at a time (`configure_batching`).

Rules are traceable functions of (cotangent or tangent, answer, *args): they are
evaluated on whatever the arguments are, boxes of outer traces included, which
is how higher derivatives come for free.

Writes into traced arrays (``y[i] = v``, dfdx.rules.writes) are primitive calls too; the
box written into then stands for the answer (`rebind`): an input box keeps its leaf for
the sweep to collect, and a reverse trace records copies of the boxes of outer traces it
stores (a later write rebinds the box, never what a tape recorded). ``trace.constant``
makes a box to write into (``np.zeros_like(x)``). In a first-order `backward`, rules set
as ``Primitive.sweep_vjp`` may hand on lazy cotangents (a few pieces of an array, see
`configure`), made dense before any other rule reads them: a loop of n single-element
reads or writes costs O(n), not O(n * size).

What a transform may call (dfdx.api, dfdx.tape; nothing else of a box or a node):

* ``with ReverseTrace() as trace:`` / ``with ForwardTrace(batch=k) as trace:``
  -- a trace is closed when the block ends, or by ``trace.close()`` (its boxes
  are plain values after); the hottest paths set ``trace.done = True`` in a
  ``finally`` instead (two calls fewer).
* ``trace.input(value)`` (reverse) / ``trace.input(value, tangent)`` (forward):
  the box to call the function with.
* ``trace.unbox(x)``: the value of `x` at this trace (`x` itself if not its box);
  ``trace.owns(x)``; ``trace.find(x)``: the box of this trace inside `x`.
* ``trace.tangent(x)`` (forward): the tangent of `x`, None for a constant.
* ``trace.backward(seeds, inputs, once=False)`` and
  ``trace.backward_batched(seeds, inputs)`` (reverse): sweep from ``(output box,
  cotangent)`` pairs; return the cotangents of the input boxes (None: zero).
  ``trace.forward_batched(seeds, outputs)`` replays the tape in forward mode
  (for a trace opened with ``ReverseTrace(keep=True)``).
* ``with BatchTrace(size) as trace:``; ``trace.input(value)`` (the batch axis first);
  ``trace.unbox``/``owns``/``find`` as above; ``trace.batched(value)``: a box of the trace.
* ``aux_of(box)`` (a reverse box's node or a forward box's tangent), ``trace_of(x)`` (the
  trace of a box, None for a plain value) and ``value_of(box)`` (one level unwrapped):
  for the few places outside the transforms that read a box's own slots (dfdx._onesided).
* ``rebind(box, new)``: a write (dfdx._numpy.box); ``trace.constant(value[, tangent])``.
* ``MissingRule`` (an `UnsupportedOperation`) says which mode lacks a rule;
  ``getval(x)`` strips every level of boxing (a plain value, traced no further).
"""

from __future__ import annotations

import itertools

from dfdx._errors import TracerConversionError, UnsupportedOperation

__all__ = [
    "Box", "Node", "Primitive", "ReverseTrace", "ForwardTrace", "MissingRule", "new_level",
    "configure", "add_cotangents", "getval", "MISSING", "ShapeOnly", "BatchTrace",
    "configure_batching", "aux_of", "trace_of", "value_of", "rebind", "ALWAYS",
]

_next_level = itertools.count(1).__next__


def new_level() -> int:
    """Return a level higher than every trace opened so far."""
    return _next_level()


class _Missing:
    __slots__ = ()

    def __repr__(self):
        return "MISSING"


#: A rule slot that was never defined (unlike `None`, which means "zero").
MISSING = _Missing()


class MissingRule(UnsupportedOperation):
    """A primitive has no derivative rule in one mode: `mode` is "forward" or "reverse".

    A transform may catch it to run the other mode instead (value_and_grad does).
    """

    def __init__(self, message, mode):
        super().__init__(message)
        self.mode = mode


class Box:
    """A traced value: the value, the trace it belongs to, and per-trace data.

    `_aux` is the node (see `Node`) of a reverse trace, or the tangent of a forward trace.
    Only the engine and the box's own class read these slots.
    """

    __slots__ = ("_value", "_trace", "_aux")

    def __init__(self, value, trace, aux):
        self._value = value
        self._trace = trace
        self._aux = aux


# What `configure` sets: the box class traces create, and the array operations the sweeps
# need; the defaults are enough for plain Python numbers.
_box_class = Box
_accumulate = lambda total, ct: False            # noqa: E731
_batch_jvp = None
_batch_vjp = None
_cast = lambda t, dtype: t                       # noqa: E731
_scalar_types = frozenset()


class _NoLazy:
    """Stands for the lazy-cotangent type until `configure` names one."""


_lazy = _NoLazy


def configure(*, box_class, accumulate, batch_jvp, batch_vjp, cast, scalar_types, lazy=None):
    """Wire the engine to an array library; `dfdx._numpy` calls it once, on import.

    Args:
        box_class: the `Box` subclass traces create (it carries the array protocols).
        accumulate: ``accumulate(total, ct)`` adds `ct` into `total` in place and
            returns True, or returns False when it cannot (then a new sum is made).
            Only sums a backward sweep made itself are passed as `total`.
        batch_jvp: ``batch_jvp(rule, t, ans, args, kwargs, whole=False)`` applies an
            unbatched JVP rule to each slice of a batched tangent and stacks the results
            (for primitives without batched forward rules). With `whole`, `rule` is a
            ``jvp_all`` and `t` a tuple of tangents.
        batch_vjp: likewise ``batch_vjp(rule, g, ans, args, kwargs, whole=False)`` for
            VJP rules and a batched cotangent.
        cast: ``cast(t, dtype)`` gives tangent `t` the dtype of its value (traceable).
        scalar_types: the scalar types whose type alone fixes their dtype (np.float64, ...).
        lazy: the type of a lazy cotangent (a few scattered pieces of an array, or an array
            the sweep owns), which `Primitive.sweep_vjp` rules may return in a first-order
            `ReverseTrace.backward`; it has ``.dense()``, and adds with ``+`` to cotangents.
    """
    global _box_class, _accumulate, _batch_jvp, _batch_vjp, _cast, _scalar_types, _lazy
    if not (isinstance(box_class, type) and issubclass(box_class, Box)):
        raise TypeError(f"configure: box_class must be a Box subclass, not {box_class!r}.")
    _box_class, _accumulate, _batch_jvp, _batch_vjp = box_class, accumulate, batch_jvp, batch_vjp
    _cast, _scalar_types = cast, frozenset(scalar_types)
    if lazy is not None:
        _lazy = lazy


# A node is one primitive call recorded by a reverse trace, stored as a plain list
# (why: a list is built ~4x faster than an object with six attributes, and every
# primitive call builds one):
#     [g, prim, ans, args, kwargs, parents]
# g: the cotangent accumulated so far in a backward sweep (None: zero), or the tangent
# in a forward replay; prim: the Primitive called (None for an input leaf); ans, args,
# kwargs: its answer and arguments, unwrapped at this trace's level; parents:
# ((argnum, parent_node), ...) for the arguments that were traced.
G, PRIM, ANS, ARGS, KWARGS, PARENTS = range(6)


def Node(prim, ans, args, kwargs, parents):
    """Make a node (see the layout above)."""
    return [None, prim, ans, args, kwargs, parents]


def add_cotangents(a, b):
    """Sum two cotangents (or tangents); None is a symbolic zero; tuples add per item."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is tuple:
        return tuple(add_cotangents(x, y) for x, y in zip(a, b))
    if type(b) is _lazy:
        return b + a    # why: a lazy cotangent adds itself (a box would record it as a value)
    return a + b


class Primitive:
    """A function the engine differentiates with rules instead of tracing through it.

    Args:
        fun: the function on plain (untraced) values.
        name: how errors refer to it (defaults to ``module.qualname``).
        multiple_results: `fun` returns a tuple of arrays (eigh, svd, slogdet, ...).
        zero_derivative: the derivative is zero wherever it exists (floor, sign,
            comparisons): calls on traced values return plain values.

    Rules (set with `defvjp` / `defjvp`, or by `dfdx.rules`):
        vjps: tuple indexed by argument position of ``vjp(g, ans, *args, **kw)``
            returning the cotangent of that argument; ``None`` means "no
            derivative in this argument" (zero); a missing slot raises.
        jvps: likewise ``jvp(t, ans, *args, **kw)`` returning the tangent
            contribution of that argument.
        vjp_all / jvp_all: one function for every argument at once, for
            variadic or linear functions: ``vjp_all(g, ans, *args, **kw)`` returns a
            tuple of cotangents; ``jvp_all(tangents, ans, *args, **kw)`` takes a
            tuple of tangents (None for untraced arguments).
    """

    def __init__(self, fun, name=None, multiple_results=False, zero_derivative=False):
        self.fun = fun
        mod = getattr(fun, "__module__", None) or ""
        qual = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", repr(fun))
        if mod.startswith("numpy"):
            mod = "numpy" if not mod.startswith("numpy.linalg") else "numpy.linalg"
        self.name = name or (f"{mod}.{qual}" if mod else qual)
        self.vjps = ()
        self.jvps = ()
        self.vjp_all = None
        self.jvp_all = None
        self.bjvps = ()          # batched JVP rules (tangents with a leading batch axis)
        self.bjvp_all = None
        self.bvjps = ()          # batched VJP rules (cotangents with a leading batch axis)
        self.bvjp_all = None
        #: None, or the batching declaration ``batch(prim, vals, batched, kwargs, size)``:
        #: the answer, with a leading batch axis, of `prim` on `vals` where ``batched[i]``
        #: says whether ``vals[i]`` has one (see dfdx.rules.batching). None: a loop.
        self.batch = None
        self.multiple_results = multiple_results
        #: None, or flags (ans, arg0, arg1, ...): True where the reverse rules read only
        #: the shape and dtype of that value, so the tape may keep just those.
        self.drop = None
        self.zero_derivative = zero_derivative
        #: None, or ``sweep_vjp(g, ans, *args, **kw)``: the cotangents of every argument
        #: (a tuple) in a first-order backward sweep, where `g` may be lazy (see
        #: `configure`) and so may the answers; it returns None to leave it to the VJP rules.
        #: why: writes in a loop (y[i] = ...) and reads (x[i]) cost O(1) each, not O(size).
        self.sweep_vjp = None
        self.__wrapped__ = fun
        self.__doc__ = getattr(fun, "__doc__", None)
        self.__name__ = getattr(fun, "__name__", self.name)
        self.__qualname__ = qual

    def __repr__(self):
        return f"<dfdx primitive {self.name}>"

    def __call__(self, *args, **kwargs):
        top = None
        for a in args:
            if isinstance(a, Box):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            return self.fun(*args, **kwargs)
        return top.process(self, args, kwargs)

    def defvjp(self, *vjps, all=None):
        """Set the reverse-mode rules, one per positional argument (None: no derivative)."""
        self.vjps = tuple(vjps)
        self.vjp_all = all
        return self

    def defjvp(self, *jvps, all=None):
        """Set the forward-mode rules, one per positional argument (None: no derivative)."""
        self.jvps = tuple(jvps)
        self.jvp_all = all
        return self

    def defbvjp(self, *bvjps, all=None):
        """Set batched reverse rules: like `defvjp`, with a leading batch axis on each cotangent.

        Optional: a primitive without them is batched by looping over the batch.
        """
        self.bvjps = tuple(bvjps)
        self.bvjp_all = all
        return self

    def defbjvp(self, *bjvps, all=None):
        """Set batched forward rules: like `defjvp`, but each tangent has a leading batch axis.

        Optional: a primitive without them is batched by looping over the batch.
        """
        self.bjvps = tuple(bjvps)
        self.bjvp_all = all
        return self

    def _rule(self, rules, whole, argnum, mode):
        if whole is not None:
            return whole
        rule = rules[argnum] if argnum < len(rules) else MISSING
        if rule is MISSING:
            other = "defvjp" if mode == "reverse" else "defjvp"
            alt = "forward" if mode == "reverse" else "reverse"
            have = self.jvps or self.jvp_all if mode == "reverse" else self.vjps or self.vjp_all
            hint = (f" It has a {alt}-mode rule: use a {alt}-mode transform, or add one with "
                    f".{other}." if have else
                    f" Register one with dfdx.primitive and .{other}, or estimate it with "
                    "dfdx.numeric.gradient.")
            raise MissingRule(
                f"dfdx has no {mode}-mode derivative rule for {self.name} in argument "
                f"{argnum}.{hint}", mode)
        return rule



def getval(x):
    """Strip every level of boxing from `x` (a value, never traced further).

    Inside dfdx.vmap a mapped value stays a box of its `BatchTrace` (without the boxes of
    any differentiating trace inside it): that is what the mapped code sees as a value.
    """
    if _open_batches:
        return _getval_batched(x)
    while isinstance(x, Box):
        x = x._value
    return x


def _getval_batched(x):
    while isinstance(x, Box):
        t = x._trace
        if type(t) is BatchTrace and not t.done:
            inner = _getval_batched(x._value)
            return x if inner is x._value else _batch_box_class(inner, t, None)
        x = x._value
    return x


def aux_of(box):
    """A box's per-trace data: the node of a reverse trace, the tangent of a forward one."""
    return box._aux


def trace_of(x):
    """The trace `x` is a box of; None for a plain value."""
    return x._trace if isinstance(x, Box) else None


def value_of(box):
    """The value inside `box`, one level of boxing removed (it may be a box of an outer trace)."""
    return box._value


def _dtype(x):
    """The dtype of a value or box (None for a Python number)."""
    while isinstance(x, Box):   # why: getval inlined: forward mode runs this per operation
        x = x._value
    return getattr(x, "dtype", None)


def _dtype_of_value(t, ans):
    """Tangent `t` in the dtype of its value `ans` (cast only where they differ)."""
    dt = _dtype(ans)
    if dt is None or _dtype(t) == dt:
        return t
    return _cast(t, dt)


def _call_plain(prim, args, kwargs):
    """A primitive with zero derivative: call it on the plain values at every level."""
    if _open_batches:
        vals = [getval(a) for a in args]
        # why: a mapped value stays a box of its batching trace, which must batch the call
        return prim(*vals, **kwargs)
    return prim.fun(*(getval(a) for a in args), **kwargs)


def _dense(g):
    """A cotangent with its lazy parts (see `configure`) made arrays."""
    if type(g) is _lazy:
        return g.dense()
    if type(g) is tuple and _lazy in map(type, g):
        return tuple(x.dense() if type(x) is _lazy else x for x in g)
    return g


def _snapshot(vals):
    """Replace the boxes (of outer traces) among a node's recorded values by copies of them.

    why: a write into a traced array (y[i] = v) makes the box `y` hold the new value; a node
    of an inner trace that recorded the box itself would see its argument change under it.
    """
    for j, v in enumerate(vals):
        if isinstance(v, Box):
            vals[j] = type(v)(v._value, v._trace, v._aux)


def rebind(box, new):
    """Make `box` stand for `new` from now on (a write into a traced array: y[i] = v).

    `new` is a box of the same trace or of an inner one. An input box of a reverse trace
    keeps its leaf node for the sweep to collect (the derivative is of the input's value).
    """
    t = box._trace
    if isinstance(t, ReverseTrace):
        node = box._aux
        if node[PRIM] is None and node[ARGS] == () and not t.done:
            if t.moved is None:
                t.moved = {}
            t.moved.setdefault(id(box), (box, node))
    if type(new) is not type(box):
        box.__class__ = type(new)
    box._value, box._trace, box._aux = new._value, new._trace, new._aux


class ShapeOnly:
    """What the tape keeps of a large value whose rules need only its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"ShapeOnly(shape={self.shape}, dtype={self.dtype})"


#: Values with fewer elements than this are kept whole (dropping them saves nothing).
SLIM_SIZE = 4096


#: A `Primitive.drop` flag: keep only the shape and dtype, whatever the value's size.
ALWAYS = "always"


def _slim(v, always=False):
    if always:
        # why: writes (dfdx.rules.writes) change their array in place where no one else
        # holds it; the tape must not be one of the holders
        return ShapeOnly(getattr(v, "shape", ()), getattr(v, "dtype", None) or type(v))
    # why: a lazy value (Dask) costs nothing to keep, and a device array's (CuPy) memory is
    # the device's; the rules allocate cotangents in the namespace of both
    if (getattr(v, "size", 0) < SLIM_SIZE or isinstance(v, Box) or hasattr(v, "__dask_graph__")
            or hasattr(v, "__cuda_array_interface__")):
        return v
    return ShapeOnly(v.shape, v.dtype)


class _Select:
    """The k-th result of a multiple-results primitive, as a pseudo-primitive."""

    __slots__ = ("k", "n")
    name = "select"

    def __init__(self, k, n):
        self.k = k
        self.n = n

    def cotangent(self, g):
        """The cotangent of the whole tuple of results: `g` at position k, zeros elsewhere."""
        ct = [None] * self.n
        ct[self.k] = g
        return tuple(ct)


class _Trace:
    """What both kinds of trace share: a level, whether it is closed, reading its boxes."""

    # level: see new_level; done: the traced function has returned (or the tape closed).
    __slots__ = ("level", "done")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.done = True
        return False

    def close(self):
        """Mark the trace finished: boxes kept after it behave as their plain values."""
        self.done = True

    def owns(self, x):
        """Whether `x` is a box of this trace."""
        return isinstance(x, Box) and x._trace is self

    def unbox(self, x):
        """The value of `x` at this trace: `x` itself unless it is a box of this trace."""
        return x._value if isinstance(x, Box) and x._trace is self else x

    def find(self, x):
        """The box of this trace inside `x` (under boxes of inner traces), or None."""
        while isinstance(x, Box):
            if x._trace is self:
                return x
            x = x._value
        return None


class ReverseTrace(_Trace):
    """A reverse-mode trace: records a tape of nodes for one backward sweep (or several).

    Args:
        keep: keep every value on the tape whole, never just its shape (`forward_batched`
            reads what the forward rules need; the reverse rules declare less).
    """

    __slots__ = ("tape", "leaves", "keep", "moved")

    def __init__(self, keep=False):
        # why: not super().__init__(): a transform opens a trace per call, and the extra
        # call doubled the cost of opening one (~0.7 us of ~1.5).
        self.level = new_level()
        self.done = False
        self.tape = []
        self.leaves = []    # the nodes of the inputs (they are not on the tape)
        self.keep = keep
        self.moved = None   # {id(input box): (box, its leaf node)} for inputs written into

    def input(self, value):
        """Wrap an input value: a leaf of this trace."""
        node = [None, None, value, (), None, ()]
        self.leaves.append(node)
        return _box_class(value, self, node)

    def constant(self, value):
        """A box of this trace holding a constant (an array made to be written into).

        Its node is a leaf that no sweep collects (``ARGS`` is None, not ``()``).
        """
        node = [None, None, value, None, None, ()]
        self.leaves.append(node)    # why: so that every sweep clears what reaches it
        return _box_class(value, self, node)

    def process(self, prim, args, kwargs):
        # why: this scan and ForwardTrace.process's look alike but differ in what they
        # collect; they stay inline because every primitive call runs one of them.
        if prim.zero_derivative:
            return _call_plain(prim, args, kwargs)
        vals = list(args)
        parents = []
        nested = False          # an argument still holds boxes of outer traces
        vjps = None if prim.vjp_all is not None else prim.vjps
        i = 0
        for a in args:
            if isinstance(a, Box):
                if a._trace is self:
                    v = vals[i] = a._value
                    if isinstance(v, Box):
                        nested = True
                    if vjps is None:
                        parents.append((i, a._aux))
                    else:
                        rule = vjps[i] if i < len(vjps) else MISSING
                        if rule is MISSING:
                            prim._rule(vjps, None, i, "reverse")   # raises the teaching error
                        if rule is not None:
                            parents.append((i, a._aux))
                else:
                    nested = True
            i += 1
        # why: at first order (no boxes of outer traces left) calling `fun` directly skips
        # Primitive.__call__'s scan for a trace: ~0.5 us a call (measured, CPU time, np.sin
        # of 10 float64s: 0.94 us instead of 1.47).
        if nested:
            ans = prim(*vals, **kwargs)
        else:
            ans = prim.fun(*vals, **kwargs)
        if not parents:
            return ans
        drop = prim.drop
        if drop is not None and not self.keep:
            # why: a rule that needs only the shape of a value should not keep a large
            # array alive until the backward sweep (peak memory of reverse mode).
            kept = _slim(ans, drop[0] is ALWAYS) if drop[0] else ans
            for j, d in enumerate(drop[1:len(vals) + 1]):
                if d:
                    vals[j] = _slim(vals[j], d is ALWAYS)
            node = [None, prim, kept, vals, kwargs, parents]
        else:
            node = [None, prim, ans, vals, kwargs, parents]
        if nested:
            _snapshot(vals)     # in place: the node holds this list
        self.tape.append(node)
        if prim.multiple_results:
            return self._select_boxes(ans, node)
        return _box_class(ans, self, node)

    def _select_boxes(self, ans, node):
        """One box per result of a primitive with several, each from a selection node."""
        n = len(ans)
        out = []
        for k in range(n):
            sel = [None, _Select(k, n), ans[k], None, None, ((0, node),)]
            self.tape.append(sel)
            out.append(_box_class(ans[k], self, sel))
        return tuple(out)

    def _seed(self, seeds):
        """Put the seeds' cotangents (or tangents) on their nodes; whether any was of this trace."""
        seeded = False
        for box, g in seeds:
            if isinstance(box, Box) and box._trace is self:
                node = box._aux
                node[0] = add_cotangents(node[0], g)
                seeded = True
        return seeded

    def _collect(self, inputs):
        """The values the sweep left on the nodes of the boxes `inputs`; then clear every leaf."""
        moved = self.moved
        if moved:
            out = [(moved[id(b)][1] if id(b) in moved else b._aux)[0] for b in inputs]
        else:
            out = [b._aux[0] for b in inputs]
        if _lazy in map(type, out):
            out = [x.dense() if type(x) is _lazy else x for x in out]
        for leaf in self.leaves:
            leaf[0] = None
        return out

    def _clear(self):
        for node in self.tape:
            node[0] = None
        for leaf in self.leaves:
            leaf[0] = None

    def backward(self, seeds, inputs, once=False):
        """Sweep the tape backwards; return the cotangent of each box in `inputs`.

        Args:
            seeds: pairs ``(output box, cotangent)``; a box not of this trace (an
                output that does not depend on the inputs) is skipped.
            inputs: boxes made by `input`.
            once: release each node's values as soon as its rule has run (the tape
                cannot be swept again). Without it the sweep can be repeated with
                other seeds.

        Returns:
            A list with the cotangent of each input, None where nothing reached it.
        """
        if not self._seed(seeds):
            return self._collect(inputs)
        add = add_cotangents
        accumulate = _accumulate
        # why: a sum this sweep made itself is referenced nowhere else, so later
        # contributions can be added into it in place (one array fewer at the peak).
        owned = set()
        try:
            for node in reversed(self.tape):
                g = node[0]
                if g is None:
                    continue
                node[0] = None
                if owned:
                    owned.discard(id(g))
                _, prim, ans, args, kw, parents = node
                if once:
                    node[2] = node[3] = None
                if type(prim) is _Select:
                    (_, parent), = parents
                    parent[0] = add(parent[0], prim.cotangent(g))
                    continue
                if prim.sweep_vjp is not None:
                    cts = prim.sweep_vjp(g, ans, *args, **kw) if kw else prim.sweep_vjp(
                        g, ans, *args)
                    if cts is not None:
                        for i, parent in parents:
                            parent[0] = add(parent[0], cts[i])
                        del g, ans, args, cts
                        continue
                tg = type(g)
                if tg is _lazy or tg is tuple:
                    g = _dense(g)
                if prim.vjp_all is not None:
                    try:
                        cts = prim.vjp_all(g, ans, *args, **kw)
                    except TracerConversionError as e:
                        cts = _per_example(e, prim.vjp_all, (g, ans, *args), kw)
                    for i, parent in parents:
                        parent[0] = add(parent[0], cts[i])
                else:
                    vjps = prim.vjps
                    for i, parent in parents:
                        try:
                            ct = vjps[i](g, ans, *args, **kw) if kw else vjps[i](g, ans, *args)
                        except TracerConversionError as e:
                            ct = _per_example(e, vjps[i], (g, ans, *args), kw or {})
                        pg = parent[0]
                        if pg is None:
                            parent[0] = ct
                        elif id(pg) in owned and accumulate(pg, ct):
                            pass
                        else:
                            pg = parent[0] = add(pg, ct)
                            owned.add(id(pg))
                del g, ans, args
        except BaseException:
            self._clear()   # a rule raised: no cotangent of this sweep stays behind
            raise
        return self._collect(inputs)

    def backward_batched(self, seeds, inputs):
        """Sweep once for a batch of seeds: every cotangent has a leading batch axis.

        The same as one `backward` per slice of the batch (for jacrev), with the
        primitives' batched rules where they have them and, where not, their plain
        rule under a BatchTrace (the form generated from the batching declaration).
        """
        # why: a second sweep, not `backward` with batched cotangent boxes: that runs every
        # rule in the generated form, which costs jacrev 1.2-1.6x on small arrays (W3
        # 1.5-1.6x; per rule, benchmarks/RESULTS-batching.md).
        if not self._seed(seeds):
            return self._collect(inputs)
        try:
            self._sweep_batched()
        except BaseException:
            self._clear()
            raise
        return self._collect(inputs)

    def _sweep_batched(self):
        add = add_cotangents
        fallback = _batch_vjp
        for node in reversed(self.tape):
            g = node[0]
            if g is None:
                continue
            node[0] = None
            _, prim, ans, args, kw, parents = node
            kw = kw or {}
            if type(prim) is _Select:
                (_, parent), = parents
                parent[0] = add(parent[0], prim.cotangent(g))
                continue
            cts = None
            if prim.bvjp_all is not None:
                cts = _guarded(prim.bvjp_all, (g, ans, *args), kw)
            elif prim.vjp_all is not None:
                cts = _guarded(lambda g, ans, *a, **k: fallback(prim.vjp_all, g, ans, a, k,
                                                                  whole=True), (g, ans, *args), kw)
            bvjps = prim.bvjps
            for i, parent in parents:
                if cts is not None:
                    ct = cts[i]
                else:
                    rule = bvjps[i] if i < len(bvjps) else MISSING
                    if rule is MISSING:
                        vjp = prim.vjps[i]
                        ct = _guarded(lambda g, ans, *a, **k: fallback(vjp, g, ans, a, k),
                                      (g, ans, *args), kw)
                    else:
                        ct = _guarded(rule, (g, ans, *args), kw)
                parent[0] = add(parent[0], ct)

    def forward_batched(self, seeds, outputs):
        """Replay the tape in forward mode: the tangents of `outputs`, with a leading batch axis.

        The same as calling the function again under ``ForwardTrace(batch=k)`` with
        the tangents of `seeds` (pairs ``(input box, tangent)``), without calling it:
        the recorded primitives' forward rules run in evaluation order. The trace must
        keep its values (``ReverseTrace(keep=True)``). An output not of this trace, or
        not reached from the seeds, gets None (zero).
        """
        self._seed(seeds)
        try:
            for node in self.tape:
                _, prim, ans, args, kw, parents = node
                if type(prim) is _Select:
                    (_, parent), = parents
                    t = parent[0]
                    node[0] = None if t is None else t[prim.k]
                    continue
                tangents = [(i, p[0]) for i, p in parents if p[0] is not None]
                if not tangents:
                    continue
                t = _batched_jvp_guarded(prim, tangents, ans, args, kw or {})
                if t is not None and not prim.multiple_results and len(tangents) < len(args):
                    t = _dtype_of_value(t, ans)   # why: as in ForwardTrace.process
                node[0] = t
            return [o._aux[0] if isinstance(o, Box) and o._trace is self else None
                    for o in outputs]
        finally:
            self._clear()


class ForwardTrace(_Trace):
    """A forward-mode trace: each box carries its tangent.

    With ``batch=k`` every tangent has a leading axis of length k: k directions
    pushed through one evaluation of the function (for Jacobians and Hessians).
    Rules are then the primitive's batched rules, or its plain rules applied to
    each direction in turn (the `batch_jvp` given to `configure`) when it has none.
    """

    __slots__ = ("batch", "inputs")

    def __init__(self, batch=None):
        self.level = new_level()   # why: not super().__init__(), as in ReverseTrace
        self.done = False
        self.batch = batch
        self.inputs = []    # the input boxes (a write may tell them from views)

    def input(self, value, tangent):
        """Wrap an input value with its tangent."""
        box = _box_class(value, self, tangent)
        self.inputs.append(box)
        return box

    def constant(self, value, tangent):
        """A box of this trace holding a constant, with its (zero) `tangent`."""
        return _box_class(value, self, tangent)

    def tangent(self, x):
        """The tangent of `x`; None (zero) when `x` is not a box of this trace."""
        return x._aux if isinstance(x, Box) and x._trace is self else None

    def process(self, prim, args, kwargs):
        if prim.zero_derivative:
            return _call_plain(prim, args, kwargs)
        vals = list(args)
        tangents = []
        nested = False
        i = 0
        for a in args:
            if isinstance(a, Box):
                if a._trace is self:
                    v = vals[i] = a._value
                    if isinstance(v, Box):
                        nested = True
                    tangents.append((i, a._aux))
                else:
                    nested = True
            i += 1
        if nested:   # why: as in ReverseTrace.process, ~0.5 us a call at first order
            ans = prim(*vals, **kwargs)
        else:
            ans = prim.fun(*vals, **kwargs)
        if self.batch is not None:
            out = _batched_jvp_guarded(prim, tangents, ans, vals, kwargs)
        elif prim.jvp_all is not None:
            ts = [None] * len(vals)
            for i, t in tangents:
                ts[i] = t
            try:
                out = prim.jvp_all(tuple(ts), ans, *vals, **kwargs)
            except TracerConversionError as e:
                out = _per_example(e, prim.jvp_all, (tuple(ts), ans, *vals), kwargs)
        else:
            out = None
            jvps = prim.jvps
            for i, t in tangents:
                rule = prim._rule(jvps, None, i, "forward")
                if rule is not None:
                    try:
                        r = rule(t, ans, *vals, **kwargs)
                    except TracerConversionError as e:
                        r = _per_example(e, rule, (t, ans, *vals), kwargs)
                    out = add_cotangents(out, r)
        if out is None:
            return ans
        if prim.multiple_results:
            return tuple(a if t is None else _box_class(a, self, t) for a, t in zip(ans, out))
        if len(tangents) < len(args):
            # why: a rule that passes a tangent through (add, where, maximum, concatenate)
            # beside a constant of a wider dtype (complex, float64) would leave the tangent
            # real or float32; with every argument traced the tangents promote like the value.
            ta = type(ans)
            if type(out) is not ta or ta not in _scalar_types:
                out = _dtype_of_value(out, ans)
        return _box_class(ans, self, out)


def _guarded(rule, args, kwargs):
    """``rule(*args, **kwargs)``, again one example at a time where its control flow differs
    between the examples of a dfdx.vmap batch."""
    try:
        return rule(*args, **kwargs)
    except TracerConversionError as e:
        return _per_example(e, rule, args, kwargs)


def _batched_jvp_guarded(prim, tangents, ans, vals, kwargs):
    try:
        return _batched_jvp(prim, tangents, ans, vals, kwargs)
    except TracerConversionError as e:
        return _per_example(e, lambda ts, a, *v: _batched_jvp(prim, list(ts), a, list(v), kwargs),
                            (tuple(tangents), ans, *vals), {})


def _batched_jvp(prim, tangents, ans, vals, kwargs):
    """The batched tangent of `prim`'s answer from ``(argnum, tangent)`` pairs (None: zero)."""
    fallback = _batch_jvp
    if prim.bjvp_all is not None or (prim.jvp_all is not None and not prim.bjvps):
        ts = [None] * len(vals)
        for i, t in tangents:
            ts[i] = t
        if prim.bjvp_all is not None:
            return prim.bjvp_all(tuple(ts), ans, *vals, **kwargs)
        return fallback(prim.jvp_all, tuple(ts), ans, vals, kwargs, whole=True)
    out = None
    bjvps = prim.bjvps
    for i, t in tangents:
        rule = bjvps[i] if i < len(bjvps) else MISSING
        if rule is MISSING:
            rule = prim._rule(prim.jvps, None, i, "forward")
            if rule is None:
                continue
            out = add_cotangents(out, fallback(rule, t, ans, vals, kwargs))
        elif rule is not None:
            out = add_cotangents(out, rule(t, ans, *vals, **kwargs))
    return out


# --- batching (dfdx.vmap) --------------------------------------------------------------

_open_batches = 0        # how many BatchTraces are open (getval's fast path when none)
_batch_box_class = Box
_batch_loop = None
_rule_per_example = None


def _per_example(err, rule, args, kwargs):
    """A derivative rule that branched differently for the examples of a dfdx.vmap batch
    (a fast path at ties, zeros, ...), run again one example at a time; else `err`."""
    if not _open_batches or _rule_per_example is None:
        raise err
    try:
        return _rule_per_example(err, rule, args, kwargs)
    except TracerConversionError as e:
        # why: raised inside a derivative rule, not by the user's code: dfdx.vmap may
        # then answer one example at a time (see dfdx._vmap)
        e.in_rule = True
        raise


def configure_batching(*, box_class, loop, batch_jvp=None, batch_vjp=None, rule_per_example=None):
    """Wire batching to an array library; dfdx._vmap calls it once, on import.

    Args:
        box_class: the `Box` subclass a `BatchTrace` creates (one example's shape, and the
            errors Python control flow on a mapped value raises).
        loop: ``loop(prim, vals, batched, kwargs, size)``: the batched answer of a primitive
            without a batching declaration, one example at a time, stacked.
        batch_jvp, batch_vjp: replace `configure`'s fallbacks for primitives without
            hand-written batched rules (same signatures): the plain rule run once under a
            `BatchTrace` with the tangent (cotangent) batched -- the batched form generated
            from the batching declarations.
        rule_per_example: ``rule_per_example(err, rule, args, kwargs)``: a derivative rule
            that raised `err` on mapped values (Python control flow whose examples differ)
            called once per example and stacked; it raises `err` where it cannot.
    """
    global _batch_box_class, _batch_loop, _batch_jvp, _batch_vjp, _rule_per_example
    if not (isinstance(box_class, type) and issubclass(box_class, Box)):
        raise TypeError(f"configure_batching: box_class must be a Box subclass, not {box_class!r}.")
    _batch_box_class, _batch_loop = box_class, loop
    if batch_jvp is not None:
        _batch_jvp = batch_jvp
    if batch_vjp is not None:
        _batch_vjp = batch_vjp
    if rule_per_example is not None:
        _rule_per_example = rule_per_example


class BatchTrace(_Trace):
    """A batching trace: each box holds a value whose leading axis (of length `size`) is
    the batch; every primitive call on them is answered for the whole batch at once.

    Nothing is differentiated here; the derivative traces inside and outside see the
    batched values as plain values (or boxes of this trace), so vmap composes with them.
    """

    __slots__ = ("size", "_open")

    def __init__(self, size):
        self.level = new_level()
        self.done = False
        self.size = size
        self._open = False

    def __enter__(self):
        global _open_batches
        _open_batches += 1
        self._open = True
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        global _open_batches
        if self._open:
            _open_batches -= 1
            self._open = False
        self.done = True

    def input(self, value):
        """Wrap a value whose leading axis is the batch."""
        return _batch_box_class(value, self, None)

    batched = input

    def process(self, prim, args, kwargs):
        vals = list(args)
        batched = [False] * len(vals)
        i = 0
        for a in args:
            if isinstance(a, Box) and a._trace is self:
                vals[i] = a._value
                batched[i] = True
            i += 1
        rule = prim.batch
        if rule is None:
            out = _batch_loop(prim, vals, batched, kwargs, self.size)
        else:
            out = rule(prim, vals, batched, kwargs, self.size)
        box = _batch_box_class
        if prim.multiple_results:
            return tuple(box(o, self, None) for o in out)
        return box(out, self, None)
