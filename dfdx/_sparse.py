"""Sparse Jacobians: the pattern found from the code, a column colouring, compressed sweeps.

`sparsity(f, x)` runs `f` once on a `Pattern` array: a duck array that keeps,
for every element, the set of input elements it depends on (a sparse boolean
matrix, one row per element), next to the concrete value (so shapes and Python
control flow work). NumPy hands it every ufunc and array function (NEP 13/18):

* elementwise functions: the union of the arguments' sets (broadcast);
* functions that move elements (reshape, indexing, concatenate, flip, pad, ...):
  the function applied to the element numbers;
* reductions, cumulative sums, matmul / dot / tensordot: the union over what
  each output element reads;
* functions of zero derivative (comparisons, argsort): no dependence; an index
  computed from the values (``x[np.argsort(x)]``) reads the whole axis;
* anything else: every output element depends on every input element it could
  (conservative: a pattern may have extra entries, never miss one).

The pattern holds for every x where `f` takes the same Python branches.
`sparse_jacobian(f, x0)` colours the columns (greedy, largest degree first: no
two columns of one colour share a row) and computes ``J S`` for the seed matrix
S with one forward-mode sweep over the colours (a batch), then reads J back.
"""

from __future__ import annotations

import operator

import numpy as np

from dfdx._colouring import colour_columns, colour_star
from dfdx._errors import TracerConversionError


class _Sparse:
    """scipy.sparse, imported on first use (why: ~0.4 s, which `import dfdx` need not pay)."""

    def __getattr__(self, name):
        import scipy.sparse
        return getattr(scipy.sparse, name)


sps = _Sparse()

__all__ = ["Pattern", "sparsity", "hessian_sparsity", "sparse_jacobian",
           "sparse_hessian"]


class _Trace:
    """One run of f on patterns: the number of inputs, and arrays derived from values."""

    def __init__(self, n, second=False):
        self.n = n
        self.second = second        # also track the Hessian pattern (pairs of inputs)
        self.derived = []           # zero-derivative results of traced values (kept alive)

    def is_derived(self, a):
        return any(a is d for d in self.derived)


class _Rows:
    """The dependence rows (and Hessian-pair rows) of several patterns stacked together."""

    def __init__(self, pats):
        self.dep = sps.vstack([p.dep for p in pats], format="csr")
        self.hess = sps.vstack([p.hess for p in pats], format="csr") \
            if pats[0].hess is not None else None


def _union(srcs, ids, tr):
    """(dep, hess): rows ``OR_r src[ids[i, r]]`` for pairs (source, ids (m, r)); -1: nothing.

    Reading an element passes on both what it depends on and its Hessian pairs (the
    functions read this way are linear, or piecewise linear, in what they read).
    """
    m = np.asarray(ids[0]).shape[0] if ids else 0
    dep, hess = None, []
    for src, idx in zip(srcs, ids):
        idx = np.asarray(idx)
        rows, cols = np.nonzero(idx >= 0)
        R = sps.csr_matrix((np.ones(rows.size, np.int32), (rows, idx[rows, cols])),
                           shape=(m, src.dep.shape[0]))
        d = R @ src.dep.astype(np.int32)
        dep = d if dep is None else dep + d
        if tr.second:
            hess.append(_gather(src.hess, idx))
    dep = sps.csr_matrix(dep > 0 if dep is not None else (m, tr.n), dtype=bool)
    if not tr.second:
        return dep, None
    return dep, _merge(hess) if hess else sps.csr_matrix((m, tr.n * tr.n), dtype=bool)


# why: Hessian rows have n^2 columns; SciPy's sparse products and sums allocate a work
# array as long as a row (800 MB at n = 10^4), so these rows are gathered and merged by
# hand, in time proportional to their entries.
def _gather(M, idx):
    """Rows ``OR_r M[idx[i, r]]`` (idx -1: nothing) of a boolean CSR matrix."""
    m, r = idx.shape
    ext = sps.vstack([M, sps.csr_matrix((1, M.shape[1]), dtype=bool)], format="csr")
    sel = ext[np.where(idx >= 0, idx, M.shape[0]).reshape(-1)]
    out = sps.csr_matrix((sel.data, sel.indices, sel.indptr[::r]), shape=(m, M.shape[1]))
    out.sum_duplicates()
    return out


