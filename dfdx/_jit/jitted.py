"""`jit`: record a function once per signature, optimise the graph, run the generated code."""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict

import numpy as np

from dfdx._jit.codegen import generate
from dfdx._jit.passes import optimize
from dfdx._jit.tracer import Recording, RefusedConversion, RefusedOperation, Refusal, Traced
from dfdx._tree import tree_flatten, tree_unflatten

__all__ = ["jit", "Jitted", "jit_or_eager"]

#: Signatures kept per jitted function (the oldest is dropped first).
CACHE_SIZE = 64
#: Recordings kept per signature, for the cases that dfdx's guards tell apart (then eager).
MAX_VARIANTS = 8


def jit(f=None, static_argnums=(), donate_argnums=(), fallback="error", fuse=False):
    """Compile `f` per signature: record it once, then run optimised, generated NumPy code.

    The first call with a given signature -- the pytree structure of the
    arguments, the shape and dtype of each array, the values of the static
    arguments and of Python numbers -- runs `f` on traced arrays that record
    every NumPy call (and, when `f` is a dfdx transform, its derivative
    sweeps); the graph is optimised (dead code, common subexpressions,
    constants, exact identities) and written as straight-line NumPy source
    that reuses dead buffers (``out=``). Later calls with that signature run
    the compiled code. Where dfdx's own derivative rules look at a value (ties
    in ``np.max``, a finiteness check) the code checks on every call that it
    is as recorded, and a case that differs is recorded too (a few per
    signature; then the function runs uncompiled).

    Args:
        f: a function of arrays (pytrees of arrays) written with NumPy.
        static_argnums: positions of arguments that are compiled in by value
            (hashable; a new value records again). Python numbers are always
            compiled in by value: pass a NumPy array to make one an input.
        donate_argnums: positions of array arguments the compiled code may
            write into (their contents are undefined after the call).
        fallback: ``"error"`` (a function whose Python control flow depends on
            traced values raises `TracerConversionError`), ``"eager"`` (such
            a function runs uncompiled, with a one-time warning) or ``"silent"``
            (any function jit cannot record runs uncompiled from then on, without a
            warning: what `nn.fit` and `optim.minimize` use for their steps).
        fuse: ``True`` runs a signature whose whole graph is elementwise (ufuncs on
            arrays of one shape, at most 512 elements, full sums, finiteness
            guards) as one numba loop (needs the optional extra:
            ``pip install "dfdx[jit]"``); any other graph keeps its NumPy code.
            Pays for small arrays (W1 n=10: 3-4x), not for large ones (numba's
            transcendentals are libm's, one element at a time), and costs ~0.5 s
            of numba compile per signature: off by default.

    Returns:
        A function with the signature of `f`; ``.source(*args)`` returns the
        generated source for those arguments.

    Raises:
        TracerConversionError: `f` converts a traced value to a Python value
            (``if x > 0``, ``float(x)``, ``np.asarray(x)``); the message names the line.
        UnsupportedOperation: `f` does what a compiled function cannot
            (``x[mask]``, writing into an array).

    Example:
        >>> import numpy as np, dfdx
        >>> @dfdx.jit
        ... def f(x):
        ...     return np.sum(np.tanh(x) ** 2)
        >>> float(f(np.array([0.5, -1.0])))
        0.7936...
        >>> print(f.source(np.array([0.5, -1.0])))
        def f(x0):
            v1 = np.tanh(x0)
            v2 = np.square(v1)
            v3 = np.add.reduce(v2, axis=None)
            return [v3]
        <BLANKLINE>
    """
    if f is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 donate_argnums=donate_argnums, fallback=fallback, fuse=fuse)
    if fallback not in ("error", "eager", "silent"):
        raise ValueError(f"fallback must be 'error', 'eager' or 'silent', got {fallback!r}")
    if fuse:
        from dfdx._jit.fusion import import_numba
        import_numba()                  # why: a missing extra is said at once, not at the call
    if fallback == "silent":
        return _JitOrEager(f, {"static_argnums": static_argnums,
                               "donate_argnums": donate_argnums, "fuse": bool(fuse)})
    return Jitted(f, static_argnums, donate_argnums, fallback, bool(fuse))


