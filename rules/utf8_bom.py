"""File starts with a UTF-8 byte-order mark (or lacks one where it is asked for).

## What it does
tunelint strips a leading BOM before parsing (so line 1 is never "not an object" because of it)
and reports it: OpenAI does not document its handling of a BOM. With the `azure-openai` profile
the rule reports the opposite, because Azure's documentation asks for a BOM
(`expect_bom` option).

## Why is this bad?
An invisible U+FEFF before the first `{` makes strict JSONL readers fail on line 1 with an opaque
message.

## Example
A file saved by Windows Notepad as "UTF-8 with BOM".

## Fix
None: save the file as UTF-8 without BOM (most editors have an "encoding" menu).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    expect = bool(opts.get("expect_bom", False))
    if ds.has_bom() and not expect:
        yield Problem("TL005", "the file starts with a UTF-8 byte-order mark (BOM); save it as "
                      "UTF-8 without BOM", line=0, span=(0, 0))
    elif expect and not ds.has_bom() and ds.line_count and ds.example_count:
        yield Problem("TL005", "Azure OpenAI's documentation asks for UTF-8 with a byte-order "
                      "mark (BOM); this file has none", line=0, span=(0, 0))


RULE = Rule(
    code="TL005",
    name="utf8-bom",
    severity=Severity.INFO,
    scope="dataset",
    check=check,
    options={"expect_bom": False},
    formats=frozenset({"chat", "preference", "reinforcement", "completion", "none"}),
    doc=__doc__,
)
