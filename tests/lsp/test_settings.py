"""Settings from the editor and the project, pull diagnostics, progress, UTF-8 positions."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import (
    CONFIG,
    FIXTURES,
    PROFILES,
    Doc,
    client_fixture,
    slice_range,
    start,
    units,
    wait_publish,
)

MIXED = (FIXTURES / "mixed.jsonl").read_text("utf-8")


def codes(p: types.PublishDiagnosticsParams) -> set[str]:
    return {str(d.code) for d in p.diagnostics}


async def test_did_change_configuration_takes_effect(client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    first = await doc.open()
    assert "TL006" in codes(first)
    mark = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"tunelint": {"ignore": ["TL006"], "severity": {"TL451": "info"}}}))
    after = await wait_publish(client, doc.uri, after=mark)
    assert "TL006" not in codes(after)
    weight = next(d for d in after.diagnostics if d.code == "TL451")
    assert weight.severity == types.DiagnosticSeverity.Information
    assert after.version == 1


# The clients whose profiles answer workspace/configuration (Neovim 0.7's does not).
config_client = client_fixture("visual_studio_code", "emacs")


async def test_workspace_configuration_is_pulled(config_client: LanguageClient, workspace: Path):
    client = config_client
    caps = client.capabilities.workspace  # type: ignore[union-attr]
    assert caps and caps.configuration
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    client.set_configuration({"ignore": ["TL302"]}, section="tunelint")
    mark = len(client.published)  # type: ignore[attr-defined]
    # An empty notification: the server asks for the settings itself.
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    after = await wait_publish(client, doc.uri, after=mark)
    assert "TL302" not in codes(after) and "TL451" in codes(after)


async def test_invalid_setting_is_reported_not_fatal(client: LanguageClient, workspace: Path):
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    mark = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"tunelint": {"format": "bogus"}}))
    after = await wait_publish(client, doc.uri, after=mark)
    assert "TL302" in codes(after)  # still linting, with the previous settings
    assert any("format must be one of" in m.message for m in client.messages)
    # The server still works.
    again = await doc.edit([doc.replace_line(3, doc.lines[2].replace("dup", "dip"))])
    assert "TL006" not in codes(again)


@pytest.mark.parametrize("preference,expected_model", [
    ("editorFirst", "gpt-4.1-mini-2025-04-14"),
    ("filesystemFirst", "gpt-4o-mini-2024-07-18"),
])
async def test_configuration_preference(client: LanguageClient, workspace: Path,
                                        preference: str, expected_model: str):
    (workspace / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.tunelint]\nmodel = "gpt-4o-mini-2024-07-18"\n', "utf-8")
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    await doc.open()
    mark = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"tunelint": {"model": "gpt-4.1-mini-2025-04-14",
                               "configurationPreference": preference}}))
    await wait_publish(client, doc.uri, after=mark)
    report = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="tunelint.showReport", arguments=[doc.uri]))
    assert f"model {expected_model}" in report


async def test_project_config_change_reloads(client: LanguageClient, workspace: Path):
    config = workspace / "tunelint.toml"
    config.write_text('ignore = ["TL006"]\n', "utf-8")
    doc = Doc(client, workspace / "data.jsonl", MIXED)
    first = await doc.open()
    assert "TL006" not in codes(first) and "TL451" in codes(first)
    config.write_text('ignore = ["TL451"]\n', "utf-8")
    mark = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
    after = await wait_publish(client, doc.uri, after=mark)
    assert "TL006" in codes(after) and "TL451" not in codes(after)


# -- initializationOptions, pull diagnostics, progress, UTF-8: their own sessions -----------


client_with_init_options = client_fixture(
    *PROFILES, init_options={"settings": {"ignore": ["TL006"], "debounce": 50}})


async def test_initialization_options_settings(client_with_init_options: LanguageClient,
                                               workspace: Path):
    doc = Doc(client_with_init_options, workspace / "data.jsonl", MIXED)
    first = await doc.open()
    assert "TL006" not in codes(first) and "TL302" in codes(first)


pull_client = client_fixture("neovim@v0.10.0")


async def test_pull_diagnostics_where_advertised(pull_client: LanguageClient, workspace: Path):
    assert pull_client.result.capabilities.diagnostic_provider is not None  # type: ignore
    doc = Doc(pull_client, workspace / "data.jsonl", MIXED)
    pushed = await doc.open()
    report = await pull_client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == [d.code for d in pushed.diagnostics]
    same = await pull_client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri),
        previous_result_id=report.result_id))
    assert isinstance(same, types.RelatedUnchangedDocumentDiagnosticReport)
    doc.send_edits([doc.replace_line(0, doc.lines[0].replace("asistant", "assistant"))])
    changed = await pull_client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri),
        previous_result_id=report.result_id))
    assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport)
    assert "TL302" not in {d.code for d in changed.items}


async def test_no_pull_provider_for_push_only_clients(client: LanguageClient):
    assert client.result.capabilities.diagnostic_provider is None  # type: ignore[attr-defined]


utf8_client = client_fixture("neovim@v0.11.0")


async def test_utf8_positions(utf8_client: LanguageClient, workspace: Path):
    assert utf8_client.encoding == "utf-8"  # type: ignore[attr-defined]
    doc = Doc(utf8_client, workspace / "data.jsonl", MIXED)
    published = await doc.open()
    by_code = {d.code: d for d in published.diagnostics}
    assert slice_range(doc.lines, by_code["TL302"].range, "utf-8") == '"asistant"'
    assert by_code["TL302"].range.start.character == units(
        doc.lines[0], doc.lines[0].index('"asistant"'), "utf-8")
    # An edit addressed in UTF-8 bytes after the emoji lands where it should.
    line = doc.lines[0]
    col = line.index("asistant")
    fix = types.TextEdit(range=types.Range(
        start=types.Position(line=0, character=units(line, col, "utf-8")),
        end=types.Position(line=0, character=units(line, col + 2, "utf-8"))), new_text="ass")
    after = await doc.edit([fix])
    assert "TL302" not in codes(after)


progress_client = client_fixture("visual_studio_code")


async def test_big_file_open_reports_progress(progress_client: LanguageClient, workspace: Path):
    line = MIXED.split("\n")[5]
    text = "\n".join(line.replace("Gut.", f"Gut {i}.") for i in range(10000)) + "\n"
    assert len(text) > 1_000_000
    doc = Doc(progress_client, workspace / "big.jsonl", text)
    await doc.open()
    reports = progress_client.progress_reports

    def kinds() -> list[list[str]]:
        return [[type(v).__name__ for v in values] for values in reports.values()]

    # The end of the progress may arrive just after the first publish: wait for it (bounded).
    for _ in range(200):
        if ["WorkDoneProgressBegin", "WorkDoneProgressEnd"] in kinds():
            break
        await asyncio.sleep(0.05)
    assert ["WorkDoneProgressBegin", "WorkDoneProgressEnd"] in kinds()
    # The server answers while token statistics may still be running in the background.
    hover = await progress_client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri),
        position=types.Position(line=100, character=1)))
    assert hover is not None


def test_server_command_is_the_module():
    assert CONFIG.server_command[:3] == [sys.executable, "-m", "tunelint"]
    assert isinstance(CONFIG, ClientServerConfig)


@pytest_lsp.fixture(config=CONFIG, params=["visual_studio_code"])
async def logging_client(lsp_client: LanguageClient, request: pytest.FixtureRequest,
                         workspace: Path):
    await start(lsp_client, request.param, workspace, init_options={"settings": {
        "apiKey": "sk-SECRET-init-123", "logLevel": "DEBUG",
        "logFile": str(workspace / "server.log")}})
    yield
    await lsp_client.shutdown_session()


async def test_log_file_setting_and_no_api_key_in_logs(logging_client: LanguageClient,
                                                       workspace: Path):
    doc = Doc(logging_client, workspace / "data.jsonl", MIXED)
    await doc.open()
    mark = len(logging_client.published)  # type: ignore[attr-defined]
    logging_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"tunelint": {"apiKey": "sk-SECRET-change-456", "logLevel": "DEBUG",
                               "logFile": str(workspace / "server.log"), "ignore": ["TL305"]}}))
    await wait_publish(logging_client, doc.uri, after=mark)
    log = (workspace / "server.log").read_text("utf-8")
    assert "settings:" in log and "'apiKey': '***'" in log
    assert "sk-SECRET" not in log


@pytest_lsp.fixture(config=CONFIG, params=["visual_studio_code"])
async def debug_log_client(lsp_client: LanguageClient, request: pytest.FixtureRequest,
                           workspace: Path):
    await start(lsp_client, request.param, workspace, init_options={"settings": {
        "logLevel": "DEBUG", "logFile": str(workspace / "server.log")}})
    yield
    await lsp_client.shutdown_session()


CHAT_LINE = ('{"messages": [{"role": "user", "content": "%s"}, '
             '{"role": "assistant", "content": "Sure: %s"}]}')


@pytest.mark.parametrize(("model", "extra", "worker"), [
    ("gpt-4o-mini-2024-07-18", "", False),  # o200k: the compiled counter, in the server
    ("gpt-4o-mini-2024-07-18", "\U0002EBF0", True),  # a letter it declines: the worker
    ("gpt-3.5-turbo-0125", "", False),  # cl100k: compiled too
    ("gpt-3.5-turbo-0125", "\U0002EBF0", True),
])
async def test_token_statistics_count_in_the_server_unless_tiktoken_is_needed(
        debug_log_client: LanguageClient, workspace: Path, model: str, extra: str,
        worker: bool) -> None:
    """Whole-file token totals equal tiktoken's; the token worker (a child process holding
    tiktoken) starts only for text the compiled counter declines."""
    from tunelint.config import settings_from_mapping
    from tunelint.engine import Analyzer, Document

    (workspace / "tunelint.toml").write_text(f'model = "{model}"\n')
    text = "".join(CHAT_LINE % (f"Q{i} caf\u00e9 {extra if i == 3 else ''}", f"A{i} \U0001F642")
                   + "\n" for i in range(12))
    doc = Doc(debug_log_client, workspace / "data.jsonl", text)
    await doc.open()
    await debug_log_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="tunelint.showReport", arguments=[doc.uri]))
    lenses = await debug_log_client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri)))
    assert lenses is not None and lenses[0].command is not None
    expected = Document(Analyzer(settings_from_mapping({"model": model})), text).token_stats()
    assert f"{expected['total']:,} tokens" in lenses[0].command.title
    log = (workspace / "server.log").read_text("utf-8")
    assert ("token worker started" in log) == worker, log[-2000:]
