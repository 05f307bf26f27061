r"""`parallel_tool_calls` that is not `true` or `false`.

## What it does
Reports a `parallel_tool_calls` value (top level of a chat example, `input` of a DPO example)
that is not a JSON boolean, such as `"false"` or `0`.

## Why is this bad?
The spec types it as a boolean; a string or a number makes the line invalid, and `"false"` read
loosely would even mean the opposite of what was written.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "Sunny."}], "tools": [{"type": "function", "function": {"name": "get_weather"}}], "parallel_tool_calls": "false"}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "Sunny."}], "tools": [{"type": "function", "function": {"name": "get_weather"}}], "parallel_tool_calls": false}
```

## Fix
Safe for `"true"`/`"false"` strings and the numbers 0 and 1: write the boolean.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, Edit, Fix, Problem, Rule, Severity

from ._tooling import holder, json_type, uses_tools

_BOOLS = {"true": "true", "false": "false"}


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    h, base = holder(ctx)
    if h is None or "parallel_tool_calls" not in h:
        return
    value = h["parallel_tool_calls"]
    if isinstance(value, bool):
        return
    new: str | None = None
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        new = _BOOLS[value.strip().lower()]
    elif isinstance(value, int) and value in (0, 1):
        new = "true" if value else "false"
    pointer = f"{base}/parallel_tool_calls"
    fix = Fix(f"Write `{new}`", safe=True, edits=(Edit(pointer, "value", new),)) if new else None
    yield Problem("TL504", f"`parallel_tool_calls` must be true or false, not {json_type(value)}",
                  pointer=pointer, fix=fix)


RULE = Rule(
    code="TL504",
    name="parallel-tool-calls-type",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE}),
    fix="sometimes",
    doc=__doc__,
    applies=uses_tools,
)
