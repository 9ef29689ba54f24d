"""The expression language's grammar, read without SymPy: text → checked syntax tree.

The text is read by Python's own `ast` parser and then walked with an
allow-list: numbers, names, ``+ - * / ** % ^``, unary signs, parentheses,
comparisons (inside ``where``) and calls to a fixed table of mathematical
functions (`ARITY`). Nothing is ever evaluated as Python. The work is bounded:
the length of the text, the depth of nesting and the number of nodes are
capped, so a hostile input fails at once with a `ParseError` that points at
the offending character.

The walk (`Reader`) builds its values with a *backend*: `dfdx.symbolic.parse`
plugs in SymPy (exact numbers, value checks such as the size of a power);
`numpy_source` plugs in the printed NumPy form, so that the command can
evaluate and differentiate an expression before (or without) importing SymPy.
This module imports neither SymPy nor, at import, NumPy.
"""

from __future__ import annotations

import ast
import math
import re
import warnings

from dfdx._errors import ParseError

__all__ = ["read", "Reader", "ARITY", "KEYWORDS", "CONSTANT_NAMES", "NONSMOOTH", "MAX_LENGTH",
           "MAX_DEPTH", "MAX_NODES", "MAX_BITS", "numpy_source", "numpy_function", "same_code"]

#: Longest text accepted, in characters.
MAX_LENGTH = 5000
#: Deepest nesting accepted (parentheses, calls, unary signs, powers).
MAX_DEPTH = 60
#: Most syntax-tree nodes accepted.
MAX_NODES = 2000
#: Largest exact integer written in the text, in bits.
MAX_BITS = 10000

_ONE, _TWO, _MANY = (1, 1), (2, 2), (1, 32)
#: The functions of the language: name -> (smallest, largest number of positional arguments).
ARITY: dict = {
    **dict.fromkeys(["sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "acot",
                     "asec", "acsc", "arcsin", "arccos", "arctan"], _ONE),
    "atan2": _TWO, "arctan2": _TWO,
    **dict.fromkeys(["sinh", "cosh", "tanh", "coth", "sech", "csch", "asinh", "acosh", "atanh",
                     "arcsinh", "arccosh", "arctanh"], _ONE),
    "exp": _ONE, "log": (1, 2), "ln": _ONE, "log2": _ONE, "log10": _ONE, "sqrt": _ONE,
    "cbrt": _ONE, "Abs": _ONE, "abs": _ONE, "sign": _ONE, "floor": _ONE, "ceiling": _ONE,
    "ceil": _ONE, "Min": _MANY, "Max": _MANY, "min": _MANY, "max": _MANY, "where": (3, 3),
    "Heaviside": (1, 2), "heaviside": (1, 2),
    **dict.fromkeys(["gamma", "loggamma", "erf", "erfc", "factorial", "sigmoid", "relu",
                     "softplus"], _ONE),
}

#: Keyword arguments allowed, per function.
KEYWORDS = {"log": {"base"}}

#: Names that are constants unless the caller declares them variables.
CONSTANT_NAMES = ("pi", "e", "E", "oo", "inf", "Infinity")

#: Functions with kinks or jumps (besides ``%`` and ``Piecewise``).
NONSMOOTH = frozenset({"Abs", "abs", "sign", "floor", "ceiling", "ceil", "Min", "Max", "min",
                       "max", "where", "Heaviside", "heaviside", "relu"})

_BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%",
}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}

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

_HINTS = {ast.FloorDiv: "write floor(a/b)", ast.MatMult: "matrices are not supported",
          ast.BitXor: "write ** (or ^ in the text) for powers",
          ast.BitAnd: "write 'and' inside where()", ast.BitOr: "write 'or' inside where()",
          ast.LShift: "shifts are not mathematics here",
          ast.RShift: "shifts are not mathematics here"}

_UNDERSCORE = "names starting with '_' are not allowed (they could reach Python internals)"

