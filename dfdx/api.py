"""The AD transforms: grad, value_and_grad, vjp, jvp, jacfwd, jacrev, jacobian,
hessian, hvp, derivative, stop_gradient.

Every transform takes a plain Python function written with NumPy and returns a
plain function; arguments and results may be pytrees (nested tuple / list /
dict / namedtuple of arrays and scalars). Transforms nest in any order.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from dfdx._dask import finishing
from dfdx._core import Box, ForwardTrace, MissingRule, ReverseTrace
from dfdx._errors import DfdxError, NonScalarOutputError
from dfdx._numpy.box import ArrayBox, getval
from dfdx._transform import (as_input, check_callable, float_dtype, is_complex, match_input,
                             zeros_like)
from dfdx._tree import LEAF, tree_flatten, tree_unflatten

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "jacobian", "hessian",
           "hvp", "derivative", "stop_gradient"]

_LEAF_TYPES = (float, np.ndarray, np.floating, Box)


def _norm_argnums(argnums, nargs, who):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise ValueError(f"{who}: argnums={argnums!r} does not fit a call with {nargs} "
                             f"positional argument(s).")
    return single, tuple(a % nargs for a in nums)


def _flatten(out):
    """(leaves, treedef) of an output; a single array is one leaf with treedef LEAF."""
    return ([out], LEAF) if isinstance(out, _LEAF_TYPES) else tree_flatten(out)


def _box_args(trace_box, args, argnums):
    """Replace args[i] (i in argnums) by pytrees of boxes; returns (args, [(treedef, boxes)])."""
    args = list(args)
    boxed = []
    for i in argnums:
        a = args[i]
        if isinstance(a, _LEAF_TYPES):
            b = trace_box(as_input(a))
            boxed.append((LEAF, [b]))
            args[i] = b
        else:
            leaves, td = tree_flatten(a)
            bs = [trace_box(as_input(x)) for x in leaves]
            boxed.append((td, bs))
            args[i] = tree_unflatten(td, bs)
    return args, boxed


def _unbox_tree(tree, trace):
    """The values of `trace` in a pytree (aux, outputs)."""
    if isinstance(tree, Box):
        return trace.unbox(tree)
    leaves, td = tree_flatten(tree)
    return tree_unflatten(td, [trace.unbox(x) for x in leaves])


def _leaf_grad(g, box):
    """A leaf's cotangent from a sweep, in the type of its input; zeros if none reached it."""
    return zeros_like(box) if g is None else match_input(g, box)


class _Vjp:
    """Forward pass done once; `__call__(ct)` runs a backward sweep (repeatable)."""

    def __init__(self, f, args, kwargs, argnums, has_aux, who, keep=False):
        self.trace = trace = ReverseTrace(keep=keep)
        args, self.boxed = _box_args(trace.input, args, argnums)
        try:
            out = f(*args, **kwargs)
        finally:
            trace.done = True   # why: as in _value_and_grad_scalar (grad's general path)
        self.aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise ValueError(f"{who}(..., has_aux=True) needs f to return a pair "
                                 f"(output, aux), but it returned {type(out).__name__}.")
            out, self.aux = out
            self.aux = _unbox_tree(self.aux, trace)
        self.out_leaves, self.out_td = _flatten(out)
        self.out = tree_unflatten(self.out_td, [trace.unbox(o) for o in self.out_leaves]) \
            if self.out_td is not LEAF else trace.unbox(out)

    def inputs(self):
        """Every input box, argument by argument."""
        return [b for _, bs in self.boxed for b in bs]

    def regroup(self, per_input):
        """A flat list with one entry per input box -> [(treedef, entries of that argument)]."""
        out, k = [], 0
        for td, bs in self.boxed:
            out.append((td, per_input[k:k + len(bs)]))
            k += len(bs)
        return out

    def backward(self, cts, once=False):
        """cts: one cotangent (or None) per output leaf -> list per argnum of leaf grads."""
        # the engine's cotangents are conjugated (see match_input)
        seeds = [(o, np.conjugate(ct) if is_complex(ct) else ct)
                 for o, ct in zip(self.out_leaves, cts) if ct is not None]
        inputs = self.inputs()
        gs = self.trace.backward(seeds, inputs, once=once)
        return self.regroup([_leaf_grad(g, b) for g, b in zip(gs, inputs)])

    def __call__(self, ct):
        if self.out_td is LEAF:
            cts = [ct]
        else:
            cts, td = tree_flatten(ct)
            if td != self.out_td:
                raise ValueError(f"vjp: the cotangent has structure {td}, but the output has "
                                 f"structure {self.out_td}.")
        for o, c in zip(self.out_leaves, cts):
            if np.shape(getval(c)) != np.shape(getval(o)):
                raise ValueError(f"vjp: cotangent shape {np.shape(getval(c))} does not match "
                                 f"the output shape {np.shape(getval(o))}.")
        return tuple(tree_unflatten(td, gs) for td, gs in self.backward(cts))


