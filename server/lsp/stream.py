"""Reading the client's messages without whole-text copies of a big document.

A didOpen of a 40 MB file is a 40 MB JSON message. Parsed as usual, its text becomes one Python
str, which takes 4 bytes a character once the file holds one emoji (160 MB), and pygls's reader
loop keeps the message and its parsed form alive until the next message arrives. Here a big
didOpen's text is decoded straight into UTF-8 pieces cut at line ends (``TextPieces``), which the
document build consumes one at a time, and each message is dropped as soon as it is handled.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

import orjson
import pygls.io_ as pygls_io
import pygls.server as pygls_server
from pygls.exceptions import JsonRpcException

from tunelint.lsp.documents import TextPieces, encode_text

log = logging.getLogger("tunelint.lsp")

# A didOpen body at least this big has its text read as pieces (the server builds documents of
# this size in chunks anyway).
BIG_MESSAGE_BYTES = 8_000_000
FIRST_PIECE_BYTES = 2_000_000  # small, so the first diagnostics come early
PIECE_BYTES = 4_000_000

_CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")
_TEXT_MEMBER = re.compile(rb'"text"[ \t\r\n]*:[ \t\r\n]*"')
_BACKSLASH = 0x5C


class FastJsonReader:
    """What pygls's message loop calls as ``json.loads(body, object_hook=...)``, with orjson.

    The stdlib decodes a message's bytes into one str before parsing; orjson parses the bytes
    directly. pygls's hook only structures the top-level message (inner objects without
    ``jsonrpc`` pass through), so calling it once on the result is the same. What orjson
    refuses (lone surrogates, integers beyond 64 bits) goes to the stdlib as before.
    """

    @staticmethod
    def loads(body: bytes | str, object_hook: Callable[[dict[str, Any]], Any] | None = None
              ) -> Any:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return json.loads(body, object_hook=object_hook)
        if object_hook is not None and isinstance(data, dict):
            return object_hook(data)
        return data


def _escaped(data: bytes, pos: int) -> bool:
    """Whether ``data[pos]`` follows an odd run of backslashes (is part of an escape)."""
    run = 0
    while pos - run > 0 and data[pos - run - 1] == _BACKSLASH:
        run += 1
    return run % 2 == 1


def _string_end(window: bytes) -> int:
    """The offset of the first unescaped quote in ``window`` (which starts inside a JSON string,
    not inside an escape), or -1."""
    # Escaped backslashes first, so that what is left of a backslash starts an escape.
    return window.replace(b"\\\\", b"..").replace(b'\\"', b"..").find(b'"')


def _newline_escape_end(body: bytes, start: int) -> int:
    """The offset just after the first ``\\n`` escape at or after ``start``, or -1."""
    pos = start
    while True:
        found = body.find(b"\\n", pos)
        if found < 0:
            return -1
        if not _escaped(body, found):  # not the second half of an escaped backslash
            return found + 2
        pos = found + 1


def _decode_piece(raw: bytes) -> bytes:
    """The UTF-8 of a piece of a JSON string's body (whole escapes only)."""
    quoted = b'"' + raw + b'"'
    try:
        text = orjson.loads(quoted)
    except orjson.JSONDecodeError:
        text = json.loads(quoted)  # lone surrogates: the stdlib takes them (ValueError if bad)
    return encode_text(text)


def split_open_text(body: bytes, first: int = FIRST_PIECE_BYTES, size: int = PIECE_BYTES
                    ) -> tuple[bytes, TextPieces] | None:
    """The message with its ``"text"`` member emptied, and that text as UTF-8 pieces cut after
    line ends near every ``size`` bytes of the message (the first near ``first``). None when the
    body has no such member or it is not a valid JSON string.

    Cuts are made after a ``\\n`` escape, so no escape is split; a text without line ends is one
    piece.
    """
    match = _TEXT_MEMBER.search(body)
    while match is not None and _escaped(body, match.start()):
        match = _TEXT_MEMBER.search(body, match.start() + 1)
    if match is None:
        return None
    start = pos = match.end()
    pieces: list[bytes] = []
    target = first
    try:
        while True:
            cut = _newline_escape_end(body, pos + target)
            window = body[pos:cut if cut >= 0 else len(body)]
            quote = _string_end(window)
            if quote >= 0:
                pieces.append(_decode_piece(window[:quote]))
                end = pos + quote
                break
            if cut < 0:
                return None  # the string never ends
            pieces.append(_decode_piece(window))
            pos = cut
            target = size
    except ValueError:
        return None
    return body[:start] + body[end:], TextPieces(pieces)


def _is_open(body: bytes) -> bool:
    """Whether a message's method is didOpen: with its quotes unescaped that spelling can only be
    a member's value, not text inside a string (lua-cjson writes ``/`` as ``\\/``)."""
    return b'"textDocument/didOpen"' in body or b'"textDocument\\/didOpen"' in body


def read_message(body: bytes, protocol: Any) -> Any:
    """A message structured by pygls; a big didOpen's text is left empty in it and kept as
    pieces in ``protocol.open_texts`` under the document's URI."""
    hook = protocol.structure_message
    open_texts: dict[str, TextPieces] | None = getattr(protocol, "open_texts", None)
    if open_texts is not None and len(body) >= BIG_MESSAGE_BYTES and _is_open(body):
        split = split_open_text(body)
        if split is not None:
            small, pieces = split
            try:
                data = orjson.loads(small)
                item = data["params"]["textDocument"]
                is_open = (data.get("method") == "textDocument/didOpen" and item["text"] == ""
                           and isinstance(item["uri"], str))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                is_open = False
            if is_open:
                open_texts[item["uri"]] = pieces
                return hook(data)
    return FastJsonReader.loads(body, object_hook=hook)


async def message_loop(stop_event: Any, reader: Any, protocol: Any,
                       logger: logging.Logger | None = None,
                       error_handler: Callable[[Exception, type[JsonRpcException]], Any]
                       | None = None) -> None:
    """pygls's ``run_async`` (the same headers and errors), except that a message is released
    once handled and big didOpen texts are read by ``read_message``."""
    content_length = 0
    while not stop_event.is_set():
        header = await reader.readline()
        if not header:
            break
        if not content_length:
            match = _CONTENT_LENGTH.fullmatch(header)
            if match:
                content_length = int(match.group(1))
        if content_length and not header.strip():
            body = await reader.readexactly(content_length)
            content_length = 0
            if not body:
                break
            message: Any = None
            try:
                message = read_message(body, protocol)
                del body
                protocol.handle_message(message)
            except Exception as exc:  # noqa: BLE001 - as pygls: log, report, go on
                (logger or log).exception("Unable to handle message")
                if error_handler:
                    error_handler(exc, JsonRpcException)
            finally:
                body = message = None


# Linux's fcntl command to resize a pipe (not exported by Python's fcntl before 3.10 everywhere).
_F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20


def widen_pipe(fd: int, size: int = PIPE_BYTES) -> bool:
    """Give the pipe behind ``fd`` a buffer of ``size`` bytes (Linux; False elsewhere or if it
    is not a pipe). A publish of a few hundred diagnostics is 50-100 KB: with the default 64 KB
    buffer the server's write waits until the editor has read part of it."""
    try:
        import fcntl
        import stat

        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        fcntl.fcntl(fd, _F_SETPIPE_SZ, size)
    except (OSError, ImportError, ValueError):
        return False
    return True


def install() -> None:
    """Make pygls read messages with this module (pygls is pinned: its loop is replaced whole,
    for stdio and TCP alike)."""
    pygls_io.json = FastJsonReader  # type: ignore[assignment]
    pygls_server.run_async = message_loop
