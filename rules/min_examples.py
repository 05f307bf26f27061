"""Too few examples to start a job.

## What it does
Counts the examples and reports a dataset with fewer than the provider's minimum (OpenAI and
Azure OpenAI: 10; Fireworks: 3; Together: 1), set by the `profile`.

## Why is this bad?
The job is refused at creation, after the upload.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

Use instead: at least 10 examples (see `fixtures/rules/min-examples/pass.jsonl`).

## Fix
None: write more examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    minimum = int(opts.get("minimum") or ds.run.limits.get("min_examples", 10))
    n = ds.example_count
    if 0 < n < minimum:  # no examples at all: file-empty or the line errors say why
        yield Problem(
            "TL902",
            f"{n} example{'s' if n != 1 else ''}: the {ds.run.settings.profile} profile needs "
            f"at least {minimum} to start a job",
            line=0,
        )


RULE = Rule(
    code="TL902",
    name="min-examples",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    options={"minimum": None},
    doc=__doc__,
)
