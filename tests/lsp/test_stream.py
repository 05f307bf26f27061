"""Reading messages: a big didOpen's text as UTF-8 pieces, the replacement of pygls's loop."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import LanguageClient

from tunelint.config import Settings
from tunelint.lsp import stream
from tunelint.lsp.documents import TextPieces, build_document, encode_text
from tunelint.lsp.server import create_server

from .conftest import Doc, client_fixture, wait_publish

ALPHABET = st.sampled_from(['"', "\\", "/", "\n", "\r", "\t", "\x00", "\x1f", "a", "n", "u",
                            " ", "é", "漢", "🙂", "\u2028", "\ud800", "\udfff", "{", ":"])
texts = st.lists(ALPHABET, max_size=300).map("".join)


def all_pieces(pieces: TextPieces) -> list[bytes]:
    return [pieces.take() for _ in range(len(pieces))]


def open_message(text: str, uri: str = "file:///d.jsonl", text_first: bool = False
                 ) -> dict[str, Any]:
    item: dict[str, Any] = {"uri": uri, "languageId": "jsonl", "version": 3}
    item = {"text": text, **item} if text_first else {**item, "text": text}
    return {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}


def encodings(message: dict[str, Any], text: str) -> list[bytes]:
    """The message as different clients write it."""
    ascii_json = json.dumps(message)
    out = [ascii_json.encode(), ascii_json.replace("/", "\\/").encode(),  # lua-cjson escapes /
           json.dumps(message, indent=1).encode()]
    if not any("\ud800" <= c <= "\udfff" for c in text):
        out.append(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode())
    return out


@settings(max_examples=300, deadline=None)
@given(text=texts, first=st.integers(1, 40), size=st.integers(1, 40), text_first=st.booleans())
def test_split_open_text_equals_a_whole_parse(text: str, first: int, size: int,
                                              text_first: bool) -> None:
    message = open_message(text, text_first=text_first)
    for body in encodings(message, text):
        split = stream.split_open_text(body, first, size)
        assert split is not None
        small, pieces = split
        # The oracle: what a whole parse gives (two escaped halves of a pair are one character).
        expected = encode_text(json.loads(body)["params"]["textDocument"]["text"])
        assert pieces.size == len(expected)
        chunks = all_pieces(pieces)
        assert b"".join(chunks) == expected
        # Cut after line ends only, so each piece decodes alone.
        assert all(c.endswith(b"\n") for c in chunks[:-1])
        assert json.loads(small) == open_message("", text_first=text_first)


def test_split_open_text_skips_a_text_member_inside_a_string() -> None:
    uri = 'file:///"text":"x.jsonl'  # the member's spelling inside the URI is escaped
    body = json.dumps(open_message("a\nb\n", uri=uri, text_first=False)).encode()
    split = stream.split_open_text(body, 1, 1)
    assert split is not None
    assert b"".join(all_pieces(split[1])) == b"a\nb\n"
    assert json.loads(split[0])["params"]["textDocument"]["uri"] == uri


@pytest.mark.parametrize("body", [
    b'{"jsonrpc": "2.0", "method": "x", "params": {}}',  # no text member
    b'{"params": {"textDocument": {"text": "never ends\\n and on',  # unterminated
    b'{"params": {"textDocument": {"text": "bad \\x escape\\n"}}}',  # invalid escape
])
def test_split_open_text_declines_what_it_cannot_read(body: bytes) -> None:
    assert stream.split_open_text(body, 1, 1) is None


def test_read_message_keeps_a_big_open_text_as_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "BIG_MESSAGE_BYTES", 10)
    protocol = create_server().protocol
    text = '{"messages": []}\n🙂\n' * 3
    message = stream.read_message(json.dumps(open_message(text)).encode(), protocol)
    assert isinstance(message.params, types.DidOpenTextDocumentParams)
    assert message.params.text_document.text == ""
    assert message.params.text_document.version == 3
    pieces = protocol.open_texts.pop("file:///d.jsonl")  # type: ignore[attr-defined]
    assert b"".join(all_pieces(pieces)).decode() == text
    # Other big messages are parsed whole.
    other = {"jsonrpc": "2.0", "method": "workspace/executeCommand", "id": 1,
             "params": {"command": "x", "arguments": [{"text": "a\nb"}]}}
    parsed = stream.read_message(json.dumps(other).encode(), protocol)
    assert list(parsed.params.arguments) == [{"text": "a\nb"}]
    assert not protocol.open_texts  # type: ignore[attr-defined]


class FakeReader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def readline(self) -> bytes:
        end = self.data.find(b"\n") + 1 or len(self.data)
        line, self.data = self.data[:end], self.data[end:]
        return line

    async def readexactly(self, n: int) -> bytes:
        chunk, self.data = self.data[:n], self.data[n:]
        return chunk


class RecordingProtocol:
    def __init__(self) -> None:
        self.handled: list[Any] = []

    def structure_message(self, data: dict[str, Any]) -> Any:
        return data

    def handle_message(self, message: Any) -> None:
        if message.get("method") == "boom":
            raise RuntimeError("boom")
        self.handled.append(message)


def framed(*bodies: bytes) -> bytes:
    return b"".join(b"Content-Length: %d\r\n\r\n" % len(b) + b for b in bodies)


async def test_message_loop_handles_messages_and_survives_errors() -> None:
    import threading

    errors: list[Exception] = []
    protocol = RecordingProtocol()
    data = framed(b'{"method": "a"}', b"{not json", b'{"method": "boom"}', b'{"method": "b"}')
    await stream.message_loop(threading.Event(), FakeReader(data), protocol,
                              error_handler=lambda e, kind: errors.append(e))
    assert [m["method"] for m in protocol.handled] == ["a", "b"]
    assert len(errors) == 2


# -- end to end: a document over the size read as pieces -------------------------------------

vscode = client_fixture("visual_studio_code")


def big_text() -> str:
    line = ('{"messages": [{"role": "user", "content": "Q%d 🙂 \\"quoted\\" back\\\\slash /p漢"},'
            ' {"role": "assistant", "content": "A%d"}]}')
    lines = [line % (i, i) for i in range(stream.BIG_MESSAGE_BYTES // 110 + 2000)]
    lines[5] = lines[5].replace('"assistant"', '"asistant"')
    lines[-3] = lines[-3].replace('"assistant"', '"asistant"')
    lines.append(lines[10])  # a duplicate at the very end: reported once the whole file is in
    return "\r\n".join(lines[:3]) + "\r\n" + "\n".join(lines[3:]) + "\n"


async def test_big_open_is_built_from_pieces(vscode: LanguageClient, workspace: Path) -> None:
    text = big_text()
    assert len(text.encode()) > stream.BIG_MESSAGE_BYTES
    doc = Doc(vscode, workspace / "big.jsonl", text)
    await doc.open()
    n = len(doc.lines) - 2  # the duplicate's line
    complete = await wait_publish(vscode, doc.uri, lambda p: any(
        d.range.start.line == n for d in p.diagnostics))
    expected = build_document(Settings(), text, None).diagnostics()
    assert sorted((str(d.code), d.range.start.line) for d in complete.diagnostics) == sorted(
        (d.code, d.line) for d in expected)
    # The document is whole and editable: fix the typo near the end.
    fixed = await doc.edit([doc.replace_line(n - 2, doc.lines[n - 2].replace("asistant",
                                                                               "assistant"))])
    assert n - 2 not in {d.range.start.line for d in fixed.diagnostics}
    assert {d.range.start.line for d in fixed.diagnostics} >= {5, n}
    await asyncio.sleep(0)


def test_widen_pipe_grows_a_pipe_and_leaves_files_alone(tmp_path: Path) -> None:
    import fcntl
    import os

    r, w = os.pipe()
    try:
        assert stream.widen_pipe(w)
        assert fcntl.fcntl(w, 1032) >= stream.PIPE_BYTES  # F_GETPIPE_SZ
    finally:
        os.close(r)
        os.close(w)
    with open(tmp_path / "f", "wb") as f:
        assert not stream.widen_pipe(f.fileno())
