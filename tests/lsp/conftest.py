"""pytest-lsp fixtures: the server as a subprocess, driven as several editors' clients."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

SERVER = [sys.executable, "-m", "tunelint", "lsp"]
PROFILES = ["visual_studio_code", "neovim@v0.7.0", "emacs"]
WAIT_S = 60  # a guard against hangs, not a latency requirement

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lsp"


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics in order."""
    client = make_test_lsp_client()
    client.published = []  # type: ignore[attr-defined]
    client.published_event = asyncio.Event()  # type: ignore[attr-defined]
    fm = client.protocol.fm
    original = fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        original(params)
        client.published.append(params)  # type: ignore[attr-defined]
        client.published_event.set()  # type: ignore[attr-defined]

    fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.refreshes = []  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def lens_refresh(params: None) -> None:
        client.refreshes.append("codeLens")  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def hint_refresh(params: None) -> None:
        client.refreshes.append("inlayHint")  # type: ignore[attr-defined]

    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=recording_client)


async def start(client: LanguageClient, profile: str, root: Path,
                init_options: dict[str, Any] | None = None) -> None:
    result = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(profile),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options=init_options,
    ))
    enc = result.capabilities.position_encoding
    client.encoding = str(getattr(enc, "value", enc) or "utf-16")  # type: ignore[attr-defined]
    client.result = result  # type: ignore[attr-defined]
    client.profile = profile  # type: ignore[attr-defined]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path


def client_fixture(*profiles: str, init_options: dict[str, Any] | None = None) -> Any:
    """A pytest-lsp client fixture: the server driven as each of these client profiles (with
    these initializationOptions), shut down after the test. Assign it to the fixture's name."""

    @pytest_lsp.fixture(config=CONFIG, params=list(profiles))
    async def fixture(lsp_client: LanguageClient, request: pytest.FixtureRequest,
                      workspace: Path):
        await start(lsp_client, request.param, workspace, init_options=init_options)
        yield
        await lsp_client.shutdown_session()

    return fixture


client = client_fixture(*PROFILES)


async def wait_publish(client: LanguageClient, uri: str,
                       pred: Callable[[types.PublishDiagnosticsParams], bool] = lambda p: True,
                       after: int = 0) -> types.PublishDiagnosticsParams:
    """The first publish for ``uri`` (at index >= ``after``) matching ``pred``."""
    published: list[types.PublishDiagnosticsParams] = client.published  # type: ignore
    event: asyncio.Event = client.published_event  # type: ignore[attr-defined]

    async def scan() -> types.PublishDiagnosticsParams:
        i = after
        while True:
            while i < len(published):
                p = published[i]
                i += 1
                if p.uri == uri and pred(p):
                    return p
            event.clear()
            await event.wait()

    return await asyncio.wait_for(scan(), WAIT_S)


def units(text: str, column: int, encoding: str) -> int:
    """Code-point column → the negotiated encoding's units (the test's own reckoning)."""
    head = text[:column]
    if encoding == "utf-8":
        return len(head.encode("utf-8"))
    if encoding == "utf-16":
        return len(head.encode("utf-16-le")) // 2
    return len(head)


def code_points(text: str, unit: int, encoding: str) -> int:
    for i in range(len(text) + 1):
        if units(text, i, encoding) >= unit:
            return i
    return len(text)


def slice_range(lines: list[str], rng: types.Range, encoding: str) -> str:
    """The text a single-line range covers."""
    assert rng.start.line == rng.end.line
    line = lines[rng.start.line]
    a = code_points(line, rng.start.character, encoding)
    b = code_points(line, rng.end.character, encoding)
    return line[a:b]


class Doc:
    """A client-side copy of a document that applies edits as an editor would."""

    def __init__(self, client: LanguageClient, path: Path, text: str) -> None:
        self.client = client
        self.path = path
        self.uri = path.as_uri()
        self.text = text
        self.version = 1

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def encoding(self) -> str:
        return str(self.client.encoding)  # type: ignore[attr-defined]

    def offset(self, pos: types.Position) -> int:
        lines = self.lines
        base = sum(len(x) + 1 for x in lines[: pos.line])
        if pos.line >= len(lines):
            return len(self.text)
        return base + code_points(lines[pos.line], pos.character, self.encoding)

    async def open(self) -> types.PublishDiagnosticsParams:
        mark = len(self.client.published)  # type: ignore[attr-defined]
        self.path.write_text(self.text, "utf-8")
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id="jsonl",
                                                 version=self.version, text=self.text)))
        return await wait_publish(self.client, self.uri, lambda p: p.version == self.version,
                                  after=mark)

    def send_edits(self, edits: list[types.TextEdit]) -> None:
        """Apply edits (LSP semantics: all against the current text) and send them."""
        changes = []
        # Apply from the end so earlier ranges stay valid; send in the same order.
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                        reverse=True):
            a, b = self.offset(e.range.start), self.offset(e.range.end)
            self.text = self.text[:a] + e.new_text + self.text[b:]
            changes.append(types.TextDocumentContentChangePartial(range=e.range,
                                                                  text=e.new_text))
        self.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri,
                                                                version=self.version),
            content_changes=changes))

    async def edit(self, edits: list[types.TextEdit]) -> types.PublishDiagnosticsParams:
        mark = len(self.client.published)  # type: ignore[attr-defined]
        self.send_edits(edits)
        return await wait_publish(self.client, self.uri, lambda p: p.version == self.version,
                                  after=mark)

    def replace_line(self, line: int, new: str) -> types.TextEdit:
        old = self.lines[line]
        return types.TextEdit(range=types.Range(
            start=types.Position(line=line, character=0),
            end=types.Position(line=line, character=units(old, len(old), self.encoding))),
            new_text=new)

    def close(self) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri)))
