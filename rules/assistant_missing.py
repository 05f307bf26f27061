"""Chat example without an assistant message.

## What it does
Reports a supervised chat example in which no message has the role `assistant` (unless a
message has a misspelt role, which `role-invalid` reports).

## Why is this bad?
Supervised fine-tuning learns the assistant's replies; an example without one teaches nothing.
The cookbook ("example_missing_assistant_message"), Together and Mistral reject it.

## Example
```jsonl
{"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: the reply has to be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import has_unknown_role, odd_roles, roles


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or "assistant" in rs or has_unknown_role(rs):
        return
    yield Problem(
        "TL303",
        "no assistant message: a supervised example needs at least one assistant reply to "
        "learn from",
        pointer="/messages",
        part="key",
    )


RULE = Rule(
    code="TL303",
    name="assistant-missing",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
    applies=odd_roles,
)
