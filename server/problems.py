"""The vocabulary every part of tunelint shares: severities, fixes, problems, diagnostics."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, Literal


class Severity(enum.IntEnum):
    """Same numbering as LSP's DiagnosticSeverity, so the server can pass it through."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    HINT = 4

    @classmethod
    def parse(cls, name: str | Severity) -> Severity:
        if isinstance(name, Severity):
            return name
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {name!r}: use error, warning, info or hint"
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()


Part = Literal["value", "key", "member"]


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _by_position(obj: Any) -> tuple[type, tuple[Any, ...]]:
    """``__reduce__`` of the dataclasses below: their fields in order, without their names. A
    file's problems are pickled by the hundred thousand (worker results, problems spilled to
    disk, the results cache), and a slot dataclass's default pickle spells out every field
    name each time (a problem: 309 bytes, 210 without)."""
    cls = type(obj)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return cls, tuple(getattr(obj, name) for name in names)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace something inside one line's JSON, addressed by a JSON pointer.

    ``part="value"`` replaces the value, ``"key"`` the key string (with its quotes),
    ``"member"`` the whole ``"key": value`` pair; a member edit with an empty
    ``new_text`` deletes the member together with its separating comma.
    """

    __reduce__ = _by_position

    pointer: str
    part: Part
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A fix for one problem. Only ``safe`` fixes run in fix-all and ``--fix``."""

    __reduce__ = _by_position

    title: str
    safe: bool
    edits: tuple[Edit, ...] = ()
    # Replace the whole line with this text (None: no whole-line replacement).
    line_text: str | None = None
    delete_line: bool = False
    # With line_text: replace the lines from the problem's line through this one (inclusive).
    through_line: int | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a problem refers to (the first copy of a duplicate, a tool call)."""

    __reduce__ = _by_position

    line: int
    message: str
    pointer: str | None = None
    path: str | None = None


@dataclass(slots=True)
class Problem:
    """What a rule reports. Positions are resolved later, only for problems that are shown.

    A problem points into its line by ``pointer`` (a JSON pointer, resolved to a column range
    by the position-aware scanner) or by ``span`` (character columns), or at the whole line.
    ``line`` is set only by dataset-level rules; line rules leave it to the engine.
    """

    __reduce__ = _by_position

    code: str
    message: str
    pointer: str | None = None
    part: Part = "value"
    span: tuple[int, int] | None = None
    severity: Severity | None = None
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    line: int | None = None
    end_line: int | None = None
    data: dict[str, Any] | None = None


@dataclass(slots=True)
class Diagnostic:
    """A problem placed in a document: 0-based lines, columns in code points of the line."""

    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    severity: Severity
    message: str
    fix: Fix | None = None
    related: list[tuple[int, int, int, str]] = field(default_factory=list)
    data: dict[str, Any] | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.code)
