"""dfdx on a GPU through CuPy: the same NumPy code, with CuPy arrays as values.

Skipped (with the reason) without `cupy` or without a CUDA device. No GPU run has
been made of these tests yet: the machine they were written on has none.
"""

from __future__ import annotations

import numpy as np
import pytest

import dfdx
from w2_model import w2_loss, w2_params

cp = pytest.importorskip("cupy", reason="needs CuPy and a CUDA device (pip install cupy-cuda12x)")
try:
    _DEVICES = cp.cuda.runtime.getDeviceCount()
except Exception:  # noqa: BLE001 - a CuPy without a driver
    _DEVICES = 0
pytestmark = pytest.mark.skipif(_DEVICES == 0, reason="CuPy is installed but no CUDA device")


def w1(x):
    return np.sum(np.sin(x) * np.exp(-x ** 2) + np.tanh(x))


def _w2_data(rng, sizes=(64, 256, 256, 10), batch=128):
    params = w2_params(rng, sizes)
    x = rng.standard_normal((batch, sizes[0]))
    onehot = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    return params, x, onehot


def test_w1_gradient_stays_on_the_device():
    x = np.random.default_rng(0).uniform(-2, 2, 10_000)     # larger than the tape's slim size
    g = dfdx.grad(w1)(cp.asarray(x))
    assert isinstance(g, cp.ndarray) and g.shape == x.shape and g.dtype == x.dtype
    np.testing.assert_allclose(cp.asnumpy(g), dfdx.grad(w1)(x), rtol=1e-12, atol=1e-14)


def test_w2_gradient_on_the_device_equals_numpy():
    params, x, onehot = _w2_data(np.random.default_rng(1))
    expect = dfdx.grad(w2_loss)(params, x, onehot)
    got = dfdx.grad(w2_loss)([cp.asarray(p) for p in params], cp.asarray(x), cp.asarray(onehot))
    for g, e in zip(got, expect):
        assert isinstance(g, cp.ndarray) and g.dtype == e.dtype
        np.testing.assert_allclose(cp.asnumpy(g), e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f", [lambda x: np.mean(x ** 2), lambda x: np.sum(np.max(x, axis=1)),
                               lambda x: np.sum(x[3:40] @ x[3:40].T),
                               lambda x: np.std(x) + np.sum(np.maximum(x, 0))],
                         ids=["mean", "max", "index_matmul", "std_relu"])
def test_core_ops_on_the_device(f):
    x = np.random.default_rng(2).normal(size=(100, 50))
    g = dfdx.grad(f)(cp.asarray(x))
    assert isinstance(g, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(g), dfdx.grad(f)(x), rtol=1e-10, atol=1e-12)
