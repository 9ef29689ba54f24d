"""dfdx.jit: the compiled function equals the function, call after call, at other points too.

Plain NumPy code and the transforms under jit (jit(grad(f)), jit(hessian(f))):
every rules-table sample is compiled at its point and run at others (one of
them with the signs flipped, so masks, branches and the guards of rules that
look at values change); the answer equals eager dfdx's there, or jit refuses
by name -- never a value kept from the recording.
"""

import warnings

import numpy as np
import pytest

import dfdx
from dfdx import jit
from dfdx._numpy.registry import callable_name
from rule_samples import SAMPLES


def _same(got, want):
    gl, wl = dfdx.tree_leaves(got), dfdx.tree_leaves(want)
    assert len(gl) == len(wl)
    for a, b in zip(gl, wl):
        assert np.result_type(a) == np.result_type(b)
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0, equal_nan=True)


#: Rules-table samples that a compiled function cannot run, with the named error they get.
REFUSED = {
    "dfdx._numpy.box._getitem[boolean]": "x\\[mask\\]",   # the shape depends on the values
    "numpy.nonzero": "depends on the values",
    "numpy.flatnonzero": "depends on the values",
    "numpy.argwhere": "depends on the values",
    "numpy.unique": "depends on the values",
    "numpy.allclose": "returned a Python value",          # Python control flow, really
    "numpy.array_equal": "returned a Python value",
    # writes (dfdx.rules.writes) that jit does not compile, each refused by name: writes into
    # an array made in the function compile unless a view of it may be alive
    **dict.fromkeys([f"dfdx._numpy.box._setitem[{k}]" for k in (
        "slices, augmented", "loop, reads the array back", "same element twice")],
        "writing into an array .* is not compiled"),
    "dfdx._numpy.box._setitem[boolean mask]": "x\\[mask\\]",
    "dfdx._numpy.box._setitem[ufunc out=]": "out= at .* writes into an array",
    **dict.fromkeys(["numpy.copyto", "numpy.put", "numpy.put_along_axis",
                     "numpy.fill_diagonal"], "writes into its argument"),
}


#: np.zeros(n, like=x) of a jit value: NumPy hands the call to x without x among the
#: arguments (NEP 35), where jit's recording looks for it (a dfdx.jit fix, not there yet)
LIKE = dict.fromkeys(["numpy.zeros[like=]", "numpy.empty[like=]", "numpy.ones[like=]"],
                     "NEP 35 like= on a jit value: the recording is found from the arguments")


#: grad samples of np.piecewise whose rule mistakes a list of traced conditions for one
PIECEWISE_LISTS = {"numpy.piecewise[0]", "numpy.piecewise[constant, otherwise]"}

#: Samples whose function is itself a transform that jit cannot compile yet
TRANSFORMS = set()


def _value_params():
    out = []
    for key, samples in SAMPLES.items():
        for i, s in enumerate(samples):
            if s.xfail:
                continue
            name = callable_name(key)
            marks = [pytest.mark.xfail(strict=True, raises=TypeError,
                                       reason="a transform under jit: needs the engine hooks")
                     ] if name in TRANSFORMS else []
            pid = f"{name}[{s.label or i}]"
            if pid in LIKE:
                marks = [pytest.mark.xfail(strict=True, raises=IndexError, reason=LIKE[pid])]
            out.append(pytest.param(s, name, pid, id=pid, marks=marks))
    return out


@pytest.mark.parametrize("sample,name,pid", _value_params())
def test_every_rules_sample_compiles_to_the_same_value(sample, name, pid):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = sample.fn(*sample.args)
        f = jit(sample.fn)
        refused = REFUSED.get(name, REFUSED.get(pid))
        if "scipy" in name:
            # SciPy's own functions (dfdx.linalg, dfdx.signal) convert their inputs: the
            # primitive must hand a traced array to jit itself first (an engine hook, not there)
            try:
                f(*sample.args)
            except dfdx.TracerConversionError as e:
                assert "converting a traced array" in str(e)
                return
        if refused is not None:
            with pytest.raises((dfdx.TracerConversionError, dfdx.UnsupportedOperation),
                               match=refused):
                f(*sample.args)
            return
        _same(f(*sample.args), want)
        _same(f(*sample.args), want)        # the second call runs the cached code