def value_and_grad(f, argnums=0, has_aux=False, *, lazy=None):
    """Make a function that returns both ``f(*args)`` and its gradient.

    Args:
        f: a function of NumPy values returning a scalar (shape ``()``).
        argnums: which positional argument(s) to differentiate: an int, or a
            tuple of ints (the gradient is then a tuple).
        has_aux: `f` returns ``(scalar, aux)``; aux is passed through untouched.
        lazy: for Dask arrays: None gives results in the type of the arguments (NumPy
            parameters with Dask data: computed, in one pass; a Dask argument: its
            gradient lazy, in its chunks), True keeps every Dask result lazy, False
            computes them all.

    Returns:
        A function returning ``(value, grad)`` (or ``((value, aux), grad)``);
        each gradient has the structure, shape and dtype of its argument.

    Raises:
        NonScalarOutputError: `f` does not return a scalar.

    Example:
        >>> import numpy as np, dfdx
        >>> value, g = dfdx.value_and_grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
        >>> float(value), g
        (5.0, array([2., 4.]))
    """
    check_callable(f, "value_and_grad")
    fast = isinstance(argnums, int) and not has_aux

    # The route is chosen by stated properties, fastest first: a real scalar argument
    # (forward mode, unless a primitive lacks a forward rule: MissingRule.mode), one float
    # or float-array argument (one reverse sweep, fewest steps), anything else (_Vjp).
    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        if fast and -len(args) <= argnums < len(args):
            x = args[argnums]
            tx = type(x)
            # why: one forward pass gives df/dx only; a complex z also needs df/dy (reverse).
            if tx is float or (tx is ArrayBox and x.shape == () and x.dtype.kind != "c"):
                try:
                    return _value_and_grad_scalar(f, args, kwargs, argnums, x)
                except MissingRule as e:
                    if e.mode != "forward":
                        raise
            if tx is float or tx is ArrayBox or (tx is np.ndarray and x.dtype.kind == "f"):
                return _value_and_grad_leaf(f, args, kwargs, argnums, x)
        single, nums = _norm_argnums(argnums, len(args), "value_and_grad")
        v = _Vjp(f, args, kwargs, nums, has_aux, "value_and_grad")
        if v.out_td is not LEAF or np.shape(getval(v.out)) != ():
            _non_scalar(f, np.shape(getval(v.out)) if v.out_td is LEAF else f"a {v.out_td} pytree")
        seed = np.ones((), dtype=_real_dtype(f, v.out))
        grads = [tree_unflatten(td, gs) for td, gs in v.backward([seed], once=True)]
        g = grads[0] if single else tuple(grads)
        return ((v.out, v.aux) if has_aux else v.out), g

    return finishing(value_and_grad_f, argnums, lazy)


def _value_and_grad_scalar(f, args, kwargs, argnum, x):
    """value_and_grad with respect to one scalar: a single forward-mode pass."""
    # why: for one input, forward mode gives the whole gradient in the same pass as the
    # value, with no tape and no backward sweep (grad(grad(f)) of a scalar f halves).
    args = list(args)
    trace = ForwardTrace()
    args[argnum] = trace.input(np.float64(x) if type(x) is float else x, np.float64(1.0))
    try:
        out = f(*args, **kwargs)
    finally:
        trace.done = True   # why: not `with trace:`, whose two calls cost ~0.6 us (hot path)
    value = trace.unbox(out)
    if value is not out:    # out is a box of this trace: it depends on x
        g = trace.tangent(out)
        if np.shape(getval(value)) != ():
            _non_scalar(f, np.shape(getval(value)))
        _real_dtype(f, value)
        if type(g) is not np.float64 or type(x) is not float:
            g = match_input(g, x)   # the tangent has the output's dtype, a gradient the input's
        return value, g
    return _constant_output(f, out, x)


