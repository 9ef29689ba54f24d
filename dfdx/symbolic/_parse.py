"""The safe expression language: mathematics as text, parsed into SymPy.

The grammar is `dfdx._expr`'s (read without SymPy): the text is read by
Python's own `ast` parser and then walked with an allow-list: numbers, names,
``+ - * / ** % ^``, unary signs, parentheses, comparisons (inside ``where``)
and calls to a fixed table of mathematical functions. This module is the
SymPy backend of that walk. Nothing is ever evaluated as Python: no ``eval``,
``exec``, ``sympify`` or ``parse_expr`` touches the text. The work is
bounded: the length of the text, the depth of nesting, the number of nodes
and the size of numbers built from integer powers and factorials are capped,
so a hostile input fails at once with a `ParseError` that points at the
offending character.
"""

from __future__ import annotations

import math

import sympy

from dfdx._expr import (ARITY, MAX_BITS, MAX_DEPTH, MAX_LENGTH, MAX_NODES, Reader,  # noqa: F401
                        read)

__all__ = ["parse", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH", "MAX_NODES"]

#: Largest argument of factorial / gamma when it is an explicit number.
MAX_FACTORIAL = 1000
#: Largest number (in bits) whose roots are taken exactly, or that a function is applied to.
MAX_ROOT_BITS = 1024
#: Largest exponent of a symbolic base (``x**n``).
MAX_EXPONENT = 10**6


def _cbrt(x):
    return sympy.real_root(x, 3)


def _log(x, base=None):
    return sympy.log(x) if base is None else sympy.log(x, base)


def _where(cond, a, b):
    return sympy.Piecewise((a, cond), (b, True))


def _sigmoid(x):
    return 1 / (1 + sympy.exp(-x))


def _relu(x):
    return sympy.Max(0, x)


def _softplus(x):
    return sympy.log(1 + sympy.exp(x))


_SYMPY = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot, "sec": sympy.sec,
    "csc": sympy.csc, "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "acot": sympy.acot, "asec": sympy.asec, "acsc": sympy.acsc, "arcsin": sympy.asin,
    "arccos": sympy.acos, "arctan": sympy.atan, "atan2": sympy.atan2, "arctan2": sympy.atan2,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh, "coth": sympy.coth,
    "sech": sympy.sech, "csch": sympy.csch, "asinh": sympy.asinh, "acosh": sympy.acosh,
    "atanh": sympy.atanh, "arcsinh": sympy.asinh, "arccosh": sympy.acosh,
    "arctanh": sympy.atanh, "exp": sympy.exp, "log": _log, "ln": sympy.log,
    "log2": lambda x: sympy.log(x, 2), "log10": lambda x: sympy.log(x, 10),
    "sqrt": sympy.sqrt, "cbrt": _cbrt, "Abs": sympy.Abs, "abs": sympy.Abs, "sign": sympy.sign,
    "floor": sympy.floor, "ceiling": sympy.ceiling, "ceil": sympy.ceiling, "Min": sympy.Min,
    "Max": sympy.Max, "min": sympy.Min, "max": sympy.Max, "where": _where,
    "Heaviside": sympy.Heaviside, "heaviside": sympy.Heaviside, "gamma": sympy.gamma,
    "loggamma": sympy.loggamma, "erf": sympy.erf, "erfc": sympy.erfc,
    "factorial": sympy.factorial, "sigmoid": _sigmoid, "relu": _relu, "softplus": _softplus,
}

# name -> (SymPy callable, smallest and largest number of positional arguments)
FUNCTIONS: dict = {name: (_SYMPY[name], lo, hi) for name, (lo, hi) in ARITY.items()}

CONSTANTS: dict = {
    "pi": sympy.pi, "e": sympy.E, "E": sympy.E, "oo": sympy.oo, "inf": sympy.oo,
    "Infinity": sympy.oo,
}

_CMPOPS = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge, "==": sympy.Eq,
           "!=": sympy.Ne}


