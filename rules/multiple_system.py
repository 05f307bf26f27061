"""More than one system message in an example.

## What it does
Reports every system message after the first one.

## Why is this bad?
Models are prompted with one system message; several usually mean two conversations were
concatenated or a prompt template ran twice. Mistral accepts only one.

## Example
```jsonl
{"messages": [{"role": "system", "content": "You are terse."}, {"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Salut"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "system", "content": "You are terse. Answer in French."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Salut"}]}
```

## Fix
None: merge the instructions by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import odd_roles, roles


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or rs.count("system") < 2:
        return
    first = rs.index("system")
    base = ctx.messages_pointer()
    for i in range(first + 1, len(rs)):
        if rs[i] == "system":
            yield Problem(
                "TL308",
                f"another system message (the first is message {first}): merge them into one",
                pointer=f"{base}/{i}",
            )


RULE = Rule(
    code="TL308",
    name="multiple-system",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
    applies=odd_roles,
)
