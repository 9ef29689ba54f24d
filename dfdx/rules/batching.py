"""Batching declarations: how each primitive's arguments' axes map under dfdx.vmap.

A declaration answers a primitive call for a whole batch at once. It is called as
``batch(prim, vals, batched, kwargs, size)``: `vals` are the arguments, ``batched[i]``
says whether ``vals[i]`` carries the batch as its leading axis (the others are the same
for every example), and it returns the answer with the batch as its leading axis. It
computes with NumPy functions and primitive calls only, so it stays traceable (values
may be boxes of outer traces). The families:

* `elementwise`: align the batch axes (a batched argument of lower rank gets ones
  after its batch axis; an unbatched one broadcasts as it is).
* `over_axes`: reductions and other functions of an ``axis`` parameter: the axes move
  one to the right; ``axis=None`` means every axis but the batch.
* structural ops (reshape, transpose, broadcast_to, indexing, concatenate, pad, einsum),
  each with its own small rule.
* `stacked`: linear algebra that NumPy already applies to stacks over the leading axes
  (inv, det, cholesky, eigh, svd, ...), and matmul / solve with their vector cases.

A primitive without a declaration is answered by `loop`: one call per example, stacked
(correct, slower). A primitive whose answer's shape differs from one example to the
next (np.nonzero) cannot be batched, and says so.
"""

from __future__ import annotations

import inspect

import numpy as np

from dfdx._core import Box, Primitive
from dfdx._errors import UnsupportedOperation
from dfdx._numpy import registry as _registry
from dfdx._numpy.registry import FUNCTIONS, UFUNCS, shape_of

__all__ = ["loop", "DECLARATIONS", "declare", "declared"]


def _rank(v, b):
    return len(shape_of(v)) - (1 if b else 0)


def _lift(v, nd):
    """A batched value with ones inserted after the batch axis up to `nd` axes per example."""
    s = shape_of(v)
    if len(s) - 1 < nd:
        v = np.reshape(v, (s[0],) + (1,) * (nd - len(s) + 1) + tuple(s[1:]))
    return v


def _bcast(v, size):
    """An unbatched value given the batch axis (a broadcast view)."""
    return np.broadcast_to(v, (size,) + tuple(shape_of(v)))


def _stack(outs, prim):
    shapes = {tuple(shape_of(o)) for o in outs}
    if len(shapes) > 1:
        raise UnsupportedOperation(
            f"dfdx.vmap cannot batch {prim.name} here: its answer has a different shape for "
            f"different examples ({sorted(shapes)[:3]}). Compute it outside vmap, or use a "
            "form of fixed shape (np.where(mask, x, 0) instead of x[mask] or np.nonzero).")
    return np.stack(outs)


def loop(prim, vals, batched, kwargs, size):
    """The batched answer of a primitive without a declaration: one example at a time."""
    if prim.batch is None and _registered() != _seen[0]:
        _register_all()   # a table registered since (scipy.special loads on first need)
        if prim.batch is not None:
            return prim.batch(prim, vals, batched, kwargs, size)
    outs = []
    for j in range(size):
        args = [v[j] if b else v for v, b in zip(vals, batched)]
        outs.append(prim(*args, **kwargs))
    if prim.multiple_results:
        return tuple(_stack([o[c] for o in outs], prim) for c in range(len(outs[0])))
    if isinstance(outs[0], (tuple, list)):
        raise UnsupportedOperation(
            f"dfdx.vmap cannot batch {prim.name}: it returns a sequence of arrays whose "
            "lengths may differ from one example to the next. Compute it outside vmap.")
    return _stack(outs, prim)


# --- the families -----------------------------------------------------------------------

def elementwise(prim, vals, batched, kwargs, size):
    """Elementwise (broadcasting) functions: align the batch axes."""
    nds = [_rank(v, b) for v, b in zip(vals, batched)]
    nd = max(nds)
    args = [_lift(v, nd) if b and n < nd else v for v, b, n in zip(vals, batched, nds)]
    return prim(*args, **kwargs)


def first_only(rule):
    """A rule valid when only the first argument is batched; a loop otherwise."""
    def batch(prim, vals, batched, kwargs, size):
        if any(batched[1:]):
            return loop(prim, vals, batched, kwargs, size)
        return rule(prim, vals, batched, kwargs, size)
    batch.__name__ = getattr(rule, "__name__", "batch")
    return batch


