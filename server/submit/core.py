"""Submitting a fine-tuning job: one module behind both the CLI and the editor command.

The steps, in order, and what each guarantees:

1. ``prepare``: lint the training (and validation) file with the job's model and profile, check
   the job's parameters, and build the estimate. No request is made; problems raise
   ``SubmitError`` (exit 1 for refusals that ``force`` overrides, 2 for invalid parameters).
2. The front end shows ``Plan.estimate`` and asks for confirmation. Declined: nothing is sent.
3. ``Submitter.submit``: reuse an identical running job if the state file knows one, else upload
   (reusing a file already uploaded with the same content), create the job, record it.
4. ``Submitter.follow``: status and new events until a final status or until ``stop()``.

The key is never stored, logged or shown: every message goes through ``secrets.scrub``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tunelint.submit.secrets import remember_secret, scrub
from tunelint.submit.state import State

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_API = 0, 1, 2, 3

FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
METHODS = ("supervised", "dpo")
FILES_API_LIMIT = 512 * 1024 * 1024  # larger files go through the Uploads API
UPLOAD_PART_SIZE = 64 * 1024 * 1024
SEED_MAX = 2_147_483_647
MAX_RETRY_AFTER = 120.0
# How far a server's clock may run behind ours when looking for a dropped upload; small, so a
# file uploaded just before (other content of the same name and size) is not taken for it.
CLOCK_SKEW_S = 5
JSONL_MIME = "text/jsonl"


class SubmitError(Exception):
    """A failure the user can act on. ``message`` is already scrubbed of secrets."""

    def __init__(self, message: str, exit_code: int = EXIT_API, *,
                 details: Sequence[str] = (), status_code: int | None = None) -> None:
        self.message = scrub(message)
        self.details = [scrub(d) for d in details]
        self.exit_code = exit_code
        self.status_code = status_code
        super().__init__(self.message)

    def text(self) -> str:
        return "\n".join([self.message, *("  " + d for d in self.details)])

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a child process (see lsp.jobs.prepare_elsewhere), it must arrive whole: by
        # default an exception is rebuilt from its args, which would drop the exit code and the
        # details.
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _restore_error(cls: type[SubmitError], args: tuple[Any, ...], state: dict[str, Any]
                   ) -> SubmitError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class Declined(SubmitError):
    def __init__(self, message: str = "not confirmed: nothing was uploaded") -> None:
        super().__init__(message, EXIT_REFUSED)


# -- inputs --------------------------------------------------------------------------------


@dataclass
class JobParams:
    model: str
    method: str = "supervised"
    n_epochs: int | str | None = None
    batch_size: int | str | None = None
    learning_rate_multiplier: float | str | None = None
    beta: float | str | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def hyperparameters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("n_epochs", "batch_size", "learning_rate_multiplier"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.method == "dpo" and self.beta is not None:
            out["beta"] = self.beta
        return out

    def method_body(self) -> dict[str, Any]:
        hp = self.hyperparameters()
        return {"type": self.method, self.method: {"hyperparameters": hp} if hp else {}}


@dataclass
class Endpoint:
    """Where jobs go. ``api_key`` is never part of ``repr`` or of ``identity``."""

    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    max_retries: int = 4

    @property
    def kind(self) -> str:
        if self.azure_endpoint:
            return "azure"
        url = (self.base_url or "").lower()
        if not url or "api.openai.com" in url:
            return "openai"
        if ".openai.azure.com" in url or "/openai/v1" in url:
            return "azure"
        return "compatible"

    @property
    def display(self) -> str:
        if self.azure_endpoint:
            return f"{self.azure_endpoint} (api-version {self.api_version})"
        return self.base_url or "https://api.openai.com/v1"

    def identity(self) -> str:
        base = self.azure_endpoint or self.base_url or "https://api.openai.com/v1"
        return base.rstrip("/") + (f"?api-version={self.api_version}" if self.api_version else "")

    def resolve_key(self, env: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if env is None else env
        if self.api_key:
            return self.api_key
        if self.kind == "azure":
            return env.get("AZURE_OPENAI_API_KEY") or env.get("OPENAI_API_KEY")
        return env.get("OPENAI_API_KEY")


def make_client(endpoint: Endpoint, env: Mapping[str, str] | None = None) -> Any:
    """An SDK client with its own retries off (``Submitter.call`` retries, visibly)."""
    import openai

    key = endpoint.resolve_key(env)
    if not key:
        var = "AZURE_OPENAI_API_KEY" if endpoint.kind == "azure" else "OPENAI_API_KEY"
        raise SubmitError(f"no API key: set {var} (or the editor setting tunelint.jobs.apiKey)",
                          EXIT_USAGE)
    remember_secret(key)
    if endpoint.azure_endpoint:
        if not endpoint.api_version:
            raise SubmitError("--azure-endpoint needs --api-version (e.g. 2025-04-01-preview)",
                              EXIT_USAGE)
        return openai.AzureOpenAI(api_key=key, azure_endpoint=endpoint.azure_endpoint,
                                  api_version=endpoint.api_version, max_retries=0,
                                  timeout=endpoint.timeout)
    return openai.OpenAI(api_key=key, base_url=endpoint.base_url, max_retries=0,
                         timeout=endpoint.timeout)


@dataclass
class Dataset:
    name: str
    data: bytes
    path: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @classmethod
    def from_path(cls, path: str) -> Dataset:
        with open(path, "rb") as f:
            return cls(os.path.basename(path), f.read(), path)

    def text(self) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return self.data.decode("utf-8", "surrogateescape")


# -- step 1: lint, check, estimate -----------------------------------------------------------


@dataclass
class Estimate:
    model: str
    method: str
    examples: int
    tokens: int
    epochs: int
    epochs_source: str
    billable_tokens: int
    bytes: int
    validation_examples: int | None = None
    validation_tokens: int | None = None
    endpoint: str = ""

    def lines(self) -> list[str]:
        out = [
            f"model {self.model}, method {self.method}, endpoint {self.endpoint}",
            f"{self.examples:,} training examples, {self.tokens:,} tokens, "
            f"{self.bytes / 1_000_000:.2f} MB",
            f"epochs: {self.epochs} ({self.epochs_source})",
            f"billable tokens: about {self.billable_tokens:,} "
            f"({self.tokens:,} x {self.epochs} epochs, capped at the model's example limit)",
        ]
        if self.validation_examples is not None:
            out.append(f"validation: {self.validation_examples:,} examples, "
                       f"{self.validation_tokens or 0:,} tokens (not billed)")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Plan:
    train: Dataset
    validation: Dataset | None
    params: JobParams
    endpoint: Endpoint
    estimate: Estimate
    warnings: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        blob = json.dumps({
            "endpoint": self.endpoint.identity(),
            "model": self.params.model,
            "method": self.params.method_body(),
            "suffix": self.params.suffix,
            "seed": self.params.seed,
            "train": self.train.sha256,
            "validation": self.validation.sha256 if self.validation else None,
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _place(name: str, d: Any) -> str:
    return f"{name}:{d.line + 1}:{d.column + 1}: {d.code} {d.message}"


def lint_datasets(train: Dataset, validation: Dataset | None, settings: Any
                  ) -> tuple[list[str], int, Any, Any, list[tuple[int, int]]]:
    """(first errors with places, error count, train summary, validation summary, overlap)."""
    from tunelint.engine import Analyzer, Document
    from tunelint.problems import Severity

    doc = Document(Analyzer(settings, train.path), train.text(), path=train.name,
                   file_size=len(train.data))
    vdoc = None
    if validation is not None:
        vdoc = Document(Analyzer(settings, validation.path), validation.text(),
                        path=validation.name, file_size=len(validation.data))
        doc.counterpart = vdoc
    errors: list[str] = []
    count = 0
    diags = doc.diagnostics()
    for d in diags:
        if d.severity == Severity.ERROR:
            count += 1
            errors.append(_place(train.name, d))
    summary = doc.summary(with_tokens=True, diagnostics=diags)
    vsummary = None
    overlap: list[tuple[int, int]] = []
    if vdoc is not None and validation is not None:
        vdiags = vdoc.diagnostics()
        for d in vdiags:
            if d.severity == Severity.ERROR:
                count += 1
                errors.append(_place(validation.name, d))
        vsummary = vdoc.summary(with_tokens=True, diagnostics=vdiags)
        overlap = list(doc.counterpart_overlap())
    return errors, count, summary, vsummary, overlap


def check_params(params: JobParams, endpoint: Endpoint, dataset_format: str | None = None,
                 today: dt.date | None = None) -> tuple[list[str], list[str]]:
    """(hard errors: the API would refuse; warnings). Makes no request."""
    from tunelint.models import get_model, openai_self_serve_end

    today = today or dt.date.today()
    hard: list[str] = []
    warn: list[str] = []
    info = get_model(params.model)
    if info is None:
        msg = (f"model {params.model!r} is not in tunelint's model registry "
               "(use a dated snapshot such as gpt-4o-mini-2024-07-18)")
        if endpoint.kind == "compatible":
            warn.append(msg + "; sent as given to this OpenAI-compatible endpoint")
        else:
            hard.append(msg)
    else:
        if info.shutdown is not None and today >= info.shutdown:
            hard.append(f"model {params.model} is no longer open for fine-tuning "
                        f"(closed {info.shutdown.isoformat()})")
        elif info.shutdown is not None and (info.shutdown - today).days <= 60:
            warn.append(f"model {params.model} closes for fine-tuning on "
                        f"{info.shutdown.isoformat()}")
        supported = set(info.methods)
        if "completion" in supported:
            supported.add("supervised")
        if params.method in METHODS and params.method not in supported:
            methods = ", ".join(sorted(m for m in supported if m in METHODS)) or "none"
            hard.append(f"model {params.model} does not support method {params.method} "
                        f"(it supports: {methods})")
    if endpoint.kind == "openai":
        end = openai_self_serve_end()
        if today >= end:
            hard.append(f"OpenAI closed self-serve fine-tuning on {end.isoformat()}")
        elif (end - today).days <= 60:
            warn.append(f"OpenAI's self-serve fine-tuning ends on {end.isoformat()} "
                        f"({(end - today).days} days): a job must be created before then")
    if params.method not in METHODS:
        hard.append(f"method must be one of {', '.join(METHODS)}, not {params.method!r}")
    if dataset_format:
        wanted = {"supervised": ("chat", "completion"), "dpo": ("preference",)}
        if params.method in wanted and dataset_format not in wanted[params.method]:
            hard.append(f"the training file is in {dataset_format} format, which method "
                        f"{params.method} does not take ({' or '.join(wanted[params.method])})")
    if params.suffix is not None:
        limit = 40 if endpoint.azure_endpoint else 64
        if not 1 <= len(params.suffix) <= limit:
            hard.append(f"suffix must be 1-{limit} characters (it has {len(params.suffix)})")
    _int_range(hard, "n_epochs", params.n_epochs, 1, 50)
    _int_range(hard, "batch_size", params.batch_size, 1, 256)
    lrm = params.learning_rate_multiplier
    if lrm is not None and lrm != "auto" and (
            not isinstance(lrm, (int, float)) or not math.isfinite(lrm) or lrm <= 0):
        hard.append(f"learning_rate_multiplier must be greater than 0 (got {lrm})")
    if params.beta is not None:
        if params.method != "dpo":
            hard.append("beta applies only to method dpo")
        elif params.beta != "auto" and (
                not isinstance(params.beta, (int, float)) or not 0 < params.beta <= 2):
            hard.append(f"beta must be in (0, 2] (got {params.beta})")
    if params.seed is not None and not (isinstance(params.seed, int)
                                        and 0 <= params.seed <= SEED_MAX):
        hard.append(f"seed must be between 0 and {SEED_MAX} (got {params.seed})")
    if len(params.metadata) > 16:
        hard.append("metadata holds at most 16 keys")
    for k, v in params.metadata.items():
        if len(k) > 64 or len(str(v)) > 512:
            hard.append(f"metadata {k!r}: keys up to 64 characters, values up to 512")
    return hard, warn


def _int_range(out: list[str], name: str, value: Any, lo: int, hi: int) -> None:
    if value is None or value == "auto":
        return
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        out.append(f"{name} must be 'auto' or a whole number from {lo} to {hi} (got {value})")


def prepare(train: Dataset, validation: Dataset | None, params: JobParams, settings: Any,
            endpoint: Endpoint, *, force: bool = False, today: dt.date | None = None,
            max_listed: int = 10) -> Plan:
    """Lint, check and estimate. Raises ``SubmitError`` when the job must not be sent."""
    epochs = params.n_epochs if isinstance(params.n_epochs, int) else "auto"
    settings = settings.with_overrides(model=params.model, n_epochs=epochs)
    errors, count, summary, vsummary, overlap = lint_datasets(train, validation, settings)
    hard, warnings = check_params(params, endpoint, summary.dataset_format, today)
    if validation is not None and validation.sha256 == train.sha256:
        hard.append("the validation file has the same content as the training file")
    if hard:
        raise SubmitError("the job's parameters are not valid; nothing was sent", EXIT_USAGE,
                          details=hard)
    refusals: list[str] = []
    if count:
        shown = errors[:max_listed]
        more = count - len(shown)
        refusals.append(f"{count} lint error{'s' if count != 1 else ''}:")
        refusals.extend("  " + e for e in shown)
        if more:
            refusals.append(f"  ... and {more} more (run `tunelint check` to see them all)")
    if overlap:
        pairs = ", ".join(f"train line {a + 1} = validation line {b + 1}" for a, b in overlap[:5])
        refusals.append(f"{len(overlap)} example(s) appear in both the training and the "
                        f"validation file ({pairs})")
    if refusals:
        if not force:
            raise SubmitError("refused: the dataset has problems; fix them or force the upload "
                              "(--force)", EXIT_REFUSED, details=refusals)
        warnings.extend(["forced despite: " + refusals[0], *refusals[1:]])
    t = summary.tokens or {}
    v = (vsummary.tokens or {}) if vsummary is not None else None
    estimate = Estimate(
        model=params.model,
        method=params.method,
        examples=summary.examples,
        tokens=int(t.get("total", 0)),
        epochs=int(t.get("epochs", 0)),
        epochs_source=str(t.get("epochs_source", "")),
        billable_tokens=int(t.get("billable", 0)),
        bytes=len(train.data),
        validation_examples=vsummary.examples if vsummary is not None else None,
        validation_tokens=int(v.get("total", 0)) if v is not None else None,
        endpoint=endpoint.display,
    )
    return Plan(train, validation, params, endpoint, estimate, warnings)


# -- steps 3 and 4: requests ------------------------------------------------------------------


class Reporter:
    """What a front end hears about. All texts are scrubbed before they get here."""

    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def progress(self, stage: str, message: str, percent: int | None = None) -> None:
        pass

    def status(self, job: Any) -> None:
        pass

    def event(self, event: Any) -> None:
        pass


@dataclass
class Result:
    job_id: str | None = None
    status: str | None = None
    file_id: str | None = None
    validation_file_id: str | None = None
    fine_tuned_model: str | None = None
    error: dict[str, Any] | None = None
    reused_files: list[str] = field(default_factory=list)
    existing_job: bool = False
    detached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "validation_file_id": self.validation_file_id,
                "job_id": self.job_id, "status": self.status,
                "fine_tuned_model": self.fine_tuned_model, "error": self.error,
                "reused_files": self.reused_files, "existing_job": self.existing_job}

    def update(self, job: Any) -> None:
        self.job_id = job.id
        self.status = job.status
        self.fine_tuned_model = getattr(job, "fine_tuned_model", None)
        err = getattr(job, "error", None)
        if err is not None and (getattr(err, "code", None) or getattr(err, "message", None)):
            self.error = {"code": err.code, "message": err.message,
                          "param": getattr(err, "param", None)}


def _body_details(e: Any) -> list[str]:
    """The field-level details of a 400/422: OpenAI's {message, param, code} or Prism's list."""
    body = getattr(e, "body", None)
    out: list[str] = []
    if isinstance(body, Mapping):
        validation = body.get("validation")
        if isinstance(validation, list):
            for item in validation:
                if isinstance(item, Mapping):
                    where = ".".join(str(p) for p in item.get("location", [])[1:])
                    text = str(item.get("message"))
                    last = where.rsplit(".", 1)[-1]
                    out.append(f"{where}: {text}" if where and last not in text else text)
        param = body.get("param")
        message = body.get("message") or body.get("detail")
        if message and not out:
            out.append(f"{param}: {message}" if param else str(message))
        code = body.get("code")
        if code and isinstance(code, str):
            out.append(f"code: {code}")
    return out


def _retry_after(e: Any) -> float | None:
    response = getattr(e, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            import email.utils

            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


def translate(e: BaseException, what: str, endpoint: Endpoint, attempts: int = 1) -> SubmitError:
    """A clear, scrubbed message for an SDK exception, saying what to do."""
    import openai

    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(e, openai.APITimeoutError):
        return SubmitError(f"{what}: the request timed out{tries} ({endpoint.display}); "
                           "try again later or raise the timeout")
    if isinstance(e, openai.APIConnectionError):
        return SubmitError(f"{what}: could not reach {endpoint.display}{tries} "
                           f"({e.__cause__ or e}); check the network and the base URL")
    if not isinstance(e, openai.APIStatusError):
        return SubmitError(f"{what}: {e}")
    status = e.status_code
    details = _body_details(e)
    body = e.body if isinstance(e.body, Mapping) else {}
    message = body.get("message") or body.get("title") or body.get("detail") or ""
    if status == 401:
        text = (f"{what}: the API key was rejected (401 {message}). Check OPENAI_API_KEY "
                "(AZURE_OPENAI_API_KEY for Azure) or the editor's apiKey setting")
    elif status == 403:
        text = (f"{what}: not allowed (403 {message}). The key's organisation or project may "
                "not (or no longer) be allowed to fine-tune this model; check its permissions")
    elif status == 404:
        text = (f"{what}: not found (404 {message}). Check the model name and that it can be "
                "fine-tuned on this endpoint, or the id")
    elif status in (400, 422):
        text = f"{what}: the request was refused ({status} {message or 'invalid request'})"
    elif status == 429:
        wait = _retry_after(e)
        if body.get("code") == "insufficient_quota":
            text = f"{what}: quota exceeded (429 {message}); check the plan and billing"
        else:
            text = (f"{what}: rate limited (429){tries}; "
                    + (f"the server asks to wait {wait:g} s; " if wait else "")
                    + "try again later")
    elif status >= 500:
        text = (f"{what}: the server failed ({status}){tries}; try again later "
                "(nothing is lost: uploads are reused on retry)")
    else:
        text = f"{what}: HTTP {status} {message}"
    return SubmitError(text.replace("( ", "(").replace(" )", ")"), EXIT_API, details=details,
                       status_code=status)


def _retryable(e: BaseException) -> bool:
    import openai

    if isinstance(e, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(e, openai.APIStatusError):
        body = e.body if isinstance(e.body, Mapping) else {}
        if e.status_code == 429:
            return body.get("code") != "insufficient_quota"
        return e.status_code in (408, 409) or e.status_code >= 500
    return False


class Submitter:
    def __init__(self, client: Any, endpoint: Endpoint, state: State | None = None,
                 reporter: Reporter | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 files_api_limit: int = FILES_API_LIMIT, part_size: int = UPLOAD_PART_SIZE
                 ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.state = state if state is not None else State()
        self.reporter = reporter or Reporter()
        self.sleep = sleep
        self.files_api_limit = files_api_limit
        self.part_size = part_size

    # -- one request, with bounded, visible retries ----------------------------------------

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        attempts = 0
        limit = 1 + max(0, self.endpoint.max_retries)
        while True:
            attempts += 1
            try:
                return fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - translated below
                import openai

                if not isinstance(e, openai.OpenAIError):
                    raise
                if not _retryable(e) or attempts >= limit:
                    raise translate(e, what, self.endpoint, attempts) from None
                wait = _retry_after(e)
                if wait is not None and wait > MAX_RETRY_AFTER:
                    raise translate(e, what, self.endpoint, attempts) from None
                if wait is None:
                    wait = min(0.5 * 2 ** (attempts - 1), 8.0)
                reason = (f"HTTP {e.status_code}" if isinstance(e, openai.APIStatusError)
                          else "connection problem")
                self.reporter.warn(f"{what}: {reason}; retrying in {wait:g} s "
                                   f"(attempt {attempts + 1} of {limit})")
                self.sleep(wait)

    # -- upload ------------------------------------------------------------------------------

    def upload(self, dataset: Dataset, result: Result | None = None) -> str:
        ident = self.endpoint.identity()
        known = self.state.file_for(ident, dataset.sha256)
        if known:
            file_id = str(known["file_id"])
            if self._still_there(file_id, len(dataset.data)):
                self.reporter.info(f"{dataset.name}: already uploaded as {file_id} "
                                   "(same content); reusing it")
                if result is not None:
                    result.reused_files.append(file_id)
                return file_id
            self.state.forget_file(ident, dataset.sha256)
        size = len(dataset.data)
        self.reporter.progress("upload", f"uploading {dataset.name} ({size:,} bytes)", 0)
        if size > self.files_api_limit:
            file_id = self._upload_in_parts(dataset)
        else:
            file_id = self.call(f"uploading {dataset.name}", self._create_file(dataset))
        self.state.record_file(ident, dataset.sha256, file_id, dataset.name, size)
        self.reporter.progress("upload", f"{dataset.name} uploaded as {file_id}", 100)
        return file_id

    def _create_file(self, dataset: Dataset) -> Callable[[], str]:
        """One files.create attempt, safe to repeat after a dropped connection.

        A request whose connection dropped may still have been stored. Before sending it again
        the attempt looks for the file it would have made (same name and size, created since
        the first try) and takes that one instead of uploading the data twice.
        """
        import openai

        started = time.time()
        dropped = False

        def attempt() -> str:
            nonlocal dropped
            if dropped:
                found = self._find_upload(dataset.name, len(dataset.data), started)
                if found is not None:
                    self.reporter.info(f"{dataset.name}: the dropped upload arrived as {found} "
                                       "(same name and size); using it, not uploading again")
                    return found
            try:
                f = self.client.files.create(
                    file=(dataset.name, dataset.data, "application/jsonl"), purpose="fine-tune")
            except openai.APIConnectionError:
                dropped = True
                raise
            return str(f.id)

        return attempt

    def _find_upload(self, name: str, size: int, since: float) -> str | None:
        import openai

        try:
            page = self.client.files.list(purpose="fine-tune", order="desc", limit=100)
        except openai.OpenAIError:
            return None  # cannot tell: upload again rather than guess
        # Files uploaded for other content we know of are not the dropped one.
        known = self.state.file_ids(self.endpoint.identity())
        for f in getattr(page, "data", None) or []:
            created = getattr(f, "created_at", None) or 0
            if (getattr(f, "filename", None) == name and getattr(f, "bytes", None) == size
                    and created >= since - CLOCK_SKEW_S and str(f.id) not in known
                    and getattr(f, "status", None) not in ("error", "deleted")):
                return str(f.id)
        return None

    def _still_there(self, file_id: str, size: int) -> bool:
        import openai

        try:
            f = self.client.files.retrieve(file_id)
        except openai.NotFoundError:
            return False
        except openai.OpenAIError:
            return False
        status = getattr(f, "status", None)
        return status not in ("error", "deleted") and getattr(f, "purpose", "fine-tune") in (
            "fine-tune", None)

    def _upload_in_parts(self, dataset: Dataset) -> str:
        size = len(dataset.data)
        what = f"uploading {dataset.name} in parts"
        up = self.call(what, self.client.uploads.create, bytes=size, filename=dataset.name,
                       mime_type=JSONL_MIME, purpose="fine-tune")
        part_ids: list[str] = []
        n_parts = max(1, math.ceil(size / self.part_size))
        for i in range(n_parts):
            chunk = dataset.data[i * self.part_size:(i + 1) * self.part_size]
            part = self.call(f"{what} (part {i + 1}/{n_parts})", self.client.uploads.parts.create,
                             up.id, data=chunk)
            part_ids.append(part.id)
            self.reporter.progress("upload", f"{dataset.name}: part {i + 1} of {n_parts}",
                                   int(100 * (i + 1) / n_parts))
        done = self.call(f"{what} (completing)", self.client.uploads.complete, up.id,
                         part_ids=part_ids)
        file_obj = getattr(done, "file", None)
        if file_obj is None or not getattr(file_obj, "id", None):
            raise SubmitError(f"{what}: upload {up.id} completed without a file (status "
                              f"{getattr(done, 'status', '?')})")
        return str(file_obj.id)

    # -- create ------------------------------------------------------------------------------

    def find_running(self, plan: Plan) -> Any:
        known = self.state.job_for(plan.fingerprint())
        if not known:
            return None
        import openai

        try:
            job = self.client.fine_tuning.jobs.retrieve(known["job_id"])
        except openai.OpenAIError:
            return None
        return None if job.status in FINAL_STATUSES else job

    def submit(self, plan: Plan, *, new_job: bool = False) -> Result:
        result = Result()
        if not new_job:
            job = self.find_running(plan)
            if job is not None:
                result.update(job)
                result.existing_job = True
                result.file_id = getattr(job, "training_file", None)
                result.validation_file_id = getattr(job, "validation_file", None)
                self.reporter.info(f"an identical job is already {job.status}: {job.id}; "
                                   "not starting a second one")
                return result
        result.file_id = self.upload(plan.train, result)
        if plan.validation is not None:
            try:
                result.validation_file_id = self.upload(plan.validation, result)
            except SubmitError as e:
                e.details.append(f"the training file was uploaded as {result.file_id}; "
                                 "a retry reuses it")
                raise
        self.reporter.progress("create", "creating the fine-tuning job")
        p = plan.params
        kwargs: dict[str, Any] = {
            "model": p.model, "training_file": result.file_id, "method": p.method_body(),
        }
        if result.validation_file_id:
            kwargs["validation_file"] = result.validation_file_id
        if p.suffix is not None:
            kwargs["suffix"] = p.suffix
        if p.seed is not None:
            kwargs["seed"] = p.seed
        metadata = {"tunelint": plan.fingerprint(), **p.metadata}
        if self.endpoint.kind != "azure":
            kwargs["metadata"] = metadata
        # One idempotency key for all attempts, so a retried create cannot start two jobs.
        kwargs["extra_headers"] = {"Idempotency-Key": f"tunelint-{uuid.uuid4()}"}
        try:
            job = self.call("creating the job", self.client.fine_tuning.jobs.create, **kwargs)
        except SubmitError as e:
            ids = [f"training file {result.file_id}"]
            if result.validation_file_id:
                ids.append(f"validation file {result.validation_file_id}")
            e.details.append(f"uploaded and kept: {', '.join(ids)} (a retry reuses them; "
                             "delete with the Files API if not needed)")
            raise
        result.update(job)
        self.state.record_job(plan.fingerprint(), job.id, model=p.model,
                              training_file=result.file_id,
                              validation_file=result.validation_file_id)
        self.reporter.info(f"job {job.id} created")
        self.reporter.status(job)
        return result

    # -- follow ------------------------------------------------------------------------------

    def follow(self, job_id: str, *, stop: Callable[[], bool] = lambda: False,
               poll_interval: float = 10.0, result: Result | None = None) -> Result:
        result = result or Result(job_id=job_id)
        seen: set[str] = set()
        last_status = result.status if result.job_id == job_id else None
        while True:
            job = self.call("reading the job", self.client.fine_tuning.jobs.retrieve, job_id)
            result.update(job)
            if job.status != last_status:
                last_status = job.status
                self.reporter.status(job)
            page = self.call("reading the job's events",
                             self.client.fine_tuning.jobs.list_events, job_id, limit=50)
            fresh = [ev for ev in reversed(list(page.data)) if ev.id not in seen]
            for ev in fresh:
                seen.add(ev.id)
                self.reporter.event(ev)
            if job.status in FINAL_STATUSES:
                return result
            if stop():
                result.detached = True
                return result
            self.sleep(poll_interval)


def describe_job(job: Any) -> str:
    parts = [f"{job.id}: {job.status}", f"model {job.model}"]
    if getattr(job, "fine_tuned_model", None):
        parts.append(f"fine-tuned model {job.fine_tuned_model}")
    trained = getattr(job, "trained_tokens", None)
    if trained:
        parts.append(f"{trained:,} trained tokens")
    err = getattr(job, "error", None)
    if err is not None and (getattr(err, "code", None) or getattr(err, "message", None)):
        parts.append(f"error {err.code}: {err.message}"
                     + (f" (param {err.param})" if getattr(err, "param", None) else ""))
    return scrub(", ".join(parts))


def describe_event(ev: Any) -> str:
    when = ""
    created = getattr(ev, "created_at", None)
    if isinstance(created, (int, float)):
        when = dt.datetime.fromtimestamp(created, dt.UTC).strftime("%Y-%m-%d %H:%M:%S ")
    level = getattr(ev, "level", "info")
    return scrub(f"{when}[{level}] {ev.message}")
