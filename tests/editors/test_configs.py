"""The shipped editor configs for editors that cannot run here (Helix, Sublime) and the VS Code
settings schema: they parse, start `tunelint lsp` on .jsonl/.ndjson, and every setting they send
is one the real server reads (checked against tunelint.lsp.settings, not a copy of its keys)."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from tunelint.config import settings_from_mapping
from tunelint.lsp.settings import LINT_KEYS, ServerOptions, kebab, lint_table

from .conftest import CLIENT_CONFIG

PROBES: list[Any] = [7, True, False, "debug", "filesystemFirst", "editorOnly", "/tmp/t.log"]


def server_reads(key: str) -> bool:
    if kebab(key) in LINT_KEYS:
        return True
    default = ServerOptions()
    return any(ServerOptions.from_raw({key: probe}) != default for probe in PROBES)


def check_settings(table: dict[str, Any]) -> None:
    unknown = [k for k in table if not server_reads(k)]
    assert not unknown, f"settings the server does not read: {unknown}"
    settings_from_mapping(lint_table(table), origin="example")  # values are valid too
    ServerOptions.from_raw(table)


def expand_dotted(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


def test_helix_languages_toml() -> None:
    data = tomllib.loads((CLIENT_CONFIG / "helix" / "languages.toml").read_text())
    server = data["language-server"]["tunelint"]
    assert server["command"] == "tunelint" and server["args"] == ["lsp"]
    check_settings(server["config"]["tunelint"])
    (lang,) = [x for x in data["language"] if x["name"] == "jsonl"]
    assert set(lang["file-types"]) == {"jsonl", "ndjson"}
    assert lang["language-servers"] == ["tunelint"]
    assert lang["grammar"] == "json"


def test_sublime_settings() -> None:
    text = (CLIENT_CONFIG / "sublime" / "LSP-tunelint.sublime-settings").read_text()
    data = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))
    assert data["command"] == ["tunelint", "lsp"]
    assert data["selector"] == "source.json.jsonl"
    check_settings(expand_dotted(data["settings"])["tunelint"])
    syntax = (CLIENT_CONFIG / "sublime" / "JSONL.sublime-syntax").read_text()
    assert "scope: source.json.jsonl" in syntax and "- jsonl" in syntax


def test_vscode_settings_schema() -> None:
    pkg = json.loads((CLIENT_CONFIG / "vscode" / "package.json").read_text())
    props = pkg["contributes"]["configuration"]["properties"]
    client_only = {"server.command", "statusBar.enable", "trace.server"}
    sent = {k.removeprefix("tunelint."): v for k, v in props.items()}
    for key in client_only:
        assert key in sent, key
    keys = [k for k in sent if k not in client_only]
    unknown = [k for k in keys if not server_reads(k)]
    assert not unknown, f"VS Code settings the server does not read: {unknown}"
    # the enums match the server's accepted values
    from tunelint.config import FORMATS
    from tunelint.lsp.settings import PREFERENCES
    from tunelint.models import known_models, profiles

    assert tuple(sent["format"]["enum"]) == FORMATS
    assert set(sent["profile"]["enum"]) == set(profiles())
    assert set(sent["model"]["enum"]) == set(known_models())
    assert tuple(sent["configurationPreference"]["enum"]) == PREFERENCES
    defaults = {k: v["default"] for k, v in sent.items()
                if k not in client_only and k not in ("inlayHints",) and v["default"] != ""}
    check_settings(defaults)


def test_readme_has_a_section_per_editor() -> None:
    text = (CLIENT_CONFIG / "README.md").read_text()
    for editor in ("VS Code", "Neovim", "Helix", "Emacs", "Sublime"):
        assert f"## {editor}" in text, editor
    for shipped in ("neovim/lsp/tunelint.lua", "neovim/tunelint-0.8.lua", "neovim/tunelint-0.7.lua",
                    "neovim/ftdetect/jsonl.vim", "helix/languages.toml", "emacs/tunelint.el",
                    "sublime/LSP-tunelint.sublime-settings", "sublime/JSONL.sublime-syntax"):
        assert (CLIENT_CONFIG / shipped).exists(), shipped
