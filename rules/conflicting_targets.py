"""Same prompt, different answers.

## What it does
Finds examples whose conversation up to the last assistant reply is the same (case and
whitespace folded) but whose reply differs, and reports each later one, pointing at the first.

## Why is this bad?
Contradicting targets teach the model that either answer is right for the same input. Sometimes
that is intended (varied phrasings); often it is a labelling mistake.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}]}
{"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Lyon"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}]}
{"messages": [{"role": "user", "content": "Capital of Italy?"}, {"role": "assistant", "content": "Rome"}]}
```

## Fix
None: decide which answer is right.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Related, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    for line, first in ds.key_repeats("prompt"):
        if ds.line_keys(line)[1] == ds.line_keys(first)[1]:
            continue  # the same answer: a duplicate, not a conflict
        yield Problem(
            "TL906",
            f"same prompt as line {first + 1} with a different answer",
            pointer="",
            line=line,
            related=(Related(first, "the other answer"),),
        )


RULE = Rule(
    code="TL906",
    name="conflicting-targets",
    severity=Severity.INFO,
    scope="dataset",
    check=check,
    reads=frozenset({"prompt"}),
    in_line_order=True,
    doc=__doc__,
)
