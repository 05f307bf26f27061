r"""Legacy prompt/completion line with keys other than `prompt` and `completion`.

## What it does
Reports every key of a legacy line (format `completion`) besides `prompt` and `completion`
(wrongly cased spellings of those two are left to `legacy-missing-key`).

## Why is this bad?
The legacy format has exactly two fields; OpenAI's `prepare_data` tool dropped every other
column ("exactly two columns/keys"). Extra keys are not trained on, which usually means
information you meant to include is lost.

## Example
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n", "source": "quiz-3"}
```

Use instead:
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n"}
```

## Fix
Unsafe: delete the key (its data is lost).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.jsonscan import join_pointer
from tunelint.rules import COMPLETION, Edit, Fix, Problem, Rule, Severity

KEYS = ("prompt", "completion")


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    if len(obj) <= 2 and all(k in KEYS for k in obj):
        return
    for key in obj:
        if key in KEYS or (key.strip().lower() in KEYS and key.strip().lower() not in obj):
            continue
        ptr = join_pointer("", key)
        yield Problem("TL802", f"`{key[:60]}` is not part of the legacy format: only `prompt` and "
                      "`completion` are trained on", pointer=ptr, part="key",
                      fix=Fix(f"Delete `{key[:60]}`", safe=False,
                              edits=(Edit(ptr, "member", ""),)))


RULE = Rule(
    code="TL802",
    name="legacy-extra-key",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({COMPLETION}),
    fix="unsafe",
    doc=__doc__,
)
