"""Checking large files from the command line: streamed, in parallel, cached, without the text.

The editor keeps a whole document in memory because it edits it. ``tunelint check`` only reads:
it streams the file in blocks, analyses 8 MB byte ranges in worker processes (one per core),
and keeps per line only the facts dataset rules read, packed in arrays (``lean.Columns``, about
83 bytes a line), plus the problems of each line that has any, shared between lines with equal
ones (``lean.FlaggedLines``). A line's text is read back from the file only for the lines that
get a diagnostic, as their diagnostics are printed. The results are cached on disk per file
and settings: an unchanged file is only read and hashed the second time, and in a changed one
only the lines whose hash the cache does not know are analysed.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import multiprocessing
import os
import pickle
import tempfile
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import xxhash

from tunelint import __version__, fastpath
from tunelint.config import Settings
from tunelint.engine import BOM_BYTES, Analyzer, LineResult, decode_file_line
from tunelint.lean import (
    ENDING_CODES,
    KEY_BYTES,
    Columns,
    FirstLines,
    FlaggedLines,
    LeanDocument,
)
from tunelint.memory import keep_blocks_for_reuse, map_large_blocks, release_free_memory_over
from tunelint.spill import SpillArray

BLOCK = 8 << 20
# What iter_lines reads past its range's end at first: most lines end within it.
TAIL = 64 << 10
TOKEN_BATCH = 1_000  # lines: their parsed objects are held while counted
TOKEN_THREADS = os.cpu_count() or 1
# Below this size one process is faster than starting workers.
PARALLEL_MIN_BYTES = 8 << 20
RANGE_BYTES = 8 << 20
RANGE_LINES = 32_000
RANGE_MIN_BYTES = 1 << 20
# A worker gives its free heap back after a range only past this (see release_free_memory_over).
TRIM_FREE_BYTES = 8 << 20
# Blocks a worker takes from its heap, reused (keep_blocks_for_reuse): a block read, and more.
WORKER_HEAP_BLOCK = 9 << 20
CACHE_DIR = ".tunelint_cache"
CACHE_FORMAT = 5  # 3: 8-byte keys; 4: problems by row, shared (FlaggedLines); 5: their rows raw


# Bytes analysed so far, shared with worker processes for the progress bar.
_progress: Any = None


def _init_worker(progress: Any) -> None:
    _report_to(progress)
    # A worker's columns are one range's (RANGE_LINES at most): small, unlike the parent's.
    keep_blocks_for_reuse(WORKER_HEAP_BLOCK)


def _report_to(progress: Any) -> None:
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
    columns: Columns
    flagged: FlaggedLines  # by line within the chunk


class ResultsCache:
    """A file's results from its last check: its columns and the problems of its lines (by
    row); its line hashes are sorted on first use, to find a line that moved (a file checked
    unchanged never needs that)."""

    def __init__(self, columns: Columns, flagged: FlaggedLines, file_size: int,
                 bom: bool) -> None:
        self.columns = columns
        self.flagged = flagged
        self.file_size = file_size
        self.bom = bom
        self._rows: FirstLines | None = None

    def row(self, line_hash: int) -> int | None:
        """A row of the columns whose line has this hash (the first; a hash of 0, which a line
        has one time in 2**64, is never found: that line is analysed again)."""
        if self._rows is None:
            self._rows = FirstLines(self.columns.hashes)
        return self._rows.first_line_of(line_hash) if line_hash else None


# (block, position in it, file offset of the block, position where the range ends) -> the
# position after the lines it took itself (whole lines, each starting before the range's end).
LineTaker = Callable[[bytes, int, int, int], int]


def iter_lines(path: str, start: int, end: int, take: LineTaker | None = None
               ) -> Iterator[tuple[int, bytes, bytes]]:
    """(offset, line bytes without its end, the end) for the lines starting in [start, end),
    but for those ``take`` takes from a block before each line is cut from it."""
    with open(path, "rb") as f:
        f.seek(start)
        carry = b""  # the start of a line the previous block cut
        base = start  # file offset of carry[0], or of the block's first byte without a carry
        while base < end:
            # Up to the range's end and a little past it, for the end of its last line (that
            # line may be long: then twice what is carried, at most a block).
            ahead = end - base - len(carry)
            block = f.read(min(BLOCK, ahead + TAIL if ahead > 0 else max(TAIL, len(carry))))
            if not block:
                if carry:
                    yield base, carry, b""
                return
            cut = 0
            if carry:
                # Only the line across the boundary is joined (not the block to the carry: a
                # copy of 8 MB per block).
                nl = block.find(b"\n")
                if nl < 0:
                    carry += block
                    continue
                line = carry + block[:nl]
                if line.endswith(b"\r"):  # CRLF
                    yield base, line[:-1], b"\r\n"
                else:
                    yield base, line, b"\n"
                base += len(carry)
                cut = nl + 1
                carry = b""
            while True:
                if take is not None and base + cut < end:
                    cut = take(block, cut, base, end - base)
                nl = block.find(b"\n", cut)
                if nl < 0:
                    break
                if base + cut >= end:
                    return
                if nl > cut and block[nl - 1] == 13:  # CRLF
                    yield base + cut, block[cut : nl - 1], b"\r\n"
                else:
                    yield base + cut, block[cut:nl], b"\n"
                cut = nl + 1
            carry = block[cut:]
            base += cut


# The columns _fastline.plain_lines writes, in its order (each in its array's layout).
_PLAIN_COLUMNS = ("kinds", "formats", "n_messages", "n_images", "sizes", "tokens", "endings",
                  "offsets", "lengths", "hashes", "exact", "norm", "prompt", "target")
PLAIN_LINES = fastpath.AVAILABLE and array("I").itemsize == 4 and array("Q").itemsize == 8


def _decode(raw: bytes) -> str:
    return decode_file_line(raw)[0]


class _LineSink:
    """Appends a range's lines to columns: a line the cache knows takes its cached facts, any
    other is analysed (identical lines once); exact tokens are counted in batches if asked."""

    def __init__(self, analyzer: Analyzer, cache: ResultsCache | None,
                 find: Callable[[int], int | None] | None, with_tokens: bool) -> None:
        self.analyzer = analyzer
        self.cache = cache
        self.find = find
        self.with_tokens = with_tokens
        self.chunk = Chunk(Columns(), FlaggedLines())
        self.pending: list[tuple[int, LineResult, str]] = []
        # Line hash -> (its first row in this range, its problems in chunk.flagged or -1). A
        # range is at most RANGE_BYTES (or an edited region), so this stays small.
        self.seen: dict[int, tuple[int, int]] = {}
        # Roles -> their code for _fastline.plain_lines (PlainChatPath.code_of), and the roles
        # of the line it stopped at for want of one, which add() is handed next.
        self.codes: dict[bytes, int] = {}
        self.learn: bytes | None = None
        # Chat lines of remembered shapes are taken there too (ToolChatPath).
        tool_path = analyzer.tool_path
        self.tool = tool_path.line_code if tool_path.enabled else None

    def take_plain(self, block: bytes, pos: int, base: int, stop: int) -> int:
        """iter_lines' taker: the plain lines at ``pos`` whose roles have a verdict go
        straight into the columns (their results are the fast path's, computed in C)."""
        plain = self.analyzer.plain_path
        pos_after, taken, found, flags, roles = plain.take_lines(
            block, pos, min(stop, len(block)), base, self.codes, self.tool)
        if taken:
            columns, flagged = self.chunk.columns, self.chunk.flagged
            first = len(columns)
            for name, values in zip(_PLAIN_COLUMNS, found):
                column = getattr(columns, name)
                if isinstance(column, array):
                    column.frombytes(values)
                else:
                    column += values
            if flags:
                pairs = array("q")
                pairs.frombytes(flags)
                flagged.lines.extend(first + line for line in pairs[0::2])
                flagged.which.extend(iter(pairs[1::2]))
            _advance(pos_after - pos)
        self.learn = roles
        return int(pos_after)

    def add(self, raw: bytes, offset: int, ending: str, key: int) -> None:
        columns, cache, flagged = self.chunk.columns, self.cache, self.chunk.flagged
        index = len(columns)
        seen = self.seen.get(key)
        if seen is not None:  # the same line earlier in this range: its facts again
            row, which = seen
            columns.append_row(columns, row, offset, len(raw), ending, key)
            if which >= 0:
                flagged.add_shared(index, which)
        elif (cache is not None and self.find is not None
              and (cached_row := self.find(key)) is not None):
            # A line the cache knows, maybe elsewhere in the file: its cached facts.
            columns.append_row(cache.columns, cached_row, offset, len(raw), ending, key)
            problems = cache.flagged.get(cached_row)
            self.seen[key] = (index, flagged.add(index, problems) if problems else -1)
        else:
            # Not Analyzer.analyze: its cache is keyed by the text, which would keep the whole
            # range's text in memory.
            result = self.analyzer.analyze_bytes(raw)
            columns.append(result, offset, len(raw), ending, key)
            which = -1
            if result.problems or result.deferred:
                which = flagged.add(index, result.problems, result.deferred)
            self.seen[key] = (index, which)
            if self.learn is not None:  # this line's roles stopped plain_lines: their code
                code = self.analyzer.plain_path.code_of(self.learn, flagged.intern)
                if code is not None:
                    self.codes[self.learn] = code
                self.learn = None
            if self.with_tokens and result.tokens is None and result.format is not None:
                self._count_later(index, result, raw)
            return
        if self.with_tokens and columns.tokens[index] < 0 and columns.formats[index]:
            self._count_later(index, columns.result(index), raw)

    def _count_later(self, index: int, result: LineResult, raw: bytes) -> None:
        self.pending.append((index, result, _decode(raw)))
        if len(self.pending) >= TOKEN_BATCH:
            _count_tokens(self.analyzer, self.chunk.columns, self.pending)

    def finish(self) -> Chunk:
        if self.pending:
            _count_tokens(self.analyzer, self.chunk.columns, self.pending)
        return self.chunk


# A worker's analyzer for the ranges of one check: the fast path's verdicts, the rules' compiled
# schemas and a loaded token counter carry over from one range to the next.
_job_analyzer: tuple[Hashable, Analyzer] | None = None


def _analyzer(settings: Settings, path: str | None, defer_tokens: bool,
              job: Hashable | None) -> Analyzer:
    global _job_analyzer
    if job is not None and _job_analyzer is not None and _job_analyzer[0] == job:
        return _job_analyzer[1]
    analyzer = Analyzer(settings, path, defer_tokens=defer_tokens)
    _job_analyzer = (job, analyzer) if job is not None else None
    return analyzer


def analyze_range(path: str, settings: Settings, start: int, end: int,
                  cache: ResultsCache | None = None,
                  with_tokens: bool = False, defer_tokens: bool = False,
                  anonymous: bool = False, job: Hashable | None = None) -> Chunk:
    """The chunk of the lines starting in [start, end). Calls with the same ``job`` (ranges of
    one check, in one process) share an analyzer."""
    analyzer = _analyzer(settings, None if anonymous else path,
                         defer_tokens and not with_tokens, job)
    sink = _LineSink(analyzer, cache, cache.row if cache is not None else None, with_tokens)
    # Plain lines are taken whole in C, when none needs tokens counted or a cached result.
    take = (sink.take_plain if PLAIN_LINES and cache is None and not with_tokens
            and analyzer.plain_path.formats else None)
    unreported = 0
    for offset, raw, ending in iter_lines(path, start, end, take):
        unreported += len(raw) + len(ending)
        if unreported > 1 << 20:
            _advance(unreported)
            unreported = 0
        if offset == 0 and raw.startswith(BOM_BYTES):
            raw = raw[3:]
            offset = 3
        if b"\r" in raw:
            raise NeedsFullRead()
        sink.add(raw, offset, ending.decode(), xxhash.xxh3_64_intdigest(raw))
    chunk = sink.finish()
    del sink
    # Much garbage (every line's parse and result, when lines have findings) goes back to the
    # system before the chunk is pickled, which needs as much again.
    release_free_memory_over(TRIM_FREE_BYTES)
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


def _finish_deferred(analyzer: Analyzer, path: str, offset: int, length: int) -> LineResult:
    """The whole result of a line a worker deferred (it needs exact tokens)."""
    with open(path, "rb") as f:
        f.seek(offset)
        return analyzer.analyze_fresh(_decode(f.read(length)))


def _range_bytes(path: str) -> int:
    """Bytes per range: RANGE_BYTES, or less for short lines, so that a range holds at most
    about RANGE_LINES lines' results (a worker holds a range's results while it works on it:
    with a finding of its own on each line, some 2 KB a line)."""
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    lines = sample.count(b"\n")
    if not lines:
        return RANGE_BYTES
    return min(RANGE_BYTES, max(RANGE_MIN_BYTES, len(sample) // lines * RANGE_LINES))


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


def _scan_lines(path: str) -> Columns:
    """The file's line table (hashes, offsets, lengths, line ends) in the rows the columns use
    (after a final line end, the empty segment), a block of lines at a time. Raises
    NeedsFullRead on a lone CR. The lines of a block go through ``_fastline.scan_lines`` where
    it is built (``_scan_lines_py`` is the same in Python, tests/test_batch.py compares them)."""
    if fastpath._fastline is None:
        return _scan_lines_py(path)
    scan = fastpath._fastline.scan_lines
    table = Columns()
    carry = b""  # the start of a line the previous block cut
    read_at = 0  # file offset of the next block's first byte
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            base, read_at = read_at, read_at + len(block)
            start = 0
            if carry:
                # Only the line across the boundary is joined (not the block to the carry).
                nl = block.find(b"\n")
                if nl < 0:
                    carry += block
                    continue
                _scan_block(table, scan, carry + block[: nl + 1], 0, base - len(carry))
                carry, start = b"", nl + 1
            after = _scan_block(table, scan, block, start, base)
            carry = block[after:]
    return _final_segment(table, carry, read_at - len(carry))


def _scan_block(table: Columns, scan: Callable[..., Any], block: bytes, start: int,
                base: int) -> int:
    """scan_lines of the whole lines of ``block`` (read at file offset ``base``) from
    ``start`` (past a BOM at the file's start) into the table; where they end."""
    if base + start == 0 and block.startswith(BOM_BYTES):
        start = 3
    after, hashes, offsets, lengths, endings, lone_cr = scan(block, start, base,
                                                             xxhash.xxh3_64_intdigest)
    if lone_cr:
        raise NeedsFullRead()
    table.hashes.frombytes(hashes)
    table.offsets.frombytes(offsets)
    table.lengths.frombytes(lengths)
    table.endings.frombytes(endings)
    table.spill_if_over(len(table.hashes))
    return int(after)


def _final_segment(table: Columns, carry: bytes, pos: int) -> Columns:
    """The segment after the last line end (often empty) as the table's last row."""
    if pos == 0 and carry.startswith(BOM_BYTES):
        carry, pos = carry[3:], 3
    if b"\r" in carry:
        raise NeedsFullRead()
    table.hashes.append(xxhash.xxh3_64_intdigest(carry))
    table.offsets.append(pos)
    table.lengths.append(len(carry))
    table.endings.append(0)
    return table


def _scan_lines_py(path: str) -> Columns:
    """``_scan_lines`` without the compiled module."""
    table = Columns()
    carry = b""
    pos = 0  # file offset of carry[0]
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            if not lines:
                continue
            ends = [2 if line.endswith(b"\r") else 1 for line in lines]
            bodies = [line[:-1] if e == 2 else line for line, e in zip(lines, ends)]
            starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=pos))
            pos = starts.pop()
            if starts[0] == 0 and bodies[0].startswith(BOM_BYTES):
                bodies[0], starts[0] = bodies[0][3:], 3
            if any(b"\r" in b for b in bodies):
                raise NeedsFullRead()
            table.hashes.extend(xxhash.xxh3_64_intdigest(b) for b in bodies)
            table.offsets.extend(starts)
            table.lengths.extend(len(b) for b in bodies)
            table.endings.extend(ends)
            table.spill_if_over(len(table.hashes))
    return _final_segment(table, carry, pos)


# Above this many changed lines an edited file goes through the line-by-line cache path.
SPLICE_MAX_LINES = 50_000
SPLICE_SCAN_LINES = 256


def _linear_row(hashes: array, line_hash: int) -> int | None:
    try:
        return hashes.index(line_hash)
    except ValueError:
        return None


def _from_cache(path: str, size: int, cache: ResultsCache, analyzer: Analyzer,
                with_tokens: bool) -> tuple[Columns, FlaggedLines, bool] | None:
    """The file's columns and flagged lines from its cache, and whether it is unchanged: reused
    whole if so, else with the edited region spliced in. None when the edits are spread too
    widely for that (the caller then looks each line up)."""
    new = _scan_lines(path)
    old = cache.columns
    if size == cache.file_size and new.hashes == old.hashes and new.endings == old.endings:
        return old, cache.flagged, True
    n_old, n_new = len(old), len(new.hashes)  # the scan fills only the line table
    oh, nh, oe, ne = old.hashes, new.hashes, old.endings, new.endings
    limit = min(n_old, n_new)
    head = _same_run(oh, nh, oe, ne, limit, 0, 0, backwards=False)
    tail = _same_run(oh, nh, oe, ne, limit - head, n_old - 1, n_new - 1, backwards=True)
    if n_new - tail - head > SPLICE_MAX_LINES:
        return None
    # A few lines are looked up by a linear search in C; more, through an index of the
    # hashes (lean.FirstLines).
    find = cache.row if n_new - tail - head > SPLICE_SCAN_LINES else functools.partial(
        _linear_row, oh)
    sink = _LineSink(analyzer, cache, find, with_tokens)
    with open(path, "rb") as f:
        for i in range(head, n_new - tail):
            f.seek(new.offsets[i])
            sink.add(f.read(new.lengths[i]), new.offsets[i], ENDING_CODES[ne[i]], nh[i])
    region = sink.finish()
    # The cached columns become the new ones: the region's rows replace the old region's.
    for name in Columns.FACTS:
        getattr(old, name)[head:n_old - tail] = getattr(region.columns, name)
    for name in Columns.KEYS:
        getattr(old, name)[head * KEY_BYTES:(n_old - tail) * KEY_BYTES] = getattr(
            region.columns, name)
    old.hashes, old.offsets, old.lengths, old.endings = (new.hashes, new.offsets, new.lengths,
                                                         new.endings)
    # The lines before and after the region keep their problems, the region brings its own.
    flagged = cache.flagged.emptied()
    for line, which in cache.flagged.moved(range(head), 0):
        flagged.add_shared(line, which)
    flagged.extend(region.flagged, head)
    for line, which in cache.flagged.moved(range(n_old - tail, n_old), n_new - n_old):
        flagged.add_shared(line, which)
    return old, flagged, False


_SAME_RUN_STEP = 4096


def _same_run(old_hashes: Any, new_hashes: Any, old_ends: Any, new_ends: Any, n: int,
              old_at: int, new_at: int, backwards: bool) -> int:
    """How many lines from ``old_at``/``new_at`` on (or back) have the same hash and line end
    in both tables, at most ``n``: compared a slice at a time, so a table on disk is not read
    an item at a time."""
    done = 0
    while done < n:
        step = min(_SAME_RUN_STEP, n - done)
        if backwards:
            o, w = old_at - done - step + 1, new_at - done - step + 1
        else:
            o, w = done, done
        if (old_hashes[o:o + step] == new_hashes[w:w + step]
                and old_ends[o:o + step] == new_ends[w:w + step]):
            done += step
            continue
        for k in range(step):  # the first difference inside this slice
            i = step - 1 - k if backwards else k
            if old_hashes[o + i] != new_hashes[w + i] or old_ends[o + i] != new_ends[w + i]:
                return done + k
        return done + step  # pragma: no cover - the slices differed
    return done


def _join(columns: Columns, flagged: FlaggedLines, chunk: Chunk) -> None:
    base = len(columns)
    columns.extend(chunk.columns)
    flagged.extend(chunk.flagged, base)


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
            columns.spill_if_over(head["columns"]["kinds"][1])  # then read a chunk at a time
            for name, (kind, n) in head["columns"].items():
                column = getattr(columns, name)
                if name in Columns.KEYS:
                    if kind != "bytes":
                        return None
                    if isinstance(column, SpillArray):
                        column.fromfile(f, n)
                    else:
                        column += f.read(n)
                    if len(column) != n:
                        return None
                else:
                    if column.typecode != kind:
                        return None
                    column.fromfile(f, n)
            flagged = head["flagged"]
            if not isinstance(flagged, FlaggedLines) or flagged.lines:
                return None
            n_flagged = head["flagged_lines"]
            flagged.spill_if_over(n_flagged)
            flagged.lines.fromfile(f, n_flagged)
            flagged.which.fromfile(f, n_flagged)
            return ResultsCache(columns, flagged, head["file_size"], head["bom"])
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError,
            ImportError, KeyError):
        return None