def _tuple(nums, what):
    nums = (nums,) if isinstance(nums, int) else tuple(nums)
    if not all(isinstance(n, int) for n in nums):
        raise TypeError(f"{what} must be an int or a tuple of ints, got {nums!r}")
    return nums


class _Entry:
    """What one signature compiles to: the code (or None: run eagerly) and the output tree."""

    __slots__ = ("code", "tree", "rebuild", "fn")

    def __init__(self, code, tree):
        self.code, self.tree = code, tree
        self.fn = code.fn if code is not None else None     # the generated function itself
        # why: rebuilding the output pytree costs ~3 us; one array, a flat tuple, or a tuple
        # of arrays and flat lists (value and gradients of a list of parameters) need not
        if tree is None or tree.kind == "leaf":
            self.rebuild = lambda flat: flat[0]
        elif tree.kind == "tuple" and all(c.kind == "leaf" for c in tree.children):
            self.rebuild = tuple
        elif tree.kind == "tuple" and all(c.kind == "leaf" or (c.kind == "list" and all(
                e.kind == "leaf" for e in c.children)) for c in tree.children):
            spans, at = [], 0
            for c in tree.children:
                n = 1 if c.kind == "leaf" else len(c.children)
                spans.append((c.kind == "leaf", at, at + n))
                at += n
            self.rebuild = lambda flat: tuple(flat[a] if leaf else flat[a:b]
                                              for leaf, a, b in spans)
        else:
            self.rebuild = lambda flat: tree_unflatten(tree, flat)


