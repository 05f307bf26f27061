"""Chat example without a user message.

## What it does
Reports a chat example that has no `user` message.

## Why is this bad?
The assistant's reply then answers nothing: the model learns to speak without being asked.
OpenAI's cookbook warns about such examples.

## Example
```jsonl
{"messages": [{"role": "system", "content": "You are terse."}, {"role": "assistant", "content": "Hello"}]}
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
from tunelint.rules._chat import has_unknown_role, odd_roles, roles


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or "user" in rs or has_unknown_role(rs):
        return
    yield Problem(
        "TL306",
        "no user message: add the user's request the assistant replies to",
        pointer="/messages",
        part="key",
    )


RULE = Rule(
    code="TL306",
    name="user-missing",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
    applies=odd_roles,
)
