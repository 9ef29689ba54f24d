"""dfdx.grid: derivatives of sampled data, uniform and non-uniform, any dimension."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfdx import grid


def test_seed_first_and_second_derivative():
    # the seed: np.gradient(f(x), x) and np.gradient(f_prime, x) for 2x^2 + 3x + 1
    x = np.linspace(-5, 5, 100)
    y = 2 * x**2 + 3 * x + 1
    d1 = grid.derivative(y, x)
    d2 = grid.derivative(y, x, n=2)
    np.testing.assert_allclose(d1, 4 * x + 3, rtol=0, atol=1e-11)       # edges included
    np.testing.assert_allclose(d2, 4.0, rtol=0, atol=1e-9)
    (g,) = grid.gradient(y, x)
    np.testing.assert_array_equal(g, d1)
    # np.gradient's edges are first order by default, ours are exact for a quadratic
    assert abs(np.gradient(y, x)[0] - 4 * x[0] - 3) > 1e-3


def test_seed_partials_on_a_correct_meshgrid():
    x = np.linspace(-1, 1, 81)
    y = np.linspace(-2, 2, 101)
    X, Y = np.meshgrid(x, y, indexing="ij")
    F = X**2 + 3 * Y + np.exp(X * Y)
    fx, fy = grid.gradient(F, x, y, accuracy=6)
    np.testing.assert_allclose(fx, 2 * X + Y * np.exp(X * Y), atol=1e-6)
    np.testing.assert_allclose(fy, 3 + X * np.exp(X * Y), atol=1e-6)
    fxy = grid.partial(F, x, y, order=(1, 1), accuracy=6)
    np.testing.assert_allclose(fxy, (1 + X * Y) * np.exp(X * Y), atol=1e-5)


def test_the_np_gradient_pitfall_is_explained():
    x = np.linspace(-5, 5, 100)
    y = np.linspace(-5, 5, 100)
    with pytest.raises(ValueError, match="meshgrid"):
        grid.gradient(x**2 + 3 * y + np.exp(x * y), x, y)


def test_xy_indexing_with_different_lengths_is_caught():
    x = np.linspace(0, 1, 5)
    y = np.linspace(0, 1, 7)
    X, Y = np.meshgrid(x, y)            # 'xy': shape (7, 5)
    with pytest.raises(ValueError, match="indexing='ij'"):
        grid.gradient(X + Y, x, y)


@pytest.mark.parametrize("accuracy", range(1, 9))
@pytest.mark.parametrize("n", [1, 2, 3])
def test_polynomials_exact_on_nonuniform_grid(accuracy, n):
    rng = np.random.default_rng(accuracy * 10 + n)
    x = np.sort(rng.uniform(-1, 1, 30))
    x = np.unique(x)
    deg = n + accuracy - 1
    coef = rng.normal(size=deg + 1)
    p = np.polynomial.Polynomial(coef)
    d = grid.derivative(p(x), x, n=n, accuracy=accuracy)
    np.testing.assert_allclose(d, p.deriv(n)(x), atol=1e-6 * np.abs(coef).sum() * 10**n)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8), st.integers(1, 3), st.lists(st.floats(-2, 2), min_size=1, max_size=9),
       st.booleans())
def test_property_polynomials_of_degree_up_to_accuracy_are_exact(accuracy, n, coef, uniform):
    coef = coef[:accuracy + 1]                   # degree <= accuracy
    x = np.linspace(-1, 2, 25) if uniform else np.cumsum(np.linspace(0.5, 1.5, 25)) / 10
    p = np.polynomial.Polynomial(coef)
    d = grid.derivative(p(x), x, n=n, accuracy=accuracy)
    scale = (np.abs(coef).sum() + 1) * 10**(2 * n)
    np.testing.assert_allclose(d, p.deriv(n)(x), atol=1e-8 * scale)


def test_accuracy_order_is_observed():
    errs = []
    for N in (41, 81):
        x = np.linspace(0, 2, N)
        errs.append(np.max(np.abs(grid.derivative(np.sin(x), x, accuracy=4) - np.cos(x))))
    order = math.log2(errs[0] / errs[1])
    assert order > 3.5


def test_interior_matches_np_gradient_at_second_order():
    x = np.linspace(0, 3, 50)
    y = np.sin(x) * np.exp(x)
    np.testing.assert_allclose(grid.derivative(y, x)[1:-1], np.gradient(y, x)[1:-1], rtol=1e-12)


def test_three_dimensions_and_axis_argument():
    x = np.linspace(0, 1, 11)
    y = np.linspace(0, 2, 13)
    z = np.linspace(-1, 1, 9)
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    F = X * Y**2 * Z**3
    gx, gy, gz = grid.gradient(F, x, y, z, accuracy=4)
    np.testing.assert_allclose(gx, Y**2 * Z**3, atol=1e-10)
    np.testing.assert_allclose(gy, 2 * X * Y * Z**3, atol=1e-10)
    np.testing.assert_allclose(gz, 3 * X * Y**2 * Z**2, atol=1e-10)
    np.testing.assert_allclose(grid.derivative(F, z, axis=-1, n=3, accuracy=2), 6 * X * Y**2, atol=1e-8)


def test_spacing_and_decreasing_coordinates():
    x = np.linspace(1, 0, 21)                 # decreasing
    np.testing.assert_allclose(grid.derivative(x**2, x), 2 * x, atol=1e-12)
    np.testing.assert_allclose(grid.derivative(np.arange(10.0)**2, 1.0), 2 * np.arange(10.0), atol=1e-10)
    (g,) = grid.gradient(np.arange(5.0))      # default spacing 1
    np.testing.assert_allclose(g, 1.0)


def test_bad_input():
    x = np.linspace(0, 1, 10)
    with pytest.raises(ValueError, match="n must be"):
        grid.derivative(x, x, n=-1)
    with pytest.raises(ValueError, match="accuracy"):
        grid.derivative(x, x, accuracy=9)
    with pytest.raises(ValueError, match="coordinates have"):
        grid.derivative(x, x[:-1])
    with pytest.raises(ValueError, match="strictly"):
        grid.derivative(x, np.r_[x[:5], x[:5]])
    with pytest.raises(ValueError, match="too few"):
        grid.derivative(x[:3], x[:3], n=2, accuracy=4)
    with pytest.raises(ValueError, match="scalar"):
        grid.derivative(1.0)
    with pytest.raises(ValueError, match="1-D"):
        X, Y = np.meshgrid(x, x, indexing="ij")
        grid.derivative(X, X)
    with pytest.raises(ValueError, match="order needs"):
        grid.partial(np.zeros((10, 10)), x, x, order=(1,))
    with pytest.raises(ValueError, match="spacing"):
        grid.derivative(x, 0.0)
