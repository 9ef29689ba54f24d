"""dfdx.optim: first-order optimizers, schedules, clipping, minimize, natural gradient."""

import numpy as np
import pytest
import scipy.optimize

import dfdx
from dfdx import nn, optim

A = np.diag([1.0, 10.0])


def quad(p):
    w = p["w"] - np.array([1.0, -2.0])
    return 0.5 * w @ (A @ w)


def run(opt, params, loss, steps):
    state = opt.init(params)
    for _ in range(steps):
        params, state = opt.update(params, dfdx.grad(loss)(params), state)
    return params, state


# --- first order ---------------------------------------------------------------

@pytest.mark.parametrize("opt", [
    optim.SGD(lr=0.05), optim.SGD(lr=0.05, momentum=0.9), optim.SGD(lr=0.05, momentum=0.9,
                                                                    nesterov=True),
    optim.Adam(lr=0.05), optim.AdamW(lr=0.05, weight_decay=0.0), optim.RMSProp(lr=0.01),
    optim.Adagrad(lr=0.5)], ids=repr)
def test_optimizers_converge_on_a_quadratic(opt):
    params, state = run(opt, {"w": np.zeros(2)}, quad, 1500)
    np.testing.assert_allclose(params["w"], [1.0, -2.0], atol=2e-2)
    assert state["step"] == 1500


def test_sgd_momentum_and_nesterov_match_the_textbook_recursion():
    g = lambda p: A @ p - 1.0
    for nesterov in (False, True):
        p, v = np.array([1.0, 1.0]), np.zeros(2)
        opt = optim.SGD(lr=0.1, momentum=0.8, nesterov=nesterov, weight_decay=0.01)
        q, state = p.copy(), opt.init(p)
        for _ in range(5):
            gr = g(p) + 0.01 * p
            v = 0.8 * v + gr
            p = p - 0.1 * ((gr + 0.8 * v) if nesterov else v)
            q, state = opt.update(q, g(q), state)
        np.testing.assert_allclose(q, p, rtol=1e-14)


def test_adam_and_adamw_match_the_paper():
    g = lambda p: np.array([3.0, -1.0]) * p + np.array([0.5, 0.1])
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    for decoupled in (False, True):
        p, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
        opt = (optim.AdamW if decoupled else optim.Adam)(lr, b1, b2, eps, weight_decay=wd)
        q, state = p.copy(), opt.init(p)
        for t in range(1, 6):
            gr = g(p) if decoupled else g(p) + wd * p
            m = b1 * m + (1 - b1) * gr
            v = b2 * v + (1 - b2) * gr**2
            step = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            p = p - step - (lr * wd * p if decoupled else 0)
            q, state = opt.update(q, g(q), state)
        np.testing.assert_allclose(q, p, rtol=1e-12)


def test_rmsprop_and_adagrad_match_their_recursions():
    g = lambda p: 2 * p + 1
    p, sq, acc = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    r, a = optim.RMSProp(lr=0.01, decay=0.9), optim.Adagrad(lr=0.1)
    pr, pa, sr, sa = p.copy(), p.copy(), r.init(p), a.init(p)
    p_r, p_a = p.copy(), p.copy()
    for _ in range(4):
        sq = 0.9 * sq + 0.1 * g(p_r) ** 2
        p_r = p_r - 0.01 * g(p_r) / (np.sqrt(sq) + 1e-8)
        acc = acc + g(p_a) ** 2
        p_a = p_a - 0.1 * g(p_a) / (np.sqrt(acc) + 1e-10)
        pr, sr = r.update(pr, g(pr), sr)
        pa, sa = a.update(pa, g(pa), sa)
    np.testing.assert_allclose(pr, p_r, rtol=1e-13)
    np.testing.assert_allclose(pa, p_a, rtol=1e-13)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSProp,
                                 optim.Adagrad])
def test_updates_keep_dtype_and_do_not_mutate(cls):
    params = [{"W": np.ones((2, 2), np.float32), "b": np.zeros(2, np.float32)}]
    grads = [{"W": np.full((2, 2), 0.5, np.float32), "b": np.ones(2, np.float32)}]
    opt = cls(lr=0.1) if cls is not optim.SGD else cls(lr=0.1, momentum=0.9)
    state = opt.init(params)
    before = [{k: v.copy() for k, v in params[0].items()}]
    new1, s1 = opt.update(params, grads, state)
    new2, _ = opt.update(params, grads, state)      # same inputs, same answer: no hidden state
    assert new1[0]["W"].dtype == np.float32 and new1[0]["b"].dtype == np.float32
    np.testing.assert_array_equal(new1[0]["W"], new2[0]["W"])
    np.testing.assert_array_equal(params[0]["W"], before[0]["W"])
    assert state["step"] == 0 and s1["step"] == 1


