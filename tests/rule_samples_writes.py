"""Sample rows for writing into traced arrays (dfdx.rules.writes): the functional update
behind ``y[key] = v``, the traced constants written into, and NumPy's functions that write
into their argument. Imported at the end of rule_samples.py; each row draws from its own
generator (see rule_samples.Draw)."""

import numpy as np

from dfdx._numpy.box import _copy, _setitem
from rule_samples import add, normal


def _item(x, v):
    y = x.copy()
    y[1, 2] = v
    return y


def _slice_aug(x):
    y = x.copy()
    y[1:] *= 2.0
    y[0, ::2] += x[1, ::2] ** 2
    return y


def _mask(x):
    y = x.copy()
    m = np.array([[True, False, True], [False, True, False]])
    y[m] = np.sin(x[m])
    return y


def _fancy_repeated(x, v):
    y = np.zeros_like(x)
    y[[0, 2, 0]] = v          # index 0 twice: the last write stays
    return y * x


def _broadcast(x, v):
    y = x.copy()
    y[:, 1] = v               # a scalar over a column
    return y


def _loop(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + x[i] * y[i - 1]
    return y


def _repeated(x):
    y = x.copy()
    y[1] = x[0] * 2.0
    y[1] = y[1] * x[2]        # a second write to the same element
    return y


def _advanced_separated(x, v):
    y = x.copy()
    y[[0, 1], :, [1, 0]] = v  # separated advanced indices: their axis comes first
    return y


add(_setitem, _item, normal(2, 3), normal(), label="item")
add(_setitem, _slice_aug, normal(2, 3), label="slices, augmented")
add(_setitem, _mask, normal(2, 3), label="boolean mask")
add(_setitem, _fancy_repeated, normal(3), normal(3), label="fancy, repeated index")
add(_setitem, _broadcast, normal(2, 3), normal(), label="broadcast value")
add(_setitem, _loop, normal(4), label="loop, reads the array back")
add(_setitem, _repeated, normal(3), label="same element twice")
add(_setitem, _advanced_separated, normal(2, 2, 2), normal(2, 2), label="separated advanced")
add(_setitem, _item, normal(2, 3, dtype=np.float32), normal(dtype=np.float32), label="float32")
add(_setitem, lambda x: _setitem(x, (0, slice(None)), x[1] * 3.0), normal(2, 3),
    label="called directly")
add(_copy, lambda x: x[1:].copy(), normal(3), label="copy of a view")
add(_setitem, lambda x: _item(np.copy(x), x[0, 0]), normal(2, 3), label="into np.copy(x)")


def _out(x, y):
    z = np.zeros_like(x)
    np.multiply(x, y, out=z)
    np.add(z, 1.0, out=z, where=np.array([True, False, True]))
    return z


# writes into the traced constants are _setitem rows: other transforms refuse writes by it
add(_setitem, lambda x: _item(np.zeros_like(x), x[0, 1] ** 2) + x, normal(2, 3),
    label="into np.zeros_like(x)")
add(_setitem, lambda x: _item(np.ones_like(x), np.exp(x[0, 0])), normal(2, 3),
    label="into np.ones_like(x)")
add(_setitem, lambda x: _item(np.empty_like(x) * 0 + x, x[1, 1]), normal(2, 3),
    label="into np.empty_like(x)")
add(_setitem, _out, normal(3), normal(3), label="ufunc out=")
add(np.zeros_like, lambda x: np.zeros_like(x) + x, normal(2, 3))
add(np.ones_like, lambda x: np.ones_like(x) * x, normal(2, 3))
add(np.empty_like, lambda x: np.empty_like(x) * 0 + x, normal(2, 3))
add(np.full_like, lambda x: np.full_like(x, 2.0) * x, normal(3), label="constant fill")
add(np.full_like, lambda x, v: np.full_like(x, v) * x, normal(3), normal(),
    label="traced fill")
add(np.zeros, lambda x: _item(np.zeros((2, 3), like=x), x[0] * x[1]), normal(2),
    label="like=")
add(np.empty, lambda x: _item(np.empty((2, 3), like=x) * 0, np.sin(x[0])), normal(2),
    label="like=")
add(np.ones, lambda x: np.ones(3, like=x) * x, normal(3), label="like=")
add(np.full, lambda x, v: np.full(3, v, like=x) * x, normal(3), normal(), label="like=, traced")


def _copyto(x, y):
    z = x.copy()
    np.copyto(z, y ** 2, where=np.array([True, False, True]))
    return z


def _put(x, v):
    z = x.copy()
    np.put(z, [0, 4, -1], v)          # v shorter than the indices: repeated
    return z


def _put_along(x, v):
    z = x.copy()
    np.put_along_axis(z, np.array([[1], [0]]), v, axis=1)
    return z


def _fill_diagonal(x, v):
    z = x.copy()
    np.fill_diagonal(z, v)
    return z


add(np.copyto, _copyto, normal(3), normal(3))
add(np.put, _put, normal(2, 3), normal(2))
add(np.put_along_axis, _put_along, normal(2, 3), normal(2, 1))
add(np.fill_diagonal, _fill_diagonal, normal(3, 3), normal(3))
add(np.fill_diagonal, lambda x, v: _fill_diagonal(x, v), normal(5, 2), normal(),
    label="tall, scalar")
