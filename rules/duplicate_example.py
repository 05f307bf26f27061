"""Example is an exact duplicate of an earlier one.

## What it does
Compares examples as canonical JSON (key order and spacing ignored) and reports every later copy,
pointing at the first.

## Why is this bad?
A duplicated example is trained on twice as often as the others, which skews the model towards
it and wastes billed tokens. OpenAI's legacy data-prep tool asked to remove them.

## Example
```jsonl
{"prompt": "2+2?", "completion": "4"}
{"completion": "4", "prompt": "2+2?"}
```

Use instead:
```jsonl
{"prompt": "2+2?", "completion": "4"}
{"prompt": "3+3?", "completion": "6"}
```

## Fix
Safe: delete the later copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Fix, Problem, Related, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    for line, first in ds.key_repeats("exact"):
        yield Problem(
            "TL904",
            f"duplicate of the example on line {first + 1}",
            pointer="",
            line=line,
            related=(Related(first, "first copy"),),
            fix=Fix("Delete this duplicate line", safe=True, delete_line=True),
        )


RULE = Rule(
    code="TL904",
    name="duplicate-example",
    severity=Severity.WARNING,
    scope="dataset",
    check=check,
    fix="safe",
    reads=frozenset({"exact"}),
    in_line_order=True,
    doc=__doc__,
)
