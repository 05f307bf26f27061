"""Pure parts of the server: position conversion, chunked building, config edits."""

from __future__ import annotations

import tomllib

import pytest

from tunelint.config import Settings
from tunelint.engine import decode_line
from tunelint.lsp.documents import TextPieces, build_document
from tunelint.lsp.features import add_per_file_ignore
from tunelint.lsp.positions import from_client, to_client

from .conftest import FIXTURES

LINE = 'a🙂b漢e\u0301"x"👩\u200d💻z'


@pytest.mark.parametrize("encoding,codec,unit", [("utf-8", "utf-8", 1), ("utf-16", "utf-16-le", 2),
                                                 ("utf-32", "utf-32-le", 4)])
def test_positions_round_trip(encoding: str, codec: str, unit: int):
    for col in range(len(LINE) + 1):
        units = to_client(LINE, col, encoding)
        assert units == len(LINE[:col].encode(codec)) // unit
        assert from_client(LINE, units, encoding) == col


def test_position_inside_a_character_rounds_down():
    # Column 2 in UTF-16 is the middle of the emoji's surrogate pair; 2 bytes into it in UTF-8.
    assert from_client(LINE, 2, "utf-16") == 1
    assert from_client(LINE, 3, "utf-8") == 1
    assert from_client(LINE, 10_000, "utf-16") == len(LINE)


def test_chunked_build_equals_whole_build():
    base = (FIXTURES / "mixed.jsonl").read_text("utf-8")
    for text in (base * 40, "\ufeff" + base * 3 + "no newline at end", "a\r\nb\r\n\r\nc",
                 '{"a": "\ud800 lone surrogate"}\n' + base * 4):
        pieces = TextPieces.from_text(text, 300, 700)  # big texts are built from UTF-8 pieces
        chunks = [pieces.take() for _ in range(len(pieces))]
        assert all(c.endswith(b"\n") for c in chunks[:-1])
        assert "".join(decode_line(c) for c in chunks) == text
        doc = build_document(Settings(), "", None)  # a leading BOM is taken as set_text takes it
        for chunk in chunks:
            doc.append_raw(chunk)
        whole = build_document(Settings(), text, None)
        assert doc.text == text
        key = [(d.code, d.line, d.column, d.end_column) for d in whole.diagnostics()]
        assert [(d.code, d.line, d.column, d.end_column) for d in doc.diagnostics()] == key
    assert len(TextPieces.from_text(base * 40, 300, 700)) > 5


def test_add_per_file_ignore_variants():
    new = add_per_file_ignore('[tool.tunelint]\nmodel = "m"\n', "d/x.jsonl", "TL302", True)
    assert new is not None
    assert tomllib.loads(new)["tool"]["tunelint"]["per-file-ignores"]["d/x.jsonl"] == ["TL302"]
    # An existing entry for the file is extended, not duplicated.
    old = '[per-file-ignores]\n"x.jsonl" = ["TL006"]\n"y.jsonl" = ["TL1"]\n'
    new = add_per_file_ignore(old, "x.jsonl", "TL302", False)
    assert new is not None
    table = tomllib.loads(new)["per-file-ignores"]
    assert table == {"x.jsonl": ["TL006", "TL302"], "y.jsonl": ["TL1"]}
    # Already ignored: nothing to offer.
    assert add_per_file_ignore(new, "x.jsonl", "TL302", False) is None
    # An inline table cannot take a new header: no edit rather than a broken file.
    inline = 'per-file-ignores = { "y.jsonl" = ["TL1"] }\n'
    assert add_per_file_ignore(inline, "x.jsonl", "TL302", False) is None


def test_fast_json_reader_structures_messages_like_pygls() -> None:
    import json

    import pygls.io_
    import pygls.server

    from tunelint.lsp import stream
    from tunelint.lsp.server import create_server
    from tunelint.lsp.stream import FastJsonReader

    protocol = create_server().protocol
    open_msg = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": "file:///x.jsonl", "languageId": "jsonl", "version": 1,
        "text": '{"messages": [{"role": "user", "content": "日本 🙂"}]}\n'}}}
    body = json.dumps(open_msg, ensure_ascii=False).encode("utf-8")
    fast = FastJsonReader.loads(body, object_hook=protocol.structure_message)
    slow = json.loads(body, object_hook=protocol.structure_message)
    assert type(fast) is type(slow) and fast.params == slow.params
    # orjson refuses a lone surrogate (an editor may send one): the stdlib takes over.
    lone = b'{"jsonrpc": "2.0", "method": "x", "params": {"text": "\\ud800"}}'
    assert FastJsonReader.loads(lone) == json.loads(lone)
    stream.install()
    assert pygls.io_.json is FastJsonReader  # type: ignore[comparison-overlap]
    assert pygls.server.run_async is stream.message_loop


def test_a_big_document_is_rebuilt_from_pieces_of_its_lines(monkeypatch: pytest.MonkeyPatch):
    from tunelint.lsp import server

    text = "\ufeff" + (FIXTURES / "mixed.jsonl").read_text("utf-8") * 20
    doc = build_document(Settings(), text, None)
    assert server.rebuild_source(doc) == text  # small: the text itself
    monkeypatch.setattr(server, "CHUNKED_MIN_CHARS", 1000)
    monkeypatch.setattr(server, "CHUNK_CHARS", 500)
    monkeypatch.setattr(server, "FIRST_CHUNK_CHARS", 300)
    source = server.rebuild_source(doc)
    assert isinstance(source, TextPieces) and len(source) > 5
    assert b"".join(source.take() for _ in range(len(source))) == doc.utf8()
