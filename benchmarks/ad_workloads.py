"""AD benchmarks: the workloads W1-W6, each a list of rows with one case per backend."""

from __future__ import annotations


import time

import benchmarks  # noqa: F401  -- pins threads before NumPy loads
import numpy as np

from benchmarks.ad_backends import Case, Row, VerificationError


# --------------------------------------------------------------- dfdx.jit --
def jit_case(P, fn, make_args, check=None, note="", dtype=None):
    """A "dfdx jit" case: ``dfdx.jit(fn)`` called on ``make_args()``, compiled here, not timed.

    The first call (record, optimise, generate the source) is timed once, apart:
    `Case.compile_s`. The harness then checks the compiled code's result (or
    ``check()``) against the row's float64 reference before timing it. Returns
    None when the "dfdx.jit" column is not wanted.
    """
    if "dfdx.jit" not in P.wanted:
        return None
    import dfdx
    jf = dfdx.jit(fn)
    args = make_args()
    t0 = time.perf_counter()
    try:
        jf(*args)
    except Exception as exc:                # noqa: BLE001 -- the cell reports it
        def failed(exc=exc):
            raise exc
        return Case("dfdx.jit", failed, note=note)
    compile_s = time.perf_counter() - t0
    return Case("dfdx.jit", lambda: jf(*make_args()), check=check, note=note, dtype=dtype,
                compile_s=compile_s)


def _add(row, case):
    if case is not None:
        row.cases.append(case)


# ------------------------------------------------------------- workloads --
def w1_fun(xp):
    """sum(sin(x)*exp(-x**2) + tanh(x)) written against the namespace `xp`."""
    def f(x):
        return xp.sum(xp.sin(x) * xp.exp(-x**2) + xp.tanh(x))
    return f


def w1_reference(x):
    e = np.exp(-x**2)
    value = np.sum(np.sin(x) * e + np.tanh(x))
    grad = np.cos(x) * e - 2 * x * np.sin(x) * e + 1 - np.tanh(x)**2
    return value, grad


def w1_by_hand(x):
    """W1's value and gradient written out by hand in NumPy: what any NumPy engine must run."""
    s, e, t = np.sin(x), np.exp(-x**2), np.tanh(x)
    return np.sum(s * e + t), (np.cos(x) - 2 * x * s) * e + (1 - t * t)


def w1_rows(P, sizes):
    import dfdx
    rows = []
    for n in sizes:
        x = np.random.default_rng(1).uniform(-2, 2, n)
        row = Row(f"W1 n={_exp(n)}", "value and gradient of sum(sin(x)·exp(−x²) + tanh(x))",
                  w1_reference(x))
        f = w1_fun(np)
        vg = dfdx.value_and_grad(f)
        row.cases.append(Case("dfdx", lambda vg=vg, x=x: vg(x)))
        _add(row, jit_case(P, vg, lambda x=x: (x,)))
        row.cases.append(Case("numpy", lambda f=f, x=x: f(x), check=False,
                              note="forward only (the bound)"))
        row.cases.append(Case("numpy.vg", lambda x=x: w1_by_hand(x),
                              note="value and gradient written out by hand"))
        if P.torch is not None:
            torch = P.torch
            ft = w1_fun(torch)
            xt = torch.from_numpy(x.copy()).requires_grad_()

            def torch_vg(ft=ft, xt=xt):
                y = ft(xt)
                g, = torch.autograd.grad(y, xt)
                return y, g
            row.cases.append(Case("torch", torch_vg))
            xf = torch.from_numpy(x.copy())
            gv = torch.func.grad_and_value(ft)
            row.cases.append(Case("torch.func", lambda gv=gv, xf=xf: gv(xf)[::-1]))
        if P.autograd is not None:
            avg = P.autograd.value_and_grad(w1_fun(P.anp))
            row.cases.append(Case("autograd", lambda avg=avg, x=x: avg(x)))
        if P.jax is not None:
            jax = P.jax
            xj = jax.device_put(x)
            jvg = jax.value_and_grad(w1_fun(P.jnp))
            row.cases.append(Case("jax", lambda jvg=jvg, xj=xj: jax.block_until_ready(jvg(xj))))
            jjvg = jax.jit(jvg)
            row.cases.append(Case("jax.jit",
                                  lambda jjvg=jjvg, xj=xj: jax.block_until_ready(jjvg(xj))))
        rows.append(row)
    return rows


