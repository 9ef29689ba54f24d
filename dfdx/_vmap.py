"""dfdx.vmap: a function written for one example, applied to a batch in one call.

The mapped arguments enter a `BatchTrace` (dfdx._core.engine) with their mapped axis
moved to the front; inside, each is a `BatchBox`, which looks like one example (its
shape, ndim, len) and answers every NumPy call for the whole batch through the
primitives' batching declarations (dfdx.rules.batching). Python control flow on a
mapped value cannot follow every example at once, so it raises and names the fix.
"""

from __future__ import annotations

import functools

import numpy as np

from dfdx._core import BatchTrace, Box, Primitive, configure_batching, getval
from dfdx._errors import TracerConversionError, UnsupportedOperation
from dfdx._numpy.box import ArrayBox
from dfdx._tree import tree_flatten, tree_unflatten
import dfdx.rules.batching as _batching

__all__ = ["vmap", "BatchBox"]


def _one_example(x):
    """The shape of one example of a batch box's value (its batch axis dropped)."""
    return np.shape(x._value)[1:]


def _uniform(box, what):
    """The one value every example of `box` has (a scalar), or the error naming the fix."""
    v = box._value
    while isinstance(v, Box):
        v = v._value
    if box.size != 1:
        raise ValueError(f"{what}: the truth value of an array with more than one element "
                         "is ambiguous. Use a.any() or a.all().")
    v = np.asarray(v).reshape(-1)   # every batch axis (vmap of vmap), one example's element
    first = v[0]
    if np.all(v == first):
        return first
    raise _control_flow(what, f" ({np.count_nonzero(v != first)} of {len(v)} examples differ "
                        "from the first)")


def _control_flow(what, detail=None):
    why = ("stands for one value per example of the batch" if detail is None else
           f"gives different answers for the examples of the batch{detail}")
    return TracerConversionError(
        f"{what} was called on a value mapped by dfdx.vmap, which {why}, so Python control "
        "flow cannot follow them all. Write the "
        "branch as an array expression: np.where(cond, a, b) (or np.maximum, np.clip), or "
        "pass the value unmapped (in_axes=None) if it is the same for every example.")


class BatchBox(ArrayBox):
    """One example of a batch, as the mapped function sees it (the batch axis hidden)."""

    __slots__ = ()

    @property
    def shape(self):
        return _one_example(self)

    @property
    def ndim(self):
        return len(_one_example(self))

    @property
    def size(self):
        n = 1
        for s in _one_example(self):
            n *= s
        return n

    @property
    def dtype(self):
        x = self._value
        while isinstance(x, Box):
            x = x._value
        return np.result_type(x)

    def __array_function__(self, func, types, args, kwargs):
        query = _QUERIES.get(func)
        if query is not None:
            # why: a query answers from one example's shape or the dtype; the table's own
            # entries call getval, which gives this box back (no end to the recursion)
            return query(*args, **kwargs)
        if func in _DISPATCHING:
            # why: the implementation calls the same NumPy function on getval(x) for a plain
            # answer; under vmap the plain answer of a batch is one per example.
            return _per_example(func, args, kwargs)
        _DISPATCHING.add(func)
        try:
            return ArrayBox.__array_function__(self, func, types, args, kwargs)
        except TracerConversionError:
            # why: the implementation needs one example's concrete values (Python control
            # flow, np.asarray): answer it one example at a time (correct, slower).
            return _per_example(func, args, kwargs)
        finally:
            _DISPATCHING.discard(func)

    def __invert__(self): return _BITWISE["invert"](self)
    def __and__(self, other): return _BITWISE["and"](self, other)
    def __rand__(self, other): return _BITWISE["and"](other, self)
    def __or__(self, other): return _BITWISE["or"](self, other)
    def __ror__(self, other): return _BITWISE["or"](other, self)
    def __xor__(self, other): return _BITWISE["xor"](self, other)
    def __rxor__(self, other): return _BITWISE["xor"](other, self)

    def __len__(self):
        s = _one_example(self)
        if not s:
            raise TypeError("len() of unsized object (one example is a scalar)")
        return s[0]

    def __bool__(self):
        # why: tracing is eager: where every example takes the same branch, that branch is
        # what a loop over the examples would take (rules' fast paths: "no ties anywhere").
        return bool(_uniform(self, "bool() (an if, while, and/or or assert)"))

    def __float__(self):
        raise _control_flow("float()")

    def __int__(self):
        return int(_uniform(self, "int()"))

    def __complex__(self):
        raise _control_flow("complex()")

    def __index__(self):
        return _uniform(self, "an integer conversion (__index__)").__index__()

    def item(self, *args):
        raise _control_flow(".item()")

    def tolist(self):
        raise _control_flow(".tolist()")

    def __array__(self, dtype=None, copy=None):
        raise _control_flow("np.asarray() (or a function that converts its input)")

    def __repr__(self):
        return f"Batched({self._value!r})"

    def __format__(self, spec):
        return repr(self)

    def __eq__(self, other): return np.equal(self, other)
    def __ne__(self, other): return np.not_equal(self, other)
    def __lt__(self, other): return np.less(self, other)
    def __le__(self, other): return np.less_equal(self, other)
    def __gt__(self, other): return np.greater(self, other)
    def __ge__(self, other): return np.greater_equal(self, other)
    __hash__ = ArrayBox.__hash__

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        from dfdx._numpy.box import _astype
        from dfdx._numpy.registry import FUNCTIONS
        return FUNCTIONS[_astype](self, np.dtype(dtype))


