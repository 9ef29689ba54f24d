"""dfdx.symbolic: tracing NumPy code, exact derivatives, limits, continuity, compile, budget."""

import math
import time

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

import dfdx
from dfdx import DomainError, TracerConversionError, UnsupportedOperation
from dfdx import symbolic
from dfdx.symbolic import (as_point, compile, continuity, diff, discontinuities, exact_number,
                           gradient, hessian, jacobian, limit, parse, taylor, trace)
from tests.cases import CONTINUITY_CASES, LIMIT_CASES
from tests.cases_exact import EXTRA_CONTINUITY_CASES, EXTRA_LIMIT_CASES

x, y = sympy.symbols("x y", real=True)
ALL_LIMITS = LIMIT_CASES + EXTRA_LIMIT_CASES
ALL_CONTINUITY = CONTINUITY_CASES + EXTRA_CONTINUITY_CASES


# -- the tutorial's examples, through every kind of input ------------------------------------------

def poly(x):
    return x**2 + 2 * x + 1


@pytest.mark.parametrize("f", [poly, "x**2 + 2*x + 1", x**2 + 2 * x + 1])
def test_tutorial_limit_and_continuity(f):
    r = limit(f, 0)
    assert r.exact == 1 and r.value == 1.0 and r.exists and r.method == "exact" and r.error == 0
    assert continuity(f, 1).continuous is True


@pytest.mark.parametrize("f", [lambda x: 2 * x**2 + 3 * x + 1, "2*x**2 + 3*x + 1"])
def test_tutorial_derivatives(f):
    assert diff(f) == 4 * x + 3
    assert diff(f, n=2) == 4
    assert diff(f, "x", n=3) == 0


def test_tutorial_partials():
    def f(x, y):
        return x**2 + 3 * y + np.exp(x * y)
    assert diff(f, "x") == 2 * x + y * sympy.exp(x * y)
    assert diff(f, "y") == 3 + x * sympy.exp(x * y)
    assert diff("x**2 + 3*y + exp(x*y)", "x", "y") == sympy.diff(sympy.exp(x * y), x, y)
    assert gradient(f) == sympy.Matrix([2 * x + y * sympy.exp(x * y), 3 + x * sympy.exp(x * y)])


# -- limits and continuity on every shared case, as text ---------------------------------------------

def _close(a, b):
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * (1 + abs(b))


@pytest.mark.parametrize("case", ALL_LIMITS, ids=lambda c: c.name)
def test_exact_limit_cases(case):
    r = limit(case.expr, case.at_expr or case.at, case.dir)
    assert r.method == "exact"
    assert r.exists == case.exists, r
    assert _close(r.value, case.value), r
    if case.left is not None:
        assert _close(r.left, case.left), r
    if case.right is not None:
        assert _close(r.right, case.right), r
    if r.exists:
        assert r.exact is not None and r.error == 0


@pytest.mark.parametrize("case", ALL_CONTINUITY, ids=lambda c: c.name)
def test_exact_continuity_cases(case):
    r = continuity(case.expr, case.at_expr or case.at)
    assert (r.continuous, r.kind) == (case.continuous, case.kind), r
    assert r.method == "exact" and r.message


def test_case_counts():
    assert len(ALL_LIMITS) >= 80
    assert sum(not c.exists for c in ALL_LIMITS if c.dir == "+-") >= 10
    assert len(ALL_CONTINUITY) >= 30
    kinds = {c.kind for c in ALL_CONTINUITY}
    assert {"continuous", "removable", "jump", "infinite", "oscillating"} <= kinds


def test_limit_reports_both_sides_when_it_does_not_exist():
    r = limit("abs(x)/x", 0)
    assert (r.exists, r.value, r.left, r.right) == (False, None, -1.0, 1.0)
    assert r.left_exact == -1 and r.right_exact == 1
    assert "differ" in r.message
    with pytest.raises(ValueError, match="does not exist"):
        float(r)


def test_sympy_default_is_one_sided_but_ours_is_not():
    assert sympy.limit(1 / x, x, 0) == sympy.oo          # SymPy: dir="+" by default
    r = limit(1 / x, 0)
    assert r.exists is False and (r.left, r.right) == (-math.inf, math.inf)


def test_piecewise_sides_where_sympy_limit_is_wrong():
    f = sympy.Piecewise((x**2, x < 1), (2 * x, True))
    assert sympy.limit(f, x, 1, "-") == 2                 # SymPy's own answer from the left
    r = limit(f, 1)
    assert (r.left, r.right, r.exists) == (1.0, 2.0, False)


def test_oscillating_and_one_sided():
    r = limit("sin(1/x)", 0)
    assert r.exists is False and r.info["kind"] == "oscillating"
    r = limit("sin(1/x)*(1 + sign(x))", 0, "-")
    assert r.exists and r.value == 0