def _grad_params():
    out = []
    for key, samples in SAMPLES.items():
        for i, s in enumerate(samples):
            floats = [j for j, a in enumerate(s.args)
                      if isinstance(a, np.ndarray) and a.dtype.kind in "fc"]
            if not s.xfail and floats:
                pid = f"{callable_name(key)}[{s.label or i}]"
                marks = [pytest.mark.xfail(strict=True, raises=IndexError, reason=(
                    "under jit the 0-d value is a NumPy scalar, which piecewise's rule "
                    "indexes with a mask"))] if pid == "numpy.piecewise[0-d]" else []
                if pid in PIECEWISE_LISTS:
                    marks = [pytest.mark.xfail(strict=True, raises=ValueError, reason=(
                        "piecewise's rule asks isinstance(condlist[0], np.ndarray), which a "
                        "traced condition is not, and nests the list once more"))]
                out.append(pytest.param(s, floats[0], id=pid, marks=marks))
    return out


def _scalar_loss(sample, i):
    """The sample as a real scalar function of its argument `i` (the others fixed)."""
    def loss(x):
        args = list(sample.args)
        args[i] = x
        return sum(np.sum(np.real(leaf) * 0.7) for leaf in dfdx.tree_leaves(sample.fn(*args)))
    return loss


@pytest.mark.parametrize("sample,i", _grad_params())
def test_grad_under_jit_is_right_at_other_points_or_refused_by_name(sample, i):
    x0 = sample.args[i]
    wobble = np.cos(np.arange(x0.size)).reshape(x0.shape)
    points = [(x0 * (1 + 0.01 * wobble) + 0.003).astype(x0.dtype), (-x0).astype(x0.dtype)]
    loss = _scalar_loss(sample, i)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = dfdx.jit(dfdx.grad(loss))
        try:
            g(x0)                               # compiled here
        except (dfdx.TracerConversionError, dfdx.UnsupportedOperation) as e:
            assert "dfdx.jit" in str(e), e      # a refusal names jit and the fix
            return
        except dfdx.DfdxError:
            return                              # eager refuses too (a named error)
        for x in points:
            try:
                want = dfdx.grad(loss)(x)
            except (dfdx.DfdxError, ValueError, FloatingPointError):
                continue
            try:
                got = g(x)
            except dfdx.DfdxError:
                continue                        # e.g. a run-time domain check
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_jit_of_transforms_compiles_the_derivative_sweeps():
    f = lambda x: np.sum(np.sin(x) * np.exp(-x ** 2) + np.tanh(x))     # noqa: E731
    x = np.linspace(-1, 1, 10)
    hvp = lambda f: lambda x: dfdx.hvp(f, (x,), (np.cos(x),))          # noqa: E731
    for t in (dfdx.grad, dfdx.value_and_grad, dfdx.hessian, dfdx.jacfwd, dfdx.jacrev,
              dfdx.jacobian, hvp):
        j = dfdx.jit(t(f))
        _same(j(x), t(f)(x))
        _same(j(x * 1.5 - 0.2), t(f)(x * 1.5 - 0.2))       # the compiled code, elsewhere
    _same(dfdx.jit(dfdx.derivative(np.sin, n=3))(x), dfdx.derivative(np.sin, n=3)(x))
    src = dfdx.jit(dfdx.grad(f)).source(x)
    assert "np.cos(x0" in src and "def " in src
    relu = lambda x: np.sum(np.where(x > 0, x, 0.1 * x) ** 2)           # noqa: E731
    g = dfdx.jit(dfdx.grad(relu))
    g(np.array([0.5, -1.0]))
    np.testing.assert_allclose(g(np.array([-0.5, 1.0])), dfdx.grad(relu)(np.array([-0.5, 1.0])))