def _exp(n):
    return {10: "10", 1000: "10³", 10**4: "10⁴", 10**6: "10⁶"}.get(n, str(n))


# W2: MLP 64-256-256-10, tanh then relu, log-softmax cross-entropy, SGD.
W2_SIZES = (64, 256, 256, 10)
W2_BATCH = 128
W2_LR = 0.01


def w2_data(dtype):
    rng = np.random.default_rng(2)
    params = []
    for fan_in, fan_out in zip(W2_SIZES[:-1], W2_SIZES[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype))
        params.append((0.1 * rng.standard_normal(fan_out)).astype(dtype))
    x = rng.standard_normal((W2_BATCH, W2_SIZES[0])).astype(dtype)
    labels = rng.integers(0, W2_SIZES[-1], W2_BATCH)
    onehot = np.eye(W2_SIZES[-1], dtype=dtype)[labels]
    return params, x, labels, onehot


def mlp_loss(xp):
    """The W2 loss, written once against the NumPy-like namespace `xp`."""
    def loss(params, x, onehot):
        w1, b1, w2, b2, w3, b3 = params
        h1 = xp.tanh(x @ w1 + b1)
        h2 = xp.maximum(h1 @ w2 + b2, 0)
        z = h2 @ w3 + b3
        z = z - xp.max(z, axis=1, keepdims=True)
        logp = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
        return -xp.sum(onehot * logp) / x.shape[0]
    return loss