def _value_and_grad_leaf(f, args, kwargs, argnum, x):
    """value_and_grad for the common case: one float or float-array argument, no aux."""
    # why: the general path (pytrees, aux, several arguments) costs ~10 us per call, which
    # dominates small functions; this path does the same with the fewest Python steps.
    args = list(args)
    trace = ReverseTrace()
    box = args[argnum] = trace.input(np.float64(x) if type(x) is float else x)
    try:
        out = f(*args, **kwargs)
    finally:
        trace.done = True   # why: as in _value_and_grad_scalar
    value = trace.unbox(out)
    if value is not out:    # out is a box of this trace: it depends on x
        shape = value.shape if isinstance(value, (np.ndarray, np.generic, Box)) else ()
        if shape != ():
            _non_scalar(f, shape)
        g, = trace.backward([(out, _real_dtype(f, value).type(1))], [box], once=True)
        if g is None:
            g = zeros_like(x)
        elif type(x) is float:
            if not isinstance(g, Box) and type(g) is not np.float64:
                g = match_input(g, x)
        elif type(g) is not np.ndarray or g.dtype != x.dtype or g.shape != x.shape:
            g = match_input(g, x)
        return value, g
    return _constant_output(f, out, x)


def _constant_output(f, out, x):
    """value_and_grad of an `f` whose output does not depend on `x`: zero gradient."""
    if isinstance(out, (list, tuple, dict)) or np.shape(getval(out)) != ():
        _non_scalar(f, np.shape(getval(out)) if not isinstance(out, (list, tuple, dict))
                    else f"a {type(out).__name__}")
    return out, zeros_like(x)


def _non_scalar(f, shape):
    raise NonScalarOutputError(
        f"grad needs a scalar output, but {_name(f)} returned shape {shape}. "
        "Reduce it (np.sum(y)) or use dfdx.jacobian.")


def _real_dtype(f, out):
    """The dtype of grad's seed: the output's; a complex output has no gradient."""
    dt = float_dtype(out)
    if dt.kind == "c":
        raise TypeError(
            f"grad needs a real-valued output, but {_name(f)} returned a complex number. "
            "Differentiate a real function of it (np.real(f), np.abs(f)**2), use "
            "dfdx.derivative or dfdx.jvp for the complex derivative of a holomorphic f, or "
            "dfdx.vjp.")
    return dt


def _name(f):
    return getattr(f, "__name__", type(f).__name__)


def grad(f, argnums=0, has_aux=False, *, lazy=None):
    """Make a function that returns the gradient of scalar-valued `f`.

    Args:
        f: a function of NumPy values returning a scalar (shape ``()``).
        argnums: which positional argument(s) to differentiate (int or tuple).
        has_aux: `f` returns ``(scalar, aux)``; the new function returns ``(grad, aux)``.
        lazy: for Dask arrays, as in `value_and_grad`.

    Returns:
        A function with the signature of `f` returning the gradient, shaped
        like the argument (a tuple of them when `argnums` is a tuple).

    Raises:
        NonScalarOutputError: `f` does not return a scalar.

    Example:
        >>> import numpy as np, dfdx
        >>> f = lambda x: 2*x**2 + 3*x + 1
        >>> float(dfdx.grad(f)(1.0)), float(dfdx.grad(dfdx.grad(f))(1.0))
        (7.0, 4.0)
    """
    check_callable(f, "grad")
    vg = value_and_grad(f, argnums, has_aux, lazy=lazy)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        out, g = vg(*args, **kwargs)
        return (g, out[1]) if has_aux else g

    return grad_f


