"""The `dfdx` command's arguments: one parser, built once (`parser`), for `dfdx.cli`.

Each subcommand's options, help and example live here; what a subcommand computes
and prints lives in `dfdx.cli`, which dispatches on ``args.command``.
"""

from __future__ import annotations

import argparse

import dfdx

__all__ = ["build_parser", "parser", "UsageError", "DEFAULT_TIMEOUT", "STEP_TIMEOUT", "WIDTH"]

#: Text output is wrapped to this many columns.
WIDTH = 100
#: Seconds each method (exact, AD, numeric) may run by default (``--timeout``).
DEFAULT_TIMEOUT = 3.0
#: Seconds each step of plot, train and tour (a figure, an epoch, a tour step) may run by
#: default: they have a budget per step, not in all.
STEP_TIMEOUT = 60.0


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


_EXAMPLES = {
    "limit": "dfdx limit 'sin(x)/x' --at 0\n  dfdx limit 'abs(x)/x' --at 0 --dir +\n"
             "  dfdx limit '(1 + 1/x)^x' --at oo",
    "continuity": "dfdx continuity 'abs(x)/x' --at 0",
    "diff": "dfdx diff '2*x**2 + 3*x + 1' -n 2 --at x=1\n"
            "  dfdx diff 'x**2 + 3*y + exp(x*y)' --wrt y --at x=1,y=2\n"
            "  dfdx diff 'abs(x)' --at 0+",
    "grad": "dfdx grad 'x**2 + 3*y + exp(x*y)' --at x=1,y=2",
    "hessian": "dfdx hessian 'x**2 + 3*y + exp(x*y)' --at x=1,y=2",
    "taylor": "dfdx taylor 'exp(x)' --at 0 --order 4",
    "check": "dfdx check 'tanh(x*y) + log(1 + x**2)' --at x=0.5,y=-1 --order 2",
    "plot": "dfdx plot 'sin(x)' --at 1 -o sine.png\n"
            "  dfdx plot 'abs(x)/x' --kind continuity --at 0 -o jump.svg\n"
            "  dfdx plot 'x**2 + 3*y + exp(x*y)' --at x=1,y=2 --range=-1,1.5 --yrange=-1,2.5 "
            "-o field.png",
    "train": "dfdx train --epochs 10 -o curves.png",
    "tour": "dfdx tour --out demo-output",
}


_EXPR_HELP = "an expression such as 'sin(x)/x' or 'x^2 + 3*y' (read safely, never eval'd)"


