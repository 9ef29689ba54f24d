"""Measure which NumPy functions of issue 12 ("the rest of NumPy") differentiate.

Each case calls a NumPy function as people write it, on traced inputs, and runs
`dfdx.check_grad` at order 2 in forward mode and in reverse mode separately, and
once more on float32 inputs (the result and its derivatives must stay float32).
Zero-derivative functions are checked to return plain (untraced) arrays equal to
NumPy's. Run:

    .venv/bin/python docs/numpy_coverage.py          # the table
    .venv/bin/python docs/numpy_coverage.py -v       # with the first line of each error

The summary line counts cases that pass everything, and those that fail.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

import dfdx
from dfdx._core import Box

P = np.polynomial.polynomial

_rng = np.random.default_rng(12)


def n(*shape):
    return _rng.standard_normal(shape)


def u(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


def _nan_at(x):
    return np.where(np.array([[False, True, False], [False, False, False]]), np.nan, x)


def _put_along(x):
    y = np.sin(x)      # a traced array, written into
    np.put_along_axis(y, np.array([[0], [2]]), x[:, :1] ** 2, axis=1)
    return y


_XP = np.array([-1.0, 0.0, 0.5, 2.0])
_A_QR = n(4, 3)
_A_LS, _B_LS = n(5, 3), n(5, 2)

#: (name, f, args): checked by check_grad at order 2, fwd and rev, and in float32
CASES = [
    ("cross", np.cross, (n(3), n(3))),
    ("cross batch", lambda a, b: np.cross(a, b), (n(2, 3), n(3))),
    ("cross 2-d vectors", np.cross, (n(4, 2), n(4, 2))),
    ("diff", np.diff, (n(5),)),
    ("diff n=2 axis=0", lambda x: np.diff(x, n=2, axis=0), (n(4, 3),)),
    ("diff prepend", lambda x: np.diff(x, prepend=0.0, append=x[:1]), (n(4),)),
    ("ediff1d", lambda x: np.ediff1d(x, to_begin=x[:1], to_end=[1.0]), (n(2, 3),)),
    ("append", np.append, (n(2, 3), n(4))),
    ("append axis", lambda x, y: np.append(x, y, axis=0), (n(2, 3), n(1, 3))),
    ("insert", lambda x, y: np.insert(x, 1, y), (n(4), n())),
    ("insert axis", lambda x, y: np.insert(x, [0, 2], y, axis=1), (n(2, 3), n(2, 1))),
    ("delete", lambda x: np.delete(x, [0, 2]), (n(5),)),
    ("delete axis", lambda x: np.delete(x, 1, axis=1), (n(2, 3),)),
    ("hsplit", lambda x: tuple(np.hsplit(x, 2)), (n(2, 4),)),
    ("vsplit", lambda x: tuple(np.vsplit(x, [1])), (n(3, 2),)),
    ("dsplit", lambda x: tuple(np.dsplit(x, 2)), (n(2, 2, 4),)),
    ("array_split", lambda x: tuple(np.array_split(x, 3, axis=1)), (n(2, 5),)),
    ("gradient", np.gradient, (n(5),)),
    ("gradient spacing edge_order=2", lambda x: np.gradient(x, 0.5, edge_order=2), (n(5),)),
    ("gradient 2-d", lambda x: tuple(np.gradient(x)), (n(3, 4),)),
    ("gradient coordinates", lambda x: np.gradient(x, np.array([0.0, 0.5, 1.5, 2.0])), (n(4),)),
    ("gradient traced coordinates", lambda y, c: np.gradient(y, c),
     (n(4), np.cumsum(u(0.5, 1, 4)))),
    ("convolve", np.convolve, (n(5), n(3))),
    ("convolve same", lambda a, v: np.convolve(a, v, mode="same"), (n(5), n(3))),
    ("convolve valid", lambda a, v: np.convolve(a, v, mode="valid"), (n(5), n(3))),
    ("correlate", np.correlate, (n(5), n(3))),
    ("correlate full", lambda a, v: np.correlate(a, v, "full"), (n(4), n(3))),
    ("select", lambda x: np.select([x > 0.5, x < -0.5], [x ** 2, np.sin(x)], default=x),
     (n(2, 3),)),
    ("piecewise", lambda x: np.piecewise(x, [x < 0, x >= 0], [lambda v: -v ** 3, np.sin]),
     (n(6),)),
    ("piecewise constants", lambda x: np.piecewise(x, [x < 0], [0.0, lambda v: v * 2]), (n(6),)),
    ("partition", lambda x: np.partition(x, 2), (n(5),)),
    ("partition axis", lambda x: np.partition(x, (0, 2), axis=0), (n(4, 2),)),
    ("interp in x", lambda x: np.interp(x, _XP, np.array([0.0, 1.0, -1.0, 2.0])),
     (u(-0.9, 1.9, 5),)),
    ("interp in fp", lambda fp: np.interp(np.array([-2.0, 0.2, 0.7, 3.0]), _XP, fp), (n(4),)),
    ("interp in x and fp", lambda x, fp: np.interp(x, _XP, fp, left=0.0), (u(-0.9, 1.9, 5), n(4))),
    ("interp in xp", lambda xp: np.interp(np.array([0.2, 0.7]), xp,
                                          np.array([0.0, 1.0, -1.0, 2.0])),
     (_XP,)),
    ("trapezoid", np.trapezoid, (n(5),)),
    ("trapezoid x", lambda y, x: np.trapezoid(y, x), (n(2, 4), np.cumsum(u(0.5, 1, 4)))),
    ("trapezoid dx axis", lambda y: np.trapezoid(y, dx=0.3, axis=0), (n(4, 2),)),
    ("polyval", np.polyval, (n(4), n(3))),
    ("polynomial.polyval in x", lambda x: P.polyval(x, np.array([1.0, -2.0, 0.5])), (n(3),)),
    ("polynomial.polyval in c", P.polyval, (n(3), n(4))),
    ("polynomial.polyval 2-d c", lambda x: P.polyval(x, np.ones((4, 2)), tensor=True), (n(3),)),
    ("median", np.median, (n(5),)),
    ("median axis", lambda x: np.median(x, axis=0), (n(4, 3),)),
    ("percentile", lambda x: np.percentile(x, [25, 60], axis=1), (n(2, 5),)),
    ("quantile", lambda x: np.quantile(x, 0.3), (n(6),)),
    ("ptp", np.ptp, (n(2, 3),)),
    ("ptp axis", lambda x: np.ptp(x, axis=1), (n(2, 3),)),
    ("nansum", lambda x: np.nansum(_nan_at(x), axis=1), (n(2, 3),)),
    ("nanmean", lambda x: np.nanmean(_nan_at(x), axis=1), (n(2, 3),)),
    ("nanmax", lambda x: np.nanmax(_nan_at(x), axis=0), (n(2, 3),)),
    ("nanmin", lambda x: np.nanmin(_nan_at(x)), (n(2, 3),)),
    ("nanstd", lambda x: np.nanstd(_nan_at(x), axis=1), (n(2, 3),)),
    ("nanvar", lambda x: np.nanvar(_nan_at(x), ddof=1), (n(2, 3),)),
    ("nanprod", lambda x: np.nanprod(_nan_at(x), axis=1), (n(2, 3),)),
    ("nancumsum", lambda x: np.nancumsum(_nan_at(x), axis=1), (n(2, 3),)),
    ("take", lambda x: np.take(x, [[0, 2], [1, 1]]), (n(3),)),
    ("take_along_axis", lambda x: np.take_along_axis(x, np.argsort(x, axis=1), axis=1),
     (n(2, 3),)),
    ("put_along_axis (traced array)", lambda x: _put_along(x), (n(2, 3),)),
    ("meshgrid", lambda x, y: tuple(np.meshgrid(x, y)), (n(3), n(2))),
    ("meshgrid ij sparse", lambda x, y: tuple(np.meshgrid(x, y, indexing="ij", sparse=True)),
     (n(3), n(2))),
    ("linspace", lambda a, b: np.linspace(a, b, 5), (n(), n())),
    ("linspace vector ends", lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1),
     (n(2), n(2))),
    ("geomspace", lambda a, b: np.geomspace(a, b, 4), (u(0.5, 2), u(3, 5))),
    ("logspace", lambda a, b: np.logspace(a, b, 4), (u(0, 1), u(1, 2))),
    ("atleast_1d", np.atleast_1d, (n(),)),
    ("atleast_2d", np.atleast_2d, (n(3),)),
    ("atleast_3d", np.atleast_3d, (n(2, 3),)),
    ("block", lambda a, b, c: np.block([[a, b], [c]]), (n(2, 2), n(2, 1), n(1, 3))),
    ("block 1-d", lambda a, b: np.block([a, b]), (n(2), n(3))),
    ("column_stack", lambda a, b: np.column_stack([a, b]), (n(3), n(3, 2))),
    ("dstack", lambda a, b: np.dstack([a, b]), (n(3), n(3))),
    ("rot90", np.rot90, (n(2, 3),)),
    ("rot90 k=3 axes", lambda x: np.rot90(x, 3, axes=(1, 2)), (n(2, 3, 4),)),
    ("fliplr", np.fliplr, (n(2, 3),)),
    ("flipud", np.flipud, (n(2, 3),)),
    ("einsum ii->", lambda x: np.einsum("ii->", x), (n(3, 3),)),
    ("einsum iij->j", lambda x: np.einsum("iij->j", x), (n(2, 2, 3),)),
    ("einsum ...ii->...i", lambda x: np.einsum("...ii->...i", x), (n(2, 3, 3),)),
    ("einsum i...,i...->...", lambda x, y: np.einsum("i...,i...->...", x, y), (n(2, 3), n(2, 3))),
    ("einsum ij,ij->i", lambda x, y: np.einsum("ij,ij->i", x, y), (n(2, 3), n(2, 3))),
    ("einsum ii,i->", lambda x, y: np.einsum("ii,i", x, y), (n(3, 3), n(3))),
    ("trace offset", lambda x: np.trace(x, 1), (n(3, 4),)),
    ("trace axes", lambda x: np.trace(x, -1, axis1=1, axis2=2), (n(2, 3, 3),)),
    ("qr", lambda x: tuple(np.linalg.qr(x)), (_A_QR,)),
    ("qr r", lambda x: np.linalg.qr(x, mode="r"), (_A_QR,)),
    ("qr complete (tall)", lambda x: np.linalg.qr(x, mode="complete").R, (_A_QR,)),
    ("qr complete (square)", lambda x: tuple(np.linalg.qr(x, mode="complete")), (n(3, 3),)),
    ("qr wide", lambda x: tuple(np.linalg.qr(x)), (n(2, 3),)),
    ("qr batch", lambda x: tuple(np.linalg.qr(x)), (n(2, 3, 3),)),
    ("lstsq", lambda a, b: np.linalg.lstsq(a, b)[0], (_A_LS, _B_LS)),
    ("lstsq residuals", lambda a, b: np.linalg.lstsq(a, b)[1], (_A_LS, _B_LS)),
    ("lstsq vector b", lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], (_A_LS, n(5))),
    ("matrix_power", lambda x: np.linalg.matrix_power(x, 3), (n(3, 3),)),
    ("matrix_power -1", lambda x: np.linalg.matrix_power(x, -1), (n(3, 3) + 3 * np.eye(3),)),
    ("multi_dot", lambda a, b, c: np.linalg.multi_dot([a, b, c]), (n(2, 3), n(3, 3), n(3))),
    ("eigvalsh", np.linalg.eigvalsh, (n(3, 3) + 2 * np.diag([0.0, 3.0, 6.0]),)),
]
for _o in (None, 1, 2, np.inf, -np.inf, 0, -1, -2, 3, 0.5):
    CASES.append((f"norm vector ord={_o}", lambda x, o=_o: np.linalg.norm(x, o), (n(4),)))
for _o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
    CASES.append((f"norm matrix ord={_o}", lambda x, o=_o: np.linalg.norm(x, o), (n(3, 4),)))
CASES.append(("norm axis keepdims", lambda x: np.linalg.norm(x, 3, axis=0, keepdims=True),
              (n(3, 2),)))

#: Beyond the issue's list: more of what numerical code calls (checked like CASES)
BEYOND = [
    ("cov", lambda x: np.cov(x), (n(3, 5),)),
    ("cov rowvar ddof", lambda x: np.cov(x, rowvar=False, ddof=0), (n(5, 2),)),
    ("corrcoef", np.corrcoef, (n(3, 5),)),
    ("nan_to_num", lambda x: np.nan_to_num(np.where(x > 1, np.nan, x)), (n(5),)),
    ("sinc", np.sinc, (n(4),)),
    ("i0", np.i0, (n(4),)),
    ("unwrap", np.unwrap, (n(5) * 3,)),
    ("broadcast_arrays", lambda x, y: np.broadcast_arrays(x, y), (n(3), n(2, 1))),
    ("cumulative_sum", lambda x: np.cumulative_sum(x, axis=0, include_initial=True), (n(3, 2),)),
    ("cumulative_prod", lambda x: np.cumulative_prod(x), (n(4),)),
    ("linalg.cross", np.linalg.cross, (n(3), n(3))),
    ("vander", lambda x: np.vander(x, 3), (n(4),)),
    ("bincount weights", lambda w: np.bincount(np.array([0, 1, 1, 3]), weights=w), (n(4),)),
    ("apply_along_axis", lambda x: np.apply_along_axis(np.sum, 1, x), (n(2, 3),)),
    ("resize", lambda x: np.resize(x, (2, 5)), (n(3),)),
    ("trim_zeros", lambda x: np.trim_zeros(np.concatenate([np.zeros(1), x])), (n(3),)),
    ("real_if_close", lambda x: np.real_if_close(x), (n(3),)),
    ("fix", np.fix, (n(3),)),
    ("linalg.cond", np.linalg.cond, (n(3, 3),)),
    ("linalg.tensorsolve", lambda a, b: np.linalg.tensorsolve(a, b), (n(2, 3, 6) + 0, n(2, 3))),
    ("linalg.tensorinv", lambda a: np.linalg.tensorinv(a, ind=1), (n(4, 2, 2) + 0,)),
    ("polyfit", lambda y: np.polyfit(np.arange(5.0), y, 2), (n(5),)),
    ("polyder", lambda p: np.polyder(p), (n(4),)),
    ("polyint", lambda p: np.polyint(p), (n(4),)),
    ("roots", lambda p: np.roots(p), (n(3),)),
    ("histogram2d", lambda x, w: np.histogram2d(x, x, bins=2, weights=w)[0], (n(5), n(5))),
    ("average returned", lambda x: np.average(x, returned=True), (n(3),)),
    ("matrix_rank (zero)", lambda x: np.linalg.matrix_rank(x) * x, (n(3, 3),)),
    ("isin (zero)", lambda x: np.isin(x, [0.0]) * x, (n(3),)),
    ("lexsort (zero)", lambda x: x[np.lexsort((x,))], (n(3),)),
    ("outer", np.outer, (n(2), n(3))),
    ("swapaxes", lambda x: np.swapaxes(x, 0, 1), (n(2, 3),)),
    ("einsum ellipsis broadcast", lambda x, y: np.einsum("...i,i->...", x, y), (n(2, 3), n(3))),
    ("sort_complex", lambda x: np.real(np.sort_complex(x)), (n(3),)),
    ("angle", np.angle, (n(3),)),
    ("cumprod", np.cumprod, (n(3),)),
    ("around", lambda x: np.around(x) * x, (n(3),)),
    ("clip traced", lambda x, a: np.clip(x, a, 1.0), (n(3), np.float64(-0.5))),
    ("tril_indices gather", lambda x: x[np.tril_indices(3)], (n(3, 3),)),
    ("ix_", lambda x: x[np.ix_([0, 1], [1, 2])], (n(3, 3),)),
    ("diagflat", np.diagflat, (n(3),)),
    ("flatten", lambda x: x.flatten(), (n(2, 2),)),
    ("linalg.det", np.linalg.det, (n(3, 3),)),
    ("fill_diagonal (write)", lambda x: (np.fill_diagonal(x, 0.0), x)[1], (n(3, 3),)),
]

#: (name, f, args): the result on traced input must be plain and equal NumPy's
ZERO = [
    ("argmax", lambda x: np.argmax(x, axis=1), (n(2, 3),)),
    ("argmin", np.argmin, (n(2, 3),)),
    ("searchsorted", lambda x: np.searchsorted(np.sort(x), 0.1), (n(5),)),
    ("digitize", lambda x: np.digitize(x, [-0.5, 0.5]), (n(5),)),
    ("histogram counts", lambda x: np.histogram(x, bins=3)[0], (n(7),)),
    ("histogram counts with range", lambda x: np.histogram(x, bins=3, range=(-2, 2))[0], (n(7),)),
    ("unique index/inverse/counts", lambda x: np.unique(np.round(x), return_index=True,
                                                       return_inverse=True, return_counts=True)[1:],
     (n(6),)),
    ("nonzero", lambda x: np.nonzero(x > 0), (n(2, 3),)),
    ("round", lambda x: np.round(x, 1), (n(3),)),
    ("around", np.around, (n(3),)),
    ("floor", np.floor, (n(3),)),
    ("ceil", np.ceil, (n(3),)),
    ("sign", np.sign, (n(3),)),
    ("argsort", np.argsort, (n(4),)),
    ("argpartition", lambda x: np.argpartition(x, 2), (n(5),)),
    ("bincount of plain ints", lambda x: np.bincount(np.argsort(x)), (n(4),)),
    ("count_nonzero", lambda x: np.count_nonzero(x > 0), (n(4),)),
    ("isclose", lambda x: np.isclose(x, 0.0), (n(3),)),
]


def _first_line(e):
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0][:150] if msg else ''}"


def _try(f, args, **kw):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dfdx.check_grad(f, *args, order=2, step=0.01, **kw)
        return None
    except Exception as e:   # noqa: BLE001 -- a measurement: every failure is reported
        return _first_line(e)


def check_case(f, args):
    """(forward error, reverse error, float32 error): None where it passes."""
    fwd = _try(f, args, modes=("fwd",))
    rev = _try(f, args, modes=("rev",))
    args32 = tuple(np.asarray(a, dtype=np.float32) for a in args)
    f32 = _try(f, args32) if fwd is None and rev is None else "-"
    return fwd, rev, f32


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _leaves(item)]
    return [x]


def check_zero(f, args):
    """None when f of traced inputs gives plain values equal to NumPy's, else why not."""
    expected = f(*args)
    for transform in ("rev", "fwd"):
        seen = []

        def g(*xs):
            seen.append(f(*xs))
            return np.sum(xs[0] * 1.0)
        try:
            if transform == "rev":
                dfdx.grad(g)(*args)
            else:
                dfdx.jvp(g, args, tuple(np.ones_like(a) for a in args))
        except Exception as e:   # noqa: BLE001
            return f"{transform}: {_first_line(e)}"
        for got, want in zip(_leaves(seen[0]), _leaves(expected)):
            if isinstance(got, Box):
                return f"{transform}: returns a traced value"
            if not np.array_equal(np.asarray(got), np.asarray(want)):
                return f"{transform}: value differs from NumPy's"
    return None


