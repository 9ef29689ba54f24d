"""dfdx.numeric.limit and continuity: the textbook suite, ill cases, bad input."""

import math
import warnings

import numpy as np
import pytest

from dfdx import DomainError
from dfdx.numeric import continuity, limit
from tests.cases import CONTINUITY_CASES, LIMIT_CASES

inf = math.inf


def _close(a, b, rtol=1e-6):
    if a is None or b is None:
        return a is b
    if math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * max(1.0, abs(b))


def test_suite_size():
    assert len(LIMIT_CASES) >= 60
    assert sum(1 for c in LIMIT_CASES if not c.exists and c.dir == "+-") >= 10
    assert len(CONTINUITY_CASES) >= 30
    assert len({c.name for c in LIMIT_CASES}) == len(LIMIT_CASES)


@pytest.mark.parametrize("case", LIMIT_CASES, ids=lambda c: c.name)
def test_textbook_limit(case):
    r = limit(case.f, case.at, case.dir)
    assert r.exists is not None, f"uncertain: {r.message}"
    assert r.exists == case.exists, r
    assert _close(r.value, case.value), r
    if case.exists and case.value is not None and math.isfinite(case.value):
        # the error estimate covers the true error
        assert abs(r.value - case.value) <= r.error + 1e-15, r
    if case.left is not None:
        assert _close(r.left, case.left) and _close(r.right, case.right), r


@pytest.mark.parametrize("case", CONTINUITY_CASES, ids=lambda c: c.name)
def test_textbook_continuity(case):
    r = continuity(case.f, case.at)
    assert (r.continuous, r.kind) == (case.continuous, case.kind), r


# -- the ill cases named in the issue ----------------------------------------------------------


def test_sin_inv_x_oscillates():
    r = limit(lambda x: np.sin(1 / x), 0)
    assert r.exists is False and r.value is None and "oscillat" in r.message


def test_inv_x_has_infinite_one_sided_limits():
    r = limit(lambda x: 1 / x, 0)
    assert (r.exists, r.left, r.right, r.value) == (False, -inf, inf, None)


def test_inv_x2_is_plus_infinity():
    r = limit(lambda x: 1 / x**2, 0)
    assert (r.exists, r.value) == (True, inf)


def test_floor_jump():
    r = limit(np.floor, 1)
    assert (r.exists, r.left, r.right) == (False, 0.0, 1.0)
    c = continuity(np.floor, 1)
    assert c.kind == "jump" and c.value == 1.0


def test_slow_limits():
    assert _close(limit(lambda x: x * np.log(x), 0, "+").value, 0.0)
    assert _close(limit(lambda x: (1 + 1 / x)**x, inf).value, math.e)
    assert _close(limit(lambda x: x**(1 / x), inf).value, 1.0)
    assert _close(limit(lambda x: np.log(x) / x, inf).value, 0.0)
    assert _close(limit(lambda x: np.sin(x) / x, inf).value, 0.0)
    r = limit(np.sin, inf)
    assert r.exists is False and r.value is None


def test_plain_python_math_functions():
    assert _close(limit(lambda x: math.sin(x) / x, 0).value, 1.0)
    r = limit(lambda x: x * math.log(x), 0)          # math.log raises left of 0
    assert r.exists and _close(r.value, 0.0) and "undefined on the left" in r.message
    c = continuity(lambda x: math.sin(x) / x, 0)     # f(0) raises ZeroDivisionError
    assert c.kind == "removable" and c.defined is False and "undefined" in c.message
    assert _close(limit(lambda x: (1 + 1 / x)**x, "oo").value, math.e)


def test_removable_says_f_is_undefined():
    c = continuity(lambda x: np.sin(x) / x, 0)
    assert c.continuous is False and c.kind == "removable" and not c.defined and c.value is None
    assert "undefined" in c.message


def test_worse_kind_wins():
    assert continuity(lambda x: np.exp(1 / x), 0).kind == "infinite"          # 0 left, inf right
    assert continuity(lambda x: np.sin(1 / x) * (x > 0), 0).kind == "oscillating"
    f = lambda x: np.where(x < 0, -1.0, 1 / np.where(x > 0, x, np.nan))       # noqa: E731
    assert continuity(f, 0).kind == "infinite"                                  # jump one side, inf the other


def test_edge_of_domain_is_one_sided():
    r = limit(np.sqrt, 0)
    assert r.exists and r.value == 0.0 and "one-sided" in r.message
    assert continuity(np.sqrt, 0).continuous is True


def test_never_confidently_wrong_on_hard_cases():
    hard = [
        (lambda x: 1 / np.log(np.log(1 / x)), 0.0, "+", 0.0),      # doubly logarithmic
        (lambda x: np.sin(np.log(x)), 0.0, "+", None),              # log-oscillation
        (lambda x: x**1e-3, 0.0, "+", 0.0),                          # very slow power
        (lambda x: np.sin(x**2) / x, inf, "+-", 0.0),
    ]
    for f, at, d, truth in hard:
        r = limit(f, at, d)
        if r.exists:
            assert truth is not None and _close(r.value, truth, 1e-3), (r, truth)
        elif r.exists is False:
            assert truth is None, r
        else:
            assert r.value is None and r.message.startswith("uncertain")


def test_no_warnings_leak():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        limit(lambda x: np.sin(x) / x, 0)
        limit(lambda x: np.exp(1 / x), 0)
        continuity(lambda x: np.log(np.abs(x)), 0)


# -- bad input ---------------------------------------------------------------------------------


def test_not_callable():
    with pytest.raises(TypeError, match="callable"):
        limit(1.0, 0)
    with pytest.raises(TypeError, match="callable"):
        continuity(None, 0)


