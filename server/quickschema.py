"""Whether a value fits a JSON Schema, in a few Python calls, for the schemas tool functions use.

Tool-call arguments are checked against their function's ``parameters`` on every line
(tool-args-schema, and ToolChatPath in shapepath.py). jsonschema builds an error iterator and a
new validator per level of the value, some 15 µs for a small object of arguments; most
``parameters`` use a handful of keywords (``type``, ``properties``, ``required``, ``enum``,
bounds), for which ``compile_check`` builds closures that answer the same yes or no in about a
tenth of that.

A schema using any other keyword that Draft 2020-12 validates with (``$ref``, ``anyOf``,
``pattern``, ...) gets None, and the caller asks jsonschema. Keywords jsonschema ignores
(``description``, unknown ones, and ``format`` without a format checker) are ignored here too.
tests/test_quickschema.py compares the answers with jsonschema's on generated schemas and
values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sized
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema._utils import equal

Check = Callable[[Any], bool]

# The keywords Draft 2020-12 validates with that compile_check implements.
SUPPORTED = frozenset({
    "type", "enum", "const", "properties", "required", "additionalProperties", "items",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems",
})
# ``format`` only annotates, as the validators tools get are built without a format checker.
_VALIDATING = frozenset(Draft202012Validator.VALIDATORS) - {"format"}


def _is_integer(x: Any) -> bool:
    t = type(x)
    return t is int or (t is float and x.is_integer())


def _is_number(x: Any) -> bool:
    t = type(x)
    return t is int or t is float


_TYPES: dict[str, Check] = {
    "string": lambda x: type(x) is str,
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: type(x) is bool,
    "null": lambda x: x is None,
    "object": lambda x: type(x) is dict,
    "array": lambda x: type(x) is list,
}


def compile_check(schema: Any) -> Check | None:
    """A function telling whether a parsed JSON value (from orjson: exact built-in types) fits
    ``schema``, a valid Draft 2020-12 schema; None when the schema uses a keyword not
    implemented here."""
    if schema is True:
        return lambda x: True
    if schema is False:
        return lambda x: False
    if not isinstance(schema, Mapping):
        return None
    if not (_VALIDATING & schema.keys()) <= SUPPORTED:
        return None
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"]
        names = [names] if isinstance(names, str) else names
        if not all(isinstance(n, str) and n in _TYPES for n in names):
            return None
        of_type = [_TYPES[n] for n in names]
        if len(of_type) == 1:
            checks.append(of_type[0])
        else:
            checks.append(lambda x: any(t(x) for t in of_type))
    if "enum" in schema:
        options = list(schema["enum"])
        if all(type(o) is str for o in options):
            strings = frozenset(options)
            checks.append(lambda x: type(x) is str and x in strings)
        else:
            checks.append(lambda x: any(equal(x, o) for o in options))
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda x: equal(x, const))
    numeric = _numeric(schema)
    if numeric is not None:
        checks.append(numeric)
    for kind, low, high in ((str, "minLength", "maxLength"), (list, "minItems", "maxItems")):
        sized = _sized(kind, schema.get(low), schema.get(high))
        if sized is not None:
            checks.append(sized)
    if "items" in schema:
        each = compile_check(schema["items"])
        if each is None:
            return None
        checks.append(lambda x: type(x) is not list or all(each(v) for v in x))
    members = _members(schema)
    if members is False:
        return None
    if callable(members):
        checks.append(members)
    if not checks:
        return lambda x: True
    if len(checks) == 1:
        return checks[0]
    return lambda x: all(c(x) for c in checks)


def _sized(kind: type, low: int | None, high: int | None) -> Check | None:
    """minLength and maxLength (``kind`` str), or minItems and maxItems (list)."""
    if low is None and high is None:
        return None
    least = low if low is not None else 0
    most = high if high is not None else float("inf")

    def sized(x: Any) -> bool:
        return type(x) is not kind or least <= len(cast(Sized, x)) <= most

    return sized


def _numeric(schema: Mapping[str, Any]) -> Check | None:
    bounds: list[Check] = []
    if "minimum" in schema:
        low = schema["minimum"]
        bounds.append(lambda x: x >= low)
    if "maximum" in schema:
        high = schema["maximum"]
        bounds.append(lambda x: x <= high)
    if "exclusiveMinimum" in schema:
        above = schema["exclusiveMinimum"]
        bounds.append(lambda x: x > above)
    if "exclusiveMaximum" in schema:
        below = schema["exclusiveMaximum"]
        bounds.append(lambda x: x < below)
    if not bounds:
        return None
    return lambda x: not _is_number(x) or all(b(x) for b in bounds)


def _members(schema: Mapping[str, Any]) -> Check | None | bool:
    """The check of an object's members (properties, required, additionalProperties), None
    without those keywords, False when a subschema is not supported."""
    if not {"properties", "required", "additionalProperties"} & schema.keys():
        return None
    properties: dict[str, Check] = {}
    for name, sub in (schema.get("properties") or {}).items():
        check = compile_check(sub)
        if check is None:
            return False
        properties[name] = check
    required = list(schema.get("required") or ())
    extra: Check | None = None
    if "additionalProperties" in schema:
        extra = compile_check(schema["additionalProperties"])
        if extra is None:
            return False

    def members(x: Any) -> bool:
        if type(x) is not dict:
            return True
        for name in required:
            if name not in x:
                return False
        for name, value in x.items():
            check = properties.get(name)
            if check is not None:
                if not check(value):
                    return False
            elif extra is not None and not extra(value):
                return False
        return True

    return members
