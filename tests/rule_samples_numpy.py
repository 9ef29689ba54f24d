"""Sample rows for the rest of NumPy (issue 12): dfdx.rules.numpy_more and the additions to
the shape, reduction and sorting rules. Imported at the end of rule_samples.py; each row
draws from its own generator (see rule_samples.Draw)."""

import numpy as np

from dfdx.rules import numpy_more
from rule_samples import add, draw, normal, uniform


def _increasing(n, lo=0.5, hi=1.0):
    """n increasing coordinates with gaps in [lo, hi]."""
    return draw(lambda rng: np.cumsum(rng.uniform(lo, hi, n)))


_NAN_AT = np.array([[False, True, False], [False, False, True]])


def _nan_at(x):
    return np.where(_NAN_AT, np.nan, x)


# --- shape -------------------------------------------------------------------------

add(np.diff, np.diff, normal(5))
add(np.diff, lambda x: np.diff(x, n=2, axis=0), normal(4, 3), label="n=2 axis=0")
add(np.diff, lambda x, y: np.diff(x, prepend=0.5, append=y), normal(2, 3), normal(2, 1),
    label="prepend append")
add(np.diff, lambda x: np.diff(x, n=0), normal(3), label="n=0")
add(np.ediff1d, np.ediff1d, normal(2, 3))
add(np.ediff1d, lambda x, b: np.ediff1d(x, to_end=[1.0, 2.0], to_begin=b), normal(4), normal(),
    label="to_begin to_end")
add(np.append, np.append, normal(2, 3), normal(4))
add(np.append, lambda x, y: np.append(x, y, axis=1), normal(2, 3), normal(2, 1), label="axis")
add(np.insert, lambda x, y: np.insert(x, 1, y), normal(4), normal(), label="scalar")
add(np.insert, lambda x, y: np.insert(x, [0, 2, 2], y, axis=1), normal(2, 3), normal(2, 1),
    label="indices axis broadcast")
add(np.insert, lambda x, y: np.insert(x, slice(0, 3), y), normal(2, 2), normal(3),
    label="slice flattened")
add(np.delete, lambda x: np.delete(x, [0, 2]), normal(5))
add(np.delete, lambda x: np.delete(x, 1, axis=1), normal(2, 3), label="axis")
add(np.delete, lambda x: np.delete(x, np.array([True, False, True]), axis=0), normal(3, 2),
    label="mask")
add(np.hsplit, lambda x: tuple(np.hsplit(x, 2)), normal(2, 4))
add(np.hsplit, lambda x: tuple(np.hsplit(x, [1])), normal(3), label="1-d")
add(np.vsplit, lambda x: tuple(np.vsplit(x, [1])), normal(3, 2))
add(np.dsplit, lambda x: tuple(np.dsplit(x, 2)), normal(2, 2, 4))
add(np.rot90, np.rot90, normal(2, 3))
for _k in (2, 3, -1, 4):
    add(np.rot90, lambda x, k=_k: np.rot90(x, k, axes=(2, 0)), normal(2, 3, 4), label=f"k={_k}")
add(np.fliplr, np.fliplr, normal(2, 3))
add(np.flipud, np.flipud, normal(3))
add(np.block, lambda a, b, c: np.block([[a, b], [c]]), normal(2, 2), normal(2, 1), normal(1, 3))
add(np.block, lambda a, b: np.block([a, 1.5, b]), normal(2), normal(), label="1-d, scalars")
add(np.block, lambda a, b: np.block([[[a]], [[b]]]), normal(2), normal(2), label="depth 3")
add(np.meshgrid, lambda x, y: np.meshgrid(x, y), normal(3), normal(2))
add(np.meshgrid, lambda x, y, z: np.meshgrid(x, y, z, indexing="ij", sparse=True), normal(3),
    normal(2), normal(2), label="ij sparse")

# --- sorting ----------------------------------------------------------------------

add(np.partition, lambda x: np.partition(x, 2), normal(5))
add(np.partition, lambda x: np.partition(x, (0, 2), axis=0), normal(4, 2), label="axis")
add(np.partition, lambda x: np.partition(x, -1, axis=None), normal(2, 3), label="flattened")
add(np.partition, lambda x: np.partition(x, 1), np.array([2.0, 0.5, 0.5, 1.0]), label="tie",
    kind="kink")

