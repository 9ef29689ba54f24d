"""The generic checker over every entry of the rules tables.

Each sample in rule_samples.py is checked by `dfdx.check_grad`: forward mode,
reverse mode and numeric differentiation agree on ``<v, J u>`` for random
directions, at first and second order (all four mode pairs). Functions whose
derivative is zero must return plain values on traced inputs. A meta-test
fails when a registered callable has no sample.
"""

import numpy as np
import pytest

import dfdx
from dfdx._core import Box
from dfdx._numpy.registry import FUNCTIONS, UFUNCS, callable_name
from rule_samples import EXTRA, QUERIES, SAMPLES, ZERO_RULE_BUG


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
            out.append(pytest.param(s, id=f"{callable_name(key)}[{s.label or i}]"))
    return out


def _check(fn, args):
    try:
        dfdx.check_grad(fn, *args, order=2, step=0.01)
    except dfdx.UnsupportedOperation as e:
        if ZERO_RULE_BUG and any(f"numpy.{n} " in str(e) for n in
                                 ("sign", "isfinite", "ones_like", "zeros_like", "isnan")):
            pytest.xfail("engine bug (reported): zero-derivative primitive on a reverse-traced "
                         f"value raises: {e}")
        raise


@pytest.mark.parametrize("sample", _params(zero=False))
def test_rule_matches_numeric_to_second_order(sample):
    _check(sample.fn, sample.args)


@pytest.mark.parametrize("sample", [pytest.param(s, id=s.label) for s in EXTRA])
def test_special_function_stand_ins(sample):
    _check(sample.fn, sample.args)


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
            try:
                dfdx.grad(f)(*sample.args)
            except dfdx.UnsupportedOperation:
                if ZERO_RULE_BUG:
                    pytest.xfail("engine bug (reported): zero-derivative primitive on a "
                                 "reverse-traced value raises")
                raise
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


def test_every_registered_callable_has_a_sample():
    registered = set(UFUNCS) | set(FUNCTIONS)
    missing = sorted(callable_name(k) for k in registered - set(SAMPLES) - QUERIES)
    assert not missing, (f"registered callables without a sample in tests/rule_samples.py: "
                         f"{missing}. Add a Sample for each (or, for a function returning no "
                         f"array, add it to QUERIES).")


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
