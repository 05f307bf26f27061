"""Diagnostics over LSP: on open, after edits, after a fix, on close; ranges in every encoding."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tunelint.cli import rule_doc_url
from tunelint.config import Settings
from tunelint.engine import Analyzer, Document

from .conftest import FIXTURES, Doc, slice_range, units, wait_publish

MIXED = (FIXTURES / "mixed.jsonl").read_text("utf-8")


def engine_diagnostics(text: str, path: Path):
    settings = Settings(root=str(path.parent))
    return Document(Analyzer(settings, str(path)), text, path=str(path)).diagnostics()


async def test_diagnostics_on_open_match_engine_in_negotiated_encoding(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    assert published.version == 1
    expected = engine_diagnostics(MIXED, doc.path)
    got = published.diagnostics
    assert len(got) == len(expected) > 5
    lines = MIXED.split("\n")
    enc = doc.encoding
    for d, e in zip(got, expected):
        assert d.code == e.code
        assert d.source == "tunelint"
        assert d.code_description is not None
        assert d.code_description.href == rule_doc_url(e.name)
        assert d.severity == types.DiagnosticSeverity(int(e.severity))
        assert d.message == e.message
        assert (d.range.start.line, d.range.end.line) == (e.line, e.end_line)
        assert d.range.start.character == units(lines[e.line], e.column, enc)
        assert d.range.end.character == units(lines[e.end_line], e.end_column, enc)


async def test_ranges_cover_exact_text_after_emoji_cjk_and_combining(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    by_code = {d.code: d for d in published.diagnostics}
    lines = doc.lines
    # Line 0 has emoji (surrogate pairs in UTF-16, 4 bytes in UTF-8), CJK and e + U+0301.
    assert slice_range(lines, by_code["TL302"].range, doc.encoding) == '"asistant"'
    assert slice_range(lines, by_code["TL451"].range, doc.encoding) == "1.0"
    if doc.encoding != "utf-32":
        # A wrong (code point) column would land earlier on these lines.
        assert by_code["TL302"].range.start.character != lines[0].index('"asistant"')


async def test_duplicate_points_at_first_copy_and_updates_across_lines(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    dups = [d for d in published.diagnostics if d.code == "TL904"]
    assert [d.range.start.line for d in dups] == [4]
    related = dups[0].related_information
    assert related and related[0].location.range.start.line == 2
    assert related[0].location.uri == doc.uri

    # Editing the *first* copy (line 2) makes line 4 unique: its diagnostic goes away.
    changed = doc.lines[2].replace('"x"', '"y"')
    after = await doc.edit([doc.replace_line(2, changed)])
    assert after.version == 2
    assert not [d for d in after.diagnostics if d.code == "TL904"]

    # Make line 5 a copy of line 4: a duplicate appears on line 5, pointing at line 4.
    again = await doc.edit([doc.replace_line(5, doc.lines[4])])
    dups = [d for d in again.diagnostics if d.code == "TL904"]
    assert [d.range.start.line for d in dups] == [5]
    assert dups[0].related_information
    assert dups[0].related_information[0].location.range.start.line == 4


async def test_diagnostics_follow_line_insertions_and_deletions(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    # Insert two new lines at the top: everything moves down by two.
    top = types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                           end=types.Position(line=0, character=0)),
                         new_text='{"messages": [{"role": "user", "content": "new"}, '
                                  '{"role": "assistant", "content": "one"}]}\n\n')
    after = await doc.edit([top])
    codes = {(d.code, d.range.start.line) for d in after.diagnostics}
    assert ("TL302", 2) in codes and ("TL904", 6) in codes and ("TL006", 1) in codes
    expected = engine_diagnostics(doc.text, doc.path)
    assert [(d.code, d.range.start.line) for d in after.diagnostics] == [
        (e.code, e.line) for e in expected]
    # Delete lines 2-3 (the role typo and the weight lines): later lines move up by two.
    cut = types.TextEdit(range=types.Range(start=types.Position(line=2, character=0),
                                           end=types.Position(line=4, character=0)),
                         new_text="")
    after = await doc.edit([cut])
    codes = {(d.code, d.range.start.line) for d in after.diagnostics}
    assert "TL302" not in {c for c, _ in codes} and ("TL904", 4) in codes
    expected = engine_diagnostics(doc.text, doc.path)
    assert [(d.code, d.range.start.line, d.range.end.line) for d in after.diagnostics] == [
        (e.code, e.line, e.end_line) for e in expected]


async def test_cleared_on_close(client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    assert published.diagnostics
    mark = len(client.published)  # type: ignore[attr-defined]
    doc.close()
    cleared = await wait_publish(client, doc.uri, after=mark)
    assert list(cleared.diagnostics) == []


async def test_only_newest_version_is_published_after_a_burst(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    # A long debounce makes the burst certain to land inside it (no timing assertions).
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"tunelint": {"debounce": 1500}}))
    await wait_publish(client, doc.uri, lambda p: p.version == 1,
                       after=len(client.published))  # type: ignore[attr-defined]
    mark = len(client.published)  # type: ignore[attr-defined]
    text = doc.lines[5]
    for i in range(5):
        doc.send_edits([doc.replace_line(5, text.replace("Gut.", f"Gut {i}."))])
    final = await wait_publish(client, doc.uri, lambda p: p.version == doc.version, after=mark)
    seen = [p.version for p in client.published[mark:] if p.uri == doc.uri]  # type: ignore
    assert seen == [doc.version]
    assert final.version == 6