def _merge(mats):
    """The rowwise OR of CSR matrices of one shape."""
    if len(mats) == 1:
        return mats[0]
    m = mats[0].shape[0]
    stacked = sps.vstack(mats, format="csr")
    order = (np.arange(len(mats))[None, :] * m + np.arange(m)[:, None]).reshape(-1)
    return _gather(stacked[order], np.arange(m * len(mats)).reshape(m, len(mats)))


def _pairs(A, B, n):
    """Rows of input pairs: row e holds (i, j) -> i*n + j for i in A's row e, j in B's row e."""
    A, B = sps.csr_matrix(A), sps.csr_matrix(B)
    m = A.shape[0]
    ca, cb = np.diff(A.indptr), np.diff(B.indptr)
    ea = np.repeat(np.arange(m), ca)                # the row of each entry of A
    rep = cb[ea]
    total = int(rep.sum())
    if total > 5 * 10 ** 7:
        raise MemoryError("dfdx.hessian_sparsity: the Hessian pattern is nearly dense; use "
                          "dfdx.hessian")
    rows = np.repeat(ea, rep)
    i = np.repeat(A.indices, rep)
    within = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
    j = B.indices[np.repeat(B.indptr[ea], rep) + within]
    return sps.csr_matrix((np.ones(total, bool), (rows, i * n + j)), shape=(m, n * n))


def _with_pairs(p, *pairs):
    """Pattern `p` with the Hessian pairs of each (A, B) in `pairs` (and (B, A)) added."""
    if not p.trace.second:
        return p
    n = p.trace.n
    p.hess = _merge([p.hess] + [_pairs(a, b, n) for A, B in pairs for a, b in ((A, B), (B, A))])
    return p


def _ids(p):
    """Element numbers of a Pattern (C order), or -1 everywhere for a constant."""
    if isinstance(p, Pattern):
        return np.arange(np.size(p.value)).reshape(np.shape(p.value))
    return np.full(np.shape(p), -1)


# functions that move elements: out = fn(element numbers) reads one element (or none)
_MOVE = {np.reshape, np.transpose, np.swapaxes, np.moveaxis, np.squeeze, np.expand_dims,
         np.ravel, np.broadcast_to, np.flip, np.fliplr, np.flipud, np.roll, np.tile, np.repeat,
         np.take, np.take_along_axis, operator.getitem, np.diagonal, np.atleast_1d,
         np.atleast_2d, np.atleast_3d, np.copy, np.rot90, np.triu, np.tril, np.pad,
         np.concatenate,
         np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.split,
         np.array_split, np.hsplit, np.vsplit, np.dsplit, np.append}
# reductions: an output element reads every element along the reduced axes
_REDUCE = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.std, np.var,
           np.nansum, np.nanmean, np.nanprod, np.nanmax, np.nanmin, np.nanstd, np.nanvar,
           np.median, np.nanmedian, np.ptp, np.average}
_CUMULATIVE = {np.cumsum, np.cumprod, np.nancumsum, np.nancumprod}
_ZERO = {np.sign, np.floor, np.ceil, np.trunc, np.rint, np.greater, np.greater_equal,
         np.less, np.less_equal, np.equal, np.not_equal, np.isfinite, np.isnan, np.isinf,
         np.signbit, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
         np.argmax, np.argmin, np.argsort, np.round, np.around, np.zeros_like, np.ones_like,
         np.empty_like, np.full_like, np.searchsorted, np.digitize, np.count_nonzero,
         np.nonzero, np.any, np.all, np.heaviside, np.floor_divide, np.isclose}
_STATIC = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj}


def _values(obj):
    if isinstance(obj, Pattern):
        return obj.value
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_values(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _values(v) for k, v in obj.items()}
    return obj


