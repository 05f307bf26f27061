r"""Tool call arguments that do not fit the called function's `parameters` schema.

## What it does
Validates the decoded `arguments` of each tool call against the JSON Schema in the called
function's `parameters` (draft 2020-12; validators are built once per distinct schema). Each
finding points inside the `arguments` string at the offending argument where it can, and says
what is wrong: a missing required argument, an unexpected one, a wrong type, a value outside an
`enum`. At most 5 findings per call.

## Why is this bad?
The model learns to produce these arguments. Arguments that break the function's own schema
teach calls your code will reject, and hide typos in argument names.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Take off to 50 m."}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "takeoff_drone", "arguments": "{\"altitude\": \"50\"}"}}]}], "tools": [{"type": "function", "function": {"name": "takeoff_drone", "parameters": {"type": "object", "properties": {"altitude": {"type": "integer"}}, "required": ["altitude"]}}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Take off to 50 m."}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "takeoff_drone", "arguments": "{\"altitude\": 50}"}}]}], "tools": [{"type": "function", "function": {"name": "takeoff_drone", "parameters": {"type": "object", "properties": {"altitude": {"type": "integer"}}, "required": ["altitude"]}}}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity

from ._positions import span_in_string
from ._schema_messages import Finding, dotted, findings, pointer_of
from ._tooling import declared, decode_arguments, fits, iter_calls, uses_tools, validator

MAX_FINDINGS = 5

# (validator id, arguments text) -> (validator, findings, more): datasets repeat calls.
_RESULTS: dict[tuple[int, str], tuple[Any, list[Finding], int]] = {}


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    text = ctx.text
    functions = None
    for call in iter_calls(ctx):
        fn = call.function
        if fn is None:
            continue
        name, args = fn.get("name"), fn.get("arguments")
        if not isinstance(name, str) or not isinstance(args, str):
            continue
        if functions is None:
            functions = declared(ctx) or {}
        params = functions.get(name, {}).get("parameters")
        if not isinstance(params, dict):
            continue
        v = validator(params)
        if v is None:
            continue  # tools-shape reports the schema
        try:
            value, levels, _ = decode_arguments(args)
        except orjson.JSONDecodeError:
            continue  # tool-args-json reports it
        if levels or not isinstance(value, dict):
            continue  # tool-args-json reports it
        key = (id(v), args)
        hit = _RESULTS.get(key)
        if hit is not None and hit[0] is v:
            found, more = hit[1], hit[2]
        else:
            # Most arguments fit: a quick yes first, jsonschema's errors only for the others.
            found, more = ([], 0) if fits(v, value) else findings(v.iter_errors(value),
                                                                   limit=MAX_FINDINGS)
            if len(_RESULTS) >= 8192:
                _RESULTS.clear()
            _RESULTS[key] = (v, found, more)
        ptr = call.function_pointer + "/arguments"
        for k, f in enumerate(found):
            owner = f.path[:-1] if f.message.startswith("unexpected property") else f.path
            where = dotted(owner)
            label = f"argument '{where}'" if where else f"arguments of '{name}'"
            message = f.message
            if not owner:
                message = message.replace("required property", "required argument", 1)
                message = message.replace("unexpected property", "unexpected argument", 1)
            if k == len(found) - 1 and more:
                message += f" (and {more} more)"
            inner = pointer_of(f.path)
            span = span_in_string(text, ptr, args, inner, f.part)
            yield Problem("TL509", f"{label}: {message}", pointer=ptr, span=span)


RULE = Rule(
    code="TL509",
    name="tool-args-schema",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    doc=__doc__,
    applies=uses_tools,
)
