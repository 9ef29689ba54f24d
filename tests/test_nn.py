"""dfdx.nn: activations, losses, layers, initialisers and the training loop."""

import io
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.stats

import dfdx
from dfdx import nn, optim

DTYPES = [np.float32, np.float64]
ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "softplus", "gelu"]


def numeric_grad(f, x, h=1e-6):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# --- activations -------------------------------------------------------------

def test_activation_values_match_references():
    x = np.linspace(-6, 6, 41)
    np.testing.assert_allclose(nn.relu(x), np.where(x > 0, x, 0))
    np.testing.assert_allclose(nn.leaky_relu(x, 0.2), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(nn.sigmoid(x), scipy.special.expit(x), rtol=1e-14)
    np.testing.assert_allclose(nn.softplus(x), np.log1p(np.exp(x)), rtol=1e-13)
    np.testing.assert_allclose(nn.gelu(x, approximate=True),
                               0.5 * x * (1 + scipy.special.erf(x / np.sqrt(2))), atol=2e-3)
    z = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    np.testing.assert_allclose(nn.softmax(z), scipy.special.softmax(z, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(nn.log_softmax(z), scipy.special.log_softmax(z, axis=-1),
                               rtol=1e-14)
    np.testing.assert_allclose(nn.logsumexp(z), scipy.special.logsumexp(z, axis=-1), rtol=1e-14)


def test_activations_are_stable_at_extremes():
    x = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ACTS:
            y = getattr(nn, name)(x)
            assert np.all(np.isfinite(y)), name
            g = dfdx.grad(lambda v: np.sum(getattr(nn, name)(v)))(x)
            assert np.all(np.isfinite(g)), name
        assert np.all(np.isfinite(nn.log_softmax(np.array([1e4, 0.0, -1e4]))))
    # relative accuracy deep in the tail, where 1 - sigmoid(-x) would round to 0
    assert nn.sigmoid(np.array(-40.0)) == pytest.approx(scipy.special.expit(-40.0), rel=1e-12)


@pytest.mark.parametrize("name", ACTS)
def test_activation_gradients_match_finite_differences(name):
    act = getattr(nn, name)
    x = np.array([-2.3, -0.7, 0.4, 1.9])
    f = lambda v: np.sum(act(v) * np.array([1.0, -2.0, 0.5, 3.0]))
    np.testing.assert_allclose(dfdx.grad(f)(x), numeric_grad(f, x), rtol=1e-7, atol=1e-9)


def test_kinks_follow_the_mean_of_one_sided_derivatives():
    x = np.zeros(3)
    np.testing.assert_array_equal(dfdx.grad(lambda v: np.sum(nn.relu(v)))(x), 0.5)
    np.testing.assert_allclose(dfdx.grad(lambda v: np.sum(nn.leaky_relu(v, 0.1)))(x), 0.55)
    assert float(dfdx.grad(lambda v: nn.sigmoid(v))(0.0)) == pytest.approx(0.25)


def test_log_softmax_derivatives_first_and_second_order():
    z = np.array([0.3, -1.2, 2.0])
    p = scipy.special.softmax(z)
    J = dfdx.jacobian(nn.log_softmax)(z)
    np.testing.assert_allclose(J, np.eye(3) - p[None, :], rtol=1e-13)
    # Hessian of logsumexp = diag(p) - p p^T, through the stop_gradient shift
    H = dfdx.hessian(lambda v: nn.logsumexp(v))(z)
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS + ["softmax", "log_softmax"])
def test_activations_keep_dtype(name, dtype):
    fn = getattr(nn, name)
    x = np.linspace(-3, 3, 6).astype(dtype).reshape(2, 3)
    assert fn(x).dtype == dtype
    assert dfdx.grad(lambda v: np.sum(fn(v) ** 2))(x).dtype == dtype


def test_gelu_exact_form():
    x = np.array([-1.0, 0.5, 2.0])
    try:
        y = nn.gelu(x, approximate=False)
    except dfdx.UnsupportedOperation:
        pytest.skip("no erf rule in the engine yet")
    np.testing.assert_allclose(y, 0.5 * x * (1 + scipy.special.erf(x / np.sqrt(2))))


# --- losses ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_value_gradient_and_dtype(dtype):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4)).astype(dtype)
    y = rng.integers(0, 4, 6)
    loss = nn.softmax_cross_entropy(z, y)
    ref = -np.mean(scipy.special.log_softmax(z.astype(np.float64), axis=1)[np.arange(6), y])
    assert loss.dtype == dtype
    assert float(loss) == pytest.approx(ref, rel=1e-5 if dtype == np.float32 else 1e-13)
    g = dfdx.grad(nn.softmax_cross_entropy)(z, y)
    assert g.dtype == dtype
    expected = (scipy.special.softmax(z.astype(np.float64), axis=1) - np.eye(4)[y]) / 6
    np.testing.assert_allclose(g, expected, atol=1e-6 if dtype == np.float32 else 1e-15)
    # one-hot targets give the same loss as integer labels
    assert float(nn.softmax_cross_entropy(z, np.eye(4)[y])) == pytest.approx(float(loss))


def test_softmax_cross_entropy_label_smoothing_and_huge_logits():
    z = np.array([[2.0, 0.0, -1.0]])
    eps = 0.1
    t = (1 - eps) * np.array([1.0, 0, 0]) + eps / 3
    ref = -np.sum(t * scipy.special.log_softmax(z, axis=1))
    assert float(nn.softmax_cross_entropy(z, [0], label_smoothing=eps)) == pytest.approx(ref)
    big = np.array([[1e4, -1e4], [-1e4, 1e4]])
    assert float(nn.softmax_cross_entropy(big, [0, 0])) == pytest.approx(1e4)
    assert np.all(np.isfinite(dfdx.grad(nn.softmax_cross_entropy)(big, np.array([0, 0]))))
    with pytest.raises(ValueError, match="labels of shape"):
        nn.softmax_cross_entropy(z, np.array([0, 1]))


def test_binary_cross_entropy():
    z = np.array([-3.0, 0.5, 40.0, -800.0])
    y = np.array([0, 1, 1, 1])
    p = scipy.special.expit(z[:2])
    ref2 = -np.mean(y[:2] * np.log(p) + (1 - y[:2]) * np.log(1 - p))
    assert float(nn.binary_cross_entropy(z[:2], y[:2])) == pytest.approx(ref2, rel=1e-12)
    assert float(nn.binary_cross_entropy(z[2:3], y[2:3])) == pytest.approx(np.log1p(np.exp(-40)))
    assert float(nn.binary_cross_entropy(z[3:], y[3:])) == pytest.approx(800.0)
    g = dfdx.grad(nn.binary_cross_entropy)(z, y)
    np.testing.assert_allclose(g, (scipy.special.expit(z) - y) / 4, atol=1e-15)
    smooth = nn.binary_cross_entropy(np.array([0.0]), np.array([1]), label_smoothing=0.2)
    assert float(smooth) == pytest.approx(np.log(2))
    assert nn.binary_cross_entropy(z.astype(np.float32), y).dtype == np.float32


def test_mse_gaussian_nll_accuracy():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])
    assert float(nn.mse(a, b)) == pytest.approx(13 / 3)
    np.testing.assert_allclose(dfdx.grad(nn.mse)(a, b), 2 * (a - b) / 3)
    nll = nn.gaussian_nll(a, b, sigma=2.0)
    assert float(nll) == pytest.approx(np.mean(-scipy.stats.norm.logpdf(b, a, 2.0)))
    assert nn.gaussian_nll(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32
    assert nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), [1, 0, 0]) == \
        pytest.approx(2 / 3)
    assert nn.accuracy(np.array([-1.0, 2.0]), np.array([0, 1])) == 1.0


