"""The layers of DESIGN.md, checked: every module's imports read with `ast` against an allow-list.

Dependencies point down only: the engine core knows no NumPy; numeric, grid and
symbolic never import the engine (they are its independent oracle); the
deep-learning layer, pictures and the command use only the public API.
"""

import ast
import sys
from pathlib import Path

import pytest

import dfdx

ROOT = Path(dfdx.__file__).parent
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

ENGINE = {"dfdx._core", "dfdx._errors"}
ARRAY = ENGINE | {"dfdx._numpy", "numpy"}
ORACLE = {"dfdx.result", "dfdx._errors", "numpy"}
PUBLIC_USER = {"dfdx", "numpy", "scipy", "matplotlib", "sklearn", "tqdm", "threadpoolctl", "dask",
               "distributed"}
# the command's own parts, which it may import besides the public API
COMMAND_PARTS = ("tour", "plot", "cli", "_cli_parse", "_cli_text",
                 # shared low parts the command uses before SymPy is imported
                 "_expr", "_budget")

# the one rules module the others may import (what they share); a rule module never
# imports another (the package root imports them all, dfdx.linalg & co. re-export them)
RULES_SHARED = ("_util",)

# module path prefix (relative to the package) -> allowed import prefixes besides the stdlib
RULES = [
    ("_core/", ENGINE),
    ("_numpy/", ARRAY),
    ("rules/__init__.py", ARRAY | {"dfdx.rules"}),   # the package registers its modules
    ("rules/", ARRAY | {"scipy"} | {"dfdx.rules." + m for m in RULES_SHARED}),   # see below
    ("_errors.py", set()),
    ("result.py", {"numpy", "sympy"}),
    ("_tree.py", set()),
    # the compiler: graphs of NumPy calls and the traced array that records them; no engine
    ("_jit/", {"numpy", "dfdx._jit", "dfdx._errors", "dfdx._tree", "numba"}),   # numba: fuse=True
    ("_transform.py", ARRAY),   # what the transforms share
    ("api.py", ARRAY | {"dfdx._tree", "dfdx._transform", "dfdx._onesided", "dfdx._taylor",
                        "dfdx._sparse", "dfdx._dask"}),
    ("_vmap.py", ARRAY | {"dfdx._tree", "dfdx.rules.batching"}),   # vmap: the batching trace's box
    ("_dask.py", {"numpy", "dask", "dfdx._tree"}),   # Dask values in the transforms (lazy)
    ("_onesided.py", ARRAY | {"dfdx._transform", "dfdx.result"}),
    ("_taylor.py", ARRAY | {"dfdx.api", "scipy"}),   # Taylor mode; nested forward as fallback
    ("_sparse.py", ARRAY | {"dfdx.api", "scipy", "dfdx._colouring"}),   # sparsity, compressed Jacobians
    ("_colouring.py", {"numpy", "scipy"}),   # graph colourings, for AD and finite differences
    ("tape.py", ARRAY | {"dfdx._tree", "dfdx._transform"}),
    ("_expr.py", {"dfdx._errors", "numpy", "scipy"}),   # the grammar, read without SymPy
    ("_budget.py", {"dfdx._errors"}),
    ("numeric/", ORACLE | {"dfdx.numeric", "scipy", "dfdx._colouring", "tqdm"}),   # tqdm: progress
    ("grid.py", ORACLE | {"scipy", "dfdx.numeric"}),   # one stencil solver: numeric's
    ("symbolic/", ORACLE | {"dfdx.symbolic", "sympy", "scipy", "dfdx._expr", "dfdx._budget"}),
    ("analysis.py", ORACLE | {"dfdx.symbolic", "dfdx.numeric", "sympy"}),
    # the checker: the transforms against the numeric oracle, imported from their modules
    # (not from the package root, which imports the checker)
    ("testing.py", {"numpy", "dfdx._errors", "dfdx._tree", "dfdx.api", "dfdx._onesided",
                    "dfdx.numeric"}),
    # SciPy's functions made traceable: the ufuncs' rules re-exported, then distributions
    ("special.py", {"numpy", "scipy", "dfdx.rules"}),
    ("linalg.py", {"dfdx.rules"}),      # SciPy's linalg, signal, integrate: rules re-exported
    ("signal.py", {"dfdx.rules"}),
    ("integrate.py", {"dfdx.rules"}),
    ("stats/", PUBLIC_USER | {"dfdx.stats"}),
    ("nn/", PUBLIC_USER | {"dfdx.nn"}),
    ("optim/", PUBLIC_USER | {"dfdx.optim"}),
    ("explain/", PUBLIC_USER | {"dfdx.explain"}),
    ("plot.py", PUBLIC_USER),
    ("cli.py", PUBLIC_USER | {"dfdx.tour", "dfdx.plot", "dfdx._cli_parse", "dfdx._cli_text",
                              "dfdx._expr", "dfdx._budget"}),
    ("_cli_text.py", PUBLIC_USER | {"dfdx._cli_parse"}),   # the one renderer of the records
    ("_cli_parse.py", PUBLIC_USER),   # the command's arguments (the parser, built once)
    ("tour.py", PUBLIC_USER | {"dfdx.plot"}),
    ("__main__.py", {"dfdx.cli"}),
    ("__init__.py", None),   # the package root wires everything together
]

