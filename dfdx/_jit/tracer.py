"""Recording a function for `dfdx.jit`: a traced array that writes down every NumPy call made on it.

A `Traced` value holds the concrete array it stands for (so shapes, dtypes and
every intermediate are known while recording) and its place in the `Graph`.
It is a duck array, not an ndarray: NumPy hands every ufunc and every array
function applied to it to `__array_ufunc__` / `__array_function__` (NEP 13/18),
which compute the concrete answer and record the call. Methods and operators
map to those same functions, from one table. Everything that would turn a
traced value into a plain Python or NumPy value -- ``bool``, ``float``,
``int``, ``np.asarray``, ``.item()`` -- raises `TracerConversionError`
naming the line of user code, because the compiled function would otherwise
keep the value seen while recording. When dfdx's own code asks (a derivative
rule that takes a faster path when there are no ties), the value is given and
a guard is recorded: the compiled code checks it on every call and, when it
differs, the function is recorded again for the new case. The AD engine stores Traced values in
its boxes like any array, so the derivative sweeps of a transform are
recorded too.
"""

from __future__ import annotations

import operator
import os
import sys

import numpy as np

from dfdx._errors import TracerConversionError, UnsupportedOperation
from dfdx._jit.graph import OWNED, Graph, Ref, refs as _refs, setitem as _setitem, \
    ufunc_at as _ufunc_at

__all__ = ["Traced", "Recording", "Refusal", "RefusedConversion", "RefusedOperation"]


class Refusal(Exception):
    """Raised by jit itself, not by the function it records: what its fallbacks catch."""


class RefusedConversion(Refusal, TracerConversionError):
    """A traced value converted to a Python value while jit recorded (``if x > 0``)."""


class RefusedOperation(Refusal, UnsupportedOperation):
    """Something a compiled function cannot do (``x[mask]``, a write jit does not record)."""

#: Functions whose result depends on values only through its shape (static while recording).
_STATIC = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
           np.min_scalar_type, np.can_cast}
#: Functions whose result's shape depends on the values: they cannot be compiled.
_VALUE_SHAPED = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract, np.compress,
                 np.trim_zeros, np.unique_values, np.unique_counts, np.unique_inverse,
                 np.unique_all}


class Recording:
    """One recording in progress: the graph, and the constants already added to it."""

    def __init__(self):
        self.graph = Graph()
        self._consts = {}           # id(array) -> (Ref, array): one constant per array
        self.closed = False

    def input(self, value):
        return Traced(value, self.graph.input(value), self)

    def guard(self, ref, kind, expected):
        """Note that dfdx's own code read the value of `ref` (see `Graph.guards`)."""
        self.graph.guards.append((ref, kind, expected))

    def const(self, value):
        hit = self._consts.get(id(value))
        if hit is None:
            hit = self._consts[id(value)] = (self.graph.const(value), value)
        return hit[0]


