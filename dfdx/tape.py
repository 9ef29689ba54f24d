"""GradientTape and Variable: the one stateful API, for people coming from TensorFlow.

A tape records the NumPy operations done on watched values inside its
``with`` block; ``tape.gradient(target, sources)`` then runs a backward sweep.
A `Variable` is watched by every tape that is recording when it is used.
Nest tapes for higher derivatives: the outer tape records the inner tape's
backward sweep.

Example:
    >>> import dfdx
    >>> x = dfdx.Variable(1.0)
    >>> with dfdx.GradientTape() as outer:
    ...     with dfdx.GradientTape() as inner:
    ...         y = 2*x**2 + 3*x + 1
    ...     dy = inner.gradient(y, x)
    >>> float(dy), float(outer.gradient(dy, x))
    (7.0, 4.0)
"""

from __future__ import annotations

import operator

import numpy as np

from dfdx._core import Box, ReverseTrace
from dfdx._errors import TapeError, TracerConversionError
from dfdx._numpy.box import getval
from dfdx._transform import as_input, float_dtype, match_input, zeros_like
from dfdx._tree import tree_flatten, tree_unflatten

__all__ = ["GradientTape", "Variable"]

_recording: list = []   # tapes inside their `with` block, outermost first


class GradientTape:
    """Record operations on watched values to differentiate them afterwards.

    Args:
        persistent: allow several `gradient` / `jacobian` calls (the tape is
            kept until the object is deleted). A non-persistent tape raises on
            its second use.
        watch_accessed_variables: watch every `Variable` used inside the block
            (True), or only those passed to `watch` (False).

    Example:
        >>> import numpy as np, dfdx
        >>> with dfdx.GradientTape() as tape:
        ...     x = tape.watch(np.array([1.0, 2.0]))
        ...     y = np.sum(x**2)
        >>> tape.gradient(y, x)
        array([2., 4.])
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._recorder = None
        self._vars = {}      # id(Variable) -> (Variable, box): the box of its current value
        self._reads = {}     # id(Variable) -> every box it had here (one per assigned value)
        self._plain = {}     # id(array) -> the array, for arrays watched without rebinding
        self._used = False

    def __enter__(self):
        if self._recorder is not None:
            raise TapeError("This GradientTape was already used in a `with` block. "
                            "Create a new GradientTape for each recording.")
        self._recorder = ReverseTrace()
        _recording.append(self)
        return self

    def __exit__(self, *exc):
        _recording.remove(self)
        self._recorder.close()
        return False

    @property
    def recording(self):
        """Whether the tape is inside its ``with`` block."""
        return self in _recording

    def _check_recording(self, who):
        if self._recorder is None:
            raise TapeError(f"GradientTape.{who} was called before the tape recorded anything. "
                            "Use it as `with dfdx.GradientTape() as tape: ...`.")

    def _lift(self, var, value):
        entry = self._vars.get(id(var))
        if entry is None:
            box = self._recorder.input(as_input(value))
            self._vars[id(var)] = (var, box)
            self._reads.setdefault(id(var), []).append(box)
            return box
        return entry[1]

    def _assigned(self, var):
        """`var` got a new value: the next read is a new leaf (the old reads still count)."""
        self._vars.pop(id(var), None)

    def watch(self, x):
        """Watch `x` and return the value to compute with.

        A `Variable` is returned unchanged (it is watched from now on). A plain
        array or number is returned as a traced value: compute with what
        `watch` returns (``x = tape.watch(x)``), since a NumPy array cannot be
        changed in place to record operations.
        """
        self._check_recording("watch")
        if isinstance(x, Variable):
            x._current()  # lift it through every recording tape
            if id(x) not in self._vars:
                self._lift(x, x._lifted_below(self))
            return x
        leaves, td = tree_flatten(x)
        out = []
        for v in leaves:
            if isinstance(v, Variable):
                self.watch(v)
                out.append(v)
                continue
            box = self._recorder.input(as_input(v))
            self._plain[id(v)] = v
            out.append(box)
        return tree_unflatten(td, out) if td.kind != "leaf" else out[0]

    def _rebind_hint(self):
        """The teaching line for an array watched without using what `watch` returned."""
        return ("tape.watch(x) of a NumPy array returns the value to compute with: write "
                "`x = tape.watch(x)` and compute with that x (an array cannot be changed in "
                "place to record operations; a dfdx.Variable can, and needs no rebinding)")

    def _source_box(self, s):
        if isinstance(s, Variable):
            entry = self._vars.get(id(s))
            return None if entry is None else entry[1]
        if isinstance(s, Box):
            return self._recorder.find(s)
        if id(s) in self._plain and self._plain[id(s)] is s:
            raise TapeError(f"GradientTape.gradient: this source is the array passed to "
                            f"tape.watch, not the value it returned. {self._rebind_hint()}.")
        raise TypeError(f"GradientTape sources must be Variables or values returned by "
                        f"tape.watch(...), not {type(s).__name__}.")

    def _start(self, who):
        self._check_recording(who)
        if self._used and not self.persistent:
            raise TapeError("A non-persistent GradientTape computes gradients only once. "
                            "Use dfdx.GradientTape(persistent=True) to call gradient() or "
                            "jacobian() several times.")
        self._used = True

    def _seeds(self, target, output_gradients, who):
        leaves, _ = tree_flatten(target)
        ogs = [None] * len(leaves) if output_gradients is None else tree_flatten(output_gradients)[0]
        seeds = []
        for t, og in zip(leaves, ogs):
            b = self._source_box(t) if isinstance(t, (Box, Variable)) else None
            if b is None:
                continue
            v = getval(b)
            seeds.append((b, np.ones(np.shape(v), float_dtype(v)) if og is None else og))
        if not seeds and self._plain:
            raise TapeError(f"GradientTape.{who}: the target was not computed from a watched "
                            f"value. {self._rebind_hint()}.")
        if not seeds:
            raise TapeError(
                f"GradientTape.{who}: the target was not computed from any watched value while "
                "this tape was recording, so it has no derivative to give. Compute the target "
                "inside the tape's `with` block. For a second derivative, nest two tapes: "
                "`with GradientTape() as t2: with GradientTape() as t1: y = f(x)` then "
                "`dy = t1.gradient(y, x)` inside t2's block, and `t2.gradient(dy, x)`.")
        return seeds

    def _sweep(self, seeds, sources):
        per_source = []
        for s in sources:
            boxes = self._reads.get(id(s), []) if isinstance(s, Variable) else []
            if not boxes:
                b = self._source_box(s)
                boxes = [] if b is None else [b]
            per_source.append(boxes)
        grads = iter(self._recorder.backward(seeds, [b for boxes in per_source for b in boxes]))
        out = []
        for s, boxes in zip(sources, per_source):
            # why: as in TensorFlow, a Variable's gradient sums over every value it held
            # while recording (it was assigned inside the tape); each read is one leaf
            gs = [g for g in (next(grads) for _ in boxes) if g is not None]
            if not boxes:
                out.append(zeros_like(s.value if isinstance(s, Variable) else s))
            elif not gs:
                out.append(zeros_like(boxes[-1]))
            else:
                total = gs[0]
                for g in gs[1:]:
                    total = total + g
                out.append(match_input(total, boxes[-1]))
        return out

    def gradient(self, target, sources, output_gradients=None):
        """Return d(sum of target)/d(source) for each source.

        Args:
            target: a value computed inside the ``with`` block (or a pytree of them;
                their sum is differentiated, as TensorFlow does).
            sources: a Variable, a watched value, or a pytree of them.
            output_gradients: optional cotangents for the targets (same structure).

        Returns:
            Gradients with the structure of `sources`; a source the target does
            not depend on gets zeros.

        Raises:
            TapeError: the tape is reused without persistent=True, or the target
                was not computed while this tape was recording.
        """
        self._start("gradient")
        seeds = self._seeds(target, output_gradients, "gradient")
        leaves, td = tree_flatten(sources)
        return tree_unflatten(td, self._sweep(seeds, leaves))

    def jacobian(self, target, sources):
        """Return the Jacobian of `target` w.r.t. each source, shape ``(*target.shape, *source.shape)``."""
        self._start("jacobian")
        b = self._source_box(target) if isinstance(target, (Box, Variable)) else None
        if b is None:
            self._seeds(target, None, "jacobian")   # raises the teaching error
        v = getval(b)
        shape = np.shape(v)
        n = int(np.prod(shape))
        leaves, td = tree_flatten(sources)
        rows = []
        for j in range(n):
            e = np.zeros(n, float_dtype(v))
            e[j] = 1
            rows.append(self._sweep([(b, e.reshape(shape))], leaves))
        out = []
        for k, s in enumerate(leaves):
            sshape = np.shape(getval(s.value if isinstance(s, Variable) else s))
            out.append(np.reshape(np.stack([r[k] for r in rows]), shape + sshape))
        return tree_unflatten(td, out)

    def reset(self):
        """Forget what was recorded (like TensorFlow's tape.reset())."""
        self._recorder = ReverseTrace()
        if not self.recording:
            self._recorder.close()
        self._vars.clear()
        self._reads.clear()
        self._plain.clear()
        self._used = False


_BINARY = {
    "__add__": operator.add, "__sub__": operator.sub, "__mul__": operator.mul,
    "__truediv__": operator.truediv, "__floordiv__": operator.floordiv, "__mod__": operator.mod,
    "__pow__": operator.pow, "__matmul__": operator.matmul,
    "__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt, "__ge__": operator.ge,
    "__eq__": operator.eq, "__ne__": operator.ne,
}


def _unwrap(x):
    return x._current() if isinstance(x, Variable) else x


class Variable:
    """A value that every recording `GradientTape` watches automatically.

    Args:
        value: a number or array (ints become floats).

    Attributes:
        value: the current (plain) value.

    Example:
        >>> import numpy as np, dfdx
        >>> x, y = dfdx.Variable(1.0), dfdx.Variable(2.0)
        >>> with dfdx.GradientTape() as tape:
        ...     z = x**2 + 3*y + np.exp(x*y)
        >>> fx, fy = tape.gradient(z, [x, y])
        >>> round(float(fx), 6), round(float(fy), 6)
        (16.778112, 10.389056)
    """

    __array_priority__ = 200.0

    def __init__(self, value):
        self.value = as_input(getval(value.value if isinstance(value, Variable) else value))

    def _lifted_below(self, tape):
        v = self.value
        for t in _recording:
            if t is tape:
                break
            if t.watch_accessed_variables or id(self) in t._vars:
                v = t._lift(self, v)
        return v

    def _current(self):
        v = self.value
        for t in _recording:
            if t.watch_accessed_variables or id(self) in t._vars:
                v = t._lift(self, v)
        return v

    def assign(self, value):
        """Set the value, like ``tf.Variable.assign``.

        Inside a recording tape, a read after the assignment sees the new value,
        and the assignment itself is not differentiated (as in TensorFlow): the
        gradient with respect to the Variable sums over the values it held.

        Example:
            >>> import dfdx
            >>> x = dfdx.Variable(1.0)
            >>> with dfdx.GradientTape() as tape:
            ...     a = x * 1.0
            ...     _ = x.assign(3.0)
            ...     y = a + x**2          # x is 3 here
            >>> float(y), float(tape.gradient(y, x))
            (10.0, 7.0)
        """
        self.value = as_input(getval(_unwrap(value)))
        for t in _recording:
            t._assigned(self)
        return self

    def assign_add(self, delta):
        """Add `delta` to the value."""
        return self.assign(self.value + getval(_unwrap(delta)))

    def assign_sub(self, delta):
        """Subtract `delta` from the value."""
        return self.assign(self.value - getval(_unwrap(delta)))

    def numpy(self):
        """The value as a NumPy array (or scalar)."""
        return self.value

    @property
    def shape(self):
        return np.shape(self.value)

    @property
    def dtype(self):
        return np.result_type(self.value)

    @property
    def ndim(self):
        return np.ndim(self.value)

    @property
    def T(self):
        return _unwrap(self).T

    def __repr__(self):
        return f"Variable({self.value!r})"

    def __float__(self):
        return float(self.value)

    def __array__(self, dtype=None, copy=None):
        if _recording:
            raise TracerConversionError(
                "np.asarray() was called on a Variable while a GradientTape is recording, "
                "which would drop its derivative. Compute with NumPy functions on the Variable "
                "itself (np.exp(x), x @ w), or use x.numpy() outside the tape.")
        return np.asarray(self.value, dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return getattr(ufunc, method)(*(_unwrap(x) for x in inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        def conv(a):
            if isinstance(a, (list, tuple)):
                return type(a)(conv(x) for x in a)
            return _unwrap(a)
        return func(*conv(args), **{k: conv(v) for k, v in kwargs.items()})

    def __getitem__(self, key):
        return _unwrap(self)[key]

    def __len__(self):
        return len(self.value)

    def __neg__(self):
        return -_unwrap(self)

    def __pos__(self):
        return _unwrap(self)

    def __abs__(self):
        return abs(_unwrap(self))

    def __bool__(self):
        return bool(np.all(self.value))

    __hash__ = object.__hash__


def _binary(op):
    def fwd(self, other):
        return op(_unwrap(self), _unwrap(other))

    def rev(self, other):
        return op(_unwrap(other), _unwrap(self))
    return fwd, rev


for _name, _op in _BINARY.items():
    _f, _r = _binary(_op)
    setattr(Variable, _name, _f)
    if _name not in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        setattr(Variable, "__r" + _name[2:], _r)
