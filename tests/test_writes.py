"""Writing into traced arrays: y[i] = v, y[1:] *= 2, y[mask] = 0, out=, fill, put, copyto.

Each function that writes is checked against the same function written functionally
(np.where / np.concatenate, no writes) and against finite differences, in both modes and at
second order, nested transforms included. Also: aliasing (views are refused, names bound to
the same array see the write), the error for writing a traced value into a plain array,
and that the caller's arrays are never changed.
"""

import traceback

import numpy as np
import pytest

import dfdx
from dfdx._numpy.scatter import Scatter

X = np.array([0.7, -1.3, 0.4, 1.1])


def _close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol)


def _numeric_grad(f, x):
    return dfdx.numeric.gradient(f, x).value


def _numeric_hessian(f, x):
    return dfdx.numeric.hessian(f, x).value


# --- pairs: a function that writes, and the same function without writes ---------------

def w_item(x):
    y = np.zeros_like(x)
    y[0] = x[1] ** 2
    y[2] = np.sin(x[3])
    return np.sum(y * x)


def f_item(x):
    y = np.stack([x[1] ** 2, 0 * x[0], np.sin(x[3]), 0 * x[0]])
    return np.sum(y * x)


def w_slices(x):
    y = x.copy()
    y[1:] *= 2.0
    y[:2] += x[2:] ** 2
    return np.sum(y ** 3)


def f_slices(x):
    y = np.concatenate([x[:1], 2.0 * x[1:]])
    y = np.concatenate([y[:2] + x[2:] ** 2, y[2:]])
    return np.sum(y ** 3)


def w_mask(x):
    y = x.copy()
    y[x < 0] = 0.5 * x[x < 0] ** 2
    return np.sum(np.exp(y) * x)


def f_mask(x):
    y = np.where(x < 0, 0.5 * x ** 2, x)
    return np.sum(np.exp(y) * x)


