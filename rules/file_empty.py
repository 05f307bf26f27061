"""Dataset file is empty.

## What it does
Reports a file with no bytes, or with only blank lines.

## Why is this bad?
There is nothing to train on; every provider rejects it ("File is empty").

## Example
A 0-byte `train.jsonl`.

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    if ds.example_count == 0 and ds.invalid_line_count() == 0 and not any(
        ds.line_kind(i) != 0 for i in range(min(ds.line_count, 1000))
    ) and ds.line_count <= 1000:
        what = "empty" if ds.byte_size <= (3 if ds.has_bom() else 0) else "only blank lines"
        yield Problem("TL002", f"the file is {what}: no examples to train on", line=0,
                      span=(0, 0))


RULE = Rule(
    code="TL002",
    name="file-empty",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement", "completion", "none"}),
    doc=__doc__,
)
