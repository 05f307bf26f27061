"""Checking large files from the command line: streamed, in parallel, cached, without the text.

The editor keeps a whole document in memory because it edits it. ``tunelint check`` only reads:
it streams the file in blocks, analyses 16 MB byte ranges in worker processes (one per core),
and keeps per line only the facts dataset rules read, packed in arrays (``lean.Columns``, about
100 bytes a line), plus the full result of each line with a problem. A line's text is read back
from the file only for the lines that get a diagnostic. The results are cached on disk per file
and settings: an unchanged file is only read and hashed the second time, and in a changed one
only the lines whose hash the cache does not know are analysed.
"""

from __future__ import annotations

import bisect
import functools
import multiprocessing
import os
import pickle
import tempfile
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

from tunelint import __version__
from tunelint.config import Settings
from tunelint.engine import Analyzer, LineResult
from tunelint.lean import ENDING_CODES, KEY_BYTES, Columns, LeanDocument
from tunelint.memory import map_large_blocks

BLOCK = 8 << 20
TOKEN_BATCH = 1_000  # lines: their parsed objects are held while counted
TOKEN_THREADS = os.cpu_count() or 1
# Below this size one process is faster than starting workers.
PARALLEL_MIN_BYTES = 8 << 20
RANGE_BYTES = 16 << 20
CACHE_DIR = ".tunelint_cache"
CACHE_FORMAT = 2
BOM = b"\xef\xbb\xbf"


# Bytes analysed so far, shared with worker processes for the progress bar.
_progress: Any = None


def _init_worker(progress: Any) -> None:
    global _progress
    _progress = progress
    map_large_blocks()


def _advance(n: int) -> None:
    if _progress is not None:
        with _progress.get_lock():
            _progress.value += n


class NeedsFullRead(Exception):
    """The file has lone CR line ends: the in-memory path handles those."""


@dataclass
class Chunk:
    columns: Columns
    flagged: dict[int, LineResult]  # line within the chunk -> result, for lines with problems


class ResultsCache:
    """A file's results from its last check: its columns and the full results of its lines
    with problems (by line hash); its line hashes are sorted on first use, to find a line that
    moved (a file checked unchanged never needs that)."""

    def __init__(self, columns: Columns, flagged: dict[int, LineResult], file_size: int,
                 bom: bool) -> None:
        self.columns = columns
        self.flagged = flagged  # line hash -> result
        self.file_size = file_size
        self.bom = bom
        self._order: array | None = None
        self._sorted: array | None = None

    def row(self, line_hash: int) -> int | None:
        """A row of the columns whose line has this hash."""
        if self._order is None or self._sorted is None:
            hashes = self.columns.hashes
            order = sorted(range(len(hashes)), key=hashes.__getitem__)
            self._order = array("Q", order)
            self._sorted = array("Q", (hashes[i] for i in order))
            del order
        k = bisect.bisect_left(self._sorted, line_hash)
        if k < len(self._sorted) and self._sorted[k] == line_hash:
            return int(self._order[k])
        return None


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
                  cache: ResultsCache | None = None,
                  with_tokens: bool = False, defer_tokens: bool = False) -> Chunk:
    analyzer = Analyzer(settings, path, defer_tokens=defer_tokens and not with_tokens)
    chunk = Chunk(Columns(), {})
    columns, flagged = chunk.columns, chunk.flagged
    pending: list[tuple[int, LineResult, str]] = []
    # Identical lines are analysed once (their results shared through the line's hash); a
    # range is at most RANGE_BYTES, so this stays small.
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
        index = len(columns)
        ending_text = ending.decode()
        result = seen.get(key)
        if result is None and cache is not None:
            row = cache.row(key)
            if row is not None:
                result = cache.flagged.get(key)
                if result is None:
                    columns.append_row(cache.columns, row, offset, len(raw), ending_text, key)
                    if with_tokens and columns.tokens[index] < 0 and columns.formats[index]:
                        pending.append((index, columns.result(index), _decode(raw)))
                    continue
        if result is None:
            # Not Analyzer.analyze: its cache is keyed by the text, which would keep the whole
            # range's text in memory.
            result = analyzer.analyze_fresh(_decode(raw))
            seen[key] = result
        if with_tokens and result.tokens is None and result.format is not None:
            pending.append((index, result, _decode(raw)))
        columns.append(result, offset, len(raw), ending_text, key)
        if result.problems or result.deferred:
            flagged[index] = result
        if len(pending) >= TOKEN_BATCH:
            _count_tokens(analyzer, columns, pending)
    if pending:
        _count_tokens(analyzer, columns, pending)
    return chunk


