"""Messages in an order the conversation cannot have.

## What it does
By default, reports the same role twice in a row (`user` then `user`, `assistant` then
`assistant`), except the legitimate tool flow: several `tool` results in a row are fine, and so is
`assistant` (tool call) → `tool` → `assistant`. An assistant tool call followed directly by
another assistant message is reported with its own message: the tool's result is missing between
them. Consecutive system messages are left to `multiple-system` (except under
`strict_alternation`).

Options:
- `strict_alternation` (Together): every message must have a different role from the one before
  it, tool results and system messages included.
- `mistral_transitions` (Mistral): instead of the same-role check, apply mistral-common's table of
  allowed transitions: system → user/assistant/system, user → assistant/system/user,
  assistant → assistant/user/tool, tool → assistant/tool/user.

## Why is this bad?
Two user messages in a row usually mean a reply went missing; two assistant messages mean a
reply was split or a tool result is missing. Azure OpenAI rejected exactly that ("invalid schema")
without saying where (microsoft-foundry/fine-tuning#23); Together and Mistral reject it too.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Are you there?"}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi. Are you there?"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import Problem, Rule, Severity
from tunelint.rules._chat import has_calls, roles

# mistral-common validator.py: role -> roles allowed to follow it.
MISTRAL_NEXT: dict[str, frozenset[str]] = {
    "system": frozenset({"user", "assistant", "system"}),
    "user": frozenset({"assistant", "system", "user"}),
    "assistant": frozenset({"assistant", "user", "tool"}),
    "tool": frozenset({"assistant", "tool", "user"}),
}
_REPEATABLE = frozenset({"tool", "function"})


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs or len(rs) < 2:
        return
    base = ctx.messages_pointer()
    if opts.get("mistral_transitions"):
        for i in range(1, len(rs)):
            prev, cur = rs[i - 1], rs[i]
            if type(prev) is not str or type(cur) is not str:
                continue
            nxt = MISTRAL_NEXT.get(prev)
            if nxt is not None and cur in MISTRAL_NEXT and cur not in nxt:
                yield Problem(
                    "TL309",
                    f"a {cur} message cannot follow a {prev} message",
                    pointer=f"{base}/{i}/role",
                )
        return
    strict = bool(opts.get("strict_alternation"))
    for i in range(1, len(rs)):
        cur = rs[i]
        if cur != rs[i - 1] or type(cur) is not str:
            continue
        if not strict and (cur in _REPEATABLE or cur == "system"):
            continue
        msgs = ctx.messages() or []
        prev_msg = msgs[i - 1]
        if cur == "assistant" and type(prev_msg) is dict and has_calls(prev_msg):
            text = ("an assistant message directly after an assistant tool call: add the "
                    "tool's result (a tool message) between them")
        elif strict:
            text = (f"two {cur} messages in a row: roles must alternate between user and "
                    "assistant")
        else:
            text = f"two {cur} messages in a row: merge them or add the missing turn between"
        yield Problem("TL309", text, pointer=f"{base}/{i}/role")


RULE = Rule(
    code="TL309",
    name="role-sequence",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    options={"strict_alternation": False, "mistral_transitions": False},
    doc=__doc__,
)
