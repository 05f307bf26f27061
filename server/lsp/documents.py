"""Open documents: the engine's ``Document`` is the line store; changes are applied to it in time
proportional to the lines they touch (pygls's TextDocument is never filled)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from tunelint.config import Settings
from tunelint.engine import Analyzer, Document, Summary
from tunelint.lsp.positions import from_client, to_client
from tunelint.problems import Diagnostic


def uri_to_path(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    fs = to_fs_path(uri)
    return Path(fs) if fs else None


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class TextPieces:
    """A big document's text as UTF-8 pieces, each ending at a line end (but the last), taken
    one at a time by the build: the whole text is never one str, which can take 4 bytes a
    character, and each piece is freed once built."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = deque(pieces)
        self.size = sum(len(p) for p in self._pieces)  # bytes, before any was taken

    @classmethod
    def from_text(cls, text: str, first: int, size: int) -> TextPieces:
        """Pieces of ``text`` cut after a line end near every ``size`` characters (the first
        near ``first``)."""
        pieces = []
        start = 0
        target = first
        while start < len(text):
            cut = text.find("\n", start + target)
            end = len(text) if cut < 0 else cut + 1
            pieces.append(encode_text(text[start:end]))
            start = end
            target = size
        return cls(pieces)

    def __len__(self) -> int:
        """Pieces not taken yet."""
        return len(self._pieces)

    def take(self) -> bytes:
        """The next piece (b"" once all are taken)."""
        return self._pieces.popleft() if self._pieces else b""


def build_document(settings: Settings, text: str, path: Path | None) -> Document:
    """The heavy part of opening a file or changing settings (run it off the event loop)."""
    analyzer = Analyzer(settings, str(path) if path else None)
    return Document(analyzer, text, path=str(path) if path else None)


@dataclass
class OpenDocument:
    uri: str
    version: int
    path: Path | None
    settings: Settings
    doc: Document | None = None  # None while (re)building off the loop
    # The text to build from, kept only while building (a big one as pieces, taken as built).
    text: str | TextPieces | None = None
    pending: list[tuple[int, list[Any]]] = field(default_factory=list)
    building: asyncio.Future[Any] | None = None
    lint_task: asyncio.Task[Any] | None = None
    stats_task: asyncio.Task[Any] | None = None
    # The diagnostics of ``diag_version`` (kept for code actions, pull requests and the lens).
    diagnostics: list[Diagnostic] | None = None
    diag_version: int = -1
    lsp_diagnostics: list[bytes] = field(default_factory=list)  # serialised LSP JSON
    conversions: dict[int, tuple[Diagnostic, bytes]] = field(default_factory=dict)
    result_id: str = ""
    token_stats: dict[str, Any] | None = None
    stats_version: int = -1
    closed: bool = False

    # -- text and positions -------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.doc is not None

    def client_line(self, line: int) -> str:
        """Line ``line`` as the client sees it (with the BOM on line 0)."""
        assert self.doc is not None
        entries = self.doc.entries
        if line >= len(entries):
            return ""
        text = entries[line].text
        return ("\ufeff" + text) if line == 0 and self.doc.bom else text

    def to_client_col(self, line: int, column: int, encoding: str) -> int:
        assert self.doc is not None
        if line == 0 and self.doc.bom:
            column += 1
        return to_client(self.client_line(line), column, encoding)

    def from_client_col(self, line: int, units: int, encoding: str) -> int:
        assert self.doc is not None
        col = from_client(self.client_line(line), units, encoding)
        if line == 0 and self.doc.bom:
            col = max(0, col - 1)
        return col

    def position(self, line: int, column: int, encoding: str) -> types.Position:
        return types.Position(line=line, character=self.to_client_col(line, column, encoding))

    def range(self, line: int, col: int, end_line: int, end_col: int,
              encoding: str) -> types.Range:
        return types.Range(start=self.position(line, col, encoding),
                           end=self.position(end_line, end_col, encoding))

    # -- changes --------------------------------------------------------------------------

    def apply_changes(self, changes: list[Any], encoding: str) -> None:
        """Apply didChange content changes (in order) to the engine document."""
        assert self.doc is not None
        doc = self.doc
        for change in changes:
            rng = getattr(change, "range", None)
            if rng is None:
                doc.set_text(change.text)
                continue
            sl, el = rng.start.line, rng.end.line
            sc = self.from_client_col(sl, rng.start.character, encoding)
            ec = self.from_client_col(el, rng.end.character, encoding)
            if sl == 0 and doc.bom and rng.start.character == 0 and not (
                el == 0 and rng.end.character == 0
            ):
                # The change removes the BOM too.
                doc.bom = False
            doc.apply_change((sl, sc), (el, ec), change.text)

    def summary(self) -> Summary:
        assert self.doc is not None
        s = self.doc.summary(diagnostics=self.diagnostics)
        if self.token_stats is not None:
            s.tokens = self.token_stats
        return s
