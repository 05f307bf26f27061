"""Message role that the fine-tuning API does not accept.

## What it does
Reports a `role` outside the allowed set (option `roles`; by default `system`, `user`,
`assistant`, `tool`, plus the deprecated `function` and the `developer` role). Roles in
`discouraged_roles` are allowed with a warning: `function` is deprecated in favour of `tool`, and
`developer` belongs to reinforcement fine-tuning, not to supervised chat examples. A role that is
not a string is an error. Profiles narrow `roles`: Together and Fireworks accept only `system`,
`user` and `assistant`.

## Why is this bad?
An unknown role makes the API reject the whole file; misspelt and capitalised roles
(`Assistant`, `asistant`) are the usual cause.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "Assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
Safe for a role that differs from an allowed one only in case or spaces, or by a typo
(`asistant` → `assistant`); unsafe for a role from another convention (`human` → `user`,
`gpt` → `assistant`); none otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.rules import Edit, Fix, Problem, Rule, Severity
from tunelint.rules._chat import close_match, roles

DEFAULT_ROLES = ["system", "user", "assistant", "tool", "function", "developer"]
_STANDARD = frozenset({"system", "user", "assistant", "tool"})
_WHY = {
    "function": "the `function` role is deprecated: use `tool` messages with `tool_call_id`",
    "developer": "`developer` messages are for reinforcement fine-tuning; supervised chat "
                 "examples use `system`",
}
# Roles of other conventions (ShareGPT, Gemini, ...), mapped to the closest chat role.
_ALIASES = {
    "human": "user", "humans": "user", "customer": "user", "question": "user",
    "gpt": "assistant", "bot": "assistant", "ai": "assistant", "model": "assistant",
    "chatbot": "assistant", "answer": "assistant", "agent": "assistant",
    "sys": "system", "instruction": "system", "observation": "tool", "ipython": "tool",
}


def _suggest(role: str, allowed: list[str]) -> tuple[str, bool] | None:
    """(replacement, safe) for a near-miss role."""
    folded = role.strip().lower()
    if folded in allowed:
        return folded, True
    alias = _ALIASES.get(folded)
    if alias is not None and alias in allowed:
        return alias, False
    guess = close_match(folded, allowed, cutoff=0.8)
    if guess is not None:
        return guess, True
    return None


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    rs = roles(ctx)
    if not rs:
        return
    allowed = opts.get("roles") or DEFAULT_ROLES
    discouraged = opts.get("discouraged_roles") or ()
    for r in rs:  # a plain loop: every example runs it, and a generator costs more
        if r is not None and (type(r) is not str or r not in _STANDARD or r not in allowed):
            break
    else:
        return
    base = ctx.messages_pointer()
    for i, role in enumerate(rs):
        if role is None:
            continue
        pointer = f"{base}/{i}/role"
        if not isinstance(role, str):
            yield Problem("TL302", f"role {orjson.dumps(role).decode()} is not a string: use "
                          "\"system\", \"user\", \"assistant\" or \"tool\"", pointer=pointer)
            continue
        if role in allowed:
            if role in discouraged:
                why = _WHY.get(role, f"the `{role}` role is discouraged")
                yield Problem("TL302", why, pointer=pointer, severity=Severity.WARNING)
            continue
        names = ", ".join(f"\"{r}\"" for r in allowed)
        hit = _suggest(role, allowed)
        if hit is None:
            yield Problem("TL302", f"invalid role \"{role}\": use one of {names}",
                          pointer=pointer)
            continue
        new, safe = hit
        yield Problem(
            "TL302",
            f"invalid role \"{role}\": did you mean \"{new}\"?",
            pointer=pointer,
            fix=Fix(f"Change the role to \"{new}\"", safe=safe,
                    edits=(Edit(pointer, "value", orjson.dumps(new).decode()),)),
        )


RULE = Rule(
    code="TL302",
    name="role-invalid",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference"}),
    fix="sometimes",
    options={"roles": DEFAULT_ROLES, "discouraged_roles": ["function", "developer"]},
    doc=__doc__,
)