_DISPATCHING: set = set()

_BITWISE = {name: _batching.declare(Primitive(fn, zero_derivative=True), _batching.elementwise)
            for name, fn in (("invert", np.invert), ("and", np.bitwise_and),
                             ("or", np.bitwise_or), ("xor", np.bitwise_xor))}


def _per_example(func, args, kwargs):
    """`func` called on one example at a time (of the innermost batch among the arguments,
    at the top level or in a list or tuple), the answers stacked into boxes of that batch."""
    def boxes(x):
        if isinstance(x, BatchBox):
            yield x
        elif isinstance(x, (list, tuple)):
            for y in x:
                yield from boxes(y)
    found = [b for a in (*args, *kwargs.values()) for b in boxes(a)]
    trace = max((b._trace for b in found), key=lambda t: t.level)

    def part(x, j):
        if isinstance(x, BatchBox) and x._trace is trace:
            return x._value[j]
        if isinstance(x, (list, tuple)):
            return type(x)(part(y, j) for y in x)
        return x
    outs = [func(*(part(a, j) for a in args), **{k: part(v, j) for k, v in kwargs.items()})
            for j in range(trace.size)]
    leaves = [tree_flatten(o) for o in outs]
    td = leaves[0][1]
    if any(t != td for _, t in leaves):
        raise UnsupportedOperation(f"dfdx.vmap cannot batch {func.__name__}: its answer has a "
                                   "different structure for different examples.")
    stacked = []
    for k in range(len(leaves[0][0])):
        parts = [ls[k] for ls, _ in leaves]
        shapes = {np.shape(getval(p)) for p in parts}
        if len(shapes) > 1:
            raise UnsupportedOperation(
                f"dfdx.vmap cannot batch numpy.{func.__name__} here: its answer has a different "
                f"shape for different examples ({sorted(shapes)[:3]}). Compute it outside vmap.")
        stacked.append(trace.input(np.stack(parts)))
    return tree_unflatten(td, stacked)


def _plain_dtype(x):
    """A stand-in with the dtype of `x` and no data (for np.result_type and friends)."""
    while isinstance(x, Box):
        x = x._value
    return np.empty(0, np.result_type(x)) if not isinstance(x, np.dtype) else x


def _shape(a):
    return a.shape if isinstance(a, Box) else np.shape(a)


def _ndim(a):
    return len(_shape(a))


def _size(a, axis=None):
    s = _shape(a)
    if axis is not None:
        return s[axis]
    n = 1
    for k in s:
        n *= k
    return n


_QUERIES = {
    np.shape: _shape, np.ndim: _ndim, np.size: _size,
    np.result_type: lambda *a: np.result_type(*(_plain_dtype(x) if isinstance(x, Box) else x
                                                 for x in a)),
    np.iscomplexobj: lambda x: np.iscomplexobj(_plain_dtype(x)),
    np.isrealobj: lambda x: np.isrealobj(_plain_dtype(x)),
}


