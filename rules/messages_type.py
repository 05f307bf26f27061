"""`messages` is not a list.

## What it does
Reports a `messages` value that is a string, an object, a number, a boolean or null instead of a
list of message objects.

## Why is this bad?
The fine-tuning API reads `messages` as an array of messages; anything else is rejected
(Together: "`messages` must be a list").

## Example
```jsonl
{"messages": {"role": "user", "content": "Hi"}}
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
from tunelint.rules._chat import type_name


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    if "messages" not in obj:
        return
    msgs = obj["messages"]
    if type(msgs) is list:
        return
    yield Problem(
        "TL204",
        f"`messages` is {type_name(msgs)}: it must be a list of message objects",
        pointer="/messages",
    )


RULE = Rule(
    code="TL204",
    name="messages-type",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
)
