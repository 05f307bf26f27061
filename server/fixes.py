"""Turning a rule's Fix into concrete text edits, and applying safe fixes to a document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tunelint.jsonscan import ScanError, Span, scan
from tunelint.problems import Edit, Fix


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace columns ``start..end`` of line ``line`` through ``end_line`` with ``text``.

    Columns are code points. ``end_line`` > ``line`` spans line ends (used to delete lines).
    """

    line: int
    start: int
    end_line: int
    end: int
    text: str


class FixError(ValueError):
    pass


def resolve_fix(fix: Fix, line: int, text: str, line_count: int,
                through_text: str | None = None) -> list[TextEdit]:
    """Concrete edits for ``fix`` on line ``line`` whose text is ``text``.

    ``through_text`` is the text of ``fix.through_line`` when the fix replaces several lines.
    """
    if fix.delete_line:
        if line + 1 < line_count:
            return [TextEdit(line, 0, line + 1, 0, "")]
        if line > 0:
            # Last line: remove it together with the line end before it.
            return [TextEdit(line - 1, -1, line, len(text), "")]
        return [TextEdit(line, 0, line, len(text), "")]
    if fix.line_text is not None:
        if fix.through_line is not None and fix.through_line > line:
            if through_text is None:
                raise FixError("the text of the last replaced line is needed")
            return [TextEdit(line, 0, fix.through_line, len(through_text), fix.line_text)]
        return [TextEdit(line, 0, line, len(text), fix.line_text)]
    try:
        spans = scan(text).spans
    except (ScanError, RecursionError) as e:
        raise FixError(f"cannot fix a line that does not parse: {e}") from None
    out: list[TextEdit] = []
    for edit in fix.edits:
        start, end, new = _edit_range(text, spans, edit)
        out.append(TextEdit(line, start, line, end, new))
    out.sort(key=lambda e: e.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            raise FixError("fix edits overlap")
    return out


def _edit_range(text: str, spans: dict[str, Span], edit: Edit) -> tuple[int, int, str]:
    span = spans.get(edit.pointer)
    if edit.part == "member" and span is None and edit.new_text:
        # Insert a new member into the parent object, before its closing brace.
        parent, _, _key = edit.pointer.rpartition("/")
        pspan = spans.get(parent)
        if pspan is None:
            raise FixError(f"nothing at {parent!r}")
        close = pspan.value_end - 1
        inner = text[pspan.value_start + 1 : close].strip()
        sep = ", " if inner else ""
        return close, close, sep + edit.new_text
    if span is None:
        raise FixError(f"nothing at {edit.pointer!r}")
    if edit.part == "value":
        return span.value_start, span.value_end, edit.new_text
    if span.key_start < 0:
        if edit.part == "member" and not edit.new_text:
            return _delete_element(text, span.value_start, span.value_end)
        raise FixError(f"{edit.pointer!r} is not an object member")
    if edit.part == "key":
        return span.key_start, span.key_end, edit.new_text
    if edit.new_text:
        return span.key_start, span.value_end, edit.new_text
    return _delete_element(text, span.key_start, span.value_end)


def _delete_element(text: str, start: int, end: int) -> tuple[int, int, str]:
    """Delete a member/element with one adjacent comma, keeping the JSON valid."""
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    if after < len(text) and text[after] == ",":
        after += 1
        while after < len(text) and text[after] in " \t":
            after += 1
        return start, after, ""
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before > 0 and text[before - 1] == ",":
        return before - 1, end, ""
    return start, end, ""


def apply_edits(lines: list[str], endings: list[str], edits: Sequence[TextEdit]) -> None:
    """Apply non-overlapping edits in place (processed from the end of the file)."""
    for e in sorted(edits, key=lambda e: (e.line, e.start), reverse=True):
        if e.end_line == e.line:
            t = lines[e.line]
            lines[e.line] = t[: e.start] + e.text + t[e.end :]
        elif e.start == -1:
            # delete from the end of line e.line (its line end) through e.end_line's text
            lines[e.line] = lines[e.line] + e.text + lines[e.end_line][e.end :]
            endings[e.line] = endings[e.end_line]
            del lines[e.line + 1 : e.end_line + 1]
            del endings[e.line + 1 : e.end_line + 1]
        else:
            head = lines[e.line][: e.start]
            tail = lines[e.end_line][e.end :]
            lines[e.line] = head + e.text + tail
            endings[e.line] = endings[e.end_line]
            del lines[e.line + 1 : e.end_line + 1]
            del endings[e.line + 1 : e.end_line + 1]
