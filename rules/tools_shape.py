r"""Tool definition that is not `{"type": "function", "function": {"name", "parameters"}}`.

## What it does
Checks the `tools` list (and the deprecated `functions` list) of an example: it must be a list;
each tool an object with `"type": "function"` and a `function` object holding a string `name`,
an optional string `description` and optional `parameters`, which must be a valid JSON Schema
object (checked with JSON Schema draft 2020-12; a schema used by many lines is checked once).

## Why is this bad?
The API rejects a file whose tool definitions do not follow the spec, and a `parameters` object
that is not a valid JSON Schema cannot describe the arguments the model learns to produce
(Mistral's validator rejects it too).

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "Let me check."}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "strin"}}}}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "Let me check."}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.problems import Part
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity

from ._schema_messages import describe, dotted, pointer_of
from ._tooling import canonical, holder, json_type, schema_error, uses_tools

# Results per canonical tools list: many lines repeat the same list, so it is checked once.
_CACHE: dict[bytes, list[tuple[str, Part, str]]] = {}
_CACHE_LIMIT = 4096


def _check_function(fn: Any, ptr: str) -> Iterator[tuple[str, Part, str]]:
    """(pointer suffix, part, message) for one function definition."""
    if not isinstance(fn, dict):
        yield ptr, "value", f"a function definition must be an object, not {json_type(fn)}"
        return
    name = fn.get("name")
    if "name" not in fn:
        yield ptr, "value", "the function has no `name`"
    elif not isinstance(name, str):
        yield ptr + "/name", "value", f"`name` must be a string, not {json_type(name)}"
    if "description" in fn and not isinstance(fn["description"], str):
        yield (ptr + "/description", "value",
               f"`description` must be a string, not {json_type(fn['description'])}")
    if "parameters" in fn:
        params = fn["parameters"]
        if not isinstance(params, dict):
            yield (ptr + "/parameters", "value",
                   f"`parameters` must be a JSON Schema object, not {json_type(params)}")
        else:
            err = schema_error(params)
            if err is not None:
                for f in describe(err):
                    where = pointer_of(f.path, ptr + "/parameters")
                    inside = dotted(f.path)
                    at = f" at {inside}" if inside else ""
                    yield where, f.part, f"`parameters` is not a valid JSON Schema{at}: {f.message}"
                    break


def _check_list(key: str, items: Any) -> list[tuple[str, Part, str]]:
    out: list[tuple[str, Part, str]] = []
    if not isinstance(items, list):
        out.append(("", "value", f"`{key}` must be a list, not {json_type(items)}"))
        return out
    if key == "functions" and not 1 <= len(items) <= 128:
        out.append(("", "value", f"`functions` must hold 1 to 128 functions ({len(items)})"))
    for i, item in enumerate(items):
        p = f"/{i}"
        if key == "functions":
            out.extend(_check_function(item, p))
            continue
        if not isinstance(item, dict):
            out.append((p, "value", f"a tool must be an object, not {json_type(item)}"))
            continue
        t = item.get("type")
        if "type" not in item:
            out.append((p, "value", 'the tool has no `type`: add `"type": "function"`'))
        elif t != "function":
            out.append((p + "/type", "value",
                        f"tool type must be \"function\", not {canonical(t).decode()[:40]}"))
        if "function" not in item:
            out.append((p, "value", "the tool has no `function` object"))
        else:
            out.extend(_check_function(item["function"], p + "/function"))
    return out


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    h, base = holder(ctx)
    if h is None or ("tools" not in h and "functions" not in h):
        return
    for key in ("tools", "functions"):
        if key not in h:
            continue
        items = h[key]
        ck = key.encode() + canonical(items)
        found = _CACHE.get(ck)
        if found is None:
            found = _check_list(key, items)
            if len(_CACHE) >= _CACHE_LIMIT:
                _CACHE.clear()
            _CACHE[ck] = found
        for suffix, part, message in found:
            yield Problem("TL502", message, pointer=f"{base}/{key}{suffix}", part=part)


RULE = Rule(
    code="TL502",
    name="tools-shape",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    doc=__doc__,
    applies=uses_tools,
)
