"""Line is not valid UTF-8.

## What it does
Reports bytes that are not valid UTF-8, at the byte where decoding fails. The rest of the file is
still checked.

## Why is this bad?
OpenAI, Azure OpenAI, Together and Mistral all require UTF-8 training files. A file saved in
Latin-1 or UTF-16 is rejected as a whole.

## Example
A line holding the byte `0xE9` (`é` in Latin-1) instead of the UTF-8 bytes `0xC3 0xA9`.

## Fix
None: re-save the file as UTF-8 in your editor or with `iconv -f latin1 -t utf-8`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import LineContext
from tunelint.rules import Problem, Rule, Severity


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    text = ctx.text
    if ctx.valid_utf8 or text.isascii():
        return
    # Invalid bytes were decoded with surrogateescape: U+DC80..U+DCFF stand for bytes 0x80..0xFF.
    # Strict encoding finds the first one in C; only a failing line is looked at further.
    try:
        text.encode("utf-8")
        return
    except UnicodeEncodeError as e:
        first = e.start
    for col in range(first, len(text)):
        ch = text[col]
        if "\udc80" <= ch <= "\udcff":
            byte = ord(ch) - 0xDC00
            offset = len(text[:col].encode("utf-8", "surrogateescape"))
            yield Problem(
                "TL004",
                f"invalid UTF-8 byte 0x{byte:02X} at byte offset {offset} of the line; "
                "save the file as UTF-8",
                span=(col, col + 1),
                data={"byte_offset": offset},
            )
            return


RULE = Rule(
    code="TL004",
    name="encoding-utf8",
    severity=Severity.ERROR,
    scope="line",
    check=check,
    doc=__doc__,
)
