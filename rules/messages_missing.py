"""Chat example without `messages`.

## What it does
Reports a chat example that has no `messages` key (checked when the format is configured as
`chat`; with `format = "auto"` such a line matches no format and `format-unknown` reports it).

## Why is this bad?
`messages` holds the conversation a chat example teaches. OpenAI's cookbook, Together and
Mistral all reject an example without it.

## Example
```jsonl {"format": "chat"}
{"conversation": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl {"format": "chat"}
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: the conversation has to be written or moved under `messages`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if "messages" in ctx.obj:
        return
    keys = ", ".join(f"`{k}`" for k in list(ctx.obj)[:5]) or "no keys"
    yield Problem(
        "TL202",
        f"missing `messages`: the example has {keys}; put the conversation in a "
        "`messages` list",
        pointer="",
    )


RULE = Rule(
    code="TL202",
    name="messages-missing",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    doc=__doc__,
)