def test_schedules():
    s = optim.cosine_decay(1.0, total_steps=10, warmup_steps=2, final_lr=0.1)
    assert s(0) == pytest.approx(0.5) and s(1) == pytest.approx(1.0)
    assert s(2) == pytest.approx(1.0) and s(10) == pytest.approx(0.1) and s(50) == 0.1
    assert optim.step_decay(0.1, 3, 0.5)(7) == pytest.approx(0.025)
    assert optim.exponential_decay(2.0, 0.5)(3) == pytest.approx(0.25)
    opt = optim.SGD(lr=optim.step_decay(1.0, 1, 0.5))
    p, state = np.array([0.0]), opt.init(np.array([0.0]))
    for _ in range(3):
        p, state = opt.update(p, np.array([1.0]), state)
    assert p[0] == pytest.approx(-(1 + 0.5 + 0.25))
    with pytest.raises(ValueError, match="positive learning rate"):
        optim.Adam(lr=-1)


def test_clipping_by_global_norm():
    g = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    c, norm = optim.clip_by_global_norm(g, 1.0)
    assert norm == 5.0 and optim.global_norm(c) == pytest.approx(1.0)
    np.testing.assert_allclose(c["a"], [0.6])
    same, _ = optim.clip_by_global_norm(g, 10.0)
    assert same is g
    p, _ = optim.SGD(lr=1.0, clip_norm=1.0).update({"a": np.zeros(1), "b": np.zeros((1, 1))},
                                                   g, optim.SGD(lr=1.0).init(g))
    np.testing.assert_allclose(p["b"], [[-0.8]])


def test_nonfinite_gradient_names_step_and_parameter():
    params = {"layer": [np.zeros(2), np.zeros(3)]}
    opt = optim.Adam()
    state = opt.init(params)
    ok = {"layer": [np.ones(2), np.ones(3)]}
    params, state = opt.update(params, ok, state)
    bad = {"layer": [np.ones(2), np.array([1.0, np.inf, np.nan])]}
    with pytest.raises(optim.NonFiniteGradientError) as e:
        opt.update(params, bad, state)
    msg = str(e.value)
    assert "params['layer'][1]" in msg and "step 2" in msg and "1 NaN and 1 inf" in msg
    assert isinstance(e.value, dfdx.DfdxError) and isinstance(e.value, FloatingPointError)


# --- minimize --------------------------------------------------------------------

def rosen(v):
    return np.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)


@pytest.mark.parametrize("method", ["newton", "newton-cg", "lbfgs"])
def test_minimize_rosenbrock(method):
    res = optim.minimize(rosen, np.array([1.3, 0.7, 0.8, 1.9, 1.2]), method=method, tol=1e-9,
                         maxiter=500)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(5), atol=1e-6)
    assert res.fun < 1e-12
    assert len(res.history["fun"]) == res.nit + 1
    assert np.all(np.diff(res.history["fun"]) <= 1e-14)      # monotone: the line search holds


@pytest.mark.parametrize("method", ["newton", "newton-cg"])
def test_minimize_reaches_the_local_minimum_of_rosenbrock_4d(method):
    # from this start the 4-D Rosenbrock function leads to its local minimum near x1 = -0.78
    res = optim.minimize(rosen, np.array([-1.2, 1.0, 0.5, -0.3]), method=method, tol=1e-8,
                         maxiter=500)
    assert res.success, res.message
    assert res.fun == pytest.approx(3.701428, rel=1e-6)


def test_newton_converges_quadratically_and_fast():
    res = optim.minimize(rosen, np.array([-1.2, 1.0]), method="newton", tol=1e-12)
    assert res.success and res.nit < 30
    g = np.array(res.history["grad_norm"])
    tail = g[(g < 1e-2) & (g > 1e-13)]
    # quadratic: each gradient norm is about C times the square of the one before
    ratios = tail[1:] / tail[:-1] ** 2
    assert len(tail) >= 3 and np.all(ratios < 100), g
    ref = scipy.optimize.minimize(rosen, [-1.2, 1.0], method="BFGS")
    assert res.nit < ref.nit


