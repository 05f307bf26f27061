"""Message without a `role`.

## What it does
Reports a message object that has no `role` key, or `"role": null`.

## Why is this bad?
Without a role nobody knows who says the message, and the API rejects the line (the cookbook's
"message_missing_key", Together's "Missing required column `role`").

## Example
```jsonl
{"messages": [{"content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: which role is meant is for you to decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import odd_roles, roles


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or None not in rs:
        return
    for i, m, pointer in ctx.iter_messages():
        if m.get("role") is not None:
            continue
        what = "has no `role`" if "role" not in m else "has `role: null`"
        yield Problem(
            "TL301",
            f"message {i} {what}: set it to \"system\", \"user\", \"assistant\" or \"tool\"",
            pointer=pointer if "role" not in m else f"{pointer}/role",
        )


RULE = Rule(
    code="TL301",
    name="role-missing",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement"}),
    doc=__doc__,
    applies=odd_roles,
)