_PARAMS: dict = {}


def _bind(prim, vals, kwargs):
    """The arguments after the first as a dict by parameter name (the primitive's signature),
    with the defaults of those not given."""
    params = _PARAMS.get(prim)
    if params is None:
        params = _PARAMS[prim] = [
            (p.name, p.default) for p in inspect.signature(prim.fun).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    bound = {n: d for n, d in params[1:] if d is not inspect.Parameter.empty}
    bound.update(zip((n for n, _ in params[1:]), vals[1:]))
    bound.update(kwargs)
    return bound


def _shift(axis, nd):
    if axis is None:
        return tuple(range(1, nd + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(a % nd + 1 for a in axis)
    return axis % nd + 1 if nd else axis + 1


def over_axes(name="axis", flat=False):
    """Functions of an axis parameter `name`. With `flat`, ``axis=None`` means "of the
    flattened array" (cumsum, argmax, sort): each example is flattened first."""
    def batch(prim, vals, batched, kwargs, size):
        x = vals[0]
        nd = len(shape_of(x)) - 1
        kw = _bind(prim, vals, kwargs)
        axis = kw.get(name)
        if axis is None and flat:
            if kw.get("keepdims"):
                return loop(prim, vals, batched, kwargs, size)
            x = np.reshape(x, (shape_of(x)[0], -1))
            kw[name] = 1
        else:
            kw[name] = _shift(axis, nd)
        return prim(x, **kw)
    return first_only(batch)


def stacked(prim, vals, batched, kwargs, size):
    """Linear algebra NumPy applies over stacks of matrices (the leading axes)."""
    if any(batched[1:]):
        return loop(prim, vals, batched, kwargs, size)
    return prim(*vals, **kwargs)


def matmul(prim, vals, batched, kwargs, size):
    a, b = vals
    ba, bb = batched
    ra, rb = _rank(a, ba), _rank(b, bb)
    if kwargs:
        return loop(prim, vals, batched, kwargs, size)
    if ba and not bb and rb == 2:
        s = shape_of(a)
        if len(s) > 2:
            # why: NumPy multiplies a stack by a matrix one slice at a time; as one (B*n, k)
            # matrix it is one matrix product (measured: the batched VJP of A @ x, A 200x200,
            # 908 us -> see the report; batched (B, 1, k) @ (k, m) is every backward pass)
            r = prim(np.reshape(a, (-1, s[-1])), b)
            return np.reshape(r, tuple(s[:-1]) + (shape_of(b)[-1],))
        return prim(a, b)   # (B, k) @ (k, m): NumPy's own broadcasting is right
    if bb and not ba and ra == 2 and rb == 1:
        return prim(b, np.swapaxes(a, -1, -2))   # why: one matrix product, as below
    if bb and not ba and ra == 2 and rb == 2 and shape_of(b)[-1] == 1:
        # why: (n, k) @ (B, k, 1) is B matrix-vector products; (B, k) @ (k, n) is one matrix
        # product (measured: 0.37 ms instead of 1.34 for n = k = 256, B = 128)
        s = shape_of(b)
        r = prim(np.reshape(b, (s[0], s[1])), np.swapaxes(a, -1, -2))
        return np.reshape(r, (s[0], shape_of(a)[0], 1))
    vec_a, vec_b = ra == 1, rb == 1
    if vec_a:
        a = np.expand_dims(a, -2)
    if vec_b:
        b = np.expand_dims(b, -1)
    ra, rb = max(ra, 2), max(rb, 2)
    nd = max(ra, rb)
    if ba:
        a = _lift(a, nd)
    if bb:
        b = _lift(b, nd)
    r = prim(a, b)
    if vec_a and vec_b:
        return r[..., 0, 0]
    if vec_a:
        return r[..., 0, :]
    if vec_b:
        return r[..., 0]
    return r


def solve(prim, vals, batched, kwargs, size):
    a, b = vals
    ba, bb = batched
    if _rank(b, bb) == 1:
        if not bb:
            return prim(a, b)       # one vector for a stack of matrices
        r = solve(prim, [a, np.expand_dims(b, -1)], batched, kwargs, size)
        return r[..., 0]
    nd = max(_rank(a, ba), _rank(b, bb))
    return prim(_lift(a, nd) if ba else a, _lift(b, nd) if bb else b)


def reshape(prim, vals, batched, kwargs, size):
    kw = _bind(prim, vals, kwargs)
    shape = kw.pop("shape")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return prim(vals[0], (shape_of(vals[0])[0],) + shape, **kw)


def transpose(prim, vals, batched, kwargs, size):
    x = vals[0]
    nd = len(shape_of(x)) - 1
    axes = _bind(prim, vals, kwargs).get("axes")
    axes = tuple(range(nd - 1, -1, -1)) if axes is None else axes
    return prim(x, (0,) + tuple(a % nd + 1 for a in axes))


def broadcast_to(prim, vals, batched, kwargs, size):
    x = vals[0]
    kw = _bind(prim, vals, kwargs)
    shape = kw.pop("shape")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return prim(_lift(x, len(shape)), (shape_of(x)[0],) + shape, **kw)


def _is_advanced(k):
    return not (k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)))


def _batched_key(key):
    """The key for a batched value, and where NumPy puts the batch axis in the answer
    (0, unless separated advanced indices move their axes to the front)."""
    keys = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, Box) for k in keys):
        return None, 0
    pos = [i for i, k in enumerate(keys) if _is_advanced(k) or
           (isinstance(k, (int, np.integer)) and any(map(_is_advanced, keys)))]
    moved = 0
    if pos and pos[-1] - pos[0] + 1 != len(pos):
        shapes = []
        for k in keys:
            if _is_advanced(k):
                k = np.asarray(k)
                shapes.append((int(np.count_nonzero(k)),) if k.dtype == bool else k.shape)
        moved = len(np.broadcast_shapes(*shapes))
    return (slice(None),) + keys, moved


