"""Pytrees (dfdx._tree): flattening order, round trips, structure, paths and errors."""

from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, strategies as st

import dfdx
from dfdx._tree import tree_flatten, tree_unflatten

Point = namedtuple("Point", "x y")

# Trees of small ints (leaves) in every container kind, nested a few levels.
leaves = st.integers(-5, 5) | st.none()
trees = st.recursive(
    leaves,
    lambda inner: (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.sampled_from("abcd"), inner, max_size=3)
                   | st.builds(Point, inner, inner)),
    max_leaves=12)


@given(trees)
def test_flatten_then_unflatten_gives_the_tree_back(tree):
    flat, td = tree_flatten(tree)
    assert tree_unflatten(td, flat) == tree
    assert td.num_leaves == len(flat)
    assert all(leaf is not None for leaf in flat)      # None is an empty container


@given(trees)
def test_repr_of_any_structure_is_a_string_with_one_star_per_leaf(tree):
    flat, td = tree_flatten(tree)
    assert repr(td).count("*") == len(flat)


@given(trees)
def test_paths_index_the_leaves(tree):
    pairs, _ = dfdx.tree_flatten_with_path(tree)
    for path, leaf in pairs:
        node = tree
        for key in path:
            node = getattr(node, key) if isinstance(node, Point) else node[key]
        assert node == leaf


def test_repr_of_each_container_kind():
    _, td = tree_flatten((1.0, {"b": [2.0, None], "a": Point(3.0, 4.0)}))
    assert repr(td) == "(*, {'a': Point(*, *), 'b': [*, None]})"
    assert repr(tree_flatten((1.0,))[1]) == "(*,)"
    assert repr(tree_flatten(1.0)[1]) == "*"


def test_dicts_flatten_in_sorted_key_order_so_equal_structures_line_up():
    a, ta = tree_flatten({"w": 1.0, "b": 2.0})
    b, tb = tree_flatten({"b": 20.0, "w": 10.0})
    assert a == [2.0, 1.0] and b == [20.0, 10.0] and ta == tb and hash(ta) == hash(tb)
    assert tree_flatten([1.0, 2.0])[1] != tree_flatten((1.0, 2.0))[1]


def test_arrays_are_leaves():
    x = np.ones(3)
    flat, td = tree_flatten({"x": x})
    assert flat[0] is x and td.num_leaves == 1


def test_tree_map_over_mismatched_structures_names_the_difference():
    with pytest.raises(ValueError, match="expected a dict with keys"):
        dfdx.tree_map(lambda a, b: a + b, {"w": 1.0}, {"v": 1.0})
    with pytest.raises(ValueError, match="expected a list of 2"):
        dfdx.tree_map(lambda a, b: a + b, [1.0, 2.0], [1.0])
