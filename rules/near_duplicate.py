"""Example repeats an earlier one up to case and whitespace.

## What it does
Compares examples with case folded and runs of whitespace (including `\\n` escapes) collapsed,
and reports each later copy that is not an exact duplicate, pointing at the first.

## Why is this bad?
Near copies weigh like exact ones in training: the model sees the same lesson twice and the
duplicate tokens are billed.

## Example
```jsonl
{"prompt": "What is 2+2?", "completion": " 4"}
{"prompt": "what is  2+2?", "completion": " 4"}
```

Use instead:
```jsonl
{"prompt": "What is 2+2?", "completion": " 4"}
{"prompt": "What is 3+3?", "completion": " 6"}
```

## Fix
Unsafe: delete the later copy (its small differences may matter to you).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Fix, Problem, Related, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    for line, first in ds.key_repeats("normalized"):
        if ds.line_keys(line)[0] == ds.line_keys(first)[0]:
            continue  # an exact copy: duplicate-example reports it
        yield Problem(
            "TL905",
            f"near-duplicate of the example on line {first + 1} (differs only in case or "
            "whitespace)",
            pointer="",
            line=line,
            related=(Related(first, "first copy"),),
            fix=Fix("Delete this near-duplicate line", safe=False, delete_line=True),
        )


RULE = Rule(
    code="TL905",
    name="near-duplicate",
    severity=Severity.WARNING,
    scope="dataset",
    check=check,
    fix="unsafe",
    reads=frozenset({"exact", "normalized"}),
    in_line_order=True,
    doc=__doc__,
)
