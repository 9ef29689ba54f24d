"""The generic checker over every entry of the rules tables.

Each sample in rule_samples.py is checked by `dfdx.check_grad`: forward mode,
reverse mode and numeric differentiation agree on ``<v, J u>`` for random
directions, at first and second order (all four mode pairs); traced values and
dtypes equal NumPy's. Samples at special points are checked exactly there,
samples at kinks against the mean of the one-sided derivatives (first order).
Functions whose derivative is zero must return plain values on traced inputs.
A meta-test fails when a registered callable has no checkable sample.
"""

import numpy as np
import pytest

import dfdx
from dfdx._core import Box
from dfdx._numpy.registry import FUNCTIONS, UFUNCS, callable_name
from rule_samples import EXTRA, QUERIES, SAMPLES


def _entry(key):
    return UFUNCS.get(key) if isinstance(key, np.ufunc) else FUNCTIONS.get(key)


def _is_zero(key):
    return getattr(_entry(key), "zero_derivative", False)


def _params(zero):
    out = []
    for key, samples in SAMPLES.items():
        if _is_zero(key) != zero:
            continue
        for i, s in enumerate(samples):
            out.append(_param(s, f"{callable_name(key)}[{s.label or i}]"))
    return out


def _param(s, id):
    marks = [pytest.mark.xfail(strict=True, reason=s.xfail)] if s.xfail else []
    return pytest.param(s, id=id, marks=marks)


def _check(sample):
    if sample.kind == "kink":
        dfdx.check_grad(sample.fn, *sample.args, order=1, step=0.01, move=False)
    else:
        dfdx.check_grad(sample.fn, *sample.args, order=2, step=0.01,
                        move=sample.kind != "special")


@pytest.mark.parametrize("sample", _params(zero=False))
def test_rule_matches_numeric_to_second_order(sample):
    _check(sample)


@pytest.mark.parametrize("sample", [_param(s, s.label) for s in EXTRA])
def test_special_function_stand_ins(sample):
    _check(sample)


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _leaves(item)]
    return [x]


@pytest.mark.parametrize("sample", _params(zero=True))
def test_zero_derivative_functions_return_plain_values(sample):
    expected = sample.fn(*sample.args)
    for transform in ("fwd", "rev"):
        seen = []

        def f(*xs):
            seen.append(sample.fn(*xs))
            return np.sum(xs[0] * 1.0)

        if transform == "rev":
            dfdx.grad(f)(*sample.args)
        else:
            dfdx.jvp(f, sample.args, tuple(np.ones_like(a) for a in sample.args))
        for got, want in zip(_leaves(seen[0]), _leaves(expected)):
            assert not isinstance(got, Box)
            assert np.asarray(got).dtype != object
            if sample.fn is not np.empty_like:
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn", sorted(QUERIES, key=callable_name), ids=callable_name)
def test_queries_answer_on_traced_values(fn):
    x = np.ones((2, 3))
    seen = []

    def f(x):
        seen.append(fn(x))
        return np.sum(x)

    dfdx.grad(f)(x)
    assert seen[0] == fn(x)


def test_every_registered_callable_has_a_checkable_sample():
    # Checkable: a generic or special row that is not a known failure (xfail); a row
    # the numeric side cannot check fails in the test above, so it cannot count here.
    registered = set(UFUNCS) | set(FUNCTIONS)
    checkable = {k for k, ss in SAMPLES.items()
                 if any(s.kind != "kink" and not s.xfail for s in ss)}
    missing = sorted(callable_name(k) for k in registered - checkable - QUERIES)
    assert not missing, (f"registered callables without a checkable sample in "
                         f"tests/rule_samples.py: {missing}. Add a Sample for each at a point "
                         "where it is differentiable (or, for a function returning no array, "
                         "add it to QUERIES).")


def test_samples_are_reproducible_row_by_row():
    # Every row draws from its own generator: re-running one row's draws gives its values.
    import rule_samples as rs
    x = rs.sample(np.sin, rs.normal(2, 3), label="probe").args[0]
    y = rs.sample(np.sin, rs.normal(2, 3), label="probe").args[0]
    assert not np.array_equal(x, y)      # a second row with the same label differs
    k = rs._ROWS[("probe", "probe")][0]
    again = rs._row_rng("probe", "probe", k).standard_normal((2, 3))
    np.testing.assert_array_equal(y, again)     # the draw depends on the row alone
    again = rs._row_rng("probe", "probe", k - 1).standard_normal((2, 3))
    np.testing.assert_array_equal(x, again)
    d = rs.normal(3)
    a, b = rs.sample(np.add, d, d, label="twice").args
    np.testing.assert_array_equal(a, b)     # one Draw passed twice is one value


def test_samples_cover_special_points_and_kinks():
    kinds = {s.kind for ss in SAMPLES.values() for s in ss}
    assert kinds >= {"generic", "special", "kink"}


def test_every_sample_is_registered():
    stale = [callable_name(k) for k in SAMPLES if _entry(k) is None]
    assert not stale, f"samples for callables that are not in the rules tables: {stale}"


def test_samples_cover_shapes_broadcasting_0d_and_float32():
    shapes = {np.shape(a) for ss in SAMPLES.values() for s in ss for a in s.args}
    dtypes = {np.asarray(a).dtype for ss in SAMPLES.values() for s in ss for a in s.args}
    assert () in shapes and any(len(s) >= 3 for s in shapes)
    assert np.dtype(np.float32) in dtypes
    for fn in (np.add, np.multiply, np.power, np.arctan2):
        assert any({np.shape(a) for a in s.args} == {(2, 3), (3,)} for s in SAMPLES[fn])


def _float32_params():
    out = []
    for key, samples in SAMPLES.items():
        if _is_zero(key):
            continue
        for i, s in enumerate(samples):
            if s.kind == "generic" and not s.xfail and all(
                    np.asarray(a).dtype == np.float64 for a in s.args):
                out.append(_param(s, f"{callable_name(key)}[{s.label or i}]"))
    return out


@pytest.mark.parametrize("sample", _float32_params())
def test_rule_keeps_float32(sample):
    """float32 in, float32 out (where NumPy keeps it): values, derivatives, Hessians."""
    args = tuple(np.asarray(a, dtype=np.float32) for a in sample.args)
    dfdx.check_grad(sample.fn, *args, order=2, step=0.01)
