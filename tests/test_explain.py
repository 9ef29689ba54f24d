"""dfdx.explain: attributions, sensitivity, delta method and Laplace, against known answers."""

import numpy as np
import pytest

import dfdx
from dfdx import explain, nn


def test_integrated_gradients_of_a_linear_model_are_exact():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 3))
    b = rng.normal(size=3)
    x, base = rng.normal(size=6), rng.normal(size=6)
    for method in ("gausslegendre", "riemann_trapezoid", "riemann_middle"):
        ig = explain.integrated_gradients(lambda v: v @ W + b, x, base, steps=7, target=1,
                                          method=method)
        np.testing.assert_allclose(ig.attributions, (x - base) * W[:, 1], rtol=1e-13, atol=1e-15)
        assert abs(ig.delta) < 1e-13
        assert ig.f_x - ig.f_baseline == pytest.approx((x - base) @ W[:, 1])


def test_integrated_gradients_completeness_improves_with_steps():
    w = np.array([1.0, -2.0, 0.5, 3.0])
    f = lambda v: np.sum(np.tanh(2 * v) * w) + np.sum(v ** 2)
    x = np.array([1.0, 0.5, -1.0, 2.0])
    gaps = [explain.integrated_gradients(f, x, steps=s, method="riemann_trapezoid").relative_gap
            for s in (5, 20, 80)]
    assert gaps[0] > gaps[1] > gaps[2]
    assert explain.integrated_gradients(f, x, steps=40).relative_gap < 1e-8
    # attributions of a separable function: each is that coordinate's own change
    ig = explain.integrated_gradients(f, x, steps=40)
    np.testing.assert_allclose(ig.attributions, np.tanh(2 * x) * w + x ** 2, rtol=1e-9)
    with pytest.raises(ValueError, match="steps"):
        explain.integrated_gradients(f, x, steps=1)
    with pytest.raises(ValueError, match="target"):
        explain.integrated_gradients(f, x, target=0)


def test_saliency_gradient_x_input_smoothgrad():
    W = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0]])
    f = lambda v: v @ W
    x = np.array([2.0, -1.0, 0.5])
    np.testing.assert_allclose(explain.saliency(f, x, target=0), np.abs(W[:, 0]))
    np.testing.assert_allclose(explain.saliency(f, x, target=1, abs=False), W[:, 1])
    np.testing.assert_allclose(explain.gradient_x_input(f, x, target=0), x * W[:, 0])
    np.testing.assert_allclose(explain.smoothgrad(f, x, target=0, samples=3), W[:, 0])
    # on a curved function SmoothGrad averages: E[d/dx x^3] = 3 (x^2 + sd^2)
    g = explain.smoothgrad(lambda v: np.sum(v ** 3), np.array([0.0, 1.0]), samples=4000,
                           noise=0.2, rng=np.random.default_rng(0))
    np.testing.assert_allclose(g, 3 * (np.array([0.0, 1.0]) ** 2 + 0.2 ** 2), atol=0.03)
    a = explain.smoothgrad(lambda v: np.sum(v ** 3), x, samples=5, rng=np.random.default_rng(1))
    b = explain.smoothgrad(lambda v: np.sum(v ** 3), x, samples=5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    # batched rows: per-row attributions from one gradient
    xb = np.stack([x, 2 * x])
    np.testing.assert_allclose(explain.gradient_x_input(f, xb, target=1), xb * W[:, 1])


def test_sensitivity_norms():
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
    s = explain.sensitivity(lambda v: np.tanh(A @ v), np.zeros(3))
    np.testing.assert_allclose(s.jacobian, A)
    assert s.frobenius == pytest.approx(np.linalg.norm(A))
    assert s.spectral == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])
    np.testing.assert_allclose(s.per_input, np.linalg.norm(A, axis=0))


def test_delta_method_is_exact_for_affine_maps():
    rng = np.random.default_rng(3)
    A, c = rng.normal(size=(2, 4)), rng.normal(size=2)
    L = rng.normal(size=(4, 4))
    cov = L @ L.T
    mean = rng.normal(size=4)
    m, C = explain.delta_method(lambda v: A @ v + c, mean, cov)
    np.testing.assert_allclose(m, A @ mean + c)
    np.testing.assert_allclose(C, A @ cov @ A.T, rtol=1e-12)
    # against Monte Carlo for a mildly curved map (small variance)
    f = lambda v: np.exp(0.3 * v[0]) + v[1] * v[2]
    mean3, cov3 = np.array([0.2, 1.0, -0.5]), 1e-4 * np.eye(3)
    m3, C3 = explain.delta_method(f, mean3, cov3)
    assert np.shape(C3) == ()
    samples = rng.multivariate_normal(mean3, cov3, size=200_000)
    vals = np.exp(0.3 * samples[:, 0]) + samples[:, 1] * samples[:, 2]
    assert float(C3) == pytest.approx(vals.var(), rel=0.02)
    with pytest.raises(ValueError, match="covariance"):
        explain.delta_method(f, mean3, np.eye(2))


