"""A minimal pygls server offering the three methods tunelint.lsp.jobs needs (a test double for
tunelint.lsp.server). Editor settings come from the env var TUNELINT_STUB_SETTINGS (JSON)."""

from __future__ import annotations

import json
import os
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from tunelint.config import Settings
from tunelint.lsp.jobs import register


class StubServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("tunelint-stub", "0")
        self.settings: dict[str, Any] = json.loads(os.environ.get("TUNELINT_STUB_SETTINGS", "{}"))

    async def document_bytes(self, uri: str) -> bytes:
        return self.workspace.get_text_document(uri).source.encode("utf-8")

    def document_settings(self, uri: str) -> Settings:
        return Settings()

    def client_settings(self, uri: str) -> dict[str, Any]:
        return dict(self.settings)


server = StubServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: StubServer, params: types.DidOpenTextDocumentParams) -> None:
    pass


register(server)

if __name__ == "__main__":
    server.start_io()
