"""dfdx.vmap: every rule's batched form against a Python loop, composition with every
transform (both modes, order 2), in_axes / out_axes, and the errors that teach."""

import warnings

import numpy as np
import pytest

import dfdx
from dfdx._numpy.registry import callable_name
from rule_samples import SAMPLES

B = 3


def _scaled(a, j):
    a = np.asarray(a)
    return a * (1 + 1e-3 * j) if a.dtype.kind in "fc" else a


def _loop(f, per):
    return [f(*p) for p in per]


def _assert_batched(got, want, rtol=1e-9, atol=1e-12):
    """`got` (a pytree with a batch axis) equals the list `want` of per-example pytrees."""
    gl = dfdx.tree_leaves(got)
    wl = [dfdx.tree_leaves(w) for w in want]
    assert len(gl) == len(wl[0])
    for k, g in enumerate(gl):
        w = np.stack([np.asarray(x[k]) for x in wl])
        assert np.shape(g) == w.shape, (np.shape(g), w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)


# Samples vmap refuses, with a dfdx error (never a wrong answer): their answers' shapes
# depend on the values, or SciPy converts the input with np.asarray.
REFUSED = {"numpy.nonzero", "numpy.roots", "scipy.linalg._decomp_lu.lu_factor",
           "scipy.linalg._decomp_lu.lu_solve", ("scipy.linalg._decomp.eigh", "generalized"),
           ("numpy.piecewise", "0-d")}


def _params():
    out = []
    for key, samples in SAMPLES.items():
        for i, s in enumerate(samples):
            if not s.xfail:
                out.append(pytest.param(key, s, id=f"{callable_name(key)}[{s.label or i}]"))
    return out


