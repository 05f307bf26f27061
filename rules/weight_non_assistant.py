"""`weight` on a message that is not from the assistant.

## What it does
Reports a `weight` key on a system, user, tool or other non-assistant message.

## Why is this bad?
OpenAI trains only on assistant messages, and only those take a `weight`; on other messages it is
ignored, so a `"weight": 1` on a user message does not make the model learn it. (Together reads
weights on every role: its profile turns this rule off.)

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi", "weight": 1}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1}]}
```

## Fix
Unsafe: delete the `weight` (another provider may read it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Edit, Fix, Problem, Rule, Severity
from tunelint.rules._chat import has_weights


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if "weight" not in ctx.message_keys():  # one set lookup: most examples have no weights
        return
    for _i, m, pointer in ctx.iter_messages():
        if "weight" not in m:
            continue
        role = m.get("role")
        if role == "assistant" or type(role) is not str:
            continue
        wp = f"{pointer}/weight"
        yield Problem(
            "TL452",
            f"`weight` on a {role} message is ignored: only assistant messages are weighted",
            pointer=wp,
            part="member",
            fix=Fix("Delete the weight", safe=False, edits=(Edit(wp, "member", ""),)),
        )


RULE = Rule(
    code="TL452",
    name="weight-non-assistant",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    fix="unsafe",
    doc=__doc__,
    applies=has_weights,
)
