"""Message that is not a JSON object.

## What it does
Reports an item of `messages` (or of DPO `input.messages`) that is a string, a list, a number or
null instead of an object with `role` and `content`.

## Why is this bad?
Every message must be an object; Together and the schema reject anything else, and a bare string
has no role, so nobody knows who said it.

## Example
```jsonl
{"messages": ["Hi", {"role": "assistant", "content": "Hello"}]}
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

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import odd_roles, roles, type_name


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or None not in rs:
        return
    msgs = ctx.messages() or []
    base = ctx.messages_pointer()
    for i, m in enumerate(msgs):
        if type(m) is not dict:
            yield Problem(
                "TL205",
                f"message {i} is {type_name(m)}: each message must be an object with "
                "`role` and `content`",
                pointer=f"{base}/{i}",
            )


RULE = Rule(
    code="TL205",
    name="message-not-object",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement"}),
    doc=__doc__,
    applies=odd_roles,
)