def _patterns(obj, out):
    if isinstance(obj, Pattern):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _patterns(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _patterns(o, out)
    return out


def _call(fn, args, kwargs):
    pats = _patterns((args, kwargs), [])
    tr = pats[0].trace
    if kwargs.get("out") is not None:
        raise TracerConversionError("dfdx.sparsity: out= writes into an array; compute a new "
                                    "array instead")
    value = fn(*_values(args), **_values(kwargs))
    if fn in _STATIC:
        return value
    if fn in _ZERO or _zero_rule(fn):
        tr.derived.append(value)
        return value
    if fn in _MOVE:
        return _move(fn, args, kwargs, value, tr)
    if fn in _REDUCE:
        return _reduce(fn, args, kwargs, value, tr)
    if fn in _CUMULATIVE:
        return _cumulative(fn, args, kwargs, value, tr)
    nd = [np.ndim(_values(a)) for a in args[:2] if not isinstance(a, (list, tuple))]
    if len(args) == 2 and len(nd) == 2 and min(nd) >= 1 and (
            fn is np.matmul or (fn is np.dot and max(nd) <= 2)):
        return _matmul(args, value, tr)
    if fn is np.where and len(args) == 3:
        return _elementwise(args[1:], value, tr)
    if fn in (np.real, np.imag):
        return _elementwise(args[:1], value, tr)
    if isinstance(fn, np.ufunc) and fn.signature is None and kwargs.get("where") is None:
        return _elementwise(args, value, tr, fn)
    return _dense(pats, value, tr)


def _zero_rule(fn):
    from dfdx._numpy.registry import FUNCTIONS, UFUNCS
    prim = (UFUNCS if isinstance(fn, np.ufunc) else FUNCTIONS).get(fn)
    return bool(getattr(prim, "zero_derivative", False))


def _wrap(value, rows, tr):
    dep, hess = rows
    return Pattern(value, dep, tr, hess)


#: ufuncs linear, or piecewise linear, in each argument: they add no Hessian pairs
_LINEAR_UFUNCS = {np.add, np.subtract, np.negative, np.positive, np.conjugate, np.maximum,
                  np.minimum, np.fmax, np.fmin, np.absolute, np.fabs}


def _elementwise(args, value, tr, fn=None):
    shape = np.shape(value)
    srcs, ids = [], []
    for a in args:
        if isinstance(a, Pattern):
            srcs.append(a)
            ids.append(np.broadcast_to(_ids(a), shape).reshape(-1, 1))
    out = _wrap(value, _union(srcs, ids, tr), tr)
    if not tr.second or fn in _LINEAR_UFUNCS or fn is None:
        return out
    each = [_union([s], [i], tr)[0] for s, i in zip(srcs, ids)]
    traced = [isinstance(a, Pattern) for a in args]
    if fn is np.multiply and len(args) == 2:
        return _with_pairs(out, tuple(each)) if all(traced) else out
    if fn in (np.true_divide, np.divide) and len(args) == 2:
        if not traced[1]:
            return out                              # x / c: linear
        gy = each[-1]
        return _with_pairs(out, (gy, gy), *([(each[0], gy)] if traced[0] else []))
    return _with_pairs(out, (out.dep, out.dep))


_SEQUENCE = {np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack}


def _move(fn, args, kwargs, value, tr):
    """Apply `fn` to element numbers (+1, so that 0 stands for a constant element)."""
    pats = []

    def number(a):
        if isinstance(a, Pattern):
            start = sum(np.size(p.value) for p in pats)
            pats.append(a)
            return _ids(a) + start + 1
        return np.zeros(np.shape(a), np.int64)

    kw = _values(kwargs)
    if fn in _SEQUENCE:
        ids = fn([number(a) for a in args[0]], *_values(args[1:]), **kw)
    elif fn is np.append:
        ids = fn(number(args[0]), number(args[1]), *_values(args[2:]), **kw)
    else:
        key = args[1] if len(args) > 1 else kwargs.get("indices")
        # why: an index computed from the values picks other elements at another x: the
        # pattern must then read everything
        if _patterns((args[1:], kwargs), []) or _value_index(key, tr):
            return _dense(_patterns((args, kwargs), []), value, tr)
        if fn is np.pad and kw.get("mode", args[2] if len(args) > 2 else "constant") \
                == "constant":
            kw["constant_values"] = 0
        ids = fn(number(args[0]), *_values(args[1:]), **kw)
    if not pats:
        return value
    rows = _Rows(pats)
    if isinstance(ids, (list, tuple)):
        return type(ids)(_from_ids(v, np.asarray(i) - 1, rows, tr) for v, i in zip(value, ids))
    return _from_ids(value, np.asarray(ids).real.astype(np.int64) - 1, rows, tr)


def _from_ids(value, ids, rows, tr):
    return _wrap(value, _union([rows], [ids.reshape(-1, 1)], tr), tr)


def _value_index(key, tr):
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, np.ndarray) and tr.is_derived(k) for k in keys)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(a % ndim for a in axis)