@pytest.mark.parametrize("key, sample", _params())
def test_batched_form_of_every_rule_equals_a_loop(key, sample):
    """The batching declaration (or the loop fallback) of every registered callable: all
    arguments mapped, and only the first one mapped (the others broadcast)."""
    name = callable_name(key)
    refused = name in REFUSED or (name, sample.label) in REFUSED
    modes = ["all"] + (["first"] if len(sample.args) > 1 else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mode in modes:
            if mode == "all":
                per = [[_scaled(a, j) for a in sample.args] for j in range(B)]
                args = [np.stack([p[i] for p in per]) for i in range(len(sample.args))]
                axes = 0
            else:
                per = [[_scaled(sample.args[0], j), *sample.args[1:]] for j in range(B)]
                args = [np.stack([p[0] for p in per]), *sample.args[1:]]
                axes = (0,) + (None,) * (len(sample.args) - 1)
            want = _loop(sample.fn, per)
            try:
                got = dfdx.vmap(sample.fn, in_axes=axes)(*args)
            except (dfdx.DfdxError, IndexError) as e:
                assert refused, f"{name} [{sample.label}] ({mode}): vmap raised {e!r}"
                continue
            _assert_batched(got, want)


# --- composition with the transforms -------------------------------------------------------

def f(x):
    return np.sum(np.tanh(x) ** 3 * np.sin(x[::-1])) + x[0] * x[1] + np.max(x) ** 2


def vec(x):
    return np.concatenate([np.exp(x) * x[0], np.cumsum(x)]) @ np.ones(2 * x.shape[0])[:, None]


X = np.random.default_rng(0).normal(size=(4, 3))


@pytest.mark.parametrize("name, transform", [
    ("grad", dfdx.grad), ("hessian", dfdx.hessian), ("jacfwd", dfdx.jacfwd),
    ("jacrev", dfdx.jacrev), ("grad of grad", lambda g: dfdx.grad(lambda x: np.sum(
        dfdx.grad(g)(x) ** 2))), ("jacfwd of jacrev", lambda g: dfdx.jacfwd(dfdx.jacrev(g))),
    ("jacrev of jacfwd", lambda g: dfdx.jacrev(dfdx.jacfwd(g))),
    ("derivative", lambda g: dfdx.derivative(lambda s: g(X[0] * s))),
])
def test_vmap_of_a_transform_equals_a_loop(name, transform):
    h = transform(f)
    inputs = X if name != "derivative" else np.linspace(0.5, 1.5, 4)
    _assert_batched(dfdx.vmap(h)(inputs), [h(x) for x in inputs], rtol=1e-8)


@pytest.mark.parametrize("name, transform", [
    ("grad", lambda g: dfdx.grad(lambda A: np.sum(g(A)))),
    ("jacfwd", dfdx.jacfwd), ("jacrev", dfdx.jacrev),
    ("hessian", lambda g: dfdx.hessian(lambda A: np.sum(g(A) ** 2))),
])
def test_a_transform_of_vmap_equals_a_loop(name, transform):
    mapped = transform(dfdx.vmap(f))
    looped = transform(lambda A: np.stack([f(a) for a in A]))
    np.testing.assert_allclose(mapped(X), looped(X), rtol=1e-9, atol=1e-12)


def test_vmap_of_jvp_vjp_and_hvp():
    T = X[::-1] * 0.5
    got = dfdx.vmap(lambda x, t: dfdx.jvp(f, (x,), (t,)))(X, T)
    _assert_batched(got, [dfdx.jvp(f, (x,), (t,)) for x, t in zip(X, T)])
    got = dfdx.vmap(lambda x, t: dfdx.hvp(f, (x,), (t,)))(X, T)
    _assert_batched(got, [dfdx.hvp(f, (x,), (t,)) for x, t in zip(X, T)])
    got = dfdx.vmap(lambda x: dfdx.vjp(vec, x)[1](np.ones(1)))(X)
    _assert_batched(got, [dfdx.vjp(vec, x)[1](np.ones(1)) for x in X])


def test_vmap_of_vmap_and_of_a_vector_function():
    XX = np.stack([X, 2 * X])
    _assert_batched(dfdx.vmap(dfdx.vmap(dfdx.grad(f)))(XX),
                    [np.stack([dfdx.grad(f)(x) for x in xs]) for xs in XX])
    _assert_batched(dfdx.vmap(dfdx.jacrev(vec))(X), [dfdx.jacrev(vec)(x) for x in X])
    _assert_batched(dfdx.vmap(dfdx.jacfwd(vec))(X), [dfdx.jacfwd(vec)(x) for x in X])


def test_per_example_gradients_of_an_mlp_equal_a_loop():
    init, apply = dfdx.nn.mlp([5, 8, 3], activation="tanh")
    params = init(np.random.default_rng(1))
    Xb = np.random.default_rng(2).normal(size=(6, 5))
    Y = dfdx.nn.one_hot(np.array([0, 1, 2, 1, 0, 2]), 3)

    def loss(p, x, t):
        return dfdx.nn.softmax_cross_entropy(apply(p, x), t)

    got = dfdx.vmap(dfdx.grad(loss), in_axes=(None, 0, 0))(params, Xb, Y)
    _assert_batched(got, [dfdx.grad(loss)(params, x, t) for x, t in zip(Xb, Y)])
    assert got[0]["W"].shape == (6, 5, 8) and got[1]["b"].shape == (6, 3)
    same = dfdx.nn.per_example_grads(loss, params, Xb, Y)
    for a, b in zip(dfdx.tree_leaves(same), dfdx.tree_leaves(got)):
        np.testing.assert_array_equal(a, b)
    # the mean of the per-example gradients is the batch gradient
    batch = dfdx.grad(lambda p: dfdx.nn.softmax_cross_entropy(apply(p, Xb), Y))(params)
    for a, b in zip(dfdx.tree_leaves(got), dfdx.tree_leaves(batch)):
        np.testing.assert_allclose(a.mean(0), b, rtol=1e-10, atol=1e-14)


def test_dp_sgd_clips_each_example_and_seeds_its_noise():
    g = {"w": np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]]), "b": np.array([0.0, 0.0, 1.0])}
    mean, norms = dfdx.optim.privatize(g, clip_norm=1.0, noise_multiplier=0.0, rng=0)
    np.testing.assert_allclose(norms, [5.0, 0.5, 1.0])
    np.testing.assert_allclose(mean["w"], (np.array([0.6, 0.8]) + [0.3, 0.4]) / 3)
    np.testing.assert_allclose(mean["b"], 1.0 / 3)
    # the clipping bound: with no noise, the sum of clipped gradients has norm <= n * C
    rng = np.random.default_rng(3)
    big = {"w": 100 * rng.normal(size=(8, 4)), "b": 100 * rng.normal(size=(8,))}
    m, _ = dfdx.optim.privatize(big, clip_norm=0.5, noise_multiplier=0.0, rng=0)
    assert np.sqrt(np.sum(m["w"] ** 2) + m["b"] ** 2) <= 0.5 + 1e-12
    # noise: seeded (the same seed, the same draw), of the documented scale
    a, _ = dfdx.optim.privatize(big, 0.5, 2.0, rng=7)
    b, _ = dfdx.optim.privatize(big, 0.5, 2.0, rng=7)
    c, _ = dfdx.optim.privatize(big, 0.5, 2.0, rng=8)
    np.testing.assert_array_equal(a["w"], b["w"])
    assert not np.array_equal(a["w"], c["w"])
    wide = {"w": np.zeros((4, 20000))}
    noisy, _ = dfdx.optim.privatize(wide, clip_norm=0.5, noise_multiplier=2.0, rng=1)
    assert abs(noisy["w"].std() - 2.0 * 0.5 / 4) < 0.01   # sigma C / n
    with pytest.raises(ValueError, match="per-example"):
        dfdx.optim.privatize({"w": np.ones(3), "b": np.ones((2, 3))}, 1.0, 1.0, rng=0)


