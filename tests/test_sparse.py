"""Sparse Jacobians: the pattern found from the code, colouring, compressed forward sweeps.

The pattern must never miss an entry of the dense Jacobian or Hessian (checked on
the whole rules table, at the sample point), and the compressed Jacobian and
Hessian equal the dense ones exactly where both run (three Hessians to rounding).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import given, settings, strategies as st

import dfdx
from dfdx._numpy.registry import callable_name
from dfdx._colouring import colour_columns, colour_star
from rule_samples import SAMPLES

#: samples the pattern tracer cannot run, with the named error (SciPy's own functions and
#: functions that convert their input: until primitives hand duck values over)
#: rules-table samples that write into arrays (dfdx.rules.writes): sparsity does not trace
#: writes (y[...] = v on a Pattern is Python's TypeError; np.zeros(n, like=x) is not served)
WRITES = {"dfdx._numpy.box._setitem", "numpy.copyto", "numpy.put", "numpy.put_along_axis",
          "numpy.fill_diagonal", "numpy.zeros", "numpy.empty", "numpy.ones", "numpy.full"}
REFUSED = {"dfdx.rules._util._untake": "add.at", "dfdx.rules.special._polygamma": "np.asarray",
           "dfdx.rules.linalg._cofactor_value": "Cannot differentiate"}


def _params():
    out = []
    for key, samples in SAMPLES.items():
        for i, s in enumerate(samples):
            floats = [j for j, a in enumerate(s.args)
                      if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
            if s.xfail or s.kind == "kink" or not floats:
                continue
            pid = f"{callable_name(key)}[{s.label or i}]"
            out.append(pytest.param(s, callable_name(key), floats[0], id=pid))
    return out


@pytest.mark.parametrize("sample,name,i", _params())
def test_pattern_covers_the_dense_jacobian_and_the_compressed_one_equals_it(sample, name, i):
    """... exactly: compressed sweeps add structural zeros only."""
    if name in WRITES:
        pytest.skip("writes into an array: dfdx.sparsity does not trace them (see test_writes)")
    x0 = sample.args[i]

    def g(x):
        args = list(sample.args)
        args[i] = x
        return np.ravel(dfdx.tree_leaves(sample.fn(*args))[0])

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            J = np.asarray(dfdx.jacfwd(g)(x0)).reshape(-1, x0.size)
        except (dfdx.DfdxError, TypeError, ValueError) as e:
            pytest.skip(f"no dense Jacobian to compare with: {str(e)[:60]}")
        if name in REFUSED or "scipy" in name:
            try:
                P = dfdx.sparsity(g, x0)
            except (dfdx.DfdxError, TypeError) as e:
                assert REFUSED.get(name, "np.asarray") in str(e)
                return
        P = dfdx.sparsity(g, x0)
        assert sps.issparse(P) and P.shape == J.shape
        missed = (J != 0) & ~P.toarray()
        assert not missed.any(), f"the pattern misses {np.argwhere(missed)[:5].tolist()}"
        S = dfdx.sparse_jacobian(g, x0)(x0)
        np.testing.assert_array_equal(S.toarray(), J)     # exactly: the same sums, fewer sweeps


def test_known_patterns():
    x = np.arange(1.0, 6.0)
    band = dfdx.sparsity(lambda x: x[1:] ** 2 - x[:-1], x).toarray()
    assert (band == (np.eye(4, 5, 1, dtype=bool) | np.eye(4, 5, dtype=bool))).all()
    assert dfdx.sparsity(lambda x: np.cumsum(x), x).toarray().sum() == 15       # triangle
    assert dfdx.sparsity(lambda x: np.sum(x) * np.ones(2), x).toarray().all()
    assert not dfdx.sparsity(lambda x: np.ones(3), x).toarray().any()
    block = dfdx.sparsity(lambda x: np.reshape(x[:4], (2, 2)) @ np.ones((2, 3)), x).toarray()
    assert block.sum() == 12 and not block[:, 4].any()
    # an index computed from the values reads the whole array: a pattern for every x
    assert dfdx.sparsity(lambda x: x[np.argsort(x)], x).toarray().all()
    # np.where: both branches
    assert (dfdx.sparsity(lambda x: np.where(x > 3, x, x[::-1]), x).toarray()
            == (np.eye(5, dtype=bool) | np.eye(5, dtype=bool)[::-1])).all()


def test_bidiagonal_needs_two_colours_and_is_reused():
    n = 3000
    f = lambda x: x[1:] ** 2 - x[:-1]                             # noqa: E731
    jac = dfdx.sparse_jacobian(f, np.zeros(n))
    assert jac.colours == 2
    x = np.linspace(-1, 1, n)
    J = jac(x)
    assert J.nnz == 2 * (n - 1)
    np.testing.assert_array_equal(J.diagonal(1), 2 * x[1:])
    np.testing.assert_array_equal(J.diagonal(0), -np.ones(n - 1))
    with pytest.raises(ValueError, match="shape"):
        jac(np.zeros(n + 1))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.floats(0.0, 0.5), st.integers(0, 2**31))
def test_colouring_is_valid(m, n, density, seed):
    P = sps.random(m, n, density=density, random_state=seed, format="csr") != 0
    colour = colour_columns(P)
    dense = P.toarray()
    for c in range(colour.max() + 1 if n else 0):
        assert (dense[:, colour == c].sum(axis=1) <= 1).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.floats(0.0, 0.6), st.integers(0, 2**31))
def test_star_colouring_determines_every_symmetric_matrix_of_its_pattern(n, density, seed):
    rng = np.random.default_rng(seed)
    A = rng.random((n, n)) < density
    P = A | A.T | np.eye(n, dtype=bool)
    colour = colour_star(sps.csr_matrix(P))
    for i, j in zip(*np.nonzero(P & ~np.eye(n, dtype=bool))):
        assert colour[i] != colour[j]                           # distance-1
    # the symmetric H with this pattern is read back from H S: each entry alone in its
    # colour class in its own row or in its mirror row
    for i, j in zip(*np.nonzero(P)):
        own = np.sum(P[i] & (colour == colour[j])) == 1
        mirror = np.sum(P[j] & (colour == colour[i])) == 1
        assert own or mirror, (i, j)


def test_arrowhead_hessian_takes_two_colours_and_equals_the_dense_one():
    def f(x):        # x0 couples with every variable: one dense row and column
        return x[0] * np.sum(np.sin(x[1:])) + np.sum(x ** 4)

    x = np.linspace(0.1, 1.0, 50)
    hess = dfdx.sparse_hessian(f, x)
    assert hess.colours == 2
    assert int(colour_columns(hess.pattern).max()) + 1 == 50    # what a column colouring takes
    H = hess(x)
    np.testing.assert_array_equal(H.toarray(), dfdx.hessian(f)(x))


def test_conversions_are_refused_by_name():
    with pytest.raises(dfdx.TracerConversionError, match="np.stack"):
        dfdx.sparsity(lambda x: np.array([x[0], x[1]]), np.ones(2))


#: samples whose sparse Hessian differs from the dense one in the last bits: the sparse one
#: differentiates grad(f) (a scalar's reverse sweep), the dense one jacrev(f), and the
#: two round differently here. Everywhere else the two are equal exactly.
ROUNDING = {("numpy.angle", "degrees 0-d"), ("numpy.logspace", ""), ("numpy.geomspace", "")}


@pytest.mark.parametrize("sample,name,i", _params())
def test_hessian_pattern_covers_the_dense_hessian(sample, name, i):
    """... and the sparse Hessian equals the dense one (exactly, but for ROUNDING)."""
    if name in WRITES:
        pytest.skip("writes into an array: dfdx.sparsity does not trace them (see test_writes)")
    x0 = sample.args[i]

    def loss(x):
        args = list(sample.args)
        args[i] = x
        out = np.ravel(np.real(dfdx.tree_leaves(sample.fn(*args))[0]))
        return np.sum(out * np.cos(np.arange(out.size)))    # fixed weights: no cancellation

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            H = np.asarray(dfdx.hessian(loss)(x0)).reshape(x0.size, x0.size)
        except (dfdx.DfdxError, TypeError, ValueError) as e:
            pytest.skip(f"no dense Hessian to compare with: {str(e)[:60]}")
        try:
            P = dfdx.hessian_sparsity(loss, x0)
        except (dfdx.DfdxError, TypeError) as e:
            assert name in REFUSED or "scipy" in name, e
            return
        missed = (H != 0) & ~P.toarray()
        assert not missed.any(), f"the pattern misses {np.argwhere(missed)[:5].tolist()}"
        S = dfdx.sparse_hessian(loss, x0)(x0)
        if (name, sample.label) in ROUNDING:
            np.testing.assert_allclose(S.toarray(), H, rtol=1e-13, atol=1e-14 * max(
                1.0, float(np.max(np.abs(H), initial=0.0))))
        else:
            np.testing.assert_array_equal(S.toarray(), H)


def test_chained_rosenbrock_hessian_is_tridiagonal():
    rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)  # noqa
    n = 2000
    hess = dfdx.sparse_hessian(rosen, np.zeros(n))
    assert hess.colours == 3
    x = np.linspace(-1, 1, n)
    H = hess(x)
    assert H.nnz == 3 * n - 2
    np.testing.assert_allclose(H.toarray()[:6, :6], dfdx.hessian(rosen)(x)[:6, :6], rtol=1e-12)
    # products: the cross pairs only (x0 * x1 has no diagonal second derivative)
    P = dfdx.hessian_sparsity(lambda x: x[0] * x[1] + np.sin(x[2]), np.ones(3)).toarray()
    assert (P == np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], bool)).all()


def test_jacobian_and_hessian_take_sparse():
    f = lambda x: x[1:] ** 2 - x[:-1]                             # noqa: E731
    x = np.linspace(0, 1, 6)
    J = dfdx.jacobian(f, sparse=True)(x)
    assert sps.issparse(J)
    np.testing.assert_array_equal(J.toarray(), dfdx.jacobian(f)(x))
    rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)  # noqa
    H = dfdx.hessian(rosen, sparse=True)(x)
    np.testing.assert_allclose(H.toarray(), dfdx.hessian(rosen)(x), rtol=1e-13)
    with pytest.raises(ValueError, match="argnums=0"):
        dfdx.jacobian(lambda x, y: x * y, argnums=1, sparse=True)
