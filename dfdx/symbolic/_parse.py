"""The safe expression language: mathematics as text, parsed into SymPy.

The text is read by Python's own `ast` parser and then walked with an
allow-list: numbers, names, ``+ - * / ** % ^``, unary signs, parentheses,
comparisons (inside ``where``) and calls to a fixed table of mathematical
functions. Nothing is ever evaluated as Python: no ``eval``, ``exec``,
``sympify`` or ``parse_expr`` touches the text. The work is bounded: the
length of the text, the depth of nesting, the number of nodes and the size of
numbers built from integer powers and factorials are capped, so a hostile
input fails at once with a `ParseError` that points at the offending
character.
"""

from __future__ import annotations

import ast
import math
import re
import warnings

import sympy

from dfdx._errors import ParseError

__all__ = ["parse", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH", "MAX_NODES"]

#: Longest text accepted, in characters.
MAX_LENGTH = 5000
#: Deepest nesting accepted (parentheses, calls, unary signs, powers).
MAX_DEPTH = 60
#: Most syntax-tree nodes accepted.
MAX_NODES = 2000
#: Largest exact number that a power of numbers may build, in bits.
MAX_BITS = 10000
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


# name -> (SymPy callable, smallest and largest number of positional arguments)
FUNCTIONS: dict = {
    "sin": (sympy.sin, 1, 1), "cos": (sympy.cos, 1, 1), "tan": (sympy.tan, 1, 1),
    "cot": (sympy.cot, 1, 1), "sec": (sympy.sec, 1, 1), "csc": (sympy.csc, 1, 1),
    "asin": (sympy.asin, 1, 1), "acos": (sympy.acos, 1, 1), "atan": (sympy.atan, 1, 1),
    "acot": (sympy.acot, 1, 1), "asec": (sympy.asec, 1, 1), "acsc": (sympy.acsc, 1, 1),
    "arcsin": (sympy.asin, 1, 1), "arccos": (sympy.acos, 1, 1), "arctan": (sympy.atan, 1, 1),
    "atan2": (sympy.atan2, 2, 2), "arctan2": (sympy.atan2, 2, 2),
    "sinh": (sympy.sinh, 1, 1), "cosh": (sympy.cosh, 1, 1), "tanh": (sympy.tanh, 1, 1),
    "coth": (sympy.coth, 1, 1), "sech": (sympy.sech, 1, 1), "csch": (sympy.csch, 1, 1),
    "asinh": (sympy.asinh, 1, 1), "acosh": (sympy.acosh, 1, 1), "atanh": (sympy.atanh, 1, 1),
    "arcsinh": (sympy.asinh, 1, 1), "arccosh": (sympy.acosh, 1, 1),
    "arctanh": (sympy.atanh, 1, 1),
    "exp": (sympy.exp, 1, 1), "log": (_log, 1, 2), "ln": (sympy.log, 1, 1),
    "log2": (lambda x: sympy.log(x, 2), 1, 1), "log10": (lambda x: sympy.log(x, 10), 1, 1),
    "sqrt": (sympy.sqrt, 1, 1), "cbrt": (_cbrt, 1, 1),
    "Abs": (sympy.Abs, 1, 1), "abs": (sympy.Abs, 1, 1), "sign": (sympy.sign, 1, 1),
    "floor": (sympy.floor, 1, 1), "ceiling": (sympy.ceiling, 1, 1), "ceil": (sympy.ceiling, 1, 1),
    "Min": (sympy.Min, 1, 32), "Max": (sympy.Max, 1, 32),
    "min": (sympy.Min, 1, 32), "max": (sympy.Max, 1, 32),
    "where": (_where, 3, 3),
    "Heaviside": (sympy.Heaviside, 1, 2), "heaviside": (sympy.Heaviside, 1, 2),
    "gamma": (sympy.gamma, 1, 1), "loggamma": (sympy.loggamma, 1, 1),
    "erf": (sympy.erf, 1, 1), "erfc": (sympy.erfc, 1, 1),
    "factorial": (sympy.factorial, 1, 1),
    "sigmoid": (_sigmoid, 1, 1), "relu": (_relu, 1, 1), "softplus": (_softplus, 1, 1),
}

#: Keyword arguments allowed, per function.
KEYWORDS = {"log": {"base"}}

CONSTANTS: dict = {
    "pi": sympy.pi, "e": sympy.E, "E": sympy.E, "oo": sympy.oo, "inf": sympy.oo,
    "Infinity": sympy.oo,
}

_BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%",
}
_CMPOPS = {
    ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne,
}

