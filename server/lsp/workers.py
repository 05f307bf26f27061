"""Token counting in a child process, so tiktoken never lives in the server.

tiktoken's o200k tokenizer takes about 50 MB once loaded. For encodings with a compiled counter
(tokens.compiled_counter: o200k and cl100k, about 10 MB) the server counts itself; what that
counter declines, and encodings without one, are counted here: whole-file statistics,
refreshing the examples edited since, a hover's per-message counts, the inlay hints of the
visible lines ask a :class:`TokenWorker`. The worker process starts on
first use and stops after ``idle_s`` seconds without work, returning its memory to the system;
if it cannot run, the caller counts in process.

Protocol over the child's stdin/stdout: each message is an 8-byte big-endian length and a
pickle. Requests are ``(op, args)``; replies are ``("ok", value)`` or ``("error", traceback)``.
Both ends are this package, run by the same interpreter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sys
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

from tunelint.config import Settings

log = logging.getLogger(__name__)

DEFAULT_IDLE_S = 30.0
_HEAD = 8


class WorkerError(RuntimeError):
    """The worker could not answer (could not start, died, or its operation failed)."""


class TokenWorker:
    """A long-lived child process that counts tokens; one request at a time."""

    def __init__(self, idle_s: float = DEFAULT_IDLE_S) -> None:
        self.idle_s = idle_s
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._idle: asyncio.TimerHandle | None = None
        self.started = 0  # how many processes were started (for tests and logs)
        self._exiting: asyncio.Future[None] | None = None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def count(self, settings: Settings, path: str | None,
                    items: list[tuple[str | bytes, str]]) -> list[int | None]:
        """Exact tokens of each ``(line text, format)`` example, counted the way it is billed
        (a text may be given as stored by the engine: see engine.pack_line)."""
        if not items:
            return []
        counts: list[int | None] = await self._call("count", settings, path, items)
        return counts

    async def warm(self, settings: Settings, path: str | None) -> None:
        """Start the process and load the tokenizer now (while the caller is still small)."""
        await self._call("warm", settings, path)

    async def parts(self, settings: Settings, path: str | None, text: str, fmt: str
                    ) -> list[tuple[str, int]]:
        """Tokens per part of one example (``("/messages/0", n)``, ...), for a hover."""
        parts: list[tuple[str, int]] = await self._call("parts", settings, path, text, fmt)
        return parts

    async def _call(self, op: str, *args: Any) -> Any:
        async with self._lock:
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            try:
                reply = await self._exchange(pickle.dumps((op, args),
                                                          protocol=pickle.HIGHEST_PROTOCOL))
            except asyncio.CancelledError:
                self._kill()  # the reply may still come: this pipe is out of step now
                raise
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError) as e:
                self._kill()
                raise WorkerError(f"token worker failed: {type(e).__name__}: {e}") from e
            finally:
                self._idle = asyncio.get_running_loop().call_later(self.idle_s, self.stop)
        status, value = pickle.loads(reply)
        if status != "ok":
            raise WorkerError(f"token worker error in {op}: {value}")
        return value

    async def _exchange(self, payload: bytes) -> bytes:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            proc = self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "from tunelint.lsp.workers import serve; serve()",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL)
            self.started += 1
            log.debug("token worker started (pid %s)", proc.pid)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(len(payload).to_bytes(_HEAD, "big") + payload)
        await proc.stdin.drain()
        size = int.from_bytes(await proc.stdout.readexactly(_HEAD), "big")
        return await proc.stdout.readexactly(size)

    def stop(self) -> None:
        """Stop the process (it exits when its input closes); the next request starts one."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None and proc.stdin is not None:
            log.debug("token worker stopping (pid %s)", proc.pid)
            proc.stdin.close()
            self._exiting = asyncio.ensure_future(_reap(proc))

    async def aclose(self) -> None:
        """Stop the process and wait until it has exited."""
        self.stop()
        if self._exiting is not None:
            await self._exiting

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            self._exiting = asyncio.ensure_future(_reap(proc))


async def _reap(proc: asyncio.subprocess.Process) -> None:
    try:
        await asyncio.wait_for(proc.wait(), timeout=5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


# -- the child ---------------------------------------------------------------------------------


class _Counters:
    """The child's token counters by encoding: each tokenizer loads once. Only the tokenizer
    and the counting code are loaded (no rules, no schemas): the child stays about 65 MB."""

    def __init__(self) -> None:
        self._by_encoding: dict[str, Any] = {}

    def get(self, settings: Settings, path: str | None) -> Any:
        from tunelint.models import encoding_for
        from tunelint.tokens import TokenCounter

        name = encoding_for(settings.for_path(path).model)
        counter = self._by_encoding.get(name)
        if counter is None:
            counter = self._by_encoding[name] = TokenCounter(name)
        return counter


def _count(counters: _Counters, settings: Settings, path: str | None,
           items: list[tuple[str | bytes, str]]) -> list[int | None]:
    from tunelint.engine import OBJECT, LineResult, decode_line
    from tunelint.stats import count_tokens

    counter = counters.get(settings, path)
    results = [LineResult(kind=OBJECT, format=fmt) for _, fmt in items]
    # The counter's cache of repeated strings is bounded (tokens.CACHE_TOTAL_CHARS), and the
    # process exits when idle: nothing to drop here.
    count_tokens(counter, [(r, decode_line(text)) for r, (text, _) in zip(results, items)])
    return [r.tokens for r in results]


def _parts(counters: _Counters, settings: Settings, path: str | None, text: str, fmt: str
           ) -> list[tuple[str, int]]:
    import orjson

    from tunelint import formats as fm

    return fm.example_token_parts(counters.get(settings, path), orjson.loads(text), fmt)


def _warm(counters: _Counters, settings: Settings, path: str | None) -> None:
    counters.get(settings, path).enc  # noqa: B018 - builds the encoding


_OPS: dict[str, Callable[..., Any]] = {"count": _count, "parts": _parts, "warm": _warm}


def _read(stream: BinaryIO, n: int) -> bytes | None:
    data = stream.read(n)
    return data if data is not None and len(data) == n else None


def serve() -> None:
    """The child's loop: answer requests until stdin closes."""
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    from tunelint.memory import release_free_memory

    counters = _Counters()
    while True:
        head = _read(inp, _HEAD)
        if head is None:
            return
        body = _read(inp, int.from_bytes(head, "big"))
        if body is None:
            return
        try:
            op, args = pickle.loads(body)
            reply: tuple[str, Any] = ("ok", _OPS[op](counters, *args))
        except Exception:  # noqa: BLE001 - reported to the server, which falls back
            reply = ("error", traceback.format_exc(limit=5))
        payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(payload).to_bytes(_HEAD, "big") + payload)
        out.flush()
        del body, reply, payload
        release_free_memory()  # building a tokenizer frees ~20 MB of its file's parse