def test_points_as_floats_strings_and_sympy():
    assert limit(np.tan, np.pi / 2).info["at"] == sympy.pi / 2
    assert as_point(math.e) == sympy.E and as_point(0.5) == sympy.Rational(1, 2)
    assert as_point("oo") == sympy.oo and as_point(-math.inf) == -sympy.oo
    assert limit("(1 + 1/x)**x", "oo").exact == sympy.E
    assert limit("(1 + 1/x)**x", sympy.oo).exact == sympy.E
    assert limit("atan(x)", -math.inf).exact == -sympy.pi / 2
    with pytest.raises(ValueError, match="free symbols"):
        as_point("y + 1")


def test_limit_domain_errors_and_bad_dir():
    with pytest.raises(DomainError):
        limit("sqrt(-x**2 - 1)", 0)
    with pytest.raises(ValueError, match="dir must be"):
        limit("x", 0, dir="both")
    with pytest.raises(ValueError, match="several variables"):
        limit("x*y", 0)
    assert limit("x*y", 2, var="x").exact == 2 * y


def test_vector_functions_are_refused_with_a_hint():
    with pytest.raises(TypeError, match="each component"):
        limit(lambda x: np.stack([x, 2 * x]), 0)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=4), st.integers(-5, 5))
def test_polynomials_are_continuous_with_the_limit_their_value(coeffs, at):
    p = sum(c * x**k for k, c in enumerate(coeffs))
    r = limit(p, at)
    assert r.exists and r.exact == p.subs(x, at)
    assert continuity(p, at).kind == "continuous"


def test_domain_edge_is_one_sided_with_a_message():
    r = limit("sqrt(x)", 0)
    assert r.exists and r.value == 0.0 and "not defined to the left" in r.message


def test_continuity_messages_teach():
    r = continuity("sin(x)/x", 0)
    assert r.kind == "removable" and not r.defined and "f(0) is undefined" in r.message
    r = continuity("floor(x) + floor(-x)", 0)
    assert r.kind == "removable" and r.defined and r.value == 0.0
    assert continuity("exp(1/x)", 0).kind == "infinite"          # worse kind wins over 0 on the left
    assert continuity("sin(1/x)*(1 + sign(x))", 0).kind == "oscillating"
    with pytest.raises(ValueError, match="real line"):
        continuity("x", "oo")


def test_continuity_asks_the_callable_itself():
    # tracing simplifies x/x to 1; the function is undefined at 0 all the same
    assert trace(lambda x: x / x) == 1
    assert continuity(lambda x: x / x, 0).kind == "removable"
    assert continuity("x/x", 0).kind == "continuous"   # text: SymPy has already simplified it


def test_discontinuities():
    got = [(d.at, d.kind) for d in discontinuities("sin(x)/x + 1/(x - 2)", (-1, 3))]
    assert got == [(0, "removable"), (2, "infinite")]
    got = [(d.at, d.kind) for d in discontinuities("tan(x)", (0, 4))]
    assert got == [(sympy.pi / 2, "infinite")]
    got = [(d.at, d.kind) for d in discontinuities("floor(x)", (0.5, 3))]
    assert got == [(1, "jump"), (2, "jump"), (3, "jump")]
    got = [(d.at, d.kind) for d in discontinuities("where(x < 1, x, x + 1) + sign(x + 2)", (-3, 3))]
    assert got == [(-2, "jump"), (1, "jump")]
    assert discontinuities("sin(1/x)", (-1, 1))[0].kind == "oscillating"
    assert discontinuities("exp(x) + x**2", (-5, 5)) == []
    assert discontinuities("sqrt(x)", (0, 4)) == []               # a domain edge, not a jump
    with pytest.raises(ValueError, match="finite interval"):
        discontinuities("1/x", (0, "oo"))


# -- tracing NumPy code ------------------------------------------------------------------------------

def test_trace_scalar_vector_and_matrix():
    assert trace(lambda x, y: x**2 + 3 * y + np.exp(x * y)) == x**2 + 3 * y + sympy.exp(x * y)
    w0, w1, w2 = sympy.symbols("w0:3", real=True)
    assert trace(lambda w: np.sum(w**2) / 2, ("w", 3)) == (w0**2 + w1**2 + w2**2) / 2
    out = trace(lambda w: np.tanh(w), ("w", 2))
    assert out == sympy.Matrix([sympy.tanh(w0), sympy.tanh(w1)])
    W = trace(lambda A, v: A @ v, ("A", (2, 2)), ("v", 2))
    assert W.shape == (2, 1)
    assert trace(lambda x: (x, 2 * x)) == (x, 2 * x)