def test_newton_handles_an_indefinite_hessian():
    f = lambda v: v[0] ** 4 - 2 * v[0] ** 2 + v[1] ** 2        # saddle at the origin
    res = optim.minimize(f, np.array([1e-3, 1.0]), method="newton")
    assert res.success
    np.testing.assert_allclose(np.abs(res.x), [1.0, 0.0], atol=1e-8)
    assert res.fun == pytest.approx(-1.0)


def test_newton_cg_on_many_parameters_matches_scipy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 300))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)

    def loss(w):
        return np.mean(np.logaddexp(0, X @ w) - y * (X @ w)) + 0.05 * np.sum(w * w)

    res = optim.minimize(loss, np.zeros(300), method="newton-cg", tol=1e-8)
    assert res.success
    ref = scipy.optimize.minimize(loss, np.zeros(300), jac=dfdx.grad(loss), method="L-BFGS-B",
                                  options={"gtol": 1e-10, "ftol": 1e-15})
    assert res.fun <= ref.fun + 1e-10
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)


def test_gd_with_fixed_step_and_pytree_start():
    f = lambda p: np.sum((p["a"] - 1.0) ** 2) + (p["b"] + 2.0) ** 2
    res = optim.minimize(f, {"a": np.zeros((2, 2)), "b": 0.0}, method="gd", lr=0.25, tol=1e-10)
    assert res.success
    np.testing.assert_allclose(res.x["a"], np.ones((2, 2)))
    assert res.x["b"] == pytest.approx(-2.0)
    res2 = optim.minimize(lambda x: (x - 3.0) ** 2, 0.0, method="gd")
    assert res2.x == pytest.approx(3.0) and isinstance(res2.x, float)
    assert "success=True" in repr(res2)
    with pytest.raises(ValueError, match="unknown method"):
        optim.minimize(f, 0.0, method="bfgs2")


# --- natural gradient ----------------------------------------------------------------

def logistic_problem(seed=0, n=200):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.array([1.0, 20.0, 0.2])        # badly scaled features
    X = np.concatenate([X, np.ones((n, 1))], axis=1)
    w_true = np.array([[1.0, -1.0], [0.1, -0.1], [3.0, -3.0], [0.5, 0.0]])
    logits = X @ w_true
    y = (rng.random(n) < scipy_softmax(logits)[:, 1]).astype(int)
    return X, y


def scipy_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def apply_linear(w, x):
    return x @ w


def test_fisher_equals_hessian_for_softmax_regression():
    X, y = logistic_problem()
    w = np.random.default_rng(1).normal(size=(4, 2)) * 0.1
    loss = lambda v: nn.softmax_cross_entropy(apply_linear(v.reshape(4, 2), X), y)
    H = dfdx.hessian(loss)(w.ravel())
    F = optim.fisher_matrix(apply_linear, w, X, "softmax")
    np.testing.assert_allclose(F, H, rtol=1e-10, atol=1e-12)       # canonical link: F = H
    v = np.random.default_rng(2).normal(size=(4, 2))
    Fv = optim.fisher_vector_product(apply_linear, w, X, v, "softmax")
    np.testing.assert_allclose(Fv.ravel(), F @ v.ravel(), rtol=1e-10)
    Fg = optim.fisher_matrix(apply_linear, w[:, 0], X, "gaussian", sigma=2.0)
    np.testing.assert_allclose(Fg, X.T @ X / (len(X) * 4.0))
    Fs = optim.fisher_matrix(apply_linear, w[:, 0], X, "sigmoid")
    p = 1 / (1 + np.exp(-X @ w[:, 0]))
    np.testing.assert_allclose(Fs, (X.T * p * (1 - p)) @ X / len(X), rtol=1e-12)


def test_natural_gradient_cg_matches_exact():
    X, y = logistic_problem()
    init, apply = nn.mlp([4, 5, 2], activation="tanh")
    params = init(np.random.default_rng(0))
    grads = dfdx.grad(lambda p: nn.softmax_cross_entropy(apply(p, X), y))(params)
    exact = optim.NaturalGradient(apply, damping=1e-2, method="exact").direction(params, grads, X)
    cg = optim.NaturalGradient(apply, damping=1e-2, method="cg", cg_maxiter=200,
                               cg_tol=1e-10).direction(params, grads, X)
    for e, c in zip(exact, cg):
        np.testing.assert_allclose(c["W"], e["W"], rtol=1e-6, atol=1e-8)


