"""The tunelint language server (pygls 2).

Handlers are thin: each maps an LSP request or notification onto the engine (through
``documents``, ``features`` and ``settings``). Document sync is handled here rather than by pygls's
workspace, so that a change costs in proportion to the lines it touches.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import inspect
import io
import logging
import sys
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from tunelint import __version__
from tunelint import formats as fm
from tunelint.config import ConfigError, Settings
from tunelint.engine import OBJECT, Document, LineResult, decode_line
from tunelint.lsp import features, stream
from tunelint.lsp.documents import OpenDocument, TextPieces, build_document, uri_to_path
from tunelint.lsp.positions import normalize_encoding
from tunelint.lsp.settings import (
    ProjectConfigs,
    RedactSecrets,
    ServerOptions,
    effective_settings,
    redact,
    unwrap,
)
from tunelint.lsp.workers import TokenWorker, WorkerError
from tunelint.memory import map_large_blocks, release_free_memory
from tunelint.models import encoding_for
from tunelint.tokens import TokenCounter, TokensDeferred, compiled_counter

log = logging.getLogger("tunelint.lsp")

T = TypeVar("T")

PROGRESS_MIN_CHARS = 1_000_000  # files at least this big get work-done progress when opened
CHUNKED_MIN_CHARS = 8_000_000  # bigger files are built in chunks, publishing early results
FIRST_CHUNK_CHARS = 2_000_000
CHUNK_CHARS = 4_000_000
# Token statistics are refreshed this long after the last lint; a refresh walks every line
# (tens of ms at 100k lines), so big files wait for a longer pause in typing.
STATS_DELAY_S = 1.0
STATS_DELAY_BIG_S = 5.0
STATS_BIG_LINES = 20_000
# Examples per request to the token worker: bounds the memory of handing a big file over, and
# how long a hover waits behind the whole-file count (one request at a time).
TOKEN_BATCH = 2_000
# Strings the server's compiled counter remembers (system prompts; see compiled_counter), and
# the examples it counts at a time.
COMPILED_CACHE_STRINGS = 1_000
COMPILED_BATCH = 500
CONFIG_NAMES = ("pyproject.toml", "tunelint.toml")
SHOW_REPORT = "tunelint.showReport"


class TunelintProtocol(LanguageServerProtocol):
    """pygls's protocol without its TextDocument bookkeeping for didOpen/didChange/didClose."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The texts of big didOpen messages, read as pieces by stream.read_message, by URI.
        self.open_texts: dict[str, TextPieces] = {}

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class TunelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("tunelint", __version__, protocol_cls=TunelintProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.docs: dict[str, OpenDocument] = {}
        self.init_settings: dict[str, Any] = {}
        self.editor_settings: dict[str, Any] = {}
        self.options = ServerOptions()
        self.configs = ProjectConfigs()
        self.settings_ready = asyncio.Event()
        # Heavy work (building documents, token statistics, symbols) runs here, not in pygls's
        # pool, whose threads also read stdin.
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="tunelint")
        self._log_handler: logging.Handler | None = None
        self._reported_config_errors: set[str] = set()
        # Token counts: in this process by the compiled counter where the encoding has one
        # (about 10 MB); what it declines, and other encodings, by this child process, so
        # tiktoken (50-75 MB) stays out of the server (see workers.py).
        self.token_worker = TokenWorker()
        self._compiled_counters: dict[str, TokenCounter] = {}

    # -- the interface jobs.py uses -----------------------------------------------------------

    async def document_bytes(self, uri: str) -> bytes:
        """The UTF-8 text of an open document once built, or the file's bytes."""
        od = await self.ready_doc(uri)
        if od is not None and od.doc is not None:
            return od.doc.utf8()
        path = uri_to_path(uri)
        if path is None:
            raise FileNotFoundError(uri)
        return path.read_bytes()

    def document_settings(self, uri: str) -> Settings:
        od = self.docs.get(uri)
        if od is not None:
            return od.settings
        return self.resolve_settings(uri_to_path(uri))

    def client_settings(self, uri: str) -> dict[str, Any]:
        return dict(self.raw_settings)

    # -- settings -----------------------------------------------------------------------------

    @property
    def raw_settings(self) -> dict[str, Any]:
        return {**self.init_settings, **self.editor_settings}

    @property
    def encoding(self) -> str:
        try:
            return normalize_encoding(self.server_capabilities.position_encoding)
        except AttributeError:
            return "utf-16"

    def resolve_settings(self, path: Path | None, previous: Settings | None = None) -> Settings:
        raw = self.raw_settings
        try:
            project = self.configs.project_settings(path)
            return effective_settings(raw, project, path, self.options.preference)
        except (ConfigError, ValueError, OSError) as e:
            self._config_error(str(e))
            if previous is not None:
                return previous
            try:
                return effective_settings({}, None, path, "editorOnly")
            except ConfigError:
                return Settings()

    def _config_error(self, message: str) -> None:
        log.warning("configuration error: %s", message)
        if message in self._reported_config_errors:
            return
        self._reported_config_errors.add(message)
        # A user mistake, not an internal error: say it once, visibly.
        self.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Warning, message=f"tunelint: {message}"))

    def update_options(self) -> None:
        self.options = ServerOptions.from_raw(self.raw_settings)
        configure_logging(self.options.log_level, self.options.log_file, self)
        log.info("settings: %s", redact(self.raw_settings))

    async def fetch_configuration(self) -> None:
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return
        try:
            result = await asyncio.wait_for(self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="tunelint")])),
                timeout=5)
        except Exception as e:  # noqa: BLE001 - a client that cannot answer keeps the defaults
            log.warning("workspace/configuration failed: %s", e)
            return
        if result and isinstance(result[0], dict):
            self.editor_settings = unwrap(result[0])

    async def reload_settings(self) -> None:
        """Re-resolve every open document's settings; rebuild those whose settings changed."""
        self.update_options()
        self._reported_config_errors.clear()
        for od in list(self.docs.values()):
            new = self.resolve_settings(od.path, od.settings)
            log.debug("settings for %s %s", od.uri, "changed" if new != od.settings else "kept")
            if od.doc is None:
                od.settings = new  # the running build notices and starts again
            elif new != od.settings:
                od.settings = new
                od.token_stats = None
                self.start_build(od, rebuild_source(od.doc))
            else:
                self.schedule_lint(od, 0)
        self.refresh_views()

    def refresh_views(self) -> None:
        ws = self.client_capabilities.workspace
        if ws is None:
            return
        if ws.code_lens and ws.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)
        if ws.inlay_hint and ws.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)
        if ws.diagnostics and ws.diagnostics.refresh_support and self.pull_enabled:
            self.workspace_diagnostic_refresh(None)

    @property
    def pull_enabled(self) -> bool:
        td = self.client_capabilities.text_document
        return bool(td and td.diagnostic) and self.options.pull_diagnostics

    # -- documents ----------------------------------------------------------------------------

    def start_build(self, od: OpenDocument, text: str | TextPieces) -> None:
        """(Re)build the engine document off the loop; changes meanwhile are queued."""
        od.doc = None
        od.text = text
        od.pending = []
        od.building = asyncio.ensure_future(self._build(od, text))

    async def _build(self, od: OpenDocument, text: str | TextPieces) -> None:
        size = text.size if isinstance(text, TextPieces) else len(text)
        progress = await self._progress_begin(
            f"Linting {od.path.name if od.path else od.uri}", size >= PROGRESS_MIN_CHARS)
        try:
            if not self.settings_ready.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.settings_ready.wait(), timeout=5)
                od.settings = self.resolve_settings(od.path, od.settings)
            settings = od.settings
            if isinstance(text, str) and len(text) >= CHUNKED_MIN_CHARS:
                # A str with one emoji in it takes 4 bytes a character: a big text is kept as
                # UTF-8 pieces while it is built (40 MB instead of up to 160 MB for a 40 MB file).
                pieces = await self.run_off_loop(TextPieces.from_text, text, FIRST_CHUNK_CHARS,
                                                 CHUNK_CHARS)
                if od.closed or od.text is not text:
                    return
                od.text = text = pieces
            if isinstance(text, TextPieces):
                doc = await self._build_chunked(od, settings, text, progress)
            else:
                doc = await self.run_off_loop(build_document, settings, text, od.path)
            if doc is None or od.closed or od.text is not text:
                return  # closed or rebuilt meanwhile
            od.doc = doc
            od.text = None
            od.diag_version = -1  # diagnostics of the previous build are stale
            od.conversions = {}
            for version, changes in od.pending:
                od.apply_changes(changes, self.encoding)
                od.version = version
            od.pending = []
            if od.settings is not settings:
                # The settings changed while building: build again from the newest text.
                self.start_build(od, rebuild_source(doc))
                return
            self._publish(od)
            self.schedule_stats(od, 0)
            if doc.line_count >= STATS_BIG_LINES:
                doc.analyzer.forget()
            self.release_memory()
        finally:
            self._progress_end(progress)

    async def _build_chunked(self, od: OpenDocument, settings: Settings, pieces: TextPieces,
                             progress: str | None) -> Document | None:
        """Build a big document a piece of lines at a time (each piece off the loop, and freed
        once built).

        After the first piece the line-level diagnostics found so far are published (dataset
        checks such as duplicates wait for the whole file), so a big file shows its first
        problems at once while the progress bar reports the rest.
        """
        doc = await self.run_off_loop(build_document, settings, "", od.path)
        done = 0
        while len(pieces):
            if od.closed or od.text is not pieces:
                return None
            if done == 1:
                # Line-level findings of the lines built so far (the first piece is small).
                self._publish_partial(od, doc)
                # The statistics after the build need a tokenizer: it is loaded now, while
                # this process is small, not when the document is at its largest.
                asyncio.ensure_future(self._warm_token_worker(od, settings))
            piece = pieces.take()
            done += 1
            await self.run_off_loop(doc.append_raw, piece)
            del piece
            self.release_memory()  # what the piece's analysis freed, before the next one
            if progress is not None:
                self.work_done_progress.report(progress, types.WorkDoneProgressReport(
                    message=f"{doc.line_count:,} lines",
                    percentage=int(100 * done / (done + len(pieces)))))
        return doc

    async def _warm_token_worker(self, od: OpenDocument, settings: Settings) -> None:
        if self.compiled_counter(od) is not None:
            return  # loaded: counts here, no worker needed
        try:
            await self.token_worker.warm(settings, str(od.path) if od.path else None)
        except WorkerError as e:
            log.debug("%s (statistics will count in process)", e)

    def compiled_counter(self, od: OpenDocument) -> TokenCounter | None:
        """A counter of the document's encoding that never loads tiktoken, or None where the
        encoding has no compiled counter."""
        name = encoding_for(od.settings.model)
        counter = self._compiled_counters.get(name)
        if counter is None and compiled_counter(name) is not None:
            # A small cache: counting again is cheap here, and the strings a cache keeps
            # alive pin the heap pages they sit in long after the batch that parsed them.
            counter = self._compiled_counters[name] = TokenCounter(
                name, cache_size=COMPILED_CACHE_STRINGS, compiled_only=True)
        return counter

    def _publish_partial(self, od: OpenDocument, doc: Document) -> None:
        dataset_codes = {a.rule.code for a in doc.analyzer.rules.dataset}
        partial = [d for d in doc.diagnostics() if d.code not in dataset_codes]
        saved = od.doc
        od.doc = doc  # for position conversion only; the loop does not edit it meanwhile
        try:
            items = features.lsp_diagnostics(od, partial, self.encoding)
        finally:
            od.doc = saved
        self.send_diagnostics(od.uri, od.version, items)

    def release_memory(self) -> None:
        """After big work (a build, whole-file statistics, a close): give the freed heap back to
        the system, off the loop (see memory.py)."""
        asyncio.get_running_loop().run_in_executor(self.executor, release_free_memory)

    async def run_off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    def schedule_lint(self, od: OpenDocument, delay: float) -> None:
        if od.lint_task is not None:
            od.lint_task.cancel()
        od.lint_task = asyncio.ensure_future(self._lint_later(od, delay))

    async def _lint_later(self, od: OpenDocument, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        if od.closed or od.doc is None:
            return  # the build publishes when it finishes
        self._publish(od)
        big = od.doc.line_count >= STATS_BIG_LINES
        self.schedule_stats(od, STATS_DELAY_BIG_S if big else STATS_DELAY_S)

    def _diagnose(self, od: OpenDocument) -> None:
        """Diagnostics of the document's current version (lints the newest text only)."""
        assert od.doc is not None
        od.diagnostics = od.doc.diagnostics()
        # Related information is sent to every client: those without support ignore it.
        od.lsp_diagnostics = features.lsp_diagnostics(od, od.diagnostics, self.encoding)
        od.diag_version = od.version
        od.result_id = f"{od.version}-{uuid.uuid4().hex[:8]}"

    def _publish(self, od: OpenDocument) -> None:
        started = time.perf_counter()
        if od.diag_version != od.version or od.diagnostics is None:
            self._diagnose(od)
        self.send_diagnostics(od.uri, od.version, od.lsp_diagnostics)
        # Read by benchmarks/lsp_bench.py: the server's own share of an edit's latency.
        log.debug("timing: published %d diagnostics in %.3f ms", len(od.lsp_diagnostics),
                  (time.perf_counter() - started) * 1000)

    def send_diagnostics(self, uri: str, version: int | None, items: list[bytes]) -> None:
        """publishDiagnostics from pre-serialised items (skips cattrs and re-serialising the
        diagnostics an edit did not change)."""
        writer = self.protocol.writer
        if writer is None:
            log.error("cannot publish diagnostics: no transport")
            return
        params: dict[str, Any] = {"uri": uri}
        if version is not None:
            params["version"] = version
        head = orjson.dumps(params)[:-1]
        body = (b'{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":'
                + head + b',"diagnostics":[' + b",".join(items) + b"]}}")
        result = writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        if inspect.isawaitable(result):
            asyncio.ensure_future(result)

    def schedule_stats(self, od: OpenDocument, delay: float) -> None:
        if od.stats_task is not None and not od.stats_task.done():
            od.stats_task.cancel()
        od.stats_task = asyncio.ensure_future(self._stats_later(od, delay))

    async def _stats_later(self, od: OpenDocument, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        if od.closed or od.doc is None or od.stats_version == od.version:
            return
        version, doc = od.version, od.doc
        big = doc.byte_size >= PROGRESS_MIN_CHARS and od.token_stats is None
        progress = await self._progress_begin("Counting tokens", big)
        try:
            from tunelint.stats import token_stats

            # Only the examples not counted yet (after the first time: the edited ones) are
            # counted, from (result, text) pairs taken a batch at a time; the statistics
            # themselves come from the document's index of totals.
            entries = doc.entries_to_count()
            for i in range(0, len(entries), TOKEN_BATCH):
                pairs = [(e.result, e.stored) for e in entries[i:i + TOKEN_BATCH]
                         if e.result.tokens is None]
                await self.count_tokens(od, doc, pairs)
                if od.closed or od.doc is not doc:
                    return
            del entries
        finally:
            self._progress_end(progress)
        if od.closed or od.doc is not doc:
            return
        # Examples edited since they were handed to the worker wait for the next refresh.
        stats = token_stats(doc, count_missing=False)
        od.token_stats = stats
        od.stats_version = version
        self.refresh_views()
        if big:
            self.release_memory()

    async def count_tokens(self, od: OpenDocument, doc: Document,
                           pairs: Sequence[tuple[LineResult, str | bytes]]) -> None:
        """Exact tokens of these examples, kept with their (content-cached) results: counted
        here by the compiled counter if there is one, else (and what it declines) by the token
        worker, so tiktoken stays out of the server; in process if the worker cannot run."""
        from tunelint.stats import count_tokens

        compiled = self.compiled_counter(od)
        if compiled is not None:
            # Small batches: each is parsed whole in this process.
            for i in range(0, len(pairs), COMPILED_BATCH):
                batch = [(r, decode_line(t)) for r, t in pairs[i:i + COMPILED_BATCH]]
                await self.run_off_loop(count_tokens, compiled, batch)
                del batch
            pairs = [(r, t) for r, t in pairs if r.tokens is None and r.format is not None]
            if not pairs:
                return
        path = str(od.path) if od.path else None
        try:
            counts = await self.token_worker.count(
                od.settings, path, [(text, r.format or "") for r, text in pairs])
        except WorkerError as e:
            log.warning("%s; counting in process", e)
            await self.run_off_loop(count_tokens, doc.analyzer.run.counter,
                                    [(r, decode_line(t)) for r, t in pairs])
            return
        for (r, _), n in zip(pairs, counts):
            if n is not None and r.tokens is None:
                r.tokens = n

    async def token_parts(self, od: OpenDocument, doc: Document, text: str, fmt: str
                          ) -> list[tuple[str, int]]:
        """Tokens per part of one example (for a hover): here by the compiled counter if
        there is one, else by the token worker if it can."""
        compiled = self.compiled_counter(od)
        if compiled is not None:
            try:
                return fm.example_token_parts(compiled, orjson.loads(text), fmt)
            except TokensDeferred:
                pass  # a string it declines: the worker counts
        path = str(od.path) if od.path else None
        try:
            return await self.token_worker.parts(od.settings, path, text, fmt)
        except WorkerError as e:
            log.warning("%s; counting in process", e)
            return fm.example_token_parts(doc.run.counter, orjson.loads(text), fmt)

    async def _progress_begin(self, title: str, wanted: bool) -> str | None:
        win = self.client_capabilities.window
        if not wanted or win is None or not win.work_done_progress:
            return None
        token = f"tunelint-{uuid.uuid4().hex}"
        try:
            # Only asked for big files, whose work takes seconds: a slow answer costs little.
            await asyncio.wait_for(self.work_done_progress.create_async(token), timeout=10)
        except Exception as e:  # noqa: BLE001 - progress is optional
            log.debug("progress not created: %s", e)
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title, cancellable=False))
        return token

    def _progress_end(self, token: str | None) -> None:
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))

    async def ready_doc(self, uri: str) -> OpenDocument | None:
        """The open document once built (waits for an in-progress build)."""
        od = self.docs.get(uri)
        if od is None:
            return None
        while od.doc is None and od.building is not None and not od.closed:
            await asyncio.shield(od.building)
        return od if od.doc is not None else None

    # -- errors -------------------------------------------------------------------------------

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log internal errors; never a popup, never a stop."""
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error,
                  exc_info=error)


def rebuild_source(doc: Document) -> str | TextPieces:
    """What to build a document again from (after a settings change): a big one as pieces of
    its stored lines, not as one str."""
    if doc.byte_size >= CHUNKED_MIN_CHARS:
        return TextPieces(doc.utf8_pieces(FIRST_CHUNK_CHARS, CHUNK_CHARS))
    return doc.text


def configure_logging(level: str | None, log_file: str | None,
                      server: TunelintServer | None = None) -> None:
    root = logging.getLogger("tunelint")
    if level:
        root.setLevel(getattr(logging, level.upper(), logging.INFO))
    if server is None or log_file is None:
        return
    if server._log_handler is not None:
        if getattr(server._log_handler, "baseFilename", None) == str(Path(log_file).resolve()):
            return
        root.removeHandler(server._log_handler)
        server._log_handler.close()
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as e:
        log.warning("cannot open log file %s: %s", log_file, e)
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    server._log_handler = handler


def create_server() -> TunelintServer:
    server = TunelintServer()
    register_features(server)
    try:
        jobs = importlib.import_module("tunelint.lsp.jobs")
    except ImportError as e:
        if not (e.name and e.name.startswith("tunelint.lsp.jobs")):
            raise
        log.info("job submission is not available (tunelint.lsp.jobs missing)")
    else:
        jobs.register(server)
    return server


def jobs_available(ls: TunelintServer) -> bool:
    return "tunelint.startFineTune" in ls.protocol.fm.commands


def register_features(server: TunelintServer) -> None:  # noqa: C901 - a list of handlers
    @server.feature(types.INITIALIZE)
    def initialize(ls: TunelintServer, params: types.InitializeParams) -> None:
        opts = params.initialization_options
        if isinstance(opts, dict):
            ls.init_settings = unwrap(opts.get("settings", opts))
        ls.update_options()
        td = params.capabilities.text_document
        if td is not None and td.diagnostic is not None and ls.options.pull_diagnostics:
            ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
                identifier="tunelint", inter_file_dependencies=False,
                workspace_diagnostics=False))(pull_diagnostics)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TunelintServer, params: types.InitializedParams) -> None:
        try:
            await ls.fetch_configuration()
            ls.update_options()
        finally:
            ls.settings_ready.set()
        ws = ls.client_capabilities.workspace
        if ws and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(
                        id="tunelint-config-watch",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=watchers),
                    )]))
            except Exception as e:  # noqa: BLE001
                log.warning("could not watch config files: %s", e)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TunelintServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        protocol = ls.protocol  # taken first: nothing below may leave a big text behind
        pieces = (protocol.open_texts.pop(item.uri, None)
                  if isinstance(protocol, TunelintProtocol) else None)
        path = uri_to_path(item.uri)
        od = OpenDocument(uri=item.uri, version=item.version, path=path,
                          settings=ls.resolve_settings(path))
        old = ls.docs.get(item.uri)
        if old is not None:
            old.closed = True
        ls.docs[item.uri] = od
        ls.start_build(od, item.text if pieces is None else pieces)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TunelintServer, params: types.DidChangeTextDocumentParams) -> None:
        od = ls.docs.get(params.text_document.uri)
        if od is None:
            log.warning("change to a document that is not open: %s", params.text_document.uri)
            return
        changes = list(params.content_changes)
        if od.doc is None:
            od.pending.append((params.text_document.version, changes))
            return
        started = time.perf_counter()
        od.apply_changes(changes, ls.encoding)
        od.version = params.text_document.version
        ls.schedule_lint(od, ls.options.debounce_ms / 1000)
        log.debug("timing: change applied in %.3f ms", (time.perf_counter() - started) * 1000)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: TunelintServer, params: Any = None) -> None:
        await ls.token_worker.aclose()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TunelintServer, params: types.DidCloseTextDocumentParams) -> None:
        od = ls.docs.pop(params.text_document.uri, None)
        if od is not None:
            od.closed = True
            for task in (od.lint_task, od.stats_task):
                if task is not None:
                    task.cancel()
            ls.release_memory()
        ls.send_diagnostics(params.text_document.uri, None, [])

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TunelintServer, params: types.DidSaveTextDocumentParams) -> None:
        if Path(params.text_document.uri).name in CONFIG_NAMES:
            ls.configs.clear()
            asyncio.ensure_future(ls.reload_settings())

    async def pull_diagnostics(ls: TunelintServer, params: types.DocumentDiagnosticParams
                               ) -> types.DocumentDiagnosticReport:
        od = await ls.ready_doc(params.text_document.uri)
        if od is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if od.diag_version != od.version:
            ls._diagnose(od)
        if params.previous_result_id and params.previous_result_id == od.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=od.result_id)
        converter = ls.protocol._converter
        items = [converter.structure(orjson.loads(d), types.Diagnostic)
                 for d in od.lsp_diagnostics]
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=od.result_id)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: TunelintServer,
                                       params: types.DidChangeConfigurationParams) -> None:
        pushed = unwrap(params.settings)
        if pushed:
            ls.editor_settings = pushed
        else:
            await ls.fetch_configuration()
        await ls.reload_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: TunelintServer,
                                       params: types.DidChangeWatchedFilesParams) -> None:
        if any(c.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for c in params.changes):
            ls.configs.clear()
            await ls.reload_settings()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll,
                           features.FIX_ALL_KIND]))
    async def code_action(ls: TunelintServer, params: types.CodeActionParams
                          ) -> list[types.CodeAction] | None:
        od = await ls.ready_doc(params.text_document.uri)
        if od is None or od.doc is None:
            return None
        if od.diag_version != od.version:
            ls._diagnose(od)
        assert od.diagnostics is not None
        only = params.context.only
        first, last = params.range.start.line, params.range.end.line
        here = [d for d in od.diagnostics if first <= d.line <= last]
        actions: list[types.CodeAction] = []
        if features.wants(only, types.CodeActionKind.QuickFix):
            actions += features.quick_fixes(od, here, ls.encoding, params.context.diagnostics)
            config = ls.configs.config_path(od.path) if od.path else None
            root = ls.workspace.root_path
            fallback = Path(root) if root else (od.path.parent if od.path else None)
            ws_edit = ls.client_capabilities.workspace
            ops = (ws_edit.workspace_edit.resource_operations or []) if (
                ws_edit and ws_edit.workspace_edit) else []
            create = types.ResourceOperationKind.Create in ops and bool(
                ws_edit and ws_edit.workspace_edit and ws_edit.workspace_edit.document_changes)
            seen: set[str] = set()
            for d in here:
                if d.code in seen:
                    continue
                seen.add(d.code)
                action = features.disable_rule_action(od, d.code, d.name, config, fallback,
                                                      create, ls.encoding)
                if action is not None:
                    actions.append(action)
        if features.wants(only, features.FIX_ALL_KIND):
            fix_all = features.fix_all(od, od.diagnostics, ls.encoding)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: TunelintServer, params: types.HoverParams) -> types.Hover | None:
        od = ls.docs.get(params.text_document.uri)
        if od is None or od.doc is None:
            return None  # still opening: answer at once rather than wait
        line = params.position.line
        example = features.hover_example(od, line)
        if example is None:
            return None
        text, fmt = example
        parts = await ls.token_parts(od, od.doc, text, fmt)
        if od.doc is None or features.hover_example(od, line) != example:
            return None  # the line changed meanwhile: the editor asks again
        return features.hover(od, line, ls.encoding, text, fmt, parts)

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(ls: TunelintServer, params: types.InlayHintParams
                         ) -> list[types.InlayHint] | None:
        od = ls.docs.get(params.text_document.uri)
        if od is None or od.doc is None:
            return None
        enabled = ls.options.inlay_hints
        if enabled is None:
            enabled = od.doc.line_count <= ls.options.inlay_max_lines
        if not enabled:
            return []
        start, end = params.range.start.line, params.range.end.line
        doc = od.doc
        pairs = features.uncounted_examples(doc, start, end)
        if pairs:
            await ls.count_tokens(od, doc, pairs)
        if od.doc is None:
            return None
        return features.inlay_hints(od, start, end, ls.encoding)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(ls: TunelintServer, params: types.DocumentSymbolParams
                              ) -> list[types.DocumentSymbol] | None:
        od = await ls.ready_doc(params.text_document.uri)
        if od is None or od.doc is None:
            return None
        entries = od.doc.entries
        texts = [e.text for e in entries]
        kinds = [OBJECT if e.result.kind == OBJECT else -1 for e in entries]
        return await ls.run_off_loop(features.example_symbols, texts, kinds, od.doc.bom,
                                     ls.encoding)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: TunelintServer, params: types.CodeLensParams
                        ) -> list[types.CodeLens] | None:
        od = await ls.ready_doc(params.text_document.uri)
        if od is None or od.doc is None:
            return None
        if od.diag_version != od.version:
            ls._diagnose(od)
        jobs = getattr(ls, "tunelint_jobs", None)
        title = jobs.lens_title(od.uri) if jobs is not None else None
        return features.code_lenses(od, jobs_available(ls), title)

    @server.command(SHOW_REPORT)
    async def show_report(ls: TunelintServer, *args: Any) -> str:
        uri = args[0] if args and isinstance(args[0], str) else None
        if uri is None:
            if len(ls.docs) != 1:
                raise ValueError(f"{SHOW_REPORT} needs a document URI")
            uri = next(iter(ls.docs))
        od = await ls.ready_doc(uri)
        if od is None or od.doc is None:
            raise ValueError(f"{uri} is not open")
        if od.stats_version != od.version:
            od.stats_version = -1
            await ls._stats_later(od, 0)
        from tunelint.cli import format_summary

        out = io.StringIO()
        format_summary(od.summary(), out)
        report = out.getvalue().strip("\n")
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info,
                                                       message=report))
        return report


def main(host: str | None = None, port: int | None = None) -> None:
    stream.install()
    map_large_blocks()
    server = create_server()
    if host is not None and port is not None:
        server.start_tcp(host, port)
    else:
        stream.widen_pipe(sys.stdout.fileno())
        server.start_io()
