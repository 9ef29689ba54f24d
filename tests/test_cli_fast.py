"""`dfdx diff` without SymPy in the main process: the same answers as the whole path.

The fast path reads the text with the SymPy-free grammar (`dfdx._expr`), starts
the exact route in a child process and computes AD and the numeric route here;
every case it does not cover falls back to the whole path. Both must print the
same text and the same JSON, case by case.
"""

import json
import os
import subprocess
import sys
import time

import pytest

import dfdx
from dfdx import cli
from dfdx._budget import Prefetch
from dfdx._cli_text import render
from dfdx._expr import numpy_function, numpy_source, same_code

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fast path needs fork")

# (argv after "diff", whether the fast path answers it)
CASES = [
    (["x**2", "--at", "x=1"], True),
    (["sin(x)/x", "--at", "x=1"], True),
    (["2*x**2 + 3*x + 1", "--at", "1"], True),
    (["exp(-x**2)", "--at", "x=0.5"], True),
    (["x**3 - 2*x", "--at", "x=-2", "-n", "2"], True),
    (["x*exp(x)", "--at", "x=-0.0"], True),
    (["tanh(x) + asin(x)", "--at", "x=0.25", "-n", "3"], True),
    (["erf(x)", "--at", "x=0.5"], True),
    (["gamma(x)", "--at", "x=2.5"], True),
    (["x*y + sin(y)", "--at", "x=1,y=2", "--wrt", "y"], True),
    (["x*y + sin(y)", "--at", "1,2", "--wrt", "x"], True),
    (["pi*x", "--at", "x=3"], True),
    (["x*e", "--at", "x=1,e=5", "--wrt", "e"], True),
    (["cosh(x) - 1", "--at", "x=2", "-n", "0"], True),
    # SymPy's form differs from the text: its compiled code is used
    (["1/(1+x**2)", "--at", "x=2"], True),
    (["x/2 + 1 + x**2", "--at", "x=0.1"], True),
    (["cot(x)", "--at", "x=1"], True),
    (["log(x, 2)", "--at", "x=3"], True),
    # fall back to the whole path
    (["abs(x)", "--at", "x=0"], False),
    (["sqrt(x**2)", "--at", "x=1"], False),     # SymPy: Abs(x)
    (["sqrt(x)", "--at", "x=0"], False),        # the derivative is not finite there
    (["log(x)", "--at", "x=-1"], False),        # outside the domain
    (["x**2", "--at", "x=0+"], False),
    (["x**2", "--at", "x=pi/2"], False),
    (["x - x + y", "--at", "1,2"], False),     # SymPy's variables: y alone
    (["x - x + y", "--at", "x=1,y=2", "--wrt", "y"], True),
    (["x**2", "--at", "y=1"], False),
    (["x*y", "--at", "x=1"], False),
    (["x**2", "--at", "x=1", "-n", "7"], False),
    (["x**2", "--at", "x=1", "-n", "-1"], False),
    (["2**100000*x", "--at", "x=1"], False),
    (["foo(x)", "--at", "x=1"], False),
    (["x**2"], False),
    (["factorial(x)", "--at", "x=3"], False),
    (["exp(x)", "--at", "x=800"], False),
    (["floor(x)", "--at", "x=1.5"], False),
    (["x**2", "--at", "x=1e20"], None),        # the methods' agreement decides
]


def _answer(capsys, argv):
    code = cli.main(["diff", *argv, "--timeout", "60"])
    text = capsys.readouterr()
    code_json = cli.main(["diff", *argv, "--timeout", "60", "--json"])
    js = capsys.readouterr()
    return code, text.out, text.err, code_json, json.loads(js.out)


@pytest.mark.parametrize("argv, fast", CASES, ids=lambda v: " ".join(v) if isinstance(v, list)
                         else str(v))
def test_fast_path_prints_what_the_whole_path_prints(capsys, monkeypatch, argv, fast):
    answered = []
    real = cli._fast_diff

    def spy(*args):
        got = real(*args)
        answered.append(got is not None)
        return got
    monkeypatch.setattr(cli, "_fast_diff", spy)
    quick = _answer(capsys, argv)
    monkeypatch.setattr(cli, "_FAST_DIFF", False)
    whole = _answer(capsys, argv)
    assert quick == whole
    if fast:
        assert answered == [True, True]
    elif fast is False:
        assert answered in ([], [False, False])