def _user_line():
    """``file:line`` of the innermost frame outside dfdx and NumPy (for messages)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    skip = (here, os.path.dirname(np.__file__))
    frame = sys._getframe(1)
    while frame is not None:
        name = os.path.abspath(frame.f_code.co_filename)
        if not name.startswith(skip):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "an unknown line"


_DFDX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_JIT_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple(os.path.dirname(os.path.dirname(m.__file__)) + os.sep + m.__name__
                      for m in (np,))


def _asked_by_dfdx():
    """Whether the innermost caller outside this package and NumPy/SciPy is dfdx's own code.

    A derivative rule or a transform of dfdx that looks at a value (``if np.all(count == 1)``
    in the rule of np.max) is not the user's control flow: it gets a guard (the graph checks,
    on every call, that the value is what it was while recording) instead of an error.
    """
    frame = sys._getframe(2)
    while frame is not None:
        name = os.path.abspath(frame.f_code.co_filename)
        if name.startswith(_JIT_DIR) or name.startswith(_LIBRARY_DIRS) or \
                f"{os.sep}scipy{os.sep}" in name:
            frame = frame.f_back
            continue
        return name.startswith(_DFDX_DIR + os.sep)
    return False


def _concrete(what):
    return RefusedConversion(
        f"dfdx.jit: {what} at {_user_line()} needs the value of a traced array, which is not "
        "known when the function is compiled: the compiled code would keep the value seen "
        "while recording. Compute with np.where(cond, a, b) instead of if/else on values; "
        "mark an argument that decides control flow with static_argnums; or use "
        "dfdx.jit(f, fallback='eager') to run such a function uncompiled.")


def _find(obj, out):
    """The recording of the first Traced inside `obj` (nested lists and tuples searched)."""
    if isinstance(obj, Traced):
        out.append(obj._rec)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _find(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _find(o, out)


def _lower(obj, rec):
    """(argument for the graph, concrete argument) of one argument of a call."""
    if isinstance(obj, Traced):
        if obj._rec is not rec:
            raise RefusedConversion(
                "dfdx.jit: a traced array from another compilation was used (it escaped its "
                "function, e.g. stored in a global or a closure); return it instead")
        return obj._ref, obj._value
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        pairs = [_lower(o, rec) for o in obj]
        return type(obj)(p[0] for p in pairs), type(obj)(p[1] for p in pairs)
    if isinstance(obj, dict):
        pairs = {k: _lower(v, rec) for k, v in obj.items()}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    if isinstance(obj, (np.ndarray, np.generic)) or not _plain(obj):
        return rec.const(obj), obj
    return obj, obj


def _plain(obj):
    """Whether `obj` is written into the source as it is (small Python values)."""
    if obj is None or obj is Ellipsis or isinstance(obj, (bool, int, float, str, slice,
                                                          np.dtype, type)):
        return True
    return isinstance(obj, tuple) and all(_plain(o) for o in obj)


def record(fn, args, kwargs):
    """Call ``fn(*args, **kwargs)`` on the concrete values and record it; return Traced results."""
    found = []
    _find((args, kwargs), found)
    rec = found[0]
    if rec.closed:
        raise RefusedConversion(
            "dfdx.jit: a traced array was used after its function returned (it escaped, e.g. "
            "into a global or a closure); return it from the function instead")
    if fn in _STATIC:
        return fn(*_lower(args, rec)[1], **_lower(kwargs, rec)[1])
    if fn in _VALUE_SHAPED:
        raise RefusedOperation(
            f"dfdx.jit: {getattr(fn, '__name__', fn)} at {_user_line()} returns an array "
            "whose shape depends on the values, which a compiled function cannot have. Use a "
            "fixed-shape form: np.where(mask, x, 0) and sums instead of x[mask] / np.nonzero.")
    if kwargs.get("out") is not None:
        raise RefusedOperation(
            f"dfdx.jit: out= at {_user_line()} writes into an array; write "
            "y = np.add(a, b) instead of np.add(a, b, out=y)")
    gargs, vargs = _lower(args, rec)
    gkw, vkw = _lower(kwargs, rec)
    if fn is operator.getitem and getattr(np.asarray(vargs[1]) if not isinstance(
            vargs[1], tuple) else None, "dtype", None) == np.bool_:
        raise RefusedOperation(
            f"dfdx.jit: x[mask] at {_user_line()} has a shape that depends on the mask's "
            "values, which a compiled function cannot have; use np.where(mask, x, 0)")
    ans = fn(*vargs, **vkw)
    if ans is None:
        raise RefusedOperation(
            f"dfdx.jit: {getattr(fn, '__name__', fn)} at {_user_line()} writes into its "
            "argument; compute a new array instead")
    if isinstance(ans, (bool, int, float, complex)) and not isinstance(ans, np.generic):
        raise _concrete(f"{getattr(fn, '__name__', fn)} returned a Python value")
    refs = rec.graph.call(fn, gargs, gkw, ans)
    if isinstance(refs, tuple):
        out = [Traced(a, r, rec) for a, r in zip(ans, refs)]
        return type(ans)(*out) if hasattr(ans, "_fields") else type(ans)(out)
    return Traced(ans, refs, rec)


def _foreign(t):
    """Whether type `t` overrides NumPy's protocols itself (a transform's box, a Dask array)."""
    return t is not Traced and not issubclass(t, np.ndarray) and \
        getattr(t, "__array_ufunc__", None) is not None


def _ufunc_method(name):
    uf = getattr(np, name)
    return lambda self, *a: uf(self, *a)


def _reflected(name):
    uf = getattr(np, name)
    return lambda self, other: uf(other, self)


def _method(fn):
    return lambda self, *a, **k: fn(self, *a, **k)


class Traced:
    """A traced array of a `dfdx.jit` recording: its concrete value and its place in the graph."""

    __slots__ = ("_value", "_ref", "_rec")
    __array_priority__ = 100.0
    _dfdx_jit_traced = True         # dfdx.api keeps such a value traced (no np.asarray)
    __hash__ = None

    def __init__(self, value, ref, rec):
        self._value, self._ref, self._rec = value, ref, rec

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        for x in inputs + tuple(kwargs.get("out", ())):
            if _foreign(type(x)):
                return NotImplemented       # a box of a transform: it goes first (NEP 13)
        if method == "at":
            target = inputs[0]
            if not isinstance(target, Traced):
                raise RefusedOperation(
                    f"dfdx.jit: np.{ufunc.__name__}.at at {_user_line()} writes a traced value "
                    "into a NumPy array; make the array inside the function "
                    "(np.zeros_like(x)) so that the write is recorded")
            target._write(_ufunc_at, inputs[1:], f"np.{ufunc.__name__}.at", ufunc=ufunc)
            return None
        return record(ufunc if method == "__call__" else getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if any(_foreign(t) for t in types):
            return NotImplemented
        return record(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        if not _asked_by_dfdx():
            raise _concrete("converting a traced array to a NumPy array (np.asarray, or "
                            "np.array([...]) of traced values: use np.stack / np.concatenate)")
        value = np.asarray(self._value)
        self._rec.guard(self._ref, "array", value.copy())
        return value if dtype is None else value.astype(dtype, copy=False)

    def _guarded(self, kind, convert, what):
        if not _asked_by_dfdx():
            raise _concrete(what)
        value = convert(self._value)
        self._rec.guard(self._ref, kind, value)
        return value

    def __bool__(self):
        return self._guarded("bool", bool, "Python control flow on a traced value (bool)")

    def __float__(self):
        return self._guarded("value", float, "float() of a traced value")

    def __int__(self):
        return self._guarded("value", int, "int() of a traced value")

    def __index__(self):
        return self._guarded("value", operator.index, "using a traced value as a Python index")

    def __complex__(self):
        return self._guarded("value", complex, "complex() of a traced value")

    def item(self, *args):
        return self._guarded("value", lambda v: np.asarray(v).item(*args),
                             ".item() of a traced value")

    def tolist(self):
        return np.asarray(self).tolist() if _asked_by_dfdx() else \
            self._guarded("", None, ".tolist() of a traced value")

    def __setitem__(self, key, value):
        self._write(_setitem, (key, value), "x[...] = v")

    def _write(self, fn, args, what, **kwargs):
        """Record a write into this array as a call giving the new array, then stand for it.

        Only an array the function made itself (zeros_like, a ufunc's result, ...) that no
        recorded call may hold a view of can be written: the compiled code gives the same
        values as the write would in place.
        """
        why = _unwritable(self)
        if why:
            raise RefusedOperation(
                f"dfdx.jit: writing into an array ({what}) at {_user_line()} is not compiled: "
                f"the array is {why}. Write into a copy made in the function (y = np.copy(x)) "
                "or build the array functionally (np.where, np.concatenate, np.stack)")
        new = record(fn, (self, *args), kwargs)
        self._value, self._ref = new._value, new._ref

    def __repr__(self):
        return f"Traced(shape={self.shape}, dtype={self.dtype})"

    def __len__(self):
        return len(self._value)

    def __iter__(self):
        return (self[i] for i in range(len(self._value)))

    def __getitem__(self, key):
        return record(operator.getitem, (self, key), {})

    shape = property(lambda self: np.shape(self._value))
    ndim = property(lambda self: np.ndim(self._value))
    size = property(lambda self: np.size(self._value))
    dtype = property(lambda self: np.result_type(self._value))
    T = property(lambda self: np.transpose(self))
    mT = property(lambda self: np.swapaxes(self, -1, -2))
    real = property(lambda self: np.real(self))
    imag = property(lambda self: np.imag(self))

    def reshape(self, *shape, **kw):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, **kw)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def astype(self, dtype, **kw):
        return record(_astype, (self, dtype), kw)

    def flatten(self):
        return record(_flatten, (self,), {})


def _unwritable(t):
    """Why writing into traced array `t` cannot be recorded ('' when it can)."""
    g = t._rec.graph
    v = g.vars[t._ref.id]
    if v.kind == "input":
        return "an argument of the function (the compiled function does not change its inputs)"
    if v.kind == "const":
        return "a constant captured by the function"
    maker = next(n for n in reversed(g.nodes) if t._ref.id in n.outs)
    if not (isinstance(maker.fn, np.ufunc) or maker.fn in OWNED or
            maker.fn in (_setitem, _ufunc_at)) or maker.multi:
        return f"the result of {getattr(maker.fn, '__name__', maker.fn)}, which may be a view"
    for n in g.nodes:
        if any(r.id == t._ref.id for r in _refs((n.args, n.kwargs))) and \
                not isinstance(n.fn, np.ufunc):
            return f"read by {getattr(n.fn, '__name__', n.fn)}, which may keep a view of it"
    if v.shape is None:
        return "not an array"
    return ""


def _astype(x, dtype, **kw):
    """``x.astype(dtype)`` as a function (the source writes it as the method)."""
    return np.asarray(x).astype(dtype, **kw)


def _flatten(x):
    """``x.flatten()`` as a function (the source writes it as the method)."""
    return np.asarray(x).flatten()


_astype.method_name, _flatten.method_name = "astype", "flatten"

for _name, _fn in {
        "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
        "std": np.std, "var": np.var, "any": np.any, "all": np.all, "cumsum": np.cumsum,
        "cumprod": np.cumprod, "argmax": np.argmax, "argmin": np.argmin, "argsort": np.argsort,
        "clip": np.clip, "round": np.round, "dot": np.dot, "trace": np.trace,
        "diagonal": np.diagonal, "repeat": np.repeat, "take": np.take, "conj": np.conj,
        "conjugate": np.conjugate, "swapaxes": np.swapaxes, "ravel": np.ravel,
        "squeeze": np.squeeze, "copy": np.copy,
        "nonzero": np.nonzero, "sort": np.sort, "searchsorted": np.searchsorted,
        "ptp": np.ptp}.items():
    setattr(Traced, _name, _method(_fn))

for _op, _uf in {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
                 "floordiv": "floor_divide", "mod": "remainder", "pow": "power",
                 "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
                 "xor": "bitwise_xor", "lshift": "left_shift", "rshift": "right_shift",
                 "divmod": "divmod"}.items():
    setattr(Traced, f"__{_op}__", _ufunc_method(_uf))
    setattr(Traced, f"__r{_op}__", _reflected(_uf))
for _op, _uf in {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                 "eq": "equal", "ne": "not_equal"}.items():
    setattr(Traced, f"__{_op}__", _ufunc_method(_uf))
for _op, _uf in {"neg": "negative", "pos": "positive", "abs": "absolute",
                 "invert": "invert"}.items():
    setattr(Traced, f"__{_op}__", _ufunc_method(_uf))
del _name, _fn, _op, _uf
