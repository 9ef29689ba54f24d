"""Generate docs/api.md, the API reference, from the docstrings of dfdx's public names.

Run ``python docs/gen_api.py`` after changing a public docstring or signature;
``tests/test_docs.py`` fails while docs/api.md is out of date.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The modules documented, in order: (module, one line on what it is for).
MODULES = [
    ("dfdx", "automatic differentiation, limits and continuity, results and errors"),
    ("dfdx.numeric", "finite differences and limits on black-box functions, with error estimates"),
    ("dfdx.grid", "derivatives of sampled data"),
    ("dfdx.symbolic", "exact calculus with SymPy: the safe parser, tracing, derivatives, limits"),
    ("dfdx.special", "scipy.special for traced code: SciPy's ufuncs with rules, and traceable "
                     "logsumexp, softmax, log_softmax, polygamma, multigammaln"),
    ("dfdx.stats", "scipy.stats distributions for traced code"),
    ("dfdx.linalg", "scipy.linalg for traced code: matrix functions, solves, factorizations"),
    ("dfdx.signal", "scipy.signal for traced code: convolve, correlate"),
    ("dfdx.integrate", "scipy.integrate for traced code: trapezoid"),
    ("dfdx.nn", "neural networks as functions of parameter pytrees"),
    ("dfdx.optim", "optimizers: first order, Newton and quasi-Newton, natural gradient"),
    ("dfdx.explain", "attributions, sensitivity and uncertainty"),
    ("dfdx.plot", "pictures (needs the `plot` extra: matplotlib)"),
    ("dfdx.tour", "the tour behind `dfdx tour` and `make demo`"),
    ("dfdx.cli", "the `dfdx` command"),
]
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _signature(obj) -> str:
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"
    return _ADDRESS.sub("", sig)


def _doc(obj) -> list[str]:
    """The docstring as Markdown: the summary as text, the rest as a text block."""
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return ["*(no docstring)*", ""]
    summary, _, rest = doc.partition("\n\n")
    lines = [" ".join(summary.split()), ""]
    if rest.strip():
        lines += ["```text", rest.rstrip(), "```", ""]
    return lines


def _methods(cls):
    for name, member in vars(cls).items():
        if name.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property)):
            continue
        if not inspect.getdoc(member):
            continue
        yield name, member


def _entry(qualname: str, obj) -> list[str]:
    if inspect.ismodule(obj):
        return []
    if inspect.isclass(obj):
        lines = [f"### class `{qualname}{_signature(obj)}`", ""] + _doc(obj)
        for name, member in _methods(obj):
            if isinstance(member, property):
                lines += [f"#### property `{qualname}.{name}`", ""] + _doc(member)
            else:
                sig = _signature(member).replace("(self, ", "(").replace("(self)", "()")
                lines += [f"#### `{qualname}.{name}{sig}`", ""] + _doc(member)
        return lines
    if type(obj).__name__ == "ufunc":   # SciPy's own, re-exported: its rule is in dfdx.rules
        return [f"### `{qualname}` (ufunc `scipy.special.{obj.__name__}`)", ""]
    if callable(obj):
        return [f"### `{qualname}{_signature(obj)}`", ""] + _doc(obj)
    text = _ADDRESS.sub("", repr(obj))
    if len(text) > 300:
        text = text[:297] + "..."
    return [f"### `{qualname}` (constant)", "", "```text", text, "```", ""]


def render() -> str:
    """Return the text of docs/api.md."""
    import dfdx

    out = ["# API reference", "",
           "Generated from the docstrings by `python docs/gen_api.py`; do not edit by hand. "
           "The user guide starts at [index.md](index.md).", ""]
    out += ["Modules:", ""]
    for modname, what in MODULES:
        anchor = modname.replace(".", "")
        out.append(f"- [`{modname}`](#{anchor}): {what}")
    out.append("")
    for modname, what in MODULES:
        try:
            mod = importlib.import_module(modname)
        except ImportError as exc:  # pragma: no cover - a module not written yet
            out += [f"## {modname}", "", f"*(not importable: {exc})*", ""]
            continue
        out += [f"## {modname}", "", f"*{what}*", ""]
        doc = inspect.getdoc(mod) or ""
        if doc:
            out += [" ".join(doc.partition("\n\n")[0].split()), ""]
        names = list(getattr(mod, "__all__", []))
        if mod is dfdx:
            names = [n for n in names if not inspect.ismodule(getattr(dfdx, n, None))
                     and n not in {m.split(".")[-1] for m, _ in MODULES}]
        for name in names:
            obj = getattr(mod, name, None)
            if obj is None:
                continue
            out += _entry(f"{modname}.{name}", obj)
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    target = ROOT / "docs" / "api.md"
    text = render()
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
