"""Turning a rule's Fix into concrete text edits, and applying safe fixes: to lines in memory
(an editor's document), or to a file on disk a pass at a time (``tunelint check --fix``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tunelint.jsonscan import LineSpans, ScanError
from tunelint.memory import release_free_memory
from tunelint.problems import Edit, Fix

if TYPE_CHECKING:
    from tunelint.lean import LeanDocument


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
    if not fix.edits:
        raise FixError("the fix changes nothing")
    spans = LineSpans(text)
    out: list[TextEdit] = []
    for edit in fix.edits:
        try:
            start, end, new = _edit_range(text, spans, edit)
        except (ScanError, RecursionError) as e:
            raise FixError(f"cannot fix a line that does not parse: {e}") from None
        out.append(TextEdit(line, start, line, end, new))
    out.sort(key=lambda e: e.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            raise FixError("fix edits overlap")
    return out


def _edit_range(text: str, spans: LineSpans, edit: Edit) -> tuple[int, int, str]:
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


# -- fixing a file on disk without holding it ----------------------------------------------

# Lines before the one being fixed that a later fix can still touch: deleting the last line
# takes the line end before it.
_REACH_BACK = 1


def fix_file(path: str, check: Callable[[], LeanDocument], max_passes: int = 10
             ) -> tuple[int, LeanDocument | None]:
    """Apply safe fixes to the file at ``path`` until none is left, as ``apply_safe_fixes`` does
    to a document in memory, but a pass at a time through the file: ``check()`` checks the file
    as it is on disk, its fixes are written, line by line, with the unchanged bytes between them,
    to a temporary file that then replaces ``path`` atomically (mode kept). Memory is that of a
    check, whatever the file's size.

    Returns the number of lines fixed and the last check, if it found nothing left to fix (the
    file as it is now), else None."""
    total = 0
    for _ in range(max_passes):
        doc = check()
        fixed = _write_fixed(doc, path)
        if not fixed:
            return total, doc
        total += fixed
        # The next check forks its workers from this process: they should not start with a
        # copy of this pass's columns.
        del doc
        release_free_memory()
    return total, None


def _write_fixed(doc: LeanDocument, path: str) -> int:
    """One pass: the fixes of ``doc``'s safe fixes that apply, written over ``path``. Returns
    the number of lines they change (0: the file is left alone)."""
    from tunelint.batch import forget_reader

    target = Path(path).resolve()  # through a symbolic link: the file it points at is fixed
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
            fixed = _stream_fixes(doc, source, out)
            if fixed:
                out.flush()
                os.fsync(out.fileno())
        if fixed:
            os.chmod(tmp, target.stat().st_mode)
            forget_reader(path)  # the file read back is about to be replaced
            os.replace(tmp, target)
        else:
            os.unlink(tmp)
        return fixed
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _stream_fixes(doc: LeanDocument, source: BinaryIO, out: BinaryIO) -> int:
    """Write ``source`` to ``out`` with the fixes applied; the same choice of fixes as
    ``apply_safe_fixes`` (in order, one per line per pass). Returns the lines changed."""
    copied = 0  # bytes of source written (or replaced) so far
    used: set[int] = set()
    changed = 0
    for d in doc.iter_diagnostics():
        fix = d.fix
        if fix is None or not fix.safe:
            continue
        if d.line in used or (fix.delete_line and (d.line + 1) in used):
            continue
        try:
            through = fix.through_line
            resolved = resolve_fix(fix, d.line, doc.line_text(d.line), doc.line_count,
                                   doc.line_text(through) if through is not None else None)
        except FixError:
            continue
        touched = {ln for e in resolved for ln in range(e.line, e.end_line + 1)}
        if touched & used:
            continue
        spans = [(_byte_at(doc, e.line, e.start), _byte_at(doc, e.end_line, e.end),
                  e.text.encode("utf-8", "surrogateescape")) for e in resolved]
        if any(a > b for a, b, _ in spans) or any(
                b > c for (_, b, _), (c, _, _) in zip(spans, spans[1:])) or spans[0][0] < copied:
            continue  # not in file order: never the case for fixes chosen as above
        used |= touched
        if len(used) > 4096:  # fixes come in line order: earlier lines are done with
            used = {ln for ln in used if ln >= d.line - _REACH_BACK}
        for start, end, new in spans:
            _copy(source, out, copied, start)
            out.write(new)
            copied = end
        changed += len({e.line for e in resolved})  # fixes never share a line (``used``)
    if changed:
        _copy(source, out, copied, doc.file_size)
    return changed


def _byte_at(doc: LeanDocument, line: int, column: int) -> int:
    """The file offset of a column of a line (-1: the end of its text)."""
    offset = doc.columns.offsets[line]
    if column < 0:
        return offset + doc.columns.lengths[line]
    return offset + len(doc.line_text(line)[:column].encode("utf-8", "surrogateescape"))


def _copy(source: BinaryIO, out: BinaryIO, start: int, end: int) -> None:
    source.seek(start)
    left = end - start
    while left > 0:
        block = source.read(min(left, 1 << 20))
        if not block:
            raise OSError(f"{source.name} is shorter than when it was checked")
        out.write(block)
        left -= len(block)
