import json
import tomllib
from types import MappingProxyType

import pytest

from m2bridge.json_values import is_json_object, is_list, is_mapping, is_str_list


def test_every_object_json_and_toml_read_is_a_json_object():
    assert is_json_object(json.loads('{"a": {"b": [1]}}'))
    assert is_json_object(tomllib.loads("[tools]\ndeny = ['x']")["tools"])
    assert is_json_object({})
    assert is_json_object(MappingProxyType({"a": 1}))


@pytest.mark.parametrize("value", [{1: "a"}, {"a": 1, None: 2}, [("a", 1)], "a", None, 1])
def test_a_mapping_with_a_key_that_is_not_a_string_or_no_mapping_is_not_a_json_object(value):
    assert not is_json_object(value)


def test_any_mapping_is_a_mapping_whatever_its_keys():
    assert is_mapping({1: "a"})
    assert not is_mapping([("a", 1)])


def test_a_list_is_a_list_and_a_tuple_or_string_is_not():
    assert is_list([1, "a"])
    assert not is_list((1,))
    assert not is_list("ab")


@pytest.mark.parametrize(
    ("value", "expected"), [(["a", ""], True), ([], True), (["a", 1], False), ("ab", False)]
)
def test_a_string_list_holds_strings_only(value, expected):
    assert is_str_list(value) is expected
