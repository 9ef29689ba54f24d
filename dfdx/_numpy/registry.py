"""The rules registry: which NumPy callables dfdx can differentiate, and how.

Four ways to register a NumPy (or SciPy) callable, from most to least common:

* `defelementwise(ufunc, partials)`: an elementwise function listed by its
  partial derivatives ``partial_i(ans, *args)``; both modes are generated from
  them, and broadcasting is undone here, once for all.
* `defrule(fn, vjp=..., jvp=...)`: anything else, its VJP and JVP side by side.
* `defzero(fn, ...)`: functions whose derivative is zero wherever it exists
  (comparisons, rounding, argmax): traced inputs give plain outputs.
* `defcomposite(fn, impl)`: a NumPy function implemented by tracing through
  smaller primitives (var, std, logsumexp, ...).

The box's ``__array_ufunc__`` / ``__array_function__`` look callables up in
`UFUNCS` / `FUNCTIONS`; an unknown one raises `UnsupportedOperation`.
"""

from __future__ import annotations

import cmath
import dis
import math
import sys

import numpy as np

from dfdx._core import MISSING, Box, Primitive, getval
from dfdx._errors import TracerConversionError, UnsupportedOperation

__all__ = ["UFUNCS", "FUNCTIONS", "defelementwise", "defrule", "defzero", "defcomposite",
           "unbroadcast", "unbroadcast_batched", "shape_of", "primitive", "SAMPLES",
           "add_lazy_rules", "load_lazy_rules", "UFUNC_METHODS",
           "callable_name"]

#: numpy ufunc -> Primitive
UFUNCS: dict = {}
#: numpy / scipy function -> Primitive or traceable implementation
FUNCTIONS: dict = {}
#: registered callable -> list of sample argument makers, for the generic checker
SAMPLES: dict = {}
#: ufunc method name ("outer", "reduce", "accumulate") -> ``impl(ufunc, *args, **kwargs)``
#: for the binary ufuncs without a dedicated function (set by dfdx.rules.ufunc_methods)
UFUNC_METHODS: dict = {}


def callable_name(fn) -> str:
    """A readable dotted name for a NumPy/SciPy callable, for error messages."""
    if isinstance(fn, Primitive):
        return fn.name
    mod = getattr(fn, "__module__", None)
    name = getattr(fn, "__name__", None) or repr(fn)
    if isinstance(fn, np.ufunc):
        # why: ufuncs report no module of their own; NumPy's are attributes of numpy.
        mod = "numpy" if getattr(np, name, None) is fn else "scipy.special"
    if mod and mod.startswith("numpy") and not mod.startswith(("numpy.linalg", "numpy.fft")):
        mod = "numpy"
    return f"{mod}.{name}" if mod else name


#: Loaders of rule tables registered on first need (see `add_lazy_rules`).
_LAZY: list = []


def add_lazy_rules(load) -> None:
    """Run `load()` (which registers more rules) the first time a callable has no rule.

    why: scipy.special costs ~0.4 s to import; code that never calls it (and the
    `dfdx` command's start-up) should not pay for its rules.
    """
    _LAZY.append(load)


def load_lazy_rules() -> bool:
    """Run the pending loaders; True when any ran (look the callable up again then)."""
    if not _LAZY:
        return False
    loaders = _LAZY[:]
    _LAZY.clear()
    for load in loaders:
        load()
    return True


def no_rule_error(fn, what="derivative rule") -> UnsupportedOperation:
    """The error for a NumPy callable that has no rule, naming it and the fix."""
    name = callable_name(fn)
    return UnsupportedOperation(
        f"dfdx has no {what} for {name}. Register one with dfdx.primitive / defvjp, "
        f"or estimate it with dfdx.numeric.gradient.")


def shape_of(x):
    """Shape of an array, box or Python scalar (traceable: never converts a box)."""
    s = getattr(x, "shape", None)
    if s is None:
        # why: a nested list among array arguments (``np.vstack([x, [1, 2, 3]])``) has
        # NumPy's shape; np.shape of a list holding traced values raises the clear error.
        return np.shape(x) if isinstance(x, (list, tuple)) else ()
    return s


