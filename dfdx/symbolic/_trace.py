"""Tracing plain NumPy code into SymPy.

`trace(f)` calls the user's function once on symbolic stand-ins: small
`SymbolicArray` objects that hold SymPy expressions (a scalar or an object
array of them) and answer NumPy's dispatch protocols (``__array_ufunc__``,
NEP 13; ``__array_function__``, NEP 18) and Python's arithmetic dunders. Each
NumPy function met on the way is looked up in a table and replaced by its
SymPy counterpart. This module is independent of the AD engine: it is the
exact oracle the engine can be checked against.
"""

from __future__ import annotations

import inspect
import math
from fractions import Fraction

import numpy as np
import sympy

from dfdx._errors import TracerConversionError, UnsupportedOperation

__all__ = ["trace", "SymbolicArray", "exact_number"]


# -- recognising float constants ---------------------------------------------------------------

def exact_number(v, *, max_denominator: int = 1000):
    """Return the exact SymPy number a float stands for, when it is a clear one.

    Recognises small rationals (``0.5`` → 1/2), rational multiples of ``pi`` and
    ``E`` (``np.pi/2`` → pi/2, ``math.e`` → E) and square roots of small
    rationals (``np.sqrt(2)/2``), to within a few units in the last place;
    anything else stays a SymPy Float.

    Example:
        >>> import numpy as np, math
        >>> from dfdx.symbolic import exact_number
        >>> exact_number(np.pi / 2), exact_number(math.e), exact_number(0.1)
        (pi/2, E, 1/10)
    """
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, (bool, np.bool_)):
        return sympy.Integer(int(v))
    if isinstance(v, (int, np.integer)):
        return sympy.Integer(int(v))
    v = float(v)
    if math.isnan(v):
        return sympy.nan
    if math.isinf(v):
        return sympy.oo if v > 0 else -sympy.oo
    if v == int(v) and abs(v) < 2**53:
        return sympy.Integer(int(v))
    if not 1e-12 < abs(v) < 1e12:
        return sympy.Float(v)
    tol = 8 * math.ulp(v)
    for const, cval in ((None, 1.0), (sympy.pi, math.pi), (sympy.E, math.e)):
        q = Fraction(v / cval).limit_denominator(max_denominator)
        if q != 0 and abs(float(q) * cval - v) <= tol:
            r = sympy.Rational(q.numerator, q.denominator)
            return r if const is None else r * const
    sq = Fraction(v * v).limit_denominator(max_denominator)
    if sq > 0 and abs(math.copysign(math.sqrt(float(sq)), v) - v) <= tol:
        r = sympy.sqrt(sympy.Rational(sq.numerator, sq.denominator))
        return r if v > 0 else -r
    return sympy.Float(v)


# -- the stand-in ------------------------------------------------------------------------------

def _sym(x):
    """Turn an operand (stand-in, SymPy object, Python or NumPy number) into a SymPy object."""
    if isinstance(x, SymbolicArray):
        return x._data if x._data.ndim == 0 else x._data
    if isinstance(x, sympy.Basic):
        return x
    if isinstance(x, (int, float, np.number, bool, np.bool_)):
        return exact_number(x)
    if isinstance(x, np.ndarray):
        return _objarray(x)
    if isinstance(x, (list, tuple)):
        return _objarray(np.array([_sym(e) if not isinstance(e, SymbolicArray) else _unwrap(e)
                                   for e in x], dtype=object))
    raise UnsupportedOperation(f"trace cannot use a value of type {type(x).__name__} "
                               "in a symbolic expression")


def _objarray(a):
    a = np.asarray(a, dtype=object)
    out = np.empty(a.shape, dtype=object)
    for idx, e in np.ndenumerate(a):
        out[idx] = _unwrap(e) if isinstance(e, SymbolicArray) else (
            e if isinstance(e, sympy.Basic) else exact_number(e))
    return out


