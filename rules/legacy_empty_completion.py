r"""Legacy prompt/completion line with an empty or null completion.

## What it does
Reports a legacy line whose `completion` is `""`, whitespace only, or `null`.

## Why is this bad?
The completion is the only thing a legacy example teaches. OpenAI's `prepare_data` tool
removed such rows as a necessary fix ("should not contain empty strings").

## Example
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": ""}
```

Use instead:
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n"}
```

## Fix
Unsafe: delete the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import COMPLETION, Fix, Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    if "completion" not in obj:
        return
    value = obj["completion"]
    if value is None or (isinstance(value, str) and not value.strip()):
        what = "null" if value is None else ("empty" if not value else "only whitespace")
        yield Problem("TL803", f"the completion is {what}: the example teaches nothing",
                      pointer="/completion",
                      fix=Fix("Delete this example", safe=False, delete_line=True))


RULE = Rule(
    code="TL803",
    name="legacy-empty-completion",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({COMPLETION}),
    fix="unsafe",
    doc=__doc__,
)
