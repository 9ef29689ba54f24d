"""The `dfdx` command: every subcommand, its --json output, its errors and exit codes."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import dfdx
from dfdx.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main

E2 = math.e ** 2


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    return code, json.loads(out)


def one_line_error(err, *words):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dfdx: error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


# -- derivatives -------------------------------------------------------------------------------

def test_diff_seed_example_first_and_second_derivative(capsys):
    code, out, _ = run(capsys, "diff", "2*x**2 + 3*x + 1", "--at", "x=1")
    assert code == EXIT_OK
    assert "d/dx f = 4*x + 3" in out and "value: 7.0 (method: exact" in out
    assert "the three methods agree" in out
    code, res = run_json(capsys, "diff", "2*x**2 + 3*x + 1", "-n", "2", "--at", "1")
    assert code == EXIT_OK
    assert res["derivative"] == "4" and res["value"] == 4.0 and res["method"] == "exact"
    assert res["methods"]["ad"] == 4.0
    assert abs(res["methods"]["numeric"]["value"] - 4) <= 10 * res["methods"]["numeric"]["error"]
    assert res["agreement"]["agree"] is True


def test_diff_without_a_point_is_symbolic(capsys):
    code, res = run_json(capsys, "diff", "sin(x)*exp(x)")
    assert code == EXIT_OK and res["derivative"] == "exp(x)*sin(x) + exp(x)*cos(x)"
    code, res = run_json(capsys, "diff", "x**2 + 3*y + exp(x*y)", "--wrt", "y", "--at",
                         "x=1,y=2")
    assert code == EXIT_OK and res["value"] == pytest.approx(3 + E2, rel=1e-15)


def test_grad_seed_example(capsys):
    code, out, _ = run(capsys, "grad", "x**2 + 3*y + exp(x*y)", "--at", "x=1,y=2")
    assert code == EXIT_OK
    assert "(2 + 2*exp(2), 3 + exp(2))" in out
    code, res = run_json(capsys, "grad", "x^2 + 3*y + exp(x*y)", "--at", "x=1,y=2")
    assert res["value"] == pytest.approx([2 + 2 * E2, 3 + E2], rel=1e-15)
    assert res["methods"]["ad"] == pytest.approx([2 + 2 * E2, 3 + E2], rel=1e-14)
    assert res["variables"] == ["x", "y"] and res["agreement"]["agree"] is True


def test_hessian(capsys):
    code, res = run_json(capsys, "hessian", "x**2 + 3*y + exp(x*y)", "--at", "x=1,y=2")
    assert code == EXIT_OK
    np.testing.assert_allclose(res["value"], [[2 + 4 * E2, 3 * E2], [3 * E2, E2]], rtol=1e-14)
    assert res["agreement"]["agree"] is True


def test_taylor(capsys):
    code, out, _ = run(capsys, "taylor", "exp(x)", "--at", "0", "--order", "3")
    assert code == EXIT_OK and "x**3/6 + x**2/2 + x + 1" in out
    code, res = run_json(capsys, "taylor", "sin(x)", "--at", "pi/2", "--order", "2")
    assert res["coefficients"][2]["exact"] == "-1/2"
    assert res["coefficients"][2]["ad"] == pytest.approx(-0.5)


def test_check_agrees_and_fails_when_a_method_is_wrong(capsys, monkeypatch):
    code, res = run_json(capsys, "check", "tanh(x*y) + log(1 + x**2)", "--at", "x=0.5,y=-1",
                         "--order", "2")
    assert code == EXIT_OK and res["agree"] is True
    assert set(res) >= {"gradient", "hessian"}

    def wrong(f, x, **kw):
        return dfdx.Estimate(value=[0.0, 0.0], error=[1e-12, 1e-12], nfev=1)

    monkeypatch.setattr(dfdx.numeric, "gradient", wrong)
    code, out, _ = run(capsys, "check", "x*y", "--at", "x=1,y=2")
    assert code == EXIT_FAILURE and "FAILED" in out


def test_a_kink_is_reported_not_differentiable_with_both_sides(capsys):
    code, out, _ = run(capsys, "diff", "abs(x)", "--at", "x=0")
    assert code == EXIT_FAILURE
    assert "not differentiable at x = 0: left -1, right 1" in out
    code, res = run_json(capsys, "diff", "abs(x)", "--at", "x=0")
    assert res["differentiable"] is False and res["value"] is None
    assert res["one_sided"]["-"]["value"] == -1.0 and res["one_sided"]["+"]["value"] == 1.0
    assert res["methods"]["ad"] == 0.0          # the training convention, shown beside


# -- limits and continuity ---------------------------------------------------------------------

def test_limit(capsys):
    code, out, _ = run(capsys, "limit", "sin(x)/x", "--at", "0")
    assert code == EXIT_OK and "= 1" in out
    code, res = run_json(capsys, "limit", "sin(x)/x", "--at", "0")
    assert res["exists"] is True and res["value"] == 1.0 and res["exact"] == "1"
    assert res["method"] == "exact" and res["error"] == 0 and res["routes_agree"] is True


def test_limit_that_does_not_exist_gives_both_sides(capsys):
    code, out, _ = run(capsys, "limit", "abs(x)/x", "--at", "0")
    assert code == EXIT_OK
    assert "does not exist" in out and "left -1" in out and "right 1" in out
    code, res = run_json(capsys, "limit", "abs(x)/x", "--at", "0")
    assert res["exists"] is False and res["value"] is None
    assert res["left"] == -1.0 and res["right"] == 1.0
    code, res = run_json(capsys, "limit", "abs(x)/x", "--at", "0", "--dir", "+")
    assert res["value"] == 1.0


def test_limit_at_infinity(capsys):
    code, res = run_json(capsys, "limit", "(1 + 1/x)^x", "--at", "oo")
    assert code == EXIT_OK and res["exact"] == "E"
    code, res = run_json(capsys, "limit", "exp(x)", "--at=-oo")
    assert res["value"] == 0.0


def test_continuity(capsys):
    code, out, _ = run(capsys, "continuity", "abs(x)/x", "--at", "0")
    assert code == EXIT_OK and "not continuous" in out and "jump" in out
    code, res = run_json(capsys, "continuity", "x**2 + 2*x + 1", "--at", "1")
    assert res["continuous"] is True and res["kind"] == "continuous" and res["value"] == 4.0


# -- pictures, training, help ------------------------------------------------------------------

def test_plot_writes_pictures(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, _ = run(capsys, "plot", "sin(x)", "--at", "1", "-o", str(tmp_path / "s.png"))
    assert code == EXIT_OK and (tmp_path / "s.png").stat().st_size > 1000
    code, res = run_json(capsys, "plot", "x**2 + 3*y + exp(x*y)", "--at", "x=1,y=2",
                         "--range=-1,1.5", "--yrange=-1,2.5", "-o", str(tmp_path / "g"))
    assert res["kind"] == "field" and len(res["files"]) == 2
    code, _, _ = run(capsys, "plot", "abs(x)/x", "--kind", "continuity", "--at", "0", "-o",
                     str(tmp_path / "j.svg"))
    assert code == EXIT_OK and (tmp_path / "j.svg").exists()


def test_train(capsys, tmp_path):
    pytest.importorskip("sklearn")
    code, res = run_json(capsys, "train", "--epochs", "3", "--hidden", "32")
    assert code == EXIT_OK and res["test_accuracy"] > 0.5
    assert len(res["history"]["loss"]) == 3


@pytest.mark.parametrize("command", ["limit", "continuity", "diff", "grad", "hessian", "taylor",
                                     "check", "plot", "train", "tour"])
def test_every_subcommand_has_help_with_an_example(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == EXIT_OK and "example:" in out and f"dfdx {command}" in out


def test_python_dash_m_dfdx():
    proc = subprocess.run([sys.executable, "-m", "dfdx", "diff", "x**3", "--at", "x=2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "value: 12.0" in proc.stdout


# -- errors and exit codes ---------------------------------------------------------------------

def test_parse_error_is_one_line_and_exit_2(capsys):
    code, out, err = run(capsys, "diff", "sin(x", "--at", "x=1")
    assert code == EXIT_USAGE and out == ""
    one_line_error(err, "cannot parse 'sin(x' at column 6")
    code, _, err = run(capsys, "grad", "__import__('os').system('true')", "--at", "x=1")
    assert code == EXIT_USAGE
    one_line_error(err, "cannot parse")


def test_point_outside_the_domain_exit_2(capsys):
    code, _, err = run(capsys, "diff", "log(x)", "--at", "x=-1")
    assert code == EXIT_USAGE
    one_line_error(err, "outside the domain", "log(x)")
    code, _, err = run(capsys, "grad", "sqrt(x - y)", "--at", "x=0,y=1")
    assert code == EXIT_USAGE


def test_unknown_option_and_bad_arguments_exit_2(capsys):
    code, _, err = run(capsys, "diff", "x**2", "--bogus")
    assert code == EXIT_USAGE
    one_line_error(err, "unrecognized arguments: --bogus", "dfdx diff --help")
    code, _, err = run(capsys, "grad", "x*y")                       # --at is required
    assert code == EXIT_USAGE
    one_line_error(err, "--at")
    code, _, err = run(capsys, "grad", "x*y", "--at", "x=1")        # y missing
    one_line_error(err, "no value for y")
    code, _, err = run(capsys, "diff", "x*y", "--at", "x=1,y=2")    # which variable?
    assert code == EXIT_USAGE
    one_line_error(err, "--wrt")
    code, _, err = run(capsys, "diff", "x", "--at", "x=a")
    assert code == EXIT_USAGE
    code, _, err = run(capsys, "frobnicate")
    assert code == EXIT_USAGE
    one_line_error(err, "frobnicate")


def test_more_bad_input_exit_2(capsys):
    code, _, err = run(capsys, "limit", "sqrt(x)", "--at", "-1")       # no real side
    assert code == EXIT_USAGE
    one_line_error(err, "not real-valued")
    code, _, err = run(capsys, "continuity", "x", "--at", "oo")
    assert code == EXIT_USAGE
    code, _, err = run(capsys, "taylor", "exp(x)", "--at", "0", "--order", "99")
    assert code == EXIT_USAGE
    one_line_error(err, "--order")
    code, _, err = run(capsys, "plot", "x*y", "--kind", "limit", "--at", "0")
    assert code == EXIT_USAGE
    code, _, err = run(capsys, "limit", "x*y", "--at", "0")
    assert code == EXIT_USAGE
    one_line_error(err, "several variables")


def test_missing_matplotlib_exit_1_naming_the_extra(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, _, err = run(capsys, "plot", "sin(x)", "-o", str(tmp_path / "s.png"))
    assert code == EXIT_FAILURE
    one_line_error(err, "pip install dfdx[plot]")


def test_mathematical_failure_exit_1(capsys, monkeypatch):
    def broken(*a, **k):
        raise dfdx.DfdxError("the limit could not be computed: no convergence")

    monkeypatch.setattr(dfdx, "limit", broken)
    code, _, err = run(capsys, "limit", "sin(1/x)", "--at", "0")
    assert code == EXIT_FAILURE
    one_line_error(err, "no convergence")


def test_json_errors(capsys):
    code, out, err = run(capsys, "diff", "sin(x", "--json")
    assert code == EXIT_USAGE and json.loads(out) == {"error": err.strip()[len("dfdx: error: "):],
                                                      "status": 2}


def test_diff_through_a_piecewise_agrees_three_ways(capsys):
    code, out, _ = run(capsys, "diff", "where(x > 0, x**2, -x)", "--at", "x=1")
    assert code == EXIT_OK
    assert "agree" in out


def test_diff_of_erf_runs_end_to_end_through_scipy_special(capsys):
    code, res = run_json(capsys, "diff", "erf(x)", "--at", "x=0.5")
    assert code == EXIT_OK and res["agreement"]["agree"] is True
    assert res["methods"]["ad"] == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-0.25),
                                                 rel=1e-14)