def test_hessian_and_hvp_of_a_function_with_slices_compile():
    def rosen(x):                   # x[1:]: the reverse sweep writes into a zero array
        return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    x = np.linspace(-1.2, 1.1, 7)
    v = np.sin(np.arange(7.0))
    h = dfdx.jit(dfdx.hessian(rosen))
    hv = dfdx.jit(lambda x, v: dfdx.hvp(rosen, (x,), (v,)))
    for p in (x, -x + 0.3):
        np.testing.assert_allclose(h(p), dfdx.hessian(rosen)(p), rtol=1e-13)
        np.testing.assert_allclose(hv(p, v), dfdx.hvp(rosen, (p,), (v,)), rtol=1e-13)
    assert "] = " in hv.source(x, v)    # the write is made in place in the zero array


def test_a_value_that_a_rule_reads_is_guarded_and_each_case_compiled():
    # np.max's rule looks for ties (a faster path without): a guard, not an error
    loss = lambda x: np.sum(np.max(x, axis=1) ** 2)                      # noqa: E731
    g = dfdx.jit(dfdx.grad(loss))
    no_ties = np.array([[1.0, 3.0, 2.0], [0.5, -1.0, 0.0]])
    ties = np.array([[3.0, 3.0, 2.0], [0.5, -1.0, 0.5]])
    for x in (no_ties, ties, no_ties + 1, ties * 2):
        _same(g(x), dfdx.grad(loss)(x))
    key = next(iter(g.cache))
    assert len(g._plain[next(iter(g._plain))]) == 2 or len(g.cache[key]) == 2
    assert "return None" in g.source(no_ties)


def test_a_guard_that_keeps_failing_ends_in_eager_runs():
    from dfdx._jit import jitted
    loss = lambda x: np.sum(np.max(x, axis=0) ** 2)                      # noqa: E731
    g = dfdx.jit(dfdx.grad(loss))
    rng = np.random.default_rng(0)
    for k in range(jitted.MAX_VARIANTS + 3):
        x = rng.integers(0, 3, (3, 4)).astype(float)        # ties come and go
        _same(g(x), dfdx.grad(loss)(x))
    variants = next(iter(g._plain.values()))
    assert len(variants) <= jitted.MAX_VARIANTS


def test_new_shapes_and_dtypes_compile_again_and_values_do_not():
    calls = []

    def f(x):
        calls.append(1)
        return np.exp(x) * 2

    g = jit(f)
    for x in (np.ones(3), np.zeros(3), np.ones(4), np.ones(3, np.float32), np.arange(3.0)):
        _same(g(x), np.exp(x) * 2)
    assert len(calls) == 3                   # (3,) float64, (4,), (3,) float32


def test_python_numbers_are_compiled_in_and_keep_their_weak_type():
    g = jit(lambda x, s: x * s)
    x = np.ones(2, np.float32)
    out = g(x, 2.5)
    assert out.dtype == np.float32           # a Python float does not widen float32 (NEP 50)
    _same(g(x, 3.0), x * 3.0)


def test_pytrees_in_and_out():
    def f(params, x):
        h = np.tanh(x @ params["w"] + params["b"])
        return {"out": h, "norm": np.sum(h ** 2)}, [h[0]]

    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    x = rng.standard_normal((4, 3))
    _same(jit(f)(params, x), f(params, x))


def test_static_argnums():
    def f(x, n):
        for _ in range(n):                   # control flow on a static argument
            x = np.sin(x)
        return x

    g = jit(f, static_argnums=1)
    _same(g(np.ones(2), 3), f(np.ones(2), 3))
    assert g.source(np.ones(2), 3).count("np.sin") == 3
    with pytest.raises(TypeError, match="hashable"):
        jit(f, static_argnums=1)(np.ones(2), [1])


def test_control_flow_on_values_names_the_line_and_the_fixes():
    def f(x):
        if np.sum(x) > 0:                    # the line the error names
            return x
        return -x

    with pytest.raises(dfdx.TracerConversionError) as e:
        jit(f)(np.ones(2))
    msg = str(e.value)
    assert "test_jit.py" in msg and "np.where" in msg and "static_argnums" in msg
    with pytest.warns(RuntimeWarning, match="uncompiled"):
        g = jit(f, fallback="eager")
        _same(g(np.ones(2)), np.ones(2))
    _same(g(-np.ones(2)), np.ones(2))        # eager: the other branch, correctly


