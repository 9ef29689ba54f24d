"""Put a suite's results into README.md between its markers ``<!-- bench:NAME:start/end -->``."""

from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")


def markers(name: str) -> tuple[str, str]:
    """The pair of README markers for suite `name` (ad, numeric, symbolic, train)."""
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def splice(name: str, text: str, readme: str | None = None) -> bool:
    """Replace what stands between suite `name`'s markers; False if the file or a marker is missing."""
    readme = readme or README
    try:
        with open(readme, encoding="utf-8") as fh:
            old = fh.read()
    except OSError:
        return False
    start, end = markers(name)
    i, j = old.find(start), old.find(end)
    if i < 0 or j < i:
        return False
    new = old[:i + len(start)] + "\n" + text.rstrip("\n") + "\n" + old[j:]
    if new != old:
        with open(readme, "w", encoding="utf-8") as fh:
            fh.write(new)
    return True


def tables(results_path: str, limit: int | None = None) -> str:
    """The markdown tables of a RESULTS file (each with the sentence just before it)."""
    with open(results_path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    out, k = [], 0
    for i, line in enumerate(lines):
        if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
            k += 1
            if limit is not None and k > limit:
                break
            lead = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            if lead and not lead.startswith(("|", "#")):
                out += ["", lead, ""]
        if line.startswith("|") and (limit is None or k <= limit):
            out.append(line)
    rel = os.path.relpath(results_path, ROOT)
    return "\n".join(out).strip() + f"\n\nFull results: [`{rel}`]({rel}).\n"
