"""The one renderer of the `dfdx` command: any command's record as text or as JSON.

A command (`dfdx.cli`) returns a record that holds values, never text: its
public keys are the JSON object, in order; ``_status`` is the exit status;
other ``_`` keys are values that only the text shows. `render` turns a record
into what the command prints, and ``_TEXT[command]`` writes a command's lines
from its record alone. Imported once NumPy is (`dfdx.cli._load`).
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np

from dfdx._cli_parse import WIDTH
from dfdx.result import format_number

__all__ = ["render", "json_text", "fmt_exact", "point_text", "side_text", "LABEL"]


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _order_name(k):
    return {1: "first", 2: "second", 3: "third"}.get(k, f"order-{k}")


LABEL = {"exact": "exact", "ad": "AD", "numeric": "numeric"}


def _verdict(rec):
    answered, pairs = rec["answered"], rec["pairs"]
    if len(answered) < 2:
        return "only one method answered" if answered else "no method answered"
    if rec["agree"] is False:
        bad = [k for k, v in pairs.items() if v is False]
        return ("THE METHODS DISAGREE (" + ", ".join(
            " vs ".join(LABEL[m] for m in k.split("-")) for k in bad) + "; is f differentiable "
            "here? at a kink or a jump the one-sided derivatives differ)")
    if all(v is True for v in pairs.values()):
        return "the three methods agree" if len(answered) == 3 else \
            f"{' and '.join(LABEL[m] for m in answered)} agree"
    if rec["agree"]:
        return ("exact and AD agree; the numeric estimate is uncertain here (its error bar is "
                "too wide to confirm or refute them)")
    return "cannot tell whether the methods agree: the numeric estimate is uncertain here"


def fmt_exact(e):
    """An exact (SymPy) value as text: a gradient as ``(a, b)``, a matrix as ``[a, b; c, d]``.

    Floats are written by `format_number` (the one number formatter, `dfdx.result`).
    """
    if e is None:
        return "-"
    if hasattr(e, "tolist"):
        rows = e.tolist()
        if len(rows) and all(len(r) == 1 for r in rows):
            return "(" + ", ".join(str(r[0]) for r in rows) + ")"
        return "[" + "; ".join(", ".join(str(v) for v in r) for r in rows) + "]"
    text = str(e)
    return text if len(text) <= 2 * WIDTH else text[:2 * WIDTH - 30] + f"… ({len(text)} chars)"


def _plain_number(e):
    """Whether an exact value already reads as its float (an integer)."""
    return getattr(e, "is_Integer", False)


def _jsonable(v):
    """Turn results into JSON: floats (inf/nan as strings), lists, exact values as strings."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if np is not None and isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, int) or (np is not None and isinstance(v, np.integer)):
        return int(v)
    if isinstance(v, float) or (np is not None and isinstance(v, np.floating)):
        x = float(v)
        return x if math.isfinite(x) else str(x)
    if np is not None and isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    from dfdx.result import Estimate
    if isinstance(v, Estimate):
        return {"value": _jsonable(np.asarray(v.value, dtype=float)),
                "error": _jsonable(np.asarray(v.error, dtype=float)), "nfev": v.nfev,
                "method": v.method}
    if hasattr(v, "tolist") and hasattr(v, "shape"):   # a SymPy Matrix
        return _jsonable([[str(x) for x in row] for row in v.tolist()])
    return str(v)


