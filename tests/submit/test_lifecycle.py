"""Lifecycle tests: the real SDK against the stateful local fake (tests/submit/fake_openai.py).

No test waits on a clock: polling uses a zero interval, retries sleep through a recorder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FAILURE, FOREVER, FakeOpenAI
from submit_support import FAKE_KEY, chat_lines, dpo_lines, write

from tunelint.cli import main
from tunelint.config import Settings
from tunelint.submit.core import (
    Dataset,
    Endpoint,
    JobParams,
    Reporter,
    SubmitError,
    Submitter,
    make_client,
    prepare,
)
from tunelint.submit.state import State

MODEL = "gpt-4o-mini-2024-07-18"
FAST = {"Retry-After-ms": "1"}  # CLI-level retries need not wait


class Recorder(Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.statuses: list[str] = []
        self.events: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warning: " + message)

    def progress(self, stage: str, message: str, percent: int | None = None) -> None:
        self.lines.append(f"{stage}: {message}")

    def status(self, job: Any) -> None:
        self.statuses.append(job.status)

    def event(self, event: Any) -> None:
        self.events.append(event.message)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def submit_args(fake: FakeOpenAI, train: Path, *extra: str) -> list[str]:
    return ["submit", str(train), "--model", MODEL, "--base-url", fake.base_url, "--yes",
            "--poll-interval", "0", "--max-retries", "2", "--timeout", "5", *extra]


def make_submitter(fake: FakeOpenAI, state: Path, sleeps: list[float] | None = None,
                   **kw: Any) -> tuple[Submitter, Recorder]:
    endpoint = Endpoint(base_url=fake.base_url, timeout=5, max_retries=2)
    rec = Recorder()
    sleep_log = sleeps if sleeps is not None else []
    sub = Submitter(make_client(endpoint), endpoint, State(state), rec,
                    sleep=sleep_log.append, **kw)
    return sub, rec


def plan_for(fake: FakeOpenAI, train: Path, **params: Any) -> Any:
    endpoint = Endpoint(base_url=fake.base_url, timeout=5, max_retries=2)
    return prepare(Dataset.from_path(str(train)), None, JobParams(model=MODEL, **params),
                   Settings(), endpoint, today=dt.date(2026, 11, 24))


# -- the happy path and the final statuses ------------------------------------------------


def test_job_goes_through_every_status_and_reports_the_model(fake, env, train, capsys):
    code, out, err = run_cli(capsys, *submit_args(fake, train, "--suffix", "demo",
                                                  "--n-epochs", "3", "--seed", "7",
                                                  "--output-format", "json"))
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "succeeded"
    assert result["fine_tuned_model"].startswith(f"ft:{MODEL}:org-fake:demo:")
    assert result["file_id"] in fake.files and result["validation_file_id"] is None
    assert result["job_id"] in fake.jobs
    order = [err.index(f"status: {result['job_id']}: {s}") for s in
             ("validating_files", "queued", "running", "succeeded")]
    assert order == sorted(order)
    assert "Fine-tuning job started" in err and "training loss=1.23" in err
    assert "Estimate:" in err and "billable tokens" in err
    body = fake.job_bodies[0]
    assert body["method"] == {"type": "supervised",
                              "supervised": {"hyperparameters": {"n_epochs": 3}}}
    assert body["suffix"] == "demo" and body["seed"] == 7 and "tunelint" in body["metadata"]
    assert fake.file_data[result["file_id"]] == train.read_bytes()


def test_failed_job_reports_code_and_message_and_exits_1(fake, env, train, capsys):
    fake.scripts.append(list(FAILURE))
    code, out, err = run_cli(capsys, *submit_args(fake, train))
    assert code == 1
    assert "error invalid_training_file: The job failed due to an invalid training file." in out
    assert "failed" in out


def test_cancelled_job(fake, env, train, capsys):
    fake.scripts.append(list(FOREVER))
    code, out, _ = run_cli(capsys, *submit_args(fake, train, "--detach", "--output-format",
                                                "json"))
    assert code == 0
    job_id = json.loads(out)["job_id"]
    assert json.loads(out)["status"] == "validating_files"
    code, out, _ = run_cli(capsys, "jobs", "cancel", job_id, "--base-url", fake.base_url)
    assert code == 0 and f"{job_id}: cancelled" in out
    sub, rec = make_submitter(fake, env)
    result = sub.follow(job_id, poll_interval=0)
    assert result.status == "cancelled" and rec.statuses == ["cancelled"]
    assert "Fine-tuning job cancelled" in rec.events
    code, out, _ = run_cli(capsys, "jobs", "events", job_id, "--base-url", fake.base_url)
    assert code == 0 and out.index("Created fine-tuning job") < out.index("cancelled")
    code, out, _ = run_cli(capsys, "jobs", "list", "--base-url", fake.base_url)
    assert code == 0 and job_id in out


def test_dpo_job_sends_the_dpo_method(fake, env, tmp_path, capsys):
    train = write(tmp_path / "prefs.jsonl", dpo_lines())
    code, out, err = run_cli(capsys, *submit_args(fake, train, "--method", "dpo", "--beta",
                                                  "0.2", "--batch-size", "4", "--detach"))
    assert code == 0, err
    assert fake.job_bodies[0]["method"] == {
        "type": "dpo", "dpo": {"hyperparameters": {"batch_size": 4, "beta": 0.2}}}


def test_validation_file_is_uploaded_and_sent(fake, env, train, tmp_path, capsys):
    val = write(tmp_path / "val.jsonl", chat_lines(10, tag=" (val)"))
    code, out, err = run_cli(capsys, *submit_args(fake, train, "--validation-file", str(val),
                                                  "--detach", "--output-format", "json"))
    assert code == 0, err
    result = json.loads(out)
    assert fake.job_bodies[0]["validation_file"] == result["validation_file_id"]
    assert fake.file_data[result["validation_file_id"]] == val.read_bytes()


# -- errors and retries ---------------------------------------------------------------------


def test_401_is_explained_without_the_key(env, train, capsys):
    server = FakeOpenAI("sk-the-right-key-is-another-one").start()
    try:
        code, out, err = run_cli(capsys, *submit_args(server, train))
    finally:
        server.stop()
    assert code == 3
    assert "API key was rejected (401" in err and "OPENAI_API_KEY" in err
    assert FAKE_KEY not in out + err
    assert server.file_uploads == 0


def test_429_waits_as_long_as_retry_after_says(fake, env, train):
    fake.fault("POST", "/v1/files", status=429, headers={"Retry-After": "7"},
               body={"error": {"message": "Rate limit reached", "type": "requests",
                               "code": "rate_limit_exceeded"}})
    sleeps: list[float] = []
    sub, rec = make_submitter(fake, env, sleeps)
    result = sub.submit(plan_for(fake, train))
    assert sleeps == [7.0]
    assert fake.count("POST", "/v1/files") == 2 and fake.file_uploads == 1
    assert any("HTTP 429; retrying in 7 s" in line for line in rec.lines)
    assert result.job_id in fake.jobs


def test_429_insufficient_quota_is_not_retried(fake, env, train):
    fake.fault("POST", "/v1/files", status=429,
               body={"error": {"message": "You exceeded your current quota",
                               "code": "insufficient_quota"}})
    sleeps: list[float] = []
    sub, _ = make_submitter(fake, env, sleeps)
    with pytest.raises(SubmitError) as e:
        sub.submit(plan_for(fake, train))
    assert sleeps == [] and "quota exceeded" in e.value.message


def test_500_then_success_creates_one_job_with_one_idempotency_key(fake, env, train):
    fake.fault("POST", "/v1/fine_tuning/jobs", status=500)
    sleeps: list[float] = []
    sub, rec = make_submitter(fake, env, sleeps)
    result = sub.submit(plan_for(fake, train))
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 8
    assert fake.count("POST", "/v1/fine_tuning/jobs") == 2 and len(fake.jobs) == 1
    keys = [h.get("idempotency-key") for (m, p), h in zip(fake.requests, fake.headers)
            if (m, p) == ("POST", "/v1/fine_tuning/jobs")]
    assert keys[0] and keys[0] == keys[1]
    assert result.status == "validating_files"


def test_5xx_retries_are_bounded_and_the_uploaded_file_is_named(fake, env, train, capsys):
    fake.fault("POST", "/v1/fine_tuning/jobs", status=503, times=10, headers=FAST)
    code, out, err = run_cli(capsys, *submit_args(fake, train))
    assert code == 3
    assert fake.count("POST", "/v1/fine_tuning/jobs") == 3  # 1 + --max-retries 2
    (file_id,) = fake.files
    assert "server failed (503) after 3 attempts" in err
    assert f"training file {file_id}" in err


def test_retry_after_a_failed_create_does_not_upload_twice(fake, env, train, capsys):
    fake.fault("POST", "/v1/fine_tuning/jobs", status=500, times=3, headers=FAST)
    code, _, err = run_cli(capsys, *submit_args(fake, train))
    assert code == 3 and fake.file_uploads == 1
    code, out, err = run_cli(capsys, *submit_args(fake, train, "--output-format", "json"))
    assert code == 0, err
    assert fake.count("POST", "/v1/files") == 1 and fake.file_uploads == 1
    assert "already uploaded as" in err
    assert json.loads(out)["reused_files"] == list(fake.files)


def test_a_deleted_upload_is_uploaded_again(fake, env, train, capsys):
    assert run_cli(capsys, *submit_args(fake, train, "--detach"))[0] == 0
    fake.files.clear()  # the file went away on the server
    fake.jobs.clear()
    assert run_cli(capsys, *submit_args(fake, train, "--detach"))[0] == 0
    assert fake.count("POST", "/v1/files") == 2


def test_identical_running_job_is_reported_not_started_twice(fake, env, train, capsys):
    fake.scripts += [list(FOREVER), list(FOREVER)]
    code, out, _ = run_cli(capsys, *submit_args(fake, train, "--detach", "--output-format",
                                                "json"))
    first = json.loads(out)["job_id"]
    code, out, err = run_cli(capsys, *submit_args(fake, train, "--detach", "--output-format",
                                                  "json"))
    assert code == 0 and json.loads(out)["job_id"] == first
    assert json.loads(out)["existing_job"] is True and "already" in err
    assert len(fake.jobs) == 1 and fake.count("POST", "/v1/files") == 1
    code, out, _ = run_cli(capsys, *submit_args(fake, train, "--detach", "--new-job",
                                                "--output-format", "json"))
    assert code == 0 and json.loads(out)["job_id"] != first and len(fake.jobs) == 2
    # A different job (other hyperparameters) is not "identical".
    code, out, _ = run_cli(capsys, *submit_args(fake, train, "--detach", "--n-epochs", "2",
                                                "--output-format", "json"))
    assert len(fake.jobs) == 3


def test_dropped_connection_is_retried(fake, env, train):
    sub, rec = make_submitter(fake, env)
    result = sub.submit(plan_for(fake, train))
    fake.fault("GET", f"/v1/fine_tuning/jobs/{result.job_id}", drop=True)
    done = sub.follow(result.job_id, poll_interval=0, result=result)
    assert done.status == "succeeded"
    assert any("connection problem; retrying" in line for line in rec.lines)


def test_a_dropped_upload_that_arrived_is_not_uploaded_again(fake, env, train):
    sub, rec = make_submitter(fake, env)
    fake.fault("POST", "/v1/files", drop=True, after=True)  # stored, but the answer is lost
    result = sub.submit(plan_for(fake, train))
    assert fake.count("POST", "/v1/files") == 1 and fake.file_uploads == 1
    (file_id,) = fake.files
    assert fake.job_bodies[-1]["training_file"] == file_id == result.file_id
    assert any("dropped upload arrived as " + file_id in line for line in rec.lines)


def test_a_dropped_upload_that_never_arrived_is_sent_again(fake, env, train, tmp_path):
    # An earlier upload of other content with the same name and size is not taken for it.
    other = tmp_path / "other" / "train.jsonl"
    other.parent.mkdir()
    data = train.read_bytes()
    other.write_bytes(data.replace(b"e", b"a", 1))
    assert len(other.read_bytes()) == len(data) and other.read_bytes() != data
    sub, rec = make_submitter(fake, env)
    earlier = sub.upload(Dataset.from_path(str(other)))
    fake.fault("POST", "/v1/files", drop=True)  # lost before the server read it
    result = sub.submit(plan_for(fake, train))
    assert fake.count("POST", "/v1/files") == 3 and fake.file_uploads == 2
    assert result.file_id != earlier
    assert fake.file_data[result.file_id] == data
    assert not any("dropped upload arrived" in line for line in rec.lines)


def test_network_down_is_a_clear_api_error(env, train, capsys):
    server = FakeOpenAI(FAKE_KEY).start()
    url = server.base_url
    server.stop()  # nothing listens there any more
    code, out, err = run_cli(capsys, "submit", str(train), "--model", MODEL, "--base-url", url,
                             "--yes", "--max-retries", "1", "--timeout", "2")
    assert code == 3
    assert f"could not reach {url} after 2 attempts" in err and "check the network" in err


def test_timeout_is_a_clear_api_error(fake, env, train, capsys):
    # The fake answers after 3 s; the client gives up after 0.3 s (no retry).
    fake.fault("POST", "/v1/files", status=200, delay=3.0)
    code, out, err = run_cli(capsys, "submit", str(train), "--model", MODEL, "--base-url",
                             fake.base_url, "--yes", "--max-retries", "0", "--timeout", "0.3")
    assert code == 3 and "the request timed out" in err and "raise the timeout" in err


def test_declined_on_the_terminal_sends_nothing(fake, env, train, capsys, monkeypatch):
    import tunelint.submit.cli as submit_cli

    shown: list[str] = []
    monkeypatch.setattr(submit_cli.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(submit_cli, "_confirm_on_tty", lambda text: shown.append(text) or False)
    args = [a for a in submit_args(fake, train) if a != "--yes"]
    code, _, err = run_cli(capsys, *args)
    assert code == 1 and "not confirmed" in err and fake.requests == []
    assert "billable tokens" in shown[0] and "12 training examples" in shown[0]


def test_404_model_names_the_uploaded_file(fake, env, train, capsys):
    code, out, err = run_cli(capsys, "submit", str(train), "--model", "nope-model",
                             "--base-url", fake.base_url, "--yes")
    assert code == 3
    assert "not found (404 The model `nope-model` does not exist)" in err
    assert "model: The model `nope-model` does not exist" in err
    (file_id,) = fake.files
    assert file_id in err


def test_uploads_api_in_parts_above_the_files_limit(fake, env, train):
    sub, rec = make_submitter(fake, env, files_api_limit=100, part_size=700)
    result = sub.submit(plan_for(fake, train))
    size = len(train.read_bytes())
    n_parts = -(-size // 700)
    assert fake.count("POST", "/v1/files") == 0
    assert fake.count_prefix("POST", "/v1/uploads/") == n_parts + 1 and n_parts > 1
    assert fake.file_data[result.file_id] == train.read_bytes()


def test_azure_client_with_endpoint_and_api_version(fake, env, train, monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", FAKE_KEY)
    root = fake.base_url.removesuffix("/v1")
    code, out, err = run_cli(capsys, "submit", str(train), "--model", MODEL,
                             "--azure-endpoint", root, "--api-version", "2025-04-01-preview",
                             "--yes", "--detach", "--output-format", "json")
    assert code == 0, err
    assert ("POST", "/openai/fine_tuning/jobs") in fake.requests
    assert "metadata" not in fake.job_bodies[0]
    assert all(h.get("api-key") == FAKE_KEY for h in fake.headers)


# -- refusals before any request -----------------------------------------------------------


@pytest.mark.parametrize("extra, message", [
    (["--n-epochs", "0"], "n_epochs must be 'auto' or a whole number from 1 to 50"),
    (["--batch-size", "300"], "batch_size must be"),
    (["--learning-rate-multiplier", "0"], "learning_rate_multiplier must be greater than 0"),
    (["--suffix", "x" * 65], "suffix must be 1-64 characters"),
    (["--beta", "0.1"], "beta applies only to method dpo"),
    (["--method", "dpo"], "format, which method dpo does not take"),
    (["--seed", "-1"], "seed must be between 0 and 2147483647"),
])
def test_invalid_parameters_exit_2_before_any_request(fake, env, train, capsys, extra, message):
    code, _, err = run_cli(capsys, *submit_args(fake, train, *extra))
    assert code == 2 and message in err
    assert fake.requests == []


def test_model_checks_against_the_registry():
    from tunelint.submit.core import check_params

    openai = Endpoint()
    today = dt.date(2026, 11, 24)
    hard, _ = check_params(JobParams("gpt-4.1-nano-2025-04-14"), openai, today=today)
    assert any("no longer open for fine-tuning (closed 2026-10-23)" in h for h in hard)
    hard, _ = check_params(JobParams("o4-mini-2025-04-16"), openai, today=today)
    assert any("does not support method supervised" in h for h in hard)
    hard, _ = check_params(JobParams("gpt-9"), openai, today=today)
    assert any("not in tunelint's model registry" in h for h in hard)
    hard, warn = check_params(JobParams(MODEL), openai, today=today)
    assert hard == [] and any("2027-01-06" in w for w in warn)
    hard, _ = check_params(JobParams(MODEL), openai, today=dt.date(2027, 1, 6))
    assert any("OpenAI closed self-serve fine-tuning on 2027-01-06" in h for h in hard)
    hard, _ = check_params(JobParams(MODEL), Endpoint(base_url="http://127.0.0.1:1/v1"),
                           today=dt.date(2027, 1, 6))
    assert hard == []  # the OpenAI cutoff is OpenAI's
    hard, _ = check_params(JobParams(MODEL, suffix="x" * 41),
                           Endpoint(azure_endpoint="https://x.openai.azure.com",
                                    api_version="2025-04-01-preview"), today=today)
    assert any("suffix must be 1-40" in h for h in hard)


def test_lint_errors_are_never_uploaded_without_force(fake, env, tmp_path, capsys):
    lines = chat_lines()
    lines[3] = lines[3][:-5]  # broken JSON
    lines[6] = json.dumps({"messages": [{"role": "usr", "content": "hi"}]})
    train = write(tmp_path / "bad.jsonl", lines)
    code, out, err = run_cli(capsys, *submit_args(fake, train))
    assert code == 1
    assert "refused" in err and "bad.jsonl:4:" in err and "bad.jsonl:7:" in err
    assert fake.requests == []
    code, out, err = run_cli(capsys, *submit_args(fake, train, "--force", "--detach"))
    assert code == 0, err
    assert fake.file_uploads == 1 and "forced despite" in err


def test_overlap_between_train_and_validation_is_refused(fake, env, train, tmp_path, capsys):
    val = write(tmp_path / "val.jsonl", chat_lines(3))
    code, _, err = run_cli(capsys, *submit_args(fake, train, "--validation-file", str(val)))
    assert code == 1 and "appear in both the training and the validation file" in err
    assert fake.requests == []
    code, _, err = run_cli(capsys, *submit_args(fake, train, "--validation-file", str(train)))
    assert code == 2 and "same content as the training file" in err


def test_no_tty_and_no_yes_spends_nothing(fake, env, train, capsys):
    args = [a for a in submit_args(fake, train) if a != "--yes"]
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and "pass --yes" in err and fake.requests == []


def test_missing_key_is_a_usage_error(fake, env, train, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    code, _, err = run_cli(capsys, *submit_args(fake, train))
    assert code == 2 and "no API key" in err and fake.requests == []


# -- the key never shows ---------------------------------------------------------------------


def test_the_key_is_absent_from_every_log_line_message_and_the_state_file(
        fake, env, train, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    fake.fault("POST", "/v1/files", status=429, headers={"Retry-After-ms": "1"})
    fake.fault("GET", "/v1/fine_tuning/jobs/", drop=True)
    code, out, err = run_cli(capsys, *submit_args(fake, train))
    assert code == 0, err
    texts += [out, err]
    bad = FakeOpenAI("sk-another-key-entirely").start()  # answers 401 quoting the key it got
    try:
        code, out, err = run_cli(capsys, *submit_args(bad, train))
        assert code == 3
        texts += [out, err]
        code, out, err = run_cli(capsys, "jobs", "list", "--base-url", bad.base_url)
        assert code == 3
        texts += [out, err]
    finally:
        bad.stop()
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.args) for r in caplog.records]
    texts.append(env.read_text())
    assert len(caplog.records) > 5  # the SDK did log its requests
    for text in texts:
        assert FAKE_KEY not in text
    assert FAKE_KEY not in repr(Endpoint(api_key=FAKE_KEY))
    assert any(h.get("authorization") == f"Bearer {FAKE_KEY}" for h in fake.headers)