def _count_tokens(analyzer: Analyzer, columns: Columns,
                  pending: list[tuple[int, LineResult, str]]) -> None:
    """Exact tokens for a batch of examples, in one threaded batch, into the columns."""
    from tunelint.stats import count_tokens

    count_tokens(analyzer.run.counter, [(r, text) for _, r, text in pending],
                 num_threads=TOKEN_THREADS)
    for index, r, _ in pending:
        if r.tokens is not None:
            columns.tokens[index] = r.tokens
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


def _same_lines(path: str, cached: Columns) -> bool:
    """Whether the file's lines are, in order, the lines (and line ends) the cache was made of.

    Hashes whole blocks of lines at a time and compares them with the cached ones, stopping
    at the first difference: an unchanged file costs a read and a hash per line.
    """
    hashes, endings = cached.hashes, cached.endings
    n = 0
    carry = b""
    first = True
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            if first and lines:
                first = False
                if lines[0].startswith(BOM):
                    lines[0] = lines[0][3:]
            got = array("Q", [xxhash.xxh3_64_intdigest(line[:-1] if line.endswith(b"\r")
                                                       else line) for line in lines])
            ends = array("B", [2 if line.endswith(b"\r") else 1 for line in lines])
            if got != hashes[n:n + len(got)] or ends != endings[n:n + len(ends)]:
                return False
            n += len(got)
    if first and carry.startswith(BOM):
        carry = carry[3:]
    # The last line has no line end; after a final line end it is the empty segment.
    return n + 1 == len(hashes) and hashes[n] == xxhash.xxh3_64_intdigest(carry)


def _scan_lines(path: str) -> Columns:
    """The file's line table (hashes, offsets, lengths, line ends), in the rows the columns use:
    after a final line end, the empty segment. Raises NeedsFullRead on a lone CR."""
    table = Columns()
    hashes, offsets, lengths, endings = table.hashes, table.offsets, table.lengths, table.endings
    carry = b""
    base = 0  # file offset of carry[0]
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            data = carry + block
            lines = data.split(b"\n")
            carry = lines.pop()
            pos = base
            for line in lines:
                start = pos
                if start == 0 and line.startswith(BOM):
                    line, start = line[3:], 3
                crlf = line.endswith(b"\r")
                if crlf:
                    line = line[:-1]
                if b"\r" in line:
                    raise NeedsFullRead()
                hashes.append(xxhash.xxh3_64_intdigest(line))
                offsets.append(start)
                lengths.append(len(line))
                endings.append(2 if crlf else 1)
                pos = start + len(line) + (2 if crlf else 1)
            base = pos
    start = base
    if start == 0 and carry.startswith(BOM):
        carry, start = carry[3:], 3
    if b"\r" in carry:
        raise NeedsFullRead()
    hashes.append(xxhash.xxh3_64_intdigest(carry))
    offsets.append(start)
    lengths.append(len(carry))
    endings.append(0)
    return table


# Above this many changed lines an edited file goes through the line-by-line cache path.
SPLICE_MAX_LINES = 50_000
SPLICE_SCAN_LINES = 256


def _linear_row(hashes: array, line_hash: int) -> int | None:
    try:
        return hashes.index(line_hash)
    except ValueError:
        return None
_FACTS = ("kinds", "formats", "n_messages", "n_images", "sizes", "tokens")
_KEYS = ("exact", "norm", "prompt", "target")