@pytest.mark.parametrize("bad,match", [
    (lambda x: float(x[0]) * x, "float()"),
    (lambda x: np.asarray(x) + 1, "np.asarray"),
    (lambda x: np.array([x[0], x[1]]), "np.stack"),
    (lambda x: x[x > 0], "x\\[mask\\]"),
    (lambda x: np.nonzero(x)[0], "shape depends on the values"),
])
def test_what_cannot_be_compiled_is_refused_by_name(bad, match):
    with pytest.raises((dfdx.TracerConversionError, dfdx.UnsupportedOperation), match=match):
        jit(bad)(np.array([1.0, -2.0]))


def test_writing_into_an_array_made_inside_compiles():
    def f(x):
        y = np.zeros_like(x)
        y[0] = x[1]
        np.add.at(y, [1, 1], x[:2])
        return y * 2

    g = jit(f)
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-4.0, 0.5, 7.0])):
        _same(g(x), f(x))
    assert "[0] = " in g.source(x)


@pytest.mark.parametrize("bad,match", [
    (lambda x: x.__setitem__(0, 1.0) or x, "an argument of the function"),
    (lambda x: np.add.at(x, [0], 1.0) or x, "an argument of the function"),
    (lambda x: (lambda y: (y, y.reshape(2, 2).__setitem__(0, 1.0))[0])(x * 2),
     "reshape, which may be a view"),
    (lambda x: (lambda y: (y.reshape(2, 2), y.__setitem__(0, 1.0))[0])(x * 2),
     "may keep a view of it"),
])
def test_writing_into_an_input_or_a_view_is_refused(bad, match):
    with pytest.raises(dfdx.UnsupportedOperation, match=match):
        jit(bad)(np.ones(4))


def test_an_escaped_traced_array_is_refused():
    kept = []
    g = jit(lambda x: kept.append(np.sin(x)) or x)
    g(np.ones(2))
    with pytest.raises(dfdx.TracerConversionError, match="escaped"):
        np.cos(kept[0])


def test_constants_captured_from_the_closure_are_not_changed_by_the_caller():
    w = np.array([1.0, 2.0])
    g = jit(lambda x: w)
    first = g(np.ones(2))
    first[:] = 0
    _same(g(np.ones(2)), np.array([1.0, 2.0]))


def test_donated_inputs_may_be_written_and_others_are_not():
    def f(a, b):
        return np.exp(np.sin(a)) + b

    a, b = np.linspace(0, 1, 1000), np.ones(1000)     # large enough for buffers to be reused
    keep_b = b.copy()
    want = f(a, b)
    g = jit(f, donate_argnums=0)
    assert "out=x0" in g.source(a, b)
    _same(g(a.copy(), b), want)
    _same(b, keep_b)
    assert "out=x0" not in jit(f).source(a, b)


def test_under_a_transform_the_function_runs_itself():
    g = jit(lambda x: np.sum(np.sin(x) ** 2))
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(dfdx.grad(g)(x), 2 * np.sin(x) * np.cos(x))


def test_the_cache_is_bounded():
    from dfdx._jit import jitted
    g = jit(lambda x, s: x + s)
    for k in range(jitted.CACHE_SIZE + 5):
        g(np.ones(1), float(k))
    assert len(g.cache) == jitted.CACHE_SIZE


def test_a_list_of_parameters_takes_the_quick_path_and_gives_the_same_tree():
    def step(ps, x):
        loss = lambda ps: np.sum(np.tanh(x @ ps[0]) * ps[1])            # noqa: E731
        value, g = dfdx.value_and_grad(loss)(ps)
        return value, [p - 0.1 * gi for p, gi in zip(ps, g)]

    rng = np.random.default_rng(3)
    ps, x = [rng.standard_normal((3, 2)), rng.standard_normal(2)], rng.standard_normal((4, 3))
    g = jit(step)
    for _ in range(2):
        got, want = g(ps, x), step(ps, x)
        assert type(got) is tuple and type(got[1]) is list and len(got[1]) == 2
        _same(got, want)
    assert len(g._plain) == 1 and not g.cache or len(g.cache) == 1
    _same(g(tuple(ps), x), step(tuple(ps), x))              # a tuple is another signature


