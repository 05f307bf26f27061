r"""Legacy completion that does not start with a space.

## What it does
Reports a legacy `completion` that does not begin with whitespace.

## Why is this bad?
The legacy models' tokenizer folds a leading space into the first word's token; OpenAI's
`prepare_data` tool recommended starting every completion with a space so the completion starts
on a token boundary, as it does at inference time.

## Example
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": "Paris\n"}
```

Use instead:
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n"}
```

## Fix
Unsafe: add a leading space.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import COMPLETION, Edit, Fix, Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    completion = ctx.obj.get("completion")
    if not isinstance(completion, str) or not completion or completion[0].isspace():
        return
    new = json.dumps(" " + completion, ensure_ascii=False)
    yield Problem("TL806", "the completion should start with a space", pointer="/completion",
                  fix=Fix("Add a leading space", safe=False,
                          edits=(Edit("/completion", "value", new),)))


RULE = Rule(
    code="TL806",
    name="legacy-completion-space",
    severity=Severity.INFO,
    scope="example",
    check=check,
    formats=frozenset({COMPLETION}),
    fix="unsafe",
    doc=__doc__,
)