def _methods_rows(rec, indent="  "):
    """Lines showing the exact, AD and numeric values of one record."""
    if rec["exact"] is None and rec["exact_float"] is not None:
        lines = [f"{indent}exact      (too large to write out) = {format_number(rec['exact_float'])}"]
    elif rec["exact"] is None:
        lines = [f"{indent}exact      " + (f"not available ({rec['exact_failed']})"
                                           if rec["exact_failed"] else "-")]
    else:
        lines = [f"{indent}exact      {fmt_exact(rec['exact'])}"]
        if rec["exact_float"] is None:
            lines[-1] += "  (not a finite real number)"
        elif not _plain_number(rec["exact"]):
            lines[-1] += f"  = {format_number(rec['exact_float'])}"
    if rec["ad"] is not None:
        diff = "" if rec["ad_vs_exact"] is None else f"|AD - exact| = {rec['ad_vs_exact']:.3g}"
        lines.append(f"{indent}AD         {format_number(rec['ad']):<22} {diff}".rstrip())
    else:
        lines.append(f"{indent}AD         not available ({rec['ad_failed']})")
    if rec["numeric"] is not None:
        est = rec["numeric"]
        err = np.max(np.asarray(est.error, dtype=float))
        diff = rec["numeric_vs_exact"] if rec["numeric_vs_exact"] is not None \
            else rec["ad_vs_numeric"]
        vs = "exact" if rec["numeric_vs_exact"] is not None else "AD"
        tail = "" if diff is None else f"; |numeric - {vs}| = {diff:.3g}"
        lines.append(f"{indent}numeric    {format_number(est.value)} ± {err:.2g} "
                     f"({est.nfev} evaluations{tail})")
    else:
        lines.append(f"{indent}numeric    not available ({rec['numeric_failed']})")
    return lines


def point_text(point):
    return ", ".join(f"{k} = {v}" for k, v in point.items())


def _fit(lines):
    """Wrap every line to `WIDTH` columns, continuation lines indented under the first."""
    out = []
    for line in lines:
        if len(line) <= WIDTH:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip())
        out += textwrap.wrap(line, WIDTH, subsequent_indent=" " * (lead + 4),
                             break_long_words=True, break_on_hyphens=False) or [""]
    return out


def _sides(res):
    return _sides_text(res.left, res.right)


def _sides_text(left, right):
    if left is None and right is None:
        return ""
    return f"from the left {format_number(left)}, from the right {format_number(right)}"


def _route_lines(verify, describe):
    """The text of the second route (``verify=True``): its answer and the verdict."""
    if not verify:
        return []
    other = verify["numeric"] if verify.get("exact") is not None else None
    if other is None:
        return [f"  (only one route answered: {verify.get('detail', '')})"]
    verdict = {True: "the exact and numeric routes agree", None: "the numeric route is undecided",
               False: "THE EXACT AND NUMERIC ROUTES DISAGREE"}[verify["agree"]]
    return [f"  numeric route: {describe(other)} - {verdict}"]


def _describe_limit(r):
    if r.exists and r.value is not None:
        err = "" if r.error is None or math.isnan(r.error) else f" ± {r.error:.1g}"
        return f"{format_number(r.value)}{err}"
    what = "does not exist" if r.exists is False else "undecided"
    return f"{what}" + (f" ({_sides(r)})" if _sides(r) else "")


def _text_limit(r):
    arrow = {"+-": "", "+": "+", "-": "-"}[r["dir"]]
    lines = [f"lim {r['expr']} as {r['_var']} → {r['at']}{arrow}"]
    sides = _sides_text(r["left"], r["right"])
    if r["exists"] and r["value"] is not None:
        exact = "" if r["exact"] is None else f"{r['exact']}  = "
        lines.append(f"  = {exact}{format_number(r['value'])}   (method: {r['method']}, "
                     f"error {r['error']:.2g})")
        if r["dir"] == "+-" and sides:
            lines.append(f"  {sides}")
    else:
        what = "the limit does not exist" if r["exists"] is False else "undecided"
        lines.append(f"  {what}{f': {sides}' if sides else ''}   (method: {r['method']})")
    if r["message"]:
        lines.append(f"  {r['message']}")
    return lines + _route_lines(r["_verify"], _describe_limit)


def _text_continuity(r):
    verdict = {True: "continuous", False: "not continuous", None: "undecided"}[r["continuous"]]
    lines = [f"{r['expr']} at {r['_var']} = {r['at']}: {verdict} (kind: {r['kind']}, method: "
             f"{r['method']})",
             f"  f({r['at']}) = {format_number(r['value']) if r['defined'] else 'undefined'}"]
    if _sides_text(r["left"], r["right"]):
        lines.append(f"  limit {_sides_text(r['left'], r['right'])}")
    if r["message"]:
        lines.append(f"  {r['message']}")
    return lines + _route_lines(r["_verify"], lambda other: f"{other.kind}")