def _save_cache(file: Path, cache: ResultsCache) -> None:
    """Write the columns' bytes as they are (pickling an array would copy it whole first)."""
    columns = vars(cache.columns)
    flagged = cache.flagged
    head = {
        "format": CACHE_FORMAT, "file_size": cache.file_size, "bom": cache.bom,
        # The problems in the header; the lines that have them raw, after the columns.
        "flagged": flagged.emptied(), "flagged_lines": len(flagged),
        "columns": {name: ("bytes" if name in Columns.KEYS else c.typecode, len(c))
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
                if isinstance(column, bytearray):
                    f.write(column)
                else:
                    column.tofile(f)
            flagged.lines.tofile(f)
            flagged.which.tofile(f)
        os.replace(tmp, file)
    except OSError:
        pass  # a read-only checkout still gets its results, just not cached


# Files lines are read back from, kept open between reads (an all-flagged file reads each line
# twice: to place its problems and to print them), a few at a time: a check of thousands of
# files prints one file's findings after another, and must not hold a descriptor for each.
# Keyed by the check too: a file checked again after it changed must not be read through the
# descriptor of its previous check (an editor's save replaces the file).
_READERS: OrderedDict[tuple[str, int], BinaryIO] = OrderedDict()
READERS_OPEN = 4
_checks = itertools.count()
_jobs = itertools.count()  # checks that ran workers, to tell their analyzers apart


def forget_reader(path: str) -> None:
    """Close the files kept open for reading ``path`` back."""
    for key in [k for k in _READERS if k[0] == path]:
        _READERS.pop(key).close()


def _reader(path: str, check: int) -> BinaryIO:
    key = (path, check)
    reader = _READERS.get(key)
    if reader is not None:
        _READERS.move_to_end(key)
        return reader
    while len(_READERS) >= READERS_OPEN:
        _READERS.popitem(last=False)[1].close()
    reader = _READERS[key] = open(path, "rb")  # noqa: SIM115 - closed when evicted
    return reader


class SharedWorkers:
    """One pool of worker processes for every parallel check of a run (``shared_workers``),
    started on the first: forked while the process holds no checked document yet (a worker
    forked later would share the pages of every document held, and count them), and spared
    starting again for each file of a folder."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._counter: Any = None
        self._workers = 0

    def counter(self, workers: int) -> Any:
        self._start(workers)
        return self._counter

    @contextlib.contextmanager
    def pool(self, workers: int) -> Iterator[ProcessPoolExecutor]:
        self._start(workers)
        assert self._pool is not None
        try:
            yield self._pool
        except BaseException:
            self.close()  # a broken or interrupted pool is not reused: the next check starts one
            raise

    def _start(self, workers: int) -> None:
        if self._pool is None or self._workers != workers:
            self.close()
            self._counter = multiprocessing.Value("Q", 0)
            self._pool = ProcessPoolExecutor(workers, initializer=_init_worker,
                                             initargs=(self._counter,))
            self._workers = workers

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self._pool = None


_shared: SharedWorkers | None = None


@contextlib.contextmanager
def shared_workers() -> Iterator[SharedWorkers]:
    """Parallel checks inside share one pool of workers (SharedWorkers)."""
    global _shared
    outer, _shared = _shared, SharedWorkers()
    try:
        yield _shared
    finally:
        _shared.close()
        _shared = outer


def check_path(path: str, settings: Settings, use_cache: bool = True,
               workers: int | None = None, with_tokens: bool = False,
               progress: Callable[[int, int], None] | None = None,
               anonymous: bool = False) -> LeanDocument:
    """Analyse a file on disk into a LeanDocument (raises NeedsFullRead for lone CRs).

    ``anonymous``: the file stands for standard input, so settings and rules see no path."""
    map_large_blocks()  # the columns grow in place instead of leaving holes in the heap
    named = None if anonymous else path  # the path settings and rules see
    settings = settings.for_path(named)
    size = os.path.getsize(path)
    cache_file = _cache_file(settings, path)
    cache = _load_cache(cache_file) if use_cache else None
    workers = workers or os.cpu_count() or 1
    # A warm cache makes analysis nearly free: one process then only reads and hashes.
    parallel = workers > 1 and size >= PARALLEL_MIN_BYTES and cache is None
    shared = _shared if parallel else None
    counter = (shared.counter(workers) if shared is not None
               else multiprocessing.Value("Q", 0) if progress else None)
    if shared is not None and counter is not None:
        with counter.get_lock():
            counter.value = 0
    columns = Columns()
    flagged = FlaggedLines()
    finished: dict[int, Future[LineResult]] = {}  # deferred lines finished while reading
    with open(path, "rb") as f:
        bom = f.read(3) == BOM_BYTES
    # The final segment, lines workers deferred, the doc.
    parent = Analyzer(settings, named)
    reused = (_from_cache(path, size, cache, parent, with_tokens)
              if cache is not None and cache.bom == bom else None)
    unchanged = False
    if reused is not None:
        columns, flagged, unchanged = reused
    elif parallel:
        # More ranges than workers: a worker holds one range's results at a time, not half
        # the file's (1M short lines: 774 MB in a worker with one range each).
        ranges = _split(path, size, max(workers, -(-size // _range_bytes(path))))
        # Workers never load tiktoken: they count the lines over the byte bound with the
        # compiled counter (about 10 MB), and defer here what it declines (or, for an encoding
        # without one, every such line), so tiktoken is loaded once, not once per worker. One
        # thread finishes them while the workers go on (tiktoken lets go of the GIL while it
        # encodes), in line order.
        with (shared.pool(workers) if shared is not None
              else ProcessPoolExecutor(min(workers, len(ranges)), initializer=_init_worker,
                                       initargs=(counter,))) as pool, \
                ThreadPoolExecutor(1) as finisher:
            job = (os.getpid(), next(_jobs))
            futures = deque(pool.submit(analyze_range, path, settings, a, b, None, with_tokens,
                                        True, anonymous, job) for a, b in ranges)
            # Ranges are joined in order as they finish, each dropped once copied.
            while futures:
                future = futures.popleft()
                while progress and counter is not None and not future.done():
                    wait([future], timeout=0.25)
                    progress(counter.value, size)
                chunk = future.result()
                base = len(columns)
                _join(columns, flagged, chunk)
                for i in chunk.flagged.deferred():
                    line = base + i
                    finished[line] = finisher.submit(
                        _finish_deferred, parent, path, columns.offsets[line],
                        columns.lengths[line])
                del future, chunk
    else:
        _report_to(counter)
        try:
            _join(columns, flagged, analyze_range(path, settings, 0, size, cache, with_tokens,
                                                  anonymous=anonymous))
        finally:
            _report_to(None)
    cache = None  # the old results are in the new columns now; free them before the rest
    if progress:
        progress(size, size)
    if not len(columns) or columns.endings[-1] != 0:
        # The segment after the final line end, as an editor shows it.
        columns.append(parent.analyze(""), size, 0, "", xxhash.xxh3_64_intdigest(b""))

    check = next(_checks)

    def load(line: int) -> str:
        reader = _reader(path, check)
        reader.seek(columns.offsets[line])
        return _decode(reader.read(columns.lengths[line]))

    for i in flagged.deferred():
        # Not through the cache: these are the file's longest lines, each kept there whole.
        done = finished.pop(i).result() if i in finished else parent.analyze_fresh(load(i))
        columns.set_result(i, done)
        flagged.resolve(i, done.problems)

    doc = LeanDocument(parent, named or "<stdin>", columns, flagged, load, bom, size)
    # A file whose problems outgrew memory is not cached: writing them would read them all
    # back at once.
    if use_cache and not unchanged and not flagged.distinct.spilled:
        _save_cache(cache_file, ResultsCache(columns, flagged, size, bom))
    return doc