def unbroadcast(g, x):
    """Sum cotangent `g` down to the shape of argument `x` (undoes broadcasting)."""
    gs = getattr(g, "shape", ())
    xs = getattr(x, "shape", ())
    if gs == xs:
        return g
    lead = len(gs) - len(xs)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, (a, b) in enumerate(zip(shape_of(g), xs)) if b == 1 and a != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def broadcast_like(t, ans):
    """Broadcast tangent `t` up to the shape of the answer `ans`."""
    if shape_of(t) == shape_of(ans):
        return t
    return np.broadcast_to(t, shape_of(ans))


def _all_finite(p):
    """Whether every element of `p` is finite (cheap; a false "no" only costs the slow path)."""
    p = getval(p)
    if type(p) is np.ndarray:
        if p.dtype.kind in "biu":
            return True
        f = p.reshape(-1)
        # why: one dot product is the cheapest full pass NumPy has (BLAS, no temporary):
        # it is inf or NaN when any element is, and a finite overflow just takes the slow path.
        return cmath.isfinite(f.dot(f)) if f.size else True
    try:
        return cmath.isfinite(p)
    except TypeError:
        pass
    if hasattr(p, "__dask_graph__"):
        return False    # why: a lazy value (Dask) is not computed to answer: the safe path
    try:
        return bool(np.all(np.isfinite(p)))
    except TracerConversionError:
        return False    # why: a value known only when it runs (dfdx.jit): the safe path


def _safe_mul(c, p):
    """c * p where a zero in `c` stays zero even where `p` is infinite or NaN.

    why: a zero cotangent or tangent (a branch np.where did not select, a masked
    element, a direction that does not move this element) times an infinite partial
    (sqrt or log at 0, exp overflow, 1/x at 0) is 0, not NaN. Only rules whose partials
    can be infinite pay for this, and then only a finiteness check while they are finite.
    """
    if type(p) is np.ndarray and p.dtype.kind == "f":   # the common case, inline
        f = p if p.ndim == 1 else p.reshape(-1)
        if math.isfinite(f.dot(f)):
            return _mul(c, p, 3)   # why: this frame's reference is private too
    elif isinstance(p, Box) or isinstance(c, Box):
        # why: traced (a higher derivative), the product's own rules must be safe too: a
        # zero cotangent of it (an unselected branch) times a factor that is infinite or
        # NaN there -- the partial p, or a tangent c that is NaN where p was -- stays zero.
        if _all_finite(p):
            return _guarded_multiply(c, p)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = _guarded_multiply(c, p)
        return np.where(c == 0, np.zeros_like(r), r)
    elif _all_finite(p):
        return _mul(c, p, 3)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = c * p if not isinstance(c, Box) else _guarded_multiply(c, p)
    return np.where(c == 0, np.zeros_like(r), r)


_refcount = sys.getrefcount


def _mul(g, p, owners=2):
    """g * p, written into `p` when `p` is a fresh temporary nobody else holds.

    `owners`: the references to `p` that are known to be private (this frame, getrefcount's
    argument, and the frames of callers that only pass `p` on).
    """
    # why: the partial of an elementwise rule is usually a new array (cos(x), 1 - ans**2);
    # multiplying into it saves an allocation and a pass over fresh memory, which is a
    # large share of a backward sweep on big arrays. A refcount of 2 (this frame and
    # getrefcount's argument) proves that no one else can see the array change.
    if (type(p) is np.ndarray and p.size >= 4096 and type(g) is np.ndarray
            and _refcount(p) <= owners and p.shape == g.shape and p.dtype == g.dtype
            and p.flags.owndata and p.flags.writeable):
        return np.multiply(g, p, out=p)
    return g * p


def _make_vjp(partial, i, n, guard):
    if partial == 1 or partial == -1:
        sign = partial
        if n == 1:
            return (lambda g, ans, x: g) if sign == 1 else (lambda g, ans, x: -g)
        return ((lambda g, ans, *args: unbroadcast(g, args[i])) if sign == 1 else
                (lambda g, ans, *args: unbroadcast(-g, args[i])))
    if guard and guard != "overflow":
        def vjp(g, ans, *args):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                p = partial(ans, *args)
            return unbroadcast(_safe_mul(g, p), args[i])
        return vjp
    # why: "overflow" partials are finite wherever the value is (exp, 1/y): no warnings to
    # silence, so no errstate (it costs more than the rule) -- only the finiteness check.
    mul = _safe_mul if guard == "overflow" else _mul
    if n == 1:
        # why: a unary elementwise function cannot broadcast; skip the shape check.
        def vjp(g, ans, x):
            return mul(g, partial(ans, x))
    elif n == 2 and i == 0:
        def vjp(g, ans, x, y):
            return unbroadcast(mul(g, partial(ans, x, y)), x)
    elif n == 2:
        def vjp(g, ans, x, y):
            return unbroadcast(mul(g, partial(ans, x, y)), y)
    else:
        def vjp(g, ans, *args):
            return unbroadcast(mul(g, partial(ans, *args)), args[i])
    return vjp