def numpy_step(params, x, onehot, lr=W2_LR, return_grads=False):
    """The hand-written NumPy training step: forward, backward, SGD update."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    a2 = h1 @ w2 + b2
    h2 = np.maximum(a2, 0)
    z = h2 @ w3 + b3
    z = z - z.max(axis=1, keepdims=True)
    ez = np.exp(z)
    s = ez.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.sum(onehot * (z - np.log(s))) / n
    dz = (ez / s - onehot) / n
    dw3 = h2.T @ dz
    db3 = dz.sum(axis=0)
    dh2 = dz @ w3.T
    da2 = dh2 * (a2 > 0)
    dw2 = h1.T @ da2
    db2 = da2.sum(axis=0)
    dh1 = da2 @ w2.T
    da1 = dh1 * (1 - h1 * h1)
    dw1 = x.T @ da1
    db1 = da1.sum(axis=0)
    grads = (dw1, db1, dw2, db2, dw3, db3)
    if return_grads:
        return loss, grads
    return loss, [p - lr * g for p, g in zip(params, grads)]


class audit_cotangent_dtypes:
    """Record every dfdx VJP whose cotangent leaves `dtype` (context manager, first order).

    Wraps the VJP rules of every registered primitive while active; `leaks`
    lists ``"numpy.max (argument 0): float32 -> float64"`` for each rule that
    took a `dtype` cotangent and returned another dtype.
    """

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.leaks = []
        self._saved = []

    def __enter__(self):
        from dfdx._core import engine
        from dfdx._numpy.registry import FUNCTIONS, UFUNCS
        prims = {id(p): p for p in (*UFUNCS.values(), *FUNCTIONS.values())
                 if isinstance(p, engine.Primitive)}
        for p in prims.values():
            self._saved.append((p, p.vjps, p.vjp_all))
            p.vjps = tuple(self._wrap(v, p.name, i) if callable(v) else v
                           for i, v in enumerate(p.vjps))
            if p.vjp_all is not None:
                p.vjp_all = self._wrap(p.vjp_all, p.name, "all")
        return self

    def __exit__(self, *exc):
        for p, vjps, vjp_all in self._saved:
            p.vjps, p.vjp_all = vjps, vjp_all
        self._saved = []
        return False

    def _wrap(self, rule, name, i):
        def audited(g, *args, **kwargs):
            ct = rule(g, *args, **kwargs)
            gd = np.result_type(g) if g is not None else None
            for c in (ct if isinstance(ct, tuple) else (ct,)):
                if c is None or gd != self.dtype:
                    continue
                cd = np.result_type(c)
                if cd != self.dtype:
                    msg = f"{name} (argument {i}): {gd} -> {cd}"
                    if msg not in self.leaks:
                        self.leaks.append(msg)
            return ct
        return audited


def w2_rows(P, dtypes):
    import dfdx
    rows = []
    params64, x64, labels, onehot64 = w2_data(np.float64)
    loss64, grads64 = numpy_step(params64, x64, onehot64, return_grads=True)
    for dtype in dtypes:
        params, x, _, onehot = w2_data(dtype)
        name = np.dtype(dtype).name
        rtol = 1e-9 if dtype == np.float64 else 2e-4
        row = Row(f"W2 {name}", f"MLP 64-256-256-10 SGD step, batch 128, {name}",
                  (loss64, *grads64), rtol=rtol)
        loss = mlp_loss(np)
        vg = dfdx.value_and_grad(loss)

        def dfdx_step(vg=vg, params=params, x=x, onehot=onehot):
            value, g = vg(params, x, onehot)
            return value, [p - W2_LR * gi for p, gi in zip(params, g)]

        dfdx_case = Case("dfdx", dfdx_step, dtype=dtype)

        def dfdx_check(vg=vg, params=params, x=x, onehot=onehot, dtype=dtype, name=name,
                       dfdx_step=dfdx_step, dfdx_case=dfdx_case):
            with audit_cotangent_dtypes(dtype) as audit:
                value, g = vg(params, x, onehot)
            if audit.leaks:
                dfdx_case.flags.append(f"dfdx W2 {name}: cotangents leave {name} inside the "
                                       "backward sweep (the result is cast back at the end): "
                                       + "; ".join(audit.leaks))
            new = dfdx_step()[1]
            bad = [a.dtype for a in (*g, *new) if a.dtype != dtype]
            if bad or np.result_type(value) != dtype:
                raise VerificationError(f"dfdx W2 {name}: the step did not stay {name} "
                                        f"(value {np.result_type(value)}, arrays {bad}).")
            return (value, *g)
        dfdx_case.check = dfdx_check
        row.cases.append(dfdx_case)
        _add(row, _w2_jit(P, vg, params, x, onehot, dtype))
        row.cases.append(Case("numpy", lambda params=params, x=x, onehot=onehot:
                              numpy_step(params, x, onehot),
                              lambda params=params, x=x, onehot=onehot: _flat_step(
                                  numpy_step(params, x, onehot, return_grads=True)),
                              note="hand-written forward+backward", dtype=dtype))
        if P.torch is not None:
            row.cases += _w2_torch(P.torch, params, x, labels)
        if P.autograd is not None:
            avg = P.autograd.value_and_grad(mlp_loss(P.anp))

            def ag_step(avg=avg, params=params, x=x, onehot=onehot):
                value, g = avg(params, x, onehot)
                return value, [p - W2_LR * gi for p, gi in zip(params, g)]
            row.cases.append(Case("autograd", ag_step,
                                  lambda avg=avg, params=params, x=x, onehot=onehot:
                                  _flat_step(avg(params, x, onehot))))
        if P.jax is not None:
            row.cases += _w2_jax(P.jax, P.jnp, params, x, onehot)
        rows.append(row)
    return rows


def _w2_jit(P, vg, params, x, onehot, dtype):
    """The whole step (value, gradient, SGD update) under dfdx.jit, as JAX jit runs it."""
    import dfdx

    def step(ps, xb, yb):
        value, g = vg(ps, xb, yb)
        return value, [p - W2_LR * gi for p, gi in zip(ps, g)]

    jvg = dfdx.jit(vg)
    holder = []

    def check():
        # why: the gradients come from the jitted value_and_grad; the jitted step's update
        # must agree with them, so the timed code is checked too
        value, g = jvg(params, x, onehot)
        new = holder[0]()[1]
        for p, gi, n in zip(params, g, new):
            want = p.astype(np.float64) - W2_LR * gi.astype(np.float64)
            err = np.linalg.norm(n - want) / max(np.linalg.norm(W2_LR * gi), 1e-300)
            if n.dtype != dtype or not err <= (1e-9 if dtype == np.float64 else 1e-2):
                raise VerificationError(f"dfdx.jit W2 {np.dtype(dtype).name}: the compiled step's "
                                        f"update is off by {err:.3g} (dtype {n.dtype}).")
        return (value, *g)
    case = jit_case(P, step, lambda: (params, x, onehot), check=check, dtype=dtype,
                    note="the whole step jitted")
    if case is not None:
        holder.append(case.fn)
    return case


def _flat_step(value_grads):
    value, g = value_grads
    return (value, *g)


def _w2_torch(torch, params, x, labels):
    F = torch.nn.functional
    tp = [torch.from_numpy(p.copy()).requires_grad_() for p in params]
    tx = torch.from_numpy(x)
    ty = torch.from_numpy(labels)

    def forward(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h1 = torch.tanh(tx @ w1 + b1)
        h2 = torch.relu(h1 @ w2 + b2)
        return F.cross_entropy(h2 @ w3 + b3, ty)

    def step():
        loss = forward(tp)
        loss.backward()
        with torch.no_grad():
            for p in tp:
                p -= W2_LR * p.grad
                p.grad = None
        return loss

    def check():
        fresh = [torch.from_numpy(p.copy()).requires_grad_() for p in params]
        loss = forward(fresh)
        gs = torch.autograd.grad(loss, fresh)
        return (loss, *gs)

    vg = torch.func.grad_and_value(forward)
    fp = [torch.from_numpy(p.copy()) for p in params]

    def func_step():
        g, loss = vg(fp)
        return loss, [p - W2_LR * gi for p, gi in zip(fp, g)]

    def func_check():
        g, loss = vg(fp)
        return (loss, *g)

    dtype = params[0].dtype
    return [Case("torch", step, check, note="in-place SGD, F.cross_entropy", dtype=dtype),
            Case("torch.func", func_step, func_check, dtype=dtype)]


def _w2_jax(jax, jnp, params, x, onehot):
    jp = [jax.device_put(p) for p in params]
    jx, jy = jax.device_put(x), jax.device_put(onehot)
    vg = jax.value_and_grad(mlp_loss(jnp))

    def step(vg=vg):
        value, g = vg(jp, jx, jy)
        return jax.block_until_ready((value, [p - W2_LR * gi for p, gi in zip(jp, g)]))

    def check(vg=vg):
        value, g = vg(jp, jx, jy)
        return (value, *g)

    @jax.jit
    def jstep(ps, xb, yb):
        value, g = vg(ps, xb, yb)
        return value, [p - W2_LR * gi for p, gi in zip(ps, g)]

    dtype = params[0].dtype
    return [Case("jax", step, check, dtype=dtype),
            Case("jax.jit", lambda: jax.block_until_ready(jstep(jp, jx, jy)), check,
                 dtype=dtype)]


def rosenbrock(x):
    """The Rosenbrock function; the same text works for NumPy, torch, JAX and autograd."""
    return (100 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2).sum()


def rosen_hessian_parts(x):
    """Diagonal and off-diagonal of Rosenbrock's tridiagonal Hessian (hand-derived)."""
    diag = np.zeros_like(x)
    diag[:-1] += 1200 * x[:-1]**2 - 400 * x[1:] + 2
    diag[1:] += 200
    off = -400 * x[:-1]
    return diag, off


