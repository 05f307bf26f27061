"""Editor commands for fine-tuning jobs: ``tunelint.startFineTune``, ``tunelint.jobStatus``,
``tunelint.cancelJob``. The work is ``tunelint.submit.core``; this module only talks LSP.

What the server object must provide (see server.py): ``async document_bytes(uri)`` (an open
document's UTF-8 text once it is built, else the file's bytes),
``document_settings(uri)``, ``client_settings(uri)`` (raw editor settings, read here: ``jobs``
{model, method, hyperparameters, suffix, seed, validationFile, metadata, pollInterval, stateFile},
``baseUrl``, ``azureEndpoint``, ``apiVersion``, ``apiKey``; each also accepted inside ``jobs``).

- Confirmation: ``window/showMessageRequest`` with the estimate; declined or dismissed -> not one
  request is made. Lint errors get their own question ("Upload anyway").
- Progress: work-done progress (upload, create, training statuses) when the client supports it;
  cancelling the progress stops following (the job goes on).
- Events go to ``window/logMessage``; the final model name (or the error) to
  ``window/showMessage``. The command answers with {file_id, validation_file_id, job_id, status}
  as soon as the job exists; following goes on in the background.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types

from tunelint.submit.core import (
    EXIT_REFUSED,
    FINAL_STATUSES,
    Dataset,
    Endpoint,
    JobParams,
    Plan,
    Reporter,
    Result,
    SubmitError,
    Submitter,
    describe_event,
    describe_job,
    make_client,
    prepare,
    translate,
)
from tunelint.submit.secrets import remember_secret, scrub
from tunelint.submit.state import State

log = logging.getLogger(__name__)

START, CANCEL, UPLOAD_ANYWAY = "Start fine-tune", "Cancel", "Upload anyway"
STATUS_PERCENT = {"validating_files": 40, "queued": 50, "running": 60, "succeeded": 100,
                  "failed": 100, "cancelled": 100}


def _uri_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def _alive(ls: Any) -> bool:
    """False once the client asked for shutdown: sending then makes pygls recurse on errors."""
    return not getattr(getattr(ls, "protocol", None), "_shutdown", False)


def _send(ls: Any, fn: Any, *args: Any) -> None:
    if not _alive(ls):
        return
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - a message that cannot go out is not worth a crash
        log.debug("could not send to the client", exc_info=True)


def _get(settings: Mapping[str, Any], key: str) -> Any:
    jobs = settings.get("jobs")
    if isinstance(jobs, Mapping) and jobs.get(key) is not None:
        return jobs.get(key)
    return settings.get(key)


class JobsState:
    """Per-server bookkeeping: the last job of each document and the followers running."""

    def __init__(self) -> None:
        self.last_job: dict[str, str] = {}
        self.status: dict[str, str] = {}
        self.followers: dict[str, asyncio.Task[Any]] = {}
        self.closing = False

    def lens_title(self, uri: str) -> str | None:
        job = self.last_job.get(uri)
        if job is None:
            return None
        return f"Fine-tune {job}: {self.status.get(job, '?')}"


class LspReporter(Reporter):
    """Sends log lines and progress from the submitting thread through the event loop."""

    def __init__(self, ls: Any, loop: asyncio.AbstractEventLoop, token: str | None,
                 jobs: JobsState) -> None:
        self.ls, self.loop, self.token, self.jobs = ls, loop, token, jobs

    def _log(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        params = types.LogMessageParams(type=kind, message=scrub(text))
        self.loop.call_soon_threadsafe(_send, self.ls, self.ls.window_log_message, params)

    def _progress(self, message: str, percent: int | None) -> None:
        if self.token is None:
            return
        report = types.WorkDoneProgressReport(message=scrub(message), percentage=percent)
        self.loop.call_soon_threadsafe(_send, self.ls, self.ls.work_done_progress.report,
                                       self.token, report)

    def info(self, message: str) -> None:
        self._log(message)

    def warn(self, message: str) -> None:
        self._log(message, types.MessageType.Warning)

    def progress(self, stage: str, message: str, percent: int | None = None) -> None:
        self._log(message)
        if stage == "upload" and percent is not None:
            self._progress(message, int(percent * 0.3))
        elif stage == "create":
            self._progress(message, 35)

    def status(self, job: Any) -> None:
        self.jobs.status[job.id] = job.status
        self._log("fine-tune " + describe_job(job))
        self._progress(f"job {job.id}: {job.status}", STATUS_PERCENT.get(job.status))

    def event(self, event: Any) -> None:
        level = getattr(event, "level", "info")
        kind = {"error": types.MessageType.Error, "warn": types.MessageType.Warning}.get(
            level, types.MessageType.Log)
        self._log("fine-tune event: " + describe_event(event), kind)


def _params(settings: Mapping[str, Any], default_model: str) -> JobParams:
    hp = _get(settings, "hyperparameters") or {}
    if not isinstance(hp, Mapping):
        raise SubmitError("setting tunelint.jobs.hyperparameters must be an object", 2)

    def hget(*names: str) -> Any:
        for n in names:
            if hp.get(n) is not None:
                return hp[n]
        return None

    metadata = _get(settings, "metadata") or {}
    return JobParams(
        model=str(_get(settings, "model") or default_model),
        method=str(_get(settings, "method") or "supervised"),
        n_epochs=hget("n_epochs", "nEpochs"),
        batch_size=hget("batch_size", "batchSize"),
        learning_rate_multiplier=hget("learning_rate_multiplier", "learningRateMultiplier"),
        beta=hget("beta"),
        suffix=_get(settings, "suffix"),
        seed=_get(settings, "seed"),
        metadata={str(k): str(v) for k, v in dict(metadata).items()},
    )


def _endpoint(settings: Mapping[str, Any]) -> Endpoint:
    key = _get(settings, "apiKey")
    if key:
        remember_secret(str(key))
    return Endpoint(
        base_url=_get(settings, "baseUrl"),
        azure_endpoint=_get(settings, "azureEndpoint"),
        api_version=_get(settings, "apiVersion"),
        api_key=str(key) if key else None,
        timeout=float(_get(settings, "timeout") or 60.0),
        max_retries=int(_get(settings, "maxRetries") if _get(settings, "maxRetries") is not None
                        else 4),
    )


def _stdout_to_stderr() -> None:
    # A child inherits the server's stdout, which carries the protocol: keep it clean.
    os.dup2(2, 1)


def prepare_elsewhere(train: Dataset, validation: Dataset | None, params: JobParams,
                      settings: Any, endpoint: Endpoint, force: bool) -> Plan:
    """``prepare`` (lint the files, count their tokens) in a child process: the analysis of a
    whole file and the tokenizer go away with it instead of staying in the server. The API key
    does not cross: the child gets the endpoint without it. In process if no child can run."""
    keyless = dataclasses.replace(endpoint, api_key=None)
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_stdout_to_stderr) as pool:
            plan = pool.submit(prepare, train, validation, params, settings, keyless,
                               force=force).result()
    except (OSError, BrokenProcessPool) as e:
        log.warning("cannot prepare the job in a child process (%s); preparing here", scrub(e))
        return prepare(train, validation, params, settings, endpoint, force=force)
    plan.endpoint = endpoint
    return plan


def register(server: Any) -> None:
    jobs = JobsState()
    server.tunelint_jobs = jobs

    def show(ls: Any, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        _send(ls, ls.window_show_message, types.ShowMessageParams(type=kind,
                                                                   message=scrub(text)))

    async def ask(ls: Any, text: str, *choices: str) -> str | None:
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Info, message=scrub(text),
            actions=[types.MessageActionItem(title=c) for c in choices])
        try:
            answer = await ls.window_show_message_request_async(params)
        except Exception as e:  # noqa: BLE001 - a client without the request: not confirmed
            log.info("showMessageRequest failed: %s", scrub(e))
            return None
        return answer.title if answer is not None else None

    def supports_progress(ls: Any) -> bool:
        caps = getattr(ls, "client_capabilities", None)
        window = getattr(caps, "window", None)
        return bool(getattr(window, "work_done_progress", False))

    def submitter(ls: Any, uri: str | None, reporter: Reporter | None = None) -> Submitter:
        settings = ls.client_settings(uri) if uri else {}
        endpoint = _endpoint(settings)
        state_file = _get(settings, "stateFile")
        return Submitter(make_client(endpoint), endpoint, State(state_file), reporter)

    @server.command("tunelint.startFineTune")
    async def start_fine_tune(ls: Any, *args: Any) -> dict[str, Any]:
        if not args or not isinstance(args[0], str):
            show(ls, "tunelint.startFineTune needs the document URI", types.MessageType.Error)
            return {"error": "missing document URI"}
        uri = args[0]
        loop = asyncio.get_running_loop()
        try:
            settings = ls.client_settings(uri)
            lint_settings = ls.document_settings(uri)
            data = await ls.document_bytes(uri)
            path = _uri_path(uri)
            name = path.name if path else uri.rsplit("/", 1)[-1] or "train.jsonl"
            train = Dataset(name, data, str(path) if path else None)
            validation = None
            vfile = _get(settings, "validationFile")
            if vfile:
                vpath = Path(vfile)
                if not vpath.is_absolute() and path is not None:
                    vpath = path.parent / vpath
                validation = Dataset.from_path(str(vpath))
            params = _params(settings, lint_settings.model)
            endpoint = _endpoint(settings)

            def plan(force: bool) -> Plan:
                return prepare_elsewhere(train, validation, params, lint_settings, endpoint,
                                         force)

            try:
                the_plan = await loop.run_in_executor(None, plan, False)
            except SubmitError as e:
                if e.exit_code != EXIT_REFUSED:
                    raise
                answer = await ask(ls, e.text() + "\n\nUpload anyway?", UPLOAD_ANYWAY, CANCEL)
                if answer != UPLOAD_ANYWAY:
                    show(ls, "Fine-tune not started: " + e.message)
                    return {"status": "refused", "error": e.message}
                the_plan = await loop.run_in_executor(None, plan, True)
        except SubmitError as e:
            show(ls, "Fine-tune not started: " + e.text(), types.MessageType.Error)
            return {"status": "refused", "error": e.message}
        except OSError as e:
            show(ls, f"Fine-tune not started: {e}", types.MessageType.Error)
            return {"status": "refused", "error": scrub(e)}

        warnings = "".join(f"\nwarning: {w}" for w in the_plan.warnings)
        answer = await ask(ls, f"Start a fine-tuning job for {name}?\n"
                           + the_plan.estimate.text() + warnings, START, CANCEL)
        if answer != START:
            ls.window_log_message(types.LogMessageParams(
                type=types.MessageType.Info, message="fine-tune: not confirmed; nothing sent"))
            return {"status": "declined"}

        token: str | None = None
        if supports_progress(ls):
            token = f"tunelint-finetune-{uuid.uuid4()}"
            try:
                await ls.work_done_progress.create_async(token)
                ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title=f"Fine-tune {name}", message="uploading", percentage=0,
                    cancellable=True))
            except Exception:  # noqa: BLE001 - progress is optional
                token = None
        reporter = LspReporter(ls, loop, token, jobs)
        try:
            sub = submitter(ls, uri, reporter)
            result: Result = await loop.run_in_executor(None, sub.submit, the_plan)
        except SubmitError as e:
            _end(ls, token, "not started")
            show(ls, "Fine-tune failed: " + e.text(), types.MessageType.Error)
            return {"status": "error", "error": e.message, "details": e.details}
        jobs.last_job[uri] = str(result.job_id)
        jobs.status[str(result.job_id)] = str(result.status)
        show(ls, f"Fine-tuning job {result.job_id} "
                 + ("already running (identical job; not started twice)" if result.existing_job
                    else "created") + f": {result.status}")
        poll = float(_get(settings, "pollInterval") if _get(settings, "pollInterval")
                     is not None else 30.0)
        task = asyncio.ensure_future(_follow(ls, sub, result, token, poll, jobs, show))
        jobs.followers[str(result.job_id)] = task
        return result.to_dict()

    async def act_on_job(ls: Any, args: tuple[Any, ...], doing: str,
                         call: Callable[[Any], Callable[[str], Any]]) -> dict[str, Any]:
        """Retrieve or cancel the document's (or the given) job and report its state."""
        uri, job_id = _target(args, jobs)
        if job_id is None:
            show(ls, "No fine-tuning job known for this document", types.MessageType.Warning)
            return {"error": "no job"}
        loop = asyncio.get_running_loop()
        try:
            sub = submitter(ls, uri)
            job = await loop.run_in_executor(
                None, sub.call, f"{doing} {job_id}", call(sub.client.fine_tuning.jobs), job_id)
        except SubmitError as e:
            show(ls, e.text(), types.MessageType.Error)
            return {"error": e.message}
        jobs.status[job.id] = job.status
        show(ls, "Fine-tune " + describe_job(job))
        out = Result()
        out.update(job)
        return out.to_dict()

    @server.command("tunelint.jobStatus")
    async def job_status(ls: Any, *args: Any) -> dict[str, Any]:
        return await act_on_job(ls, args, "reading job", lambda api: api.retrieve)

    @server.command("tunelint.cancelJob")
    async def cancel_job(ls: Any, *args: Any) -> dict[str, Any]:
        return await act_on_job(ls, args, "cancelling job", lambda api: api.cancel)