configure_batching(box_class=BatchBox, loop=_batching.loop, batch_jvp=_batching.generated_jvp,
                   batch_vjp=_batching.generated_vjp,
                   rule_per_example=_batching.rule_per_example)


def _norm_axis(axis, ndim, what):
    if axis is None:
        return None
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"vmap: {what} must be an int or None, not {axis!r}.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap: {what}={axis} is out of range for a value with {ndim} "
                         f"dimension(s) (valid: {-ndim} to {ndim - 1}, or None for unmapped).")
    return int(axis) % ndim


def _axes_for(tree, axes, what):
    """One axis (or None) per leaf of `tree`, from a prefix pytree of axes."""
    leaves, td = tree_flatten(tree)
    if axes is None or isinstance(axes, (int, np.integer)):
        return leaves, td, [axes] * len(leaves)
    out = []

    def walk(node, ax, path):
        if ax is None or isinstance(ax, (int, np.integer)):
            out.extend([ax] * len(tree_flatten(node)[0]))
            return
        if isinstance(ax, dict):
            if not isinstance(node, dict) or set(node) != set(ax):
                raise ValueError(f"vmap: {what} {path or ''} is a dict with keys {sorted(ax)}, "
                                 f"but the value there is {type(node).__name__}"
                                 + (f" with keys {sorted(node)}" if isinstance(node, dict)
                                    else "") + ".")
            for k in sorted(node):
                walk(node[k], ax[k], f"{path}[{k!r}]")
            return
        if isinstance(ax, (tuple, list)):
            if not isinstance(node, (tuple, list)) or len(node) != len(ax):
                n = len(node) if isinstance(node, (tuple, list)) else "not a sequence"
                raise ValueError(f"vmap: {what}{path} has {len(ax)} entries but the value "
                                 f"there has {n}. Give one axis (or None) per argument, or a "
                                 "single int for all of them.")
            for i, (x, a) in enumerate(zip(node, ax)):
                walk(x, a, f"{path}[{i}]")
            return
        raise TypeError(f"vmap: {what} entries must be ints, None or pytrees of them, "
                        f"not {ax!r}.")

    walk(tree, axes, "")
    return leaves, td, out


def vmap(f, in_axes=0, out_axes=0):
    """Map `f` over an axis of its arguments: `f` is written for one example.

    ``vmap(f)(xs)`` is ``np.stack([f(x) for x in xs])``, computed in one pass over the
    batch (matrix products stay matrix products). It composes with every transform in
    any order: ``vmap(grad(f))`` gives per-example gradients, ``jacfwd(vmap(f))``,
    ``vmap(vmap(f))`` and ``vmap(hessian(f))`` work as written. A NumPy function without a
    batching declaration is applied one example at a time (correct, slower).

    Args:
        f: a function of arrays (or pytrees of arrays).
        in_axes: the mapped axis of each positional argument: an int for all of them,
            or a tuple with one entry per argument, each an int, None (unmapped: the
            same for every example) or a pytree of those matching the argument.
            Negative axes count from the end. Keyword arguments are never mapped.
        out_axes: where the batch axis goes in each output (int, None or a pytree);
            None only for an output that is the same for every example.

    Returns:
        The mapped function; its outputs have the batch axis at `out_axes`.

    Raises:
        ValueError: the mapped axes differ in length, no argument is mapped, or an axis
            is out of range.
        TracerConversionError: `f` uses Python control flow (``if x > 0``, ``float(x)``)
            on a mapped value; write it with ``np.where``.

    Example:
        >>> import numpy as np, dfdx
        >>> X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> dfdx.vmap(lambda x: x @ x)(X)
        array([ 5., 25., 61.])
        >>> dfdx.vmap(dfdx.grad(lambda w, x: np.sum(np.tanh(x @ w))), in_axes=(None, 0))(
        ...     np.zeros(2), X)
        array([[1., 2.],
               [3., 4.],
               [5., 6.]])
    """
    if not callable(f):
        raise TypeError(f"vmap: f must be callable, not {type(f).__name__}.")

    @functools.wraps(f)
    def mapped(*args, **kwargs):
        leaves, td, axes = _mapped_leaves(args, in_axes)
        size = _batch_size(leaves, axes)
        try:
            with BatchTrace(size) as trace:
                boxed = [x if a is None else trace.input(x if a == 0 else np.moveaxis(x, a, 0))
                         for x, a in zip(leaves, axes)]
                new_args = tree_unflatten(td, boxed)
                out = f(*new_args, **kwargs)
                oleaves, otd = tree_flatten(out)
                _, _, oaxes = _axes_for(out, out_axes, "out_axes")
                res = [_unbatch(o, a, trace, size) for o, a in zip(oleaves, oaxes)]
        except TracerConversionError as e:
            if not getattr(e, "in_rule", False):
                raise
            # why: a derivative rule's fast path (no ties, no zeros) differs between the
            # examples, under a transform whose values vmap cannot split from outside
            # (vmap(hessian(f))): one example at a time is always right.
            return _loop(f, leaves, td, axes, size, kwargs, out_axes)
        return tree_unflatten(otd, res)

    return mapped


