"""Differential fuzz: random NumPy programs, reverse = forward = numeric, to order 2 (3).

Hypothesis writes a random program over two inputs, ``x`` (drawn shapes, float64
or float32) and a vector ``y``, as Python source: a chain of statements
``a = <op>(a)`` drawn from the whole rules table -- elementwise functions with
broadcasting against slices of ``y``, indexing (basic, fancy, boolean, mixed
advanced, take modes), reductions with axes and keywords, shape operations,
sorting, linear algebra (matmul broadcasting, inv, solve, det, eigh, svd,
cholesky, norms), complex values, NaN-guarded ``np.where`` branches. Then:

* `dfdx.check_grad` (forward, reverse and numeric agree; traced values and
  dtypes equal NumPy's) to order 2, or 3 for small inputs;
* the batched transforms (`jacfwd`, `jacrev`, `hessian`, forward-over-forward)
  equal the directional derivatives that check_grad just verified.

Any exception other than a named dfdx error is a failure too. The normal suite
runs a fixed (derandomized) set of examples; ``make fuzz`` (``FUZZ_MINUTES=30
make fuzz``) runs random ones for as long as asked and prints every failing
program as runnable source.

`KNOWN` lists the classes of wrong results that issue 10 is fixing: their ops
are left out of the normal suite (``make fuzz`` draws them too, with
``FUZZ_KNOWN=1``), and each has an xfail(strict=True) reproducer below, so an
entry is deleted when its fix lands.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from typing import NamedTuple

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dfdx
from dfdx.rules import special
from dfdx.testing import GradCheckError

FUZZ = os.environ.get("DFDX_FUZZ") == "1"         # set by `make fuzz`
INCLUDE_KNOWN = FUZZ and os.environ.get("FUZZ_KNOWN", "1") == "1"
NY = 24                                           # length of the vector input y


class Known(NamedTuple):
    cls: str        # the class of wrong result
    ops: tuple      # pieces of op source that trigger it (left out of the normal suite)
    source: str     # one reproducer: the body of f(x, y)
    x: tuple        # (shape, dtype) of x for the reproducer
    dtypes: tuple = ("float64", "float32")      # the dtypes of x where it is left out


def _known(src, dtype, a):
    """The KNOWN entry whose class this op (on the value a, x of this dtype) belongs to."""
    for k in KNOWN:
        if dtype in k.dtypes and any(piece(src, a) if callable(piece) else piece in src
                                     for piece in k.ops):
            return k
    return None


#: Known failing classes (issue 10). Delete an entry when its fix lands: the xfail
#: reproducer below then fails (XPASS, strict) to say so.
KNOWN: list = []   # none open: every class found so far is fixed


# --- the program generator -----------------------------------------------------

def _operand(draw, a, name):
    """Source for a slice of y reshaped to a shape that broadcasts with a (a random one)."""
    shape = list(np.shape(a))
    out = [d if draw(st.booleans()) else 1 for d in shape]
    if draw(st.integers(0, 3)) == 0 and len(out) < 3:
        out = [2] + out                      # broadcasting that grows the result
    if out and draw(st.integers(0, 3)) == 0:
        out = out[1:]                        # fewer dimensions than a
    n = int(np.prod(out)) if out else 1
    assume(n <= NY)
    start = draw(st.integers(0, NY - n))
    return f"{name}[{start}:{start + n}].reshape({tuple(out)})"


def _axis(draw, a, allow_none=True):
    nd = np.ndim(a)
    choices = ([None] if allow_none else []) + list(range(-nd, nd))
    return draw(st.sampled_from(choices)) if choices else None


UNARY = ["np.sin(a)", "np.cos(a)", "np.tanh(a)", "np.arctan(a)", "sp.expit(a)",
         "np.exp(np.tanh(a))", "np.logaddexp(0.0, a)", "a * a", "np.sqrt(1.0 + a * a)",
         "np.log1p(a * a)", "np.square(a) - a", "np.cbrt(2.0 + np.tanh(a))",
         "np.arcsinh(a)", "sp.erf(a)", "np.power(1.5 + np.tanh(a), 1.5)", "a.astype(np.float32)",
         "a.astype(np.float64)", "-a", "np.float32(2.0) * a", "a / 3"]
BINARY = ["a + {b}", "a * {b}", "a - {b}", "a / (1.0 + {b} ** 2)", "np.maximum(a, {b})",
          "np.minimum({b}, a)", "np.arctan2(a, 2.0 + np.tanh({b}))", "np.hypot(a, 1.0 + {b})",
          "np.logaddexp(a, {b})", "np.where(a > {b}, a, {b} * a)"]
COMPLEX_OK = {"a + {b}", "a * {b}", "a - {b}", "-a", "a * a", "a / 3", "np.sin(a)", "np.exp(a)"}


def _ops(draw, a, y):
    """All ops applicable to the current value: a dict name -> source (drawn lazily)."""
    nd, shape = np.ndim(a), np.shape(a)
    cplx = np.iscomplexobj(a)
    ops = {}
    if cplx:
        ops["complex_unary"] = lambda: draw(st.sampled_from(sorted(
            u for u in ["np.exp(a)", "np.sin(a)", "a * a", "-a", "a / 3"])))
        ops["complex_mul"] = lambda: f"a * {_operand(draw, a, 'y')}"
        ops["complex_out"] = lambda: draw(st.sampled_from(
            ["np.abs(a) ** 2", "np.real(a)", "np.imag(a)", "np.abs(a)", "np.real(a * a)"]))
        ops["complex_sum"] = lambda: f"np.sum(a, axis={_axis(draw, a)})"
        if nd >= 1:
            ops["complex_index"] = lambda: "a[::-1]"
        return ops
    ops["unary"] = lambda: draw(st.sampled_from(UNARY))
    ops["binary"] = lambda: draw(st.sampled_from(BINARY)).format(b=_operand(draw, a, "y"))
    ops["to_complex"] = lambda: f"a + 1j * {_operand(draw, a, 'y')}"
    ops["where_sqrt"] = lambda: "np.where(a > 0, np.sqrt(a), 0.0)"
    ops["where_log"] = lambda: "np.where(a > 0.1, np.log(a), a)"
    ops["where_sinc"] = lambda: "np.where(a != 0, np.sin(a) / a, 1.0)"
    if nd == 0:
        ops["grow"] = lambda: f"a * {_operand(draw, np.zeros(draw(st.sampled_from([(3,), (2, 3)]))), 'y')}"
        return ops
    ax = lambda: _axis(draw, a)                                   # noqa: E731
    kd = lambda: draw(st.booleans())                              # noqa: E731
    ops["reduce"] = lambda: draw(st.sampled_from(
        ["np.sum", "np.mean", "np.max", "np.min", "np.prod", "np.var", "np.std",
         "special.logsumexp"])) + f"(a, axis={ax()}, keepdims={kd()})"
    ops["reduce_kw"] = lambda: draw(st.sampled_from([
        f"np.var(a, axis={ax()}, ddof=1)" if a.size > 1 else "np.var(a)",
        f"np.std(a, axis={ax()}, ddof=1)" if a.size > 1 else "np.std(a)",
        f"np.max(a, axis={ax()}, initial=-5.0)",
        f"np.mean(a, axis={ax()}, dtype=np.float64)",
        f"np.linalg.norm(a, axis={_axis(draw, a, False)})"]))
    ops["kw_where"] = lambda: draw(st.sampled_from([
        "np.sum(a, where=a > 0)", "np.mean(a, where=a > -1)", "np.max(a, initial=0.5)",
        "np.sum(a, axis=0, initial=1.0)"]))
    ops["std1"] = lambda: f"np.std(a[..., :1], axis=-1)"
    ops["cum"] = lambda: draw(st.sampled_from(["np.cumsum", "np.cumprod"])) + \
        f"(a, axis={_axis(draw, a, False)})"
    ops["index"] = lambda: draw(st.sampled_from([
        "a[::-1]", "a[1:]" if shape[0] > 1 else "a[:1]", "a[-1]", f"a[[0, {shape[0] - 1}, 0]]",
        "a[a > 0]", "a[..., None]", "a[None]", "a[..., ::2]"]))
    ops["take_mode"] = lambda: f"np.take(a, [-1, {shape[0] + 1}], axis=0, " \
        f"mode={draw(st.sampled_from(['clip', 'wrap']))!r})"
    ops["take"] = lambda: f"np.take(a, [{shape[0] - 1}, 0, 0], axis=0)"
    ops["shape"] = lambda: draw(st.sampled_from([
        "a.reshape(-1)", "np.transpose(a)", "np.flip(a, 0)", "np.roll(a, 1, axis=0)",
        "np.concatenate([a, 2 * a], axis=0)", "np.stack([a, a * a], axis=-1)",
        "np.tile(a, 2)", "np.repeat(a, 2, axis=0)", "np.expand_dims(a, 0)", "np.squeeze(a)",
        "np.pad(a, 1)", "np.broadcast_to(a, (2,) + a.shape)", "np.moveaxis(a, 0, -1)",
        "np.sort(a, axis=-1)", "np.median(a, axis=0)", "np.quantile(a, 0.3, axis=-1)"]))
    if nd >= 2:
        ops["shape2"] = lambda: draw(st.sampled_from([
            "np.swapaxes(a, 0, 1)", "np.diagonal(a)", "np.triu(a)", "a.T",
            "np.take_along_axis(a, np.argsort(a, axis=0), axis=0)", "a[:, [1, 0]]",
            "a[[0, 0], :1]"]))
        ops["matmul"] = lambda: draw(st.sampled_from([
            "a @ np.swapaxes(a, -1, -2)", "np.swapaxes(a, -1, -2) @ a",
            "a @ y[:{n}].reshape({s})".format(n=shape[-1] * 2, s=(shape[-1], 2)),
            "y[:{n}].reshape({s}) @ a".format(n=2 * shape[-2], s=(2, 1, shape[-2])),
            "y[:{n}] @ a".format(n=shape[-2]),
            "a @ y[:{n}]".format(n=shape[-1]),
            "np.einsum('...ij,...kj->...ik', a, a)"]))
        # A well-conditioned symmetric matrix from a (einsum: the matmul rules are fuzzed above).
        sq = "(np.einsum('...ij,...kj->...ik', a, a) + {k} * np.eye(a.shape[-2], dtype=a.dtype))" \
            .format(k=shape[-2])
        ops["linalg"] = lambda: draw(st.sampled_from([
            f"np.linalg.inv({sq})", f"np.linalg.det({sq})", f"np.linalg.slogdet({sq})[1]",
            f"np.linalg.solve({sq}, a)", f"np.linalg.cholesky({sq})",
            f"np.linalg.eigh({sq})[0]", f"np.linalg.eigvalsh({sq})",
            "np.linalg.svd(a, compute_uv=False)", f"np.linalg.matrix_power({sq}, 2)",
            "np.linalg.norm(a, axis=(-2, -1))", "np.linalg.norm(a, 'nuc', axis=(-2, -1))",
            f"np.trace({sq})", "np.linalg.pinv(a)"]))
        if shape[-1] >= shape[-2]:
            # Not symmetric: eigh / cholesky read one triangle (NumPy's UPLO='L').
            ns = "(a[..., :{n}] + {n} * np.eye({n}, dtype=a.dtype))".format(n=shape[-2])
            ops["linalg_uplo"] = lambda: draw(st.sampled_from([
                f"np.linalg.eigvalsh({ns})", f"np.linalg.eigh({ns})[0]",
                f"np.linalg.cholesky({ns})"]))
    if nd == 3:
        ops["mixed_index"] = lambda: draw(st.sampled_from(["a[0, :, [0, 1]]", "a[:, 0, [1, 0]]",
                                                           "a[[0, 1], :, 0]"]))
    return ops


@st.composite
def programs(draw, include_known=False):
    shape = draw(st.sampled_from([(), (3,), (2, 3), (1, 3), (3, 3), (2, 3, 2), (2, 2, 2)]))
    dtype = draw(st.sampled_from(["float64", "float64", "float32"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.uniform(-1.5, 1.5, shape).astype(dtype)[()] if shape else \
        np.asarray(rng.uniform(-1.5, 1.5), dtype=dtype)
    y = rng.uniform(-1.5, 1.5, NY).astype(dtype)
    lines, a = ["a = x"], x
    target = draw(st.integers(1, 6))
    for _ in range(4 * target):
        if len(lines) > target:
            break
        ops = _ops(draw, a, y)
        name = draw(st.sampled_from(sorted(ops)))
        src = ops[name]()
        if not include_known and _known(src, dtype, a) is not None:
            continue
        if _at_threshold(src, a):
            continue
        with np.errstate(all="ignore"):
            try:
                new = _run(lines + [f"a = {src}", "return a"], x, y)
            except (ValueError, IndexError, np.linalg.LinAlgError, TypeError):
                continue            # not applicable here (NumPy refuses): skip the op
        if (np.size(new) == 0 or np.size(new) > 60 or np.ndim(new) > 4
                or not np.all(np.isfinite(new)) or np.max(np.abs(new)) > 1e4):
            continue
        lines.append(f"a = {src}")
        a = np.asarray(new)
    lines.append("return a")
    return "\n".join(lines), x, y


_MASK = re.compile(r"\bwhere=a (>) (-?[0-9.]+)\b")


def _at_threshold(src, a):
    """True where a reduction's `where=` mask in `src` compares a value at its threshold.

    A saturating function (erf, tanh) rounds to exactly -1 or 1 over a whole interval, so a
    mask such as `a > -1` there is decided by rounding and flips within any step: the float
    function jumps, which no derivative describes. Such a tie is not a rule's fault; the
    generator does not draw it. (The masks of np.where are still drawn at ties: there the
    checker's one-sided and NaN-safe paths are what is being tested.)
    """
    a = np.asarray(a)
    return any(np.any(np.abs(a - float(c)) <= 1e-6 * np.maximum(np.abs(a), 1.0))
               for _, c in _MASK.findall(src))


def _compile(lines):
    src = "def f(x, y):\n" + "".join(f"    {ln}\n" for ln in lines)
    ns = {"np": np, "sp": sp, "special": special}
    exec(src, ns)       # noqa: S102 - our own generated source
    return ns["f"]


def _run(lines, x, y):
    return _compile(lines)(x, y)


def show(source, x, y):
    """A runnable reproducer for a failing program."""
    return (f"x = np.{x!r}\ny = np.{y!r}\ndef f(x, y):\n"
            + "".join(f"    {ln}\n" for ln in source.splitlines())
            + "dfdx.check_grad(f, x, y, order=2)")


# --- the checks ------------------------------------------------------------------

def _close(got, want, tol, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    scale = max(float(np.max(np.abs(want), initial=0.0)), 1.0)
    err = float(np.max(np.abs(got - want), initial=0.0))
    assert err <= tol * scale, f"{what}: off by {err:.3g} (scale {scale:.3g})"


def _batched(f, x, y, low=False):
    """jacfwd, jacrev and hessian (batched rules) against the verified jvp / vjp."""
    if np.iscomplexobj(f(x, y)):
        return
    rng = np.random.default_rng(1)
    tol = 1e-3 if low or np.result_type(x) == np.float32 else 1e-7
    g = lambda x: f(x, y)                                         # noqa: E731
    u = rng.standard_normal(np.shape(x)).astype(np.result_type(x))
    _, ju = dfdx.jvp(g, (x,), (u,))
    for mode in ("fwd", "rev"):
        jac = dfdx.jacobian(g, mode=mode)(x)
        _close(np.tensordot(jac, u, axes=np.ndim(x)) if np.ndim(x) else jac * u, ju, tol,
               f"jacobian(mode={mode!r}) times u")
    w = rng.standard_normal(np.shape(ju))
    s = lambda x: np.sum(w * f(x, y))                              # noqa: E731
    hu = dfdx.jvp(dfdx.grad(s), (x,), (u,))[1]
    for name, h in [("hessian", dfdx.hessian(s)),
                    ("jacfwd(jacfwd)", dfdx.jacfwd(dfdx.jacfwd(s))),
                    ("jacrev(jacrev)", dfdx.jacrev(dfdx.jacrev(s)))]:
        hx = h(x)
        _close(np.tensordot(hx, u, axes=np.ndim(x)) if np.ndim(x) else hx * u, hu, tol,
               f"{name} times u")


def check_program(source, x, y):
    try:
        _check_program(source, x, y)
    except (AssertionError, GradCheckError) as e:
        if np.result_type(x) != np.float32 or "float32" in source or "dtype" in str(e):
            raise
        # why: the rules are the same code in both dtypes; where the same program in
        # float64 checks out, a float32 miss is float32 arithmetic losing the digits
        # (sin(a)/a near 0 cancels every digit of its second derivative in float32),
        # not a wrong rule. A wrong dtype is never excused.
        try:
            _check_program(source, x.astype(np.float64), y.astype(np.float64))
        except (AssertionError, GradCheckError):
            raise
        except Exception:       # noqa: BLE001 - the float32 verdict stands
            pass
        else:
            assume(False)
        raise


def _check_program(source, x, y):
    f = _compile(source.splitlines())
    f.__qualname__ = "program"
    # Third order for scalar x; not in float32, where it is mostly rounding error.
    order = 3 if np.size(x) <= 1 and np.result_type(x) == np.float64 else 2
    # A float32 step anywhere in the program: its derivatives carry float32 rounding.
    low = "float32" in source or np.result_type(x) == np.float32
    tol = dict(rtol=2e-3, atol=1e-4) if low else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            try:
                dfdx.check_grad(f, x, y, order=order, step=0.01, **tol)
            except GradCheckError as e:
                if "could not check" in str(e) or "rule is wrong" not in str(e):
                    raise
                # A kink within the step (maximum, where, sort) makes central differences
                # jump; a wrong rule stays wrong at a step 30 times smaller, a kink does not.
                try:
                    dfdx.check_grad(f, x, y, order=order, step=3e-4, rng=7, move=False, **tol)
                except GradCheckError:
                    raise e from None
                assume(False)
            _batched(f, x, y, low)
        except GradCheckError as e:
            if "could not check" in str(e):
                assume(False)       # numeric side unusable here (near a kink): not a verdict
            raise
        except dfdx.UnsupportedOperation:
            assume(False)           # a named refusal is an allowed answer
        except dfdx.DfdxError as e:
            if type(e).__name__ == "NonDifferentiableError":
                assume(False)
            raise


SETTINGS = dict(deadline=None, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
if FUZZ:
    FUZZ_SETTINGS = settings(max_examples=10 ** 9, derandomize=False, **SETTINGS)
else:
    FUZZ_SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")),
                             derandomize=True, **SETTINGS)


_FOUND: dict = {}                # make fuzz: signature -> (count, shortest reproducer, message)
_START = time.monotonic()


def _category(e):
    """What kind of failure: a wrong value, a dtype, a wrong derivative (which), a crash."""
    msg = str(e).splitlines()[0] if str(e) else ""
    if isinstance(e, GradCheckError):
        where = re.sub(r"^check_grad (failed|could not check) for program:? ?", "",
                       msg).split(":")[0].split(";")[0]
        where = re.sub(r" \(output \d+\)| at a point moved.*", "", where)
        if "traced value" in msg:
            return "value differs from NumPy's at " + where
        if "dtype" in msg:
            return "dtype not kept at " + where
        if "nan" in msg.split("numeric")[0]:
            return "NaN derivative at " + where
        return "wrong derivative at " + where
    if isinstance(e, AssertionError):
        return "batched transform wrong: " + msg.split(":")[0]
    return f"crash {type(e).__name__}: " + re.sub(r"\d+", "#", msg)[:60]


def _ops_of(source):
    body = [ln[4:] for ln in source.splitlines() if ln.startswith("a = ") and ln != "a = x"]
    return "; ".join(re.sub(r"\d+", "#", ln) for ln in body)


def _fails(source, x, y):
    try:
        with np.errstate(all="ignore"):
            _run(source.splitlines(), x, y)
    except Exception:           # noqa: BLE001 - NumPy refuses the shrunk program: no case
        return None
    try:
        check_program(source, x, y)
    except Exception as e:      # noqa: BLE001
        if type(e).__module__.startswith("hypothesis"):
            return None
        return e
    return None


def _shrink(source, x, y, e):
    """Delete statements while the same kind of failure remains: the smallest program."""
    cat = _category(e)
    lines = source.splitlines()
    changed = True
    while changed:
        changed = False
        for i in range(1, len(lines) - 1):
            trial = lines[:i] + lines[i + 1:]
            e2 = _fails("\n".join(trial), x, y)
            if e2 is not None and _category(e2) == cat:
                lines, e, changed = trial, e2, True
                break
    return "\n".join(lines), e


def _report_and_stop():
    lines = [f"make fuzz: {len(_FOUND)} distinct failing classes in "
             f"{(time.monotonic() - _START) / 60:.1f} min"]
    for sig, (n, repro, msg) in sorted(_FOUND.items(), key=lambda kv: -kv[1][0]):
        lines += ["", f"=== {n} x {sig}", msg[:600], repro]
    text = "\n".join(lines)
    print(text, flush=True)
    with open(os.environ.get("FUZZ_LOG", "fuzz-failures.txt"), "w") as fh:
        fh.write(text + "\n")
    os._exit(1 if _FOUND else 0)


@FUZZ_SETTINGS
@given(programs(include_known=INCLUDE_KNOWN))
def test_random_programs_reverse_forward_numeric(prog):
    source, x, y = prog
    if FUZZ and time.monotonic() - _START > 60 * float(os.environ.get("FUZZ_MINUTES", "5")):
        _report_and_stop()
    try:
        check_program(source, x, y)
    except Exception as e:      # noqa: BLE001 - a crash that is not a named dfdx error
        if type(e).__module__.startswith("hypothesis"):
            raise
        repro = show(source, x, y)
        if FUZZ:                # record it and go on: one run finds many classes
            source, e = _shrink(source, x, y, e)
            repro = show(source, x, y)
            sig = f"{_category(e)} | {_ops_of(source)}"
            n, best, msg = _FOUND.get(sig, (0, None, ""))
            if best is None or len(repro) < len(best):
                best, msg = repro, f"{type(e).__name__}: {e}"
            _FOUND[sig] = (n + 1, best, msg)
            if n == 0:
                print(f"\nNEW [{sig}]\n{repro}", flush=True)
            return
        raise AssertionError(f"{type(e).__name__}: {e}\n--- reproducer ---\n{repro}") from e


def test_the_generator_reaches_every_op_family():
    """Guard against a silently narrow fuzz: the drawn programs use every op family."""
    seen = set()

    @settings(max_examples=150, derandomize=True, **SETTINGS)
    @given(st.data())
    def collect(data):
        shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 3, 2)]))
        a = np.ones(shape) * 0.5
        if data.draw(st.booleans()):
            a = a + 0.5j
        seen.update(_ops(data.draw, a, np.ones(NY)))
    collect()
    assert seen >= {"unary", "binary", "reduce", "reduce_kw", "index", "shape", "shape2",
                    "matmul", "linalg", "to_complex", "complex_mul", "complex_out", "cum",
                    "mixed_index", "take", "take_mode", "kw_where", "where_sqrt", "grow"}


if KNOWN:   # the reproducers exist while a known class is open
    @pytest.mark.xfail(strict=True, reason="issue 10: a known failing class (see KNOWN)")
    @pytest.mark.parametrize("known", [pytest.param(k, id=k.cls.split(" (")[0]) for k in KNOWN])
    def test_known_failing_classes(known):
        shape, dtype = known.x
        x = np.linspace(-1.2, 1.3, int(np.prod(shape))).reshape(shape).astype(dtype)
        y = np.linspace(-1.0, 1.0, NY).astype(dtype)
        f = _compile(known.source.splitlines())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dfdx.check_grad(f, x, y, order=2, step=0.01)
            _batched(f, x, y)


#: Programs the 30-minute fuzz found (issue 10), kept as regressions: an astype cotangent
#: that is a Python number (np.real of a Python complex), and a derivative that is exactly
#: 0 in NumPy and 4e-18 when traced (rounding, not a wrong rule).
FOUND = [
    ("a = x\na = np.where(a > 0.1, np.log(a), a)\na = a + 1j * y[1:2].reshape(())\n"
     "a = np.imag(a)\na = a + 1j * y[16:17].reshape(())\nreturn a", np.array(0.3320921)),
    ("a = x\na = np.std(a[..., :1], axis=-1)\na = a + 1j * y[21:22].reshape(())\n"
     "a = np.exp(a)\na = np.abs(a)\nreturn a", np.array([1.2256011, -0.83100624, -0.36930485])),
]
_FOUND_Y = np.array([1.00688584, -0.17525528, 0.85581771, 0.91094278, 1.47774068, -0.59632038,
                     -0.54786852, 0.10551249, 0.3387083, -0.62107988, -0.88243341, 1.41592224,
                     1.209085, -0.67779164, 0.48025836, -0.41972446, -0.28252781, 0.39969335,
                     -0.66108562, -0.77942234, 0.55934772, 1.27890383, 1.46280741, 0.13474637])


@pytest.mark.parametrize("source, x", FOUND, ids=["astype of a Python number", "exact zero"])
def test_programs_the_fuzz_found(source, x):
    _check_program(source, x, _FOUND_Y)
