r"""Tool call to a function the example's `tools` do not declare.

## What it does
Reports a tool call (or deprecated `function_call`) whose function name is not among the
functions declared in the example's `tools` (or `functions`), including calls in an example that
declares no tools at all. In DPO examples the tools are those of `input`.

## Why is this bad?
The fine-tuning guide asks to use the same tool definitions for training and querying. A call to
an undeclared function teaches the model to call functions it was not offered, and is usually a
renamed function or a typo.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_wether", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
```

## Fix
Unsafe, when exactly one declared name is close: call that one instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Edit, Fix, Problem, Rule, Severity

from ._tooling import declared, iter_calls, uses_tools


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    names = None
    for call in iter_calls(ctx):
        fn = call.function
        name = fn.get("name") if fn is not None else None
        if not isinstance(name, str):
            continue
        if names is None:
            names = declared(ctx) or {}
        if name in names:
            continue
        ptr = call.function_pointer + "/name"
        if not names:
            yield Problem("TL507", f"call to '{name[:80]}', but the example declares no tools",
                          pointer=ptr)
            continue
        close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.75)
        fix = None
        hint = ""
        if len(close) == 1:
            hint = f"; did you mean '{close[0]}'?"
            fix = Fix(f"Call `{close[0]}`", safe=False,
                      edits=(Edit(ptr, "value", orjson.dumps(close[0]).decode()),))
        yield Problem("TL507", f"call to '{name[:80]}', which `tools` does not declare{hint}",
                      pointer=ptr, fix=fix)


RULE = Rule(
    code="TL507",
    name="tool-call-undeclared",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    fix="sometimes",
    doc=__doc__,
    applies=uses_tools,
)