def getitem(prim, vals, batched, kwargs, size):
    if batched[1]:
        return loop(prim, vals, batched, kwargs, size)
    bkey, moved = _batched_key(vals[1])
    if bkey is None:
        return loop(prim, vals, batched, kwargs, size)
    r = prim(vals[0], bkey)
    return np.moveaxis(r, moved, 0) if moved else r


def untake(prim, vals, batched, kwargs, size):
    g, key, shape = vals
    if batched[1] or batched[2]:
        return loop(prim, vals, batched, kwargs, size)
    bkey, moved = _batched_key(key)
    if bkey is None:
        return loop(prim, vals, batched, kwargs, size)
    if moved:
        g = np.moveaxis(g, 0, moved)
    return prim(g, bkey, (size,) + tuple(shape))


def concatenate(prim, vals, batched, kwargs, size):
    axis, *xs = vals
    if batched[0]:
        return loop(prim, vals, batched, kwargs, size)
    nd = max(_rank(x, b) for x, b in zip(xs, batched[1:]))
    xs = [x if b else _bcast(x, size) for x, b in zip(xs, batched[1:])]
    return prim((0 if axis is None else axis) % nd + 1, *xs)


def pad(prim, vals, batched, kwargs, size):
    x = vals[0]
    kw = _bind(prim, vals, kwargs)
    nd = len(shape_of(x)) - 1
    widths = np.broadcast_to(np.asarray(kw.pop("pad_width")), (nd, 2)).tolist()
    return prim(x, [(0, 0)] + widths, **kw)