def w3_rows(P, sizes):
    import dfdx
    rows = []
    for n in sizes:
        x = np.random.default_rng(3).uniform(-1.5, 1.5, n)
        diag, off = rosen_hessian_parts(x)
        ref = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
        row = Row(f"W3 n={n}", "dense Hessian of Rosenbrock", (ref,))
        h = dfdx.hessian(rosenbrock)
        row.cases.append(Case("dfdx", lambda h=h, x=x: h(x)))
        _add(row, jit_case(P, h, lambda x=x: (x,)))
        if P.torch is not None:
            torch = P.torch
            xt = torch.from_numpy(x.copy())
            row.cases.append(Case("torch", lambda xt=xt: torch.autograd.functional.hessian(
                rosenbrock, xt), note="torch.autograd.functional.hessian"))
            th = torch.func.hessian(rosenbrock)
            row.cases.append(Case("torch.func", lambda th=th, xt=xt: th(xt)))
        if P.autograd is not None:
            ah = P.autograd.hessian(rosenbrock)
            row.cases.append(Case("autograd", lambda ah=ah, x=x: ah(x)))
        if P.jax is not None:
            row.cases += _jax_pair(P.jax, P.jax.hessian(rosenbrock), (P.jax.device_put(x),))
        rows.append(row)
    return rows


