"""Example is in both the training and the validation file.

## What it does
With `--validation-file` (or the job's validation file), reports training examples that also
appear, as canonical JSON, in the validation file.

## Why is this bad?
OpenAI's API reference: "the same data should not be present in both train and validation
files". Overlap makes the validation loss look better than the model is.

## Example
`tunelint check train.jsonl --validation-file valid.jsonl` where line 4 of train.jsonl is also
line 1 of valid.jsonl.

## Fix
None: remove the example from one of the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    other = ds.counterpart_path()
    name = Path(other).name if other else "the validation file"
    for line, other_line in ds.counterpart_overlap():
        yield Problem(
            "TL907",
            f"also in {name} (line {other_line + 1}): keep train and validation examples apart",
            pointer="",
            line=line,
        )


RULE = Rule(
    code="TL907",
    name="train-valid-overlap",
    severity=Severity.WARNING,
    scope="dataset",
    check=check,
    in_line_order=True,
    doc=__doc__,
)
