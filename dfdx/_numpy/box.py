"""The array box: a traced value that plain NumPy code can compute with.

It implements NumPy's dispatch protocols (``__array_ufunc__``, NEP 13;
``__array_function__``, NEP 18), Python's arithmetic dunders, indexing and
the array attributes and methods people call. Everything that would silently
drop the derivative (``np.asarray``, ``float``, ``math.exp``, writing a traced
value into a plain array) raises a `TracerConversionError` that says what to
write instead.

Writes into a traced array (``y[i] = v``, ``y[1:] *= 2``, ``out=``, ``y.fill``) are
recorded as the functional update `_setitem` (its rules: dfdx.rules.writes), and the
box then stands for the new value (`dfdx._core.rebind`). Where no one else holds the
old array (a reference count), the write happens in place: a loop of writes costs
O(1) a write, not O(size). ``np.zeros_like(x)``, ``x.copy()``, ``np.zeros(n, like=x)``
and their kind make traced constants (`constant_like`) to write into.
"""

from __future__ import annotations

import dis
import sys

import numpy as np

from dfdx._core import BatchTrace, Box, ForwardTrace, ReverseTrace, getval, rebind
from dfdx._errors import TracerConversionError, UnsupportedOperation
from dfdx._numpy.registry import (FUNCTIONS, UFUNC_METHODS, UFUNCS, callable_name,
                                  load_lazy_rules, no_rule_error)

__all__ = ["ArrayBox", "getval", "constant_like", "write", "WRITE_FIX"]

_refcount = sys.getrefcount

#: NumPy's array creation functions that take ``like=`` (NEP 35), with a rule that makes
#: a traced constant (dfdx.rules.writes fills it)
LIKE: set = set()
_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]

#: How to write traced values into an array: what every refused write says.
WRITE_FIX = ("Make the array traced instead and write into that: y = np.zeros_like(x), "
             "np.empty_like(x), x.copy() or np.zeros(n, like=x), where x is a traced value")


def _storing(frame):
    """Whether `frame` is executing an item assignment (y[...] = v) right now."""
    try:
        return frame.f_code.co_code[frame.f_lasti] == _STORE_SUBSCR
    except (AttributeError, IndexError, TypeError):
        return False


_SHUFFLE = {dis.opmap[n] for n in ("CACHE", "SWAP", "COPY", "ROT_TWO", "ROT_THREE")
            if n in dis.opmap}


def _stored_back(frame):
    """Whether `frame`, now at an augmented assignment (x op= y), stores its result with an
    item assignment next: ``y[k] op= v`` (then the result is written into y, not into the view
    y[k])."""
    try:
        code, i = frame.f_code.co_code, frame.f_lasti + 2
        while i < len(code) and code[i] in _SHUFFLE:
            i += 2
        return i < len(code) and code[i] == _STORE_SUBSCR
    except (AttributeError, TypeError):
        return False


def _plain_write_error():
    return TracerConversionError(
        "Writing a traced value into a plain NumPy array (y[...] = v, where y came from "
        "np.zeros, np.empty, np.array, ...) would drop its derivative. " + WRITE_FIX + ".")


def _finished(x):
    """Whether every trace `x` belongs to is finished (a value kept after a tape closed)."""
    while isinstance(x, Box):
        if not x._trace.done:
            return False
        x = x._value
    return True


def _fn(func):
    impl = FUNCTIONS.get(func)
    if impl is None and load_lazy_rules():
        impl = FUNCTIONS.get(func)
    if impl is None:
        raise no_rule_error(func)
    return impl


def _uf(ufunc):
    prim = UFUNCS.get(ufunc)
    if prim is None and load_lazy_rules():
        prim = UFUNCS.get(ufunc)
    if prim is None:
        raise no_rule_error(ufunc)
    return prim


def _conversion_error(what):
    joiner = _index_tricks_caller()
    if joiner is not None:
        return TracerConversionError(
            f"{joiner}[...] builds its result with np.array, which drops the derivative of a "
            f"traced value. Use {_INDEX_TRICKS_FIXES[joiner]} instead.")
    scipy_fn = _scipy_caller()
    if scipy_fn is not None:
        name, equivalent = scipy_fn
        fix = (f"Use {equivalent}, dfdx's traceable equivalent with SciPy's signature."
               if equivalent else "Write it with NumPy functions (and scipy.special ufuncs, "
               "which dfdx traces), or pass dfdx.stop_gradient(x) if it is a constant.")
        return TracerConversionError(
            f"{name} converts its input with np.asarray, which drops the derivative of a "
            f"traced value. {fix}")
    return TracerConversionError(
        f"{what} was called on a traced value, which would drop its derivative. "
        "Keep computing with NumPy on the value itself: use np.exp/np.sin instead of "
        "math.exp/math.sin, and build arrays with np.stack([...]) instead of np.array([...]). "
        "If you do want a constant, use dfdx.stop_gradient(x).")