def w_loop(x):
    y = np.zeros(x.shape[0], like=x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = np.tanh(y[i - 1]) * x[i] + x[i - 1]
    return np.sum(y ** 2)


def f_loop(x):
    ys = [x[0]]
    for i in range(1, x.shape[0]):
        ys.append(np.tanh(ys[-1]) * x[i] + x[i - 1])
    return np.sum(np.stack(ys) ** 2)


def w_same_element(x):
    y = x.copy()
    y[1] = x[0] * x[2]
    y[1] = y[1] * y[1] + x[3]      # read, then write the same element again
    y[1] += 1.0
    return np.sum(y * x)


def f_same_element(x):
    y1 = (x[0] * x[2]) ** 2 + x[3] + 1.0
    y = np.stack([x[0], y1, x[2], x[3]])
    return np.sum(y * x)


def w_fancy(x):
    y = np.ones_like(x)
    y[[0, 3, 0]] = x[1:] ** 2       # index 0 twice: the last value stays (x[3]**2)
    return np.sum(y * np.cos(x))


def f_fancy(x):
    y = np.stack([x[3] ** 2, 1 + 0 * x[0], 1 + 0 * x[0], x[2] ** 2])
    return np.sum(y * np.cos(x))


def w_out_fill(x):
    y = np.empty_like(x)
    y.fill(2.0)
    np.multiply(x, y, out=y)
    np.add(y, x ** 2, out=y, where=np.array([True, False, True, False]))
    return np.sum(np.sin(y))


def f_out_fill(x):
    y = 2.0 * x
    y = np.where(np.array([True, False, True, False]), y + x ** 2, y)
    return np.sum(np.sin(y))


def w_numpy_writers(x):
    y = np.zeros((2, 2), like=x)
    np.fill_diagonal(y, x[:2])
    np.put(y, [1], x[2])
    z = np.full_like(x, x[3])
    np.copyto(z, x * 2, where=np.array([False, True, False, True]))
    np.put_along_axis(y, np.array([[0], [0]]), x[1:3, None] ** 2, axis=1)
    return np.sum(y ** 2) + np.sum(z * x)


def f_numpy_writers(x):
    y = np.stack([np.stack([x[1] ** 2, x[2]]), np.stack([x[2] ** 2, x[1]])])
    z = np.where(np.array([False, True, False, True]), x * 2, x[3])
    return np.sum(y ** 2) + np.sum(z * x)


def w_2d_rows(x):
    y = np.zeros((3, 2), like=x)
    for i in range(3):
        y[i, :] += x[i:i + 2] * (i + 1)
        y[i] *= x[i]
    return np.sum(y ** 2)


def f_2d_rows(x):
    y = np.stack([x[i:i + 2] * (i + 1) * x[i] for i in range(3)])
    return np.sum(y ** 2)


PAIRS = [(w_item, f_item), (w_slices, f_slices), (w_mask, f_mask), (w_loop, f_loop),
         (w_same_element, f_same_element), (w_fancy, f_fancy), (w_out_fill, f_out_fill),
         (w_numpy_writers, f_numpy_writers), (w_2d_rows, f_2d_rows)]
IDS = [w.__name__ for w, _ in PAIRS]


@pytest.mark.parametrize("w, f", PAIRS, ids=IDS)
def test_value_and_first_derivatives_match_the_functional_form(w, f):
    _close(w(X), f(X), 1e-12)
    g = dfdx.grad(w)(X)
    _close(g, dfdx.grad(f)(X), 1e-10)
    _close(g, _numeric_grad(f, X), 1e-6)
    u = np.array([0.3, -0.2, 0.5, 0.1])
    _, t = dfdx.jvp(w, (X,), (u,))
    _close(t, g @ u, 1e-10)


@pytest.mark.parametrize("w, f", PAIRS, ids=IDS)
def test_second_derivatives_every_nesting(w, f):
    want = _numeric_hessian(f, X)
    _close(dfdx.hessian(f)(X), want, 1e-5)
    for how in (dfdx.hessian(w), dfdx.jacfwd(dfdx.jacrev(w)), dfdx.jacrev(dfdx.jacrev(w)),
                dfdx.jacfwd(dfdx.jacfwd(w)), dfdx.jacrev(dfdx.grad(w))):
        _close(how(X), want, 1e-5)
    u = np.array([0.3, -0.2, 0.5, 0.1])
    _close(dfdx.hvp(w, (X,), (u,)), want @ u, 1e-5)


@pytest.mark.parametrize("w, f", PAIRS[:5], ids=IDS[:5])
def test_check_grad_order_two(w, f):
    dfdx.check_grad(w, X, order=2)


def test_third_derivative_of_a_loop_of_writes():
    def w(x):
        y = np.zeros(3, like=x)
        y[0] = x
        for i in range(1, 3):
            y[i] = y[i - 1] * x
        return np.sum(y)            # x + x**2 + x**3

    d3 = dfdx.grad(dfdx.grad(dfdx.grad(w)))(0.7)
    _close(d3, 6.0, 1e-10)
    _close(dfdx.grad(dfdx.grad(w))(0.7), 2 + 6 * 0.7, 1e-10)


# --- the outer box rebound under an inner trace (a silent wrong answer to avoid) --------

def test_writing_an_outer_box_while_an_inner_trace_holds_it():
    # `y` is a traced array of the outer grad; the inner grad's tape records it as an
    # argument (z * y), then the inner function writes into y. The inner tape must keep
    # the value y had when it was recorded.
    def outer(x):
        y = x * 1.0

        def inner(z):
            w = z * y               # recorded with y as it is now
            y[0] = 10.0 * y[0]      # then y changes
            return np.sum(w * z) + np.sum(y * z)

        return np.sum(dfdx.grad(inner)(x) * x)

    def outer_functional(x):
        y0 = x * 1.0
        y1 = np.concatenate([10.0 * y0[:1], y0[1:]])
        return np.sum((2 * x * y0 + y1) * x)

    value, g = dfdx.value_and_grad(outer)(X)      # y is traced by the outer grad
    _close(value, outer_functional(X), 1e-12)
    _close(g, dfdx.grad(outer_functional)(X), 1e-10)
    _close(g, _numeric_grad(outer_functional, X), 1e-6)
    _close(dfdx.hessian(outer)(X), _numeric_hessian(outer_functional, X), 1e-5)


def test_jvp_inside_grad_writes_into_an_outer_box():
    def outer(x):
        y = x.copy()

        def inner(z):
            w = np.sin(z) * y
            y[1:] = y[1:] * z[1:]
            return w + y

        _, t = dfdx.jvp(inner, (x,), (np.ones_like(X),))
        return np.sum(t ** 2)

    def outer_functional(x):
        y0 = x
        # d/dz [sin(z) * y0 + concat(y0[:1], y0[1:] * z[1:])] along ones, at z = x
        t = np.cos(x) * y0 + np.concatenate([0 * x[:1], y0[1:]])
        return np.sum(t ** 2)

    value, g = dfdx.value_and_grad(outer)(X)
    _close(value, outer_functional(X), 1e-12)
    _close(g, _numeric_grad(outer_functional, X), 1e-6)
    _close(g, dfdx.grad(outer_functional)(X), 1e-10)


def test_nested_grad_of_a_function_that_writes_its_argument():
    def f(x):
        x[0] = x[0] ** 3        # writes into the traced argument itself
        x *= 2.0
        return np.sum(x ** 2)

    def f_functional(x):
        y = 2.0 * np.concatenate([x[:1] ** 3, x[1:]])
        return np.sum(y ** 2)

    x = X.copy()
    _close(dfdx.grad(f)(x), dfdx.grad(f_functional)(X), 1e-10)
    _close(dfdx.hessian(f)(x), _numeric_hessian(f_functional, X), 1e-5)
    _close(dfdx.grad(lambda v: np.sum(dfdx.grad(f)(v) ** 2))(x),
           _numeric_grad(lambda v: np.sum(dfdx.grad(f_functional)(v) ** 2), X), 1e-5)
    np.testing.assert_array_equal(x, X)     # the caller's array is never written


def test_the_callers_arrays_are_not_written():
    x = X.copy()
    dfdx.grad(w_slices)(x)
    dfdx.jvp(w_slices, (x,), (np.ones(4),))
    dfdx.hessian(w_out_fill)(x)
    np.testing.assert_array_equal(x, X)


# --- semantics ----------------------------------------------------------------------

def test_a_name_bound_to_the_same_array_sees_the_write():
    def f(x):
        y = x.copy()
        alias = y
        y[0] = 5.0
        y += x
        return alias

    out = dfdx.jacfwd(f)(X)
    _close(out, np.diag([1.0, 2.0, 2.0, 2.0]), 1e-12)
    _close(dfdx.jacrev(f)(X), out, 1e-12)


def test_copy_is_not_an_alias():
    def f(x):
        y = x.copy()
        z = y.copy()
        z[0] = 0.0
        return np.sum(y) + 10 * np.sum(z)

    _close(dfdx.grad(f)(X), [1, 11, 11, 11], 1e-12)


def test_writing_through_a_view_is_refused_with_the_fix():
    def f(x):
        y = x.copy()
        v = y[1:]
        v[0] = 3.0
        return np.sum(y)

    for transform in (dfdx.grad(f), lambda x: dfdx.jvp(f, (x,), (x,))):
        with pytest.raises(dfdx.UnsupportedOperation, match=r"view of another one.*copy\(\)"):
            transform(X)

    def g(x):
        v = x.reshape(2, 2)
        v += 1.0        # a view's in-place operation: refused too
        return np.sum(v)

    with pytest.raises(dfdx.UnsupportedOperation, match="view"):
        dfdx.grad(g)(X)


def test_a_copy_of_a_view_may_be_written():
    def f(x):
        v = x.reshape(2, 2).copy()
        v[0, 1] = x[3] ** 2
        return np.sum(v * v)

    _close(dfdx.grad(f)(X), _numeric_grad(f, X), 1e-6)


@pytest.mark.parametrize("body", ["item", "slice", "copyto", "out", "augmented"])
def test_writing_a_traced_value_into_a_plain_array_names_the_fix(body):
    def f(x):
        y = np.zeros(4)
        if body == "item":
            y[0] = x[0]
        elif body == "slice":
            y[:2] = x[:2]
        elif body == "copyto":
            np.copyto(y, x)
        elif body == "augmented":
            y += x              # NumPy's y.__iadd__ writes into y: np.add(y, x, out=y)
        else:
            np.multiply(x, 2.0, out=y)
        return np.sum(y)

    with pytest.raises(dfdx.TracerConversionError) as info:
        dfdx.grad(f)(X)
    last = traceback.format_exception_only(info.type, info.value)[-1]
    assert last.startswith("dfdx._errors.TracerConversionError")    # the last line is dfdx's
    assert "np.zeros_like(x)" in last and "like=x" in last
    assert not isinstance(info.value.__context__, ValueError)


def test_a_list_of_traced_values_is_written_as_an_array():
    def f(x):
        y = np.zeros((2, 2), like=x)
        y[0] = [x[0], x[1] ** 2]
        y[1, :] = [x[2], 1.0]
        return np.sum(y * y)

    _close(dfdx.grad(f)(X), _numeric_grad(f, X), 1e-6)


def test_a_traced_array_still_iterates_and_reverses():
    # (its C-level sequence slot is cleared so that y[0] = box raises dfdx's error)
    def f(x):
        return sum(v * (i + 1) for i, v in enumerate(reversed(x))) + sum(x) + list(x)[0]

    _close(dfdx.grad(f)(X), [1 + 4 + 1, 1 + 3, 1 + 2, 1 + 1], 1e-12)


def test_integer_arrays_stay_plain_and_take_no_derivative():
    def f(x):
        k = np.zeros_like(x, dtype=int)
        k[0] = 3
        return np.sum(x * k)

    _close(dfdx.grad(f)(X), [3, 0, 0, 0], 1e-12)


def test_inplace_sort_and_partition():
    def f(x):
        y = x * 1.0
        y.sort()
        return y

    _close(dfdx.jacrev(f)(X), dfdx.jacrev(np.sort)(X), 1e-12)
    _close(dfdx.jacfwd(f)(X), dfdx.jacrev(np.sort)(X), 1e-12)


def test_taylor_mode_refuses_numpys_writers_by_name():
    def f(t):
        z = t * np.ones(2)
        np.copyto(z, t ** 2)
        return z

    with pytest.raises(dfdx.UnsupportedOperation, match="copyto writes into its argument"):
        dfdx.taylor(f, 0.5, 2)


def test_put_method_and_partition():
    def f(x):
        y = x * 1.0
        y.put([0, -1], x[1:3] ** 2)
        y.partition(2)
        return y

    _close(dfdx.jacrev(f)(X), dfdx.numeric.jacobian(f, X).value, 1e-6)
    _close(dfdx.jacfwd(f)(X), dfdx.jacrev(f)(X), 1e-12)


def test_writes_under_vmap_match_a_loop():
    def f(x):
        y = np.zeros((2, 3), like=x)
        y[:, [0, 2]] = x[:2, None] * x[None, 1:]
        y[0, [1, 1]] = x[[0, 2]]
        y[1] += 1.0
        return y

    xs = np.arange(6.0).reshape(2, 3) + 1.0
    want = np.stack([f(x) for x in xs])
    _close(dfdx.vmap(f)(xs), want, 1e-12)
    _close(dfdx.vmap(dfdx.jacrev(f))(xs), np.stack([dfdx.jacrev(f)(x) for x in xs]), 1e-12)
    _close(dfdx.jacfwd(f)(xs[0]), dfdx.numeric.jacobian(f, xs[0]).value, 1e-6)


def test_a_written_array_returned_from_a_finished_trace_is_a_plain_value():
    kept = []

    def f(x):
        y = x.copy()
        y[0] = x[1]
        kept.append(y)
        return np.sum(y)

    dfdx.grad(f)(X)
    y = kept[0]
    y[1] = 100.0                    # after the trace: a plain write
    np.testing.assert_allclose(np.asarray(y), [X[1], 100.0, X[2], X[3]])


# --- cost: a loop of writes is linear (the lazy cotangents, the in-place writes) --------

def test_a_loop_of_writes_sweeps_lazily_and_writes_in_place():
    from dfdx._core import ReverseTrace
    import dfdx._numpy.box as box

    n = 50
    with ReverseTrace() as t:
        x = t.input(np.linspace(0.0, 1.0, n))
        y = np.zeros_like(x)
        where = []
        for i in range(n):
            y[i] = x[i] ** 2
            # why an address: holding the array would make it shared (and copied); a copy
            # is made while the old array lives, so it always has another address
            where.append(box._bottom(y).ctypes.data)
        assert len(set(where[1:])) == 1         # written in place from the second write on
        seen = []
        from dfdx.rules import writes
        sweep = writes.setitem.sweep_vjp

        def spy(g, *a, **k):
            seen.append(type(g))
            return sweep(g, *a, **k)

        writes.setitem.sweep_vjp = spy
        try:
            (g,) = t.backward([(np.sum(y), 1.0)], [x])
        finally:
            writes.setitem.sweep_vjp = sweep
    _close(g, 2 * np.linspace(0.0, 1.0, n), 1e-12)
    assert seen.count(Scatter) >= n - 1     # every write but the last got the lazy cotangent
