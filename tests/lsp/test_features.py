"""Code actions, hover, inlay hints, symbols, code lens, commands over LSP."""

from __future__ import annotations

import tomllib
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tunelint.config import Settings
from tunelint.engine import Analyzer, Document
from tunelint.problems import Diagnostic

from .conftest import FIXTURES, Doc, units, wait_publish

MIXED = (FIXTURES / "mixed.jsonl").read_text("utf-8")


def engine(text: str, path: Path) -> list[Diagnostic]:
    return Document(Analyzer(Settings(root=str(path.parent)), str(path)), text,
                    path=str(path)).diagnostics()


def whole(doc: Doc, first: int, last: int) -> types.Range:
    return types.Range(start=types.Position(line=first, character=0),
                       end=types.Position(line=last, character=0))


async def actions(client: LanguageClient, doc: Doc, rng: types.Range,
                  diags: list[types.Diagnostic], only: list[str] | None = None
                  ) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), range=rng,
        context=types.CodeActionContext(diagnostics=diags, only=only)))
    assert result is not None
    # Every action the server sends here carries an edit (none carries a command object,
    # which lsprotocol 2025 would decode as a bare Command).
    assert all(isinstance(a, types.CodeAction) for a in result)
    return result  # type: ignore[return-value]


async def test_quick_fix_for_every_fixable_diagnostic_and_applying_it(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    fixable = [d for d in engine(MIXED, doc.path) if d.fix is not None]
    assert {d.code for d in fixable} >= {"TL302", "TL451", "TL006", "TL904"}
    for d in fixable:
        lsp = [x for x in published.diagnostics
               if x.code == d.code and x.range.start.line == d.line]
        found = await actions(client, doc, lsp[0].range, lsp, only=[types.CodeActionKind.QuickFix])
        titles = [a.title for a in found if a.kind == types.CodeActionKind.QuickFix]
        assert any(d.fix.title in t for t in titles), (d.code, titles)  # type: ignore[union-attr]

    # Apply the role fix: TL302 goes away, and the text is what the fix says.
    typo = next(x for x in published.diagnostics if x.code == "TL302")
    found = await actions(client, doc, typo.range, [typo])
    fix = next(a for a in found if "TL302" in a.title and a.edit)
    assert fix.edit is not None and fix.edit.changes is not None
    after = await doc.edit(list(fix.edit.changes[doc.uri]))
    assert '"role": "assistant", "content": "hi"' in doc.lines[0]
    assert "TL302" not in {d.code for d in after.diagnostics}

    # Delete the duplicate line through its fix: the duplicate diagnostic goes, lines shift.
    dup = next(x for x in after.diagnostics if x.code == "TL904")
    found = await actions(client, doc, dup.range, [dup])
    fix = next(a for a in found if "TL904" in a.title and a.edit)
    assert fix.edit is not None and fix.edit.changes is not None
    n_lines = len(doc.lines)
    after = await doc.edit(list(fix.edit.changes[doc.uri]))
    assert len(doc.lines) == n_lines - 1
    assert "TL904" not in {d.code for d in after.diagnostics}
    assert [(d.code, d.range.start.line) for d in after.diagnostics] == [
        (e.code, e.line) for e in engine(doc.text, doc.path)]


async def test_fix_all_applies_safe_fixes_only(client: LanguageClient, workspace: Path):
    text = MIXED + '{"messages": [{"role": "user", "content": "k"}, {"role": "assistant", "content": "v", "colour": 1}]}\n'
    doc = Doc(client, workspace / "data.jsonl", text)
    published = await doc.open()
    before = engine(doc.text, doc.path)
    unsafe = {d.code for d in before if d.fix is not None and not d.fix.safe}
    assert unsafe, "the fixture needs an unsafe fix to show it is left out"
    found = await actions(client, doc, whole(doc, 0, 0), [],
                          only=[types.CodeActionKind.SourceFixAll])
    assert [a.kind for a in found] == ["source.fixAll.tunelint"]
    edit = found[0].edit
    assert edit is not None and edit.changes is not None
    after = await doc.edit(list(edit.changes[doc.uri]))
    left = engine(doc.text, doc.path)
    assert not [d for d in left if d.fix is not None and d.fix.safe
                and d.code in {"TL302", "TL451", "TL006", "TL904"}]
    # Unsafe fixes were not applied: their problems are still there.
    assert unsafe <= {d.code for d in left}
    assert {d.code for d in after.diagnostics} == {d.code for d in left}
    assert len(published.diagnostics) > len(after.diagnostics)


async def test_disable_rule_for_file_edits_project_config(
        client: LanguageClient, workspace: Path):
    config = workspace / "tunelint.toml"
    config.write_text('model = "gpt-4o-mini-2024-07-18"\n', "utf-8")
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    weight = next(x for x in published.diagnostics if x.code == "TL451")
    found = await actions(client, doc, weight.range, [weight])
    disable = next(a for a in found if a.title.startswith("Disable TL451"))
    assert disable.edit is not None and disable.edit.changes is not None
    # The server never writes the file: the edit goes through the client.
    assert "per-file-ignores" not in config.read_text("utf-8")
    (edit,) = disable.edit.changes[config.as_uri()]
    assert edit.range.start == types.Position(line=0, character=0)
    new = edit.new_text
    assert tomllib.loads(new)["per-file-ignores"]["data.jsonl"] == ["TL451"]
    # Apply it as the editor would (and save), then tell the server the file changed.
    config.write_text(new, "utf-8")
    mark = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
    after = await wait_publish(client, doc.uri, after=mark)
    assert "TL451" not in {d.code for d in after.diagnostics}
    assert "TL302" in {d.code for d in after.diagnostics}


async def test_disable_rule_without_config_creates_one_where_supported(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    typo = next(x for x in published.diagnostics if x.code == "TL302")
    found = await actions(client, doc, typo.range, [typo])
    disable = [a for a in found if a.title.startswith("Disable TL302")]
    ws = client.capabilities.workspace  # type: ignore[union-attr]
    can_create = bool(ws and ws.workspace_edit and ws.workspace_edit.document_changes
                      and types.ResourceOperationKind.Create
                      in (ws.workspace_edit.resource_operations or []))
    if not can_create:
        assert disable == []
        return
    (action,) = disable
    assert action.edit is not None and action.edit.document_changes is not None
    create, text_edit = action.edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.uri == (workspace / "tunelint.toml").as_uri()
    assert isinstance(text_edit, types.TextDocumentEdit)
    body = text_edit.edits[0].new_text
    assert tomllib.loads(body) == {"per-file-ignores": {"data.jsonl": ["TL302"]}}


async def test_hover_shows_roles_tokens_limit_and_billable(
        client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri),
        position=types.Position(line=0, character=5)))
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    for role in ("system", "user", "asistant"):
        assert f"| {role} |" in value
    assert "65,536" in value  # gpt-4o-mini's limit
    assert "Billable" in value and "epochs" in value
    # Token counts per message add up to the total shown.
    rows = [line for line in value.splitlines() if line.startswith("| `")]
    counts = [int(r.rsplit("|", 2)[1].strip().replace(",", "")) for r in rows]
    assert f"**{sum(counts):,}** tokens" in value
    blank = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri),
        position=types.Position(line=3, character=0)))
    assert blank is None