# Layers that may only use names in dfdx.__all__ when they import from dfdx itself.
PUBLIC_ONLY = ("stats/", "nn/", "optim/", "explain/", "plot.py", "cli.py", "_cli_parse.py",
               "_cli_text.py", "tour.py")


def _modules():
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _rule_for(rel):
    for prefix, allowed in RULES:
        if rel == prefix or (prefix.endswith("/") and rel.startswith(prefix)):
            return prefix, allowed
    return None, None


def _imports(path):
    """(module, names) for every import, with relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg = ".".join(("dfdx",) + path.relative_to(ROOT).parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, ()
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([mod] if mod else []))
            yield mod, tuple(a.name for a in node.names)


def _allowed(mod, allowed):
    top = mod.split(".")[0]
    if top in STDLIB and top != "dfdx":
        return True
    return any(mod == a or mod.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path):
    rel = path.relative_to(ROOT).as_posix()
    prefix, allowed = _rule_for(rel)
    if rel == "__init__.py" or (prefix == "__init__.py" and "/" not in rel):
        return
    assert prefix is not None, f"{rel} is in no layer of DESIGN.md; add it to tests/test_layers.py"
    bad = [m for m, _ in _imports(path) if not _allowed(m, allowed)]
    assert not bad, f"{rel} imports {bad}, outside its layer ({sorted(allowed)})"


@pytest.mark.parametrize("path", [p for p in _modules()
                                  if p.relative_to(ROOT).as_posix().startswith(PUBLIC_ONLY)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_public_layers_use_only_the_public_api(path):
    rel = path.relative_to(ROOT).as_posix()
    own = "dfdx." + rel.split("/")[0].removesuffix(".py")
    for mod, names in _imports(path):
        if mod == "dfdx":
            private = [n for n in names if n not in dfdx.__all__ and n not in COMMAND_PARTS]
            assert not private, f"{rel} imports {private} from dfdx, which are not in dfdx.__all__"
        elif mod.startswith("dfdx.") and not mod.startswith(own):
            sub = mod.split(".")[1]
            assert sub in dfdx.__all__ or sub in COMMAND_PARTS, \
                f"{rel} imports {mod}, which is not public (dfdx.__all__)"


@pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.py")),
                         ids=lambda p: p.name)
def test_rules_share_helpers_only_through_util(path):
    # DESIGN: rules import _core, _numpy and numpy/scipy. What they share lives in
    # rules/_util.py; a rule module imports no other (a NumPy function dispatches to it).
    if path.name == "__init__.py":
        return
    shared = {"dfdx.rules." + m for m in RULES_SHARED}
    for mod, names in _imports(path):
        if mod == "dfdx.rules":
            names = [n for n in names if "dfdx.rules." + n not in shared]
            assert not names, f"rules/{path.name} imports {names} from the package dfdx.rules"
        elif mod.startswith("dfdx.rules."):
            assert mod in shared, (f"rules/{path.name} imports the rule module {mod}; call the "
                                   "NumPy function instead (it dispatches to that module's "
                                   "primitive), or move what both need to dfdx/rules/_util.py")
        else:
            assert mod.split(".")[0] in STDLIB | {"numpy", "scipy"} or \
                mod in ("dfdx._core", "dfdx._errors") or mod.startswith("dfdx._numpy"), \
                f"rules/{path.name} imports {mod}, outside DESIGN's rule for rules"


def test_core_knows_no_numpy():
    for path in (ROOT / "_core").rglob("*.py"):
        mods = [m for m, _ in _imports(path)]
        assert not any(m.split(".")[0] in ("numpy", "scipy", "sympy") for m in mods), path


def test_import_dfdx_does_not_import_sympy_or_matplotlib():
    import subprocess

    code = ("import sys, dfdx; dfdx.grad(lambda x: x * x)(1.0); "
            "print(sorted(m for m in ('sympy', 'matplotlib', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
