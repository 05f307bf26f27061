r"""Tool call `arguments` that are not a JSON object encoded once as a string.

## What it does
Decodes the `arguments` string of every tool call (and deprecated `function_call`):

- not a string (e.g. an object written inline) → error; safe fix: encode it as a string;
- not valid JSON → error, pointing at the place inside the string where decoding fails;
- a JSON string that itself holds JSON (double-encoded, as in the cookbook's
  `drone_training.jsonl`) → warning; safe fix: store the inner JSON once;
- valid JSON that is not an object (a list, a number, plain text) → warning.

## Why is this bad?
The model learns to emit exactly this text. Double-encoded arguments teach it to produce a
quoted string that your code's `json.loads` turns into a `str`, not the object your function
expects; invalid JSON teaches invalid calls. Mistral's validator requires a string.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Land here."}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "land_drone", "arguments": "\"{\\\"location\\\": \\\"current\\\"}\""}}]}], "tools": [{"type": "function", "function": {"name": "land_drone"}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Land here."}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "land_drone", "arguments": "{\"location\": \"current\"}"}}]}], "tools": [{"type": "function", "function": {"name": "land_drone"}}]}
```

## Fix
Safe for double-encoded arguments (un-double-encode) and for arguments written as an object
(encode it as a string); none otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Edit, Fix, Problem, Rule, Severity

from ._positions import offset_in_string
from ._tooling import decode_arguments, iter_calls, json_type, uses_tools


def _as_string_literal(value: str) -> str:
    return orjson.dumps(value).decode()


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    text = ctx.text
    for call in iter_calls(ctx):
        fn = call.function
        if fn is None or "arguments" not in fn:
            continue
        args = fn["arguments"]
        ptr = call.function_pointer + "/arguments"
        if not isinstance(args, str):
            fix = None
            if isinstance(args, (dict, list)):
                encoded = json.dumps(args, ensure_ascii=False)
                fix = Fix("Encode the arguments as a JSON string", safe=True,
                          edits=(Edit(ptr, "value", _as_string_literal(encoded)),))
            yield Problem("TL506", f"`arguments` must be a string holding JSON, not "
                          f"{json_type(args)}", pointer=ptr, fix=fix)
            continue
        try:
            value, levels, inner = decode_arguments(args)
        except orjson.JSONDecodeError as e:
            msg = str(getattr(e, "msg", e))
            pos = int(getattr(e, "pos", 0) or 0)
            span = offset_in_string(text, ptr, len(args), pos, pos + 1) if args else None
            what = "is empty" if not args.strip() else f"are not valid JSON ({msg})"
            yield Problem("TL506", f"tool call arguments {what}", pointer=ptr, span=span,
                          )
            continue
        if levels:
            fix = None
            if isinstance(value, dict):
                fix = Fix("Store the arguments JSON once (un-double-encode)", safe=True,
                          edits=(Edit(ptr, "value", _as_string_literal(inner)),))
            yield Problem("TL506", "tool call arguments are double-encoded: the JSON string "
                          "holds another JSON string instead of an object", pointer=ptr,
                          fix=fix, severity=Severity.WARNING)
        elif not isinstance(value, dict):
            yield Problem("TL506", f"tool call arguments decode to {json_type(value)}, not an "
                          "object of named arguments", pointer=ptr, severity=Severity.WARNING)


RULE = Rule(
    code="TL506",
    name="tool-args-json",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    fix="sometimes",
    doc=__doc__,
    applies=uses_tools,
)