def _mapped_leaves(args, in_axes):
    """The argument leaves, their tree, and each leaf's mapped axis (non-negative, or None)."""
    ax_in = in_axes
    if isinstance(ax_in, list):
        ax_in = tuple(ax_in)
    if isinstance(ax_in, tuple) and len(ax_in) != len(args):
        raise ValueError(f"vmap: in_axes has {len(ax_in)} entries but the function was "
                         f"called with {len(args)} positional argument(s). Give one "
                         "entry per argument (None: unmapped), or a single int.")
    leaves, td, axes = _axes_for(tuple(args) if isinstance(ax_in, tuple) else args,
                                 ax_in if isinstance(ax_in, tuple) else ax_in, "in_axes")
    axes = [_norm_axis(a, np.ndim(getval(x)), "in_axes") if a is not None else None
            for x, a in zip(leaves, axes)]
    return leaves, td, axes


def _batch_size(leaves, axes):
    """The one length of the mapped axes (an error names them where they differ)."""
    sizes = {np.shape(getval(x))[a] for x, a in zip(leaves, axes) if a is not None}
    if not sizes:
        raise ValueError("vmap: no argument is mapped (every in_axes entry is None, or "
                         "the arguments have no arrays). Map at least one argument.")
    if len(sizes) > 1:
        detail = ", ".join(f"{np.shape(getval(x))[a]} (axis {a} of an argument of shape "
                           f"{np.shape(getval(x))})" for x, a in zip(leaves, axes)
                           if a is not None)
        raise ValueError(f"vmap: the mapped axes have different lengths: {detail}. "
                         "Every mapped axis must have the batch's length.")
    return sizes.pop()


def _loop(f, leaves, td, axes, size, kwargs, out_axes):
    """vmap(f) as a loop over the examples (stacked like the batched answer)."""
    outs = []
    for j in range(size):
        parts = [x if a is None else x[(slice(None),) * a + (j,)] for x, a in zip(leaves, axes)]
        outs.append(f(*tree_unflatten(td, parts), **kwargs))
    flat = [tree_flatten(o) for o in outs]
    otd = flat[0][1]
    _, _, oaxes = _axes_for(outs[0], out_axes, "out_axes")
    res = []
    for k, a in enumerate(oaxes):
        col = [fl[0][k] for fl in flat]
        res.append(col[0] if a is None else
                   np.stack(col, axis=_norm_axis(a, np.ndim(getval(col[0])) + 1, "out_axes")))
    return tree_unflatten(otd, res)


def _unbatch(o, axis, trace, size):
    box = trace.find(o)
    if box is None:
        if axis is None:
            return o
        v = o if isinstance(o, Box) else np.asarray(o)
        v = np.broadcast_to(v, (size,) + tuple(np.shape(getval(v))))
    else:
        if axis is None:
            raise ValueError("vmap: out_axes=None for an output that differs from one example "
                             "to the next. Give it an axis (out_axes=0).")
        v = trace.unbox(box)
    nd = np.ndim(getval(v))
    axis = _norm_axis(axis, nd, "out_axes")
    return v if axis == 0 else np.moveaxis(v, 0, axis)
