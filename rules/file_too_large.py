"""Dataset file is larger than the provider accepts.

## What it does
Compares the file's size in bytes with the profile's limit (OpenAI and Azure OpenAI: 512 MB
through the Files API, 8 GB through the Uploads API; Together 50.1 GB; Mistral 10 GB).

## Why is this bad?
The upload fails after minutes of transfer.

## Example
A 600 MB training file with the `openai` profile (`tunelint submit` then uploads it in parts
through the Uploads API, which takes up to 8 GB).

## Fix
None: split the file, or use the Uploads API (`tunelint submit` does so automatically).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB" if n < 1024**3 else f"{n / 1024**3:,.1f} GB"


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    limits = ds.run.limits
    limit = int(opts.get("max_bytes") or limits.get("file_size", 536870912))
    upload_limit = int(limits.get("upload_api_file_size", limit))
    size = ds.byte_size
    if size <= limit:
        return
    if size <= upload_limit:
        yield Problem(
            "TL003",
            f"the file is {_mb(size)}, over the {_mb(limit)} Files API limit: it must go "
            f"through the Uploads API in parts (up to {_mb(upload_limit)})",
            line=0, span=(0, 0), severity=Severity.WARNING,
        )
        return
    yield Problem("TL003", f"the file is {_mb(size)}, over the {ds.run.settings.profile} "
                  f"limit of {_mb(upload_limit)}: split it", line=0, span=(0, 0))


RULE = Rule(
    code="TL003",
    name="file-too-large",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    options={"max_bytes": None},
    formats=frozenset({"chat", "preference", "reinforcement", "completion", "none"}),
    doc=__doc__,
)