def _target(args: tuple[Any, ...], jobs: JobsState) -> tuple[str | None, str | None]:
    """(document URI, job id) from the arguments: a URI, a job id, or both."""
    uri = job_id = None
    for a in args:
        if isinstance(a, str) and "://" in a:
            uri = a
        elif isinstance(a, str) and a:
            job_id = a
        elif isinstance(a, Mapping):
            uri = a.get("uri", uri)
            job_id = a.get("jobId", a.get("job_id", job_id))
    if job_id is None and uri is not None:
        job_id = jobs.last_job.get(uri)
    if job_id is None and uri is None and jobs.last_job:
        job_id = list(jobs.last_job.values())[-1]
    return uri, job_id


def _end(ls: Any, token: str | None, message: str) -> None:
    if token is not None:
        _send(ls, ls.work_done_progress.end, token, types.WorkDoneProgressEnd(message=message))


async def _follow(ls: Any, sub: Submitter, result: Result, token: str | None, poll: float,
                  jobs: JobsState, show: Any) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> bool:
        if jobs.closing or not _alive(ls) or not loop.is_running() or loop.is_closed():
            return True  # the server is going away: stop following (the job goes on)
        if token is None:
            return False
        progress = ls.work_done_progress.tokens.get(token)
        return bool(progress is not None and progress.cancelled())

    job_id = str(result.job_id)
    try:
        done = await loop.run_in_executor(None, lambda: sub.follow(
            job_id, stop=stop, poll_interval=poll, result=result))
    except SubmitError as e:
        _end(ls, token, "stopped following")
        show(ls, f"Stopped following job {job_id}: {e.text()} (the job goes on; "
                 "run tunelint.jobStatus)", types.MessageType.Warning)
        return
    except Exception as e:  # noqa: BLE001 - never leave the user without a word
        import openai

        if isinstance(e, openai.OpenAIError):
            show(ls, translate(e, "following the job", sub.endpoint).text(),
                 types.MessageType.Error)
        else:
            log.exception("following job %s failed", job_id)
        _end(ls, token, "stopped following")
        return
    finally:
        jobs.followers.pop(job_id, None)
    jobs.status[job_id] = str(done.status)
    if done.detached:
        _end(ls, token, f"stopped following; job {job_id} goes on ({done.status})")
        show(ls, f"Stopped following job {job_id} ({done.status}); it goes on")
        return
    _end(ls, token, f"{done.status}")
    when = dt.datetime.now().strftime("%H:%M")
    if done.status == "succeeded":
        show(ls, f"Fine-tune succeeded ({when}): model {done.fine_tuned_model}")
    elif done.status in FINAL_STATUSES:
        err = done.error or {}
        show(ls, f"Fine-tune {done.status} ({when}): job {job_id}"
                 + (f": {err.get('code')}: {err.get('message')}" if err else ""),
             types.MessageType.Error if done.status == "failed" else types.MessageType.Warning)