def test_dp_sgd_trains_and_is_reproducible():
    X = np.random.default_rng(4).normal(size=(32, 3))
    y = X @ np.array([1.0, -2.0, 0.5])

    def loss(p, x, t):
        return (x @ p["w"] - t) ** 2

    def run(seed):
        params = {"w": np.zeros(3)}
        opt = dfdx.optim.DPSGD(lr=0.05, clip_norm=5.0, noise_multiplier=0.1, seed=seed)
        state = opt.init(params)
        for _ in range(150):
            params, state = opt.update(params, dfdx.nn.per_example_grads(loss, params, X, y),
                                       state)
        return params["w"]
    w = run(0)
    np.testing.assert_allclose(w, [1.0, -2.0, 0.5], atol=0.1)
    np.testing.assert_array_equal(w, run(0))
    assert not np.array_equal(w, run(1))


# --- in_axes / out_axes ----------------------------------------------------------------

def test_in_axes_none_negative_and_pytrees():
    W = np.arange(6.0).reshape(2, 3)
    Y = np.arange(12.0).reshape(3, 4)            # mapped over its last axis
    got = dfdx.vmap(lambda w, y: w @ y, in_axes=(None, -1))(W, Y)
    np.testing.assert_allclose(got, np.stack([W @ Y[:, j] for j in range(4)]))
    tree = {"a": X, "b": (X[:, 0], 2.0)}
    got = dfdx.vmap(lambda t: t["a"] * t["b"][0] + t["b"][1],
                    in_axes=({"a": 0, "b": (0, None)},))(tree)
    np.testing.assert_allclose(got, X * X[:, :1] + 2.0)
    got = dfdx.vmap(lambda x, scale=1.0: x * scale)(X, scale=3.0)   # keywords: unmapped
    np.testing.assert_allclose(got, 3 * X)


def test_out_axes_and_unbatched_outputs():
    got = dfdx.vmap(lambda x: (x, np.ones(2)), out_axes=(1, None))(X)
    np.testing.assert_allclose(got[0], X.T)
    np.testing.assert_allclose(got[1], np.ones(2))
    got = dfdx.vmap(lambda x: np.ones(2))(X)        # not depending on the batch: broadcast
    assert got.shape == (4, 2)
    got = dfdx.vmap(lambda x: {"s": np.sum(x), "v": x}, out_axes=-1)(X)
    np.testing.assert_allclose(got["v"], X.T)
    np.testing.assert_allclose(got["s"], X.sum(1))


def test_shape_and_len_are_one_examples():
    seen = []
    dfdx.vmap(lambda x: seen.append((x.shape, x.ndim, len(x), np.shape(x), x.size)) or x)(X)
    assert seen == [((3,), 1, 3, (3,), 3)]


def test_where_instead_of_control_flow():
    got = dfdx.vmap(dfdx.grad(lambda x: np.sum(np.where(x > 0, x ** 2, -x))))(X)
    np.testing.assert_allclose(got, np.where(X > 0, 2 * X, -1.0))


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    lambda x: x if x[0] > 0 else -x,   # X[:, 0] has both signs
    lambda x: float(x[0]),
    lambda x: np.asarray(x),
    lambda x: dfdx.grad(lambda y: y[0] if y[0] > 0 else -y[0])(x),
])
def test_control_flow_on_a_mapped_value_names_np_where(body):
    with pytest.raises(dfdx.TracerConversionError, match="np.where"):
        dfdx.vmap(body)(X)


def test_bad_axes_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="different lengths"):
        dfdx.vmap(lambda a, b: a + b)(X, np.ones((5, 3)))
    with pytest.raises(ValueError, match="no argument is mapped"):
        dfdx.vmap(lambda a: a, in_axes=None)(X)
    with pytest.raises(ValueError, match="out of range"):
        dfdx.vmap(lambda a: a, in_axes=2)(X)
    with pytest.raises(ValueError, match="one entry per argument"):
        dfdx.vmap(lambda a, b: a, in_axes=(0,))(X, X)
    with pytest.raises(ValueError, match="out_axes=None"):
        dfdx.vmap(lambda a: a, out_axes=None)(X)
    with pytest.raises(dfdx.UnsupportedOperation, match="different shape"):
        dfdx.vmap(lambda a: a[a > 0])(X)


