"""Example whose assistant messages all have weight 0.

## What it does
Reports a chat example in which every assistant message has `"weight": 0`.

## Why is this bad?
Weight 0 excludes a message from training; with every reply excluded the example teaches
nothing but still costs tokens (and money) every epoch.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 0}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1}]}
```

## Fix
None: decide which reply to train on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import has_weights


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if "weight" not in ctx.message_keys():  # one set lookup: most examples have no weights
        return
    n = 0
    for _i, m, _pointer in ctx.iter_messages():
        if m.get("role") != "assistant":
            continue
        w = m.get("weight", 1)
        if type(w) in (int, float, bool) and w == 0:
            n += 1
            continue
        return
    if n:
        what = "the assistant message has" if n == 1 else f"all {n} assistant messages have"
        yield Problem(
            "TL453",
            f"{what} weight 0: nothing in this example is trained on; set weight 1 on the "
            "reply to learn",
            pointer=ctx.messages_pointer(),
            part="key",
        )


RULE = Rule(
    code="TL453",
    name="no-trainable-assistant",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
    applies=has_weights,
)