#: reductions that are not (piecewise) linear: their Hessian couples what they read
_NONLINEAR_REDUCE = {np.prod, np.std, np.var, np.nanprod, np.nanstd, np.nanvar,
                     np.cumprod, np.nancumprod}


def _reduce(fn, args, kwargs, value, tr):
    x = args[0]
    if not isinstance(x, Pattern):
        return _dense(_patterns(args, []), value, tr)
    ndim = np.ndim(x.value)
    axis = kwargs.get("axis", args[1] if len(args) > 1 and not isinstance(args[1], Pattern)
                      else None)
    red = _axes(axis, ndim)
    keep = [a for a in range(ndim) if a not in red]
    ids = np.transpose(_ids(x), keep + list(red))
    ids = ids.reshape(-1, max(1, int(np.prod([np.shape(x.value)[a] for a in red]))))
    out = _wrap(value, _union([x], [ids], tr), tr)
    return _with_pairs(out, (out.dep, out.dep)) if fn in _NONLINEAR_REDUCE else out


def _cumulative(fn, args, kwargs, value, tr):
    x = args[0]
    axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    ids = _ids(x)
    if axis is None:
        ids, axis = ids.reshape(-1), 0
    ids = np.moveaxis(ids, axis, -1)
    n = ids.shape[-1]
    lower = np.tril(np.ones((n, n), bool))
    prefix = np.where(lower, ids[..., None, :], -1)            # position p reads 0..p
    prefix = np.moveaxis(prefix, -2, axis if axis >= 0 else axis - 1)
    out = _wrap(value, _union([x], [prefix.reshape(-1, n)], tr), tr)
    return _with_pairs(out, (out.dep, out.dep)) if fn in _NONLINEAR_REDUCE else out


def _matmul(args, value, tr):
    a, b = args
    av, bv = np.asarray(_values(a)), np.asarray(_values(b))
    ia, ib = _ids(a), _ids(b)
    if av.ndim == 1:
        ia = ia[None]
    if bv.ndim == 1:
        ib = ib[:, None]
    out = np.broadcast_shapes(ia.shape[:-2], ib.shape[:-2]) + (ia.shape[-2], ib.shape[-1])
    k = ia.shape[-1]
    ra = np.broadcast_to(ia[..., :, None, :], out + (k,))
    rb = np.broadcast_to(np.swapaxes(ib, -1, -2)[..., None, :, :], out + (k,))
    srcs, ids = [], []
    for p, r in ((a, ra), (b, rb)):
        if isinstance(p, Pattern):
            srcs.append(p)
            ids.append(r.reshape(-1, k))
    out = _wrap(value, _union(srcs, ids, tr), tr)
    if len(srcs) == 2 and tr.second:      # bilinear: pairs across the two operands
        out = _with_pairs(out, (_union([a], [ids[0]], tr)[0], _union([b], [ids[1]], tr)[0]))
    return out


def _dense(pats, value, tr):
    """Every output element depends on everything the traced arguments depend on."""
    if isinstance(value, (tuple, list)):
        parts = [_dense(pats, v, tr) for v in value]
        return type(value)(*parts) if hasattr(value, "_fields") else type(value)(parts)
    m = max(1, int(np.size(value)))
    every = [np.broadcast_to(np.arange(np.size(p.value)), (m, np.size(p.value)))
             for p in pats]
    out = _wrap(value, _union(pats, every, tr), tr)
    return _with_pairs(out, (out.dep, out.dep))


