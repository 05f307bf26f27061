"""The token worker: the child process that counts tokens so the server never loads a tokenizer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from tunelint import formats as fm
from tunelint.config import Settings
from tunelint.engine import OBJECT, Analyzer, LineResult
from tunelint.lsp.workers import TokenWorker, WorkerError
from tunelint.stats import count_tokens

EXAMPLES = Path(__file__).parents[2] / "fixtures" / "examples" / "support-chat.jsonl"


def _examples() -> list[tuple[str, str]]:
    analyzer = Analyzer(Settings())
    out = []
    for text in EXAMPLES.read_text("utf-8").splitlines():
        r = analyzer.analyze(text)
        if r.kind == OBJECT and r.format is not None:
            out.append((text, r.format))
    return out


async def test_counts_and_parts_equal_counting_in_process() -> None:
    items = _examples()
    assert len(items) > 10
    worker = TokenWorker()
    try:
        counts = await worker.count(Settings(), None, items)
        counter = Analyzer(Settings()).run.counter
        results = [LineResult(kind=OBJECT, format=f) for _, f in items]
        count_tokens(counter, [(r, t) for r, (t, _) in zip(results, items)])
        assert counts == [r.tokens for r in results]
        assert all(isinstance(n, int) and n > 0 for n in counts)
        text, fmt = items[0]
        parts = await worker.parts(Settings(), None, text, fmt)
        assert parts == fm.example_token_parts(counter, orjson.loads(text), fmt)
        # Another model with another encoding: the child loads that tokenizer too.
        legacy = await worker.count(Settings(model="gpt-3.5-turbo-0125"), None, items[:3])
        assert len(legacy) == 3 and all(isinstance(n, int) for n in legacy)
        assert worker.started == 1  # one process answered every request
    finally:
        await worker.aclose()


async def test_stops_when_idle_and_starts_again() -> None:
    items = _examples()[:2]
    worker = TokenWorker(idle_s=0.2)
    first = await worker.count(Settings(), None, items)
    assert worker.pid is not None
    await asyncio.sleep(0.8)
    assert worker.pid is None  # stopped: its memory went back to the system
    assert await worker.count(Settings(), None, items) == first
    assert worker.started == 2
    await worker.aclose()


async def test_a_failed_request_is_reported_and_the_worker_goes_on() -> None:
    items = _examples()[:1]
    worker = TokenWorker()
    try:
        with pytest.raises(WorkerError, match="JSONDecodeError|parts"):
            await worker.parts(Settings(), None, "{not json", "chat")
        assert await worker.count(Settings(), None, items)
        assert worker.started == 1
    finally:
        await worker.aclose()


async def test_a_dead_worker_is_replaced() -> None:
    items = _examples()[:1]
    worker = TokenWorker()
    try:
        expected = await worker.count(Settings(), None, items)
        pid = worker.pid
        assert pid is not None
        proc = worker._proc
        assert proc is not None
        proc.kill()
        await proc.wait()
        # The next request notices and starts a new process (or fails once, then recovers).
        try:
            got = await worker.count(Settings(), None, items)
        except WorkerError:
            got = await worker.count(Settings(), None, items)
        assert got == expected
        assert worker.pid not in (None, pid)
    finally:
        await worker.aclose()


async def test_warm_loads_the_tokenizer_in_the_one_process_that_counts_later() -> None:
    def rss_mb(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    worker = TokenWorker()
    try:
        await worker.warm(Settings(), None)
        pid = worker.pid
        assert pid is not None and worker.started == 1
        # The o200k tokenizer alone is some 40 MB: it is loaded, not merely the process started.
        assert rss_mb(pid) > 50
        items = _examples()[:3]
        assert all(n for n in await worker.count(Settings(), None, items))
        assert worker.pid == pid and worker.started == 1
    finally:
        await worker.aclose()