# a digit run followed directly by a name or '(' ("2x", "3(x+1)"), but not 1e5 / 0x1f / 1j
_IMPLICIT = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?=[A-Za-z_(])")


class Context:
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


def read(text: str):
    """Read `text` into ``(context, tree)``: Python's syntax tree of it, bounded in size.

    Raises:
        TypeError: `text` is not a str.
        ParseError: the text is too long, empty, unbalanced, not Python syntax,
            or its tree is too large or too deep.
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
    ctx = Context(text)
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
    return ctx, tree


def _check_brackets(ctx: Context) -> None:
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


def _syntax_error(ctx: Context, exc: SyntaxError) -> ParseError:
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


def _check_shape(ctx: Context, tree: ast.AST) -> None:
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


class Reader:
    """Walk a syntax tree with the allow-list, building each allowed node with `backend`.

    The backend builds values: ``number(v)``, ``constant(name)``, ``symbol(name)``,
    ``binop(ctx, node, op, a, b)``, ``neg(v)``, ``not_(v)``, ``is_condition(v)``,
    ``compare(op, a, b)``, ``and_(parts)``, ``or_(parts)``, ``check_args(ctx, name,
    args, nodes)``, ``call(name, args, kwargs)``, ``true()`` and ``piecewise(pairs)``;
    it may raise ``ctx.error(...)`` where a value is refused (a power too large).
    Names in `variables` are variables even where they would be constants.
    """

    def __init__(self, ctx: Context, backend, variables=frozenset()):
        self.ctx = ctx
        self.backend = backend
        self.variables = frozenset(variables)

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
            return self.backend.number(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise self.ctx.error("this number overflows; write 'oo' for infinity", node)
            return self.backend.number(v)
        if isinstance(v, complex):
            raise self.ctx.error("complex numbers are not supported; dfdx works on real "
                                 "functions", node)
        if isinstance(v, (str, bytes)):
            raise self.ctx.error("strings are not allowed in an expression", node)
        raise self.ctx.error(f"{type(v).__name__} literals are not allowed", node)

    def _Name(self, node):
        name = node.id
        if name.startswith("_"):
            raise self.ctx.error(_UNDERSCORE, node)
        if name in CONSTANT_NAMES and name not in self.variables:
            return self.backend.constant(name)
        if name in ARITY:
            raise self.ctx.error(f"'{name}' is a function; call it, e.g. {name}(x)", node)
        if not name.isascii() and not name.isidentifier():
            raise self.ctx.error("names must be identifiers", node)
        return self.backend.symbol(name)

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
            hint = _HINTS.get(type(node.op), "")
            raise self.ctx.error(f"operator {type(node.op).__name__} is not allowed"
                                 + (f"; {hint}" if hint else ""), node)
        try:
            return self.backend.binop(self.ctx, node, op, a, b)
        except ParseError:
            raise
        except Exception as exc:  # the backend refuses (e.g. SymPy's Mod of a relational)
            raise self.ctx.error(f"cannot apply '{op}' here: {exc}", node) from None

    def _UnaryOp(self, node):
        v = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return self.backend.neg(v)
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.Not):
            return self.backend.not_(self._condition(v, node.operand))
        raise self.ctx.error("operator '~' is not allowed", node)

    def _Compare(self, node):
        parts = []
        left = self.build(node.left)
        for op, comp in zip(node.ops, node.comparators):
            name = _CMPOPS.get(type(op))
            if name is None:
                raise self.ctx.error(f"comparison {type(op).__name__} is not allowed", node)
            right = self.build(comp)
            parts.append(self.backend.compare(name, left, right))
            left = right
        return self.backend.and_(parts) if len(parts) > 1 else parts[0]

    def _BoolOp(self, node):
        values = [self._condition(self.build(v), v) for v in node.values]
        return self.backend.and_(values) if isinstance(node.op, ast.And) \
            else self.backend.or_(values)

    def _condition(self, value, node):
        """`value` if it is a condition (a comparison, true/false), else a ParseError."""
        if self.backend.is_condition(value):
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
            raise self.ctx.error(_UNDERSCORE, node.func)
        if name == "Piecewise":
            return self._piecewise(node)
        if name not in ARITY:
            raise self.ctx.error(f"unknown function '{name}'. Allowed: "
                                 + ", ".join(sorted(ARITY)), node.func)
        lo, hi = ARITY[name]
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in KEYWORDS.get(name, ()):
                raise self.ctx.error(f"keyword argument '{kw.arg or '**'}' is not allowed for "
                                     f"{name}()", kw)
        n = len(node.args)
        if not lo <= n <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise self.ctx.error(f"{name}() takes {want} argument(s), got {n}", node)
        args = [self.build(a) for a in node.args]
        kwargs = {kw.arg: self.build(kw.value) for kw in node.keywords}
        self.backend.check_args(self.ctx, name, args, node.args)
        try:
            return self.backend.call(name, args, kwargs)
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
            return self.backend.piecewise(pairs)
        except Exception as exc:
            raise self.ctx.error(f"invalid Piecewise: {exc}", node) from None

    def _cond(self, node):
        if isinstance(node, ast.Constant) and node.value is True:
            return self.backend.true()
        return self.build(node)

    def _Tuple(self, node):
        raise self.ctx.error("tuples are only allowed as Piecewise((value, condition), ...) "
                             "pairs", node)


# -- the NumPy form -------------------------------------------------------------------------------

#: Functions printed as one NumPy call, named as `dfdx.symbolic.compile` prints them (the
#: helpers ``_erf``... are scipy.special's ufuncs, which have derivative rules).
_NUMPY_CALLS = {
    "sin": "numpy.sin", "cos": "numpy.cos", "tan": "numpy.tan", "asin": "numpy.arcsin",
    "acos": "numpy.arccos", "atan": "numpy.arctan", "arcsin": "numpy.arcsin",
    "arccos": "numpy.arccos", "arctan": "numpy.arctan", "sinh": "numpy.sinh",
    "cosh": "numpy.cosh", "tanh": "numpy.tanh", "asinh": "numpy.arcsinh",
    "acosh": "numpy.arccosh", "atanh": "numpy.arctanh", "arcsinh": "numpy.arcsinh",
    "arccosh": "numpy.arccosh", "arctanh": "numpy.arctanh", "exp": "numpy.exp",
    "log": "numpy.log", "ln": "numpy.log", "sqrt": "numpy.sqrt",
    "erf": "_erf", "erfc": "_erfc", "gamma": "_gamma", "loggamma": "_lgamma",
}
_SPECIAL = {"_erf": "erf", "_erfc": "erfc", "_gamma": "gamma", "_lgamma": "gammaln"}
_VAR = "_v_"


class _NumPySource:
    """The backend that prints NumPy source text; None where it has no one-to-one form.

    Also records what `numpy_source` reports: the variables and whether the
    expression has a kink or a jump (a function of `NONSMOOTH`, ``%``, ``Piecewise``).
    """

    def __init__(self):
        self.names: set = set()
        self.nonsmooth = False

    def number(self, v):
        return repr(v)

    def constant(self, name):
        return {"pi": "numpy.pi", "e": "numpy.e", "E": "numpy.e"}.get(name)

    def symbol(self, name):
        self.names.add(name)
        return _VAR + name        # why: a user's name never meets `numpy` or a helper

    def binop(self, ctx, node, op, a, b):
        if op == "%":
            self.nonsmooth = True
        return None if a is None or b is None or op == "%" else f"({a}){op}({b})"

    def neg(self, v):
        return None if v is None else f"(-({v}))"

    def check_args(self, ctx, name, args, nodes):
        self.nonsmooth |= name in NONSMOOTH

    def call(self, name, args, kwargs):
        fn = _NUMPY_CALLS.get(name)
        if fn is None or kwargs or None in args or len(args) != 1:
            return None
        return f"{fn}({args[0]})"

    def piecewise(self, pairs):
        self.nonsmooth = True

    def is_condition(self, value):
        return True

    def _none(self, *args):
        return None             # conditions: only inside where/Piecewise, which are not smooth

    compare = and_ = or_ = true = not_ = _none


def numpy_source(text: str, variables=()):
    """Read `text` without SymPy: its variables, whether it is smooth, and its NumPy form.

    Args:
        text: the expression.
        variables: names that are variables even where they would be constants.

    Returns:
        ``(names, nonsmooth, expression)``: the sorted variable names as written
        (SymPy may cancel some: ``x - x``), whether a function with kinks or
        jumps appears, and a Python expression for NumPy (None where some part
        has no one-to-one NumPy form), its variables written ``_v_<name>``.

    Raises:
        ParseError: the text breaks a rule of the grammar that needs no value
            (the SymPy reader may refuse more: a power that is too large).

    Example:
        >>> from dfdx._expr import numpy_source
        >>> numpy_source("sin(x)/x")
        (['x'], False, '(numpy.sin(_v_x))/(_v_x)')
    """
    ctx, tree = read(text)
    backend = _NumPySource()
    source = Reader(ctx, backend, variables).build(tree.body)
    return sorted(backend.names), backend.nonsmooth, source


def _renamed(expression, names):
    """The syntax tree of a `numpy_source` expression with its variables renamed ``a0, a1, …``."""
    tree = ast.parse(expression, mode="eval")
    index = {_VAR + n: f"a{i}" for i, n in enumerate(names)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith(_VAR):
            node.id = index[node.id]
    return tree.body


def same_code(expression, names, source) -> bool:
    """Whether a `numpy_source` expression is the code of a `dfdx.symbolic.compile` source.

    Same code means the same values and the same derivatives by AD, bit for bit.
    """
    try:
        fn = ast.parse(source).body[0]
        value = fn.body[-2]
    except (SyntaxError, IndexError, AttributeError):
        return False
    return (len(fn.body) == 2 and isinstance(value, ast.Assign)
            and [a.arg for a in fn.args.args] == [f"a{i}" for i in range(len(names))]
            and ast.dump(value.value) == ast.dump(_renamed(expression, names)))


def _special(name):
    def run(x):
        import scipy.special
        return getattr(scipy.special, name)(x)
    return run


def numpy_function(names, *, expression=None, source=None):
    """Build the NumPy function of `names` (positional) from an expression or a compiled source.

    `expression` is a `numpy_source` expression; `source` the text of
    `dfdx.symbolic.CompiledFunction.source` (printed by dfdx from a checked
    SymPy tree, never user text). The function evaluates as a compiled one does:
    floats in, NumPy floats out, warnings off; a traced value (AD) passes through.
    """
    import numpy as np

    if source is None:
        args = ", ".join(f"a{i}" for i in range(len(names)))
        body = ast.unparse(_renamed(expression, names))
        source = f"def _compiled({args}):\n    return {body}, ()\n"
    namespace = {"numpy": np, "__builtins__": {}, **{k: _special(v) for k, v in _SPECIAL.items()}}
    exec(compile(source, "<dfdx.symbolic.compile>", "exec"), namespace)  # noqa: S102 - see above
    raw = namespace["_compiled"]
    plain = (int, float, complex, np.ndarray, np.generic, list, tuple)

    def fn(*xs):
        if any(hasattr(x, "__array_ufunc__") and not isinstance(x, plain) for x in xs):
            return raw(*xs)[0]
        xs = [np.asarray(x, dtype=float) for x in xs]
        with np.errstate(all="ignore"):
            value = np.asarray(raw(*xs)[0], dtype=float)
        shape = np.broadcast_shapes(*(x.shape for x in xs)) if xs else ()
        value = value if value.shape == shape else np.broadcast_to(value, shape).copy()
        return value[()] if value.ndim == 0 else value

    fn.source = source
    return fn
