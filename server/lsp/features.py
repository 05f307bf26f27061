"""Engine results as LSP values: diagnostics, fixes, hovers, inlay hints, symbols, code lenses.

Pure functions of an ``OpenDocument`` and the negotiated position encoding; no rule logic here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from lsprotocol import types

from tunelint.cli import rule_doc_url
from tunelint.engine import OBJECT, Document, LineResult
from tunelint.fixes import FixError, TextEdit, resolve_fix
from tunelint.lsp.documents import OpenDocument
from tunelint.lsp.positions import to_client
from tunelint.problems import Diagnostic
from tunelint.stats import auto_epochs

SOURCE = "tunelint"
FIX_ALL_KIND = "source.fixAll.tunelint"
PREVIEW_CHARS = 60

# -- diagnostics ------------------------------------------------------------------------------


def lsp_diagnostics(od: OpenDocument, diags: Sequence[Diagnostic], encoding: str
                    ) -> list[bytes]:
    """Diagnostics as serialised LSP JSON, one ``bytes`` each.

    A conversion is cached by the diagnostic object: the engine keeps its findings between calls
    (a line's until that line changes or lines move, a dataset rule's until what it reads
    changes) and makes new objects otherwise, so an object seen before still has the same
    range, text and related lines. An edit thus converts only the diagnostics it changed, and a
    publish costs a lookup per finding.
    """
    cache = od.conversions
    fresh: dict[int, tuple[Diagnostic, bytes]] = {}
    out = []
    for d in diags:
        hit = cache.get(id(d))
        if hit is None or hit[0] is not d:  # the object itself is kept, so an id is not reused
            hit = (d, orjson.dumps(lsp_diagnostic_json(od, d, encoding)))
        fresh[id(d)] = hit
        out.append(hit[1])
    od.conversions = fresh
    return out


def _range_json(od: OpenDocument, line: int, col: int, end_line: int, end_col: int,
                encoding: str) -> dict[str, Any]:
    return {"start": {"line": line, "character": od.to_client_col(line, col, encoding)},
            "end": {"line": end_line, "character": od.to_client_col(end_line, end_col, encoding)}}


def lsp_diagnostic_json(od: OpenDocument, d: Diagnostic, encoding: str) -> dict[str, Any]:
    # No ``data``: code actions look fixes up in the engine, and every publish carries every
    # finding, so each byte here is sent (and parsed by the editor) on each edit.
    item: dict[str, Any] = {
        "range": _range_json(od, d.line, d.column, d.end_line, d.end_column, encoding),
        "severity": int(d.severity),
        "code": d.code,
        "codeDescription": {"href": rule_doc_url(d.name)},
        "source": SOURCE,
        "message": d.message,
    }
    if d.related:
        item["relatedInformation"] = [
            {"location": {"uri": od.uri, "range": _range_json(od, ln, s, ln, e, encoding)},
             "message": msg}
            for ln, s, e, msg in d.related
        ]
    return item


# -- code actions -----------------------------------------------------------------------------


def text_edits(od: OpenDocument, edits: Iterable[TextEdit], encoding: str) -> list[types.TextEdit]:
    assert od.doc is not None
    entries = od.doc.entries
    out = []
    for e in edits:
        start = len(entries[e.line].text) if e.start == -1 else e.start
        out.append(types.TextEdit(range=od.range(e.line, start, e.end_line, e.end, encoding),
                                  new_text=e.text))
    return out


def resolve(od: OpenDocument, d: Diagnostic) -> list[TextEdit] | None:
    assert od.doc is not None and d.fix is not None
    entries = od.doc.entries
    if d.line >= len(entries):
        return None
    try:
        return resolve_fix(d.fix, d.line, entries[d.line].text, len(entries))
    except FixError:
        return None


def quick_fixes(od: OpenDocument, diags: Sequence[Diagnostic], encoding: str,
                lsp_diags: Sequence[types.Diagnostic]) -> list[types.CodeAction]:
    actions = []
    for d in diags:
        if d.fix is None:
            continue
        edits = resolve(od, d)
        if not edits:
            continue
        actions.append(types.CodeAction(
            title=f"{d.fix.title} ({d.code})" + ("" if d.fix.safe else " [unsafe]"),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[x for x in lsp_diags if x.code == d.code] or None,
            is_preferred=d.fix.safe,
            edit=types.WorkspaceEdit(changes={od.uri: text_edits(od, edits, encoding)}),
        ))
    return actions


def fix_all(od: OpenDocument, diags: Sequence[Diagnostic], encoding: str
            ) -> types.CodeAction | None:
    """All safe fixes whose edits do not overlap (run it again for any that were left)."""
    assert od.doc is not None
    entries = od.doc.entries

    def span(e: TextEdit) -> tuple[tuple[int, int], tuple[int, int]]:
        start = len(entries[e.line].text) if e.start == -1 else e.start
        return (e.line, start), (e.end_line, e.end)

    chosen: list[TextEdit] = []
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for d in diags:
        if d.fix is None or not d.fix.safe:
            continue
        edits = resolve(od, d)
        if not edits:
            continue
        spans = [span(e) for e in edits]
        if any(_overlap(s, t) for s in spans for t in taken):
            continue
        taken.extend(spans)
        chosen.extend(edits)
    if not chosen:
        return None
    chosen.sort(key=lambda e: (e.line, e.start))
    return types.CodeAction(
        title="Fix all safe tunelint problems",
        kind=FIX_ALL_KIND,
        edit=types.WorkspaceEdit(changes={od.uri: text_edits(od, chosen, encoding)}),
    )


def _overlap(a: tuple[tuple[int, int], tuple[int, int]],
             b: tuple[tuple[int, int], tuple[int, int]]) -> bool:
    if a[0] == b[0]:
        return True  # same start (two insertions at one point count as a clash)
    return a[0] < b[1] and b[0] < a[1]


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """Does the client's ``only`` filter admit ``kind`` (a kind admits its sub-kinds)?"""
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in map(str, only))


