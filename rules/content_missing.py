"""Message without content.

## What it does
Reports a system, user, developer or tool message with no `content` (or `content: null`), an
assistant message with neither `content` nor `tool_calls`/`function_call`, and a deprecated
`function` message without a `content` key. `"content": null` is fine on an assistant message
that calls a tool.

## Why is this bad?
The schema requires `content` on these messages (the assistant's is "required unless
`tool_calls` or `function_call` is specified"), and the cookbook, Together and Mistral reject
such examples.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: the text has to be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import has_calls, odd_content

_NEEDS_CONTENT = frozenset({"system", "user", "developer", "tool"})


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    for i, m, pointer in ctx.iter_messages():
        if m.get("content") is not None:
            continue
        role = m.get("role")
        if type(role) is not str:
            continue
        present = "content" in m
        if role in _NEEDS_CONTENT:
            what = "`content` is null" if present else "no `content`"
            yield Problem("TL401", f"{role} message {i} has {what}: give it text",
                          pointer=f"{pointer}/content" if present else pointer)
        elif role == "assistant":
            if has_calls(m) or isinstance(m.get("refusal"), str):
                continue  # a tool call or a refusal is the assistant's answer
            what = "`content` is null" if present else "no `content`"
            yield Problem(
                "TL401",
                f"assistant message {i} has {what} and no `tool_calls`: give it the reply text",
                pointer=f"{pointer}/content" if present else pointer,
            )
        elif role == "function" and not present:
            yield Problem("TL401", f"function message {i} has no `content`: add the "
                          "function's result (null if none)", pointer=pointer)


RULE = Rule(
    code="TL401",
    name="content-missing",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement"}),
    doc=__doc__,
    applies=odd_content,
)
