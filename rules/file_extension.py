"""Dataset file does not end in .jsonl.

## What it does
Checks the file name's extension against what the provider's fine-tuning API accepts (OpenAI:
`.jsonl` only; the `extensions` option).

## Why is this bad?
OpenAI's fine-tuning endpoint accepts only `.jsonl` uploads; a `.json` or `.txt` file is refused
even when its content is right.

## Example
A training file named `train.json` or `train.ndjson`.

## Fix
None: rename the file to `train.jsonl`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    if not ds.path or ds.path in ("-", "<stdin>") or ds.path.startswith("untitled:"):
        return
    allowed = [e.lower() for e in opts.get("extensions", [".jsonl"])]
    suffix = Path(ds.path).suffix.lower()
    if suffix not in allowed:
        yield Problem(
            "TL001",
            f"the file ends in {suffix or '(no extension)'!r}; the "
            f"{ds.run.settings.profile} fine-tuning API accepts {', '.join(allowed)}",
            line=0,
            span=(0, 0),
        )


RULE = Rule(
    code="TL001",
    name="file-extension",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    options={"extensions": [".jsonl"]},
    formats=frozenset({"chat", "preference", "reinforcement", "completion"}),
    doc=__doc__,
)