def test_jit_or_eager_compiles_a_training_step_and_matches_the_eager_loop():
    from dfdx._jit import jit_or_eager

    def loss(params, x, y):
        w, b = params
        return np.mean((np.tanh(x @ w + b) - y) ** 2)

    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
    start = [rng.standard_normal((3, 2)), np.zeros(2)]
    runs = {}
    for compiled in (True, False):
        vg = jit_or_eager(dfdx.value_and_grad(loss), enabled=compiled)
        params = [p.copy() for p in start]
        for epoch in range(3):
            for s in range(0, 10, 4):                        # the last batch is smaller
                value, g = vg(params, x[s:s + 4], y[s:s + 4])
                params = [p - 0.1 * gi for p, gi in zip(params, g)]
        runs[compiled] = params
        if compiled:
            assert vg.compiled is True and len(vg.jitted.cache) == 2   # two batch sizes
        else:
            assert vg is not None and not hasattr(vg, "jitted")       # f itself
    for a, b in zip(runs[True], runs[False]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_jit_or_eager_falls_back_silently():
    from dfdx._jit import jit_or_eager
    f = jit_or_eager(lambda x: x if float(np.sum(x)) > 0 else -x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(f(np.array([-2.0, 1.0])), np.array([2.0, -1.0]))
        _same(f(np.array([3.0])), np.array([3.0]))
    assert f.compiled is False
    with pytest.raises(ZeroDivisionError):                  # eager errors are the user's
        jit_or_eager(lambda x: 1 / 0)(np.ones(2))


def _hessian_params():
    out = []
    for key, samples in SAMPLES.items():
        for i, s in enumerate(samples):
            floats = [j for j, a in enumerate(s.args)
                      if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size <= 12]
            if not s.xfail and floats:
                pid = f"{callable_name(key)}[{s.label or i}]"
                marks = [pytest.mark.xfail(strict=True, raises=ValueError, reason=(
                    "piecewise's rule mistakes a list of traced conditions for one"))] \
                    if pid in PIECEWISE_LISTS else [pytest.mark.xfail(
                        strict=True, raises=IndexError, reason=(
                            "under jit the 0-d value is a NumPy scalar, which piecewise's "
                            "rule indexes with a mask"))] if pid == "numpy.piecewise[0-d]" else []
                out.append(pytest.param(s, floats[0], id=pid, marks=marks))
    return out


@pytest.mark.parametrize("sample,i", _hessian_params())
def test_hessian_under_jit_equals_eager_or_is_refused_by_name(sample, i):
    x0 = sample.args[i]
    loss = _scalar_loss(sample, i)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = dfdx.hessian(loss)(x0)
        except (dfdx.DfdxError, ValueError, TypeError, FloatingPointError):
            return                              # eager refuses: nothing to compare
        h = dfdx.jit(dfdx.hessian(loss))
        try:
            got = h(x0)
        except (dfdx.TracerConversionError, dfdx.UnsupportedOperation) as e:
            assert "dfdx.jit" in str(e), e      # a refusal names jit and the fix
            return
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
        x1 = (x0 * 0.97 + 0.002).astype(x0.dtype)
        try:
            want = dfdx.hessian(loss)(x1)
        except (dfdx.DfdxError, ValueError, FloatingPointError):
            return
        np.testing.assert_allclose(h(x1), want, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_the_digits_model_step_compiles_to_the_eager_gradients():
    from dfdx.nn._train import mlp, softmax_cross_entropy
    init, apply = mlp([64, 32, 10], activation="relu", dtype=np.float32)
    params = init(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 64)).astype(np.float32), rng.integers(0, 10, 16)

    def loss_fn(p, xb, yb):
        logits = apply(p, xb)
        return softmax_cross_entropy(logits, yb), logits

    vg = dfdx.value_and_grad(loss_fn, has_aux=True)
    j = jit(vg)
    for xb in (x, x[::-1].copy()):
        got, want = j(params, xb, y), vg(params, xb, y)
        for a, b in zip(dfdx.tree_leaves(got), dfdx.tree_leaves(want)):
            assert a.dtype == b.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_silent_fallback_compiles_what_it_can_and_runs_the_rest_uncompiled():
    smooth = jit(dfdx.value_and_grad(lambda w: np.sum(np.tanh(w) ** 2)), fallback="silent")
    masked = jit(dfdx.grad(lambda w: np.sum(w[w > 0] ** 2)), fallback="silent")   # x[mask]
    w = np.array([0.5, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # silent: no warning either way
        v, g = smooth(w)
        np.testing.assert_allclose(g, 2 * np.tanh(w) / np.cosh(w) ** 2, rtol=1e-14)
        np.testing.assert_allclose(masked(w), [1.0, 0.0])
        np.testing.assert_allclose(masked(-w), [0.0, 2.0])
    assert smooth.compiled is True and masked.compiled is False
    with pytest.raises(ValueError, match="'error', 'eager' or 'silent'"):
        jit(lambda x: x, fallback="quiet")


@pytest.mark.parametrize("loss_name", ["jittable", "x[mask]"])
def test_fit_and_minimize_compile_their_step_with_the_same_results(loss_name):
    from dfdx import nn, optim
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 3))
    y = (x[:, 0] - x[:, 1] > 0).astype(int)
    init, apply = nn.mlp([3, 8, 2])

    def loss(p, xb, yb):
        z = apply(p, xb)
        ce = nn.softmax_cross_entropy(z, yb)
        if loss_name == "x[mask]":       # a shape from the values: jit cannot record it
            ce = ce + 1e-3 * np.sum(z[z > 0] ** 2)
        return ce
    runs = [nn.fit(loss, init(np.random.default_rng(1)), optim.Adam(0.05), (x, y), epochs=3,
                   batch_size=32, progress=False, jit=flag) for flag in (True, False)]
    for a, b in zip(dfdx.tree_leaves(runs[0][0]), dfdx.tree_leaves(runs[1][0])):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(runs[0][1]["loss"], runs[1][1]["loss"], rtol=1e-9)
    rosen = lambda v: np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)  # noqa: E731
    res = [optim.minimize(rosen, np.full(5, 0.5), method="lbfgs", jit=flag) for flag in (1, 0)]
    assert res[0].success and res[0].nit == res[1].nit
    np.testing.assert_allclose(res[0].x, res[1].x, rtol=1e-9)


# ------------------------------------------------ fuse=True (numba, optional) --
def _w1(x):
    return np.sum(np.sin(x) * np.exp(-x**2) + np.tanh(x))


@pytest.mark.parametrize("n, dtype, rtol", [(10, np.float64, 1e-13), (300, np.float32, 2e-5),
                                            (3, np.float64, 1e-13)])
def test_fused_w1_equals_the_numpy_code_to_rounding(n, dtype, rtol):
    pytest.importorskip("numba")
    x = np.random.default_rng(1).uniform(-2, 2, n).astype(dtype)
    vg = dfdx.value_and_grad(_w1)
    fused, plain = jit(vg, fuse=True), jit(vg)
    assert "for i in range" in fused.source(x) and "for i in" not in plain.source(x)
    for _ in range(2):                              # the first call compiles, the second replays
        (v, g), (v0, g0) = fused(x), plain(x)
        assert v.dtype == v0.dtype == dtype and g.dtype == g0.dtype == dtype
        assert g.shape == (n,)
        np.testing.assert_allclose(v, v0, rtol=rtol)
        np.testing.assert_allclose(g, g0, rtol=rtol, atol=rtol)
    e = np.exp(-x.astype(np.float64) ** 2)
    want = np.cos(x) * e - 2 * x * np.sin(x) * e + 1 - np.tanh(x) ** 2
    np.testing.assert_allclose(g, want, rtol=10 * rtol, atol=10 * rtol)


@pytest.mark.parametrize("fn", [np.sin, np.cos, np.tanh, np.exp, np.arctan, np.log1p, np.sqrt,
                                lambda x: x ** 3 / (1 + x * x), lambda x: np.maximum(x, 0.3) * x,
                                lambda x: np.abs(x) * x],
                         ids=["sin", "cos", "tanh", "exp", "arctan", "log1p", "sqrt", "rational",
                              "maximum", "abs"])
def test_fused_elementwise_rules_equal_unfused(fn):
    pytest.importorskip("numba")
    x = np.random.default_rng(3).uniform(0.1, 1.9, (4, 5))       # 2-d: the loop runs flat
    f = lambda x: np.sum(fn(x))                                   # noqa: E731
    for t in (dfdx.value_and_grad(f), dfdx.grad(f)):
        got, want = jit(t, fuse=True)(x), jit(t)(x)
        for a, b in zip(dfdx.tree_leaves(got), dfdx.tree_leaves(want)):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert "for i in range" in jit(dfdx.grad(f), fuse=True).source(x)


def test_fuse_keeps_the_numpy_code_for_large_arrays():
    pytest.importorskip("numba")
    from dfdx._jit.fusion import MAX_SIZE
    vg = dfdx.value_and_grad(_w1)
    small, large = np.linspace(-1, 1, MAX_SIZE), np.linspace(-1, 1, MAX_SIZE + 1)
    assert "for i in range" in jit(vg, fuse=True).source(small)
    assert jit(vg, fuse=True).source(large) == jit(vg).source(large)


def test_fused_guard_that_fails_records_the_new_case():
    pytest.importorskip("numba")
    g = dfdx.grad(lambda x: np.sum(np.maximum(x, 0.0) ** 2))
    jg = jit(g, fuse=True)
    a, b = np.array([1.0, -2.0, 3.0]), np.array([0.0, -2.0, 3.0])     # b: a tie at the kink
    assert "for i in range" in jg.source(a)
    for x in (a, b, a, b):
        np.testing.assert_allclose(jg(x), g(x), rtol=1e-15)


def test_fused_w2_step_keeps_its_numpy_code_and_results():
    pytest.importorskip("numba")
    rng = np.random.default_rng(2)
    ps = [rng.standard_normal((6, 5)), rng.standard_normal(5), rng.standard_normal((5, 3)),
          rng.standard_normal(3)]
    x, onehot = rng.standard_normal((8, 6)), np.eye(3)[rng.integers(0, 3, 8)]

    def loss(p, x, y):
        z = np.tanh(x @ p[0] + p[1]) @ p[2] + p[3]
        z = z - np.max(z, axis=1, keepdims=True)
        return -np.sum(y * (z - np.log(np.sum(np.exp(z), axis=1, keepdims=True)))) / len(x)
    vg = dfdx.value_and_grad(loss)
    fused, plain = jit(vg, fuse=True), jit(vg)
    assert fused.source(ps, x, onehot) == plain.source(ps, x, onehot)   # matmuls: no fusion
    for a, b in zip(dfdx.tree_leaves(fused(ps, x, onehot)), dfdx.tree_leaves(plain(ps, x, onehot))):
        np.testing.assert_array_equal(a, b)


def test_fuse_without_numba_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "numba", None)       # import numba now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "dfdx\[jit\]"'):
        jit(_w1, fuse=True)
    np.testing.assert_allclose(jit(_w1)(np.ones(3)), _w1(np.ones(3)))   # the default needs none


def test_fused_division_by_zero_gives_what_numpy_gives():
    pytest.importorskip("numba")
    f = lambda x: np.sum(1.0 / x + np.log(x))                  # noqa: E731
    x = np.array([0.0, 1.0, -2.0, 4.0])
    with np.errstate(all="ignore"):
        for t in (f, dfdx.value_and_grad(f)):
            got, want = jit(t, fuse=True)(x), jit(t)(x)
            for a, b in zip(dfdx.tree_leaves(got), dfdx.tree_leaves(want)):
                np.testing.assert_array_equal(a, b)
    assert "for i in range" in jit(f, fuse=True).source(x)