#: NumPy's index-trick joiners and the traceable call that does the same.
_INDEX_TRICKS_FIXES = {
    "np.r_": "np.concatenate([...]) (a scalar s as np.atleast_1d(s))",
    "np.c_": "np.column_stack([...])"}


def _index_tricks_caller():
    """``"np.r_"`` or ``"np.c_"`` when one of them is converting the traced value, else None."""
    import sys
    frame = sys._getframe(2)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith("numpy.lib._index_tricks"):
            kind = type(frame.f_locals.get("self")).__name__
            if kind in ("RClass", "CClass"):
                return "np.r_" if kind == "RClass" else "np.c_"
        frame = frame.f_back
    return None


#: SciPy's Python-level functions that have traceable equivalents in dfdx.special /
#: dfdx.stats (names only: this layer does not import them; tests check they exist).
SCIPY_SPECIAL_EQUIVALENTS = frozenset({"logsumexp", "softmax", "log_softmax", "multigammaln"})
SCIPY_STATS_EQUIVALENTS = frozenset({"norm", "t", "gamma", "beta", "expon", "laplace", "logistic",
                                     "chi2", "poisson", "binom", "multivariate_normal",
                                     "dirichlet"})
#: ... and in dfdx.linalg / dfdx.signal / dfdx.integrate (SciPy module -> function names)
SCIPY_OTHER_EQUIVALENTS = {
    "linalg": frozenset({"expm", "sqrtm", "logm", "solve_triangular", "cho_factor", "cho_solve",
                         "lu_factor", "lu_solve", "det", "inv", "eigh", "svd"}),
    "signal": frozenset({"convolve", "correlate"}),
    "integrate": frozenset({"trapezoid"})}


def _scipy_caller():
    """The SciPy function the user called that converted a traced value, and dfdx's equivalent.

    why: SciPy's Python-level functions call np.asarray on their inputs; the error is
    raised deep inside SciPy, so the outermost SciPy frame names what the user called.
    Returns ``(name, equivalent or None)``, or None when no SciPy frame is on the stack.
    """
    import sys
    frame, outer, public_outer = sys._getframe(2), None, None
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("scipy."):
            outer = frame
            if not name.startswith("scipy._lib"):   # why: not a decorator's wrapper
                public_outer = frame
        frame = frame.f_back
    outer = public_outer or outer
    if outer is None:
        return None
    mod, fn = outer.f_globals["__name__"], outer.f_code.co_name
    wrapped = outer.f_locals.get("f") or outer.f_locals.get("func")   # a decorator's wrapper
    if (mod.startswith("scipy._lib") or fn == "wrapper") and \
            str(getattr(wrapped, "__module__", "")).startswith("scipy."):
        mod, fn = wrapped.__module__, wrapped.__name__
    if mod.startswith("scipy.special") and fn in SCIPY_SPECIAL_EQUIVALENTS:
        return f"scipy.special.{fn}", f"dfdx.special.{fn}"
    if mod.startswith("scipy.stats"):
        obj = outer.f_locals.get("self")
        dist = getattr(obj, "name", None) or getattr(getattr(obj, "dist", None), "name", None)
        where = f"scipy.stats.{dist}.{fn}" if isinstance(dist, str) else f"scipy.stats ({fn})"
        return where, (f"dfdx.stats.{dist}.{fn}" if dist in SCIPY_STATS_EQUIVALENTS else None)
    sub = mod.split(".")[1]
    if fn in SCIPY_OTHER_EQUIVALENTS.get(sub, ()):
        return f"scipy.{sub}.{fn}", f"dfdx.{sub}.{fn}"
    public = mod.split("._")[0]
    return f"{public}.{fn}", None


_NO = np._NoValue   # NumPy's "keyword not given" marker

_REDUCE = {np.add: np.sum, np.multiply: np.prod, np.maximum: np.max, np.minimum: np.min,
           np.fmax: np.max, np.fmin: np.min}
_ACCUMULATE = {np.add: np.cumsum, np.multiply: np.cumprod}


