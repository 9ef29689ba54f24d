"""GradientTape habits from TensorFlow: watch without rebinding, plain values after the tape,
Variable.assign inside a tape."""

import numpy as np
import pytest

import dfdx


def test_watch_a_variable_without_rebinding_works_as_in_tensorflow():
    x = dfdx.Variable(2.0)
    with dfdx.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)                     # no `x = ...`
        y = x**3
    assert float(tape.gradient(y, x)) == 12.0


def test_watch_a_plain_array_without_rebinding_says_exactly_what_to_write():
    a = np.array([1.0, 2.0])
    with dfdx.GradientTape() as tape:
        tape.watch(a)
        z = np.sum(a**2)
    with pytest.raises(dfdx.TapeError, match=r"x = tape\.watch\(x\)"):
        tape.gradient(z, a)


def test_watching_the_array_but_asking_for_the_original_names_the_fix():
    a = np.array([1.0, 2.0])
    with dfdx.GradientTape() as tape:
        w = tape.watch(a)
        z = np.sum(w**2)
    with pytest.raises(dfdx.TapeError, match=r"x = tape\.watch\(x\)"):
        tape.gradient(z, a)
    with dfdx.GradientTape() as tape:
        w = tape.watch(a)
        z = np.sum(w**2)
    np.testing.assert_array_equal(tape.gradient(z, w), [2.0, 4.0])


def test_values_from_a_closed_tape_behave_as_plain_numbers():
    x = dfdx.Variable(2.0)
    with dfdx.GradientTape() as tape:
        y = x**2 + 0.5
    assert f"{y:.3f}" == "4.500"
    assert repr(y) == "4.5"
    assert int(y) == 4 and float(y) == 4.5
    with dfdx.GradientTape() as tape:
        v = np.sin(tape.watch(np.array([0.0, 1.0])))
    assert repr(v) == repr(np.sin(np.array([0.0, 1.0])))


def test_inside_a_tape_a_value_still_refuses_to_lose_its_derivative():
    x = dfdx.Variable(2.0)
    with dfdx.GradientTape():
        y = x**2
        with pytest.raises(dfdx.TracerConversionError):
            f"{y:.3f}"


def test_assign_inside_a_tape_reads_the_new_value_and_its_gradient_is_right():
    x = dfdx.Variable(1.0)
    with dfdx.GradientTape() as tape:
        a = x * 1.0                       # reads 1
        x.assign(3.0)
        y = a + x**2                      # reads 3
    assert float(y) == 10.0
    # d/dx sums over both reads, as TensorFlow does: 1 + 2*3
    assert float(tape.gradient(y, x)) == 7.0


def test_assign_add_inside_a_tape_and_nested_tapes():
    x = dfdx.Variable(1.0)
    with dfdx.GradientTape() as outer:
        with dfdx.GradientTape() as inner:
            x.assign_add(1.0)             # now 2
            y = x**3
        dy = inner.gradient(y, x)
    assert float(y) == 8.0 and float(dy) == 12.0
    assert float(outer.gradient(dy, x)) == 12.0   # d²(x³)/dx² at 2


def test_assign_does_not_differentiate_through_the_assigned_value():
    x = dfdx.Variable(2.0)
    with dfdx.GradientTape() as tape:
        x.assign(x * 5.0)                 # 10, not a function of the old x for the tape
        y = x * 1.0
    assert float(y) == 10.0 and float(tape.gradient(y, x)) == 1.0