def parse(text: str, *, real: bool = True, variables=()) -> sympy.Expr:
    """Parse mathematics written as text into a SymPy expression, safely.

    The text is never executed: it is parsed with Python's `ast` module and
    only an allow-list of syntax is translated (numbers, names, ``+ - * / **
    % ^``, unary minus, parentheses, comparisons inside ``where`` and calls of
    the functions in `FUNCTIONS`). Decimal numbers become exact rationals
    (``0.5`` is ``1/2``); ``^`` means power; ``pi``, ``e``/``E`` and
    ``oo``/``inf`` are constants; ``where(cond, a, b)`` is a Piecewise.

    Args:
        text: the expression, e.g. ``"sin(x)/x"`` or ``"x^2 + 3*y"``.
        real: make every name a real SymPy symbol (the default; limits and
            continuity are questions about real functions).
        variables: names that are variables even where they would be a
            constant (``e``, ``pi``, ``E``, ``oo``): ``parse("x*e",
            variables={"e"})`` is the product of two symbols.

    Returns:
        The SymPy expression.

    Raises:
        ParseError: the text is not allowed mathematics, is too long, nested
            too deeply, or builds a number too large; the message points at
            the offending character.

    Example:
        >>> from dfdx.symbolic import parse
        >>> parse("x^2 + 2*x + 1")
        x**2 + 2*x + 1
        >>> parse("where(x < 0, -x, x**2) + log(8, 2)")
        Piecewise((-x, x < 0), (x**2, True)) + 3
        >>> parse("__import__('os')")
        Traceback (most recent call last):
        ...
        dfdx._errors.ParseError: names starting with '_' are not allowed ...
    """
    ctx, tree = read(text)
    return Reader(ctx, _SymPy(real), variables).build(tree.body)


class _SymPy:
    """The SymPy backend of `dfdx._expr.Reader`: exact values, and the checks on their size."""

    def __init__(self, real: bool):
        self.real = real

    def number(self, v):
        return sympy.Integer(v) if isinstance(v, int) else sympy.Rational(repr(v))

    def constant(self, name):
        return CONSTANTS[name]

    def symbol(self, name):
        return sympy.Symbol(name, real=True) if self.real else sympy.Symbol(name)

    def binop(self, ctx, node, op, a, b):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "%":
            return sympy.Mod(a, b)
        _check_power(ctx, node, a, b)
        return a ** b

    def neg(self, v):
        return -v

    def not_(self, v):
        return sympy.Not(v)

    def is_condition(self, value):
        return isinstance(value, (sympy.logic.boolalg.Boolean, bool))

    def compare(self, op, a, b):
        return _CMPOPS[op](a, b)

    def and_(self, parts):
        return sympy.And(*parts)

    def or_(self, parts):
        return sympy.Or(*parts)

    def true(self):
        return sympy.true

    def check_args(self, ctx, name, args, nodes):
        for a, a_node in zip(args, nodes):
            if isinstance(a, sympy.Rational) and \
                    max(abs(a.p), abs(a.q)).bit_length() > MAX_ROOT_BITS:
                raise ctx.error(f"{name}() of a number of more than {MAX_ROOT_BITS} bits is "
                                "refused; write it in a smaller form", a_node)
        if name in ("factorial", "gamma", "loggamma") and isinstance(args[0], sympy.Number):
            if abs(args[0]) > MAX_FACTORIAL:
                raise ctx.error(f"{name}() of a number larger than {MAX_FACTORIAL} "
                                "is refused (it would build a huge number)", nodes[0])

    def call(self, name, args, kwargs):
        return _SYMPY[name](*args, **kwargs)

    def piecewise(self, pairs):
        return sympy.Piecewise(*pairs)


def _check_power(ctx, node, base, exp):
    if not isinstance(exp, sympy.Number):
        return
    where = node.right if hasattr(node, "right") else node
    if isinstance(base, sympy.Number):
        if base in (0, 1, -1) or exp == 0:
            return
        if not isinstance(base, sympy.Rational) or not isinstance(exp, sympy.Rational):
            return
        size = max(math.log2(max(abs(base.p), abs(base.q))), 1.0)
        if exp.q != 1 and size > MAX_ROOT_BITS:
            raise ctx.error(f"a root of a number of {size:.0f} bits is refused (the limit "
                            f"is {MAX_ROOT_BITS}); write it in a smaller form", where)
        bits = float(abs(exp)) * size
        if not math.isfinite(bits) or bits > MAX_BITS:
            raise ctx.error(f"this power would build a number of about {bits:.3g} bits "
                            f"(the limit is {MAX_BITS}); write it in a smaller form", where)
    elif abs(exp) > MAX_EXPONENT:
        raise ctx.error(f"exponent larger than {MAX_EXPONENT}", where)