class Pattern:
    """A value with, for each element, the input elements it depends on (sparse rows)."""

    __slots__ = ("value", "dep", "trace", "hess")
    __array_priority__ = 80.0
    __hash__ = None

    def __init__(self, value, dep, trace, hess=None):
        self.value, self.dep, self.trace, self.hess = value, dep, trace, hess

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "reduce" and ufunc in (np.add, np.multiply, np.maximum, np.minimum):
            return _call({np.add: np.sum, np.multiply: np.prod, np.maximum: np.max,
                          np.minimum: np.min}[ufunc], inputs, kwargs)
        if method == "at":
            raise TracerConversionError(
                f"dfdx.sparsity: np.{ufunc.__name__}.at writes a traced value into an array, "
                "which would lose what it depends on; build the result functionally")
        if method != "__call__":
            return _dense(_patterns(inputs, []), getattr(ufunc, method)(
                *_values(inputs), **_values(kwargs)), self.trace)
        return _call(ufunc, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _call(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise TracerConversionError(
            "dfdx.sparsity: np.asarray() of a traced array loses which inputs it depends on; "
            "compute with NumPy functions (np.stack instead of np.array([...]))")

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key):
        return _call(operator.getitem, (self, key), {})

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(self.value))
    T = property(lambda self: np.transpose(self))

    def reshape(self, *shape, **kw):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, **kw)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def astype(self, dtype, **kw):
        return Pattern(np.asarray(self.value).astype(dtype, **kw), self.dep, self.trace,
                       self.hess)


for _name, _fn in {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max,
                   "min": np.min, "cumsum": np.cumsum, "ravel": np.ravel, "dot": np.dot,
                   "squeeze": np.squeeze, "copy": np.copy, "flatten": np.ravel,
                   "swapaxes": np.swapaxes, "var": np.var, "std": np.std}.items():
    setattr(Pattern, _name, (lambda fn: lambda self, *a, **k: fn(self, *a, **k))(_fn))