# Every primitive call enters the engine through `Primitive.__call__`, which finds the
# innermost trace among the arguments, except in one case: where this box is the only
# traced argument, its trace is the innermost, and the call goes to `self._trace.process`.
# why: that saves ~0.4 us of ~5 us per traced operation (measured, CPU time, on a box of
# 10 float64s of a reverse trace: -box 4.9 us instead of 5.3, box * 2.0 5.6 instead of 6.1),
# and small functions are made of such operations.


class ArrayBox(Box):
    """A value being differentiated; behaves like the NumPy array (or scalar) it holds."""

    __slots__ = ()
    __array_priority__ = 100.0

    # --- NumPy protocols -------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            prim = UFUNCS.get(ufunc)
            if prim is not None:
                if len(inputs) == 1:   # why: the direct entry, ~0.4 us (see above ArrayBox)
                    return self._trace.process(prim, inputs, _NOKW)
                return prim(*inputs)
        if kwargs.get("out") is not None:
            return _ufunc_out(ufunc, method, inputs, kwargs)
        kwargs.pop("out", None)
        if method == "__call__":
            if kwargs:
                return _ufunc_with_keywords(ufunc, inputs, kwargs)
            return _uf(ufunc)(*inputs)
        if method == "reduce" and ufunc in _REDUCE:
            return _fn(_REDUCE[ufunc])(*inputs, **kwargs)
        if method == "accumulate" and ufunc in _ACCUMULATE:
            return _fn(_ACCUMULATE[ufunc])(*inputs, **kwargs)
        if method in UFUNC_METHODS and ufunc.nin == 2:
            _uf(ufunc)          # why: the ufunc's own rule must exist (else: its error)
            return UFUNC_METHODS[method](ufunc, *inputs, **kwargs)
        raise UnsupportedOperation(
            f"dfdx has no derivative rule for {callable_name(ufunc)}.{method}. "
            f"Call the plain function instead (e.g. np.sum for np.add.reduce), or register a "
            "rule with dfdx.primitive.")

    def __array_function__(self, func, types, args, kwargs):
        impl = FUNCTIONS.get(func)
        if impl is None:
            raise no_rule_error(func)
        if func in LIKE:
            # why: NEP 35 hands np.zeros(n, like=x) to x without x among the arguments
            kwargs = dict(kwargs, like=self)
        return impl(*args, **kwargs)

    def __array__(self, dtype=None, copy=None):
        if _finished(self) or (dtype is not None and np.dtype(dtype).kind in "biu"):
            # why: a cast to integers or booleans is a step function (derivative 0).
            return np.asarray(getval(self), dtype=dtype)
        if _storing(sys._getframe(1)):
            raise _plain_write_error()
        raise _conversion_error("np.asarray() (or np.array)")

    # --- conversions that would lose the derivative ----------------------
    def __float__(self):
        if _finished(self):
            return float(getval(self))
        if _storing(sys._getframe(1)):
            raise _plain_write_error()
        raise _conversion_error("float() (or math.* on a number)")

    def __int__(self):
        # why: int() truncates: a step function, derivative 0, so the plain int is exact.
        return int(_scalar(self, "int()"))

    def __complex__(self):
        if _storing(sys._getframe(1)):
            raise _plain_write_error()
        raise _conversion_error("complex()")

    def __index__(self):
        raise _conversion_error("an integer conversion (__index__)")

    def item(self, *args):
        raise _conversion_error(".item()")

    def tolist(self):
        raise _conversion_error(".tolist()")

    def __bool__(self):
        # why: tracing is eager on concrete values, so Python control flow works.
        return bool(getval(self._value))

    def __len__(self):
        return len(self._value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __reversed__(self):
        # why: reversed() asks for C's sequence protocol, which _not_a_sequence clears
        return (self[i] for i in range(len(self) - 1, -1, -1))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        if _finished(self):     # a value returned from a closed tape: show the number
            v = getval(self)
            return repr(v.item() if np.ndim(v) == 0 and hasattr(v, "item") else v)
        return f"Traced({self._value!r})"

    def __format__(self, spec):
        if _finished(self):
            return format(getval(self), spec)
        if not spec:
            return repr(self)
        raise _conversion_error(f"format(..., {spec!r})")

    def __setitem__(self, key, value):
        write(self, key, value)

    # --- attributes ------------------------------------------------------
    @property
    def shape(self):
        return np.shape(getval(self._value))

    @property
    def ndim(self):
        return np.ndim(getval(self._value))

    @property
    def size(self):
        return np.size(getval(self._value))

    @property
    def dtype(self):
        return np.result_type(getval(self._value))

    @property
    def T(self):
        return _fn(np.transpose)(self)

    @property
    def mT(self):
        return _fn(np.swapaxes)(self, -1, -2)

    @property
    def real(self):
        return _fn(np.real)(self)

    @property
    def imag(self):
        if np.iscomplexobj(getval(self)):
            return np.imag(self)
        return np.zeros_like(getval(self))   # why: a real value's imaginary part is constant

    @property
    def flat(self):
        return _fn(np.ravel)(self)   # indexing and iteration as on x.flat; never written

    @property
    def device(self):
        return "cpu"

    def to_device(self, device, /, *, stream=None):
        if device != "cpu":
            raise ValueError(f"unsupported device {device!r}")
        return self

    @property
    def itemsize(self):
        return np.asarray(getval(self)).itemsize

    @property
    def nbytes(self):
        return np.asarray(getval(self)).nbytes

    # --- arithmetic (see _binary below) ---------------------------------
    # why (__neg__, __abs__, x**2): the direct entry, ~0.4 us a call (see above ArrayBox)
    def __neg__(self): return self._trace.process(_uf(np.negative), (self,), _NOKW)
    def __pos__(self): return self
    def __abs__(self): return self._trace.process(_uf(np.absolute), (self,), _NOKW)

    def __pow__(self, other):
        if type(other) is int and other == 2:
            # why: x**2 is everywhere; np.square's rule is cheaper than np.power's.
            return self._trace.process(_uf(np.square), (self,), _NOKW)
        return _uf(np.power)(self, other)

    def __rpow__(self, other):
        return _uf(np.power)(other, self)

    def __eq__(self, other): return getval(self) == getval(other)
    def __ne__(self, other): return getval(self) != getval(other)
    def __lt__(self, other): return getval(self) < getval(other)
    def __le__(self, other): return getval(self) <= getval(other)
    def __gt__(self, other): return getval(self) > getval(other)
    def __ge__(self, other): return getval(self) >= getval(other)

    def __getitem__(self, key):
        return _fn(_getitem)(self, key)

    # --- methods ---------------------------------------------------------
    # Each takes NumPy's own keywords and hands them to the function of the same name,
    # whose rule honours them or refuses them by name.
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, initial=_NO, where=_NO):
        return _fn(np.sum)(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                           initial=initial, where=where)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, *, where=_NO):
        return _fn(np.mean)(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                            where=where)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, initial=_NO, where=_NO):
        return _fn(np.prod)(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                            initial=initial, where=where)

    def max(self, axis=None, out=None, keepdims=False, initial=_NO, where=_NO):
        return _fn(np.max)(self, axis=axis, out=out, keepdims=keepdims, initial=initial,
                           where=where)

    def min(self, axis=None, out=None, keepdims=False, initial=_NO, where=_NO):
        return _fn(np.min)(self, axis=axis, out=out, keepdims=keepdims, initial=initial,
                           where=where)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO,
            mean=_NO, correction=_NO):
        return _fn(np.var)(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                           where=where, mean=mean, correction=correction)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO,
            mean=_NO, correction=_NO):
        return _fn(np.std)(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                           where=where, mean=mean, correction=correction)

    def cumsum(self, axis=None, dtype=None, out=None):
        return _fn(np.cumsum)(self, axis=axis, dtype=dtype, out=out)

    def cumprod(self, axis=None, dtype=None, out=None):
        return _fn(np.cumprod)(self, axis=axis, dtype=dtype, out=out)

    def reshape(self, *shape, order="C", copy=None):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _fn(np.reshape)(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _fn(np.transpose)(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return _fn(np.swapaxes)(self, axis1, axis2)

    def ravel(self, order="C"):
        return _fn(np.ravel)(self, order=order)

    def flatten(self, order="C"):
        return _fn(np.ravel)(self, order=order)

    def squeeze(self, axis=None):
        return _fn(np.squeeze)(self, axis=axis)

    def dot(self, b, out=None):
        if out is not None:
            raise _no_out("x.dot")
        return _fn(np.dot)(self, b)

    def clip(self, min=None, max=None, out=None, **kwargs):
        return _fn(np.clip)(self, min, max, out=out, **kwargs)

    def round(self, decimals=0, out=None):
        return _fn(np.round)(self, decimals=decimals, out=out)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        return _fn(np.trace)(self, offset, axis1, axis2, dtype=dtype, out=out)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _fn(np.diagonal)(self, offset, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return _fn(np.repeat)(self, repeats, axis)

    def take(self, indices, axis=None, out=None, mode="raise"):
        return _fn(np.take)(self, indices, axis=axis, out=out, mode=mode)

    def compress(self, condition, axis=None, out=None):
        if out is not None:
            raise _no_out("x.compress")
        cond = np.asarray(getval(condition), dtype=bool).ravel()
        n = self.size if axis is None else self.shape[axis]
        if cond.size > n:
            raise IndexError(f"index {cond.size - 1} is out of bounds for axis "
                             f"{0 if axis is None else axis} with size {n}")
        return _fn(np.take)(self, np.flatnonzero(cond), axis=axis)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        v = getval(self)
        np.empty(0, v.dtype if hasattr(v, "dtype") else np.result_type(v)).astype(
            dtype, casting=casting)   # NumPy's casting check, on no data
        if np.dtype(dtype).kind not in "fc":
            # why: a cast to integers or booleans is a step function: derivative 0, so
            # the result is a plain array.
            return np.asarray(v).astype(dtype)[()] if np.ndim(v) == 0 else v.astype(dtype)
        return _fn(_astype)(self, dtype)

    def copy(self, order="K"):
        v = self._value
        while isinstance(v, Box):
            v = v._value
        if getattr(v, "base", None) is not None:
            return _fn(_copy)(self)   # why: a copy of a view owns its data (it may be written)
        # why: the same value and node: a write rebinds the copy alone (see `write`)
        return type(self)(self._value, self._trace, self._aux)

    def conj(self):
        if np.iscomplexobj(getval(self)):
            return np.conjugate(self)
        return self

    conjugate = conj

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return np.argmax(getval(self), axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return np.argmin(getval(self), axis=axis, keepdims=keepdims)

    def argsort(self, axis=-1, kind=None, order=None, *, stable=None):
        return np.argsort(getval(self), axis=axis, kind=kind, order=order, stable=stable)

    def argpartition(self, kth, axis=-1, kind="introselect", order=None):
        return np.argpartition(getval(self), kth, axis=axis, kind=kind, order=order)

    def searchsorted(self, v, side="left", sorter=None):
        return np.searchsorted(getval(self), getval(v), side=side, sorter=sorter)

    def nonzero(self):
        return np.nonzero(getval(self))

    def all(self, axis=None, out=None, keepdims=False, *, where=True):
        return np.all(getval(self), axis=axis, keepdims=keepdims, where=getval(where))

    def any(self, axis=None, out=None, keepdims=False, *, where=True):
        return np.any(getval(self), axis=axis, keepdims=keepdims, where=getval(where))

    # In-place methods: recorded as writes (see `write`), or refused with the functional
    # form to write instead.
    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        if order is not None:
            raise _in_place("x.sort(order=...)", "x = np.sort(x)")
        kw = {} if stable is None else {"stable": stable}
        assign(self, np.sort(self, axis=axis, kind=kind, **kw))

    def fill(self, value):
        write(self, Ellipsis, value)

    def partition(self, kth, axis=-1, kind="introselect", order=None):
        if order is not None:
            raise _in_place("x.partition(k, order=...)", "x = np.partition(x, k)")
        assign(self, np.partition(self, kth, axis=axis, kind=kind))

    def put(self, indices, values, mode="raise"):
        np.put(self, indices, values, mode=mode)

    def resize(self, *new_shape, refcheck=True):
        raise _in_place("x.resize(shape)", "x = x.reshape(shape), or np.pad / np.tile")

    def itemset(self, *args):
        raise _in_place("x.itemset(i, v)", "np.where(mask, v, x)")

    def setfield(self, val, dtype, offset=0):
        raise _in_place("x.setfield(...)", "build a new array")

    def setflags(self, write=None, align=None, uic=None):
        raise _in_place("x.setflags(...)", "leave the flags alone: traced values are "
                        "read-only already")

    def __round__(self, ndigits=None):
        # why: rounding is a step function (derivative 0): the result is plain, with the
        # semantics NumPy gives round() on its scalars.
        v = getval(self)
        if np.ndim(v):
            raise UnsupportedOperation(
                f"round() of a traced array of shape {np.shape(v)}: Python's round applies "
                "to scalars only (NumPy arrays refuse it too). Use np.round(x, decimals).")
        v = np.asarray(v)[()]
        return round(v) if ndigits is None else round(v, ndigits)

    def __floor__(self):
        import math
        return math.floor(_scalar(self, "math.floor"))

    def __ceil__(self):
        import math
        return math.ceil(_scalar(self, "math.ceil"))

    def __trunc__(self):
        import math
        return math.trunc(_scalar(self, "math.trunc"))

    def __getattr__(self, name):
        # why: a NumPy array method or attribute dfdx does not mirror would otherwise
        # surface as a bare AttributeError about "ArrayBox".
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise _UnsupportedAttribute(
                f"x.{name} is not supported on a traced value: dfdx cannot differentiate "
                f"through it. Compute with NumPy functions that have rules instead, or use "
                f"dfdx.stop_gradient(x).{name} where a constant is what you want.")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _not_a_sequence(cls):
    """Clear the C-level sequence-item slot of `cls`; indexing keeps its mapping slot.

    why: for ``y[0] = box`` with a plain float array y, NumPy calls ``float(box)`` and, when
    that raises and the value is a sequence in C's sense (``PySequence_Check``: a type with
    ``sq_item``, which every class defining ``__getitem__`` has), replaces our
    TracerConversionError (which names the fix) with "setting an array element with a
    sequence". Python code indexes through ``mp_subscript``, which stays. The slot is found
    and checked through CPython's own ``PySequence_Check`` before and after; on any doubt
    nothing is changed (and NumPy's message stays, with ours as its cause).
    """
    import ctypes
    try:
        if sys.implementation.name != "cpython":
            return False
        check = ctypes.pythonapi.PySequence_Check
        check.argtypes, check.restype = [ctypes.py_object], ctypes.c_int
        probe = object.__new__(cls)
        if check(probe) != 1:
            return False
        ptr = ctypes.sizeof(ctypes.c_void_p)
        start, size = id(cls), type.__sizeof__(cls)
        # PyTypeObject: ob_refcnt, ob_type, ob_size, tp_name, tp_basicsize, tp_itemsize,
        # tp_dealloc, tp_vectorcall_offset, tp_getattr, tp_setattr, tp_as_async, tp_repr,
        # tp_as_number, tp_as_sequence; PySequenceMethods: sq_length, sq_concat, sq_repeat,
        # sq_item
        seq = ctypes.c_void_p.from_address(start + 13 * ptr).value
        if not seq or not start < seq < start + size:
            return False
        item = ctypes.c_void_p.from_address(seq + 3 * ptr)
        old = item.value
        if not old:
            return False
        item.value = None
        if check(probe) != 0:
            item.value = old
            return False
        return True
    except Exception:   # noqa: BLE001  (an interpreter this does not know: leave it be)
        return False


class _UnsupportedAttribute(UnsupportedOperation, AttributeError):
    """An ndarray attribute a traced value does not offer (an AttributeError too, so that
    hasattr() keeps answering False)."""


def _scalar(box, what):
    v = getval(box)
    if np.ndim(v):
        raise TypeError(f"{what} needs a scalar, but got a traced array of shape {np.shape(v)}.")
    return np.asarray(v)[()]


def _in_place(call, fix):
    return UnsupportedOperation(
        f"{call} changes the array in place, which dfdx cannot record on a traced value. "
        f"Write it functionally: {fix}.")


def _no_out(call):
    return UnsupportedOperation(f"{call}(..., out=...) is not supported on a traced value: "
                                "use the returned value instead of out=.")


_NOKW = {}

#: ufunc keywords that change only the memory layout or NumPy's checks, never the value
_LAYOUT_KW = ("order", "subok", "casting")


def _ufunc_with_keywords(ufunc, inputs, kwargs):
    """A ufunc call with NumPy keywords: honoured (dtype, casting, order, subok) or refused."""
    prim = _uf(ufunc)
    if kwargs.get("where", True) is not True:
        # why: without out=, NumPy leaves the unselected elements uninitialised.
        raise UnsupportedOperation(
            f"{callable_name(ufunc)}(..., where=mask) leaves the masked-out elements "
            "undefined. Write np.where(mask, f(x), fallback) instead.")
    want = ufunc(*(getval(x) for x in inputs), **kwargs)   # NumPy's own checks and dtype
    if prim.zero_derivative:
        return want
    kw = dict(kwargs)
    for k in _LAYOUT_KW:
        kw.pop(k, None)
    if kw.get("where", True) is True:
        kw.pop("where", None)
    if kw.get("signature") is None:
        kw.pop("signature", None)
    dtype = kw.pop("dtype", None)
    if kw:
        raise UnsupportedOperation(
            f"dfdx differentiates {callable_name(ufunc)} without the keyword arguments "
            f"{sorted(kw)}. Call it plainly (cast with .astype, select with np.where).")
    if dtype is not None:
        dt = np.dtype(dtype)
        if dt.kind not in "fc":
            return want   # computed in integers or booleans: a step function, derivative 0
        inputs = [x.astype(dt) if isinstance(x, Box) else np.asarray(x, dtype=dt)
                  for x in inputs]
    return prim(*inputs)


def _binary(ufunc):
    # why: with a constant on the other side, this box's trace is the innermost one: the
    # direct entry, ~0.5 us of ~6 us a call (see above ArrayBox).
    def op(self, other):
        if isinstance(other, Box):
            return _uf(ufunc)(self, other)
        return self._trace.process(_uf(ufunc), (self, other), _NOKW)

    def rop(self, other):
        if isinstance(other, Box):
            return _uf(ufunc)(other, self)
        return self._trace.process(_uf(ufunc), (other, self), _NOKW)
    return op, rop


for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                      "truediv": np.true_divide, "floordiv": np.floor_divide,
                      "mod": np.remainder, "matmul": np.matmul}.items():
    _op, _rop = _binary(_ufunc)
    setattr(ArrayBox, f"__{_name}__", _op)
    setattr(ArrayBox, f"__r{_name}__", _rop)


_not_a_sequence(ArrayBox)


def _inplace_op(ufunc):
    # why: NumPy's x += y changes x, and every name bound to x sees it
    def iop(self, other):
        new = _uf(ufunc)(self, other)
        if _stored_back(sys._getframe(1)):
            return new   # why: y[k] += v: Python writes the result into y itself next
        return assign(self, new, lenient=True)
    return iop


for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                      "truediv": np.true_divide, "floordiv": np.floor_divide,
                      "mod": np.remainder, "pow": np.power, "matmul": np.matmul}.items():
    setattr(ArrayBox, f"__i{_name}__", _inplace_op(_ufunc))


def _getitem(x, key):
    """x[key] (a named function so that indexing has a rule like everything else)."""
    return x[key]


# --- writes ------------------------------------------------------------------------

def _setitem(a, key, v, inplace=False):
    """`a` with ``a[key] = v``: a new array, or `a` itself where `inplace` (no one else holds it)."""
    if not inplace:
        a = np.array(a) if isinstance(a, (np.generic, int, float, complex)) else a.copy()
    a[key] = v
    return a


def _copy(a):
    """A copy of `a` that owns its data (the copy of a view)."""
    return a.copy() if hasattr(a, "copy") else np.array(a)


def _bottom(x):
    while isinstance(x, Box):
        x = x._value
    return x


def _exclusive(a):
    """Whether array `a` is held only by the caller's one reference (and may be written)."""
    # why: 3 = the caller's reference, this frame's argument and getrefcount's argument
    return (type(a) is np.ndarray and _refcount(a) <= 3 and a.flags.owndata
            and a.flags.writeable)


def _is_view(box):
    """Whether `box` holds a NumPy view of another traced array (x[1:], x.T, x.reshape)."""
    v = _bottom(box)
    if getattr(v, "base", None) is None or not isinstance(v, np.ndarray):
        return False
    t = box._trace
    if isinstance(t, ReverseTrace):
        return box._aux[1] is not None      # made by a primitive, not an input or constant
    if isinstance(t, ForwardTrace):
        return not any(b is box for b in t.inputs)
    return False


def _refuse_view(box, what):
    if _is_view(box):
        raise UnsupportedOperation(
            f"{what} writes into a traced array that is a view of another one (v = y[1:], "
            "y.T, y.reshape(...), ...). In NumPy the write would change y too; dfdx does not "
            "follow views. Write into y itself (y[1:][0] = a becomes y[1] = a), or write "
            "into a copy (v = y[1:].copy()) if y should not change.")


def _plain_key(key):
    key = tuple(getval(k) for k in key) if isinstance(key, tuple) else getval(key)
    if isinstance(key, Box) or isinstance(key, tuple) and any(isinstance(k, Box) for k in key):
        # why: getval stops at a value mapped by dfdx.vmap: each example has its own index
        # (vmap answers such a call one example at a time)
        raise TracerConversionError(
            "y[index] = v with an index mapped by dfdx.vmap (one per example) is not batched: "
            "write it with np.where(mask, v, y), or call the function outside vmap.")
    return key


def _holds_box(seq):
    return any(isinstance(v, Box) or isinstance(v, (list, tuple)) and _holds_box(v) for v in seq)


def _stacked(seq):
    return np.stack([_stacked(v) if isinstance(v, (list, tuple)) else v for v in seq])


def write(box, key, value):
    """``box[key] = value`` on a traced array: the functional update `_setitem`, after which
    `box` stands for its result (in place where no one else holds the old array)."""
    key = _plain_key(key)
    if isinstance(value, (list, tuple)) and _holds_box(value):
        value = _stacked(value)     # y[:2] = [a, b]: NumPy would convert the list itself
    if _finished(box):
        rebind(box, type(box)(_setitem(getval(box), key, getval(value)), box._trace, None))
        return
    _refuse_view(box, "y[...] = v")
    inplace = _exclusive(box._value) and (
        not isinstance(box._trace, ForwardTrace) or box._aux is None or _exclusive(box._aux))
    new = _fn(_setitem)(box, key, value, inplace=inplace)
    if not isinstance(new, Box):    # why: nothing traced reached it (a constant box)
        new = _constant(box._trace, new)
        if not isinstance(new, Box):
            raise UnsupportedOperation(f"dfdx cannot write into a traced array of "
                                       f"{box._trace!r}.")
    rebind(box, new)


def assign(box, new, lenient=False):
    """Make traced array `box` hold `new` (x.sort(), x += y): NumPy's in-place operations.

    With `lenient`, a `new` of another shape or of a dtype x cannot hold is returned
    instead (Python then binds the name to it, as dfdx did before writes).
    """
    old_shape, old_dtype = box.shape, box.dtype
    new_shape = np.shape(new) if not isinstance(new, Box) else new.shape
    new_dtype = np.result_type(new) if not isinstance(new, Box) else new.dtype
    if new_shape != old_shape or not np.can_cast(new_dtype, old_dtype, "same_kind"):
        if lenient:
            return new
        raise ValueError(f"cannot write a value of shape {new_shape} and dtype {new_dtype} "
                         f"into an array of shape {old_shape} and dtype {old_dtype}")
    if isinstance(new, Box) and new_dtype == old_dtype and not _finished(box):
        _refuse_view(box, "an in-place operation (x += y, x.sort())")
        rebind(box, new)
    else:
        write(box, Ellipsis, new)
    return box


def _constant(trace, value):
    """A box of `trace` holding the constant `value` (at that trace's level)."""
    if isinstance(trace, ReverseTrace):
        return trace.constant(value)
    if isinstance(trace, ForwardTrace):
        plain = _bottom(value)
        shape = np.shape(plain) if trace.batch is None else (trace.batch,) + np.shape(plain)
        return trace.constant(value, np.zeros(shape, np.result_type(plain)))
    if isinstance(trace, BatchTrace):
        shape = (trace.size,) + np.shape(value)
        return trace.batched(np.ascontiguousarray(np.broadcast_to(value, shape)))
    return value    # why: a trace of another kind: the plain array (what dfdx made before writes)


def constant_like(x, make):
    """A traced constant on the innermost trace of `x`, to write into: ``make(proto)``
    builds the plain array from `proto`, the untraced value inside `x` (a dfdx.jit
    recording's, say); a plain `x` gives the plain array.

    why: a box of the innermost trace alone is enough: a write of a value of any trace
    into it is recorded at every level the value has (the engine nests the calls).
    """
    if not isinstance(x, Box):
        return make(x)
    value = make(_bottom(x))
    return _constant(x._trace, value)


def _ufunc_out(ufunc, method, inputs, kwargs):
    """``ufunc(..., out=y)`` with traced arrays: computed, then written into `y` (a write)."""
    kw = dict(kwargs)
    outs = kw.pop("out")
    outs = outs if isinstance(outs, tuple) else (outs,)
    where = kw.pop("where", True)
    name = callable_name(ufunc)
    if not all(o is None or isinstance(o, Box) for o in outs):
        raise TracerConversionError(
            f"{name}(..., out=y) would write a traced value into the plain array y and drop "
            f"its derivative. {WRITE_FIX}, or use the returned value instead of out=.")
    r = ufunc(*inputs, **kw) if method == "__call__" else getattr(ufunc, method)(*inputs, **kw)
    rs = r if isinstance(r, tuple) else (r,)
    for o, x in zip(outs, rs):
        if o is None:
            continue
        if where is not True:
            x = np.where(where, x, o)
        write(o, Ellipsis, x)
    return outs[0] if len(outs) == 1 else outs


def _astype(x, dtype):
    """x.astype(dtype); a Python number (np.real of a Python complex is one) too."""
    try:
        return x.astype(dtype)
    except AttributeError:
        return np.asarray(x).astype(dtype)[()]

