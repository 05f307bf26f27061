"""Contract tests: the real SDK, through tunelint's submission module, against Stoplight Prism
serving OpenAI's own spec (../shared/openai-openapi/openapi.fine-tuning.json) on 127.0.0.1.

Prism validates every request against the spec and answers 422 when the spec rejects it; it
keeps no state (ids are "string", status stays validating_files). Prism comes from
.ci/setup.d/30-prism.sh (or PATH). Without Prism or ../shared these tests skip locally and
fail in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from submit_support import FAKE_KEY, chat_lines, dpo_lines, write

from tunelint.cli import main
from tunelint.config import Settings
from tunelint.submit.core import (
    Dataset,
    Endpoint,
    Estimate,
    JobParams,
    Plan,
    SubmitError,
    Submitter,
    make_client,
    prepare,
)
from tunelint.submit.state import State

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("TUNELINT_SHARED", ROOT.parent / "shared"))
SPEC = SHARED / "openai-openapi" / "openapi.fine-tuning.json"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MODEL = "gpt-4o-mini-2024-07-18"


def _missing(message: str) -> None:
    if IN_CI:
        pytest.fail(message + "; CI must not skip the contract tests")
    pytest.skip(message)


def _prism_binary() -> str | None:
    local = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "prism"
    if local.exists():
        return str(local)
    return shutil.which("prism")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not SPEC.exists():
        _missing(f"needs {SPEC}, which only ../shared provides (clone it beside this repo)")
    binary = _prism_binary()
    if binary is None or shutil.which("node") is None:
        _missing("needs Prism (run .ci/setup.d/30-prism.sh, which needs node and npm)")
    assert binary is not None
    port = _free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a start-up bound, not a measurement
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prism exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"{url}/files",
                                           headers={"Authorization": "Bearer x"}), timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"prism did not answer on {url}:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def setup(prism: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
          ) -> tuple[Endpoint, Submitter, list[float]]:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("TUNELINT_STATE_FILE", str(tmp_path / "state.json"))
    endpoint = Endpoint(base_url=prism, timeout=10, max_retries=1)
    sleeps: list[float] = []
    sub = Submitter(make_client(endpoint), endpoint, State(tmp_path / "state.json"),
                    sleep=sleeps.append)
    return endpoint, sub, sleeps


def _plan(endpoint: Endpoint, train: Path, validation: Path | None = None, **params: object
          ) -> Plan:
    return prepare(Dataset.from_path(str(train)),
                   Dataset.from_path(str(validation)) if validation else None,
                   JobParams(model=MODEL, **params),  # type: ignore[arg-type]
                   Settings(), endpoint)


def test_upload_goes_through_the_files_api(setup, tmp_path):
    endpoint, sub, _ = setup
    train = write(tmp_path / "train.jsonl", chat_lines())
    file_id = sub.upload(Dataset.from_path(str(train)))
    assert isinstance(file_id, str) and file_id


def test_looking_for_a_dropped_upload_is_a_request_the_spec_accepts(setup):
    # After a dropped upload the submitter lists recent files; Prism validates that request
    # and answers with an example list, in which no file matches this name.
    endpoint, sub, _ = setup
    assert sub._find_upload("no-such-name.jsonl", 123, since=0.0) is None
    assert sub.client.files.list(purpose="fine-tune", order="desc", limit=100).data is not None


def test_supervised_job_with_every_parameter(setup, tmp_path):
    endpoint, sub, sleeps = setup
    train = write(tmp_path / "train.jsonl", chat_lines())
    val = write(tmp_path / "val.jsonl", chat_lines(10, tag=" (v)"))
    plan = _plan(endpoint, train, val, n_epochs=3, batch_size=8, learning_rate_multiplier=0.5,
                 suffix="contract", seed=42, metadata={"team": "qa"})
    result = sub.submit(plan)
    assert result.job_id and result.status in ("validating_files", "queued", "running")
    assert result.file_id and result.validation_file_id and sleeps == []


def test_dpo_job(setup, tmp_path):
    endpoint, sub, sleeps = setup
    train = write(tmp_path / "prefs.jsonl", dpo_lines())
    result = sub.submit(_plan(endpoint, train, method="dpo", beta=0.1, n_epochs="auto"))
    assert result.job_id and sleeps == []


def test_retrieve_events_list_and_cancel_through_the_cli(setup, capsys):
    endpoint, _, _ = setup
    for argv in (["jobs", "status", "ftjob-abc"], ["jobs", "events", "ftjob-abc"],
                 ["jobs", "list"], ["jobs", "cancel", "ftjob-abc"]):
        code = main([*argv, "--base-url", str(endpoint.base_url), "--output-format", "json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        json.loads(out)


def test_follow_reads_status_and_events(setup):
    _, sub, sleeps = setup
    stops = iter([False, True])
    result = sub.follow("ftjob-abc", stop=lambda: next(stops), poll_interval=0)
    assert result.detached and result.status and len(sleeps) == 1


def test_a_request_the_spec_rejects_shows_the_422_details(setup, tmp_path, capsys):
    """Bypass tunelint's own checks to see what the server says: its details reach the user."""
    endpoint, sub, _ = setup
    train = write(tmp_path / "train.jsonl", chat_lines())
    params = JobParams(model=MODEL, suffix="x" * 65)
    estimate = Estimate(MODEL, "supervised", 12, 0, 1, "given", 0, 0)
    plan = Plan(Dataset.from_path(str(train)), None, params, endpoint, estimate)
    with pytest.raises(SubmitError) as info:
        sub.submit(plan)
    e = info.value
    assert e.status_code == 422 and e.exit_code == 3
    assert "the request was refused (422" in e.message
    assert "Request body property suffix must NOT have more than 64 characters" in e.details
    assert "Invalid request" in e.message
    assert any("uploaded and kept: training file" in d for d in e.details)
    # The CLI refuses the same request itself, before anything is sent.
    code = main(["submit", str(train), "--model", MODEL, "--suffix", "x" * 65, "--base-url",
                 str(endpoint.base_url), "--yes"])
    assert code == 2 and "suffix must be 1-64 characters" in capsys.readouterr().err
