"""dfdx on Dask (the `dfdx[dask]` extra): gradients over Dask arrays, numeric derivatives on a
cluster, data-parallel training, against a real `distributed.LocalCluster` (two worker
processes) started here.

Every test skips, naming the extra, when dask or distributed is missing; `make test`
installs them (they are in the `test` extra), so in CI these tests run.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import dfdx
from dfdx import nn, numeric, optim
from w2_model import w2_loss, w2_params

da = pytest.importorskip("dask.array", reason='needs the dask extra: pip install "dfdx[dask]"')
dask = pytest.importorskip("dask", reason='needs the dask extra: pip install "dfdx[dask]"')
distributed = pytest.importorskip("distributed",
                                  reason='needs the dask extra: pip install "dfdx[dask]"')

MEMORY_LIMIT = 300 * 2**20     # per worker; the out-of-core data is >= 4x this


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  memory_limit=MEMORY_LIMIT, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _no_compute(*args, **kwargs):
    raise AssertionError("a Dask value was computed while tracing: a rule broke laziness")


def _pids(client):
    return client.run(os.getpid)


# -- gradients over Dask arrays ----------------------------------------------------------------

_RNG = np.random.default_rng(0)
XN = _RNG.normal(size=(400, 6))
YN = _RNG.normal(size=400)
WN = _RNG.normal(size=6)
LABELS = _RNG.integers(0, 3, size=400)
ONEHOT = np.eye(3)[LABELS]


DATA_LOSSES = {
    "mse": (lambda w, X, y: np.mean((X @ w - y) ** 2), WN, YN),
    "tanh_exp_log": (lambda w, X, y: np.sum(np.log1p(np.exp(np.tanh(X @ w))) * y), WN, YN),
    "logsumexp": (lambda w, X, y: np.mean(np.log(np.sum(np.exp(X * w), axis=1)) - (X @ w) * y),
                  WN, YN),
    "max_rows": (lambda w, X, y: np.sum(np.max(X * w, axis=1) * y), WN, YN),
    "indexing": (lambda w, X, y: np.sum((X[:50] @ w) ** 2) + np.sum(X[::3, 1:3] @ w[1:3]), WN, YN),
    "w2_mlp": (w2_loss, w2_params(np.random.default_rng(1), (6, 16, 16, 3)), ONEHOT),
}


@pytest.mark.parametrize("name", sorted(DATA_LOSSES))
def test_grad_over_dask_data_equals_in_memory(name):
    f, params, target = DATA_LOSSES[name]
    X = da.from_array(XN, chunks=(100, 6))
    T = da.from_array(target, chunks=(100,) + target.shape[1:])
    expect = dfdx.grad(f)(params, XN, target)
    with dask.config.set(scheduler=_no_compute):       # tracing builds a graph, computes nothing
        lazy = dfdx.grad(f, lazy=True)(params, X, T)
    assert all(isinstance(g, da.Array) or np.ndim(g) == 0 for g in dfdx.tree_leaves(lazy))
    got = dfdx.grad(f)(params, X, T)                   # default: NumPy, like the parameters
    for g, gl, e in zip(dfdx.tree_leaves(got), dfdx.tree_leaves(lazy), dfdx.tree_leaves(expect)):
        assert type(g) is type(e) or isinstance(g, np.ndarray)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(dask.compute(gl)[0], e, rtol=1e-12, atol=1e-13)


def test_value_and_grad_computes_the_shared_graph_once():
    calls = []
    X = da.from_array(XN, chunks=(100, 6)).map_blocks(lambda b: calls.append(b.size) or b)
    v, g = dfdx.value_and_grad(DATA_LOSSES["mse"][0])(WN, X, YN)
    assert isinstance(g, np.ndarray) and np.ndim(v) == 0
    np.testing.assert_allclose(v, np.mean((XN @ WN - YN) ** 2), rtol=1e-13)
    assert calls.count(600) == 4    # each 100 x 6 chunk read once for value and gradient


WRT = {
    "elementwise": lambda X: np.sum(np.sin(X) * np.exp(-X ** 2) + np.tanh(X)),
    "reduction": lambda X: np.sum(np.mean(X, axis=0) ** 2) + np.max(X),
    "matmul": lambda X: np.sum((X @ WN) ** 2) + np.sum(X.T @ X),
    "indexing": lambda X: np.sum(X[10:120] ** 2) + np.sum(X[:, 2]),
    "constant_gradient": lambda X: np.sum(X @ WN),
}


@pytest.mark.parametrize("name", sorted(WRT))
def test_grad_with_respect_to_a_dask_array_keeps_its_chunks(name):
    f = WRT[name]
    X = da.from_array(XN, chunks=(100, 3))
    with dask.config.set(scheduler=_no_compute):
        g = dfdx.grad(f)(X)
    assert isinstance(g, da.Array) and g.chunks == X.chunks and g.dtype == X.dtype
    np.testing.assert_allclose(g.compute(), dfdx.grad(f)(XN), rtol=1e-12, atol=1e-13)
    assert isinstance(dfdx.grad(f, lazy=False)(X), np.ndarray)


def test_lazy_option_is_checked():
    with pytest.raises(ValueError, match="lazy must be None, True or False"):
        dfdx.grad(lambda x: x, lazy="yes")


#: Where a rule cannot serve a Dask value as Dask builds it lazily: the cause, by name.
#: test_known_limits_still_hold fails when one of them starts working (then remove it).
NOT_LAZY = {
    "np.add.at (fancy-index gradient, x[[0, 0, 1]])": (
        lambda X: np.sum(X[np.array([0, 0, 1])] ** 2), "Dask has no ufunc.at"),
    "nn.softmax_cross_entropy": (
        lambda X: nn.softmax_cross_entropy(X[:, :3], da.from_array(LABELS, chunks=100)),
        "logsumexp's check for non-finite results (rules/special.py) computes the logits"),
}


def test_losses_keep_dask_labels_lazy():
    X = da.from_array(XN, chunks=(100, 6))
    labels = da.from_array(LABELS, chunks=100)
    losses = {
        "binary": lambda X, t: nn.binary_cross_entropy(X[:, 0], t % 2),
        "one_hot": lambda X, t: np.sum(X[:, :3] * nn.one_hot(t, 3)),
    }
    for name, f in losses.items():
        with dask.config.set(scheduler=_no_compute):
            lazy = dfdx.grad(f, lazy=True)(X, labels)
        np.testing.assert_allclose(lazy.compute(), dfdx.grad(f)(XN, LABELS), rtol=1e-12,
                                   atol=1e-15, err_msg=name)
    bad = da.from_array(np.r_[LABELS[:-1], 7], chunks=100)   # class 7 of 3: one bad label
    with dask.config.set(scheduler=_no_compute):
        lazy = dfdx.grad(losses["one_hot"], lazy=True)(X, bad)   # checked when computed
    with pytest.raises(ValueError, match=r"Labels must lie in \[0, 3\)"):
        lazy.compute()


@pytest.mark.parametrize("name", sorted(NOT_LAZY))
def test_known_limits_still_hold(name):
    f, why = NOT_LAZY[name]
    X = da.from_array(XN, chunks=(100, 6))
    with pytest.raises(Exception), dask.config.set(scheduler=_no_compute):   # noqa: B017
        dfdx.grad(f, lazy=True)(X)


def test_missing_dask_names_the_extra(monkeypatch):
    from dfdx import _dask
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r'pip install "dfdx\[dask\]"'):
        _dask.require("dfdx.grad of a Dask value")


# -- the cluster: out of core, numeric derivatives, faults, training ----------------------------


def test_gradient_out_of_core(client):
    """1.28 GB of data, made chunk by chunk on the workers (300 MB each): never in one process."""
    rows, d = 1_600_000, 100                    # 1.28 GB of float64, 64 chunks of 20 MB
    assert rows * d * 8 >= 4 * MEMORY_LIMIT
    rs = da.random.RandomState(0)
    X = rs.random_sample((rows, d), chunks=(25_000, d))
    y = rs.random_sample(rows, chunks=25_000)
    w = np.linspace(-1, 1, d)
    before = _pids(client)
    loss = lambda w, X, y: 0.5 * np.mean((X @ w - y) ** 2)
    with warnings.catch_warnings():
        # Dask warns of a graph over 10 MB: a NumPy cotangent of the data's length (12.8 MB)
        # put into the graph instead of being made chunk by chunk
        warnings.simplefilter("error", UserWarning)
        g = dfdx.grad(loss)(w, X, y)
    assert isinstance(g, np.ndarray) and g.shape == (d,)
    plain = ((X.T @ (X @ w - y)) / rows).compute()      # plain Dask on the same graph
    np.testing.assert_allclose(g, plain, rtol=1e-10)
    assert _pids(client) == before, "a worker was restarted (out of memory?)"


def slow_f(v):
    time.sleep(0.03)
    return np.array([np.sin(v[0]) * v[1], np.exp(v[1] - v[2]), v @ v, np.cos(v[3]) * v[0]])


def test_numeric_jacobian_on_the_cluster_equals_serial(client):
    x = np.array([0.3, -0.2, 0.5, 1.1])
    serial = numeric.jacobian(_fast_f, x)
    on = numeric.jacobian(_fast_f, x, client=client)
    np.testing.assert_array_equal(on.value, serial.value)
    np.testing.assert_array_equal(on.error, serial.error)
    assert on.nfev == serial.nfev
    h0 = numeric.hessian(lambda v: float(np.sum(v ** 3) + v[0] * v[1]), x)
    h1 = numeric.hessian(lambda v: float(np.sum(v ** 3) + v[0] * v[1]), x,
                         executor=client.get_executor())
    np.testing.assert_array_equal(h0.value, h1.value)


def _fast_f(v):
    return np.array([np.sin(v[0]) * v[1], np.exp(v[1] - v[2]), v @ v, np.cos(v[3]) * v[0]])


def _edge_f(v):
    if v[0] > 0.3:
        raise ValueError("outside the domain")     # undefined there: NaN, a one-sided stencil
    return float(np.sum(v ** 2))


def _buggy_f(v):
    raise KeyError("a bug in f")


def test_numeric_failures_on_workers(client):
    x = np.array([0.3, -0.2])
    serial = numeric.gradient(_edge_f, x)
    on = numeric.gradient(_edge_f, x, client=client)
    assert on.method == serial.method == "backward/central"
    np.testing.assert_array_equal(on.value, serial.value)
    with pytest.raises(KeyError, match="a bug in f"):     # a bug surfaces, no hang
        numeric.gradient(_buggy_f, x, client=client)
    with pytest.raises(ValueError, match="not both"):
        numeric.gradient(_edge_f, x, client=client, executor=client.get_executor())


def test_numeric_jacobian_survives_a_killed_worker(client):
    x = np.array([0.3, -0.2, 0.5, 1.1])
    serial = numeric.jacobian(_fast_f, x)
    victim = sorted(_pids(client).items())[0][1]
    killed = []

    def kill():
        os.kill(victim, signal.SIGKILL)
        killed.append(time.perf_counter())

    timer = threading.Timer(0.8, kill)
    timer.start()
    try:
        on = numeric.jacobian(slow_f, x, client=client)
    finally:
        timer.cancel()
    end = time.perf_counter()
    assert killed and killed[0] < end, "the worker was not killed during the Jacobian"
    assert victim not in _pids(client).values()
    np.testing.assert_array_equal(on.value, serial.value)
    np.testing.assert_array_equal(on.error, serial.error)
    client.wait_for_workers(2)


def test_fit_on_the_cluster_matches_single_machine(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 8))
    y = rng.integers(0, 3, 512)
    init, apply = nn.mlp([8, 16, 3], activation="tanh")
    p0 = init(np.random.default_rng(1))
    loss = lambda p, xb, yb: nn.softmax_cross_entropy(apply(p, xb), yb)
    kw = dict(epochs=2, batch_size=64, progress=False)
    pa, ha = nn.fit(loss, p0, optim.Adam(1e-2), (X, y), rng=np.random.default_rng(5), **kw)
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)   # any chunks
    pb, hb = nn.fit(loss, p0, optim.Adam(1e-2), (Xd, yd), rng=np.random.default_rng(5),
                    client=client, **kw)
    diff = max(np.max(np.abs(a - b)) for a, b in zip(dfdx.tree_leaves(pa), dfdx.tree_leaves(pb)))
    assert diff < 1e-10
    assert ha["loss"] == pytest.approx(hb["loss"], rel=1e-12)
    assert hb["loss"][1] < hb["loss"][0]


def test_cholesky_of_a_dask_array_is_the_lower_factor_and_differentiates():
    # dask.array answers np.linalg.cholesky with the upper factor: dfdx keeps NumPy's lower
    a = np.array([[4.0, 2.0, 0.4], [2.0, 3.0, 0.5], [0.4, 0.5, 2.0]])
    A = da.from_array(a, chunks=3)
    L = dfdx.rules.linalg.cholesky(A)
    np.testing.assert_allclose(np.asarray(L), np.linalg.cholesky(a), rtol=1e-14)
    f = lambda m: np.sum(np.linalg.cholesky(m) * np.arange(9.0).reshape(3, 3))  # noqa: E731
    np.testing.assert_allclose(np.asarray(dfdx.grad(f)(A)), dfdx.grad(f)(a), rtol=1e-12)