def _jax_pair(jax, fn, args):
    """An eager JAX case and its jit'd reference."""
    jf = jax.jit(fn)
    return [Case("jax", lambda: jax.block_until_ready(fn(*args))),
            Case("jax.jit", lambda: jax.block_until_ready(jf(*args)))]


def w4_poly(x):
    return 2 * x**2 + 3 * x + 1


def w4_rows(P):
    import dfdx
    rows = []
    d1, d2 = dfdx.grad(w4_poly), dfdx.grad(dfdx.grad(w4_poly))
    for order, ref, dfn in ((1, 7.0, d1), (2, 4.0, d2)):
        prime = "′" * order
        row = Row(f"W4 f{prime}", f"f{prime}(1) of 2x²+3x+1, from the Python float 1.0",
                  (np.float64(ref),))
        row.cases.append(Case("dfdx", lambda dfn=dfn: dfn(1.0),
                              note="grad" if order == 1 else "grad(grad)"))
        # why: a Python float is compiled in by value (NEP 50 weak typing), which would fold
        # the whole derivative into a constant: the point is passed as a 0-d array instead
        _add(row, jit_case(P, dfn, lambda: (np.asarray(1.0),),
                           note="from np.asarray(1.0), built in the call"))
        if P.torch is not None:
            row.cases += _w4_torch(P.torch, order)
        if P.autograd is not None:
            g = P.autograd.grad(w4_poly)
            if order == 2:
                g = P.autograd.grad(g)
            row.cases.append(Case("autograd", lambda g=g: g(1.0)))
        if P.jax is not None:
            jax = P.jax
            g = jax.grad(w4_poly)
            if order == 2:
                g = jax.grad(g)
            row.cases += _jax_pair(jax, g, (1.0,))
        rows.append(row)
        drow = Row(f"W4 f{prime} derivative", f"dfdx.derivative(f, n={order})(1.0) "
                   "(forward mode)", (np.float64(ref),))
        dn = dfdx.derivative(w4_poly, n=order)
        drow.cases.append(Case("dfdx", lambda dn=dn: dn(1.0), note=f"derivative(n={order})"))
        _add(drow, jit_case(P, dn, lambda: (np.asarray(1.0),),
                            note="from np.asarray(1.0), built in the call"))
        rows.append(drow)
    return rows


def _w4_torch(torch, order):
    def eager():
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        y = w4_poly(x)
        g, = torch.autograd.grad(y, x, create_graph=order > 1)
        if order > 1:
            g, = torch.autograd.grad(g, x)
        return g
    g = torch.func.grad(w4_poly)
    if order > 1:
        g = torch.func.grad(g)
    return [Case("torch", eager),
            Case("torch.func", lambda: g(torch.tensor(1.0, dtype=torch.float64)))]


def w5_rows(P, n=10**4):
    import dfdx
    rng = np.random.default_rng(5)
    x = rng.uniform(-1.5, 1.5, n)
    v = rng.standard_normal(n)
    diag, off = rosen_hessian_parts(x)
    ref = diag * v
    ref[:-1] += off * v[1:]
    ref[1:] += off * v[:-1]
    row = Row(f"W5 n={_exp(n)}", "Hessian-vector product of Rosenbrock", (ref,))
    row.cases.append(Case("dfdx", lambda: dfdx.hvp(rosenbrock, (x,), (v,)), note="hvp"))
    _add(row, jit_case(P, lambda x, v: dfdx.hvp(rosenbrock, (x,), (v,)), lambda: (x, v)))
    if P.torch is not None:
        torch = P.torch
        xt, vt = torch.from_numpy(x.copy()), torch.from_numpy(v.copy())

        def eager():
            xx = xt.detach().requires_grad_()
            g, = torch.autograd.grad(rosenbrock(xx), xx, create_graph=True)
            hv, = torch.autograd.grad(g, xx, vt)
            return hv
        tg = torch.func.grad(rosenbrock)
        row.cases.append(Case("torch", eager, note="double backward"))
        row.cases.append(Case("torch.func", lambda: torch.func.jvp(tg, (xt,), (vt,))[1],
                              note="jvp(grad)"))
    if P.autograd is not None:
        ahvp = P.autograd.hessian_vector_product(rosenbrock)
        row.cases.append(Case("autograd", lambda: ahvp(x, v)))
    if P.jax is not None:
        jax = P.jax
        jg = jax.grad(rosenbrock)
        xj, vj = jax.device_put(x), jax.device_put(v)
        row.cases += _jax_pair(jax, lambda a, b: jax.jvp(jg, (a,), (b,))[1], (xj, vj))
    return [row]


