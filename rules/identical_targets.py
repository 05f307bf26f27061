"""Every example teaches the same answer.

## What it does
Reports a dataset in which all examples' targets (the last assistant reply, or the completion)
are identical.

## Why is this bad?
The model learns to give that one answer to everything. OpenAI's legacy data-prep tool treated
this as an error.

## Example
```jsonl
{"prompt": "Is the sky blue?", "completion": " yes"}
{"prompt": "Is grass green?", "completion": " yes"}
{"prompt": "Is snow white?", "completion": " yes"}
```

Use instead:
```jsonl
{"prompt": "Is the sky blue?", "completion": " yes"}
{"prompt": "Is grass red?", "completion": " no"}
{"prompt": "Is snow white?", "completion": " yes"}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    distinct, with_target = ds.target_variety()
    if distinct == 1 and with_target >= int(opts.get("min_examples", 3)):
        yield Problem(
            "TL908",
            f"all {with_target} examples have the same target answer: the model will learn "
            "to give it to everything",
            line=0,
        )


RULE = Rule(
    code="TL908",
    name="identical-targets",
    severity=Severity.WARNING,
    scope="dataset",
    check=check,
    options={"min_examples": 3},
    doc=__doc__,
)