# --- reductions -------------------------------------------------------------------

add(np.ptp, np.ptp, normal(2, 3))
add(np.ptp, lambda x: np.ptp(x, axis=1, keepdims=True), normal(2, 3), label="axis keepdims")
add(np.ptp, np.ptp, np.array([1.0, 3.0, 3.0, 0.0]), label="tie", kind="kink")
for _fn in (np.nansum, np.nanprod, np.nanmean, np.nanmax, np.nanmin, np.nanvar, np.nanstd):
    add(_fn, lambda x, f=_fn: f(_nan_at(x), axis=1), normal(2, 3), label="NaN, axis=1")
    add(_fn, lambda x, f=_fn: f(x, axis=0, keepdims=True), normal(2, 3), label="no NaN")
for _fn in (np.nancumsum, np.nancumprod):
    add(_fn, lambda x, f=_fn: f(_nan_at(x), axis=1), normal(2, 3), label="NaN, axis=1")
    add(_fn, lambda x, f=_fn: f(_nan_at(x)), normal(2, 3), label="NaN, flattened")
add(np.nansum, lambda x: np.nansum(_nan_at(x), where=np.array([True, True, False]),
                                   initial=2.0), normal(2, 3), label="where initial")
add(np.nanmean, lambda x: np.nanmean(_nan_at(x), axis=0), normal(2, 3), label="NaN, axis=0")
add(np.nanmax, lambda x: np.nanmax(np.where(np.array([True, True]), np.nan, x), initial=-5.0),
    normal(2), label="all NaN, initial")
add(np.nanmin, lambda x: np.nanmin(_nan_at(x), axis=1, where=np.array([True, False, True]),
                                   initial=5.0), normal(2, 3), label="where initial")
add(np.nanvar, lambda x: np.nanvar(_nan_at(x), ddof=1), normal(2, 3), label="ddof=1 all")
add(np.nanstd, lambda x: np.nanstd(_nan_at(x), axis=1, where=np.array([True, True, False])),
    normal(2, 3), label="where")
add(np.nanmax, lambda x: np.nanmax(_nan_at(x)), np.array([[1.0, 0.0, 1.0], [0.5, 0.2, 0.0]]),
    label="tie", kind="kink")

# --- numpy_more --------------------------------------------------------------------

add(np.cross, np.cross, normal(3), normal(3))
add(np.cross, np.cross, normal(2, 3), normal(3), label="broadcast")
add(np.cross, lambda a, b: np.cross(a, b, axisa=0, axisc=0), normal(3, 2), normal(2, 3),
    label="axisa axisc")
add(np.cross, lambda a, b: np.cross(a, b), normal(4, 3), normal(4, 3), label="batch")
add(np.cross, lambda a, b: np.cross(a, b * np.array([1.0, 1.0, 0.0])), np.array([1.0, 0.0, 0.0]),
    np.array([2.0, 0.0, 0.0]), label="parallel", kind="special")
add(numpy_more._conv_full, lambda a, v: numpy_more.conv_full(a, v), normal(4), normal(3))
add(np.convolve, np.convolve, normal(5), normal(3))
add(np.convolve, lambda a, v: np.convolve(a, v, "same"), normal(3), normal(4),
    label="same, longer v")
add(np.convolve, lambda a, v: np.convolve(a, v, mode="valid"), normal(5), normal(2),
    label="valid")
add(np.convolve, np.convolve, normal(), normal(3), label="0-d")
add(np.correlate, np.correlate, normal(5), normal(3))
for _mode in ("full", "same"):
    add(np.correlate, lambda a, v, m=_mode: np.correlate(a, v, m), normal(3), normal(4),
        label=f"{_mode}, longer v")