def test_trace_numpy_functions():
    f = lambda x: (np.maximum(x, 0) + np.abs(x) + np.sqrt(x) + np.clip(x, -1, 1) + np.exp2(x)
                   + np.log1p(x) + np.expm1(x) + np.arctan2(x, 1) + np.square(x) + np.sign(x))
    e = trace(f)
    assert e.has(sympy.Max) and e.has(sympy.Abs) and e.has(sympy.Min) and e.has(sympy.sign)
    v = trace(lambda v: np.linalg.norm(v) + v.max() + v.mean() + np.dot(v, v), ("v", 2))
    assert v.has(sympy.Max)
    assert trace(lambda x: np.where(x > 0, x, 0.5 * x)) == sympy.Piecewise((x, x > 0), (x / 2, True))
    assert trace(lambda x: np.heaviside(x, 0.5)).subs(x, 0) == sympy.Rational(1, 2)
    stacked = trace(lambda x, y: np.stack([x * y, x + y]))
    assert stacked == sympy.Matrix([x * y, x + y])


def test_trace_scipy_special_by_name():
    import scipy.special as sc
    assert trace(lambda x: sc.erf(x) + sc.expit(x)) == sympy.erf(x) + 1 / (1 + sympy.exp(-x))


def test_trace_constants_become_exact():
    assert trace(lambda x: x + np.pi / 2 + math.e + 0.25) == x + sympy.pi / 2 + sympy.E + sympy.Rational(1, 4)
    assert exact_number(np.sqrt(2) / 2) == sympy.sqrt(2) / 2
    assert isinstance(exact_number(1.2345678), sympy.Float)


def test_trace_branching_teaches_np_where():
    with pytest.raises(TracerConversionError, match="np.where"):
        trace(lambda x: x if x > 0 else -x)
    with pytest.raises(TracerConversionError, match="math"):
        trace(lambda x: math.exp(x))
    with pytest.raises(UnsupportedOperation, match="fft"):
        trace(lambda x: np.fft.fft(x), ("x", 4))


def test_trace_needs_names_when_it_cannot_read_them():
    with pytest.raises(TypeError, match="parameter names"):
        trace(lambda *a: a[0])
    assert trace(lambda *a: a[0] * 2, "t") == 2 * sympy.Symbol("t", real=True)


# -- jacobian, hessian, taylor -----------------------------------------------------------------------

def test_jacobian_hessian_taylor():
    J = jacobian(lambda x, y: np.stack([x * y, x + y]))
    assert J == sympy.Matrix([[y, x], [1, 1]])
    assert jacobian(["x*y", "x + y"]) == J
    H = hessian(lambda x, y: x**2 * y + y**3)
    assert H == sympy.Matrix([[2 * y, 2 * x], [2 * x, 6 * y]])
    assert taylor("exp(x)", 0, 3) == 1 + x + x**2 / 2 + x**3 / 6
    assert taylor(np.sin, 0, 5) == x - x**3 / 6 + x**5 / 120
    assert sympy.simplify(taylor("log(x)", 1, 2) - ((x - 1) - (x - 1)**2 / 2)) == 0


# -- compile ------------------------------------------------------------------------------------------

def test_compile_matches_lambdify_value_and_gradient():
    e = parse("x**2 + 3*y + exp(x*y) + sin(x)*tanh(y)")
    fn = compile(e, ["x", "y"], gradient=True)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 50))
    v, g = fn(X, Y)
    ref = sympy.lambdify((x, y), e, "numpy")
    dx = sympy.lambdify((x, y), sympy.diff(e, x), "numpy")
    dy = sympy.lambdify((x, y), sympy.diff(e, y), "numpy")
    np.testing.assert_allclose(v, ref(X, Y), rtol=1e-13)
    np.testing.assert_allclose(g, np.stack([dx(X, Y), dy(X, Y)]), rtol=1e-13)
    assert g.shape == (2, 50)
    assert "c0" in fn.source          # the shared exp(x*y) is computed once


def test_compile_broadcasts_constants_and_piecewise():
    fn = compile("3*x + 2", gradient=True)
    v, g = fn(np.zeros((2, 3)))
    assert v.shape == (2, 3) and g.shape == (1, 2, 3) and np.all(g == 3)
    relu = compile("where(x > 0, x, 0) + Max(x, 0) + abs(x)", gradient=True)
    v, g = relu(np.array([-1.0, 2.0]))
    np.testing.assert_allclose(v, [1.0, 6.0])
    np.testing.assert_allclose(g[0], [-1.0, 3.0])
    assert compile("erf(x) + floor(x)")(0.5) == pytest.approx(math.erf(0.5))
    assert compile(lambda x: np.sin(x) / x)(0.5) == pytest.approx(np.sin(0.5) / 0.5)