def w6_fun(xp, A):
    def f(x):
        return xp.tanh(A @ x)
    return f


def w6_rows(P, m=200):
    import dfdx
    rng = np.random.default_rng(6)
    A = rng.standard_normal((m, m)) / np.sqrt(m)
    x = rng.standard_normal(m)
    ref = (1 - np.tanh(A @ x)**2)[:, None] * A
    f = w6_fun(np, A)
    rows = []
    modes = (("auto", dfdx.jacobian), ("rev", dfdx.jacrev), ("fwd", dfdx.jacfwd))
    for mode, maker in modes:
        row = Row(f"W6 {mode}", f"Jacobian of tanh(A @ x), A {m}×{m}, mode {mode}", (ref,))
        jf = maker(f)
        row.cases.append(Case("dfdx", lambda jf=jf: jf(x),
                              note={"auto": "jacobian", "rev": "jacrev", "fwd": "jacfwd"}[mode]))
        _add(row, jit_case(P, jf, lambda x=x: (x,)))
        if P.torch is not None:
            torch = P.torch
            At, xt = torch.from_numpy(A.copy()), torch.from_numpy(x.copy())
            ft = w6_fun(torch, At)
            if mode == "auto":
                row.cases.append(Case("torch", lambda ft=ft, xt=xt:
                                      torch.autograd.functional.jacobian(ft, xt),
                                      note="torch.autograd.functional.jacobian"))
            else:
                tj = (torch.func.jacrev if mode == "rev" else torch.func.jacfwd)(ft)
                row.cases.append(Case("torch.func", lambda tj=tj, xt=xt: tj(xt)))
        if P.autograd is not None and mode != "fwd":
            aj = P.autograd.jacobian(w6_fun(P.anp, A))
            row.cases.append(Case("autograd", lambda aj=aj: aj(x),
                                  note="autograd.jacobian (reverse)"))
        if P.jax is not None and mode != "auto":
            jax = P.jax
            fj = w6_fun(P.jnp, jax.device_put(A))
            jj = (jax.jacrev if mode == "rev" else jax.jacfwd)(fj)
            row.cases += _jax_pair(jax, jj, (jax.device_put(x),))
        rows.append(row)
    return rows


def auto_mode_choice():
    """Which mode ``dfdx.jacobian(mode="auto")`` picks for a wide and a tall Jacobian.

    Returns ``{"R^2 -> R^50": "fwd", "R^50 -> R^2": "rev"}`` (or "?" when the
    choice cannot be observed): the two routes of "auto" in `dfdx.api`, the
    forward and the reverse Jacobian of its one recorded pass, are watched while it runs.
    """
    import dfdx
    from dfdx import api
    A = np.random.default_rng(7).standard_normal((50, 2))
    cases = {"R^2 -> R^50": (lambda x: np.tanh(A @ x), np.ones(2)),
             "R^50 -> R^2": (lambda x: np.tanh(A.T @ x), np.ones(50))}
    out = {}
    saved = api._jacfwd_of, api._jacrev_of
    for label, (f, x) in cases.items():
        seen = []

        def spy(real, name):
            def make(*a, **k):
                seen.append(name)
                return real(*a, **k)
            return make
        api._jacfwd_of, api._jacrev_of = spy(saved[0], "fwd"), spy(saved[1], "rev")
        try:
            dfdx.jacobian(f)(x)
        except Exception:                   # noqa: BLE001 -- reported as unknown
            seen = []
        finally:
            api._jacfwd_of, api._jacrev_of = saved
        out[label] = seen[0] if len(set(seen)) == 1 else "?"
    return out


WORKLOADS = {
    "W1": lambda P, quick: w1_rows(P, (10, 1000, 10**6)),
    "W2": lambda P, quick: w2_rows(P, (np.float64, np.float32)),
    "W3": lambda P, quick: w3_rows(P, (10, 100)),
    "W4": lambda P, quick: w4_rows(P),
    "W5": lambda P, quick: w5_rows(P),
    "W6": lambda P, quick: w6_rows(P),
}