add(np.correlate, lambda a, v: np.correlate(a, v, "same"), normal(4), normal(2), label="same")
add(np.gradient, np.gradient, normal(5))
add(np.gradient, lambda x: np.gradient(x, 0.5, edge_order=2), normal(5), label="edge_order=2")
add(np.gradient, lambda x: np.gradient(x), normal(3, 4), label="2-d")
add(np.gradient, lambda y, c: np.gradient(y, c), normal(4), _increasing(4),
    label="traced coordinates")
add(np.gradient, lambda y, c: np.gradient(y, c, edge_order=2, axis=0), normal(4, 2),
    _increasing(4), label="coordinates edge_order=2")
add(np.gradient, lambda y, h: np.gradient(y, 1.0, h), normal(3, 2), uniform(0.5, 1),
    label="traced spacing per axis")
add(np.trapezoid, np.trapezoid, normal(5))
add(np.trapezoid, lambda y, x: np.trapezoid(y, x), normal(2, 4), _increasing(4), label="x")
add(np.trapezoid, lambda y, x: np.trapezoid(y, x, axis=0), normal(3, 2), normal(3, 2),
    label="2-d x")
add(np.trapezoid, lambda y: np.trapezoid(y, dx=0.3, axis=0), normal(4, 2), label="dx axis")
add(np.polyval, np.polyval, normal(4), normal(3))
add(np.polyval, np.polyval, normal(3, 2), normal(2), label="2-d p")
add(np.polyval, np.polyval, np.array([1.0, 0.0, -1.0]), np.array([0.0, 1.0, -1.0]),
    label="0, 1, -1", kind="special")
add(np.select, lambda x: np.select([x > 0.5, x < -0.5], [x ** 2, np.sin(x)], default=x),
    normal(2, 3))
add(np.select, lambda x, y: np.select([x > 0], [y], 1.5), normal(2, 3), normal(3),
    label="broadcast, constant default")
add(np.piecewise, lambda x: np.piecewise(x, [x < 0, x >= 0], [lambda v: -v ** 3, np.sin]),
    normal(6))
add(np.piecewise, lambda x: np.piecewise(x, [x < 0], [0.5, lambda v: v * 2]), normal(2, 3),
    label="constant, otherwise")
add(np.piecewise, lambda x: np.piecewise(x, x > 0, [np.exp]), normal(), label="0-d")
_XP = np.array([-1.0, 0.0, 0.5, 2.0])
_FP = np.array([0.0, 1.0, -1.0, 2.0])
add(np.interp, lambda x: np.interp(x, _XP, _FP), uniform(-0.9, 1.9, 5), label="in x")
add(np.interp, lambda fp: np.interp(np.array([-2.0, 0.2, 0.7, 3.0]), _XP, fp), normal(4),
    label="in fp")
add(np.interp, lambda x, fp, lo: np.interp(x, _XP, fp, left=lo), uniform(-1.5, 2.5, 2, 3),
    normal(4), normal(), label="x fp left")
add(np.interp, lambda xp: np.interp(np.array([0.2, 0.7]), xp, _FP), _increasing(4, 0.3, 0.6),
    label="in xp")
add(np.interp, lambda x: np.interp(x, np.array([0.5, 2.0, 1.0]), np.array([0.0, 1.0, -1.0]),
                                   period=2.5), uniform(-3, 3, 5), label="period")
add(np.interp, lambda x: np.interp(x, _XP, _FP), np.array([-1.0, 0.0, 0.5, 2.0]),
    label="at the knots", kind="kink")
add(np.linspace, lambda a, b: np.linspace(a, b, 5), normal(), normal())
add(np.linspace, lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1), normal(2),
    normal(2), label="vector ends, axis")
add(np.linspace, lambda a, b: np.linspace(a, b, 3, retstep=True), normal(), normal(),
    label="retstep")
add(np.linspace, lambda a, b: np.linspace(a, b, 1), normal(), normal(), label="num=1")
add(np.logspace, lambda a, b: np.logspace(a, b, 4), uniform(0, 1), uniform(1, 2))
add(np.logspace, lambda a, b, base: np.logspace(a, b, 3, base=base), uniform(0, 1),
    uniform(1, 2), uniform(1.5, 3, 2), label="traced base")
