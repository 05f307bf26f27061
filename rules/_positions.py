"""Columns inside a JSON string literal: map offsets of the decoded text back to the line.

Used to point at a place inside an embedded JSON document, such as a tool call's ``arguments``
string. Runs only for lines that have a problem to show.
"""

from __future__ import annotations

from tunelint.jsonscan import ScanError, locate, scan


def decoded_to_raw(text: str, lit_start: int, lit_end: int) -> list[int]:
    """For the string literal ``text[lit_start:lit_end]`` (quotes included), the line column of
    every decoded character, plus one entry for the end."""
    cols: list[int] = []
    i = lit_start + 1
    end = lit_end - 1
    while i < end:
        cols.append(i)
        if text[i] == "\\":
            if text[i + 1] == "u":
                code = int(text[i + 2 : i + 6], 16)
                if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", i + 6):
                    i += 12
                else:
                    i += 6
            else:
                i += 2
        else:
            i += 1
    cols.append(end)
    return cols


def span_in_string(
    text: str, pointer: str, inner: str, inner_pointer: str, part: str = "value"
) -> tuple[int, int] | None:
    """The line columns of ``inner_pointer`` inside the JSON document ``inner``, which is the
    decoded value of the string at ``pointer`` in ``text``; None when it cannot be found."""
    start, end = locate(text, pointer, "value")
    if end - start < 2 or text[start] != '"':
        return None
    try:
        spans = scan(inner).spans
    except (ScanError, RecursionError):
        return None
    p = inner_pointer
    span = spans.get(p)
    while span is None and p:
        p = p.rsplit("/", 1)[0]
        span = spans.get(p)
    if span is None:
        return None
    if p != inner_pointer:
        part = "key"
    a, b = span.value_start, span.value_end
    if part == "key" and span.key_start >= 0:
        a, b = span.key_start, span.key_end
    try:
        cols = decoded_to_raw(text, start, end)
    except (IndexError, ValueError):
        return None
    if len(cols) != len(inner) + 1 or b > len(inner):
        return None
    return cols[a], cols[b]


def offset_in_string(text: str, pointer: str, inner_len: int, a: int, b: int
                     ) -> tuple[int, int] | None:
    """Line columns of the decoded range ``a..b`` of the string at ``pointer``."""
    start, end = locate(text, pointer, "value")
    if end - start < 2 or text[start] != '"':
        return None
    try:
        cols = decoded_to_raw(text, start, end)
    except (IndexError, ValueError):
        return None
    if len(cols) != inner_len + 1:
        return None
    a = max(0, min(a, inner_len))
    b = max(a, min(b, inner_len))
    return cols[a], cols[b]
