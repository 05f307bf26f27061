"""Line is JSON but not an object.

## What it does
Reports lines whose JSON value is an array, string, number, `true`, `false` or `null`.

## Why is this bad?
Each line must be one training example, a JSON object. OpenAI's error for this is the opaque
"Line 1 is not a dictionary".

## Example
```jsonl
["user: Hi", "assistant: Hello"]
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import LineContext
from tunelint.rules import Problem, Rule, Severity

_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number",
          float: "a number", type(None): "null"}


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if not ctx.parsed or isinstance(ctx.obj, dict):
        return
    kind = _KINDS.get(type(ctx.obj), "not an object")
    hint = ""
    if isinstance(ctx.obj, list) and ctx.obj and all(isinstance(x, dict) for x in ctx.obj):
        hint = ": put each object on its own line"
    yield Problem("TL103", f"line is {kind}, expected a JSON object (one example){hint}",
                  pointer="")


RULE = Rule(
    code="TL103",
    name="line-not-object",
    severity=Severity.ERROR,
    scope="line",
    check=check,
    doc=__doc__,
)
