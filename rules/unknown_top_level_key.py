"""Top-level key that a chat example does not have.

## What it does
Reports keys of a chat example other than `messages`, `tools`, `parallel_tool_calls` and
`functions`, and suggests the key you probably meant (`tool` → `tools`).

## Why is this bad?
Nothing reads such a key: a misspelt `tools` silently trains without the tool definitions, and
Together rejects the file ("Found extra column"). Reinforcement examples may carry extra keys for
their graders; this rule does not apply to them.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "tool": []}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "tools": []}
```

## Fix
Unsafe: rename the key when it is one typo away from a known one, otherwise delete it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.formats import CHAT_TOP_LEVEL
from tunelint.jsonscan import join_pointer
from tunelint.rules import Edit, Fix, Problem, Rule, Severity
from tunelint.rules._chat import close_match

_KNOWN = tuple(sorted(CHAT_TOP_LEVEL))


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    if len(obj) == 1 and "messages" in obj:
        return
    for key in obj:
        if key in CHAT_TOP_LEVEL:
            continue
        pointer = join_pointer("", key)
        guess = close_match(key, _KNOWN)
        if guess is not None and guess not in obj:
            yield Problem(
                "TL201",
                f"unknown top-level key `{key}`: did you mean `{guess}`?",
                pointer=pointer,
                part="key",
                fix=Fix(f"Rename `{key}` to `{guess}`", safe=False,
                        edits=(Edit(pointer, "key", orjson.dumps(guess).decode()),)),
            )
            continue
        yield Problem(
            "TL201",
            f"unknown top-level key `{key}`: chat examples have only "
            "`messages`, `tools`, `parallel_tool_calls` and `functions`; remove it",
            pointer=pointer,
            part="key",
            fix=Fix(f"Delete `{key}`", safe=False, edits=(Edit(pointer, "member", ""),)),
        )


RULE = Rule(
    code="TL201",
    name="unknown-top-level-key",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    fix="unsafe",
    doc=__doc__,
)