for _op, _uf in {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                 "truediv": np.true_divide, "pow": np.power, "matmul": np.matmul,
                 "lt": np.less, "le": np.less_equal, "gt": np.greater,
                 "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}.items():
    setattr(Pattern, f"__{_op}__", (lambda uf: lambda self, o: uf(self, o))(_uf))
    if _op in ("add", "sub", "mul", "truediv", "pow", "matmul"):
        setattr(Pattern, f"__r{_op}__", (lambda uf: lambda self, o: uf(o, self))(_uf))
Pattern.__neg__ = lambda self: np.negative(self)
Pattern.__abs__ = lambda self: np.absolute(self)
del _name, _fn, _op, _uf


def sparsity(f, x):
    """Return the sparsity pattern of the Jacobian of `f` at `x`, found from the code.

    Args:
        f: a function of one array, returning an array, written with NumPy.
        x: the point (its shape and dtype; the pattern holds wherever `f` takes
            the same Python branches).

    Returns:
        A ``scipy.sparse.csr_matrix`` of booleans, shape ``(f(x).size, x.size)``:
        True where an output element may depend on an input element.

    Example:
        >>> import numpy as np, dfdx
        >>> P = dfdx.sparsity(lambda x: x[1:] * x[:-1], np.ones(4))
        >>> P.toarray().astype(int)
        array([[1, 1, 0, 0],
               [0, 1, 1, 0],
               [0, 0, 1, 1]])
    """
    out, x = _run(f, x, second=False)
    if isinstance(out, Pattern):
        return out.dep
    return sps.csr_matrix((int(np.size(out)), x.size), dtype=bool)   # does not depend on x


def _run(f, x, second):
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    tr = _Trace(x.size, second)
    hess = sps.csr_matrix((x.size, x.size * x.size), dtype=bool) if second else None
    return f(Pattern(x, sps.identity(x.size, dtype=bool, format="csr"), tr, hess)), x


def hessian_sparsity(f, x):
    """Return the sparsity pattern of the Hessian of a scalar `f` at `x`, found from the code.

    Each value carries, besides the inputs it depends on, the pairs of inputs
    its second derivatives couple: a nonlinear elementwise function couples all
    pairs of what its argument depends on, a product the pairs across its two
    factors, linear and piecewise-linear functions (sums, indexing, maximum,
    abs) none.

    Returns:
        A symmetric ``scipy.sparse.csr_matrix`` of booleans, shape ``(x.size, x.size)``.

    Example:
        >>> import numpy as np, dfdx
        >>> rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> dfdx.hessian_sparsity(rosen, np.zeros(4)).toarray().astype(int)
        array([[1, 1, 0, 0],
               [1, 1, 1, 0],
               [0, 1, 1, 1],
               [0, 0, 1, 1]])
    """
    out, x = _run(f, x, second=True)
    n = x.size
    if not isinstance(out, Pattern):
        return sps.csr_matrix((n, n), dtype=bool)
    if np.size(out.value) != 1:
        raise ValueError(f"hessian_sparsity needs a scalar function; f returned shape "
                         f"{np.shape(out.value)}")
    idx = out.hess[0].indices
    H = sps.csr_matrix((np.ones(idx.size, bool), (idx // n, idx % n)), shape=(n, n))
    return sps.csr_matrix(H + H.T, dtype=bool)


def sparse_hessian(f, x0):
    """Return a function x -> the Hessian of a scalar `f` at x as a ``scipy.sparse.csr_matrix``.

    The pattern (`hessian_sparsity`) and a star colouring of it (`colour_star`)
    are found once at `x0`; each call is one forward-over-reverse sweep with one
    tangent per colour. A star colouring uses the symmetry of the Hessian: each
    entry is read either from its own row or from its mirror image, so it needs
    far fewer colours than a column colouring where a few rows are dense (an
    arrowhead pattern takes 2 instead of n).

    Example:
        >>> import numpy as np, dfdx
        >>> rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> hess = dfdx.sparse_hessian(rosen, np.zeros(1000))
        >>> H = hess(np.ones(1000))
        >>> H.nnz, hess.colours
        (2998, 3)
    """
    from dfdx.api import grad
    return _compressed(grad(f), x0, hessian_sparsity(f, x0), symmetric=True)


def sparse_jacobian(f, x0):
    """Return a function x -> the Jacobian of `f` at x as a ``scipy.sparse.csr_matrix``.

    The pattern (`sparsity`) and the column colouring are computed once at
    `x0` and reused; each call makes one forward-mode sweep with one batched
    tangent per colour (``J S`` for the seed matrix S), then reads the entries
    of J back from it.

    Example:
        >>> import numpy as np, dfdx
        >>> jac = dfdx.sparse_jacobian(lambda x: x[1:] ** 2 - x[:-1], np.ones(5))
        >>> jac(np.arange(5.0)).toarray()
        array([[-1.,  2.,  0.,  0.,  0.],
               [ 0., -1.,  4.,  0.,  0.],
               [ 0.,  0., -1.,  6.,  0.],
               [ 0.,  0.,  0., -1.,  8.]])
    """
    return _compressed(f, x0, sparsity(f, np.asarray(x0, dtype=np.result_type(x0, 1.0))))


def _compressed(f, x0, pattern, symmetric=False):
    """x -> J(x) (CSR) for the Jacobian of `f` with this `pattern`, by coloured forward sweeps.

    With `symmetric` (J is a Hessian), a star colouring, and each entry read from
    its row or from its mirror image, whichever is alone in its colour class.
    """
    from dfdx.api import jacfwd        # why: the transforms import nothing of this module

    x0 = np.asarray(x0, dtype=np.result_type(x0, 1.0))
    P = pattern.tocoo()
    colour = colour_star(P) if symmetric else colour_columns(P)
    k = int(colour.max()) + 1 if colour.size else 0
    seeds = np.zeros((x0.size, k), dtype=x0.dtype)
    seeds[np.arange(x0.size), colour] = 1
    rows, cols = P.row, P.col
    m = P.shape[0]
    # where each entry stands in the compressed product: its own row, or (symmetric, when
    # another entry of its row has its column's colour) its mirror image
    at_row, at_col = rows, colour[cols]
    if symmetric and k:
        _, where, count = np.unique(rows * k + colour[cols], return_inverse=True,
                                    return_counts=True)
        alone = count[where] == 1
        at_row, at_col = np.where(alone, rows, cols), np.where(alone, colour[cols], colour[rows])

    def jacobian(x):
        x = np.asarray(x, dtype=x0.dtype)
        if x.shape != x0.shape:
            raise ValueError(f"x has shape {x.shape}, the pattern was found for shape "
                             f"{x0.shape}; make a new one for this shape")
        if k == 0:
            return sps.csr_matrix((m, x.size), dtype=x.dtype)
        flat = x.reshape(-1)
        compressed = jacfwd(lambda c: np.reshape(f((flat + seeds @ c).reshape(x.shape)), -1))(
            np.zeros(k, dtype=x.dtype))
        vals = np.asarray(compressed).reshape(m, k)[at_row, at_col]
        return sps.csr_matrix((vals, (rows, cols)), shape=(m, x.size))

    jacobian.pattern, jacobian.colours = P.tocsr(), k
    return jacobian