def vjp(f, *primals, has_aux=False):
    """Evaluate `f` at `primals` and return a function for vector-Jacobian products.

    Args:
        f: a function of NumPy values (any output pytree).
        *primals: the point; every positional argument is differentiated.
        has_aux: `f` returns ``(output, aux)``.

    Returns:
        ``(out, vjp_fn)`` (or ``(out, vjp_fn, aux)``): ``vjp_fn(ct)`` takes a
        cotangent shaped like `out` and returns a tuple with one cotangent per
        primal. `vjp_fn` may be called many times.

    Example:
        >>> import numpy as np, dfdx
        >>> out, vjp_fn = dfdx.vjp(lambda x: x * np.array([1.0, 2.0]), np.ones(2))
        >>> vjp_fn(np.array([1.0, 1.0]))
        (array([1., 2.]),)
    """
    check_callable(f, "vjp")
    v = _Vjp(f, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    return (v.out, v, v.aux) if has_aux else (v.out, v)


def jvp(f, primals, tangents, has_aux=False):
    """Evaluate `f` and its directional derivative (a Jacobian-vector product).

    Args:
        f: a function of NumPy values.
        primals: a tuple (or list) of arguments.
        tangents: a tuple of the same structure: the direction.

    Returns:
        ``(out, tangent_out)``, both shaped like ``f(*primals)``.

    Example:
        >>> import numpy as np, dfdx
        >>> out, t = dfdx.jvp(np.sin, (0.0,), (1.0,))
        >>> float(out), float(t)
        (0.0, 1.0)
    """
    check_callable(f, "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes primals and tangents as tuples: jvp(f, (x,), (v,)).")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp got {len(primals)} primals but {len(tangents)} tangents.")
    trace = ForwardTrace()
    args = []
    for p, t in zip(primals, tangents):
        pl, ptd = tree_flatten(p)
        tl, ttd = tree_flatten(t)
        if ptd != ttd:
            raise ValueError(f"jvp: tangent structure {ttd} does not match primal structure {ptd}.")
        boxes = []
        for x, tx in zip(pl, tl):
            x = as_input(x)
            if np.shape(getval(tx)) != np.shape(getval(x)):
                raise ValueError(f"jvp: tangent shape {np.shape(getval(tx))} does not match "
                                 f"primal shape {np.shape(getval(x))}.")
            boxes.append(trace.input(x, _tangent_like(tx, x)))
        args.append(tree_unflatten(ptd, boxes))
    with trace:
        out = f(*args)
    aux = None
    if has_aux:
        out, aux = out
        aux = _unbox_tree(aux, trace)
    leaves, td = _flatten(out)
    vals = [trace.unbox(o) for o in leaves]
    tans = [_tangent_or_zeros(trace.tangent(o), o) for o in leaves]
    res = tree_unflatten(td, vals), tree_unflatten(td, tans)
    return (*res, aux) if has_aux else res


def _tangent_or_zeros(t, out, batch=None):
    """A tangent from a forward pass; zeros shaped like `out` (after the batch axis) for None."""
    if t is not None:
        return t
    if batch is None:
        return zeros_like(out)
    return np.zeros((batch,) + np.shape(getval(out)), dtype=float_dtype(out))


def _tangent_like(t, x):
    xv = getval(x)
    dt = np.result_type(xv)
    if isinstance(t, Box):
        return t if t.dtype == dt or dt.kind not in "fc" else t.astype(dt)
    t = _as_dtype(t, dt if dt.kind in "fc" else np.float64)
    return t if np.ndim(xv) else t[()]


def jacrev(f, argnums=0, has_aux=False):
    """Make a function computing the Jacobian of `f` by reverse mode.

    One forward pass records the tape; then the cotangents of every output
    element are swept back together (a batch with a leading axis; in chunks for
    very large outputs), so the cost is about one vectorised backward sweep.

    Returns:
        A function returning an array of shape ``(*out_shape, *in_shape)``
        (for pytrees: the output structure holding the input structure).

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.jacrev(lambda x: x**2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """
    check_callable(f, "jacrev")

    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        single, nums = _norm_argnums(argnums, len(args), "jacrev")
        return _jacrev_of(_Vjp(f, args, kwargs, nums, has_aux, "jacrev"), single, has_aux)

    return jac_f


def _jacrev_of(v, single, has_aux):
    """The Jacobian from a recorded forward pass `v` (a `_Vjp`), by batched sweeps."""
    blocks = []   # blocks[k][arg] = pytree of arrays (*out_k_shape, *in_leaf_shape)
    inputs = v.inputs()
    for o in v.out_leaves:
        oshape = tuple(np.shape(getval(o)))
        rows = _reverse_rows(v, o, oshape, inputs)   # per input leaf: (n, *in_shape)
        blocks.append([tree_unflatten(td, [np.reshape(r, oshape + np.shape(getval(b)))
                                           for r, b in zip(rs, boxes)])
                       for (td, rs), (_, boxes) in zip(v.regroup(rows), v.boxed)])
    res = _assemble(blocks, v.out_td, single)
    return (res, v.aux) if has_aux else res


def _reverse_rows(v, o, oshape, inputs):
    """Sweep the basis cotangents of output leaf `o` back; per input leaf (n, *in_shape)."""
    n = int(np.prod(oshape))
    pieces = [[] for _ in inputs]
    if v.trace.owns(o):
        for k, seed in _basis_chunks(oshape, float_dtype(o)):
            gs = v.trace.backward_batched([(o, seed)], inputs)
            for parts, g, b in zip(pieces, gs, inputs):
                parts.append(_batched_grad(g, b, k))
    return [np.zeros((n,) + np.shape(getval(b)), dtype=float_dtype(b)) if not parts else
            parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
            for parts, b in zip(pieces, inputs)]


def _batched_grad(g, box, k):
    """A batched cotangent of input `box` (k rows) in the input's type; zeros for None."""
    xv = getval(box)
    shape = (k,) + np.shape(xv)
    if g is None:
        return np.zeros(shape, dtype=float_dtype(xv))
    if isinstance(g, Box):
        return match_input(g, xv)
    if is_complex(g) or is_complex(xv):
        g = np.conjugate(g) if is_complex(xv) else np.real(g)
    return np.broadcast_to(_as_dtype(g, np.result_type(xv)), shape)


def _as_dtype(x, dtype):
    """`x` as an array of `dtype`; a traced array of dfdx.jit stays one (np.asarray would
    ask for its value, which is not known while recording)."""
    if getattr(type(x), "_dfdx_jit_traced", False):
        return x if x.dtype == dtype else x.astype(dtype)
    return np.asarray(x, dtype=dtype)


def _basis_chunks(shape, dtype):
    """Yield ``(k, e)``: k consecutive unit directions in the space of `shape`, e (k, *shape).

    All of them, in chunks of at most `_BATCH_ELEMENTS` elements in all.
    """
    n = int(np.prod(shape))
    chunk = max(1, min(n, _BATCH_ELEMENTS // max(n, 1)))
    for start in range(0, n, chunk):
        k = min(chunk, n - start)
        e = np.zeros((k, n), dtype=dtype)
        e[np.arange(k), start + np.arange(k)] = 1
        yield k, e.reshape((k,) + tuple(shape))


def _assemble(blocks, out_td, single):
    """blocks[out_leaf][arg] -> out pytree of (arg pytree or tuple of them)."""
    per_out = [b[0] if single else tuple(b) for b in blocks]
    return per_out[0] if out_td is LEAF else tree_unflatten(out_td, per_out)


#: Largest number of tangent elements (batch x input size) pushed through one pass.
_BATCH_ELEMENTS = 1 << 22


def jacfwd(f, argnums=0, has_aux=False):
    """Make a function computing the Jacobian of `f` by forward mode.

    All input directions are pushed through one evaluation of `f` together (a
    batch of tangents; in chunks for very large inputs), so the cost is about
    one vectorised pass, not one pass per input element.

    Returns:
        A function returning an array of shape ``(*out_shape, *in_shape)``
        (for pytrees: the output structure holding the input structure).

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.jacfwd(lambda x: np.stack([x[0] * x[1], x[0]]))(np.array([2.0, 3.0]))
        array([[3., 2.],
               [1., 0.]])
    """
    check_callable(f, "jacfwd")

    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        single, nums = _norm_argnums(argnums, len(args), "jacfwd")
        flat = []
        for i in nums:
            leaves, td = tree_flatten(args[i])
            flat.append((td, [as_input(x) for x in leaves]))
        state = {"aux": None, "out": None}

        def call_with(a, li, xbox):
            call = list(args)
            for b, ib in enumerate(nums):
                tdb, lb = flat[b]
                if b == a:
                    lb = list(lb)
                    lb[li] = xbox
                call[ib] = tree_unflatten(tdb, lb)
            out = f(*call, **kwargs)
            if has_aux:
                out, state["aux"] = out
            return out

        # columns[a][li] = list of per-output-leaf tangents, each (n, *out_shape)
        columns = [[_forward_columns(lambda xb, a=a, li=li: call_with(a, li, xb), x, state)
                    for li, x in enumerate(leaves)] for a, (_, leaves) in enumerate(flat)]
        if state["out"] is None:   # every input is empty: one call for the output structure
            state["out"] = _flatten(call_with(None, None, None))
        oleaves, otd = state["out"]
        res = _forward_jacobian(columns, oleaves, otd, flat, single)
        return (res, state["aux"]) if has_aux else res

    return jac_f


def _forward_columns(g, x, state):
    """Push every basis direction of input `x` through `g`; per output leaf (n, *out_shape)."""
    xv = getval(x)
    ishape = np.shape(xv)
    if int(np.prod(ishape)) == 0:
        oleaves, otd = state["out"] = _flatten(g(x))
        return [np.zeros((0,) + np.shape(getval(o))) for o in oleaves]
    pieces = []
    for k, t in _basis_chunks(ishape, np.dtype(float_dtype(xv))):
        with ForwardTrace(batch=k) as trace:
            out = g(trace.input(x, t))
        oleaves, otd = _flatten(out)
        state["out"] = ([trace.unbox(o) for o in oleaves], otd)
        pieces.append([_tangent_or_zeros(trace.tangent(o), o, k) for o in oleaves])
    return _join_chunks(pieces)


def _join_chunks(pieces):
    """Per chunk, per output leaf (k, ...) -> per output leaf (n, ...)."""
    if len(pieces) == 1:
        return pieces[0]
    return [np.concatenate([p[k] for p in pieces], axis=0) for k in range(len(pieces[0]))]


def _forward_jacobian(columns, oleaves, otd, groups, single):
    """The Jacobian pytree from forward columns.

    Args:
        columns: per argument, per input leaf: per output leaf, (n, *out_shape).
        oleaves, otd: the output leaves (their shapes) and structure.
        groups: per argument, ``(treedef, input leaves)``.
    """
    blocks = []
    for k, o in enumerate(oleaves):
        oshape = tuple(np.shape(getval(o)))
        per_arg = []
        for (td, leaves), cols in zip(groups, columns):
            mats = []
            for x, c in zip(leaves, cols):
                m = np.moveaxis(c[k], 0, -1) if oshape else c[k]
                mats.append(np.reshape(m, oshape + np.shape(getval(x))))
            per_arg.append(tree_unflatten(td, mats))
        blocks.append(per_arg)
    return _assemble(blocks, otd, single)


def _jacfwd_of(v, single, has_aux):
    """The forward-mode Jacobian from a recorded forward pass `v` (a `_Vjp` with keep=True).

    The tape is replayed with the forward rules, every basis direction of each input
    leaf in one batch (in chunks): what `jacfwd` computes, without calling f again.
    """
    columns = []   # per input leaf: per output leaf (n, *out_shape)
    for b in v.inputs():
        xv = getval(b)
        if np.size(xv) == 0:
            columns.append([np.zeros((0,) + np.shape(getval(o))) for o in v.out_leaves])
            continue
        pieces = []
        for k, t in _basis_chunks(np.shape(xv), np.dtype(float_dtype(xv))):
            ts = v.trace.forward_batched([(b, t)], v.out_leaves)
            pieces.append([_tangent_or_zeros(t, o, k) for t, o in zip(ts, v.out_leaves)])
        columns.append(_join_chunks(pieces))
    res = _forward_jacobian([cs for _, cs in v.regroup(columns)], v.out_leaves, v.out_td,
                            v.boxed, single)
    return (res, v.aux) if has_aux else res


def _sparse_form(f, argnums, has_aux, who, make):
    """`who`(f, sparse=True): the pattern found from the code at each call, then colouring."""
    if argnums != 0 or has_aux:
        raise ValueError(f"{who}(f, sparse=True) differentiates a function of one array "
                         "(argnums=0, no aux); close over the other arguments")

    @functools.wraps(f)
    def sparse_f(x):
        return make(f, x)(x)
    return sparse_f


def jacobian(f, argnums=0, mode="auto", has_aux=False, sparse=False):
    """Make a function computing the Jacobian of `f`, shape ``(*out_shape, *in_shape)``.

    Args:
        f: a function of NumPy values.
        argnums: which argument(s) to differentiate.
        mode: ``"fwd"`` (all input directions in one batched forward pass),
            ``"rev"`` (one forward pass, then all output cotangents in one batched
            backward sweep), or ``"auto"``: reverse when the output has no more
            elements than the input, forward otherwise. With complex inputs
            ``"auto"`` is forward (``d f / d x_j``, the complex Jacobian of a
            holomorphic `f`); reverse rows are vjps, the conjugates of those.
            ``"auto"`` calls `f` once: the forward pass it records gives either.
        sparse: return a ``scipy.sparse`` CSR matrix of shape ``(out.size, x.size)``
            computed from the pattern found from the code and a column colouring
            (`dfdx.sparse_jacobian`, which also keeps them for reuse).

    Example:
        >>> import numpy as np, dfdx
        >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> dfdx.jacobian(lambda x: A @ x)(np.ones(2))
        array([[1., 2.],
               [3., 4.]])
    """
    if mode not in ("auto", "fwd", "rev"):
        raise ValueError(f"jacobian mode must be 'auto', 'fwd' or 'rev', not {mode!r}.")
    if sparse:
        from dfdx._sparse import sparse_jacobian
        return _sparse_form(f, argnums, has_aux, "jacobian", sparse_jacobian)
    if mode == "fwd":
        return jacfwd(f, argnums, has_aux)
    if mode == "rev":
        return jacrev(f, argnums, has_aux)

    @functools.wraps(f)
    def jac_f(*args, **kwargs):
        single, nums = _norm_argnums(argnums, len(args), "jacobian")
        leaves = [x for i in nums for x in tree_flatten(args[i])[0]]
        if any(is_complex(getval(x)) for x in leaves):
            # why: one answer for one call; the mode must not switch with the sizes.
            return jacfwd(f, argnums, has_aux)(*args, **kwargs)
        n_in = sum(int(np.size(getval(x))) for x in leaves)
        # why: keep=True: the tape may be replayed by the forward rules, which read values
        # the reverse rules declare they need only the shapes of.
        v = _Vjp(f, args, kwargs, nums, has_aux, "jacobian", keep=True)
        n_out = sum(int(np.size(getval(o))) for o in v.out_leaves)
        # why: both modes batch their directions; the cost follows how many there are:
        # one per output element in reverse mode, one per input element in forward mode.
        if n_out <= n_in:
            return _jacrev_of(v, single, has_aux)
        return _jacfwd_of(v, single, has_aux)

    return jac_f


def hessian(f, argnums=0, sparse=False):
    """Make a function computing the Hessian of scalar `f`, shape ``(*in_shape, *in_shape)``.

    Forward-over-reverse: ``jacfwd(jacrev(f))``: the gradient by one reverse sweep,
    differentiated in every input direction at once (one batched forward pass).
    With ``sparse=True``: a ``scipy.sparse`` CSR matrix from the pattern found from
    the code (`dfdx.sparse_hessian`), one forward-over-reverse sweep per colour.

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.hessian(lambda x: x[0]**2 * x[1])(np.array([1.0, 2.0]))
        array([[4., 2.],
               [2., 0.]])
    """
    check_callable(f, "hessian")
    if sparse:
        from dfdx._sparse import sparse_hessian
        return _sparse_form(f, argnums, False, "hessian", sparse_hessian)
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents):
    """Hessian-vector product of scalar `f`: ``jvp(grad(f), primals, tangents)[1]``.

    Costs a small multiple of one gradient, never forms the Hessian.

    Example:
        >>> import numpy as np, dfdx
        >>> dfdx.hvp(lambda x: np.sum(x**3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
        array([6., 0.])
    """
    check_callable(f, "hvp")
    nums = tuple(range(len(primals)))
    g = grad(f, argnums=nums[0] if len(nums) == 1 else nums)
    return jvp(g, tuple(primals), tuple(tangents))[1]


def derivative(f, n=1, side=None):
    """Make the n-th derivative of a scalar (or elementwise) function of one variable.

    For an elementwise `f` applied to an array, the result is the elementwise
    n-th derivative. Any order works (forward mode nested n times).

    At a kink the default (``side=None``) follows the convention of the rules
    (the mean of the one-sided derivatives: ``abs'(0) = 0``). ``side="+"`` /
    ``side="-"`` gives instead the exact one-sided derivative from the right /
    left: every kink (abs, maximum, clip, sort ties, comparisons and np.where
    on the traced value, ...) takes the branch active on that side, decided by
    the first nonzero Taylor coefficient of its argument, so compositions are
    right (``relu(relu(x)) - relu(x)`` has one-sided derivatives 0 and 0).
    At a jump (sign, floor) it is the derivative of the branch on that side;
    on a side where f is undefined (sqrt at 0 from the left) it is NaN. With
    ``n=0`` and a side it is the value of that one-sided branch at the point.

    Args:
        f: a function of one NumPy value, elementwise.
        n: the order, an integer >= 0.
        side: None (the convention), ``"+"`` (from the right) or ``"-"`` (from the left).

    Example:
        >>> import numpy as np, dfdx
        >>> f = lambda x: 2*x**2 + 3*x + 1
        >>> float(dfdx.derivative(f)(1.0)), float(dfdx.derivative(f, n=2)(1.0))
        (7.0, 4.0)
        >>> dfdx.derivative(np.sin, n=4)(np.array([0.0, np.pi / 2]))
        array([0., 1.])
        >>> float(dfdx.derivative(np.abs, side="-")(0.0)), float(dfdx.derivative(np.abs)(0.0))
        (-1.0, 0.0)
        >>> float(dfdx.derivative(lambda x: x * np.abs(x), n=2, side="+")(0.0))
        2.0
    """
    check_callable(f, "derivative")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"derivative order n must be an integer >= 0, not {n!r}.")
    if side is not None:
        from dfdx._onesided import one_sided   # why: it builds on this module

        return one_sided(f, int(n), side)

    nested = nested_derivative(f, n)
    if n < TAYLOR_FROM:
        return functools.wraps(f)(nested) if n else f

    @functools.wraps(f)
    def dnf(x):
        # why: nested forward mode costs ~3x per order (n=8: ~2000x n=1); one pass of Taylor
        # mode costs O(n^2) per primitive (n=8: ~6x n=1). Plain real inputs only: under
        # another transform, or where Taylor mode refuses, the nested form runs.
        if isinstance(x, (float, np.floating)) or (
                type(x) is np.ndarray and x.dtype.kind == "f"):
            from dfdx._taylor import taylor
            try:
                return taylor(f, x, int(n))[int(n)] * math.factorial(int(n))
            except DfdxError:
                pass
        return nested(x)
    return dnf


#: Orders from which `derivative` uses Taylor mode (one pass) instead of nesting forward mode.
TAYLOR_FROM = 3


def nested_derivative(f, n):
    """The n-th derivative of `f` by forward mode nested n times (what `derivative` falls
    back on; Taylor mode's own fallback and the tests' oracle, independent of Taylor mode)."""
    def once(g):
        def dg(x):
            x = as_input(x)
            xv = getval(x)
            dt = float_dtype(xv)
            one = np.ones(np.shape(xv), dtype=dt) if np.ndim(xv) else dt.type(1)
            trace = ForwardTrace()
            box = trace.input(x, one)
            try:
                out = g(box)
            finally:
                trace.done = True   # why: as in _value_and_grad_scalar
            return _tangent_or_zeros(trace.tangent(out), out)
        return dg

    out = f
    for _ in range(int(n)):
        out = once(out)
    return functools.wraps(f)(out) if n else f


def stop_gradient(x):
    """Return `x` as a constant: no derivative flows through it, at any order.

    Example:
        >>> import numpy as np, dfdx
        >>> float(dfdx.grad(lambda x: x * dfdx.stop_gradient(x))(3.0))
        3.0
    """
    if isinstance(x, Box):
        return getval(x)
    leaves, td = tree_flatten(x)
    return tree_unflatten(td, [getval(v) for v in leaves])
