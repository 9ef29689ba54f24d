"""Compiling SymPy expressions into fast NumPy functions (value and gradient).

The value and every partial derivative are generated together, with SymPy's
common-subexpression elimination run over all of them at once, so work shared
between the value and its gradient (an ``exp(x*y)``, a hidden layer) is done
once per call. The generated source is printed by SymPy's NumPy printer from
a checked expression tree: the variables are renamed to safe names first and
only known functions are allowed, so no user text ever reaches the code.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter

from dfdx._errors import TracerConversionError
from dfdx.symbolic._calculus import _sorted_symbols, _variable, as_expr

__all__ = ["compile", "as_function", "CompiledFunction"]


def _is_traced(a):
    return not isinstance(a, (int, float, complex, np.ndarray, np.generic, list, tuple)) and \
        hasattr(a, "__array_ufunc__")


def _scipy_special(name):
    """Return ``scipy.special.<name>``, imported on first call (a ufunc that AD differentiates)."""
    def run(x):
        import scipy.special
        return getattr(scipy.special, name)(x)
    run.__name__ = name
    return run


# Functions NumPy lacks: the printer calls these helpers by name (see _Printer). why:
# scipy.special's ufuncs have derivative rules in dfdx.rules, so compiled expressions stay
# traceable by AD (issue 17); SciPy is a hard dependency, imported on the first call only.
_MATH = {"_erf": _scipy_special("erf"), "_erfc": _scipy_special("erfc"),
         "_gamma": _scipy_special("gamma"), "_lgamma": _scipy_special("gammaln")}


class _Printer(NumPyPrinter):
    """SymPy's NumPy printer, changed so that AD can trace what it prints.

    Every function it prints is a NumPy function with a derivative rule, or a
    `_MATH` helper (which refuses a traced value with a clear error): Piecewise
    becomes nested ``numpy.where`` (SymPy prints ``numpy.select``, which has no
    rule), Max/Min/And/Or nest binary ufuncs (which broadcast, unlike ``.reduce``
    of a tuple), and coth/sech/csch are the reciprocals of tanh/cosh/sinh
    (SymPy's exp form overflows to nan for large x).
    """

    def _call(self, fn, *args):
        return f"{fn}({', '.join(self._print(a) for a in args)})"

    def _nest(self, fn, args):
        out = self._print(args[-1])
        for a in reversed(args[:-1]):
            out = f"{fn}({self._print(a)}, {out})"
        return out

    def _print_Piecewise(self, expr):
        out = "numpy.nan"       # where no condition holds, as SymPy's own printer does
        for value, cond in reversed(expr.args):
            out = self._print(value) if cond == sympy.true else \
                f"numpy.where({self._print(cond)}, {self._print(value)}, {out})"
        return out

    def _print_ComplexInfinity(self, expr):
        # why: SymPy's printer has no NumPy name for zoo (1/0); it is not a real number
        return "numpy.nan"

    def _print_NaN(self, expr):
        return "numpy.nan"

    def _print_Max(self, expr):
        return self._nest("numpy.maximum", expr.args)

    def _print_Min(self, expr):
        return self._nest("numpy.minimum", expr.args)

    def _print_And(self, expr):
        return self._nest("numpy.logical_and", expr.args)

    def _print_Or(self, expr):
        return self._nest("numpy.logical_or", expr.args)

    def _print_coth(self, expr):
        return f"(1/{self._call('numpy.tanh', *expr.args)})"

    def _print_sech(self, expr):
        return f"(1/{self._call('numpy.cosh', *expr.args)})"

    def _print_csch(self, expr):
        return f"(1/{self._call('numpy.sinh', *expr.args)})"

    def _print_erf(self, expr):
        return self._call("_erf", *expr.args)

    def _print_erfc(self, expr):
        return self._call("_erfc", *expr.args)

    def _print_gamma(self, expr):
        return self._call("_gamma", *expr.args)

    def _print_loggamma(self, expr):
        return self._call("_lgamma", *expr.args)

    def _print_Heaviside(self, expr):
        h0 = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
        return self._call("numpy.heaviside", expr.args[0], h0)

    def _print_DiracDelta(self, expr):
        # why: the derivative of a step is zero almost everywhere; a point mass has no
        # NumPy value, so the gradient follows the usual "0 at the kink" convention.
        return self._call("numpy.zeros_like", expr.args[0])

    def _print_Abs(self, expr):
        return self._call("numpy.abs", *expr.args)

    def _print_sign(self, expr):
        return self._call("numpy.sign", *expr.args)


# Functions whose printed form is known to be NumPy (or the helpers above).
_ALLOWED_FUNCS = {
    sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc, sympy.asin, sympy.acos,
    sympy.atan, sympy.acot, sympy.asec, sympy.acsc, sympy.atan2, sympy.sinh, sympy.cosh,
    sympy.tanh, sympy.coth, sympy.sech, sympy.csch, sympy.asinh, sympy.acosh, sympy.atanh,
    sympy.exp, sympy.log, sympy.Abs, sympy.sign, sympy.floor, sympy.ceiling, sympy.Max, sympy.Min,
    sympy.Piecewise, sympy.Heaviside, sympy.erf, sympy.erfc, sympy.gamma, sympy.loggamma,
    sympy.Mod, sympy.DiracDelta, sympy.re, sympy.im,
}


def _check_functions(expr):
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.core.function.AppliedUndef):
            raise ValueError(f"compile cannot turn the undefined function {node.func} into NumPy; "
                             "replace it by a formula")
        if isinstance(node, sympy.Function) and type(node) not in _ALLOWED_FUNCS \
                and node.func not in _ALLOWED_FUNCS:
            raise ValueError(f"compile has no NumPy form for {node.func.__name__}; rewrite it "
                             "(e.g. with .rewrite(sympy.exp)) before compiling")


def _partials(e, variables):
    # why: floor, ceiling and Mod are piecewise constant (or linear); SymPy leaves their
    # derivatives unevaluated, while the derivative almost everywhere is known.
    e = e.replace(sympy.Mod, lambda a, b: a - b * sympy.floor(a / b))
    out = []
    for v in variables:
        d = sympy.diff(e, v).replace(
            lambda n: isinstance(n, sympy.Derivative)
            and isinstance(n.expr, (sympy.floor, sympy.ceiling)),
            lambda n: sympy.Integer(0))
        d = d.replace(lambda n: isinstance(n, sympy.Subs), lambda n: n.doit())
        if d.has(sympy.Derivative):
            raise ValueError(f"SymPy left the derivative of {e} with respect to {v} unevaluated "
                             f"({d}); compile it without gradient=True, or rewrite it")
        out.append(d)
    return out


class CompiledFunction:
    """A NumPy function made from a SymPy expression (see `compile`).

    Calling it with arrays evaluates elementwise with broadcasting. With
    ``gradient=True`` it returns ``(value, grad)`` where ``grad`` has shape
    ``(n_vars, *broadcast_shape)``.

    Attributes:
        expr: the expression.
        variables: the symbols, in argument order.
        gradient: whether the gradient is returned too.
        source: the generated Python source (for reading, not for editing).

    Example:
        AD differentiates a compiled function, a Piecewise included:

        >>> import dfdx
        >>> from dfdx.symbolic import compile
        >>> f = compile("where(x > 0, x**2*sin(x), -x)", ["x"])
        >>> float(dfdx.grad(f)(1.0)), float(dfdx.grad(f)(-1.0))
        (2.223244275483933, -1.0)
    """

    def __init__(self, expr, variables, gradient, fn, source):
        self.expr = expr
        self.variables = tuple(variables)
        self.gradient = gradient
        self._fn = fn
        self.source = source

    def __call__(self, *args):
        if len(args) != len(self.variables):
            raise TypeError(f"this compiled function takes {len(self.variables)} argument(s) "
                            f"({', '.join(map(str, self.variables))}), got {len(args)}")
        if any(_is_traced(a) for a in args):
            # A value being differentiated (an AD tracer, or any array-like with
            # NumPy's protocols): run the generated NumPy code on it as it is, so the
            # compiled function can itself be differentiated by dfdx.grad & co.
            value, grads = self._fn(*args)
            return (value, np.stack(grads)) if self.gradient else value
        args = [np.asarray(a, dtype=float) for a in args]
        with np.errstate(all="ignore"):
            value, grads = self._fn(*args)
        shape = np.broadcast_shapes(*(a.shape for a in args)) if args else ()
        value = np.asarray(value, dtype=float)
        if value.shape != shape:  # a constant, or an expression free of some argument
            value = np.broadcast_to(value, shape).copy()
        if value.ndim == 0:
            value = value[()]
        if not self.gradient:
            return value
        g = np.empty((len(grads),) + shape, dtype=float)
        for i, gi in enumerate(grads):
            g[i] = gi
        return value, g

    def __repr__(self):
        return (f"CompiledFunction({self.expr}, variables={self.variables}, "
                f"gradient={self.gradient})")


def compile(expr, wrt=None, *, gradient: bool = False) -> CompiledFunction:  # noqa: A001
    """Compile an expression into a fast NumPy function, optionally with its gradient.

    The value and the partial derivatives are generated in one function, and
    their common subexpressions are computed once (``sympy.cse`` over all of
    them together).

    Args:
        expr: a SymPy expression, a string, or a callable (traced).
        wrt: the variables, in argument order (names or symbols). Default:
            the callable's parameters, or the free symbols sorted by name.
        gradient: also return the gradient with respect to `wrt`.

    Returns:
        A `CompiledFunction`: ``fn(*arrays) -> value`` or ``(value, grad)``
        with ``grad.shape == (len(wrt), *broadcast_shape)``.

    Example:
        >>> import numpy as np
        >>> from dfdx.symbolic import compile
        >>> fn = compile("x**2 + 3*y + exp(x*y)", gradient=True)
        >>> value, grad = fn(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
        >>> value
        array([ 4.        , 14.3890561])
        >>> grad[1]
        array([ 3.       , 10.3890561])
    """
    e, symbols = as_expr(expr)
    if isinstance(e, sympy.MatrixBase):
        raise ValueError("compile needs a scalar expression; compile each entry of a Matrix")
    e = sympy.sympify(e)
    variables = _arguments(e, symbols, wrt)
    _check_functions(e)
    outputs = [e] + (_partials(e, variables) if gradient else [])
    # why: rename symbols so that no user-chosen name reaches the generated source
    safe = [sympy.Symbol(f"a{i}", real=True) for i in range(len(variables))]
    source = _source([o.xreplace(dict(zip(variables, safe))) for o in outputs], safe)
    namespace: dict[str, Any] = {"numpy": np, **_MATH, "__builtins__": {}}
    # The source is printed from a checked SymPy tree with renamed symbols (see above),
    # never from user text.
    exec(builtins.compile(source, "<dfdx.symbolic.compile>", "exec"), namespace)  # noqa: S102
    return CompiledFunction(e, variables, gradient, namespace["_compiled"], source)


def _arguments(e, symbols, wrt):
    """The compiled function's variables, in argument order; every free symbol among them."""
    if wrt is None:
        variables = list(symbols) if symbols else list(_sorted_symbols(e))
    else:
        if isinstance(wrt, (str, sympy.Symbol)):
            wrt = [wrt]
        variables = [_variable(e, symbols, w) for w in wrt]
    missing = e.free_symbols - set(variables)
    if missing:
        raise ValueError(f"the expression has free symbols {sorted(map(str, missing))} that are "
                         "not arguments; list every variable in wrt")
    return variables


def _source(outputs, safe):
    """Python source of ``_compiled(a0, a1, ...)``: the common subexpressions once, then
    ``return value, (partials...)``."""
    subexprs, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("c"))
    printer = _Printer({"fully_qualified_modules": True, "inline": True,
                        "allow_unknown_functions": False})
    lines = [f"def _compiled({', '.join(s.name for s in safe)}):"]
    for sym, sub in subexprs:
        lines.append(f"    {sym.name} = {printer.doprint(sub)}")
    lines.append(f"    _value = {printer.doprint(reduced[0])}")
    grads = [printer.doprint(r) for r in reduced[1:]]
    lines.append(f"    return _value, ({', '.join(grads)}{',' if len(grads) == 1 else ''})")
    return "\n".join(lines) + "\n"



def as_function(f, variables=None, *, nvars=None, long_double: bool = False):
    """Return `f` as a NumPy function of positional arguments: the one converter.

    A callable is returned as it is; an expression string or a SymPy expression
    is compiled (`compile`), so AD can trace the function and the numeric
    routes evaluate the same code. The command, the plots and the front
    (`dfdx.limit`, `dfdx.continuity`) all turn expressions into functions here.

    Args:
        f: a callable, an expression string or a SymPy expression.
        variables: the argument names, in order. Default: the expression's own
            variables sorted by name, then (with `nvars`) unused names from
            ``x, y, z, u, v, w`` to make `nvars` arguments.
        nvars: how many arguments the function takes when `variables` is None;
            an expression with more variables is refused (ValueError).
        long_double: a function of one argument that answers long-double input
            in long double (``dfdx.numeric.limit`` measures rounding that way);
            the compiled code computes in float64 only.

    Raises:
        TypeError: `f` is none of the three.
        ValueError: the expression has more variables than `nvars`.

    Example:
        >>> from dfdx.symbolic import as_function
        >>> float(as_function("x*y + 1")(2.0, 3.0))
        7.0
        >>> float(as_function("3", nvars=1)(0.5))
        3.0
    """
    if callable(f) and not isinstance(f, str) and not _is_sympy(f):
        return f
    if not isinstance(f, (str, sympy.Basic)):
        raise TypeError(f"expected a NumPy function, an expression string or a SymPy expression, "
                        f"got {type(f).__name__}")
    expr, _ = as_expr(f)
    names = list(variables) if variables is not None else _own_names(expr, nvars, f)
    fn = compile(expr, names)
    return _with_long_double(fn, expr, names) if long_double else fn


def _own_names(expr, nvars, text):
    """The expression's variables sorted by name, padded with unused x, y, … to `nvars`."""
    names = sorted(s.name for s in getattr(expr, "free_symbols", ()))
    if nvars is None:
        return names
    if len(names) > nvars:
        many = "several" if nvars == 1 else str(len(names))
        raise ValueError(f"{str(text)!r} has {many} variables ({', '.join(names)}); a function "
                         f"of {'one variable' if nvars == 1 else f'{nvars} variables'} is "
                         "needed here")
    while len(names) < nvars:
        names.append(next(n for n in "xyzuvw" if n not in names))
    return sorted(names)


def _with_long_double(fn, expr, names):
    """`fn`, which also answers long-double input in long double.

    why: dfdx.numeric.limit measures how much of each sample is rounding by evaluating f
    in long double too; the compiled function computes in float64 only, so the same
    expression, lambdified, answers that call (anything it cannot do falls back to fn).
    """
    try:
        ld = sympy.lambdify([sympy.Symbol(n) if isinstance(n, str) else n for n in names],
                            expr, modules="numpy")
    except Exception:  # noqa: BLE001 - no second opinion then
        return fn

    def f(*args):
        if len(args) == 1 and getattr(args[0], "dtype", None) == np.longdouble:
            try:
                with np.errstate(all="ignore"):
                    y = ld(*args)
                if getattr(y, "dtype", None) == np.longdouble:
                    return y
            except Exception:  # noqa: BLE001 - the float64 route still answers
                pass
        return fn(*args)

    return f


def _is_sympy(f):
    return (type(f).__module__ or "").startswith("sympy")
