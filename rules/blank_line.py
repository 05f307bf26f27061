"""Blank line.

## What it does
Reports empty or whitespace-only lines. One newline at the end of the file is fine.

## Why is this bad?
Every line of a JSONL file must be a JSON value. Together's checker rejects a blank line
("Error parsing json payload") and OpenAI's cookbook script crashes on one.

## Example
```jsonl
{"prompt": "a", "completion": "b"}

{"prompt": "c", "completion": "d"}
```

Use instead:
```jsonl
{"prompt": "a", "completion": "b"}
{"prompt": "c", "completion": "d"}
```

## Fix
Safe: delete the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import LineContext
from tunelint.rules import Fix, Problem, Rule, Severity


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if ctx.blank:
        yield Problem(
            "TL006",
            "blank line: every JSONL line must hold one JSON object",
            span=(0, len(ctx.text)),
            fix=Fix("Delete the blank line", safe=True, delete_line=True),
        )


RULE = Rule(
    code="TL006",
    name="blank-line",
    severity=Severity.WARNING,
    scope="line",
    check=check,
    fix="safe",
    doc=__doc__,
)
