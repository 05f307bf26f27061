"""Duplicate key in a JSON object.

## What it does
Reports a key that appears twice in the same object, such as two `"content"` keys in a message.

## Why is this bad?
JSON parsers keep only one of the values (usually the last) without a word, so what you see in
the file is not what is trained on.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi", "content": "Hello?"}, {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hello?"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: which value is meant is for you to decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import LineContext
from tunelint.jsonscan import ScanError, scan
from tunelint.rules import Problem, Rule, Severity


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    canonical = ctx.facts.get("canonical")
    if not ctx.parsed or canonical is None:
        return
    # A dropped member takes at least its key's two quotes with it, so a re-serialisation with
    # fewer quote characters than the line betrays a duplicate without a slow scan. The line's
    # bytes, when there, have as many quotes as its text in half the memory of most texts.
    quotes = ctx.raw.count(b'"') if ctx.raw is not None else ctx.text.count('"')
    if quotes <= canonical.count(b'"'):
        return
    try:
        result = scan(ctx.text)
    except (ScanError, RecursionError):
        return
    for pointer, span in result.duplicate_keys:
        key = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        yield Problem(
            "TL104",
            f"duplicate key '{key}': only the last value is kept",
            span=(span.key_start, span.key_end),
        )


RULE = Rule(
    code="TL104",
    name="duplicate-key",
    severity=Severity.ERROR,
    scope="line",
    check=check,
    doc=__doc__,
)