# --- layers, initialisers ------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_shapes_dtypes_and_gradients(dtype):
    init, apply = nn.mlp([5, 7, 3], activation="tanh", dtype=dtype)
    params = init(np.random.default_rng(0))
    assert [p["W"].shape for p in params] == [(5, 7), (7, 3)]
    assert all(p["W"].dtype == dtype and p["b"].dtype == dtype for p in params)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(dtype)
    y = np.array([0, 2, 1, 1])
    out = apply(params, x)
    assert out.shape == (4, 3) and out.dtype == dtype
    loss = lambda p: nn.softmax_cross_entropy(apply(p, x), y)
    g = dfdx.grad(loss)(params)
    assert all(gl["W"].dtype == dtype for gl in g)
    if dtype == np.float64:          # backprop against finite differences for one weight matrix
        W0 = params[0]["W"]

        def f_of_w(w):
            return float(loss([{"W": w, "b": params[0]["b"]}, params[1]]))
        np.testing.assert_allclose(g[0]["W"], numeric_grad(f_of_w, W0), rtol=1e-6, atol=1e-10)


def test_mlp_init_is_reproducible_and_validates():
    init, _ = nn.mlp([3, 4, 2])
    a, b = init(np.random.default_rng(7)), init(np.random.default_rng(7))
    np.testing.assert_array_equal(a[0]["W"], b[0]["W"])
    with pytest.raises(ValueError, match="at least two"):
        nn.mlp([3])
    with pytest.raises(ValueError, match="Unknown activation"):
        nn.mlp([3, 2], activation="swishy")
    with pytest.raises(TypeError, match="np.random.Generator"):
        init(0)