class _Mark:
    """Stands for the k-th input while finding which inputs belong to donated arguments."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


class Jitted:
    """A function compiled per signature by `jit` (see there)."""

    def __init__(self, f, static_argnums, donate_argnums, fallback, fuse=False):
        self.f = f
        self.static = _tuple(static_argnums, "static_argnums")
        self.donate = _tuple(donate_argnums, "donate_argnums")
        self.fallback = fallback
        self.fuse = fuse
        self.cache = OrderedDict()
        self._plain = {}            # (shape, dtype) per argument -> entry, for arrays only
        self._warned = False
        functools.update_wrapper(self, f)

    def _split(self, args):
        """(signature key, dynamic leaves, a function rebuilding args from new leaves)."""
        n = len(args)
        static = {i % n if n else i for i in self.static}
        dyn = [a for i, a in enumerate(args) if i not in static]
        leaves, tree = tree_flatten(dyn)
        key, inputs = [tree], []
        for leaf in leaves:
            if isinstance(leaf, (np.ndarray, np.generic)):
                key.append((type(leaf), leaf.shape, leaf.dtype))
                inputs.append(leaf)
            else:
                # why: a Python number is weakly typed in NumPy's promotion (NEP 50); as a
                # 0-d input it would promote like an array, so it is compiled in by value
                key.append(("value", type(leaf), _hashable(leaf, "an argument")))
        for i in sorted(static):
            key.append(("static", i, _hashable(args[i], f"static argument {i}")))

        def rebuild(new_inputs):
            it = iter(new_inputs)
            new = [next(it) if isinstance(leaf, (np.ndarray, np.generic)) else leaf
                   for leaf in leaves]
            dyn_new = iter(tree_unflatten(tree, new))
            return tuple(args[i] if i in static else next(dyn_new) for i in range(n))
        return tuple(key), inputs, rebuild

    def __call__(self, *args):
        if not self.static:
            # why: the common call -- arrays only, nothing static -- skips the pytree walk
            # of the signature (~25 us); arrays only: one pass, ~0.5 us of overhead in all.
            # The lookup below is written out in both quick paths: a shared method costs
            # W1 n=10 0.1-0.4 us of its ~9 us (measured).
            key = tuple([(a.shape, a.dtype) for a in args if type(a) is np.ndarray])
            if len(key) == len(args):
                variants = self._plain.get(key)
                if variants:
                    entry = variants[0]
                    if entry.fn is not None:
                        out = entry.fn(*args)
                        if out is not None:
                            return entry.rebuild(out)
                return self._quick(key, args, args, variants)
            key, flat = [], []
            for a in args:
                t = type(a)
                if t is np.ndarray:
                    key.append((a.shape, a.dtype))
                    flat.append(a)
                elif (t is list or t is tuple) and all(type(e) is np.ndarray for e in a):
                    key.append((t, len(a)))         # a flat list of arrays (parameters)
                    key += [(e.shape, e.dtype) for e in a]
                    flat += a
                else:
                    break
            else:
                key = tuple(key)
                variants = self._plain.get(key)
                if variants:
                    entry = variants[0]
                    if entry.fn is not None:
                        out = entry.fn(*flat)
                        if out is not None:
                            return entry.rebuild(out)
                return self._quick(key, args, flat, variants)
        if _traced_elsewhere(args):
            return self.f(*args)        # under another transform: run f itself
        variants, inputs, rebuild = self._variants(args)
        return self._slow(variants, args, inputs, rebuild)

    def _quick(self, key, args, flat, variants):
        """The quick path's cache missed or its first variant's guards failed."""
        if variants is None:
            variants = self._plain[key] = self._variants(args)[0]
            if len(self._plain) > CACHE_SIZE:
                self._plain.pop(next(iter(self._plain)))
        return self._slow(variants, args, flat, None)

    def _slow(self, variants, args, inputs, rebuild):
        """Run the first variant whose guards hold; record a new one when none does."""
        for k, entry in enumerate(variants):
            if entry.code is None:
                return self.f(*args)
            out = entry.code(*inputs)
            if out is not None:
                if k:
                    variants.insert(0, variants.pop(k))     # the case seen last goes first
                return entry.rebuild(out)
        if len(variants) >= MAX_VARIANTS:
            # why: values that dfdx's rules look at keep changing: recording again each time
            # would cost more than running eagerly
            variants[:] = [_Entry(None, None)]
            return self.f(*args)
        if rebuild is None:
            _, inputs, rebuild = self._split(args)
        entry = self._compile(inputs, rebuild)
        variants.insert(0, entry)
        if entry.code is None:
            return self.f(*args)
        out = entry.code(*inputs)
        return entry.rebuild(out) if out is not None else self.f(*args)

    def _variants(self, args):
        """(the compiled variants of the signature of `args` (a list, maybe empty), inputs,
        a function rebuilding the arguments from inputs)."""
        key, inputs, rebuild = self._split(args)
        variants = self.cache.get(key)
        if variants is None:
            variants = self.cache[key] = []
            if len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        return variants, inputs, rebuild

    def source(self, *args):
        """The generated source for a call with these arguments (compiling it if needed)."""
        variants, inputs, rebuild = self._variants(args)
        if not variants:
            variants.append(self._compile(inputs, rebuild))
        entry = variants[0]
        if entry.code is None:
            raise RefusedOperation("dfdx.jit: this signature runs eagerly (fallback='eager',"
                                       " or guards that kept failing), so there is no compiled "
                                       "source")
        return entry.code.source

    def _compile(self, inputs, rebuild):
        rec = Recording()
        try:
            out = self.f(*rebuild([rec.input(x) for x in inputs]))
        except Refusal as exc:
            if self.fallback != "eager":
                raise
            if not self._warned:
                warnings.warn(f"dfdx.jit: running {getattr(self.f, '__name__', 'f')} "
                              f"uncompiled ({exc})", RuntimeWarning, stacklevel=4)
                self._warned = True
            return _Entry(None, None)
        finally:
            rec.closed = True
        leaves, tree = tree_flatten(out)
        g = rec.graph
        g.outputs = [_output(leaf, rec) for leaf in leaves]
        if not g.guards:
            # why: a variant whose guard fails would have written into the donated buffer
            # before the next variant reads it
            for pos in self._donated(inputs, rebuild):
                g.vars[g.inputs[pos]].fresh = np.ndim(inputs[pos]) > 0
        name = getattr(self.f, "__name__", "f")
        name = name if name != "<lambda>" else "f"
        g = optimize(g)
        if self.fuse:
            from dfdx._jit.fusion import fuse
            fused = fuse(g, name)
            if fused is not None:
                return _Entry(fused, tree)
        return _Entry(generate(g, name), tree)

    def _donated(self, inputs, rebuild):
        """Positions (among the inputs) of the leaves of donated arguments."""
        if not self.donate:
            return []
        marks = rebuild([_Mark(k) for k in range(len(inputs))])
        out = []
        for i in self.donate:
            leaves, _ = tree_flatten(marks[i % len(marks)])
            out.extend(leaf.k for leaf in leaves if isinstance(leaf, _Mark))
        return out


def _output(leaf, rec):
    if isinstance(leaf, Traced):
        if leaf._rec is not rec:
            raise RefusedConversion("dfdx.jit: the function returned a traced array of "
                                        "another compilation")
        return leaf._ref
    if isinstance(leaf, np.ndarray):
        return rec.const(leaf)          # computed without the inputs: a constant
    return leaf


def _hashable(v, what):
    try:
        hash(v)
    except TypeError:
        raise TypeError(f"dfdx.jit: {what} ({type(v).__name__}) is compiled in by value and "
                        "must be hashable; pass arrays as arrays, or drop it from "
                        "static_argnums") from None
    return v


def _traced_elsewhere(args):
    """Whether an argument is a value traced by another transform (not a plain array)."""
    leaves, _ = tree_flatten(list(args))
    return any(not isinstance(leaf, (np.ndarray, np.generic, int, float, complex, bool,
                                     str, type(None)))
               and hasattr(leaf, "__array_ufunc__") for leaf in leaves)



def jit_or_eager(f, enabled=True, **jit_options):
    """`f` compiled by `jit` where it can be, else `f` itself -- silently (for training loops).

    What `nn.fit` and `optim.minimize` wrap their step in: the first call with
    each signature records `f`; when jit refuses it (Python control flow on
    values, ``x[mask]``, a NumPy function a traced array cannot go through) or
    the recording fails for any other reason on the first call, `f` runs
    uncompiled from then on, with no warning. Errors of a call that runs
    compiled code, or of the uncompiled `f`, are raised as they are.

    Args:
        f: the step, e.g. ``dfdx.value_and_grad(loss)``.
        enabled: False returns `f` itself (the flag that turns compiling off).
        **jit_options: passed to `jit` (``static_argnums``, ``donate_argnums``).

    Returns:
        A function with the signature of `f`.

    Example:
        >>> import numpy as np, dfdx
        >>> from dfdx._jit import jit_or_eager
        >>> vg = jit_or_eager(dfdx.value_and_grad(lambda w: np.sum(np.tanh(w) ** 2)))
        >>> float(vg(np.array([0.5, 1.0]))[0])
        0.7936...
        >>> branchy = jit_or_eager(lambda x: x if float(np.sum(x)) > 0 else -x)
        >>> branchy(np.array([-2.0]))            # runs uncompiled: jit refuses float()
        array([2.])
    """
    if not enabled:
        return f
    return _JitOrEager(f, jit_options)


class _JitOrEager:
    """The function `jit_or_eager` returns."""

    def __init__(self, f, jit_options):
        self.f = f
        self.jitted = jit(f, **jit_options)
        self.compiled = None        # None: not tried yet; then True / False
        functools.update_wrapper(self, f)

    def __call__(self, *args):
        if self.compiled is False:
            return self.f(*args)
        try:
            out = self.jitted(*args)
        except Refusal:
            self.compiled = False
            return self.f(*args)
        except Exception:           # noqa: BLE001 -- the uncompiled call says what is wrong
            if self.compiled:
                raise
            self.compiled = False
            return self.f(*args)
        self.compiled = True
        return out