def _unwrap(x):
    """The object array (0-d for a scalar) behind a stand-in, or an operand made into one."""
    if isinstance(x, SymbolicArray):
        return x._data
    s = _sym(x)
    if isinstance(s, np.ndarray):
        return s
    out = np.empty((), dtype=object)
    out[()] = s
    return out


def _wrap(a):
    if isinstance(a, SymbolicArray):
        return a
    if isinstance(a, np.ndarray):
        if a.dtype != object:
            a = _objarray(a)
        return SymbolicArray(a)
    return SymbolicArray(_unwrap(a))


def _elementwise(fn, *args):
    arrays = [_unwrap(a) for a in args]
    return _wrap(np.frompyfunc(fn, len(arrays), 1)(*arrays)
                 if any(a.ndim for a in arrays) else _scalar(fn(*[a[()] for a in arrays])))


def _scalar(v):
    out = np.empty((), dtype=object)
    out[()] = v
    return out


def _heaviside(x, h0):
    return sympy.Piecewise((0, x < 0), (h0, sympy.Eq(x, 0)), (1, True))


def _where(c, a, b):
    if c is sympy.true or c is True:
        return a
    if c is sympy.false or c is False:
        return b
    return sympy.Piecewise((a, c), (b, True))


def _mod(a, b):
    return sympy.Mod(a, b)


_UFUNCS = {
    np.add: lambda a, b: a + b, np.subtract: lambda a, b: a - b,
    np.multiply: lambda a, b: a * b, np.true_divide: lambda a, b: a / b,
    np.power: lambda a, b: a ** b, np.float_power: lambda a, b: a ** b,
    np.negative: lambda a: -a, np.positive: lambda a: a,
    np.absolute: sympy.Abs, np.fabs: sympy.Abs, np.sign: sympy.sign,
    np.exp: sympy.exp, np.exp2: lambda a: 2 ** a, np.expm1: lambda a: sympy.exp(a) - 1,
    np.log: sympy.log, np.log2: lambda a: sympy.log(a, 2), np.log10: lambda a: sympy.log(a, 10),
    np.log1p: lambda a: sympy.log(1 + a), np.sqrt: sympy.sqrt,
    np.cbrt: lambda a: sympy.real_root(a, 3), np.square: lambda a: a ** 2,
    np.reciprocal: lambda a: 1 / a,
    np.sin: sympy.sin, np.cos: sympy.cos, np.tan: sympy.tan,
    np.arcsin: sympy.asin, np.arccos: sympy.acos, np.arctan: sympy.atan,
    np.arctan2: sympy.atan2, np.hypot: lambda a, b: sympy.sqrt(a ** 2 + b ** 2),
    np.sinh: sympy.sinh, np.cosh: sympy.cosh, np.tanh: sympy.tanh,
    np.arcsinh: sympy.asinh, np.arccosh: sympy.acosh, np.arctanh: sympy.atanh,
    np.maximum: sympy.Max, np.minimum: sympy.Min, np.fmax: sympy.Max, np.fmin: sympy.Min,
    np.floor: sympy.floor, np.ceil: sympy.ceiling,
    np.trunc: lambda a: sympy.sign(a) * sympy.floor(sympy.Abs(a)),
    np.rint: lambda a: sympy.floor(a + sympy.Rational(1, 2)),
    np.heaviside: _heaviside, np.mod: _mod, np.remainder: _mod,
    np.floor_divide: lambda a, b: sympy.floor(a / b),
    np.deg2rad: lambda a: a * sympy.pi / 180, np.rad2deg: lambda a: a * 180 / sympy.pi,
    np.logaddexp: lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)),
    np.greater: sympy.Gt, np.greater_equal: sympy.Ge, np.less: sympy.Lt,
    np.less_equal: sympy.Le, np.equal: sympy.Eq, np.not_equal: sympy.Ne,
    np.logical_and: sympy.And, np.logical_or: sympy.Or, np.logical_not: sympy.Not,
}