def test_nan_everywhere():
    with pytest.raises(DomainError, match="undefined"):
        limit(lambda x: np.nan, 0)


def test_no_neighbourhood_in_the_domain():
    with pytest.raises(DomainError, match="domain"):
        limit(np.sqrt, -1.0)
    with pytest.raises(DomainError):
        continuity(lambda x: math.log(x), -2.0)


def test_bad_dir_and_point():
    with pytest.raises(ValueError, match="dir"):
        limit(np.sin, 0, dir="left")
    with pytest.raises(ValueError, match="NaN"):
        limit(np.sin, float("nan"))
    with pytest.raises(ValueError, match="finite"):
        continuity(np.sin, inf)
    with pytest.raises(ValueError, match="dfdx.limit"):
        limit(np.sin, "pi/2")


# -- hard limits: cancellation, overflow, late trends --------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dfdx import DfdxError  # noqa: E402
from dfdx.result import LimitResult  # noqa: E402
from tests.cases_exact import EXTRA_LIMIT_CASES  # noqa: E402
from tests.cases_hard import HARD_LIMITS  # noqa: E402


def _verdict(r, value):
    """'right', 'uncertain' or 'wrong' for a result against the truth (None: does not exist)."""
    if r.exists is None:
        return "uncertain"
    if value is None:
        return "right" if r.exists is False else "wrong"
    return "right" if r.exists and _close(r.value, value) else "wrong"


def test_hard_limit_list_size():
    assert len(HARD_LIMITS) >= 30
    assert {"cancellation", "overflow", "late"} <= {c.family for c in HARD_LIMITS}


@pytest.mark.parametrize("case", HARD_LIMITS, ids=lambda c: c.name)
def test_hard_limit_never_confidently_wrong(case):
    r = limit(case.f, case.at, case.dir)
    assert _verdict(r, case.value) != "wrong", r
    if r.exists is None:
        assert r.value is None and r.message.startswith("uncertain")
    elif case.value is not None and math.isfinite(case.value):
        assert abs(r.value - case.value) <= r.error + 1e-15, r


def test_hard_limits_mostly_answered():
    verdicts = [_verdict(limit(c.f, c.at, c.dir), c.value) for c in HARD_LIMITS]
    assert verdicts.count("wrong") == 0
    assert verdicts.count("right") >= 0.75 * len(HARD_LIMITS), verdicts


@pytest.mark.parametrize("case", EXTRA_LIMIT_CASES, ids=lambda c: c.name)
def test_exact_list_evaluated_numerically_is_never_confidently_wrong(case):
    r = limit(case.f, case.at, case.dir)
    assert _verdict(r, case.value if case.exists else None) != "wrong", r


def test_issue_examples_are_right_or_uncertain_with_the_reason():
    r = limit(lambda x: (np.cos(x) - 1 + x**2 / 2) / x**4, 0)
    assert r.exists and abs(r.value - 1 / 24) <= r.error < 1e-6
    r = limit(lambda x: (1 + 1 / x)**(x**2) / np.exp(x), inf)
    assert r.exists and abs(r.value - math.exp(-0.5)) <= r.error < 1e-6
    r = limit(lambda x: (np.exp(x) - np.exp(-x) - 2 * x) / (x - np.sin(x)), 0)   # was IndexError
    assert r.exists is None or (r.exists and abs(r.value - 2) <= r.error)
    for f, why in [(lambda x: np.exp(x) * (np.exp(1 / x - np.exp(-x)) - np.exp(1 / x)), "rounding"),
                   (lambda x: np.exp(x) / x**100, "overflow"),
                   (lambda x: ((x**7 + x + 1) / (2.0**x + x**2))**(-1 / x), "overflow")]:
        r = limit(f, inf)
        assert r.exists is None and r.value is None and why in r.message, r
        assert why in r.info["reason"]


def test_rounding_dominated_samples_are_not_a_limit():
    # every sample below 1e-4 is noise or an exact (wrong) 0
    r = limit(lambda x: (np.cos(x) - 1 + x**2 / 2) / x**4, 0, "+")
    assert r.value != 0.0
    r = limit(lambda x: (np.sin(np.tan(x)) - np.tan(np.sin(x))) / x**7, 0)
    assert r.exists is None or abs(r.value + 1 / 30) <= r.error


_ATOMS = ["x", "1.0", "2.0", "0.5"]
_UNARY = ["np.sin", "np.cos", "np.exp", "np.log", "np.sqrt", "np.tan", "np.arctan", "np.abs"]


def _expr(depth):
    leaf = st.sampled_from(_ATOMS)
    if depth == 0:
        return leaf
    sub = _expr(depth - 1)
    return st.one_of(leaf,
                     st.tuples(st.sampled_from(_UNARY), sub).map(lambda t: f"{t[0]}({t[1]})"),
                     st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "**"]), sub)
                     .map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"))


@settings(max_examples=60, deadline=None)
@given(_expr(3), st.sampled_from([0.0, 1.0, -1.0, 0.5, math.pi / 2, inf, -inf]),
       st.sampled_from(["+-", "+", "-"]))
def test_random_expressions_give_a_result_or_a_dfdx_error(text, at, d):
    f = eval("lambda x: " + text, {"np": np})  # noqa: S307 - test-generated NumPy expressions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = limit(f, at, d)
        except DfdxError:
            return
    assert isinstance(r, LimitResult)
    assert r.exists in (True, False, None)


@pytest.mark.parametrize("case", HARD_LIMITS, ids=lambda c: c.name)
def test_hard_limit_text_through_the_numeric_route(case):
    # the text is compiled for dfdx.numeric.limit; it must measure rounding as well
    import dfdx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = dfdx.limit(case.expr, case.at, case.dir, method="numeric")
    assert _verdict(r, case.value) != "wrong", r
