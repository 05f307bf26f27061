"""``tunelint submit`` and ``tunelint jobs``: the command-line front end of ``submit.core``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from tunelint.submit.core import (
    EXIT_API,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Dataset,
    Declined,
    Endpoint,
    JobParams,
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
from tunelint.submit.secrets import scrub
from tunelint.submit.state import State


class TextReporter(Reporter):
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def _say(self, text: str) -> None:
        self.out.write(scrub(text) + "\n")
        self.out.flush()

    def info(self, message: str) -> None:
        self._say(message)

    def warn(self, message: str) -> None:
        self._say("warning: " + message)

    def progress(self, stage: str, message: str, percent: int | None = None) -> None:
        self._say(f"{message}" + (f" [{percent}%]" if percent not in (None, 0, 100) else ""))

    def status(self, job: Any) -> None:
        self._say("status: " + describe_job(job))

    def event(self, event: Any) -> None:
        self._say("  " + describe_event(event))


# -- argument types ------------------------------------------------------------------------


def _int_or_auto(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 'auto' or a whole number") from None


def _float_or_auto(value: str) -> float | str:
    if value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 'auto' or a number") from None


def _metadata(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError("must be KEY=VALUE")
    return key, val


def _endpoint_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", help="an OpenAI-compatible endpoint (Azure: .../openai/v1/)")
    p.add_argument("--azure-endpoint", help="Azure OpenAI resource URL (with --api-version)")
    p.add_argument("--api-version", help="Azure OpenAI api-version for --azure-endpoint")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    p.add_argument("--max-retries", type=int, default=4,
                   help="retries on 429/5xx/network errors (default 4)")
    p.add_argument("--output-format", choices=["text", "json"], default="text")


def register(subparsers: Any) -> None:
    s = subparsers.add_parser("submit", help="lint, upload and start a fine-tuning job")
    s.add_argument("train", metavar="TRAIN.jsonl")
    s.add_argument("--model", required=True, help="base model (a dated snapshot)")
    s.add_argument("--validation-file")
    s.add_argument("--method", choices=["supervised", "dpo"], default="supervised")
    s.add_argument("--n-epochs", type=_int_or_auto)
    s.add_argument("--batch-size", type=_int_or_auto)
    s.add_argument("--learning-rate-multiplier", type=_float_or_auto)
    s.add_argument("--beta", type=_float_or_auto, help="DPO only, in (0, 2]")
    s.add_argument("--suffix")
    s.add_argument("--seed", type=int)
    s.add_argument("--metadata", type=_metadata, action="append", default=[],
                   metavar="KEY=VALUE")
    s.add_argument("--profile", help="lint profile (default: the project's)")
    s.add_argument("--config", help="path to a tunelint.toml or pyproject.toml")
    s.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    s.add_argument("--force", action="store_true", help="upload despite lint errors")
    s.add_argument("--new-job", action="store_true",
                   help="start a job even if an identical one is running")
    s.add_argument("--detach", action="store_true", help="return once the job is created")
    s.add_argument("--poll-interval", type=float, default=15.0, help=argparse.SUPPRESS)
    s.add_argument("--state-file", help=argparse.SUPPRESS)
    _endpoint_args(s)
    s.set_defaults(func=cmd_submit)

    j = subparsers.add_parser("jobs", help="list, inspect or cancel fine-tuning jobs")
    jsub = j.add_subparsers(dest="jobs_command", metavar="ACTION")
    lst = jsub.add_parser("list", help="recent jobs")
    lst.add_argument("--limit", type=int, default=20)
    _endpoint_args(lst)
    for name, helptext in (("status", "a job's status"), ("events", "a job's events"),
                           ("cancel", "cancel a job")):
        p = jsub.add_parser(name, help=helptext)
        p.add_argument("job_id", metavar="ID")
        if name == "events":
            p.add_argument("--limit", type=int, default=100)
        _endpoint_args(p)
    j.set_defaults(func=cmd_jobs)


def _endpoint(args: argparse.Namespace) -> Endpoint:
    if args.azure_endpoint and args.base_url:
        raise SubmitError("use either --base-url or --azure-endpoint, not both", EXIT_USAGE)
    if bool(args.azure_endpoint) != bool(args.api_version) and args.azure_endpoint:
        raise SubmitError("--azure-endpoint needs --api-version", EXIT_USAGE)
    return Endpoint(base_url=args.base_url, azure_endpoint=args.azure_endpoint,
                    api_version=args.api_version, timeout=args.timeout,
                    max_retries=args.max_retries)


def _fail(e: SubmitError, args: argparse.Namespace) -> int:
    if getattr(args, "output_format", "text") == "json":
        json.dump({"error": e.message, "details": e.details, "exit_code": e.exit_code},
                  sys.stdout, indent=2)
        print()
    print(scrub(f"tunelint: {e.text()}"), file=sys.stderr)
    return e.exit_code


def _confirm_on_tty(text: str) -> bool:
    try:
        with open("/dev/tty", "r+", encoding="utf-8") as tty:
            tty.write(text + "\nUpload and start the job (this costs money)? [y/N] ")
            tty.flush()
            answer = tty.readline()
    except OSError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_submit(args: argparse.Namespace) -> int:
    from tunelint.config import ConfigError, load_settings

    try:
        endpoint = _endpoint(args)
        for path in (args.train, args.validation_file):
            if path and not os.path.isfile(path):
                raise SubmitError(f"{path}: no such file", EXIT_USAGE)
        try:
            settings = load_settings(Path(args.train).resolve(),
                                     Path(args.config) if args.config else None)
            if args.profile:
                settings = settings.with_overrides(profile=args.profile)
        except ConfigError as e:
            raise SubmitError(str(e), EXIT_USAGE) from None
        params = JobParams(
            model=args.model, method=args.method, n_epochs=args.n_epochs,
            batch_size=args.batch_size, learning_rate_multiplier=args.learning_rate_multiplier,
            beta=args.beta, suffix=args.suffix, seed=args.seed, metadata=dict(args.metadata),
        )
        train = Dataset.from_path(args.train)
        validation = Dataset.from_path(args.validation_file) if args.validation_file else None
        plan = prepare(train, validation, params, settings, endpoint, force=args.force)
        err = sys.stderr
        for w in plan.warnings:
            err.write(scrub(f"warning: {w}") + "\n")
        estimate = "Estimate:\n" + "\n".join("  " + line for line in plan.estimate.lines())
        err.write(estimate + "\n")
        if not args.yes:
            if not (sys.stdin.isatty() or os.environ.get("TUNELINT_FORCE_TTY")):
                raise SubmitError("no terminal to confirm on: pass --yes to upload and start "
                                  "the job; nothing was sent", EXIT_USAGE)
            if not _confirm_on_tty(estimate):
                raise Declined()
        client = make_client(endpoint)
        reporter = TextReporter(err)
        submitter = Submitter(client, endpoint, State(args.state_file), reporter)
        result = submitter.submit(plan, new_job=args.new_job)
        if not args.detach and result.job_id:
            try:
                result = submitter.follow(result.job_id, poll_interval=args.poll_interval,
                                          result=result)
            except KeyboardInterrupt:
                result.detached = True
                err.write(f"detached; the job goes on: tunelint jobs status {result.job_id}\n")
    except SubmitError as e:
        return _fail(e, args)
    return _finish(result, args)


def _finish(result: Result, args: argparse.Namespace) -> int:
    if args.output_format == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(f"file: {result.file_id}")
        if result.validation_file_id:
            print(f"validation file: {result.validation_file_id}")
        print(f"job: {result.job_id} ({result.status})"
              + (" (already running; not started twice)" if result.existing_job else ""))
        if result.fine_tuned_model:
            print(f"fine-tuned model: {result.fine_tuned_model}")
        if result.error:
            print(scrub(f"error {result.error.get('code')}: {result.error.get('message')}"))
    if result.status in ("failed", "cancelled"):
        return EXIT_REFUSED
    return EXIT_OK


def cmd_jobs(args: argparse.Namespace) -> int:
    if not getattr(args, "jobs_command", None):
        print("tunelint jobs: choose list, status ID, events ID or cancel ID", file=sys.stderr)
        return EXIT_USAGE
    try:
        endpoint = _endpoint(args)
        client = make_client(endpoint)
        sub = Submitter(client, endpoint, State())
        jobs = client.fine_tuning.jobs
        fmt = args.output_format
        if args.jobs_command == "list":
            page = sub.call("listing jobs", jobs.list, limit=args.limit)
            items = list(page.data)
            if fmt == "json":
                _dump([j.model_dump(mode="json") for j in items])
            else:
                for j in items:
                    print(describe_job(j))
                if not items:
                    print("no fine-tuning jobs")
        elif args.jobs_command == "status":
            job = sub.call(f"reading job {args.job_id}", jobs.retrieve, args.job_id)
            _dump(job.model_dump(mode="json")) if fmt == "json" else print(describe_job(job))
        elif args.jobs_command == "events":
            page = sub.call(f"reading events of {args.job_id}", jobs.list_events, args.job_id,
                            limit=args.limit)
            events = list(reversed(list(page.data)))
            if fmt == "json":
                _dump([e.model_dump(mode="json") for e in events])
            else:
                for e in events:
                    print(describe_event(e))
        elif args.jobs_command == "cancel":
            job = sub.call(f"cancelling job {args.job_id}", jobs.cancel, args.job_id)
            _dump(job.model_dump(mode="json")) if fmt == "json" else print(describe_job(job))
    except SubmitError as e:
        return _fail(e, args)
    except Exception as e:  # noqa: BLE001 - an SDK error outside Submitter.call
        import openai

        if isinstance(e, openai.OpenAIError):
            return _fail(translate(e, "jobs", endpoint), args)
        raise
    return EXIT_OK if args.jobs_command else EXIT_API


def _dump(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    print()