add(np.geomspace, lambda a, b: np.geomspace(a, b, 4), uniform(0.5, 2), uniform(3, 5))
add(np.geomspace, lambda a, b: np.geomspace(a, b, 3, endpoint=False, axis=1),
    -uniform(0.5, 2, 2), -uniform(3, 5, 2), label="negative, axis")

# Derivative zero: traced inputs give plain outputs.
for _fn, _call in {np.argpartition: lambda x: np.argpartition(x, 1, axis=None),
                   np.nanargmax: lambda x: np.nanargmax(_nan_at(x), axis=1),
                   np.nanargmin: lambda x: np.nanargmin(_nan_at(x))}.items():
    add(_fn, _call, normal(2, 3))

# --- numpy.linalg.qr and lstsq (dfdx.rules.linalg_qr) -----------------------------------

from dfdx.rules import linalg_qr  # noqa: E402

add(np.linalg.qr, lambda x: tuple(np.linalg.qr(x)), normal(4, 3), label="tall")
add(np.linalg.qr, lambda x: tuple(np.linalg.qr(x)), normal(3, 3), label="square")
add(np.linalg.qr, lambda x: tuple(np.linalg.qr(x)), normal(2, 4), label="wide")
add(np.linalg.qr, lambda x: np.linalg.qr(x, mode="r"), normal(2, 4, 3), label="batch, R only")
add(np.linalg.qr, lambda x: tuple(np.linalg.qr(x, mode="complete")), normal(2, 3),
    label="complete, wide")
add(linalg_qr._qr, lambda x: linalg_qr.qr_prim(x)[0], normal(3, 2), label="Q only")
add(linalg_qr._qr, lambda x: linalg_qr.qr_prim(x)[1], normal(3, 2), label="R only")
# (not at a triangular matrix: there LAPACK's sign choice jumps, see linalg_qr's docstring)
add(np.linalg.qr, lambda x: tuple(np.linalg.qr(x)), np.array([[0.6, -0.8], [0.8, 0.6]]),
    label="a rotation", kind="special")
add(np.linalg.qr, lambda x: tuple(np.linalg.qr(x)), np.array([[1.0, 0.0], [1.0, 1.0], [1.0, -1.0]]),
    label="zeros and ones", kind="special")
add(np.linalg.lstsq, lambda a, b: np.linalg.lstsq(a, b)[:2], normal(5, 3), normal(5, 2),
    label="tall: solution, residuals")
add(np.linalg.lstsq, lambda a, b: np.linalg.lstsq(a, b)[0], normal(2, 4), normal(2),
    label="wide, vector b")
add(np.linalg.lstsq, lambda a, b: (np.linalg.lstsq(a, b, rcond=None)[0],
                                   np.linalg.lstsq(a, b)[3]), normal(3, 3), normal(3),
    label="square, singular values")
add(linalg_qr._lstsq_x, lambda a, b: linalg_qr.lstsq_x(a, b), normal(4, 2), normal(4, 1))
add(np.linalg.lstsq, lambda a, b: np.linalg.lstsq(a, b)[:2], np.array([[1.0, 0.0], [0.0, 1.0],
                                                                      [1.0, 1.0]]),
    np.array([1.0, 2.0, 3.0]), label="exact fit (residual 0)", kind="special")

# --- beyond issue 12's list (dfdx.rules.numpy_more, linalg_qr) -----------------------------

add(np.broadcast_arrays, lambda x, y: np.broadcast_arrays(x, y), normal(3), normal(2, 1))
add(np.cumulative_sum, lambda x: np.cumulative_sum(x, axis=0, include_initial=True),
    normal(3, 2))
add(np.cumulative_sum, np.cumulative_sum, normal(4), label="1-d")
add(np.cumulative_prod, lambda x: np.cumulative_prod(x, include_initial=True), normal(4))
add(np.linalg.cross, np.linalg.cross, normal(2, 3), normal(3))
add(np.vander, lambda x: np.vander(x, 4), normal(3))
add(np.vander, lambda x: np.vander(x, increasing=True), normal(3), label="increasing")
add(np.bincount, lambda w: np.bincount(np.array([0, 1, 1, 3]), weights=w, minlength=6),
    normal(4))