def build_parser():
    """Build the argparse parser of the `dfdx` command (one subparser per subcommand).

    Example:
        >>> from dfdx.cli import build_parser
        >>> args = build_parser().parse_args(["grad", "x*y", "--at", "x=1,y=2"])
        >>> args.command, args.at
        ('grad', 'x=1,y=2')
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object (for machines)")
    common.add_argument("--timeout", type=float, default=None, metavar="S",
                        help=f"seconds the command may run (default {DEFAULT_TIMEOUT:g}); "
                             "for plot, train and tour: seconds per figure, epoch or step "
                             f"(default {STEP_TIMEOUT:g})")
    parser = _Parser(prog="dfdx", description="Calculus for deep learning on plain NumPy code: limits, "
                     "continuity and derivatives\ncomputed automatically (AD), exactly (SymPy) "
                     "and numerically, side by side.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="examples:\n  dfdx diff '2*x**2 + 3*x + 1' -n 2 --at x=1\n"
                            "  dfdx limit 'abs(x)/x' --at 0\n  dfdx tour --out demo-output\n\n"
                            "Run 'dfdx COMMAND --help' for an example of each command; "
                            "'dfdx tour' shows everything in a minute.\n"
                            "Exit status: 0 success, 1 mathematical failure, 2 bad input.")
    parser.add_argument("--version", action="version", version=f"dfdx {dfdx.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name, help):
        p = sub.add_parser(name, help=help, description=help, parents=[common],
                           epilog="example:\n  " + _EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        return p

    _add_calculus_commands(add)
    _add_tool_commands(add)
    return parser


def _add_calculus_commands(add):
    """The subcommands that answer a calculus question about an expression."""
    p = add("limit", "the limit of f(x) as x → A, with both one-sided values")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--at", required=True, metavar="A",
                   help="the point: 0, x=0, 0+ or 0- (one side), oo (write --at=-oo for minus infinity)")
    p.add_argument("--dir", default="+-", choices=["+", "-", "+-"],
                   help="approach from above (+), below (-) or both (+-, the default)")
    p = add("continuity", "whether f is continuous at A, and what kind of point it is")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--at", required=True, metavar="A", help="the point (a finite number)")
    p = add("diff", "the n-th derivative, exactly; at a point also by AD and numerically")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--wrt", metavar="VAR", help="the variable (default: the only one)")
    p.add_argument("-n", type=int, default=1, metavar="N", help="the order (default 1)")
    p.add_argument("--at", metavar="POINT",
                   help="evaluate at a point, e.g. 1, x=1, x=1,y=2, or 0+ / 0- for one side")
    p = add("grad", "the gradient at a point: AD, exact and numeric side by side")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1,y=2")
    p = add("hessian", "the Hessian at a point: AD, exact and numeric side by side")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1,y=2")
    p = add("taylor", "the Taylor polynomial about A (coefficients checked by AD)")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--at", required=True, metavar="A", help="the centre, e.g. 0 or pi/2")
    p.add_argument("--order", type=int, default=3, metavar="N", help="the degree (default 3)")
    p.add_argument("--wrt", metavar="VAR", help="the variable (default: the only one)")
    p = add("check", "check that AD, exact and numeric derivatives agree at a point; "
            "exit 1 if they do not")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--at", required=True, metavar="POINT", help="the point, e.g. x=1,y=2")
    p.add_argument("--order", type=int, default=1, choices=[1, 2],
                   help="1: gradient; 2: gradient and Hessian")


def _add_tool_commands(add):
    """The subcommands that draw, train or tour."""
    p = add("plot", "draw a picture (PNG, SVG or PDF; needs pip install dfdx[plot])")
    p.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    p.add_argument("--kind", default="auto",
                   choices=["auto", "derivatives", "limit", "continuity", "field", "step-error"],
                   help="the picture (auto: derivatives for f(x), field for f(x, y))")
    p.add_argument("--at", metavar="POINT", help="the point: tangent, limit point, arrow")
    p.add_argument("--range", metavar="LO,HI", help="the x-range (default -3,3; -2,2 for a field); write "
                   "--range=-1,2 when LO is negative")
    p.add_argument("--yrange", metavar="LO,HI", help="the y-range of a field (default -2,2)")
    p.add_argument("--order", type=int, default=2, choices=range(0, 5),
                   help="highest derivative drawn (default 2)")
    p.add_argument("-o", "--output", default="dfdx-plot.png",
                   help="file to write: .png, .svg or .pdf; no suffix writes .png and .svg "
                   "(default dfdx-plot.png)")
    p = add("train", "train an MLP on the digits by backpropagation (needs dfdx[train])")
    p.add_argument("--epochs", type=int, default=10, help="passes over the data (default 10)")
    p.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    p.add_argument("--lr", type=float, default=1e-2,
                   help="Adam's peak learning rate (default 0.01)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", help="write the loss/accuracy curves to this picture")
    p = add("tour", "the tour: every example of the tutorial, three methods side by side")
    p.add_argument("--out", default="demo-output", metavar="DIR",
                   help="folder for the pictures (default demo-output)")
    p.add_argument("--quick", action="store_true", help="a shorter training step")


_PARSER = []


def parser():
    """The parser of `build_parser`, built on first use and kept (the parser is built once)."""
    if not _PARSER:
        _PARSER.append(build_parser())
    return _PARSER[0]
