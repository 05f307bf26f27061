"""A JSON object or array spans several lines.

## What it does
Recognises pretty-printed JSON (an object indented over many lines, or a whole file that is one
JSON array) where JSONL needs one compact object per line. It reports each object once, instead of
a syntax error on every line of it.

## Why is this bad?
JSONL readers parse line by line: a pretty-printed object is a run of broken lines to them, and
the upload is rejected.

## Example
```jsonl
{
  "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix
Safe: compact each object onto one line (an array becomes one line per element). Raw newlines
and tabs inside strings become `\\n` and `\\t`, so the text is unchanged.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Fix, Problem, Rule, Severity

_INVALID, _NON_OBJECT, _BLANK = 1, 2, 0
_decoder = json.JSONDecoder(strict=False)
# (joined text) -> decoded spans; the same run is not decoded again on every edit elsewhere.
_memo: OrderedDict[str, list[tuple[int, int, str, bool]]] = OrderedDict()


def _runs(ds: DatasetView) -> Iterator[tuple[int, int]]:
    """Runs of consecutive lines that do not parse as objects, starting at '{' or '['."""
    covered = -1
    for first in ds.first_invalid_lines(50):
        if first <= covered:
            continue  # inside a run already found
        start = first
        text = ds.line_text(start).lstrip()
        if not text.startswith(("{", "[")):
            continue
        end = start
        while end + 1 < ds.line_count and ds.line_kind(end + 1) in (_INVALID, _NON_OBJECT,
                                                                     _BLANK):
            end += 1
        covered = end
        if end > start:
            yield start, end


def _decode(joined: str) -> list[tuple[int, int, str, bool]]:
    """(start offset line, end offset line, compact text, was_array) per decoded value."""
    hit = _memo.get(joined)
    if hit is not None:
        return hit
    out: list[tuple[int, int, str, bool]] = []
    pos = 0
    n = len(joined)
    while pos < n:
        while pos < n and joined[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        try:
            value, end = _decoder.raw_decode(joined, pos)
        except json.JSONDecodeError:
            break
        first_line = joined.count("\n", 0, pos)
        last_line = joined.count("\n", 0, end)
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            compact = "\n".join(json.dumps(v, ensure_ascii=False) for v in value)
            out.append((first_line, last_line, compact, True))
        elif isinstance(value, dict):
            out.append((first_line, last_line, json.dumps(value, ensure_ascii=False), False))
        else:
            break
        pos = end
    _memo[joined] = out
    if len(_memo) > 8:
        _memo.popitem(last=False)
    return out


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    if ds.invalid_line_count() == 0:
        return
    for start, end in _runs(ds):
        # Line ends are normalised to \n so line offsets can be counted; CRLF inside a
        # string value would be a raw control character either way.
        joined = "\n".join(ds.line_text(i) for i in range(start, end + 1))
        for first, last, compact, was_array in _decode(joined):
            if last == first:
                continue
            what = "a JSON array" if was_array else "a JSON object"
            yield Problem(
                "TL102",
                f"{what} spread over lines {start + first + 1}-{start + last + 1}: JSONL needs "
                "one compact object per line",
                line=start + first,
                end_line=start + last,
                fix=Fix("Compact onto one line per object", safe=True, line_text=compact,
                        through_line=start + last),
                data={"suppress": [start + first, start + last]},
            )


RULE = Rule(
    code="TL102",
    name="multiline-json",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    fix="safe",
    reads=frozenset({"nonobject"}),
    doc=__doc__,
)
