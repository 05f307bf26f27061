"""Line is not valid JSON.

## What it does
Parses every line on its own, as JSONL requires, and reports where parsing stopped with a message
a person can act on ("expected ',' or '}' after an object member", "unterminated string").

## Why is this bad?
Fine-tuning APIs read a training file one line at a time; one line that does not parse makes the
whole upload fail validation, often with a message that names no position.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"} {"role": "assistant", "content": "Hello"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
None: the right repair depends on what was meant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import LineContext
from tunelint.rules import Problem, Rule, Severity


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    err = ctx.error
    if err is None or ctx.blank:
        return
    if err.message == "the line is not valid UTF-8" or _has_bad_bytes(ctx.text):
        return  # encoding-utf8 reports it at the byte
    end = max(err.end, err.pos + 1)
    yield Problem("TL101", err.message, span=(err.pos, min(end, max(len(ctx.text), err.pos + 1))))


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text) if not text.isascii() else False


RULE = Rule(
    code="TL101",
    name="json-syntax",
    severity=Severity.ERROR,
    scope="line",
    check=check,
    doc=__doc__,
)
