"""Optional numba fusion of a whole elementwise graph (``dfdx.jit(f, fuse=True)``).

A graph fuses when every node is an elementwise ufunc on arrays of one shape
(or 0-d arrays and Python numbers), a full sum of such an array, or ``all`` /
``any`` of one; its guards are truth tests. It then becomes one ``numba.njit``
loop over the elements: one pass, no temporaries, one call -- for arrays of at most `MAX_SIZE`
elements; larger ones keep the NumPy code. Measured
(benchmarks/RESULTS-jit-fusion.md): W1 n=10 value and gradient 4.4x faster
than the generated NumPy code; for large arrays numba's transcendentals (libm,
one element at a time) lose to NumPy's SIMD loops, so `fuse` is opt-in, and a
graph that does not fuse keeps its NumPy code. numba is imported only here.
"""

from __future__ import annotations

import itertools
import linecache

import numpy as np

from dfdx._jit.codegen import Compiled
from dfdx._jit.graph import Graph, Ref

__all__ = ["fuse", "import_numba"]

_COUNTER = itertools.count()

#: Most elements a fused loop runs over. Measured (W1 value and gradient, one thread): the
#: fused loop is 3.4x the NumPy code at 10 elements, 2.1x at 100, 1.4x at 300, 0.95x at
#: 1000, 0.76x at 10^4 (NumPy's SIMD sin/exp/tanh win once its ~0.4 us a call is amortised).
MAX_SIZE = 512

#: ufunc -> how a scalar body line computes it (numba compiles NumPy's ufuncs on scalars).
_UNARY = {np.sin, np.cos, np.tan, np.exp, np.expm1, np.log, np.log1p, np.tanh, np.sinh,
          np.cosh, np.sqrt, np.square, np.negative, np.abs, np.absolute, np.isfinite,
          np.arctan, np.reciprocal, np.sign}
_BINARY = {np.add: "+", np.subtract: "-", np.multiply: "*", np.divide: "/",
           np.true_divide: "/", np.equal: "==", np.greater: ">", np.less: "<",
           np.greater_equal: ">=", np.less_equal: "<=", np.not_equal: "!="}
_BINARY_FN = {np.maximum, np.minimum, np.power}
_REDUCE = {np.sum: "+", np.add.reduce: "+"}
_LOGICAL = {np.all: "and", np.any: "or"}


def import_numba():
    """numba, or an ImportError that says how to get it."""
    try:
        import numba
    except ImportError as exc:
        raise ImportError("dfdx.jit(fuse=True) needs numba, an optional extra: "
                          'pip install "dfdx[jit]"') from exc
    return numba


def fuse(graph: Graph, name: str = "f"):
    """A `Compiled` running `graph` as one numba loop, or None when it does not fuse."""
    vars_ = graph.vars
    plan = _plan(graph)
    if plan is None:
        return None
    numba = import_numba()
    source, args, post = plan
    filename = f"<dfdx.jit fused {name} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)   # noqa: S102 - our own generated source
    # why: error_model "numpy": 1/0 gives inf as in NumPy, not a ZeroDivisionError
    kernel = numba.njit(cache=False, error_model="numpy")(namespace["kernel"])
    full = [vars_[i].shape != () for i in graph.inputs]
    return Compiled(_caller(kernel, args, post, full), source)


def _caller(kernel, args, post, full):
    """The function the jitted call runs: inputs -> the outputs (a list), None if a guard fails."""
    consts = [a for kind, a in args if kind == "const"]

    if all(full) and post.flat:
        # why: one-dimensional inputs and outputs (W1) need no reshaping: ~2 us less a call
        def fused(*inputs):
            res = kernel(*inputs, *consts)
            if not res[0]:
                return None
            return [t(v) for t, v in zip(post.types, res[1:])]
        return fused

    def fused(*inputs):
        res = kernel(*[x.reshape(-1) if f else x[()] for x, f in zip(inputs, full)], *consts)
        if not res[0]:
            return None
        return post(res)
    return fused


