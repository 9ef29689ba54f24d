"""Sample rows for the rest of NumPy (issue 12): dfdx.rules.numpy_more and the additions to
the shape, reduction and sorting rules. Imported at the end of rule_samples.py; each row
draws from its own generator (see rule_samples.Draw)."""

import numpy as np

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

# Derivative zero: traced inputs give plain outputs.
for _fn, _call in {np.argpartition: lambda x: np.argpartition(x, 1, axis=None),
                   np.nanargmax: lambda x: np.nanargmax(_nan_at(x), axis=1),
                   np.nanargmin: lambda x: np.nanargmin(_nan_at(x))}.items():
    add(_fn, _call, normal(2, 3))
