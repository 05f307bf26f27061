"""Fewer examples than recommended.

## What it does
Reports a dataset that meets the minimum but has fewer examples than the provider recommends
(OpenAI: 50; the `recommended_examples` limit of the profile).

## Why is this bad?
OpenAI's guide says clear improvements usually take 50 to 100 examples; with fewer, a job runs
and is billed but often teaches little.

## Example
A file of 12 examples.

## Fix
None: add examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    recommended = int(opts.get("recommended") or ds.run.limits.get("recommended_examples", 50))
    minimum = int(ds.run.limits.get("min_examples", 10))
    n = ds.example_count
    if minimum <= n < recommended:
        yield Problem(
            "TL903",
            f"{n} examples: {recommended} or more usually give clearer results",
            line=0,
        )


RULE = Rule(
    code="TL903",
    name="few-examples",
    severity=Severity.INFO,
    scope="dataset",
    check=check,
    options={"recommended": None},
    doc=__doc__,
)
