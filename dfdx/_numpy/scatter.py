"""Lazy cotangents for a first-order backward sweep: pieces scattered into a zero array.

why: in a loop of writes (``y[i] = f(x[i])``) or reads (``x[i]``) each step's cotangent is
an array of the full size with a few nonzero elements. Made dense, a loop of n steps on
an array of n elements costs O(n**2). A `Scatter` keeps the pieces (and, once a write's
rule needs one, a dense array the sweep alone owns, changed in place), so each step
costs O(1) and the array is made once.

Only `ReverseTrace.backward` sees these (through `Primitive.sweep_vjp` rules); the engine
makes them dense (`dense()`) before any other rule reads them and before returning them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Scatter", "is_basic", "owned_dense"]


def is_basic(key):
    """Whether `key` is basic indexing (integers, slices, None, Ellipsis): no repeats."""
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) for k in keys)


class Scatter:
    """A cotangent of `shape`: `base` (an array the sweep owns, or None for zeros) plus
    the pieces ``(key, values)`` added at their indices."""

    __slots__ = ("shape", "base", "pieces")
    __array_ufunc__ = None      # why: ndarray + Scatter defers to Scatter.__radd__

    def __init__(self, shape, base=None, pieces=None):
        self.shape = tuple(shape)
        self.base = base
        self.pieces = pieces if pieces is not None else []

    def __repr__(self):
        return f"Scatter(shape={self.shape}, dense={self.base is not None}, " \
               f"pieces={len(self.pieces)})"

    def dense(self):
        """The cotangent as an array (the pieces added in place into `base`, or zeros)."""
        base = self.base
        pieces = self.pieces
        if base is None or any(np.result_type(base, v) != base.dtype for _, v in pieces):
            dt = np.result_type(*([base] if base is not None else []), *(v for _, v in pieces))
            new = np.zeros(self.shape, dt)
            if base is not None:
                new += base
            base = new
        for key, v in pieces:
            if is_basic(key):
                base[key] += v
            else:
                np.add.at(base, key, v)   # why: repeated indices add up
        self.base, self.pieces = base, []
        return base

    def __add__(self, other):
        # why: a Scatter belongs to one node's slot, so adding into it in place is safe
        if other is None:
            return self
        if type(other) is Scatter:
            if len(other.pieces) > len(self.pieces):
                self, other = other, self   # why: extend the longer list (O(1) a piece)
            if other.base is not None:
                if self.base is None:
                    self.base = other.base
                elif np.result_type(self.base, other.base) == self.base.dtype:
                    self.base += other.base
                else:
                    self.base = self.base + other.base
            self.pieces.extend(other.pieces)
            return self
        if not isinstance(other, (np.ndarray, np.generic, int, float, complex)):
            return self.dense() + other   # why: a traced cotangent (a higher derivative)
        if self.base is None:
            self.base = np.array(other, dtype=np.result_type(other), copy=True) \
                if np.shape(other) == self.shape else np.zeros(self.shape) + other
        elif np.result_type(self.base, other) != self.base.dtype or \
                np.shape(self.base) != self.shape:
            self.base = self.base + other
        else:
            self.base += other
        return self

    __radd__ = __add__


def owned_dense(g):
    """An array equal to cotangent `g` that the caller may change in place."""
    if type(g) is Scatter:
        if g.base is not None and not g.pieces:
            return g.base
        return g.dense()
    return np.array(g, copy=True)