# --- the batched rules generated from the declarations --------------------------------------

@pytest.fixture
def generated_only():
    """Every hand-written batched rule switched off: jacfwd / jacrev / hessian then batch each
    primitive's plain rule under a BatchTrace (the generated form)."""
    from dfdx._core import Primitive
    from dfdx._numpy.registry import FUNCTIONS, UFUNCS
    import dfdx._numpy.registry as reg
    prims = {p for p in (*FUNCTIONS.values(), *UFUNCS.values(), reg._guarded_multiply)
             if isinstance(p, Primitive)}
    saved = [(p, p.bjvps, p.bjvp_all, p.bvjps, p.bvjp_all) for p in prims]
    for p in prims:
        p.bjvps, p.bjvp_all, p.bvjps, p.bvjp_all = (), None, (), None
    yield
    for p, a, b, c, d in saved:
        p.bjvps, p.bjvp_all, p.bvjps, p.bvjp_all = a, b, c, d


def _real_first(sample):
    a = np.asarray(sample.args[0]) if sample.args else None
    return a is not None and a.dtype.kind == "f" and a.size <= 12 and not any(
        np.iscomplexobj(x) for x in sample.args)


def _jacobian_by_jvps(fn, args):
    """The Jacobian in argument 0, one plain (unbatched) JVP per basis direction."""
    x = np.asarray(args[0], dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        t = (e.reshape(x.shape),) + tuple(np.zeros_like(np.asarray(a, dtype=float))
                                         for a in args[1:])
        floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
        _, out = dfdx.jvp(lambda *v: fn(*[v[floats.index(i)] if i in floats else a
                                          for i, a in enumerate(args)]),
                          tuple(args[i] for i in floats), tuple(t[i] for i in floats))
        cols.append(np.asarray(out))
    return np.moveaxis(np.stack(cols), 0, -1).reshape(np.shape(cols[0]) + x.shape)


def _jac_params():
    out = []
    for p in _params():
        key, s = p.values
        if (_real_first(s) and len(dfdx.tree_leaves(s.fn(*s.args))) == 1
                and np.asarray(s.fn(*s.args)).dtype.kind == "f"
                and all(np.asarray(a).dtype.kind in "fiub" for a in s.args)):
            out.append(p)
    return out


@pytest.mark.parametrize("key, sample", _jac_params())
def test_generated_batched_rules_equal_a_loop(key, sample, generated_only):
    """With the hand-written batched rules off, jacfwd (batched JVPs) and jacrev (batched
    VJPs) of every rule sample equal the Jacobian from one plain JVP per direction."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = _jacobian_by_jvps(sample.fn, sample.args)
        except dfdx.DfdxError:
            pytest.skip("no forward-mode rule")
        fwd = dfdx.jacfwd(sample.fn)(*sample.args)
        np.testing.assert_allclose(fwd, want, rtol=1e-9, atol=1e-12, equal_nan=True)
        try:
            rev = dfdx.jacrev(sample.fn)(*sample.args)
        except dfdx.UnsupportedOperation:
            return   # no reverse-mode rule (checked by test_rules)
        np.testing.assert_allclose(rev, want, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_vmap_composes_with_jit():
    g = lambda x: np.sin(x) @ x
    want = np.stack([g(x) for x in X])
    np.testing.assert_allclose(dfdx.jit(dfdx.vmap(g))(X), want)
    np.testing.assert_allclose(dfdx.vmap(dfdx.jit(g))(X), want)


def test_rules_whose_fast_path_differs_between_examples():
    """A tie in one example only (np.max, relu at 0): the rules' fast path ("no ties") holds
    for some examples and not others; vmap answers as the loop does, in every order."""
    T = np.array([[1.0, 3.0, 3.0], [1.0, 2.0, 3.0], [0.0, 1.0, -1.0]])
    f = lambda x: np.max(x) ** 2 + np.sum(np.maximum(x - 1, 0) ** 2) + np.sum(np.maximum(x, 0))
    for name, h in [("grad", dfdx.grad(f)), ("hessian", dfdx.hessian(f)),
                    ("jacrev of grad", dfdx.jacrev(dfdx.grad(f))),
                    ("jacfwd of grad", dfdx.jacfwd(dfdx.grad(f)))]:
        _assert_batched(dfdx.vmap(h)(T), [h(x) for x in T])
    np.testing.assert_allclose(dfdx.jacrev(dfdx.vmap(f))(T),
                               dfdx.jacrev(lambda A: np.stack([f(a) for a in A]))(T))