def test_compile_keeps_user_names_out_of_the_source():
    evil = sympy.Symbol("__import__('os').system('echo hacked')")
    fn = compile(evil**2 + 1, [evil])
    assert "import" not in fn.source and fn(3.0) == 10.0


def test_compile_refuses_what_it_cannot_print():
    with pytest.raises(ValueError, match="undefined function"):
        compile(sympy.Function("g")(x))
    with pytest.raises(ValueError, match="free symbols"):
        compile("x*y", ["x"])


# -- the time budget really stops SymPy ---------------------------------------------------------------

def _slow_sympy():
    # factoring a 140-bit semiprime: minutes of pure SymPy, no way to interrupt it from inside
    p, q = sympy.nextprime(2**70), sympy.nextprime(2**71)
    return sympy.factorint(p * q)


def test_budget_stops_a_slow_sympy_call():
    from dfdx.symbolic._budget import BudgetExceeded, can_enforce, run_with_budget
    if not can_enforce():
        pytest.skip("no fork on this platform")
    t0 = time.perf_counter()
    with pytest.raises(BudgetExceeded, match="timed out after 0.5 s"):
        run_with_budget(_slow_sympy, timeout=0.5)
    assert time.perf_counter() - t0 < 3.0
    # the worker was replaced: the next call works
    assert run_with_budget(sympy.factorint, 12, timeout=5) == {2: 2, 3: 1}


def test_budget_runs_lambdas_in_a_one_off_child_and_passes_errors_back():
    from dfdx.symbolic._budget import run_with_budget
    assert run_with_budget(lambda a: a + 1, 1, timeout=5) == 2
    with pytest.raises(ZeroDivisionError):
        run_with_budget(lambda: 1 / 0, timeout=5)


def test_public_names():
    for name in symbolic.__all__:
        assert hasattr(symbolic, name)


# -- compile is traceable by AD (the command's AD route relies on it) ---------------------------

def test_compiled_piecewise_is_differentiable_by_ad():
    f = dfdx.symbolic.compile("where(x > 0, x**2, -x)", ["x"])
    assert "numpy.select" not in f.source
    assert dfdx.grad(f)(-1.0) == -1.0
    assert dfdx.grad(f)(3.0) == 6.0


def test_compiled_erf_is_differentiable_by_ad_through_scipy_special():
    f = dfdx.symbolic.compile("erf(x) + gamma(x)", ["x"])
    import scipy.special as sp
    assert float(dfdx.grad(f)(1.5)) == pytest.approx(
        2 / math.sqrt(math.pi) * math.exp(-2.25) + sp.gamma(1.5) * sp.digamma(1.5), rel=1e-13)


# -- results render as mathematics in Jupyter (issue 11) -----------------------------------------

def test_results_render_as_mathml_and_latex_not_a_code_box():
    from dfdx.result import Estimate
    lim = dfdx.limit("sin(x)/x", 0)
    html = lim._repr_html_()
    assert html.startswith("<math") and "<code>" not in html and "<mn>1</mn>" in html
    assert lim._repr_latex_().startswith("$")
    no = dfdx.limit("abs(x)/x", 0)._repr_html_()
    assert "<mn>-1</mn>" in no and "does not exist" in no
    est = Estimate(0.5, 1e-12, 7)._repr_html_()
    assert "<mo>&#xB1;</mo>" in est and "<mn>0.5</mn>" in est
    cont = dfdx.continuity("abs(x)/x", 0)._repr_html_()
    assert "<math" in cont and "jump" in cont


def test_one_sided_diff_is_the_limit_of_the_difference_quotient():
    from dfdx.symbolic import one_sided_diff
    assert (one_sided_diff("abs(x)", "x", 0, "-"), one_sided_diff("abs(x)", "x", 0, "+")) == (-1, 1)
    assert one_sided_diff("sqrt(x)", "x", 0, "+") == sympy.oo
    assert one_sided_diff("tan(x)", "x", 1.0, "+").equals(1 + sympy.tan(1) ** 2)
    # a kink smoothed by squaring: both sides 0
    assert one_sided_diff("Max(x, 0)**2", "x", 0, "-") == 0
    assert one_sided_diff("Max(x, 0)**2", "x", 0, "+") == 0
    # where f has no value at the point (sin(1/x)*x**2 at 0), the slope's limit: it oscillates
    assert isinstance(one_sided_diff("x**2*sin(1/x)", "x", 0, "+"), sympy.AccumBounds)
    with pytest.raises(ValueError):
        one_sided_diff("x", "x", 0, "both")


def test_parse_variables_override_constants():
    e = dfdx.symbolic.parse("x*e + pi", variables={"e", "pi"})
    assert sorted(s.name for s in e.free_symbols) == ["e", "pi", "x"]
    assert dfdx.symbolic.parse("e") == sympy.E
