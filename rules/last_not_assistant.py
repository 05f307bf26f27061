"""Chat example that does not end with an assistant message.

## What it does
Reports a chat example whose last message is not from the assistant (when the example has an
assistant message at all; otherwise `assistant-missing` reports it).

## Why is this bad?
Messages after the last assistant reply are never a training target: they cost tokens and
teach nothing, and often mean the reply was cut off or the turns are out of order. Mistral's
tooling rejects such examples and drops trailing non-assistant messages.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye"}]}
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
    if not rs:
        return
    last = rs[-1]
    if last == "assistant" or type(last) is not str or "assistant" not in rs:
        return
    yield Problem(
        "TL304",
        f"the example ends with a {last} message: nothing after the last assistant reply is "
        "trained on; end with an assistant reply or drop the trailing messages",
        pointer=f"{ctx.messages_pointer()}/{len(rs) - 1}",
    )


RULE = Rule(
    code="TL304",
    name="last-not-assistant",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
    applies=odd_roles,
)