def _make_jvp(partial, i, n, guard):
    if partial == 1 or partial == -1:
        if n == 1:
            return (lambda t, ans, x: t) if partial == 1 else (lambda t, ans, x: -t)
        return ((lambda t, ans, *args: broadcast_like(t, ans)) if partial == 1 else
                (lambda t, ans, *args: broadcast_like(-t, ans)))
    if guard == "overflow":
        if n == 1:
            def jvp(t, ans, x):
                return _safe_mul(t, partial(ans, x))
        else:
            def jvp(t, ans, *args):
                return broadcast_like(_safe_mul(t, partial(ans, *args)), ans)
    elif guard:
        def jvp(t, ans, *args):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                p = partial(ans, *args)
            return broadcast_like(_safe_mul(t, p), ans)
    elif n == 1:
        def jvp(t, ans, x):
            return _mul(t, partial(ans, x))
    else:
        def jvp(t, ans, *args):
            return broadcast_like(t * partial(ans, *args), ans)
    return jvp


def _align(t, x, ans):
    """Give a batched tangent of argument `x` the rank of the answer (plus the batch axis)."""
    xs = shape_of(x)
    nd = len(shape_of(ans))
    if len(xs) < nd:
        t = np.reshape(t, (shape_of(t)[0],) + (1,) * (nd - len(xs)) + tuple(xs))
    return t


def _broadcast_batched(r, ans):
    target = (shape_of(r)[0],) + tuple(shape_of(ans))
    return r if shape_of(r) == target else np.broadcast_to(r, target)


def _times_partial(c, partial, ans, args, guard):
    """c times a partial derivative: the constant 1 or -1, or ``partial(ans, *args)``."""
    if partial == 1:
        return c
    if partial == -1:
        return -c
    if guard == "overflow":
        return _safe_mul(c, partial(ans, *args))
    if guard:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            p = partial(ans, *args)
        return _safe_mul(c, p)
    return c * partial(ans, *args)


def _make_bjvp(partial, i, guard):
    def bjvp(t, ans, *args):
        t = _align(t, args[i], ans)
        return _broadcast_batched(_times_partial(t, partial, ans, args, guard), ans)
    return bjvp


def batch_fallback(rule, t, ans, args, kwargs, whole=False):
    """Apply an unbatched JVP rule to each direction of a batched tangent and stack."""
    if whole:
        k = next(shape_of(x)[0] for x in t if x is not None)
        outs = [rule(tuple(None if x is None else x[j] for x in t), ans, *args, **kwargs)
                for j in range(k)]
    else:
        outs = [rule(t[j], ans, *args, **kwargs) for j in range(shape_of(t)[0])]
    if all(o is None for o in outs):
        return None   # a rule that answers "no derivative" (np.imag of a real value)
    if isinstance(outs[0], tuple):   # a multiple-results primitive
        return tuple(None if o is None else np.stack([r[c] for r in outs])
                     for c, o in enumerate(outs[0]))
    return np.stack(outs)



def cast_tangent(t, dtype):
    """Tangent `t` in the (float or complex) dtype of its value; traceable."""
    if dtype.kind not in "fc":
        return t
    if dtype.kind != "c" and np.iscomplexobj(t):
        t = np.real(t)   # why: a real value moves along the real line only
    if isinstance(t, (Box, np.ndarray, np.generic)):
        return t.astype(dtype)
    return dtype.type(t)


#: The scalar types whose type alone fixes their dtype (a tangent of one needs no cast).
SCALAR_TYPES = frozenset(
    np.dtype(c).type for c in np.typecodes["AllFloat"] + np.typecodes["AllInteger"] + "?")


def _stack(parts):
    if all(p is None for p in parts):
        return None
    return np.stack(parts)


