r"""Reinforcement (RFT) example without `messages` ending in a user message, or with roles RFT rejects.

## What it does
Checks a reinforcement fine-tuning line: `messages` must be a non-empty list; roles must be
`developer`, `user`, `assistant` or `tool` (a `system` message is an error: use `developer`);
the last message must be from the user, since the model's answer to it is what the grader scores.

## Why is this bad?
The spec's RFT input accepts only these roles, and Azure OpenAI's RFT page requires the final
message to be a user message and forbids system messages: the job is rejected otherwise.

## Example
```jsonl {"format": "reinforcement"}
{"messages": [{"role": "system", "content": "Answer with a number."}, {"role": "user", "content": "What is 6 times 7?"}], "reference_answer": "42"}
```

Use instead:
```jsonl {"format": "reinforcement"}
{"messages": [{"role": "developer", "content": "Answer with a number."}, {"role": "user", "content": "What is 6 times 7?"}], "reference_answer": "42"}
```

## Fix
Unsafe for `system` messages: change the role to `developer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import REINFORCEMENT, Edit, Fix, Problem, Rule, Severity

from ._tooling import json_type

ROLES = ("developer", "user", "assistant", "tool")


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    if "messages" not in obj:
        yield Problem("TL751", "a reinforcement example needs `messages`", pointer="")
        return
    msgs = obj["messages"]
    if not isinstance(msgs, list):
        yield Problem("TL751", f"`messages` must be a list, not {json_type(msgs)}",
                      pointer="/messages")
        return
    if not msgs:
        yield Problem("TL751", "`messages` is empty", pointer="/messages")
        return
    for i, m in enumerate(msgs):
        ptr = f"/messages/{i}"
        if not isinstance(m, dict):
            yield Problem("TL751", f"a message must be an object, not {json_type(m)}", pointer=ptr)
            continue
        role = m.get("role")
        if role == "system":
            yield Problem("TL751", "reinforcement fine-tuning does not accept `system` messages: "
                          "use `developer`", pointer=ptr + "/role",
                          fix=Fix("Make it a developer message", safe=False,
                                  edits=(Edit(ptr + "/role", "value", '"developer"'),)))
        elif "role" not in m:
            yield Problem("TL751", "the message has no `role`", pointer=ptr)
        elif role not in ROLES:
            shown = f"'{role}'" if isinstance(role, str) else json_type(role)
            yield Problem("TL751", f"role {shown} is not allowed in reinforcement fine-tuning "
                          f"(use {', '.join(ROLES)})", pointer=ptr + "/role")
    last = msgs[-1]
    if isinstance(last, dict) and last.get("role") != "user":
        role = last.get("role")
        shown = f"'{role}'" if isinstance(role, str) else "without a role"
        yield Problem("TL751", f"the last message must be from the user (it is {shown}): the "
                      "model answers it and the grader scores that answer",
                      pointer=f"/messages/{len(msgs) - 1}")


RULE = Rule(
    code="TL751",
    name="rft-shape",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({REINFORCEMENT}),
    fix="sometimes",
    doc=__doc__,
)
