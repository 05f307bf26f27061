"""Message key that the message's role does not have.

## What it does
Reports keys of a message outside its role's schema: `role`, `content` and `name` for system and
user; those plus `refusal`, `audio`, `tool_calls`, `function_call` and `weight` for assistant;
`role`, `content` and `tool_call_id` for tool. A misspelt key gets a suggestion
(`contnet` → `content`). `weight` on a non-assistant message is left to `weight-non-assistant`.

## Why is this bad?
Unknown keys are ignored at best (a misspelt `content` leaves the message empty) and rejected at
worst (the cookbook's checker reports "message_unrecognized_key").

## Example
```jsonl
{"messages": [{"role": "user", "contnet": "Hi", "content": "Hi there"}, {"role": "assistant", "content": "Hello", "mood": "happy"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
Unsafe: rename a misspelt key when the right one is absent, otherwise delete the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.jsonscan import join_pointer
from tunelint.rules import Edit, Fix, Problem, Rule, Severity
from tunelint.rules._chat import ALL_MESSAGE_KEYS, ROLE_KEYS, close_match, extra_keys

_COMMON = frozenset({"role", "content"})


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    for _i, m, pointer in ctx.iter_messages():
        if m.keys() <= _COMMON:
            continue  # the common {"role", "content"} case, decided in C
        role = m.get("role")
        allowed = ROLE_KEYS.get(role, ALL_MESSAGE_KEYS) if isinstance(role, str) else (
            ALL_MESSAGE_KEYS
        )
        for key in m:
            if key in allowed or key == "weight":
                continue
            kp = join_pointer(pointer, key)
            guess = close_match(key, allowed)
            who = f"{role} messages" if isinstance(role, str) and role in ROLE_KEYS else (
                "messages"
            )
            if guess is not None and guess not in m:
                yield Problem(
                    "TL206",
                    f"unknown message key `{key}`: did you mean `{guess}`?",
                    pointer=kp,
                    part="key",
                    fix=Fix(f"Rename `{key}` to `{guess}`", safe=False,
                            edits=(Edit(kp, "key", orjson.dumps(guess).decode()),)),
                )
                continue
            if key in ALL_MESSAGE_KEYS:
                text = f"`{key}` does not belong in {who}; remove it"
            else:
                text = f"unknown message key `{key}`: {who} have only " + ", ".join(
                    f"`{k}`" for k in sorted(allowed)
                )
            yield Problem(
                "TL206",
                text,
                pointer=kp,
                part="key",
                fix=Fix(f"Delete `{key}`", safe=False, edits=(Edit(kp, "member", ""),)),
            )


RULE = Rule(
    code="TL206",
    name="message-unknown-key",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement"}),
    fix="unsafe",
    doc=__doc__,
    applies=extra_keys,
)