def _run(cases, rows, suffix=""):
    """Check each case, add its table row; return (passed, failed)."""
    ok = bad = 0
    for name, f, args in cases:
        fwd, rev, f32 = check_case(f, args)
        good = fwd is None and rev is None and f32 is None
        ok += good
        bad += not good
        rows.append((name + suffix, "ok" if fwd is None else "FAIL",
                     "ok" if rev is None else "FAIL",
                     "ok" if f32 is None else ("-" if f32 == "-" else "FAIL"),
                     next((e for e in (fwd, rev, f32) if e not in (None, "-")), "")))
    return ok, bad


def main(verbose=False):
    rows = []
    ok, bad = _run(CASES, rows)
    bok, bbad = _run(BEYOND, rows, " (beyond)")
    zok = zbad = 0
    for name, f, args in ZERO:
        err = check_zero(f, args)
        zok += err is None
        zbad += err is not None
        rows.append((name + " (zero)", "ok" if err is None else "FAIL", "", "", err or ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  fwd   rev   f32")
    for name, fwd, rev, f32, err in rows:
        line = f"{name:<{width}}  {fwd:<5} {rev:<5} {f32:<5}"
        if verbose and err:
            line += f"  {err}"
        print(line)
    print(f"\nissue 12's list: differentiable cases: {ok} pass, {bad} fail; zero-derivative "
          f"cases: {zok} pass, {zbad} fail; beyond the list: {bok} pass, {bbad} fail")
    return bad + zbad + bbad


if __name__ == "__main__":
    sys.exit(1 if main(verbose="-v" in sys.argv) else 0)