def _splice(path: str, cache: ResultsCache, analyzer: Analyzer, with_tokens: bool
            ) -> tuple[Columns, dict[int, LineResult]] | None:
    """An edited file from its cache, in place: the lines before and after the edited region
    keep their cached facts; only the region is analysed. None when the edits are spread too
    widely for that (the caller then looks each line up)."""
    new = _scan_lines(path)
    old = cache.columns
    n_old, n_new = len(old), len(new.hashes)  # the scan fills only the line table
    oh, nh, oe, ne = old.hashes, new.hashes, old.endings, new.endings
    head = 0
    limit = min(n_old, n_new)
    while head < limit and oh[head] == nh[head] and oe[head] == ne[head]:
        head += 1
    tail = 0
    while (tail < limit - head and oh[n_old - 1 - tail] == nh[n_new - 1 - tail]
           and oe[n_old - 1 - tail] == ne[n_new - 1 - tail]):
        tail += 1
    if n_new - tail - head > SPLICE_MAX_LINES:
        return None
    region = Columns()
    flagged_region: dict[int, LineResult] = {}
    pending: list[tuple[int, LineResult, str]] = []
    # A few lines are looked up by a linear search in C; more, through the sorted index
    # (building it holds ~80 MB of Python ints for a moment at 1M lines).
    find = cache.row if n_new - tail - head > SPLICE_SCAN_LINES else functools.partial(
        _linear_row, oh)
    with open(path, "rb") as f:
        for i in range(head, n_new - tail):
            k = len(region)
            ending = ENDING_CODES[ne[i]]
            result = cache.flagged.get(nh[i])
            row = find(nh[i]) if result is None else None
            if row is not None:  # a line that moved: its cached facts
                region.append_row(old, row, new.offsets[i], new.lengths[i], ending, nh[i])
                if with_tokens and region.tokens[k] < 0 and region.formats[k]:
                    f.seek(new.offsets[i])
                    pending.append((k, region.result(k), _decode(f.read(new.lengths[i]))))
                continue
            f.seek(new.offsets[i])
            text = _decode(f.read(new.lengths[i]))
            if result is None:
                result = analyzer.analyze_fresh(text)
            region.append(result, new.offsets[i], new.lengths[i], ending, nh[i])
            if result.problems:
                flagged_region[head + k] = result
            if with_tokens and result.tokens is None and result.format is not None:
                pending.append((k, result, text))
    if pending:
        _count_tokens(analyzer, region, pending)
    # The cached columns become the new ones: the region's rows replace the old region's.
    for name in _FACTS:
        getattr(old, name)[head:n_old - tail] = getattr(region, name)
    for name in _KEYS:
        getattr(old, name)[head * KEY_BYTES:(n_old - tail) * KEY_BYTES] = getattr(region, name)
    old.hashes, old.offsets, old.lengths, old.endings = (new.hashes, new.offsets, new.lengths,
                                                         new.endings)
    flagged = {i: r for i, h in enumerate(nh) if (r := cache.flagged.get(h)) is not None}
    for i in range(head, n_new - tail):
        flagged.pop(i, None)
    flagged.update(flagged_region)
    return old, flagged


def _join(columns: Columns, flagged: dict[int, LineResult], chunk: Chunk) -> None:
    base = len(columns)
    columns.extend(chunk.columns)
    flagged.update((base + i, r) for i, r in chunk.flagged.items())


def _cache_file(settings: Settings, path: str) -> Path:
    base = Path(settings.root) if settings.root else Path.cwd()
    name = xxhash.xxh3_64_hexdigest(os.path.abspath(path).encode("utf-8", "surrogateescape"))
    return base / CACHE_DIR / f"{__version__}-{settings.fingerprint()}-{name}.pickle"


def _load_cache(file: Path) -> ResultsCache | None:
    """Read a cache written by _save_cache: a pickled header, then each column's raw bytes."""
    try:
        with open(file, "rb") as f:
            head = pickle.load(f)
            if not isinstance(head, dict) or head.get("format") != CACHE_FORMAT:
                return None
            columns = Columns()
            for name, (kind, n) in head["columns"].items():
                column = getattr(columns, name)
                if isinstance(column, array):
                    if column.typecode != kind:
                        return None
                    column.fromfile(f, n)
                else:
                    column += f.read(n)
                    if len(column) != n:
                        return None
            return ResultsCache(columns, head["flagged"], head["file_size"], head["bom"])
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError,
            ImportError, KeyError):
        return None