async def test_inlay_hints_give_each_lines_tokens(client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), range=whole(doc, 0, 6)))
    assert hints is not None
    lines = doc.lines
    assert [h.position.line for h in hints] == [0, 1, 2, 4, 5]
    for h in hints:
        line = lines[h.position.line]
        assert h.position.character == units(line, len(line), doc.encoding)
        assert isinstance(h.label, str) and h.label.endswith(" tokens")
        assert int(h.label.split()[0].replace(",", "")) > 5
    # Turned off by a setting.
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"tunelint": {"inlayHints": False}}))
    await wait_publish(client, doc.uri, after=len(client.published))  # type: ignore[attr-defined]
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), range=whole(doc, 0, 6)))
    assert not hints


async def test_symbols_one_per_example_with_preview(client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri)))
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names[0] == "1: Say hi 🙂🙂 漢字 e\u0301"
    assert [n.split(":")[0] for n in names] == ["1", "2", "3", "5", "6"]
    first = symbols[0]
    assert isinstance(first, types.DocumentSymbol)
    assert first.range.end.character == units(doc.lines[0], len(doc.lines[0]), doc.encoding)


async def test_code_lens_summary_and_report_command(client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri)))
    assert lenses is not None and len(lenses) == 3
    assert all(lens.range.start.line == 0 for lens in lenses)
    commands = [lens.command for lens in lenses]
    assert all(c is not None for c in commands)
    summary = commands[0].title  # type: ignore[union-attr]
    diags = engine(MIXED, doc.path)
    errors = sum(1 for d in diags if d.severity == 1)
    assert "5 examples" in summary and f"{errors} errors" in summary
    assert commands[1].command == "tunelint.showReport"  # type: ignore[union-attr]
    assert commands[2].command in ("tunelint.startFineTune", "tunelint.showReport")  # type: ignore[union-attr]
    report = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="tunelint.showReport", arguments=[doc.uri]))
    assert "5 examples" in report and "billable tokens" in report
    # Token statistics are ready now: the lens shows the totals.
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri)))
    assert lenses is not None and "billable" in lenses[0].command.title  # type: ignore[union-attr]
