"""System message that is not the first message.

## What it does
Reports the first system message of a chat example when another message comes before it.
(Later system messages are reported by `multiple-system`.)

## Why is this bad?
Models are prompted with the system message first; a system message in the middle of a
conversation is unusual training data, and Fireworks requires it to be first.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "system", "content": "You are terse."}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import odd_roles, roles


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or rs[0] == "system" or "system" not in rs:
        return
    i = rs.index("system")
    yield Problem(
        "TL307",
        f"the system message is message {i}: move it to the start of the conversation",
        pointer=f"{ctx.messages_pointer()}/{i}",
    )


RULE = Rule(
    code="TL307",
    name="system-not-first",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
    applies=odd_roles,
)
