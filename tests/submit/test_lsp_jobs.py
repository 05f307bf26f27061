"""The editor command end to end: a pytest-lsp client drives tunelint.lsp.jobs (inside a stub
language server, tests/submit/lsp_stub_server.py) against the stateful fake of the API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FAILURE, FOREVER, FakeOpenAI
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from submit_support import FAKE_KEY, chat_lines, write

STUB = Path(__file__).resolve().parent / "lsp_stub_server.py"
MODEL = "gpt-4o-mini-2024-07-18"
GUARD = 60  # seconds: only a bound against hanging, nothing is timed


class Session:
    def __init__(self, client: LanguageClient, answers: list[str | None]) -> None:
        self.client = client
        self.answers = answers
        self.questions: list[str] = []

    async def until(self, check: Callable[[], bool]) -> None:
        async def poll() -> None:
            while not check():
                await asyncio.sleep(0.02)
        await asyncio.wait_for(poll(), GUARD)

    def shown(self) -> list[str]:
        return [m.message for m in self.client.messages]

    def logged(self) -> list[str]:
        return [m.message for m in self.client.log_messages]

    async def execute(self, command: str, *args: Any) -> Any:
        return await asyncio.wait_for(self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=list(args))), GUARD)


async def open_session(settings: dict[str, Any], answers: list[str | None],
                       capabilities: str = "visual-studio-code", server: str = "stub"
                       ) -> Session:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")}
    env["TUNELINT_STUB_SETTINGS"] = json.dumps(settings)
    command = [sys.executable, str(STUB)]
    if server == "real":  # the project's language server (tunelint.lsp.server)
        command = [sys.executable, "-m", "tunelint", "lsp"]
    config = ClientServerConfig(server_command=command, server_env=env)
    client = await config.start()
    session = Session(client, answers)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def on_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        session.questions.append(params.message)
        answer = session.answers.pop(0) if session.answers else None
        return types.MessageActionItem(title=answer) if answer else None

    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(capabilities), process_id=os.getpid(),
        initialization_options={"settings": {"tunelint": settings}}))
    return session


@pytest.fixture
async def lsp(fake: FakeOpenAI, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    sessions: list[Session] = []

    async def make(answers: list[str | None], server: str = "stub", **jobs: Any) -> Session:
        settings = {"baseUrl": fake.base_url, "apiKey": FAKE_KEY,
                    "jobs": {"model": MODEL, "pollInterval": 0, "maxRetries": 1, "timeout": 5,
                             "stateFile": str(tmp_path / "state.json"), **jobs}}
        s = await open_session(settings, answers, server=server)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        await s.client.shutdown_session()


def open_doc(session: Session, path: Path) -> str:
    uri = path.as_uri()
    session.client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="jsonl", version=1,
                                             text=path.read_text())))
    return uri


def no_key_anywhere(session: Session) -> None:
    for text in session.shown() + session.logged() + session.questions:
        assert FAKE_KEY not in text


@pytest.mark.parametrize("server", ["stub", "real"])
async def test_start_fine_tune_confirmed_with_progress_and_final_model(lsp, fake, tmp_path,
                                                                       server):
    if server == "real":
        pytest.importorskip("tunelint.lsp.server", reason="the language server is not there yet")
    session = await lsp(["Start fine-tune"], server=server, suffix="lsp",
                        hyperparameters={"n_epochs": 2})
    uri = open_doc(session, write(tmp_path / "train.jsonl", chat_lines()))
    result = await session.execute("tunelint.startFineTune", uri)
    assert result["job_id"] in fake.jobs
    assert result["file_id"] in fake.files
    # The question showed the estimate.
    (question,) = session.questions
    assert "Start a fine-tuning job for train.jsonl?" in question
    assert "12 training examples" in question and "epochs: 2 (configured)" in question
    assert fake.job_bodies[0]["method"]["supervised"]["hyperparameters"] == {"n_epochs": 2}
    assert fake.job_bodies[0]["suffix"] == "lsp"
    await session.until(lambda: any("Fine-tune succeeded" in m for m in session.shown()))
    final = [m for m in session.shown() if "Fine-tune succeeded" in m][0]
    assert f"model ft:{MODEL}:org-fake:lsp:" in final
    assert any(f"Fine-tuning job {result['job_id']} created" in m for m in session.shown())
    # Progress: begin, reports through the statuses, end.
    (reports,) = session.client.progress_reports.values()
    kinds = [type(r).__name__ for r in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    messages = [getattr(r, "message", "") or "" for r in reports]
    for status in ("validating_files", "queued", "running", "succeeded"):
        assert any(status in m for m in messages), messages
    assert any("uploaded as" in m for m in messages)
    # Events in the log.
    logged = session.logged()
    assert any("fine-tune event:" in m and "Fine-tuning job started" in m for m in logged)
    assert any("training loss=1.23" in m for m in logged)
    no_key_anywhere(session)
    # jobStatus on the document reports the finished job.
    status = await session.execute("tunelint.jobStatus", uri)
    assert status["status"] == "succeeded" and status["job_id"] == result["job_id"]
    if server == "real":
        # The dataset's code lens shows the job started from it, with its status.
        lenses = await asyncio.wait_for(session.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))), GUARD)
        titles = [lens.command.title for lens in lenses or [] if lens.command]
        assert f"Fine-tune {result['job_id']}: succeeded" in titles, titles


async def test_declined_confirmation_sends_no_request_at_all(lsp, fake, tmp_path):
    session = await lsp(["Cancel"])
    uri = open_doc(session, write(tmp_path / "train.jsonl", chat_lines()))
    result = await session.execute("tunelint.startFineTune", uri)
    assert result == {"status": "declined"}
    assert len(session.questions) == 1 and fake.requests == []
    session.answers.append(None)  # dismissed without choosing: also no
    result = await session.execute("tunelint.startFineTune", uri)
    assert result == {"status": "declined"} and fake.requests == []


async def test_lint_errors_ask_first_and_upload_nothing_when_declined(lsp, fake, tmp_path):
    lines = chat_lines()
    lines[2] = lines[2][:-3]
    session = await lsp(["Cancel", "Upload anyway", "Start fine-tune"])
    uri = open_doc(session, write(tmp_path / "bad.jsonl", lines))
    result = await session.execute("tunelint.startFineTune", uri)
    assert result["status"] == "refused" and fake.requests == []
    assert "bad.jsonl:3:" in session.questions[0] and "Upload anyway?" in session.questions[0]
    result = await session.execute("tunelint.startFineTune", uri)  # forced this time
    assert result["job_id"] in fake.jobs and len(fake.files) == 1


async def test_failed_job_and_cancel_from_the_editor(lsp, fake, tmp_path):
    fake.scripts += [list(FAILURE), list(FOREVER)]
    session = await lsp(["Start fine-tune"])
    uri = open_doc(session, write(tmp_path / "train.jsonl", chat_lines()))
    first = await session.execute("tunelint.startFineTune", uri)
    await session.until(lambda: any("Fine-tune failed" in m for m in session.shown()))
    assert any("invalid_training_file" in m for m in session.shown())
    other = open_doc(session, write(tmp_path / "other.jsonl", chat_lines(11)))
    session.answers.append("Start fine-tune")
    second = await session.execute("tunelint.startFineTune", other)
    assert second["job_id"] != first["job_id"]
    cancelled = await session.execute("tunelint.cancelJob", other)
    assert cancelled["status"] == "cancelled" and fake.jobs[second["job_id"]]["status"] == "cancelled"
    await session.until(lambda: any("Fine-tune cancelled" in m for m in session.shown()))


async def test_api_errors_reach_the_user_without_the_key(lsp, fake, tmp_path):
    fake.fault("POST", "/v1/fine_tuning/jobs", status=500, times=5,
               headers={"Retry-After-ms": "1"})
    session = await lsp(["Start fine-tune"])
    uri = open_doc(session, write(tmp_path / "train.jsonl", chat_lines()))
    result = await session.execute("tunelint.startFineTune", uri)
    assert result["status"] == "error"
    (file_id,) = fake.files
    assert any("Fine-tune failed" in m and file_id in m for m in session.shown())
    no_key_anywhere(session)
    bad = FakeOpenAI("sk-some-other-key").start()
    try:
        session2 = await lsp(["Start fine-tune"], baseUrl=bad.base_url)
        uri = open_doc(session2, write(tmp_path / "t2.jsonl", chat_lines(10)))
        result = await session2.execute("tunelint.startFineTune", uri)
    finally:
        bad.stop()
    assert result["status"] == "error"
    assert any("401" in m for m in session2.shown())
    no_key_anywhere(session2)
