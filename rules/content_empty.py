"""Message content that is empty or only whitespace.

## What it does
Reports `"content": ""`, whitespace-only content, and empty `text` parts. An assistant message
that calls a tool may have empty content.

## Why is this bad?
An empty user message asks nothing, and an empty assistant reply teaches the model to say
nothing. Mistral's tooling skips such examples; the legacy OpenAI tool dropped them.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "  "}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: write the text or drop the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import has_calls, odd_content


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    for i, m, pointer in ctx.iter_messages():
        content = m.get("content")
        role = m.get("role")
        if type(content) is str:
            if content and not content.isspace():
                continue
            if role == "assistant" and has_calls(m):
                continue
            what = "empty" if not content else "only whitespace"
            who = f"{role} message" if type(role) is str else "message"
            yield Problem("TL403", f"{who} {i} content is {what}: write the text or drop "
                          "the message", pointer=f"{pointer}/content")
        elif type(content) is list:
            for j, part in enumerate(content):
                if type(part) is dict and part.get("type") == "text":
                    text = part.get("text")
                    if type(text) is str and (not text or text.isspace()):
                        yield Problem("TL403", f"text part {j} of message {i} is empty: write "
                                      "the text or drop the part",
                                      pointer=f"{pointer}/content/{j}/text")


RULE = Rule(
    code="TL403",
    name="content-empty",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement"}),
    doc=__doc__,
    applies=odd_content,
)
