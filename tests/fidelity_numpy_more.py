"""test_numpy_fidelity's TABLE entries for the rest of NumPy (issue 12): every keyword of
each function dfdx.rules.numpy_more, linalg_qr and the additions to the shape, reduction
and sorting rules register, with representative values (Refuse: dfdx refuses it)."""

import numpy as np


def entries(ns):
    """The entries, built from test_numpy_fidelity's namespace `ns` (its Entry, Refuse, ...)."""
    Entry, Refuse, Lazy, _out, _f = ns["Entry"], ns["Refuse"], ns["Lazy"], ns["_out"], ns["_f"]
    A, B, V, M, SPD = ns["A"], ns["B"], ns["V"], ns["M"], ns["SPD"]
    MASK, MASK2, NANS = ns["MASK"], ns["MASK2"], ns["_NANS"]

    def nan(x):
        return np.where(NANS, np.nan, x)

    def nan_f(fn):
        return lambda x, **kw: fn(nan(x), **kw)

    red = {"axis": [0, 1, None, (0, 1)], "keepdims": [True, False], "out": [Refuse(_out(()))]}
    nan_red = {**red, "where": [MASK, MASK2]}
    var_kw = {**red, "dtype": [np.float32, Refuse(int)], "ddof": [1], "where": [MASK, MASK2],
              "mean": [np.nanmean(nan(A), axis=None, keepdims=True)], "correction": [1]}
    idx = np.array([0, 2, 2, 5])
    x4 = np.array([0.1, 0.7, 1.3, 2.0])
    T = {
        # shape
        np.diff: Entry(_f(np.diff), (A,), ("a",), {
            "n": [0, 1, 2], "axis": [0, -1], "prepend": [0.5, np.ones((2, 1))],
            "append": [A[:, :1], 2.0]}),
        np.ediff1d: Entry(_f(np.ediff1d), (A,), ("ary",), {
            "to_end": [[1.0, 2.0], 3.0], "to_begin": [A[0], Refuse(np.array([1 + 1j]))]}),
        np.append: Entry(lambda x, y, **kw: np.append(x, y, **kw), (A, B), ("arr", "values"),
                         {"axis": [0, 1, None]}),
        np.insert: Entry(lambda x, y, **kw: np.insert(x, [0, 2, 2], y[:, :1], **kw), (A, B),
                         ("arr", "obj", "values"), {"axis": [1, None]}),
        np.delete: Entry(lambda x, **kw: np.delete(x, [0, 2], **kw), (A,), ("arr", "obj"),
                         {"axis": [1, None, -1]}),
        np.hsplit: Entry(lambda x: np.hsplit(x, 3), (A,), ("ary", "indices_or_sections"), {}),
        np.vsplit: Entry(lambda x: np.vsplit(x, [1]), (A,), ("ary", "indices_or_sections"), {}),
        np.dsplit: Entry(lambda x: np.dsplit(x[..., None] * x[:, :1, None], 1), (A,),
                         ("ary", "indices_or_sections"), {}),
        np.rot90: Entry(_f(np.rot90), (A,), ("m",), {"k": [1, 2, 3, -1], "axes": [(1, 0)]}),
        np.fliplr: Entry(np.fliplr, (A,), ("m",), {}),
        np.flipud: Entry(np.flipud, (A,), ("m",), {}),
        np.block: Entry(lambda x, y: np.block([[x, y], [y, x]]), (A, B), ("arrays",), {}),
        np.meshgrid: Entry(lambda x, y, **kw: np.meshgrid(x, y, **kw), (V, A[0]), (), {
            "copy": [True, False], "sparse": [True, False], "indexing": ["ij", "xy"]}),
        np.broadcast_arrays: Entry(lambda x, y, **kw: np.broadcast_arrays(x, y[:1], **kw),
                                   (A, B), (), {"subok": [True, False]}),
        np.resize: Entry(lambda x: np.resize(x, (3, 5)), (A,), ("a", "new_shape"), {}),
        np.diagflat: Entry(_f(np.diagflat), (V,), ("v",), {"k": [1, -2]}),
        np.vander: Entry(_f(np.vander), (V,), ("x",), {"N": [2, 5], "increasing": [True]}),
        # sorting
        np.partition: Entry(lambda x, **kw: np.partition(x, 1, **kw), (A,), ("a", "kth"), {
            "axis": [0, -1, None], "kind": ["introselect"], "order": [Refuse("x")]}),
        np.sort_complex: Entry(lambda x: np.real(np.sort_complex(x)), (V,), ("a",), {}),
        # reductions
        np.ptp: Entry(_f(np.ptp), (A,), ("a",), red),
        np.nansum: Entry(nan_f(np.nansum), (A,), ("a",), {
            **nan_red, "dtype": [np.float32, int], "initial": [1.5]}),
        np.nanprod: Entry(nan_f(np.nanprod), (A,), ("a",), {
            **nan_red, "dtype": [np.float32, int], "initial": [1.5]}),
        np.nanmean: Entry(nan_f(np.nanmean), (A,), ("a",), {**nan_red, "dtype": [np.float32]}),
        np.nanmax: Entry(nan_f(np.nanmax), (A,), ("a",), {
            **nan_red, "initial": [0.0, 5.0]}),
        np.nanmin: Entry(nan_f(np.nanmin), (A,), ("a",), {
            **nan_red, "initial": [0.0, -5.0]}),
        np.nanvar: Entry(nan_f(np.nanvar), (A,), ("a",), var_kw),
        np.nanstd: Entry(nan_f(np.nanstd), (A,), ("a",), var_kw),
        np.nancumsum: Entry(nan_f(np.nancumsum), (A,), ("a",), {
            "axis": [0, 1, None], "dtype": [np.float32, int], "out": [Refuse(_out(6))]}),
        np.nancumprod: Entry(nan_f(np.nancumprod), (A,), ("a",), {
            "axis": [0, 1, None], "dtype": [np.float32, int], "out": [Refuse(_out(6))]}),
        np.cumulative_sum: Entry(_f(np.cumulative_sum), (A,), ("x",), {
            "axis": [0, 1], "dtype": [np.float32, int], "out": [Refuse(_out((2, 3)))],
            "include_initial": [True]}),
        np.cumulative_prod: Entry(lambda x, **kw: np.cumulative_prod(x, **{"axis": 1, **kw}),
                                  (A,), ("x",), {
            "axis": [0, 1], "dtype": [np.float32, int], "out": [Refuse(_out((2, 3)))],
            "include_initial": [True]}),
        np.cov: Entry(_f(np.cov), (A,), ("m",), {
            "y": [B], "rowvar": [False], "bias": [True], "ddof": [0, 2],
            "fweights": [np.array([1, 2, 1])], "aweights": [np.array([0.5, 1.0, 2.0])],
            "dtype": [np.float32]}),
        np.corrcoef: Entry(_f(np.corrcoef), (A,), ("x",), {
            "y": [B], "rowvar": [False], "dtype": [np.float32]}),
        np.bincount: Entry(lambda w, **kw: np.bincount(idx, weights=w, **kw), (V,),
                           ("x", "weights"), {"minlength": [3, 8]}),
        # (NaN only: an infinity replaced by the largest float overflows the numeric side)
        np.nan_to_num: Entry(lambda x, **kw: np.nan_to_num(nan(x), **kw), (A,), ("x",), {
            "copy": [True, False], "nan": [1.5], "posinf": [9.0], "neginf": [-9.0]}),
        # numpy_more
        np.cross: Entry(lambda x, y, **kw: np.cross(x, y, **kw), (A, B), ("a", "b"), {
            "axisa": [-1, 1], "axisb": [-1, 1], "axisc": [0, -1], "axis": [1, -1]}),
        np.linalg.cross: Entry(lambda x, y, **kw: np.linalg.cross(x, y, **kw), (A, B),
                               ("x1", "x2"), {"axis": [-1, 1]}),
        np.gradient: Entry(lambda x, **kw: np.gradient(x, 0.5, **kw), (A,), ("f",), {
            "axis": [0, -1, None], "edge_order": [1, 2]}),
        np.trapezoid: Entry(_f(np.trapezoid), (A,), ("y",), {
            "x": [np.array([0.0, 0.3, 1.0]), A ** 2], "dx": [0.5], "axis": [0, -1]}),
        np.polyval: Entry(lambda p, x: np.polyval(p, x), (V, A), ("p", "x"), {}),
        np.polyder: Entry(_f(np.polyder), (V,), ("p",), {"m": [0, 1, 2]}),
        np.polyint: Entry(_f(np.polyint), (V,), ("p",), {"m": [0, 1, 2], "k": [[1.0, 2.0]]}),
        np.polyfit: Entry(lambda y, **kw: np.polyfit(x4, y, 2, **kw), (V,), ("x", "y", "deg"), {
            "rcond": [1e-10], "full": [True], "w": [np.array([1.0, 2.0, 0.5, 1.0])],
            "cov": [Refuse(True)]}),
        np.roots: Entry(lambda p: np.roots(p * np.array([1.0, 0.1, 0.1, 0.1]) + np.array(
            [0.0, -6.0, 11.0, -6.0])), (np.abs(V) + 1,), ("p",), {}),
        np.convolve: Entry(lambda x, y, **kw: np.convolve(x, y[:3], **kw), (V, V), ("a", "v"),
                           {"mode": ["full", "same", "valid"]}),
        np.correlate: Entry(lambda x, y, **kw: np.correlate(x, y[:3], **kw), (V, V),
                            ("a", "v"), {"mode": ["full", "same", "valid"]}),
        np.select: Entry(lambda x, y, **kw: np.select([x > 0, y > 0], [x, y ** 2], **kw),
                         (A, B), ("condlist", "choicelist"), {"default": [0, 1.5, B]}),
        np.piecewise: Entry(lambda x: np.piecewise(x, [x < 0], [np.sin, lambda v: v ** 2]),
                            (A,), ("x", "condlist", "funclist"), {}),
        np.interp: Entry(lambda x, **kw: np.interp(x, np.array([-1.0, 0.0, 0.7]),
                                                   np.array([1.0, -1.0, 2.0]), **kw),
                         (A,), ("x", "xp", "fp"), {
            "left": [0.5], "right": [-0.5], "period": [1.5]}),
        np.linspace: Entry(lambda a, b, **kw: np.linspace(a, b, **{"num": 5, **kw}),
                           (V[:2], B[0, :2]), ("start", "stop"), {
            "num": [1, 4], "endpoint": [False], "retstep": [True],
            "dtype": [np.float32, int], "axis": [1, -1], "device": ["cpu"]}),
        np.logspace: Entry(lambda a, b, **kw: np.logspace(a, b, **{"num": 4, **kw}),
                           (V[:2], B[0, :2]), ("start", "stop"), {
            "num": [3], "endpoint": [False], "base": [2.0, np.array([2.0, 3.0])],
            "dtype": [np.float32, int], "axis": [1]}),
        np.geomspace: Entry(lambda a, b, **kw: np.geomspace(a, b, **{"num": 4, **kw}),
                            (-np.abs(V[:2]) - 0.5, -np.abs(B[0, :2]) - 2.5), ("start", "stop"), {
            "num": [1, 3], "endpoint": [False], "dtype": [np.float32, int, complex],
            "axis": [1]}),
        np.unwrap: Entry(lambda x, **kw: np.unwrap(4 * x, **kw), (A,), ("p",), {
            "discont": [1.0, 5.0], "axis": [0, -1], "period": [1.0, 2.5]}),
        np.sinc: Entry(np.sinc, (A,), ("x",), {}),
        np.i0: Entry(np.i0, (A,), ("x",), {}),
        np.real_if_close: Entry(lambda x, **kw: np.real_if_close(x + 1e-14j, **kw), (A,), ("a",),
                                {"tol": [100, 1e-20]}),
        np.apply_along_axis: Entry(lambda x: np.apply_along_axis(np.cumsum, 1, x), (A,),
                                   ("func1d", "axis", "arr"), {}),
        # linalg_qr
        np.linalg.qr: Entry(lambda x, **kw: np.linalg.qr(x, **kw), (A.T,), ("a",), {
            "mode": ["reduced", "r", Refuse("complete"), Refuse("raw")]}),
        np.linalg.lstsq: Entry(lambda a, b, **kw: np.linalg.lstsq(a, b, **kw), (SPD, M),
                               ("a", "b"), {"rcond": [None, 1e-10]}),
        np.linalg.cond: Entry(_f(np.linalg.cond), (M,), ("x",), {
            "p": [None, 2, -2, "fro", 1, np.inf, "nuc"]}),
        np.linalg.tensorsolve: Entry(lambda a, b, **kw: np.linalg.tensorsolve(a, b, **kw),
                                     (np.kron(SPD, np.eye(2)).reshape(6, 2, 3), A),
                                     ("a", "b"), {"axes": [(0,)]}),
        np.linalg.tensorinv: Entry(lambda a, **kw: np.linalg.tensorinv(a, **kw),
                                   (np.kron(SPD, np.eye(2)).reshape(2, 3, 6),),
                                   ("a",), {"ind": [2]}),
        # derivative zero: plain values
        np.argpartition: Entry(lambda x, **kw: np.argpartition(x, 1, **kw), (A,), ("a", "kth"),
                               {"axis": [0, None], "kind": ["introselect"], "order": [None]},
                               grad=False),
        np.nanargmax: Entry(nan_f(np.nanargmax), (A,), ("a",), {
            "axis": [1], "out": [Lazy(lambda: np.empty(2, np.intp))], "keepdims": [True]},
            grad=False),
        np.nanargmin: Entry(nan_f(np.nanargmin), (A,), ("a",), {
            "axis": [1], "out": [Lazy(lambda: np.empty(2, np.intp))], "keepdims": [True]},
            grad=False),
        np.lexsort: Entry(lambda x, **kw: np.lexsort((x, np.round(x)), **kw), (A,), ("keys",),
                          {"axis": [0, -1]}, grad=False),
        np.fix: Entry(_f(np.fix), (A,), ("x",), {"out": [_out((2, 3))]}, grad=False),
        np.isposinf: Entry(_f(np.isposinf), (A,), ("x",), {
            "out": [Lazy(lambda: np.empty((2, 3), bool))]}, grad=False),
        np.isneginf: Entry(_f(np.isneginf), (A,), ("x",), {
            "out": [Lazy(lambda: np.empty((2, 3), bool))]}, grad=False),
        np.iscomplex: Entry(np.iscomplex, (A,), ("x",), {}, grad=False),
        np.isreal: Entry(np.isreal, (A,), ("x",), {}, grad=False),
        np.isin: Entry(lambda x, **kw: np.isin(x, A[0, :2], **kw), (A,),
                       ("element", "test_elements"), {
            "assume_unique": [True], "invert": [True], "kind": ["sort", None]}, grad=False),
        np.linalg.matrix_rank: Entry(_f(np.linalg.matrix_rank), (M,), ("A",), {
            "tol": [1e-3], "hermitian": [False], "rtol": [1e-3]}, grad=False),
    }
    return T