add(np.apply_along_axis, lambda x: np.apply_along_axis(np.cumsum, 0, x), normal(3, 2))
add(np.apply_along_axis, lambda x: np.apply_along_axis(lambda v: np.sum(v ** 2), 1, x),
    normal(2, 3), label="scalar result")
add(np.resize, lambda x: np.resize(x, (2, 5)), normal(3))
add(np.real_if_close, lambda x: np.real_if_close(x + 0j), normal(3))
add(np.real_if_close, np.real_if_close, normal(3), label="real")
add(np.nan_to_num, lambda x: np.nan_to_num(np.where(x > 0.5, np.nan, x), nan=-1.0), normal(5))
add(np.nan_to_num, lambda x: np.nan_to_num(x + np.array([np.inf, 0.0, -np.inf]), posinf=2.0,
                                           neginf=-3.0),
    normal(3), label="infinities")
add(np.sinc, np.sinc, normal(4))
add(np.sinc, np.sinc, np.array([0.0, 1.0, -1.0, 0.5]), label="0, 1, -1", kind="special")
add(np.i0, np.i0, normal(4))
add(np.unwrap, np.unwrap, uniform(-3, 3, 6))
add(np.unwrap, lambda x: np.unwrap(x, period=1.0, axis=0), uniform(-1, 1, 4, 2),
    label="period axis")
add(np.polyder, lambda p: np.polyder(p, 2), normal(4))
add(np.polyint, lambda p, k: np.polyint(p, 2, k=k), normal(3), normal(2))
add(np.polyfit, lambda x, y: np.polyfit(x, y, 2), _increasing(5), normal(5))
add(np.polyfit, lambda y, w: np.polyfit(np.arange(5.0), y, 1, w=w), normal(5, 2),
    uniform(0.5, 2, 5), label="2-d y, weights")
add(np.roots, lambda p: np.real(np.roots(p)), draw(lambda rng: np.poly(rng.uniform(1, 3, 3))),
    label="real distinct roots")
add(np.roots, lambda p: np.sort(np.real(np.roots(p))), np.array([1.0, 0.0, -1.0]),
    label="roots 1, -1", kind="special")
add(np.sort_complex, lambda x: np.real(np.sort_complex(x)), normal(4))
add(np.diagflat, lambda x: np.diagflat(x, 1), normal(2, 2))
add(np.cov, np.cov, normal(3, 5))
add(np.cov, lambda x, y: np.cov(x, y, rowvar=False, ddof=0), normal(5, 2), normal(5),
    label="y rowvar=False ddof=0")
add(np.cov, lambda x, w: np.cov(x, aweights=w, fweights=np.array([1, 2, 1, 1])), normal(2, 4),
    uniform(0.5, 2, 4), label="weights")
add(np.corrcoef, np.corrcoef, normal(3, 5))
add(np.corrcoef, lambda x, y: np.corrcoef(x, y), normal(4), normal(4), label="x and y")
add(np.lexsort, lambda x: x[np.lexsort((x, np.round(x)))], normal(5))
add(np.linalg.cond, np.linalg.cond, normal(3, 3))
add(np.linalg.cond, lambda x: np.linalg.cond(x, "fro"), normal(2, 3, 3) + 3 * np.eye(3),
    label="fro, batch")
add(np.linalg.cond, lambda x: np.linalg.cond(x, -2), normal(3, 3), label="p=-2")
add(np.linalg.tensorsolve, np.linalg.tensorsolve, normal(2, 3, 6) + 0, normal(2, 3))
add(np.linalg.tensorinv, lambda a: np.linalg.tensorinv(a, ind=1), normal(4, 2, 2))

for _fn, _call in {np.fix: np.fix, np.isin: lambda x: np.isin(x, np.array([0.0])),
                   np.linalg.matrix_rank: lambda x: np.linalg.matrix_rank(x),
                   np.iscomplex: np.iscomplex, np.isreal: np.isreal,
                   np.isposinf: np.isposinf, np.isneginf: np.isneginf}.items():
    add(_fn, _call, normal(2, 3))