def test_initialiser_scales():
    rng = np.random.default_rng(0)
    W = nn.glorot_uniform(rng, (300, 200))
    assert np.abs(W).max() <= np.sqrt(6 / 500)
    assert W.var() == pytest.approx(2 / 500, rel=0.05)
    assert nn.he_normal(rng, (400, 300)).var() == pytest.approx(2 / 400, rel=0.05)
    assert nn.glorot_normal(rng, (400, 300)).var() == pytest.approx(2 / 700, rel=0.05)
    assert nn.he_uniform(rng, (400, 300), np.float32).dtype == np.float32


def test_dropout():
    x = np.ones((200, 50))
    y = nn.dropout(x, 0.3, np.random.default_rng(0))
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert y.mean() == pytest.approx(1.0, abs=0.03)
    np.testing.assert_array_equal(nn.dropout(x, 0.3, np.random.default_rng(0)), y)
    assert nn.dropout(x, 0.3, None, training=False) is x
    g = dfdx.grad(lambda v: np.sum(nn.dropout(v, 0.5, np.random.default_rng(3))))(np.ones(10))
    mask = nn.dropout(np.ones(10), 0.5, np.random.default_rng(3))
    np.testing.assert_array_equal(g, mask)
    assert nn.dropout(x.astype(np.float32), 0.5, np.random.default_rng(0)).dtype == np.float32
    with pytest.raises(ValueError):
        nn.dropout(x, 1.0, np.random.default_rng(0))
    init, apply = nn.mlp([4, 8, 2], dropout_rate=0.5)
    p = init(np.random.default_rng(0))
    xb = np.ones((3, 4))
    np.testing.assert_array_equal(apply(p, xb), apply(p, xb))     # no rng: deterministic
    assert not np.allclose(apply(p, xb, rng=np.random.default_rng(1)), apply(p, xb))


# --- training ------------------------------------------------------------------

def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 2)) + 3 * np.stack([np.cos(2 * y), np.sin(2 * y)], axis=1)
    return x, y


def test_fit_trains_reports_and_calls_back():
    x, y = _blobs()
    init, apply = nn.mlp([2, 16, 3], activation="tanh")
    loss = lambda p, xb, yb: (nn.softmax_cross_entropy(apply(p, xb), yb), apply(p, xb))
    records = []
    out = io.StringIO()
    params, hist = nn.fit(loss, init(np.random.default_rng(0)), optim.Adam(0.05), (x, y),
                          epochs=6, batch_size=32, has_aux=True,
                          batch_metrics=lambda z, xb, yb: {"accuracy": nn.accuracy(z, yb)},
                          evaluate=lambda p: {"test_accuracy": nn.accuracy(apply(p, x), y)},
                          progress="lines", on_epoch=records.append, stream=out)
    assert [r["epoch"] for r in records] == list(range(1, 7))
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert hist["test_accuracy"][-1] > 0.9
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 6 and "loss" in lines[0] and "accuracy" in lines[0]


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_fit_stops_on_nan_gradient_naming_step_and_parameter():
    x, y = _blobs(40)
    init, apply = nn.mlp([2, 3])

    def loss(p, xb, yb):
        # the square root of a negative number: a NaN gradient at the first step
        return nn.softmax_cross_entropy(apply(p, xb), yb) + np.sqrt(p[0]["b"][1] - 1.0)

    with pytest.raises(optim.NonFiniteGradientError, match=r"params\[0\]\['b'\].*step 1\b"):
        nn.fit(loss, init(np.random.default_rng(0)), optim.SGD(1.0), (x, y), epochs=5,
               batch_size=10, progress=False)


def test_train_digits_small_configuration():
    pytest.importorskip("sklearn")
    out = io.StringIO()
    res = nn.train_digits(epochs=3, hidden=(64,), lr=0.02, progress="lines", stream=out)
    assert res.test_accuracy > 0.85
    assert len(res.history["loss"]) == 3 and len(res.history["test_accuracy"]) == 3
    assert res.history["loss"][-1] < res.history["loss"][0]
    assert res.params[0]["W"].dtype == np.float32
    assert out.getvalue().count("\n") == 3
    x_tr, x_te, y_tr, y_te = nn.load_digits()
    assert len(x_te) == 360 and len(x_tr) == 1437
    # stratified: every class holds about a fifth of its examples in the test split
    counts = np.bincount(y_te) / (np.bincount(y_te) + np.bincount(y_tr))
    assert np.all(np.abs(counts - 0.2) < 0.02)


def test_binary_cross_entropy_differentiates_in_soft_targets():
    # the loss is mean(log(1 + e^z) - t z): its derivative in the targets is -z / n
    z, t = np.array([0.3, -1.2, 2.0]), np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(dfdx.grad(nn.binary_cross_entropy, argnums=1)(z, t), -z / 3,
                               rtol=1e-14)