def roll(prim, vals, batched, kwargs, size):
    x = vals[0]
    kw = _bind(prim, vals, kwargs)
    axis = kw.pop("axis", None)
    if axis is None:
        s = shape_of(x)
        return np.reshape(prim(np.reshape(x, (s[0], -1)), kw.pop("shift"), 1, **kw), s)
    return prim(x, kw.pop("shift"), _shift(axis, len(shape_of(x)) - 1), **kw)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(prim, vals, batched, kwargs, size):
    subs, *ops = vals
    if batched[0] or not isinstance(subs, str):
        return loop(prim, vals, batched, kwargs, size)
    subs = subs.replace(" ", "")
    ins, _, out = subs.partition("->")
    ins = ins.split(",")
    if "->" not in subs:
        letters = [c for c in "".join(ins) if c.isalpha()]
        out = ("..." if "..." in subs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    z = next(c for c in _LETTERS if c not in subs)
    ins = [z + s if b else s for s, b in zip(ins, batched[1:])]
    return prim(",".join(ins) + "->" + z + out, *ops, **kwargs)


def astype(prim, vals, batched, kwargs, size):
    return prim(*vals, **kwargs)


# --- the table --------------------------------------------------------------------------

#: primitive -> declaration (filled below; `Primitive.batch` points at the same rule)
DECLARATIONS: dict = {}


def declare(prim, rule):
    """Set the batching declaration of `prim` (a Primitive)."""
    prim.batch = rule
    DECLARATIONS[prim] = rule
    return prim


def _entry(fn):
    prim = UFUNCS.get(fn) if isinstance(fn, np.ufunc) else FUNCTIONS.get(fn)
    return prim if isinstance(prim, Primitive) else None


def _by_name(name):
    """The registered primitives called `name` (those reached only through a wrapper)."""
    return [p for p in set(FUNCTIONS.values()) | set(UFUNCS.values())
            if isinstance(p, Primitive) and p.name == name]


_EXCEPT_ELEMENTWISE = {np.matmul}

_STRUCTURAL = {
    "numpy.reshape": reshape, "numpy.transpose": transpose, "numpy.broadcast_to": broadcast_to,
    "indexing x[...]": getitem, "scatter-add (the adjoint of indexing)": first_only(untake),
    "numpy.concatenate": concatenate, "numpy.pad": first_only(pad),
    "numpy.roll": first_only(roll), "numpy.einsum": einsum, "astype": first_only(astype),
    # elementwise functions that are not ufuncs
    "numpy.real": elementwise, "numpy.imag": elementwise, "numpy.angle": elementwise,
    "numpy.where": elementwise, "numpy.clip": elementwise, "numpy.sqrt (in numpy.std)":
    elementwise, "numpy.round": first_only(elementwise), "numpy.around": first_only(elementwise),
    "numpy.fix": elementwise, "numpy.iscomplex": elementwise, "numpy.isreal": elementwise,
    "numpy.isposinf": elementwise, "numpy.isneginf": elementwise,
    "numpy.zeros_like": first_only(elementwise), "numpy.ones_like": first_only(elementwise),
    "numpy.empty_like": first_only(elementwise), "numpy.full_like": first_only(elementwise),
    "numpy.isclose": elementwise, "scipy.special.polygamma": elementwise,
    # reductions and functions of an axis
    "numpy.sum": over_axes(), "numpy.mean": over_axes(), "numpy.max": over_axes(),
    "numpy.min": over_axes(), "numpy.prod": over_axes(), "numpy.all": over_axes(),
    "numpy.any": over_axes(), "numpy.count_nonzero": over_axes(),
    "numpy.linalg.norm": over_axes(), "numpy.flip": over_axes(),
    "numpy.cumsum": over_axes(flat=True), "numpy.cumprod": over_axes(flat=True),
    "numpy.argmax": over_axes(flat=True), "numpy.argmin": over_axes(flat=True),
    "numpy.nanargmax": over_axes(flat=True), "numpy.nanargmin": over_axes(flat=True),
    "numpy.sort": over_axes(flat=True), "numpy.argsort": over_axes(flat=True),
    "numpy.fft.fft": over_axes(), "numpy.fft.ifft": over_axes(), "numpy.fft.rfft": over_axes(),
    "numpy.fft.irfft": over_axes(), "numpy.fft.fftshift": over_axes("axes"),
    "numpy.fft.ifftshift": over_axes("axes"),
    # linear algebra over the trailing axes
    "numpy.matmul": matmul, "numpy.linalg.solve": solve,
    "numpy.linalg.inv": stacked, "numpy.linalg.det": stacked,
    "numpy.linalg.det (cofactor matrix)": stacked, "numpy.linalg.slogdet": stacked,
    "numpy.linalg.cholesky": stacked, "numpy.linalg.eigh": stacked,
    "numpy.linalg.svd": stacked, "numpy.linalg.eig": stacked, "numpy.linalg.pinv": stacked,
    "numpy.linalg.qr": stacked,
}


_seen = [-1]


def _registered():
    return len(UFUNCS) + len(FUNCTIONS)


def _register_all():
    _seen[0] = _registered()
    for fn, prim in list(UFUNCS.items()):
        if isinstance(prim, Primitive) and fn not in _EXCEPT_ELEMENTWISE and prim.batch is None:
            declare(prim, elementwise)
    for name, rule in _STRUCTURAL.items():
        for prim in _by_name(name):
            declare(prim, rule)
    # the NaN-safe product of the elementwise rules (not registered for dispatch)
    declare(_registry._guarded_multiply, elementwise)


def declared():
    """Register the declarations of every primitive registered so far (idempotent; the
    lazily loaded scipy.special table calls for it again)."""
    _register_all()
    return DECLARATIONS


declared()


# --- batched rules generated from the declarations ------------------------------------------
#
# jacfwd / hessian push k tangents through one evaluation (ForwardTrace(batch=k)) and jacrev
# sweeps k cotangents at once (ReverseTrace.backward_batched). A primitive without a
# hand-written batched rule gets its plain rule run once under a BatchTrace, with the
# tangent (or cotangent) batched and everything else as it is: the rule's own primitives
# are then batched by their declarations.

def _size_of(t):
    if isinstance(t, tuple):
        return next(shape_of(x)[0] for x in t if x is not None)
    return shape_of(t)[0]


def _unbatch(trace, out, size):
    if out is None:
        return None
    if isinstance(out, tuple):
        return tuple(_unbatch(trace, o, size) for o in out)
    box = trace.find(out)
    if box is None:          # the rule's answer does not depend on the tangent: constant
        return np.broadcast_to(out, (size,) + tuple(shape_of(out)))
    return trace.unbox(box)


def _generated(rule, t, ans, args, kwargs, whole, old):
    from dfdx._core import BatchTrace
    from dfdx._errors import TracerConversionError
    size = _size_of(t)
    try:
        with BatchTrace(size) as trace:
            if isinstance(t, tuple):
                tb = tuple(None if x is None else trace.input(x) for x in t)
            else:
                tb = trace.input(t)
            out = rule(tb, ans, *args, **kwargs)
            return _unbatch(trace, out, size)
    except (TracerConversionError, UnsupportedOperation):
        # why: a rule that branches on its tangent differently per direction, or builds a
        # shape from it: the loop over the directions is always right.
        return old(rule, t, ans, args, kwargs, whole=whole)


def generated_jvp(rule, t, ans, args, kwargs, whole=False):
    """A batched JVP generated from the plain rule (see above); same signature as
    ``registry.batch_fallback``."""
    return _generated(rule, t, ans, args, kwargs, whole, _registry.batch_fallback)


def generated_vjp(rule, g, ans, args, kwargs, whole=False):
    """A batched VJP generated from the plain rule; same signature as
    ``registry.batch_fallback_vjp``."""
    return _generated(rule, g, ans, args, kwargs, whole, _registry.batch_fallback_vjp)


# --- derivative rules whose Python control flow differs between examples --------------------

def rule_per_example(err, rule, args, kwargs):
    """Call a derivative rule once per example of the innermost open batch and stack.

    For rules that choose a fast path with Python control flow (no ties, no zeros) when the
    examples of a batch disagree. The mapped values must be at the top of the arguments
    (or in a tuple of them): a mapped value under a box of another trace cannot be split
    from outside, and then `err` (naming np.where) is raised.
    """
    from dfdx._core import BatchTrace, trace_of, value_of

    def top(x):
        if isinstance(x, tuple):
            for y in x:
                yield from top(y)
        elif isinstance(x, Box):
            yield x
    boxes = [b for a in args for b in top(a)]
    traces = [trace_of(b) for b in boxes
              if type(trace_of(b)) is BatchTrace and not trace_of(b).done]
    if not traces:
        raise err
    trace = max(traces, key=lambda t: t.level)
    for b in boxes:   # a box of this trace hidden under another box cannot be split here
        v = b
        while isinstance(v, Box) and trace_of(v) is not trace:
            v = value_of(v)
        if v is not b and isinstance(v, Box):
            raise err

    def part(x, j):
        if isinstance(x, tuple):
            return tuple(part(y, j) for y in x)
        if trace_of(x) is trace:
            return value_of(x)[j]
        return x
    outs = [rule(*(part(a, j) for a in args), **kwargs) for j in range(trace.size)]

    def stack(parts):
        if all(p is None for p in parts):
            return None
        if any(p is None for p in parts):
            raise err
        return trace.input(_stack(parts, _RuleName(rule)))
    if isinstance(outs[0], tuple):
        return tuple(stack([o[c] for o in outs]) for c in range(len(outs[0])))
    return stack(outs)


class _RuleName:
    def __init__(self, rule):
        self.name = getattr(rule, "__qualname__", repr(rule))