def side_text(rec):
    v = rec["value"]
    if v is None:
        return f"undefined ({rec['why']})"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if rec["method"] == "exact" and rec["exact_text"] is not None and \
            not rec["exact_text"].lstrip("-").isdigit():
        return f"{rec['exact_text']} = {format_number(v)}"
    return _sympy_int(v) if rec["method"] == "exact" else f"{format_number(v)} ± {rec['error']:.2g}"


def _sympy_int(v):
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else format_number(v)


def _text_diff(r):
    n, var, exact = r["n"], r["wrt"], r["_exact"]
    order = "" if n == 1 else str(n).translate(_SUPERSCRIPT)
    lines = [f"f({', '.join(r['_names'])}) = {r['expr']}",
             f"d{order}/d{var}{order} f = " + (fmt_exact(exact) if exact is not None
                                              else f"(exact route: {r['_exact_failed']})")]
    case = r["_case"]
    if case == "formula":
        return lines
    where = point_text(r["at"])
    if case == "side":
        return lines + _text_one_side(r["_side_rec"], r["side"], where)
    rec = r["_rec"]
    lines += [f"at {where}:"] + _methods_rows(rec)
    sides = r.get("_sides")
    both = sides and f"left {side_text(sides['-'])}, right {side_text(sides['+'])}"
    if case == "jump":
        return lines + [f"not differentiable {n} times at {where}: the "
                        f"{_order_name(r['jump']['order'])} derivative jumps there ({both})"]
    if case == "one-sided":
        what = ("not differentiable" + (f" {n} times" if n > 1 else "")
                if r["differentiable"] is False else "undecided")
        return lines + [f"  one-sided  {both}", f"{what} at {where}: {both}"]
    if case == "one-sided-agree":
        return lines + [f"value: {format_number(r['value'])} (one-sided derivatives agree: "
                        f"{both})"]
    return lines + [_value_line(r, rec, _verdict(rec))]


def _text_one_side(rec, side, where):
    word = "right" if side == "+" else "left"
    num = rec["numeric"]
    lines = [f"{word} derivative at {where}:",
             "  exact      " + (rec["exact_text"] if rec["exact_text"] is not None
                                else f"not available ({rec['exact_failed']})"),
             "  numeric    " + (f"{format_number(num.value)} ± {float(num.error):.2g} "
                                f"({num.method})" if num is not None
                                else f"not available ({rec['numeric_failed']})")]
    if rec["value"] is None:
        return lines + [f"the {word} derivative is undefined: {rec['why']}"]
    return lines + [f"value: {side_text(rec)} (method: {rec['method']})"]


def _undecided_text(undecided):
    """Why the agreement is undecided: the one-sided check of these partials decided nothing."""
    return (f"cannot tell whether the methods agree: whether {', '.join(undecided)} "
            f"exist{'s' if len(undecided) == 1 else ''} here is undecided (the one-sided "
            "derivatives could not be computed in time; raise --timeout)")


def _missing_text(missing, point):
    if len(point) == 1 and len(missing) == 1 and missing[0][0].startswith("∂f/"):
        # one variable: as `diff` says it
        s = missing[0][1]
        return f"left {side_text(s['-'])}, right {side_text(s['+'])}"
    return "; ".join(f"{name} does not exist (left {side_text(s['-'])}, right "
                     f"{side_text(s['+'])})" for name, s in missing)


def _text_grad(r):
    rec, where = r["_rec"], point_text(r["at"])
    what = "Hessian" if r["command"] == "hessian" else "gradient"
    lines = [f"f({', '.join(r['variables'])}) = {r['expr']}",
             f"{what} = " + (r["symbolic"] if r["_exact_known"]
                             else f"(exact route: {rec['exact_failed']})"),
             f"at {where}:"] + _methods_rows(rec)
    if r.get("differentiable") is False:
        return lines + [f"not differentiable at {where}: {_missing_text(r['_missing'], r['at'])} "
                        "(the values shown are conventions)"]
    return lines + [_value_line(r, rec, _undecided_text(r["undecided"]) if "undecided" in r
                                else _verdict(rec))]