def _save_cache(file: Path, cache: ResultsCache) -> None:
    """Write the columns' bytes as they are (pickling an array would copy it whole first)."""
    columns = vars(cache.columns)
    head = {
        "format": CACHE_FORMAT, "file_size": cache.file_size, "bom": cache.bom,
        "flagged": cache.flagged,
        "columns": {name: (c.typecode if isinstance(c, array) else "bytes", len(c))
                    for name, c in columns.items()},
    }
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        ignore = file.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(head, f, protocol=pickle.HIGHEST_PROTOCOL)
            for column in columns.values():
                if isinstance(column, array):
                    column.tofile(f)
                else:
                    f.write(column)
        os.replace(tmp, file)
    except OSError:
        pass  # a read-only checkout still gets its results, just not cached


def check_path(path: str, settings: Settings, use_cache: bool = True,
               workers: int | None = None, with_tokens: bool = False,
               progress: Callable[[int, int], None] | None = None) -> LeanDocument:
    """Analyse a file on disk into a LeanDocument (raises NeedsFullRead for lone CRs)."""
    map_large_blocks()  # the columns grow in place instead of leaving holes in the heap
    settings = settings.for_path(path)
    size = os.path.getsize(path)
    cache_file = _cache_file(settings, path)
    cache = _load_cache(cache_file) if use_cache else None
    workers = workers or os.cpu_count() or 1
    # A warm cache makes analysis nearly free: one process then only reads and hashes.
    parallel = workers > 1 and size >= PARALLEL_MIN_BYTES and cache is None
    counter = multiprocessing.Value("Q", 0) if progress else None
    columns = Columns()
    flagged: dict[int, LineResult] = {}
    with open(path, "rb") as f:
        bom = f.read(3) == BOM
    unchanged = (cache is not None and cache.file_size == size and cache.bom == bom
                 and _same_lines(path, cache.columns))
    parent = Analyzer(settings, path)  # the final segment, lines workers deferred, the doc
    spliced = None
    if cache is not None and unchanged:
        # The file is unchanged: its results are the cache's, with no per-line work.
        columns = cache.columns
        flagged = {i: cache.flagged[h] for i, h in enumerate(columns.hashes)
                   if h in cache.flagged}
    elif cache is not None and cache.bom == bom:
        spliced = _splice(path, cache, parent, with_tokens)
    if spliced is not None:
        columns, flagged = spliced
    elif unchanged:
        pass
    elif parallel:
        # More ranges than workers: a worker holds one range's results at a time, not half
        # the file's (1M short lines: 774 MB in a worker with one range each).
        ranges = _split(path, size, max(workers, -(-size // RANGE_BYTES)))
        with ProcessPoolExecutor(min(workers, len(ranges)), initializer=_init_worker,
                                 initargs=(counter,)) as pool:
            # Workers leave the tokenizer unloaded; the few lines over the byte bound are
            # finished here, so it is loaded once, not once per worker.
            futures = deque(pool.submit(analyze_range, path, settings, a, b, None, with_tokens,
                                        True) for a, b in ranges)
            # Ranges are joined in order as they finish, each dropped once copied.
            while futures:
                future = futures.popleft()
                while progress and counter is not None and not future.done():
                    wait([future], timeout=0.25)
                    progress(counter.value, size)
                _join(columns, flagged, future.result())
                del future
    else:
        _init_worker(counter)
        try:
            _join(columns, flagged, analyze_range(path, settings, 0, size, cache, with_tokens))
        finally:
            _init_worker(None)
    cache = None  # the old results are in the new columns now; free them before the rest
    if progress:
        progress(size, size)
    if not len(columns) or columns.endings[-1] != 0:
        # The segment after the final line end, as an editor shows it.
        columns.append(parent.analyze(""), size, 0, "", xxhash.xxh3_64_intdigest(b""))

    def load(line: int) -> str:
        with open(path, "rb") as f:
            f.seek(columns.offsets[line])
            return _decode(f.read(columns.lengths[line]))

    for i, r in list(flagged.items()):
        if r.deferred:
            # Not through the cache: these are the file's longest lines, each kept there whole.
            done = parent.analyze_fresh(load(i))
            columns.set_result(i, done)
            if done.problems:
                flagged[i] = done
            else:
                del flagged[i]

    doc = LeanDocument(parent, path, columns, flagged, load, bom, size)
    if use_cache and not unchanged:
        doc.diagnostics()  # places each line's problems once, so the cache keeps the columns
        _save_cache(cache_file, ResultsCache(
            columns, {columns.hashes[i]: r for i, r in flagged.items()}, size, bom))
    return doc