def disable_rule_action(od: OpenDocument, code: str, name: str, config: Path | None,
                        fallback_dir: Path | None, create_support: bool, encoding: str
                        ) -> types.CodeAction | None:
    """"Disable rule for this file": add it to per-file-ignores in the project config."""
    if od.path is None:
        return None
    if config is not None:
        root = config.parent
        try:
            rel = od.path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = od.path.name
        try:
            old = config.read_text("utf-8")
        except OSError:
            return None
        new = add_per_file_ignore(old, rel, code, pyproject=config.name == "pyproject.toml")
        if new is None:
            return None
        edit = types.WorkspaceEdit(changes={config.as_uri(): [whole_file_edit(old, new, encoding)]})
    else:
        if not create_support or fallback_dir is None:
            return None
        target = fallback_dir / "tunelint.toml"
        try:
            rel = od.path.resolve().relative_to(fallback_dir.resolve()).as_posix()
        except ValueError:
            rel = od.path.name
        text = f'[per-file-ignores]\n"{_toml_escape(rel)}" = ["{code}"]\n'
        uri = target.as_uri()
        edit = types.WorkspaceEdit(document_changes=[
            types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                                        end=types.Position(line=0, character=0)),
                                      new_text=text)],
            ),
        ])
    return types.CodeAction(
        title=f"Disable {code} ({name}) for this file",
        kind=types.CodeActionKind.QuickFix,
        edit=edit,
    )