def _value_line(r, rec, verdict):
    """``value: … (method: …, error …) - verdict``, with why the exact route gave no value."""
    note = f" (the exact route {rec['exact_failed']})" if rec["exact_float"] is None and \
        rec["exact_failed"] else ""
    return (f"value: {format_number(r['value'])} (method: {r['method']}, error "
            f"{r['error']:.2g}) - {verdict}{note}")


def _text_taylor(r):
    poly, worst = r["polynomial"], r["agreement"]["ad_vs_exact"]
    lines = [f"Taylor polynomial of {r['expr']} about {r['_var']} = {r['at']}, order {r['order']}:",
             f"  {poly}" if poly is not None else f"  (exact route {r['_exact_failed']}; the "
             "coefficients below are by AD only)",
             "  k   exact coefficient        AD coefficient"]
    for c in r["coefficients"]:
        ex = c["exact"] if c["exact"] is not None else "-"
        ad = format_number(c["ad"]) if c["ad"] is not None else "n/a"
        lines.append(f"  {c['k']:<3} {ex:<24} {ad}")
    if r["_ad_failed"] is not None:
        lines.append(f"method: exact - AD coefficients not available ({r['_ad_failed']})")
    elif poly is None:
        lines.append("method: automatic (dfdx.derivative) - not checked against the exact "
                     "route")
    else:
        lines.append(f"method: exact - coefficients by AD agree to {worst:.2g}"
                     if r["agreement"]["agree"]
                     else f"THE AD COEFFICIENTS DISAGREE (worst relative difference {worst:.2g})")
    return lines


def _text_check(r):
    where = point_text(r["at"])
    lines = [f"f({', '.join(r['at'])}) = {r['expr']} at {where}"]
    for what, rec in r["_recs"].items():
        lines.append(f"{what}:")
        lines += _methods_rows(rec, "  ")
        lines.append(f"  {_verdict(rec)}")
    lines.append(f"dfdx.check_grad (order {r['order']}): {r['check_grad']['message']}")
    if r["_missing"]:
        lines.append(f"FAILED: not differentiable at {where}: "
                     f"{_missing_text(r['_missing'], r['at'])} (the derivatives shown are "
                     "conventions)")
    elif r["agree"] is None:
        lines.append(f"UNDECIDED: {_undecided_text(r['undecided'])}")
    else:
        lines.append("OK: AD, exact and numeric derivatives agree" if r["agree"]
                     else "FAILED: the methods disagree (see above)")
    return lines


def _text_files(r):
    return [f"wrote {f}" for f in r.get("files", ())]


def _text_train(r):
    return [f"trained an MLP (64-{r['_hidden']}-10) on the digits for {r['_epochs']} epochs in "
            f"{r['seconds']:.1f} s: test accuracy {100 * r['test_accuracy']:.1f}%, "
            f"final loss {r['history']['loss'][-1]:.4f}"] + _text_files(r)


def render(record, as_json):
    """The one renderer: a command's record as JSON (its public fields) or as text.

    A record holds values, never text: its public keys are the JSON object (in
    order), ``_status`` the exit status, other ``_`` keys values that only the
    text shows; ``_TEXT[command]`` writes the text from the record alone.

    Returns:
        What to print, or None (the tour prints its own report).
    """
    if record.get("_printed"):
        return None
    if as_json:
        return json_text({k: v for k, v in record.items() if not k.startswith("_")},
                         record["_status"])
    return "\n".join(_fit(_TEXT[record["command"]](record)))


def json_text(out, status):
    out = dict(out or {})
    out.setdefault("status", status)
    return json.dumps(_jsonable(out), indent=2, ensure_ascii=False)


_TEXT = {"limit": _text_limit, "continuity": _text_continuity, "taylor": _text_taylor,
         "plot": _text_files, "train": _text_train, "grad": _text_grad, "hessian": _text_grad,
         "check": _text_check, "diff": _text_diff}
