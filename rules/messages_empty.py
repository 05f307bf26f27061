"""Chat example whose `messages` list is empty.

## What it does
Reports `"messages": []`.

## Why is this bad?
An empty conversation teaches nothing; the schema requires at least one message
(`minItems: 1`) and OpenAI's cookbook, Together and Mistral reject it.

## Example
```jsonl
{"messages": []}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: write the conversation, or delete the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    msgs = ctx.obj.get("messages")
    if type(msgs) is list and not msgs:
        yield Problem(
            "TL203",
            "`messages` is empty: add at least a user message and the assistant's reply",
            pointer="/messages",
        )


RULE = Rule(
    code="TL203",
    name="messages-empty",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
)