_REFUSED = {
    ast.Attribute: "attribute access ('.name') is not mathematics",
    ast.Subscript: "subscripts ('[...]') are not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.List: "lists are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.IfExp: "'a if c else b' is not allowed; write where(c, a, b)",
    ast.NamedExpr: "assignment (':=') is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
}

# a digit run followed directly by a name or '(' ("2x", "3(x+1)"), but not 1e5 / 0x1f / 1j
_IMPLICIT = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?=[A-Za-z_(])")


class _Ctx:
    """Carry the original text and a map from positions in the rewritten text back to it."""

    def __init__(self, text: str):
        self.text = text
        # why: '^' is rewritten to '**' before Python parses; keep columns pointing at the input.
        self.src_pos: list[int] = []
        out = []
        lead = len(text) - len(text.lstrip())
        for i, ch in enumerate(text[lead:], start=lead):
            if ch == "^":
                out.append("**")
                self.src_pos += [i, i]
            else:
                out.append(ch)
                self.src_pos.append(i)
        self.src_pos.append(len(text))
        self.source = "".join(out)
        starts = [0]
        for line in self.source.split("\n")[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self.line_starts = starts
        self.lines = self.source.split("\n")

    def pos(self, node, end: bool = False) -> int | None:
        lineno = getattr(node, "end_lineno" if end else "lineno", None)
        col = getattr(node, "end_col_offset" if end else "col_offset", None)
        if lineno is None or col is None:
            return None
        line = self.lines[lineno - 1]
        # ast columns count UTF-8 bytes; turn them into characters.
        chars = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return self.map(self.line_starts[lineno - 1] + chars)

    def map(self, offset: int) -> int:
        offset = max(0, min(offset, len(self.src_pos) - 1))
        return self.src_pos[offset]

    def error(self, message: str, node=None, position: int | None = None) -> ParseError:
        if position is None and node is not None:
            position = self.pos(node)
        return ParseError(message, self.text, position)


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
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a str, got {type(text).__name__}; "
                        "pass SymPy expressions to the calculus functions directly")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is {len(text)} characters long; the limit is "
                         f"{MAX_LENGTH}. Split it into parts, or build it with SymPy directly",
                         text, MAX_LENGTH)
    if not text.strip():
        raise ParseError("the expression is empty; write some mathematics, e.g. 'sin(x)/x'",
                         text, 0)
    ctx = _Ctx(text)
    _check_brackets(ctx)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "1and"; we judge ourselves
            tree = ast.parse(ctx.source, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(ctx, exc) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ParseError(f"the expression cannot be read ({type(exc).__name__}); "
                         "simplify it", text, 0) from None
    _check_shape(ctx, tree)
    return _Builder(ctx, real, frozenset(variables)).build(tree.body)


def _check_brackets(ctx: _Ctx) -> None:
    depth = 0
    for i, ch in enumerate(ctx.text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ctx.error(f"brackets nested more than {MAX_DEPTH} deep; "
                                "simplify the expression", position=i)
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                raise ctx.error("unmatched closing bracket", position=i)
    if depth > 0:
        raise ctx.error("unclosed bracket: a ')' is missing", position=len(ctx.text))


def _syntax_error(ctx: _Ctx, exc: SyntaxError) -> ParseError:
    m = _IMPLICIT.search(ctx.source)
    if m is not None:
        p = ctx.map(m.end())
        return ctx.error("implicit multiplication is not supported: write "
                         f"'{m.group(1)}*{ctx.source[m.end():m.end() + 1]}...' "
                         "with an explicit '*'", position=p)
    offset = None
    if exc.lineno is not None and exc.offset is not None:
        offset = ctx.line_starts[min(exc.lineno, len(ctx.line_starts)) - 1] + exc.offset - 1
    position = ctx.map(offset) if offset is not None else None
    msg = (exc.msg or "invalid syntax").split(". Perhaps")[0]
    return ctx.error(f"not valid mathematics: {msg}. Check the operators and brackets "
                     "(multiplication needs '*')", position=position)


def _check_shape(ctx: _Ctx, tree: ast.AST) -> None:
    """Refuse too many nodes or too deep nesting, without recursion."""
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ctx.error(f"the expression has more than {MAX_NODES} parts; "
                            "build large expressions with SymPy directly", node)
        if depth > MAX_DEPTH:
            raise ctx.error(f"the expression is nested more than {MAX_DEPTH} levels deep; "
                            "simplify it", node)
        for child in ast.iter_child_nodes(node):
            # why: a long sum a+b+c+... is a left-leaning chain; it is built iteratively,
            # so its length is bounded by MAX_NODES, not by the depth limit.
            same_chain = (isinstance(node, ast.BinOp) and child is node.left
                          and isinstance(child, ast.BinOp))
            stack.append((child, depth if same_chain else depth + 1))


class _Builder:
    def __init__(self, ctx: _Ctx, real: bool, variables=frozenset()):
        self.variables = variables
        self.ctx = ctx
        self.real = real

    def build(self, node):
        if isinstance(node, ast.BinOp):
            return self._binop_chain(node)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self._refuse(node)
        return method(node)

    def _refuse(self, node) -> ParseError:
        why = _REFUSED.get(type(node))
        if why is None:
            why = f"'{type(node).__name__}' syntax is not allowed in an expression"
        position = None
        if isinstance(node, ast.Attribute):
            # point at the '.' (the attribute name ends the node)
            end = self.ctx.pos(node, end=True)
            position = None if end is None else max(0, end - len(node.attr) - 1)
        elif isinstance(node, ast.Subscript):
            position = self.ctx.pos(node.value, end=True)
        return self.ctx.error(why, node, position=position)

    # -- leaves -------------------------------------------------------------------------------
    def _Constant(self, node):
        v = node.value
        if isinstance(v, bool) or v is None:
            raise self.ctx.error(f"{v!r} is not a number", node)
        if isinstance(v, int):
            if v.bit_length() > MAX_BITS:
                raise self.ctx.error("this number is too large", node)
            return sympy.Integer(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise self.ctx.error("this number overflows; write 'oo' for infinity", node)
            return sympy.Rational(repr(v))
        if isinstance(v, complex):
            raise self.ctx.error("complex numbers are not supported; dfdx works on real "
                                 "functions", node)
        if isinstance(v, (str, bytes)):
            raise self.ctx.error("strings are not allowed in an expression", node)
        raise self.ctx.error(f"{type(v).__name__} literals are not allowed", node)

    def _Name(self, node):
        name = node.id
        if name.startswith("_"):
            raise self.ctx.error("names starting with '_' are not allowed (they could reach "
                                 "Python internals)", node)
        if name in CONSTANTS and name not in self.variables:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise self.ctx.error(f"'{name}' is a function; call it, e.g. {name}(x)", node)
        if not name.isascii() and not name.isidentifier():
            raise self.ctx.error("names must be identifiers", node)
        return sympy.Symbol(name, real=True) if self.real else sympy.Symbol(name)

    # -- operators ----------------------------------------------------------------------------
    def _binop_chain(self, node):
        # walk the left spine iteratively: long sums must not hit the recursion limit
        spine = []
        while isinstance(node, ast.BinOp):
            spine.append(node)
            node = node.left
        acc = self.build(node)
        for op_node in reversed(spine):
            acc = self._binop(op_node, acc, self.build(op_node.right))
        return acc

    def _binop(self, node, a, b):
        op = _BINOPS.get(type(node.op))
        if op is None:
            hint = {ast.FloorDiv: "write floor(a/b)", ast.MatMult: "matrices are not supported",
                    ast.BitXor: "write ** (or ^ in the text) for powers",
                    ast.BitAnd: "write 'and' inside where()",
                    ast.BitOr: "write 'or' inside where()",
                    ast.LShift: "shifts are not mathematics here",
                    ast.RShift: "shifts are not mathematics here"}.get(type(node.op), "")
            raise self.ctx.error(f"operator {type(node.op).__name__} is not allowed"
                                 + (f"; {hint}" if hint else ""), node)
        try:
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
            self._check_power(node, a, b)
            return a ** b
        except ParseError:
            raise
        except Exception as exc:  # SymPy refuses (e.g. Mod of a relational)
            raise self.ctx.error(f"cannot apply '{op}' here: {exc}", node) from None

    def _check_power(self, node, base, exp):
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
                raise self.ctx.error(f"a root of a number of {size:.0f} bits is refused (the limit "
                                     f"is {MAX_ROOT_BITS}); write it in a smaller form", where)
            bits = float(abs(exp)) * size
            if not math.isfinite(bits) or bits > MAX_BITS:
                raise self.ctx.error(f"this power would build a number of about {bits:.3g} bits "
                                     f"(the limit is {MAX_BITS}); write it in a smaller form",
                                     where)
        elif abs(exp) > MAX_EXPONENT:
            raise self.ctx.error(f"exponent larger than {MAX_EXPONENT}", where)

    def _UnaryOp(self, node):
        v = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.Not):
            return sympy.Not(self._condition(v, node.operand))
        raise self.ctx.error("operator '~' is not allowed", node)

    def _Compare(self, node):
        parts = []
        left = self.build(node.left)
        for op, comp in zip(node.ops, node.comparators):
            fn = _CMPOPS.get(type(op))
            if fn is None:
                raise self.ctx.error(f"comparison {type(op).__name__} is not allowed", node)
            right = self.build(comp)
            parts.append(fn(left, right))
            left = right
        return sympy.And(*parts) if len(parts) > 1 else parts[0]

    def _BoolOp(self, node):
        values = [self._condition(self.build(v), v) for v in node.values]
        return sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)

    def _condition(self, value, node):
        """`value` if it is a condition (a comparison, true/false), else a ParseError."""
        if isinstance(value, (sympy.logic.boolalg.Boolean, bool)):
            return value
        raise self.ctx.error("'and', 'or' and 'not' take conditions such as 'x > 0', "
                             f"not the number {value}", node)

    # -- calls --------------------------------------------------------------------------------
    def _Call(self, node):
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise self._refuse(node.func)
            raise self.ctx.error("only named functions can be called; to multiply write "
                                 "'(a)*(b)'", node)
        name = node.func.id
        if name.startswith("_"):
            raise self.ctx.error("names starting with '_' are not allowed (they could reach "
                                 "Python internals)", node.func)
        if name == "Piecewise":
            return self._piecewise(node)
        entry = FUNCTIONS.get(name)
        if entry is None:
            raise self.ctx.error(f"unknown function '{name}'. Allowed: "
                                 + ", ".join(sorted(FUNCTIONS)), node.func)
        fn, lo, hi = entry
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in KEYWORDS.get(name, ()):
                raise self.ctx.error(f"keyword argument '{kw.arg or '**'}' is not allowed for "
                                     f"{name}()", kw)
        n = len(node.args)
        if not lo <= n <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise self.ctx.error(f"{name}() takes {want} argument(s), got {n}", node)
        args = [self.build(a) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            kwargs[kw.arg] = self.build(kw.value)
        for a, a_node in zip(args, node.args):
            if isinstance(a, sympy.Rational) and \
                    max(abs(a.p), abs(a.q)).bit_length() > MAX_ROOT_BITS:
                raise self.ctx.error(f"{name}() of a number of more than {MAX_ROOT_BITS} bits is "
                                     "refused; write it in a smaller form", a_node)
        if name in ("factorial", "gamma", "loggamma") and isinstance(args[0], sympy.Number):
            if abs(args[0]) > MAX_FACTORIAL:
                raise self.ctx.error(f"{name}() of a number larger than {MAX_FACTORIAL} "
                                     "is refused (it would build a huge number)", node.args[0])
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise self.ctx.error(f"{name}() cannot take these arguments: {exc}", node) from None

    def _piecewise(self, node):
        if node.keywords:
            raise self.ctx.error("Piecewise takes no keyword arguments", node)
        pairs = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise self.ctx.error("Piecewise takes pairs (value, condition)", arg)
            pairs.append((self.build(arg.elts[0]), self._cond(arg.elts[1])))
        if not pairs:
            raise self.ctx.error("Piecewise needs at least one (value, condition) pair", node)
        try:
            return sympy.Piecewise(*pairs)
        except Exception as exc:
            raise self.ctx.error(f"invalid Piecewise: {exc}", node) from None

    def _cond(self, node):
        if isinstance(node, ast.Constant) and node.value is True:
            return sympy.true
        return self.build(node)

    def _Tuple(self, node):
        raise self.ctx.error("tuples are only allowed as Piecewise((value, condition), ...) "
                             "pairs", node)