def test_the_fast_path_does_not_import_sympy_here():
    code = ("import sys; sys.argv = ['dfdx']\n"
            "from dfdx.cli import main\n"
            "rc = main(['diff', 'sin(x)*x**2', '--at', 'x=0.5', '--timeout', '60'])\n"
            "print('rc', rc, sorted(m for m in ('sympy', 'scipy') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "the three methods agree" in out.stdout, out.stdout + out.stderr
    assert out.stdout.strip().endswith("rc 0 []"), out.stdout + out.stderr


def test_the_exact_route_has_its_share_of_the_budget_on_the_fast_path_too(monkeypatch):
    # the child never sends its derivative: past the step's share of the budget the
    # answer is AD's, and the exact route "ran out of time", as on the whole path
    monkeypatch.setattr(cli, "_exact_diff", lambda *a: time.sleep(60))
    args = cli.parser().parse_args(["diff", "x**2", "--at", "x=1"])
    plan = cli._fast_plan(args)
    assert plan == (["x"], "x", [1.0], "(_v_x)**(2)")
    monkeypatch.setattr(cli, "_DEADLINE", [time.monotonic() + 2.0])
    cli._load()
    record = cli._fast_diff(args, plan, Prefetch(cli._diff_stages, args))
    assert record["_status"] == cli.EXIT_OK
    assert record["method"] == "automatic" and record["value"] == 2.0
    assert record["derivative"] is None and "ran out of time" in record["methods"]["exact_failed"]
    assert render(record, False).splitlines()[1] == (
        "d/dx f = (exact route: ran out of time (3 s budget; raise it with --timeout))")


def test_a_child_that_ends_without_its_answer_leaves_it_to_the_whole_path(monkeypatch):
    monkeypatch.setattr(cli, "_diff_question", lambda args: os._exit(0))
    args = cli.parser().parse_args(["diff", "x**2", "--at", "x=1"])
    cli._load()
    assert cli._fast_diff(args, cli._fast_plan(args), Prefetch(cli._diff_stages, args)) is None


# -- the grammar without SymPy -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["x**2 + 3*y", "sin(x)/x", "exp(-x**2)*erf(x)", "-x**3/7",
                                  "tanh(x) - 0.5*x", "gamma(x)**2 + pi*e"])
def test_the_numpy_form_gives_the_values_of_the_compiled_sympy_function(text):
    names, nonsmooth, expression = numpy_source(text)
    assert not nonsmooth
    fn = numpy_function(names, expression=expression)
    compiled = dfdx.symbolic.compile(text, names)
    args = [0.3 + 0.2 * i for i in range(len(names))]
    assert float(fn(*args)) == pytest.approx(float(compiled(*args)), rel=1e-13)
    assert float(dfdx.grad(fn)(*args)) == pytest.approx(float(dfdx.grad(compiled)(*args)),
                                                        rel=1e-12)


def test_same_code_holds_only_for_the_same_code():
    names, _, expression = numpy_source("sin(x)/x")
    assert same_code(expression, names, dfdx.symbolic.compile("sin(x)/x", names).source)
    assert not same_code(expression, names, dfdx.symbolic.compile("sin(x)/x + 1", names).source)
    names, _, expression = numpy_source("1 + x**2")      # SymPy writes x**2 + 1
    assert not same_code(expression, names, dfdx.symbolic.compile("1 + x**2", names).source)
    fn = numpy_function(names, source=dfdx.symbolic.compile("1 + x**2", names).source)
    assert float(fn(3.0)) == 10.0


@pytest.mark.parametrize("text", ["abs(x)", "x % 2", "where(x < 0, x, 1)", "Max(x, 1)",
                                  "Piecewise((x, x < 0), (1, True))", "relu(x) + 1"])
def test_kinks_and_jumps_are_seen_without_sympy(text):
    assert numpy_source(text)[1] is True


@pytest.mark.parametrize("text", ["2x", "x.y", "__import__('os')", "foo(x)", "sin(x, y)",
                                  "x // 2", "log(x, foo=2)", "1j", "sin", "(x", "", "x" * 6000])
def test_one_grammar_the_same_errors_with_and_without_sympy(text):
    with pytest.raises(dfdx.ParseError) as fast:
        numpy_source(text)
    with pytest.raises(dfdx.ParseError) as full:
        dfdx.symbolic.parse(text)
    assert (str(fast.value), fast.value.position) == (str(full.value), full.value.position)
