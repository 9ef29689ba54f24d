"""Linear algebra: products (matmul, dot, ...) and numpy.linalg."""

import numpy as np

from dfdx._numpy.registry import defcomposite, defrule, shape_of, unbroadcast


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _matmul_vjp_x(g, ans, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) == 1:                                   # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(np.expand_dims(g, -1) * y, x) if xs else g * y
    if len(xs) == 1:                                   # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(np.matmul(y, np.expand_dims(g, -1))[..., 0], x)
    return unbroadcast(np.matmul(g, _mT(y)), x)


def _matmul_vjp_y(g, ans, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1:                                   # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), y) if len(ys) > 1 \
            else g * x
    if len(ys) == 1:                                   # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(np.matmul(np.expand_dims(g, -2), x)[..., 0, :], y)
    return unbroadcast(np.matmul(_mT(x), g), y)


matmul = defrule(
    np.matmul,
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
    jvp=(lambda t, ans, x, y: matmul(t, y), lambda t, ans, x, y: matmul(x, t)))


def dot(a, b, out=None):
    if not shape_of(a) or not shape_of(b):
        return np.multiply(a, b)
    if len(shape_of(b)) > 2:
        return np.tensordot(a, b, axes=([-1], [-2]))
    return matmul(a, b)


defcomposite(np.dot, dot)