def iterations_to(target, step_fn, w, maxiter):
    for k in range(1, maxiter + 1):
        w, loss = step_fn(w)
        if loss <= target:
            return k
    return maxiter + 1


def test_natural_gradient_beats_tuned_gradient_descent_on_logistic_regression():
    X, y = logistic_problem()
    loss = lambda w: nn.softmax_cross_entropy(apply_linear(w, X), y)
    best = optim.minimize(lambda v: loss(v.reshape(4, 2)), np.zeros(8), method="newton")
    target = best.fun + 1e-3
    vg = dfdx.value_and_grad(loss)
    ngd = optim.NaturalGradient(apply_linear, lr=1.0, damping=1e-4)
    state = [ngd.init(np.zeros((4, 2)))]

    def ngd_step(w):
        g = dfdx.grad(loss)(w)
        w, state[0] = ngd.update(w, g, state[0], x=X)
        return w, float(loss(w))

    n_ngd = iterations_to(target, ngd_step, np.zeros((4, 2)), 100)
    # gradient descent with its step tuned on a grid (the largest stable steps included)
    n_gd = 10 ** 9
    for lr in np.geomspace(1e-4, 1e-1, 7):
        def gd_step(w, lr=lr):
            _, g = vg(w)
            w = w - lr * g
            return w, float(loss(w))
        n_gd = min(n_gd, iterations_to(target, gd_step, np.zeros((4, 2)), 200))
    assert n_ngd <= 10
    assert n_gd > 200 >= 20 * n_ngd, (n_ngd, n_gd)     # GD: not there after 200 steps


def test_natural_gradient_on_gaussian_regression_is_one_newton_step():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 3)) * np.array([1.0, 30.0, 0.1])
    y = X @ np.array([2.0, -0.1, 5.0]) + 0.1 * rng.normal(size=50)
    sigma = 0.5
    loss = lambda w: nn.gaussian_nll(apply_linear(w, X), y, sigma)
    ngd = optim.NaturalGradient(apply_linear, lr=1.0, damping=0.0, likelihood="gaussian",
                                sigma=sigma)
    w, state = ngd.update(np.zeros(3), dfdx.grad(loss)(np.zeros(3)), ngd.init(np.zeros(3)), x=X)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-8)
    assert state["step"] == 1
    cg = optim.NaturalGradient(apply_linear, damping=0.0, likelihood="gaussian", sigma=sigma,
                               method="cg", cg_tol=1e-12)
    w2, _ = cg.update(np.zeros(3), dfdx.grad(loss)(np.zeros(3)), cg.init(np.zeros(3)), x=X)
    np.testing.assert_allclose(w2, w, rtol=1e-6)


def _chained_rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def test_newton_with_a_sparse_hessian_takes_the_dense_path_and_converges():
    import dfdx.optim._minimize as m

    x0 = np.full(300, 0.5)
    sparse = optim.minimize(_chained_rosenbrock, x0, method="newton")
    assert sparse.success and np.allclose(sparse.x, 1.0, atol=1e-10)
    saved = m.SPARSE_FROM
    m.SPARSE_FROM = 10 ** 9          # the dense Hessian and Cholesky factorisation
    try:
        dense = optim.minimize(_chained_rosenbrock, x0, method="newton")
    finally:
        m.SPARSE_FROM = saved
    assert dense.nit == sparse.nit
    np.testing.assert_allclose(sparse.history["fun"], dense.history["fun"], rtol=1e-9, atol=1e-20)


def test_the_sparse_hessian_is_used_only_where_the_pattern_is_sparse():
    from dfdx.optim._minimize import _sparse_hessian_or_none

    assert _sparse_hessian_or_none(_chained_rosenbrock, np.zeros(300)).colours == 3
    assert _sparse_hessian_or_none(lambda x: np.sum(x) ** 2, np.zeros(300)) is False  # dense
    assert _sparse_hessian_or_none(_chained_rosenbrock, np.zeros(20)) is False        # small


def test_sparse_newton_damps_an_indefinite_hessian():
    from dfdx.optim._minimize import _newton_direction
    import scipy.sparse as sps

    H = sps.diags([np.r_[-1.0, np.ones(199)]], [0], format="csr")
    g = np.ones(200)
    p, lam = _newton_direction(H, g)
    assert lam > 1.0 and float(g @ p) < 0          # made positive definite: a descent direction
    p_dense, lam_dense = _newton_direction(H.toarray(), g)
    assert lam == lam_dense
    np.testing.assert_allclose(p, p_dense, rtol=1e-12)