def _toml_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def add_per_file_ignore(text: str, rel: str, code: str, pyproject: bool) -> str | None:
    """The config text with ``code`` added to ``per-file-ignores[rel]`` (None if impossible)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    table = data.get("tool", {}).get("tunelint", {}) if pyproject else data
    pfi = table.get("per-file-ignores", table.get("per_file_ignores", {}))
    current = list(pfi.get(rel, [])) if isinstance(pfi, dict) else []
    if code in current:
        return None
    codes = ", ".join(f'"{c}"' for c in [*current, code])
    entry = f'"{_toml_escape(rel)}" = [{codes}]'
    header = "[tool.tunelint.per-file-ignores]" if pyproject else "[per-file-ignores]"
    lines = text.splitlines(keepends=True)
    out: str | None = None
    for i, line in enumerate(lines):
        if line.strip() in (header, header.replace("-", "_")):
            # Replace an existing entry for this file in the table, or add one after the header.
            j = i + 1
            while j < len(lines) and not lines[j].lstrip().startswith("["):
                key = lines[j].split("=", 1)[0].strip().strip("\"'")
                if "=" in lines[j] and key == rel:
                    ending = "\n" if lines[j].endswith("\n") else ""
                    out = "".join(lines[:j]) + entry + ending + "".join(lines[j + 1 :])
                    break
                j += 1
            if out is None:
                out = "".join(lines[: i + 1]) + entry + "\n" + "".join(lines[i + 1 :])
            break
    if out is None:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        out = text + sep + header + "\n" + entry + "\n"
    # Only offer edits that keep the file valid and do what they say.
    try:
        check = tomllib.loads(out)
    except tomllib.TOMLDecodeError:
        return None
    table = check.get("tool", {}).get("tunelint", {}) if pyproject else check
    pfi = table.get("per-file-ignores", table.get("per_file_ignores", {}))
    if not isinstance(pfi, dict) or code not in pfi.get(rel, []):
        return None
    return out


def whole_file_edit(old: str, new: str, encoding: str) -> types.TextEdit:
    """Replace all of ``old`` with ``new``."""
    lines = old.split("\n")
    last = lines[-1]
    end = types.Position(line=len(lines) - 1, character=to_client(last, len(last), encoding))
    return types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end),
                          new_text=new)


# -- hover ------------------------------------------------------------------------------------


def epochs_for(od: OpenDocument) -> int:
    assert od.doc is not None
    configured = od.doc.run.settings.n_epochs
    if configured == "auto":
        return auto_epochs(od.doc.example_count)
    return int(configured)


def hover_example(od: OpenDocument, line: int) -> tuple[str, str] | None:
    """(text, format) of the example on ``line``, or None where a hover has nothing to say."""
    assert od.doc is not None
    entries = od.doc.entries
    if line >= len(entries):
        return None
    r = entries[line].result
    if r.kind != OBJECT or r.format is None:
        return None
    return entries[line].text, r.format


def hover(od: OpenDocument, line: int, encoding: str, text: str, fmt: str,
          parts: list[tuple[str, int]]) -> types.Hover | None:
    """The example's parts and their tokens (counted by the caller), total, limit, billing."""
    assert od.doc is not None
    r = od.doc.entries[line].result
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    run = od.doc.run
    rows = ["| part | role | tokens |", "| --- | --- | ---: |"]
    for pointer, n in parts:
        rows.append(f"| `{pointer or '(reply priming)'}` | {_role(obj, pointer)} | {n:,} |")
    total = sum(n for _, n in parts)
    limit = run.model.limit if run.model else None
    epochs = epochs_for(od)
    billable = min(total, limit) if limit else total
    lines = [f"**Example on line {line + 1}** ({fmt}, {r.n_messages} messages)", "",
             *rows, ""]
    if limit:
        over = " — **over the limit**: truncated in training" if total > limit else ""
        lines.append(f"Total: **{total:,}** tokens of {limit:,} for `{run.settings.model}`{over}")
    else:
        lines.append(f"Total: **{total:,}** tokens (`{run.settings.model}`: limit unknown)")
    lines.append(f"Billable: {billable:,} × {epochs} epochs = **{billable * epochs:,}** tokens")
    line_text = od.client_line(line)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)),
        range=types.Range(start=types.Position(line=line, character=0),
                          end=types.Position(line=line,
                                             character=to_client(line_text, len(line_text),
                                                                 encoding))),
    )


def _role(obj: dict[str, Any], pointer: str) -> str:
    parts = pointer.strip("/").split("/")
    if not pointer:
        return "assistant"
    if len(parts) == 1:
        return parts[0]
    node: Any = obj
    for p in parts:
        if isinstance(node, list) and p.isdigit() and int(p) < len(node):
            node = node[int(p)]
        elif isinstance(node, dict):
            node = node.get(p)
        else:
            return "?"
    if isinstance(node, dict):
        return str(node.get("role", "?"))
    return "?"


# -- inlay hints ------------------------------------------------------------------------------


def uncounted_examples(doc: Document, start: int, end: int) -> list[tuple[LineResult, str]]:
    """(result, text) of the examples in lines start..end whose tokens are not known yet."""
    entries = doc.entries
    return [(e.result, e.text) for e in entries[max(0, start):min(end + 1, len(entries))]
            if e.result.kind == OBJECT and e.result.format is not None
            and e.result.tokens is None]