def batch_fallback_vjp(rule, g, ans, args, kwargs, whole=False):
    """Apply an unbatched VJP rule to each slice of a batched cotangent and stack."""
    if isinstance(g, tuple):   # the cotangent of a multiple-results primitive
        k = next(shape_of(x)[0] for x in g if x is not None)
        slices = [tuple(None if x is None else x[j] for x in g) for j in range(k)]
    else:
        slices = [g[j] for j in range(shape_of(g)[0])]
    outs = [rule(gj, ans, *args, **kwargs) for gj in slices]
    if whole:
        return tuple(_stack([o[c] for o in outs]) for c in range(len(outs[0])))
    return _stack(outs)



def unbroadcast_batched(g, x):
    """Like `unbroadcast`, for a cotangent with a leading batch axis."""
    gs = shape_of(g)
    xs = shape_of(x)
    if gs[1:] == xs:
        return g
    lead = len(gs) - 1 - len(xs)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(1, 1 + lead)))
    axes = tuple(i + 1 for i, (a, b) in enumerate(zip(shape_of(g)[1:], xs)) if b == 1 and a != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def _make_bvjp(partial, i, guard):
    def bvjp(g, ans, *args):
        return unbroadcast_batched(_times_partial(g, partial, ans, args, guard), args[i])
    return bvjp


def accumulate(total, ct):
    """Add cotangent `ct` into the array `total` in place when it can; whether it did."""
    if (type(total) is np.ndarray and type(ct) is np.ndarray and total.shape == ct.shape
            and total.dtype == np.result_type(total, ct) and total.flags.writeable):
        np.add(total, ct, out=total)
        return True
    return False



def _register(fn, prim):
    if isinstance(fn, np.ufunc):
        UFUNCS[fn] = prim
    else:
        FUNCTIONS[fn] = prim
    return prim


def _params_read(fn):
    """Which parameters a rule function reads (None when that cannot be told)."""
    code = getattr(fn, "__code__", None)
    if code is None or code.co_flags & 0x0C:   # *args / **kwargs: assume it reads all
        return None
    params = code.co_varnames[:code.co_argcount]
    read = {ins.argval for ins in dis.get_instructions(fn)
            if ins.opname.startswith(("LOAD_FAST", "LOAD_CLOSURE", "LOAD_DEREF"))}
    return [p in read for p in params]


def _elementwise_drop(partials):
    """Flags (ans, arg0, ...) for the values no partial reads (their shapes suffice)."""
    n = len(partials)
    need = [False] * (n + 1)
    for p in partials:
        if p is None or p == 1 or p == -1:
            continue
        read = _params_read(p)
        if read is None or len(read) != n + 1:
            return None
        need = [a or b for a, b in zip(need, read)]
    drop = tuple(not x for x in need)
    return drop if any(drop) else None


def defelementwise(fn, partials, *, guard=False, name=None):
    """Register an elementwise function by its partial derivatives.

    Args:
        fn: a ufunc (or elementwise function) of ``len(partials)`` arguments.
        partials: one entry per argument: ``partial(ans, *args)``, the number
            ``1`` or ``-1`` (a constant partial), or None (no derivative).
        guard: the partials can be infinite (sqrt, log at 0): make a zero
            cotangent (or tangent) stay zero instead of turning into NaN. ``True``
            also silences NumPy's warnings while the partial is computed (domain
            edges); ``"overflow"`` does not (exp, 1/y: the value itself warned).

    Returns:
        The Primitive, also registered for dispatch.
    """
    return _register(fn, _elementwise_primitive(fn, partials, guard, name))


def _elementwise_primitive(fn, partials, guard, name=None):
    prim = Primitive(fn, name=name or callable_name(fn))
    n = len(partials)
    prim.drop = _elementwise_drop(partials)
    prim.defvjp(*(None if p is None else _make_vjp(p, i, n, guard) for i, p in enumerate(partials)))
    prim.defjvp(*(None if p is None else _make_jvp(p, i, n, guard) for i, p in enumerate(partials)))
    prim.defbjvp(*(None if p is None else _make_bjvp(p, i, guard) for i, p in enumerate(partials)))
    prim.defbvjp(*(None if p is None else _make_bvjp(p, i, guard) for i, p in enumerate(partials)))
    return prim


#: np.multiply with NaN-safe rules (a zero cotangent or tangent stays zero), for the
#: products `_safe_mul` makes of traced values; not registered for dispatch.
_guarded_multiply = _elementwise_primitive(
    np.multiply, (lambda ans, x, y: y, lambda ans, x, y: x), "overflow")


def _as_tuple(rules):
    if rules is None:
        return ()
    return rules if isinstance(rules, tuple) else (rules,)


def defrule(fn, vjp=MISSING, jvp=MISSING, *, vjp_all=None, jvp_all=None, bjvp=MISSING,
            bjvp_all=None, bvjp=MISSING, bvjp_all=None, multiple_results=False, name=None,
            impl=None, shape_only=(), stacked=False):
    """Register a function with its VJP and JVP rules side by side.

    Args:
        fn: the NumPy/SciPy callable dispatch looks up (or any function).
        vjp: ``vjp(g, ans, *args, **kw)`` for a one-argument function, or a
            tuple with one rule (or None) per positional argument.
        jvp: likewise ``jvp(t, ans, *args, **kw)``.
        vjp_all / jvp_all: one rule for all arguments (variadic / linear functions).
        bjvp / bjvp_all: optional batched forward rules: like `jvp`, with a leading
            batch axis on every tangent (used by jacfwd/hessian); without them each
            direction of a batch is pushed through `jvp` in turn.
        bvjp / bvjp_all: likewise optional batched reverse rules (used by jacrev).
        stacked: the declaration that `vjp` and `jvp` take stacked arguments (any leading
            axes, as NumPy's linear algebra does): they are then the batched rules too.
        multiple_results: `fn` returns a tuple of arrays.
        impl: the function to call on plain values, when it is not `fn` itself.
        shape_only: the values the VJP rules read only the shape and dtype of:
            ``"ans"`` and/or argument positions; the tape keeps just those of them.

    Returns:
        The Primitive, also registered for dispatch under `fn`.
    """
    prim = Primitive(impl or fn, name=name or callable_name(fn),
                     multiple_results=multiple_results)
    prim.defvjp(*(_as_tuple(vjp) if vjp is not MISSING else ()), all=vjp_all)
    prim.defjvp(*(_as_tuple(jvp) if jvp is not MISSING else ()), all=jvp_all)
    if stacked:
        bvjp, bvjp_all, bjvp, bjvp_all = vjp, vjp_all, jvp, jvp_all
    prim.defbjvp(*(_as_tuple(bjvp) if bjvp is not MISSING else ()), all=bjvp_all)
    prim.defbvjp(*(_as_tuple(bvjp) if bvjp is not MISSING else ()), all=bvjp_all)
    if shape_only:
        nargs = max([i for i in shape_only if i != "ans"], default=-1) + 1
        prim.drop = ("ans" in shape_only,) + tuple(i in shape_only for i in range(nargs))
    return _register(fn, prim)


def defzero(*fns):
    """Register functions whose derivative is zero wherever it exists."""
    for fn in fns:
        _register(fn, Primitive(fn, name=callable_name(fn), zero_derivative=True))


def defcomposite(fn, impl):
    """Register `fn` as implemented by the traceable Python function `impl`."""
    FUNCTIONS[fn] = impl
    return impl


def primitive(fun=None, *, name=None):
    """Declare a function whose derivative you supply (decorator).

    The function is called on plain NumPy values; attach rules with
    ``.defvjp(vjp_x, vjp_y, ...)`` and ``.defjvp(jvp_x, ...)``, each
    ``rule(g_or_t, ans, *args, **kwargs)``. Use it for code dfdx cannot trace
    (a C extension, SciPy's solvers) or for a more stable rule.

    Args:
        fun: the function to wrap.
        name: how errors refer to it.

    Returns:
        A `Primitive`, callable like `fun`.

    Example:
        >>> import numpy as np, dfdx
        >>> @dfdx.primitive
        ... def softplus(x):
        ...     return np.logaddexp(0.0, x)
        >>> _ = softplus.defvjp(lambda g, ans, x: g / (1 + np.exp(-x)))
        >>> _ = softplus.defjvp(lambda t, ans, x: t / (1 + np.exp(-x)))
        >>> float(dfdx.grad(softplus)(0.0))
        0.5
    """
    if fun is None:
        return lambda f: primitive(f, name=name)
    return Primitive(fun, name=name or getattr(fun, "__qualname__", None))
