"""quickschema.compile_check answers what jsonschema answers (Draft 2020-12, no format checker),
on generated schemas and values, and declines the keywords it does not implement."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tunelint.quickschema import compile_check

NAMES = ["a", "b", "city", "unit"]
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, 1.0, -2.0, 2.5]),
              st.sampled_from(["", "x", "ab", "c", "f", "Paris", "é"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)),
    max_leaves=8)
TYPES = ["string", "integer", "number", "boolean", "null", "object", "array"]


def schemas(depth: int) -> st.SearchStrategy[Any]:
    sub = st.just({"type": "string"}) if depth == 0 else schemas(depth - 1)
    keywords = {
        "type": st.one_of(st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), min_size=1,
                                                           max_size=3, unique=True)),
        "enum": st.lists(JSON, min_size=1, max_size=3),
        "const": JSON,
        "minimum": st.sampled_from([0, 1, 1.5, -1]),
        "maximum": st.sampled_from([0, 2, 2.5]),
        "exclusiveMinimum": st.sampled_from([0, 1]),
        "exclusiveMaximum": st.sampled_from([1, 3]),
        "minLength": st.integers(0, 2),
        "maxLength": st.integers(0, 3),
        "minItems": st.integers(0, 2),
        "maxItems": st.integers(0, 3),
        "items": st.one_of(sub, st.booleans()),
        "properties": st.dictionaries(st.sampled_from(NAMES), st.one_of(sub, st.booleans()),
                                      max_size=3),
        "required": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
        "additionalProperties": st.one_of(st.booleans(), sub),
        "description": st.just("ignored"),
        "format": st.just("email"),
        "x-unknown": JSON,
        # Not implemented: the check declines these.
        "pattern": st.just("^a"),
        "anyOf": st.lists(sub, min_size=1, max_size=2),
    }
    return st.one_of(st.booleans(), st.dictionaries(
        st.sampled_from(sorted(keywords)), st.none(), max_size=4).flatmap(
        lambda chosen: st.fixed_dictionaries({k: keywords[k] for k in chosen})))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas(2), st.lists(JSON, min_size=1, max_size=6))
def test_the_answer_is_jsonschemas(schema: Any, values: list[Any]) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return
    check = compile_check(schema)
    if check is None:
        text = json.dumps(schema)
        assert '"pattern"' in text or '"anyOf"' in text
        return
    validator = Draft202012Validator(schema)
    for value in values:
        assert check(value) == validator.is_valid(value), (schema, value)


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"q": {"pattern": "^a"}}},
    {"$ref": "#/$defs/x", "$defs": {"x": {}}},
    {"anyOf": [{"type": "string"}]},
    {"type": "object", "patternProperties": {"^a": {}}},
    {"items": {"uniqueItems": True}},
])
def test_keywords_not_implemented_are_declined(schema: dict[str, Any]) -> None:
    assert compile_check(schema) is None


def test_a_tool_schema() -> None:
    check = compile_check({"type": "object", "properties": {
        "city": {"type": "string", "description": "where"},
        "unit": {"type": "string", "enum": ["c", "f"]},
        "days": {"type": "integer", "minimum": 1}}, "required": ["city"],
        "additionalProperties": False})
    assert check is not None
    assert check({"city": "Paris"}) and check({"city": "Oslo", "unit": "c", "days": 2.0})
    assert not check({"unit": "c"})  # city is required
    assert not check({"city": "Rome", "unit": "k"})
    assert not check({"city": "Rome", "days": 0})
    assert not check({"city": "Rome", "days": True})  # a boolean is not an integer
    assert not check({"city": "Rome", "country": "IT"})
    assert not check(["city"])