def bayes_linreg(seed=0, n=30, d=3, sigma=0.5, alpha=2.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.array([1.0, -2.0, 0.5])[:d] + sigma * rng.normal(size=n)
    prec = X.T @ X / sigma ** 2 + alpha * np.eye(d)
    cov = np.linalg.inv(prec)
    mean = cov @ X.T @ y / sigma ** 2
    return X, y, sigma, alpha, mean, cov


@pytest.mark.parametrize("method", ["hessian", "ggn"])
def test_laplace_equals_the_exact_posterior_of_bayesian_linear_regression(method):
    X, y, sigma, alpha, mean, cov = bayes_linreg()
    loss = lambda w: 0.5 * np.sum((y - X @ w) ** 2) / sigma ** 2
    post = explain.laplace(loss, np.zeros(3), prior_precision=alpha, fit=True, method=method,
                           apply=lambda w, x: x @ w, x=X, likelihood="gaussian", sigma=sigma)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-10)
    np.testing.assert_allclose(post.cov, cov, rtol=1e-10)
    np.testing.assert_allclose(post.std, np.sqrt(np.diag(cov)))
    assert post.log_det_precision == pytest.approx(np.linalg.slogdet(np.linalg.inv(cov))[1])
    x_new = np.array([[1.0, 0.0, 2.0], [0.5, -1.0, 1.0]])
    m, s = post.predict(lambda w: x_new @ w)
    np.testing.assert_allclose(m, x_new @ mean)
    np.testing.assert_allclose(s, np.sqrt(np.einsum("ij,jk,ik->i", x_new, cov, x_new)))
    draws = np.array(post.sample(np.random.default_rng(0), 4000))
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=4 * np.sqrt(cov.max() / 4000) + 1e-3)


def test_laplace_pytree_params_and_errors():
    X, y, sigma, alpha, mean, cov = bayes_linreg(d=2)
    loss = lambda p: 0.5 * np.sum((y - X[:, :1] @ p["a"] - X[:, 1] * p["b"]) ** 2) / sigma ** 2
    post = explain.laplace(loss, {"a": np.zeros(1), "b": 0.0}, prior_precision=alpha, fit=True)
    np.testing.assert_allclose(post.mean["a"], mean[:1], rtol=1e-10)
    assert float(post.mean["b"]) == pytest.approx(mean[1])
    np.testing.assert_allclose(post.cov, cov, rtol=1e-10)
    with pytest.raises(ValueError, match="not positive definite"):
        explain.laplace(lambda w: -np.sum(w ** 2), np.zeros(2))
    with pytest.raises(ValueError, match="apply="):
        explain.laplace(loss, {"a": np.zeros(1), "b": 0.0}, method="ggn")


@pytest.fixture(scope="module")
def digits_model():
    pytest.importorskip("sklearn")
    res = nn.train_digits(epochs=4, hidden=(64,), lr=0.02, activation="tanh", dtype=np.float64,
                          progress=False)
    _, x_te, _, y_te = nn.load_digits(dtype=np.float64)
    return res, x_te, y_te


def test_integrated_gradients_on_the_digits_model_is_complete(digits_model):
    res, x_te, y_te = digits_model
    assert res.test_accuracy > 0.85
    for i in range(5):
        x, label = x_te[i], int(y_te[i])
        ig = explain.integrated_gradients(lambda v: res.apply(res.params, v[None])[0], x,
                                          steps=50, target=label)
        assert ig.relative_gap < 0.01, (i, ig.delta, ig.f_x - ig.f_baseline)
        assert ig.attributions.shape == (64,)
        # pixels that are blank in both input and baseline get no attribution
        assert np.all(ig.attributions[x == 0] == 0)


def test_laplace_ggn_on_a_small_classifier_gives_predictive_spread():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    apply = lambda w, x: x @ w
    loss = lambda w: len(X) * nn.softmax_cross_entropy(apply(w, X), y)
    post = explain.laplace(loss, np.zeros((2, 2)), prior_precision=1.0, fit=True, method="ggn",
                           apply=apply, x=X, likelihood="softmax")
    H = dfdx.hessian(lambda v: loss(v.reshape(2, 2)))(post.mean.ravel()) + np.eye(4)
    np.testing.assert_allclose(post.precision, H, rtol=1e-8)    # GGN = Hessian (canonical link)
    near = np.array([[0.05, -0.05]])
    far = np.array([[3.0, 3.0]])
    _, s_near = post.predict(lambda w: apply(w, near)[:, 0] - apply(w, near)[:, 1])
    _, s_far = post.predict(lambda w: apply(w, far)[:, 0] - apply(w, far)[:, 1])
    assert s_far[0] > s_near[0] > 0
