"""Checking large files from the command line: streamed, in parallel, cached, without the text.

The editor keeps a whole document in memory because it edits it. ``tunelint check`` only reads:
it streams the file in blocks, analyses byte ranges in worker processes (one per core), and
keeps each line's result and offset, not its text. A line's text is read back from the file
(``os.pread``) only for the lines that get a diagnostic. Results are cached on disk by the
xxh3 hash of the line's bytes, so an unchanged file is only read and hashed the second time.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

from tunelint import __version__
from tunelint.config import Settings
from tunelint.engine import Analyzer, Document, LineResult

BLOCK = 8 << 20
TOKEN_BATCH = 5_000
TOKEN_THREADS = os.cpu_count() or 1
# Below this size one process is faster than starting workers.
PARALLEL_MIN_BYTES = 8 << 20
RANGE_BYTES = 16 << 20
CACHE_DIR = ".tunelint_cache"
BOM = b"\xef\xbb\xbf"


# Bytes analysed so far, shared with worker processes for the progress bar.
_progress: Any = None


def _init_worker(progress: Any) -> None:
    global _progress
    _progress = progress


def _advance(n: int) -> None:
    if _progress is not None:
        with _progress.get_lock():
            _progress.value += n


class NeedsFullRead(Exception):
    """The file has lone CR line ends: the in-memory path handles those."""


@dataclass
class Chunk:
    results: list[LineResult]
    endings: list[str]
    offsets: array
    lengths: array
    hashes: list[int]


def iter_lines(path: str, start: int, end: int) -> Iterator[tuple[int, bytes, bytes]]:
    """(offset, line bytes without its end, the end) for the lines starting in [start, end)."""
    with open(path, "rb") as f:
        f.seek(start)
        carry = b""
        base = start  # file offset of data[0]
        while base < end:
            block = f.read(BLOCK)
            data = carry + block if carry else block
            if not block:
                if data:
                    yield base, data, b""
                return
            cut = 0
            while True:
                nl = data.find(b"\n", cut)
                if nl < 0:
                    break
                if base + cut >= end:
                    return
                if nl > cut and data[nl - 1] == 13:  # CRLF
                    yield base + cut, data[cut : nl - 1], b"\r\n"
                else:
                    yield base + cut, data[cut:nl], b"\n"
                cut = nl + 1
            carry = data[cut:]
            base += cut


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape")


def analyze_range(path: str, settings: Settings, start: int, end: int,
                  cached: dict[int, LineResult] | None = None,
                  with_tokens: bool = False, defer_tokens: bool = False) -> Chunk:
    analyzer = Analyzer(settings, path, defer_tokens=defer_tokens and not with_tokens)
    chunk = Chunk([], [], array("Q"), array("Q"), [])
    pending: list[tuple[LineResult, str]] = []
    seen: dict[int, LineResult] = {}
    unreported = 0
    for offset, raw, ending in iter_lines(path, start, end):
        unreported += len(raw) + len(ending)
        if unreported > 1 << 20:
            _advance(unreported)
            unreported = 0
        if offset == 0 and raw.startswith(BOM):
            raw = raw[3:]
            offset = 3
        if b"\r" in raw:
            raise NeedsFullRead()
        key = xxhash.xxh3_64_intdigest(raw)
        result = cached.get(key) if cached else None
        if result is None:
            result = seen.get(key)
        if result is None:
            # Not Analyzer.analyze: its cache is keyed by the text, which would keep the whole
            # file in memory; identical lines are shared through their hash instead.
            text = _decode(raw)
            result = analyzer.analyze_fresh(text)
            seen[key] = result
            if with_tokens and result.tokens is None and result.format is not None:
                pending.append((result, text))
                if len(pending) >= TOKEN_BATCH:
                    _count_tokens(analyzer, pending)
        elif with_tokens and result.tokens is None and result.format is not None:
            pending.append((result, _decode(raw)))
            if len(pending) >= TOKEN_BATCH:
                _count_tokens(analyzer, pending)
        chunk.results.append(result)
        chunk.endings.append(ending.decode())
        chunk.offsets.append(offset)
        chunk.lengths.append(len(raw))
        chunk.hashes.append(key)
    if pending:
        _count_tokens(analyzer, pending)
    return chunk


def _count_tokens(analyzer: Analyzer, pending: list[tuple[LineResult, str]]) -> None:
    """Exact tokens for a batch of examples, in one threaded batch."""
    from tunelint.stats import count_tokens

    count_tokens(analyzer.run.counter, pending, num_threads=TOKEN_THREADS)
    pending.clear()


def _split(path: str, size: int, parts: int) -> list[tuple[int, int]]:
    """Byte ranges that start at line starts."""
    bounds = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            f.seek(size * i // parts)
            f.readline()
            bounds.append(max(f.tell(), bounds[-1]))
    bounds.append(size)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a] or [(0, size)]


def _cache_file(settings: Settings) -> Path:
    base = Path(settings.root) if settings.root else Path.cwd()
    return base / CACHE_DIR / f"{__version__}-{settings.fingerprint()}.lines.pickle"


def _load_cache(file: Path) -> dict[int, LineResult]:
    try:
        with open(file, "rb") as f:
            data = pickle.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        return {}


def _save_cache(file: Path, table: dict[int, LineResult]) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        ignore = file.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
            # No memo: it would hold an entry for every object of every line while writing.
            pickler.fast = True
            pickler.dump(table)
        os.replace(tmp, file)
    except OSError:
        pass  # a read-only checkout still gets its results, just not cached


def check_path(path: str, settings: Settings, use_cache: bool = True,
               workers: int | None = None, with_tokens: bool = False,
               progress: Callable[[int, int], None] | None = None) -> Document:
    """Analyse a file on disk into a lean Document (raises NeedsFullRead for lone CRs)."""
    settings = settings.for_path(path)
    size = os.path.getsize(path)
    cache_file = _cache_file(settings)
    cached = _load_cache(cache_file) if use_cache else {}
    workers = workers or os.cpu_count() or 1
    # A warm cache makes analysis nearly free: one process then only reads and hashes.
    parallel = workers > 1 and size >= PARALLEL_MIN_BYTES and not cached
    counter = multiprocessing.Value("Q", 0) if progress else None
    if parallel:
        # More ranges than workers: a worker holds one range's results at a time, not half
        # the file's (1M short lines: 774 MB in a worker with one range each).
        ranges = _split(path, size, max(workers, -(-size // RANGE_BYTES)))
        with ProcessPoolExecutor(min(workers, len(ranges)), initializer=_init_worker,
                                 initargs=(counter,)) as pool:
            # Workers leave the tokenizer unloaded; the few lines over the byte bound are
            # finished here, so it is loaded once, not once per worker.
            futures = [pool.submit(analyze_range, path, settings, a, b, None, with_tokens, True)
                       for a, b in ranges]
            while progress and counter is not None:
                done, _ = wait(futures, timeout=0.25)
                progress(counter.value, size)
                if len(done) == len(futures):
                    break
            chunks = [f.result() for f in futures]
    else:
        _init_worker(counter)
        try:
            chunks = [analyze_range(path, settings, 0, size, cached, with_tokens)]
        finally:
            _init_worker(None)
    if progress:
        progress(size, size)
    results: list[LineResult] = []
    endings: list[str] = []
    offsets = array("Q")
    lengths = array("Q")
    hashes: list[int] = []
    for c in chunks:
        results.extend(c.results)
        endings.extend(c.endings)
        offsets.extend(c.offsets)
        lengths.extend(c.lengths)
        hashes.extend(c.hashes)
    with open(path, "rb") as f:
        bom = f.read(3) == BOM
    # The parent's own analyzer: the final segment, the lines workers deferred, the document.
    parent = Analyzer(settings, path)
    if not results or endings[-1] != "":
        # The segment after the final line end, as an editor shows it.
        results.append(parent.analyze(""))
        endings.append("")
        offsets.append(size)
        lengths.append(0)

    def load(line: int) -> str:
        with open(path, "rb") as f:
            f.seek(offsets[line])
            return _decode(f.read(lengths[line]))

    for i, r in enumerate(results):
        if r.deferred:
            # Not through the cache: these are the file's longest lines, each kept there whole.
            results[i] = parent.analyze_fresh(load(i))

    doc = Document.lean(parent, path, results, endings, load, bom, size)
    if use_cache:
        doc.diagnostics()  # places each line's problems once, so the cache keeps the columns
        table = dict(zip(hashes, results))
        if table.keys() != cached.keys() or any(
                r.problems and r.placed is None for r in cached.values()):
            _save_cache(cache_file, table)
    return doc