# scipy.special ufuncs, by name (symbolic does not import scipy)
_UFUNCS_BY_NAME = {
    "erf": sympy.erf, "erfc": sympy.erfc, "gamma": sympy.gamma, "gammaln": sympy.loggamma,
    "expit": lambda a: 1 / (1 + sympy.exp(-a)), "logit": lambda a: sympy.log(a / (1 - a)),
    "log_expit": lambda a: -sympy.log(1 + sympy.exp(-a)), "factorial": sympy.factorial,
}


def _reduce(fn, x, axis=None, keepdims=False):
    a = _unwrap(x)
    if axis is None:
        return _wrap(_scalar(fn(*a.ravel().tolist())))
    out = np.apply_along_axis(lambda v: fn(*v.tolist()), axis, a)
    out = out.astype(object)
    if keepdims:
        out = np.expand_dims(out, axis)
    return _wrap(out)


def _sum(x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return _reduce(lambda *v: sympy.Add(*v), x, axis, keepdims)


def _prod(x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return _reduce(lambda *v: sympy.Mul(*v), x, axis, keepdims)


def _mean(x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    a = _unwrap(x)
    n = a.size if axis is None else a.shape[axis]
    return _reduce(lambda *v: sympy.Add(*v) / n, x, axis, keepdims)


def _amax(x, axis=None, out=None, keepdims=False, **kw):
    return _reduce(sympy.Max, x, axis, keepdims)


def _amin(x, axis=None, out=None, keepdims=False, **kw):
    return _reduce(sympy.Min, x, axis, keepdims)


def _dot(a, b, out=None):
    return _wrap(np.dot(_unwrap(a), _unwrap(b)))


def _where_fn(cond, a=None, b=None):
    if a is None or b is None:
        raise UnsupportedOperation("trace supports np.where(cond, a, b) with three arguments")
    return _elementwise(_where, cond, a, b)


def _clip(x, a_min=None, a_max=None, **kw):
    lo = kw.pop("min", a_min)
    hi = kw.pop("max", a_max)
    r = x
    if lo is not None:
        r = _elementwise(sympy.Max, r, lo)
    if hi is not None:
        r = _elementwise(sympy.Min, r, hi)
    return _wrap(r)


def _norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2) or axis is not None:
        raise UnsupportedOperation("trace supports np.linalg.norm(x) (the 2-norm of a vector) "
                                   "only; write the norm out with np.sum / np.abs")
    a = _unwrap(x)
    return _wrap(_scalar(sympy.sqrt(sympy.Add(*[e ** 2 for e in a.ravel().tolist()]))))


def _asarray_passthrough(x, *args, **kw):
    return _wrap(x)


def _sinc(x):
    # NumPy's sinc is the normalised one: sin(pi x) / (pi x), 1 at 0
    return _elementwise(lambda a: sympy.Piecewise(
        (1, sympy.Eq(a, 0)), (sympy.sin(sympy.pi * a) / (sympy.pi * a), True)), x)


_FUNCTIONS = {
    np.sinc: _sinc,
    np.sum: _sum, np.prod: _prod, np.mean: _mean, np.max: _amax, np.min: _amin,
    np.amax: _amax, np.amin: _amin, np.dot: _dot, np.where: _where_fn, np.clip: _clip,
    np.linalg.norm: _norm, np.asarray: _asarray_passthrough, np.asanyarray: _asarray_passthrough,
    np.inner: lambda a, b: _wrap(np.inner(_unwrap(a), _unwrap(b))),
    np.outer: lambda a, b: _wrap(np.outer(_unwrap(a), _unwrap(b))),
    np.matmul: lambda a, b, **kw: _wrap(np.dot(_unwrap(a), _unwrap(b))),
}

# shape functions that only move elements: run NumPy itself on the object arrays
_STRUCTURAL = {
    np.stack, np.concatenate, np.hstack, np.vstack, np.transpose, np.reshape, np.ravel,
    np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d, np.broadcast_to, np.flip,
    np.diag, np.trace, np.cumsum, np.diff, np.tile, np.repeat, np.moveaxis, np.swapaxes,
    np.zeros_like, np.ones_like, np.full_like, np.append, np.split, np.array_split,
    np.shape, np.ndim, np.size, np.copy, np.block, np.column_stack, np.triu, np.tril,
}


def _unwrap_tree(x):
    if isinstance(x, SymbolicArray):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap_tree(e) for e in x)
    return x


def _wrap_tree(x):
    if isinstance(x, np.ndarray):
        return _wrap(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap_tree(e) for e in x)
    if isinstance(x, sympy.Basic):
        return _wrap(_scalar(x))
    return x


class SymbolicArray:
    """A symbolic stand-in for a NumPy scalar or array while a function is traced.

    It holds SymPy expressions (a 0-d or n-d object array of them) and maps
    NumPy ufuncs and functions applied to it to SymPy. Branching on it
    (``if x > 0:``) raises `TracerConversionError`: write ``np.where``.
    """

    __array_priority__ = 1000

    def __init__(self, data):
        self._data = data if isinstance(data, np.ndarray) else _unwrap(data)

    # -- what it holds ---------------------------------------------------------------------------
    @property
    def expr(self):
        """The SymPy expression (scalar) or a SymPy Matrix / Array (vector, matrix)."""
        return _to_sympy(self._data)

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return np.dtype(float)

    @property
    def T(self):
        return SymbolicArray(self._data.T)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a traced scalar")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a traced scalar")
        return (SymbolicArray(e) for e in self._data)

    def __getitem__(self, idx):
        idx = _unwrap_tree(idx)
        return _wrap(self._data[idx]) if isinstance(self._data[idx], np.ndarray) \
            else _wrap(_scalar(self._data[idx]))

    def __repr__(self):
        return f"SymbolicArray({self.expr})"

    # -- conversions that would lose the expression ------------------------------------------------
    def __bool__(self):
        raise TracerConversionError(
            f"a symbolic value ({self.expr}) was used as a Python bool, e.g. in 'if x > 0:'. "
            "trace runs the function once on symbols, so it cannot follow a branch; write "
            "the branch with np.where(x > 0, a, b) (or np.maximum / np.abs) instead.")

    def _no_number(self, kind):
        raise TracerConversionError(
            f"{kind}() was called on a symbolic value ({self.expr}) while tracing. Use NumPy "
            "functions (np.exp, np.sin, ...) instead of math.* and keep the value symbolic.")

    def __float__(self):
        self._no_number("float")

    def __int__(self):
        self._no_number("int")

    def __complex__(self):
        self._no_number("complex")

    def __index__(self):
        self._no_number("index")

    # -- NumPy protocols -----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        fn = _UFUNCS.get(ufunc) or _UFUNCS_BY_NAME.get(ufunc.__name__)
        if ufunc is np.matmul and method == "__call__":
            return _FUNCTIONS[np.matmul](*inputs)
        if fn is None or method not in ("__call__", "reduce"):
            raise UnsupportedOperation(
                f"trace has no SymPy translation for numpy.{ufunc.__name__}"
                + ("" if method == "__call__" else f".{method}")
                + ". Rewrite it with supported functions (np.exp, np.log, np.where, ...), "
                  "or pass a SymPy expression or a string instead.")
        if kwargs.get("out") is not None:
            raise UnsupportedOperation("trace does not support out= arguments")
        if method == "reduce":
            reducer = {np.add: _sum, np.multiply: _prod, np.maximum: _amax,
                       np.minimum: _amin}.get(ufunc)
            if reducer is None:
                raise UnsupportedOperation(f"trace cannot reduce with numpy.{ufunc.__name__}")
            return reducer(*inputs, **{k: v for k, v in kwargs.items()
                                       if k in ("axis", "keepdims")})
        return _elementwise(fn, *inputs)

    def __array_function__(self, func, types, args, kwargs):
        impl = _FUNCTIONS.get(func)
        if impl is not None:
            return impl(*args, **kwargs)
        if func in _STRUCTURAL:
            return _wrap_tree(func(*_unwrap_tree(args), **kwargs))
        raise UnsupportedOperation(
            f"trace has no SymPy translation for numpy.{func.__name__}. Rewrite it with "
            "supported functions, or pass a SymPy expression or a string instead.")

    # -- arithmetic ------------------------------------------------------------------------------
    def __add__(self, o): return _elementwise(_UFUNCS[np.add], self, o)
    def __radd__(self, o): return _elementwise(_UFUNCS[np.add], o, self)
    def __sub__(self, o): return _elementwise(_UFUNCS[np.subtract], self, o)
    def __rsub__(self, o): return _elementwise(_UFUNCS[np.subtract], o, self)
    def __mul__(self, o): return _elementwise(_UFUNCS[np.multiply], self, o)
    def __rmul__(self, o): return _elementwise(_UFUNCS[np.multiply], o, self)
    def __truediv__(self, o): return _elementwise(_UFUNCS[np.true_divide], self, o)
    def __rtruediv__(self, o): return _elementwise(_UFUNCS[np.true_divide], o, self)
    def __pow__(self, o): return _elementwise(_UFUNCS[np.power], self, o)
    def __rpow__(self, o): return _elementwise(_UFUNCS[np.power], o, self)
    def __mod__(self, o): return _elementwise(_mod, self, o)
    def __rmod__(self, o): return _elementwise(_mod, o, self)
    def __floordiv__(self, o): return _elementwise(_UFUNCS[np.floor_divide], self, o)
    def __neg__(self): return _elementwise(_UFUNCS[np.negative], self)
    def __pos__(self): return self
    def __abs__(self): return _elementwise(sympy.Abs, self)
    def __matmul__(self, o): return _dot(self, o)
    def __rmatmul__(self, o): return _dot(o, self)
    def __lt__(self, o): return _elementwise(sympy.Lt, self, o)
    def __le__(self, o): return _elementwise(sympy.Le, self, o)
    def __gt__(self, o): return _elementwise(sympy.Gt, self, o)
    def __ge__(self, o): return _elementwise(sympy.Ge, self, o)
    def __eq__(self, o): return _elementwise(sympy.Eq, self, o)  # type: ignore[override]
    def __ne__(self, o): return _elementwise(sympy.Ne, self, o)  # type: ignore[override]
    __hash__ = None  # type: ignore[assignment]
    def __and__(self, o): return _elementwise(sympy.And, self, o)
    def __or__(self, o): return _elementwise(sympy.Or, self, o)
    def __invert__(self): return _elementwise(sympy.Not, self)

    # methods people call on arrays
    def sum(self, axis=None, keepdims=False): return _sum(self, axis=axis, keepdims=keepdims)
    def prod(self, axis=None, keepdims=False): return _prod(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return _mean(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return _amax(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return _amin(self, axis=axis, keepdims=keepdims)
    def dot(self, o): return _dot(self, o)
    def reshape(self, *shape): return SymbolicArray(self._data.reshape(*shape))
    def ravel(self): return SymbolicArray(self._data.ravel())
    def flatten(self): return SymbolicArray(self._data.flatten())
    def transpose(self, *axes): return SymbolicArray(self._data.transpose(*axes))
    def clip(self, a_min=None, a_max=None): return _clip(self, a_min, a_max)
    def item(self): return self

    # methods NumPy looks for on elements of object arrays (np.exp(np.array([x, y])))
    def exp(self): return _elementwise(sympy.exp, self)
    def log(self): return _elementwise(sympy.log, self)
    def sqrt(self): return _elementwise(sympy.sqrt, self)
    def sin(self): return _elementwise(sympy.sin, self)
    def cos(self): return _elementwise(sympy.cos, self)
    def tan(self): return _elementwise(sympy.tan, self)
    def tanh(self): return _elementwise(sympy.tanh, self)
    def arctan(self): return _elementwise(sympy.atan, self)


def _to_sympy(a):
    if isinstance(a, SymbolicArray):
        a = a._data
    if isinstance(a, np.ndarray):
        if a.ndim == 0:
            return _to_sympy(a[()])
        flat = [_to_sympy(e) for e in a.ravel().tolist()]
        if a.ndim == 1:
            return sympy.Matrix(flat)
        if a.ndim == 2:
            return sympy.Matrix(a.shape[0], a.shape[1], flat)
        return sympy.Array(flat, a.shape)
    if isinstance(a, sympy.Basic):
        return a
    if isinstance(a, (list, tuple)):
        return type(a)(_to_sympy(e) for e in a)
    if isinstance(a, (int, float, np.number, bool, np.bool_)):
        return exact_number(a)
    raise UnsupportedOperation(f"trace: the function returned a {type(a).__name__}, which is "
                               "not a number, an array or a tuple of them")


def _make_input(spec, real=True):
    """An input stand-in: a name (scalar), a (name, n) pair (vector), or a SymPy symbol."""
    if isinstance(spec, SymbolicArray):
        return spec
    if isinstance(spec, sympy.Basic):
        return SymbolicArray(_scalar(spec))
    if isinstance(spec, str):
        return SymbolicArray(_scalar(sympy.Symbol(spec, real=real)))
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        name, shape = spec
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        n = int(np.prod(shape))
        syms = sympy.symbols(f"{name}0:{n}", real=real) if n else ()
        return SymbolicArray(np.array(list(syms), dtype=object).reshape(shape))
    raise TypeError(f"trace: an input must be a name, a (name, size) pair or a SymPy symbol, "
                    f"not {spec!r}")


def parameter_names(f):
    """The names of f's positional parameters (for trace's default symbols)."""
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            return None
    return names


def trace(f, *names, real: bool = True):
    """Turn a plain NumPy function into a SymPy expression by running it on symbols.

    Args:
        f: a Python function written with NumPy (``np.exp``, ``np.where``,
            ``np.sum``, ``@``, ...). Python branches on the inputs are not
            allowed (use ``np.where``).
        *names: one per positional parameter: a name (a scalar symbol), a
            ``(name, n)`` pair (a vector of n symbols ``name0 … name{n-1}``; a
            shape tuple gives a matrix) or a SymPy symbol. Default: the
            names of f's parameters.
        real: make new symbols real (the default).

    Returns:
        A SymPy expression for a scalar output, a ``sympy.Matrix`` (column
        for a vector) for an array output, or a tuple of those when f returns
        a tuple. Floats that are clear constants become exact (``np.pi/2`` →
        ``pi/2``, ``0.5`` → ``1/2``).

    Raises:
        TracerConversionError: f branches on (or calls float() / math.* on) a
            symbolic value.
        UnsupportedOperation: f uses a NumPy function with no SymPy translation.

    Example:
        >>> import numpy as np
        >>> from dfdx.symbolic import trace
        >>> def f(x, y):
        ...     return x**2 + 3*y + np.exp(x*y)
        >>> trace(f)
        x**2 + 3*y + exp(x*y)
        >>> trace(lambda w: np.sum(w**2) / 2, ("w", 3))
        w0**2/2 + w1**2/2 + w2**2/2
        >>> trace(lambda x: np.where(x > 0, x, 0.5 * x))
        Piecewise((x, x > 0), (x/2, True))
    """
    if not callable(f):
        raise TypeError(f"trace needs a callable, got {type(f).__name__}")
    if not names:
        params = parameter_names(f)
        if params is None:
            raise TypeError(f"trace cannot read the parameter names of {f!r}; pass them: "
                            "trace(f, 'x', 'y')")
        names = tuple(params)
    inputs = [_make_input(n, real) for n in names]
    with np.errstate(all="ignore"):
        out = f(*inputs)
    return _to_sympy(out)
