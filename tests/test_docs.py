"""Every ```python block in README.md and docs/*.md runs, and docs/api.md is up to date."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.S | re.M)
DOC_FILES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))

# An example that uses an optional extra is skipped when the extra is missing.
EXTRAS = {"matplotlib": re.compile(r"\bplot\b"),
          "sklearn": re.compile(r"train_digits|load_digits"),
          "distributed": re.compile(r"\bdask\b|\bdistributed\b")}


def _blocks(path):
    text = path.read_text(encoding="utf-8")
    for m in BLOCK.finditer(text):
        yield text.count("\n", 0, m.start()) + 2, m.group(1)


def _missing_extras(code):
    return [mod for mod, pattern in EXTRAS.items()
            if pattern.search(code) and importlib.util.find_spec(mod) is None]


def test_the_docs_have_code_blocks():
    counts = {p.name: len(list(_blocks(p))) for p in DOC_FILES}
    assert counts["README.md"] >= 6, counts
    assert sum(counts.values()) >= 20, counts


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_code_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # examples that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    ran = 0
    for line, code in _blocks(path):
        if _missing_extras(code):
            continue
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"the code block at {path.name} line {line} raised "
                        f"{type(exc).__name__}: {exc}\n\n{code}")
        ran += 1
    if ran == 0 and list(_blocks(path)):
        pytest.skip(f"every block of {path.name} needs an optional extra")


def test_api_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    gen_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_api)
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == gen_api.render(), (
        "docs/api.md is out of date with the docstrings; regenerate it with "
        "`python docs/gen_api.py`")
