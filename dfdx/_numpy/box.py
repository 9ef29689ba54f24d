"""The array box: a traced value that plain NumPy code can compute with.

It implements NumPy's dispatch protocols (``__array_ufunc__``, NEP 13;
``__array_function__``, NEP 18), Python's arithmetic dunders, indexing and
the array attributes and methods people call. Everything that would silently
drop the derivative (``np.asarray``, ``float``, ``math.exp``, in-place
writes) raises a `TracerConversionError` that says what to write instead.
"""

from __future__ import annotations

import numpy as np

from dfdx._core import Box, register_box_class
from dfdx._errors import TracerConversionError, UnsupportedOperation
from dfdx._numpy.registry import FUNCTIONS, UFUNCS, callable_name, no_rule_error

__all__ = ["ArrayBox", "getval"]


def getval(x):
    """Strip every level of boxing from `x` (a value, never traced further)."""
    while isinstance(x, Box):
        x = x._value
    return x


def _finished(x):
    """Whether every trace `x` belongs to is finished (a value kept after a tape closed)."""
    while isinstance(x, Box):
        if not x._trace.done:
            return False
        x = x._value
    return True


def _fn(func):
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise no_rule_error(func)
    return impl


def _uf(ufunc):
    prim = UFUNCS.get(ufunc)
    if prim is None:
        raise no_rule_error(ufunc)
    return prim


def _conversion_error(what):
    return TracerConversionError(
        f"{what} was called on a traced value, which would drop its derivative. "
        "Keep computing with NumPy on the value itself: use np.exp/np.sin instead of "
        "math.exp/math.sin, and build arrays with np.stack([...]) instead of np.array([...]). "
        "If you do want a constant, use dfdx.stop_gradient(x).")


_REDUCE = {np.add: np.sum, np.multiply: np.prod, np.maximum: np.max, np.minimum: np.min,
           np.fmax: np.max, np.fmin: np.min}
_ACCUMULATE = {np.add: np.cumsum, np.multiply: np.cumprod}


class ArrayBox(Box):
    """A value being differentiated; behaves like the NumPy array (or scalar) it holds."""

    __slots__ = ()
    __array_priority__ = 100.0

    # --- NumPy protocols -------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            prim = UFUNCS.get(ufunc)
            if prim is not None:
                if len(inputs) == 1:   # the only input is this box: its trace is the top
                    return self._trace.process(prim, inputs, _NOKW)
                return prim(*inputs)
        if kwargs.get("out") is not None:
            raise TracerConversionError(
                f"numpy.{ufunc.__name__}(..., out=...) would write a traced value into a plain "
                "array and drop its derivative. Use the returned value instead of out=.")
        kwargs.pop("out", None)
        if method == "__call__":
            if len(inputs) == 1 and not kwargs:
                return self._trace.process(_uf(ufunc), inputs, _NOKW)
            if kwargs:
                raise UnsupportedOperation(
                    f"dfdx differentiates {callable_name(ufunc)} without keyword arguments, but "
                    f"got {sorted(kwargs)}. Call it plainly (cast with .astype, select with "
                    "np.where).")
            return _uf(ufunc)(*inputs)
        if method == "reduce" and ufunc in _REDUCE:
            return _fn(_REDUCE[ufunc])(*inputs, **kwargs)
        if method == "accumulate" and ufunc in _ACCUMULATE:
            return _fn(_ACCUMULATE[ufunc])(*inputs, **kwargs)
        raise UnsupportedOperation(
            f"dfdx has no derivative rule for {callable_name(ufunc)}.{method}. "
            f"Call the plain function instead (e.g. np.sum for np.add.reduce), or register a "
            "rule with dfdx.primitive.")

    def __array_function__(self, func, types, args, kwargs):
        impl = FUNCTIONS.get(func)
        if impl is None:
            raise no_rule_error(func)
        return impl(*args, **kwargs)

    def __array__(self, dtype=None, copy=None):
        if _finished(self):
            return np.asarray(getval(self), dtype=dtype)
        raise _conversion_error("np.asarray() (or np.array)")

    # --- conversions that would lose the derivative ----------------------
    def __float__(self):
        if _finished(self):
            return float(getval(self))
        raise _conversion_error("float() (or math.* on a number)")

    def __int__(self):
        if _finished(self):
            return int(getval(self))
        raise _conversion_error("int()")

    def __complex__(self):
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
        raise TracerConversionError(
            "In-place assignment x[...] = v on a traced value would lose the derivative. "
            "Build a new array instead: np.where(mask, v, x), np.concatenate or np.stack.")

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
        return _fn(np.imag)(self)

    # --- arithmetic (see _binary below) ---------------------------------
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
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return _fn(np.sum)(self, axis=axis, keepdims=keepdims, **kw)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return _fn(np.mean)(self, axis=axis, keepdims=keepdims, **kw)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return _fn(np.prod)(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        return _fn(np.max)(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        return _fn(np.min)(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return _fn(np.var)(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return _fn(np.std)(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None):
        return _fn(np.cumsum)(self, axis=axis)

    def cumprod(self, axis=None):
        return _fn(np.cumprod)(self, axis=axis)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _fn(np.reshape)(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _fn(np.transpose)(self, axes or None)

    def swapaxes(self, a, b):
        return _fn(np.swapaxes)(self, a, b)

    def ravel(self, order="C"):
        return _fn(np.ravel)(self, order=order)

    def flatten(self, order="C"):
        return _fn(np.ravel)(self, order=order)

    def squeeze(self, axis=None):
        return _fn(np.squeeze)(self, axis=axis)

    def dot(self, other):
        return _fn(np.dot)(self, other)

    def clip(self, min=None, max=None):
        return _fn(np.clip)(self, min, max)

    def trace(self, offset=0, axis1=0, axis2=1):
        return _fn(np.trace)(self, offset, axis1, axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _fn(np.diagonal)(self, offset, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return _fn(np.repeat)(self, repeats, axis)

    def astype(self, dtype, copy=True):
        return _fn(_astype)(self, dtype)

    def copy(self):
        return self

    def conj(self):
        return _uf(np.conjugate)(self)

    conjugate = conj

    def argmax(self, axis=None, **kw):
        return np.argmax(getval(self), axis=axis, **kw)

    def argmin(self, axis=None, **kw):
        return np.argmin(getval(self), axis=axis, **kw)

    def argsort(self, axis=-1, **kw):
        return np.argsort(getval(self), axis=axis, **kw)

    def nonzero(self):
        return np.nonzero(getval(self))

    def all(self, axis=None, **kw):
        return np.all(getval(self), axis=axis, **kw)

    def any(self, axis=None, **kw):
        return np.any(getval(self), axis=axis, **kw)


_NOKW = {}


def _binary(ufunc):
    # why: with a constant on the other side, this box's trace is the innermost one, so
    # the dunder can go straight to it and skip the generic scan for the top trace.
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


def _getitem(x, key):
    """x[key] (a named function so that indexing has a rule like everything else)."""
    return x[key]


def _astype(x, dtype):
    """x.astype(dtype)."""
    return x.astype(dtype)


register_box_class(ArrayBox)
