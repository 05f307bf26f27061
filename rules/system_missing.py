"""Chat example without a system message.

## What it does
Reports a chat example that has no `system` (or `developer`) message.

## Why is this bad?
It is allowed, but the model learns the behaviour without the instructions it will be prompted
with; use the same system prompt in training and in production. OpenAI's cookbook counts such
examples.

Off by default (select `system-missing` to enable it): many datasets mix examples with and
without a system prompt on purpose, and a note on every such line drowns the findings that matter.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
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
from tunelint.rules._chat import has_unknown_role, roles


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or "system" in rs or "developer" in rs or has_unknown_role(rs):
        return
    yield Problem(
        "TL305",
        "no system message: add the system prompt you will use in production",
        pointer="/messages",
        part="key",
    )


RULE = Rule(
    code="TL305",
    name="system-missing",
    severity=Severity.INFO,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    default_enabled=False,
    doc=__doc__,
)