def inlay_hints(od: OpenDocument, start: int, end: int, encoding: str) -> list[types.InlayHint]:
    """Each example's token count at the end of its line (the examples counted so far)."""
    assert od.doc is not None
    entries = od.doc.entries
    hints = []
    for i in range(max(0, start), min(end + 1, len(entries))):
        r = entries[i].result
        if r.kind != OBJECT or r.format is None or r.tokens is None:
            continue
        text = od.client_line(i)
        hints.append(types.InlayHint(
            position=types.Position(line=i, character=to_client(text, len(text), encoding)),
            label=f"{r.tokens:,} tokens",
            padding_left=True,
        ))
    return hints


# -- symbols ----------------------------------------------------------------------------------


def example_symbols(texts: Sequence[str], kinds: Sequence[int], bom: bool, encoding: str
                    ) -> list[types.DocumentSymbol]:
    """One symbol per example (runs on a snapshot of the lines, off the event loop)."""
    out = []
    for i, (text, kind) in enumerate(zip(texts, kinds)):
        if kind != OBJECT:
            continue
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        client_text = ("\ufeff" + text) if i == 0 and bom else text
        end = to_client(client_text, len(client_text), encoding)
        rng = types.Range(start=types.Position(line=i, character=0),
                          end=types.Position(line=i, character=end))
        out.append(types.DocumentSymbol(
            name=f"{i + 1}: {preview(obj)}",
            kind=types.SymbolKind.Object,
            range=rng,
            selection_range=rng,
        ))
    return out


def preview(obj: dict[str, Any]) -> str:
    """The first user message (or prompt), on one line, shortened."""
    text: Any = None
    msgs = obj.get("messages")
    if not isinstance(msgs, list):
        inp = obj.get("input")
        msgs = inp.get("messages") if isinstance(inp, dict) else None
    if isinstance(msgs, list):
        for m in msgs:
            if isinstance(m, dict) and m.get("role") == "user":
                text = m.get("content")
                break
    if text is None and isinstance(obj.get("prompt"), str):
        text = obj["prompt"]
    if isinstance(text, list):
        text = " ".join(str(p.get("text", "")) for p in text
                        if isinstance(p, dict) and p.get("type") == "text")
    if not isinstance(text, str):
        return "(no user message)"
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


# -- code lens --------------------------------------------------------------------------------


def summary_title(od: OpenDocument) -> str:
    s = od.summary()
    parts = [f"{s.examples:,} examples", f"{s.errors} errors", f"{s.warnings} warnings"]
    t = od.token_stats
    if t is not None:
        parts.append(f"{t['total']:,} tokens")
        parts.append(f"{t['billable']:,} billable ({s.model}, {t['epochs']} epochs)")
    else:
        parts.append("tokens: counting…")
    return "tunelint: " + " · ".join(parts)


def code_lenses(od: OpenDocument, jobs_available: bool,
                job_title: str | None = None) -> list[types.CodeLens]:
    zero = types.Range(start=types.Position(line=0, character=0),
                       end=types.Position(line=0, character=0))
    lenses = [types.CodeLens(range=zero, command=types.Command(
        title=summary_title(od), command="tunelint.showReport", arguments=[od.uri]))]
    lenses.append(types.CodeLens(range=zero, command=types.Command(
        title="Show dataset report", command="tunelint.showReport", arguments=[od.uri])))
    if jobs_available:
        lenses.append(types.CodeLens(range=zero, command=types.Command(
            title="Start fine-tune", command="tunelint.startFineTune", arguments=[od.uri])))
        if job_title:
            # The job started from this file, with its last known status.
            lenses.append(types.CodeLens(range=zero, command=types.Command(
                title=job_title, command="tunelint.jobStatus", arguments=[od.uri])))
    else:
        lenses.append(types.CodeLens(range=zero, command=types.Command(
            title="Start fine-tune (unavailable): would submit " + submission_preview(od),
            command="tunelint.showReport", arguments=[od.uri])))
    return lenses


def submission_preview(od: OpenDocument) -> str:
    s = od.summary()
    name = od.path.name if od.path else od.uri
    epochs = od.token_stats["epochs"] if od.token_stats else epochs_for(od)
    billable = (f", {od.token_stats['billable']:,} billable tokens" if od.token_stats else "")
    return f"{name}: {s.examples:,} examples to {s.model} for {epochs} epochs{billable}"