def _plan(graph):
    vars_ = graph.vars
    shape = None
    for i in graph.inputs:
        v = vars_[i]
        if v.shape is None or v.dtype is None or v.dtype.kind not in "fb":
            return None
        if v.shape != ():
            if shape is not None and v.shape != shape:
                return None
            shape = v.shape
    if not shape or int(np.prod(shape)) > MAX_SIZE:
        return None
    names, args, lines, reduce_init, reduce_vars = {}, [], [], [], {}
    for pos, i in enumerate(graph.inputs):
        nm = f"x{pos}"
        args.append(("input", pos))
        names[i] = f"{nm}[i]" if vars_[i].shape == shape else nm
    k_const = 0

    def arg(a, dtype):
        nonlocal k_const
        if isinstance(a, Ref):
            v = vars_[a.id]
            if a.id in names:
                return names[a.id]
            if v.kind == "const" and isinstance(v.value, (np.ndarray, np.generic)):
                val = np.asarray(v.value)
                if val.shape == ():
                    nm = f"c{k_const}"
                    k_const += 1
                    args.append(("const", val.dtype.type(val[()])))
                    names[a.id] = nm
                    return nm
                if val.shape == shape:
                    nm = f"c{k_const}"
                    k_const += 1
                    args.append(("const", np.ascontiguousarray(val).reshape(-1)))
                    names[a.id] = f"{nm}[i]"
                    return names[a.id]
            raise _NoFusion
        if isinstance(a, (bool, int, float)) and not isinstance(a, np.ndarray):
            nm = f"c{k_const}"
            k_const += 1
            args.append(("const", np.dtype(dtype).type(a)))
            return nm
        raise _NoFusion

    def operand_dtype(node):
        for a in node.args:
            if isinstance(a, Ref) and vars_[a.id].dtype is not None:
                return vars_[a.id].dtype
        return vars_[node.outs[0]].dtype

    loop_vars = set()
    try:
        for node in graph.nodes:
            if node.multi or len(node.outs) != 1:
                raise _NoFusion
            out = vars_[node.outs[0]]
            o = f"v{out.id}"
            fn = node.fn
            if fn in _REDUCE or fn in _LOGICAL:
                if len(node.args) != 1 or not isinstance(node.args[0], Ref) or \
                        vars_[node.args[0].id].shape != shape or out.shape != () or \
                        node.kwargs.get("axis", None) is not None or node.kwargs.get("keepdims") \
                        or set(node.kwargs) - {"axis", "keepdims"}:
                    raise _NoFusion
                x = arg(node.args[0], out.dtype)
                if fn in _REDUCE:
                    if out.dtype.kind != "f":
                        raise _NoFusion
                    # why: float32 sums accumulate in float64 (a sequential sum, not pairwise)
                    acc = "float64" if out.dtype.itemsize < 8 else out.dtype.name
                    reduce_init.append(f"    {o} = np.{acc}(0)")
                    lines.append(f"        {o} += {x}")
                else:
                    init = "True" if fn is np.all else "False"
                    reduce_init.append(f"    {o} = {init}")
                    lines.append(f"        {o} = {o} {_LOGICAL[fn]} bool({x})")
                reduce_vars[out.id] = o
                continue
            if node.kwargs or out.shape != shape or out.dtype.kind not in "fb":
                raise _NoFusion
            dt = operand_dtype(node)
            if fn in _UNARY and len(node.args) == 1:
                expr = f"np.{fn.__name__}({arg(node.args[0], dt)})"
            elif fn in _BINARY and len(node.args) == 2:
                expr = f"{arg(node.args[0], dt)} {_BINARY[fn]} {arg(node.args[1], dt)}"
            elif fn in _BINARY_FN and len(node.args) == 2:
                expr = f"np.{fn.__name__}({arg(node.args[0], dt)}, {arg(node.args[1], dt)})"
            else:
                raise _NoFusion
            lines.append(f"        {o} = {expr}")
            names[out.id] = o
            loop_vars.add(out.id)
    except _NoFusion:
        return None
    # guards: truth tests on reduced values only
    checks = []
    for r, kind, want in graph.guards:
        if kind != "bool" or r.id not in reduce_vars:
            return None
        checks.append(f"({reduce_vars[r.id]}) if {bool(want)} else (not {reduce_vars[r.id]})")
    outputs, post_kinds = [], []
    out_arrays = []
    for o in graph.outputs:
        if not isinstance(o, Ref):
            return None
        if o.id in reduce_vars:
            outputs.append(reduce_vars[o.id])
            post_kinds.append(("scalar", vars_[o.id].dtype))
        elif o.id in loop_vars:
            buf = f"out{len(out_arrays)}"
            out_arrays.append((buf, o.id))
            outputs.append(buf)
            post_kinds.append(("array", None))
        else:
            return None
    n_in = len(graph.inputs)
    params = [f"x{p}" for p in range(n_in)] + [f"c{k}" for k in range(k_const)]
    src = [f"def kernel({', '.join(params)}):"]
    ref_in = next(f"x{p}" for p, i in enumerate(graph.inputs) if vars_[i].shape == shape)
    for buf, i in out_arrays:
        src.append(f"    {buf} = np.empty({ref_in}.size, np.{vars_[i].dtype.name})")
    src += reduce_init
    src.append(f"    for i in range({ref_in}.size):")
    src += lines or ["        pass"]
    for buf, i in out_arrays:
        src.append(f"        {buf}[i] = v{i}")
    ok = " and ".join(checks) if checks else "True"
    src.append(f"    return ({ok}, {', '.join(outputs)},)")
    source = "\n".join(src) + "\n"

    def post(res):
        return [dt.type(val) if kind == "scalar" else val.reshape(shape)
                for (kind, dt), val in zip(post_kinds, res[1:])]
    post.flat = len(shape) == 1
    post.types = [dt.type if kind == "scalar" else _same for kind, dt in post_kinds]
    # consts are passed in the order they were named (args holds inputs then consts)
    return source, args, post


def _same(a):
    return a


class _NoFusion(Exception):
    """The graph holds something the fused loop cannot run."""
