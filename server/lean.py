"""A checked file as columns: what ``tunelint check`` keeps of a file it only reads.

The editor's Document keeps a result object, an entry and dictionary slots per line because it
edits the file (about 1 KB a line in CPython). The command line reads once, so per line it keeps
only the facts dataset rules and the summary read, packed in arrays (about 83 bytes a line:
kind, format, message and image counts, size, tokens, offset, length, line end, and the four
8-byte duplicate keys); a line with problems adds 12 bytes and its problems, which lines that
share them share (FlaggedLines). Past SPILL_LINES lines the arrays go to disk (spill.py), so
what a check holds stops growing with the file. Dataset indexes (duplicate groups, prompts with
different targets) are computed once, when a rule asks for them, by sorting the keys as 64-bit
integers a partition of key values at a time.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import pickle
import sys
import tempfile
import weakref
from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO, TypeAlias

from tunelint import formats as fm
from tunelint.engine import (
    BLANK,
    INVALID,
    KEY_BYTES,
    OBJECT,
    Analyzer,
    LineResult,
    Summary,
    _at_line,
    _is_suppressed,
    build_summary,
    choose_dataset_format,
    place_problem,
    run_dataset_rule,
    stream_dataset_rule,
)
from tunelint.problems import Diagnostic, Problem
from tunelint.spill import PAGE, SpillArray

try:
    from tunelint import _fastline
except ImportError:  # built without a C compiler: the Python versions below
    _fastline = None

FORMAT_CODES: tuple[str | None, ...] = (None, *fm.FORMATS)
ENDING_CODES = ("", "\n", "\r\n", "\r")
NO_KEY = bytes(KEY_BYTES)
_SORT_KEY = Diagnostic.sort_key


# Lines past which the columns a check joins go to disk (spill.py): below, they take at most
# about 33 MB in memory.
SPILL_LINES = 400_000


class Columns:
    """Per-line facts in arrays, appended line by line (workers) and concatenated (parent).
    Once ``spill()`` ed, each is a SpillArray: on disk, read through a memory map."""

    # What a line's analysis says (the rest is where the line is: offset, length, end, hash).
    FACTS = ("kinds", "formats", "n_messages", "n_images", "sizes", "tokens")
    KEYS = ("exact", "norm", "prompt", "target")
    # Typecodes of the arrays; the keys are KEY_BYTES a line each (NO_KEY where the line has
    # none), in bytearrays.
    TYPECODES = {"kinds": "B", "formats": "B", "n_messages": "I", "n_images": "I", "sizes": "Q",
                 "tokens": "q", "endings": "B", "offsets": "Q", "lengths": "Q", "hashes": "Q"}

    def __init__(self) -> None:
        self.kinds: Any = array("B")
        self.formats: Any = array("B")
        self.n_messages: Any = array("I")
        self.n_images: Any = array("I")
        self.sizes: Any = array("Q")
        self.tokens: Any = array("q")  # -1: not counted
        self.endings: Any = array("B")
        self.offsets: Any = array("Q")
        self.lengths: Any = array("Q")
        self.hashes: Any = array("Q")  # xxh3-64 of the line's bytes (the results cache's key)
        self.exact: Any = bytearray()
        self.norm: Any = bytearray()
        self.prompt: Any = bytearray()
        self.target: Any = bytearray()

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def spilled(self) -> bool:
        return isinstance(self.kinds, SpillArray)

    def spill(self) -> None:
        """Move every column to disk (the file's pages are then the kernel's to keep or drop)."""
        if self.spilled:
            return
        for name, column in list(vars(self).items()):
            setattr(self, name, SpillArray(self.TYPECODES.get(name, "B"), column))
            del column

    def spill_if_over(self, lines: int) -> None:
        """Spill (while still empty, say) when the columns are to hold over SPILL_LINES lines."""
        if lines > SPILL_LINES:
            self.spill()

    def append(self, r: LineResult, offset: int, length: int, ending: str, line_hash: int
               ) -> None:
        self.kinds.append(r.kind)
        self.formats.append(FORMAT_CODES.index(r.format))
        self.n_messages.append(r.n_messages)
        self.n_images.append(r.n_images)
        self.sizes.append(r.size)
        self.tokens.append(-1 if r.tokens is None else r.tokens)
        self._place(offset, length, ending, line_hash)
        self.exact += r.exact_key or NO_KEY
        self.norm += r.norm_key or NO_KEY
        self.prompt += r.prompt_key or NO_KEY
        self.target += r.target_key or NO_KEY

    def append_row(self, src: Columns, row: int, offset: int, length: int, ending: str,
                   line_hash: int) -> None:
        """Append row ``row`` of ``src`` (the same line, found in a cache), at a new place."""
        for name in self.FACTS:
            getattr(self, name).append(getattr(src, name)[row])
        self._place(offset, length, ending, line_hash)
        at = slice(row * KEY_BYTES, (row + 1) * KEY_BYTES)
        for name in self.KEYS:
            getattr(self, name).extend(getattr(src, name)[at])

    def _place(self, offset: int, length: int, ending: str, line_hash: int) -> None:
        self.endings.append(ENDING_CODES.index(ending))
        self.offsets.append(offset)
        self.lengths.append(length)
        self.hashes.append(line_hash)

    def result(self, i: int) -> LineResult:
        """Line i's facts as a LineResult (without problems: those are kept apart)."""
        return LineResult(kind=self.kinds[i], format=FORMAT_CODES[self.formats[i]],
                          exact_key=self.key("exact", i), norm_key=self.key("norm", i),
                          prompt_key=self.key("prompt", i), target_key=self.key("target", i),
                          n_messages=self.n_messages[i], n_images=self.n_images[i],
                          size=self.sizes[i],
                          tokens=None if self.tokens[i] < 0 else self.tokens[i])

    def extend(self, other: Columns) -> None:
        for name, value in vars(other).items():
            getattr(self, name).extend(value)
        self.spill_if_over(len(self))

    def set_result(self, i: int, r: LineResult) -> None:
        """Replace line i's facts (a line finished by the parent)."""
        self.kinds[i] = r.kind
        self.formats[i] = FORMAT_CODES.index(r.format)
        self.n_messages[i] = r.n_messages
        self.n_images[i] = r.n_images
        self.sizes[i] = r.size
        self.tokens[i] = -1 if r.tokens is None else r.tokens
        at = slice(i * KEY_BYTES, (i + 1) * KEY_BYTES)
        self.exact[at] = r.exact_key or NO_KEY
        self.norm[at] = r.norm_key or NO_KEY
        self.prompt[at] = r.prompt_key or NO_KEY
        self.target[at] = r.target_key or NO_KEY

    def key(self, which: str, i: int) -> bytes | None:
        column = getattr(self, which)
        at, end = i * KEY_BYTES, (i + 1) * KEY_BYTES
        k = column.bytes_of(at, end) if isinstance(column, SpillArray) else bytes(column[at:end])
        return None if k == NO_KEY else k


_PROBLEM_FIELDS = tuple(f.name for f in dataclasses.fields(Problem))


def _problems_key(problems: tuple[Problem, ...]) -> Hashable | None:
    """A hashable value equal for equal problem tuples, or None for one that has none."""
    try:
        key = tuple(
            tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v
                  for v in (getattr(p, name) for name in _PROBLEM_FIELDS))
            for p in problems)
        hash(key)
    except TypeError:  # data that cannot be sorted or hashed: kept apart, never shared
        return None
    return key


# Distinct problem tuples kept in memory; later ones are pickled to a temporary file.
DISTINCT_IN_MEMORY = 20_000


class ProblemTable:
    """Distinct problem tuples by index: the first DISTINCT_IN_MEMORY in memory, later ones
    pickled to a temporary file. A file whose lines each have problems of their own (a
    different misspelt role on each) would otherwise keep about 1 KB a line."""

    def __init__(self) -> None:
        self._kept: list[tuple[Problem, ...]] = [()]
        self._file: BinaryIO | None = None
        self._starts = array("Q")  # of each spilled entry in the file
        self._end = 0

    def __len__(self) -> int:
        return len(self._kept) + len(self._starts)

    @property
    def spilled(self) -> bool:
        return bool(self._starts)

    def kept(self) -> list[tuple[Problem, ...]]:
        return self._kept

    def append(self, problems: tuple[Problem, ...]) -> int:
        if not self._starts and len(self._kept) < DISTINCT_IN_MEMORY:
            self._kept.append(problems)
        else:
            self._append_blob(pickle.dumps(problems, pickle.HIGHEST_PROTOCOL))
        return len(self) - 1

    def _append_blob(self, blob: bytes) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the finalizer
            weakref.finalize(self, self._file.close)
        self._file.seek(self._end)
        self._file.write(blob)
        self._starts.append(self._end)
        self._end += len(blob)

    def _blob(self, k: int) -> bytes:
        assert self._file is not None
        start = self._starts[k]
        stop = self._starts[k + 1] if k + 1 < len(self._starts) else self._end
        self._file.seek(start)
        return self._file.read(stop - start)

    def __getitem__(self, i: int) -> tuple[Problem, ...]:
        if i < len(self._kept):
            return self._kept[i]
        problems: tuple[Problem, ...] = pickle.loads(self._blob(i - len(self._kept)))
        return problems

    def copy_from(self, other: ProblemTable, i: int) -> int | None:
        """Append ``other[i]`` if ``other`` spilled it and we spill too, as its pickled bytes
        (a worker's tuples reach the parent without being rebuilt); None otherwise."""
        k = i - len(other._kept)
        if k < 0 or not (self._starts or len(self._kept) >= DISTINCT_IN_MEMORY):
            return None
        self._append_blob(other._blob(k))
        return len(self) - 1

    def __getstate__(self) -> tuple[list[tuple[Problem, ...]], array, bytes]:
        spilled = b""
        if self._file is not None:
            self._file.seek(0)
            spilled = self._file.read(self._end)
        return self._kept, self._starts, spilled  # the file's bytes as one object, not many

    def __setstate__(self, state: tuple[list[tuple[Problem, ...]], array, bytes]) -> None:
        self.__init__()  # type: ignore[misc]
        self._kept, starts, spilled = state
        if starts:
            self._append_blob(spilled)
            self._starts = starts


class FlaggedLines:
    """The problems of the lines that have any, in line order: per line its number and an index
    into the distinct problem tuples (a ProblemTable). Lines share equal tuples, so a file whose
    every line has the same problem (a legacy dataset, a weight written 1.0) keeps that problem
    once and 12 bytes a line, where a result object a line took about 1 KB."""

    DEFERRED = 0  # distinct[0]: a line a worker left for the parent (it needs exact tokens)

    def __init__(self) -> None:
        self.lines: Any = array("Q")  # increasing
        self.which: Any = array("I")  # index into distinct, per line
        self._lookups = 0
        self.distinct = ProblemTable()
        self._ids: dict[Hashable, int] = {}  # key of a tuple kept in memory -> its index

    def __getstate__(self) -> tuple[array, array, ProblemTable]:
        # The intern table is rebuilt on demand. Spilled lines (only a parent's, which does not
        # pickle them: the results cache writes them raw) would come back into memory.
        if isinstance(self.lines, SpillArray):
            return self.lines[:], self.which[:], self.distinct
        return self.lines, self.which, self.distinct

    def __setstate__(self, state: tuple[array, array, ProblemTable]) -> None:
        self.lines, self.which, self.distinct = state
        self._ids = {}
        self._lookups = 0
        for i, problems in enumerate(self.distinct.kept()[1:], 1):
            key = _problems_key(problems)
            if key is not None:
                self._ids.setdefault(key, i)

    def __len__(self) -> int:
        return len(self.lines)

    def emptied(self) -> FlaggedLines:
        """No lines, and our distinct problems (``add_shared`` takes our indexes; the table is
        shared, and only ever appended to)."""
        other = FlaggedLines()
        other.distinct = self.distinct
        other._ids = dict(self._ids)
        return other

    def intern(self, problems: tuple[Problem, ...]) -> int:
        key = _problems_key(problems)
        found = self._ids.get(key) if key is not None else None
        if found is None:
            found = self.distinct.append(problems)
            if key is not None and found < len(self.distinct.kept()):
                self._ids[key] = found
        return found

    def add(self, line: int, problems: tuple[Problem, ...], deferred: bool = False) -> int:
        """Record line ``line`` (after every line recorded so far); returns its index into
        ``distinct``, which ``add_shared`` takes for a repeat of the same line."""
        which = self.DEFERRED if deferred else self.intern(problems)
        self.add_shared(line, which)
        return which

    def add_shared(self, line: int, which: int) -> None:
        self.lines.append(line)
        self.which.append(which)

    def _position(self, line: int) -> int | None:
        k = bisect.bisect_left(self._line_numbers(), line)
        return k if k < len(self.lines) and self.lines[k] == line else None

    def get(self, line: int) -> tuple[Problem, ...] | None:
        """Line ``line``'s problems; None for a line without any (or still deferred)."""
        k = self._position(line)
        if k is None or self.which[k] == self.DEFERRED:
            return None
        return self.distinct[self.which[k]] or None

    def items(self) -> Iterator[tuple[int, tuple[Problem, ...]]]:
        """(line, problems) in line order, for the lines that have problems."""
        distinct = self.distinct
        for line, which in zip(self.lines, self.which):
            if which != self.DEFERRED:
                problems = distinct[which]
                if problems:
                    yield line, problems

    def deferred(self) -> list[int]:
        return [line for line, which in zip(self.lines, self.which) if which == self.DEFERRED]

    def resolve(self, line: int, problems: tuple[Problem, ...]) -> None:
        """A deferred line's problems, now known (none: the line is skipped from then on)."""
        k = self._position(line)
        if k is None:
            raise KeyError(line)
        self.which[k] = self.intern(problems)

    def extend(self, other: FlaggedLines, base: int = 0) -> None:
        """Append ``other``'s lines, moved down by ``base`` lines (they follow ours)."""
        ids = [self.DEFERRED]
        for k in range(1, len(other.distinct)):
            copied = self.distinct.copy_from(other.distinct, k)
            ids.append(copied if copied is not None else self.intern(other.distinct[k]))
        self.lines.extend(line + base for line in other.lines)
        self.which.extend(ids[w] for w in other.which)
        self.spill_if_over(len(self.lines))

    @property
    def spilled(self) -> bool:
        return isinstance(self.lines, SpillArray)

    def spill_if_over(self, lines: int) -> None:
        """Move the lines to disk (spill.py) when there are to be over SPILL_LINES of them."""
        if lines > SPILL_LINES and not isinstance(self.lines, SpillArray):
            self.lines = SpillArray("Q", self.lines)
            self.which = SpillArray("I", self.which)

    def _line_numbers(self) -> Any:
        """The line numbers, for bisection in C."""
        if isinstance(self.lines, SpillArray):
            self._lookups += 1
            if not self._lookups & 255:
                self.lines.touched(256 * 4 * PAGE)  # a bisection reads a few pages
            return self.lines.values()
        return self.lines

    def moved(self, lines: range, shift: int) -> Iterator[tuple[int, int]]:
        """(line + shift, which) of our lines inside ``lines``, in order."""
        numbers = self._line_numbers()
        lo = bisect.bisect_left(numbers, lines.start)
        hi = bisect.bisect_left(numbers, lines.stop)
        del numbers
        for k in range(lo, hi):
            yield self.lines[k] + shift, self.which[k]


# A key column is sorted a partition of key values at a time: sorting makes every key a Python
# int (about 56 bytes with its list slot), which for all of a 3M-line file's keys at once was the
# largest thing check held. A partition holds about PARTITION_LINES keyed lines at most (there
# are 16 at least); on disk when the column is.
PARTITION_LINES = 1 << 18
_MIN_PARTITIONS = 16
# Each partition on disk is two open files, and all are filled at once: a cap keeps them well
# under a process's usual 1,024 descriptors (a partition then passes PARTITION_LINES only
# beyond 67M lines).
_MAX_PARTITIONS = 256
# Keys read at a time: from the column while partitioning, from each partition's findings when
# their streams are merged into line order.
_CHUNK_KEYS = 1 << 16
_MERGE_ITEMS = 1 << 12

_NO_KEY_VALUE = int.from_bytes(NO_KEY, "little")

UIntArray: TypeAlias = "array[int] | SpillArray"  # of typecode "Q"


KeyColumn: TypeAlias = "bytearray | array[int] | SpillArray"  # 8 bytes a line


def _key_count(keys: KeyColumn) -> int:
    return len(keys) * getattr(keys, "itemsize", 1) // KEY_BYTES  # a bytearray's items: bytes


def _key_pieces(keys: KeyColumn) -> Iterator[memoryview]:
    """A key column's bytes, a chunk of keys at a time (pages let go after each when spilled)."""
    step = _CHUNK_KEYS * KEY_BYTES
    if isinstance(keys, SpillArray):
        yield from keys.pieces(step // keys.itemsize)
        return
    flat = memoryview(keys).cast("B")
    for start in range(0, len(flat), step):
        yield flat[start:start + step]


def _items(values: UIntArray) -> Iterator[int]:
    if isinstance(values, SpillArray):
        for chunk in values.chunks(_MERGE_ITEMS):
            yield from chunk
    else:
        yield from values


# Three steps of the indexes, in Python; the compiled versions (_fastline.c) are used when built
# and give the same results (tests/test_batch.py compares them).

def partition_keys_py(piece: Any, first_line: int, no_key: int, key_outs: list[bytearray],
                      line_outs: list[bytearray]) -> None:
    """Append each key of ``piece`` but ``no_key``, with its line, to its partition's
    bytearrays: partition ``key * len(key_outs) >> 64`` (increasing with the key)."""
    count = len(key_outs)
    values = array("Q")
    values.frombytes(piece)
    keys, lines = [array("Q") for _ in range(count)], [array("Q") for _ in range(count)]
    for i, v in enumerate(values, first_line):
        if v != no_key:
            k = v * count >> 64
            keys[k].append(v)
            lines[k].append(i)
    for k in range(count):
        key_outs[k] += keys[k].tobytes()
        line_outs[k] += lines[k].tobytes()


def sort_pairs_py(keys: array, lines: array) -> None:
    """Sort the pairs (keys[i], lines[i]) in place by key, then line."""
    order = sorted(range(len(keys)), key=lambda i: (keys[i], lines[i]))
    keys[:] = array("Q", [keys[i] for i in order])
    lines[:] = array("Q", [lines[i] for i in order])


def group_sorted_py(keys: array, lines: array, repeats: bool) -> tuple[bytes, bytes]:
    """Of sorted pairs: (lines not the first with their key, those first lines) if ``repeats``,
    else (each distinct key, its first line)."""
    left, right = array("Q"), array("Q")
    previous, first = None, 0
    for key, line in zip(keys, lines):
        same = key == previous
        if not same:
            previous, first = key, line
        if repeats and same:
            left.append(line)
            right.append(first)
        elif not repeats and not same:
            left.append(key)
            right.append(line)
    return left.tobytes(), right.tobytes()


_partition_keys = partition_keys_py if _fastline is None else _fastline.partition_keys
_sort_pairs = sort_pairs_py if _fastline is None else _fastline.sort_pairs
_group_sorted = group_sorted_py if _fastline is None else _fastline.group_sorted


def _arrays(on_disk: bool) -> tuple[UIntArray, UIntArray]:
    return (SpillArray("Q"), SpillArray("Q")) if on_disk else (array("Q"), array("Q"))


def _key_partitions(keys: KeyColumn) -> Iterator[tuple[array, array]]:
    """(keys, lines) of the lines with a key, split by key range into partitions given in key
    order, each in line order, one in memory at a time (on disk before, when the column is)."""
    n = _key_count(keys)
    count = min(_MAX_PARTITIONS, max(_MIN_PARTITIONS, -(-n // PARTITION_LINES)))
    key_outs = [bytearray() for _ in range(count)]
    line_outs = [bytearray() for _ in range(count)]
    # On disk, each partition's bytes are written out once they pass a share of a chunk.
    stored = [_arrays(True) for _ in range(count)] if isinstance(keys, SpillArray) else None
    line = 0
    for piece in _key_pieces(keys):
        _partition_keys(piece, line, _NO_KEY_VALUE, key_outs, line_outs)
        line += len(piece) // KEY_BYTES
        if stored is not None:
            _flush(key_outs, line_outs, stored, _CHUNK_KEYS * KEY_BYTES // count)
    if stored is not None:
        _flush(key_outs, line_outs, stored, 0)
    for k in range(count):
        part_keys, part_lines = array("Q"), array("Q")
        if stored is not None:
            part_keys, part_lines = stored[k][0][:], stored[k][1][:]
            stored[k] = _arrays(True)
        else:
            part_keys.frombytes(key_outs[k])
            part_lines.frombytes(line_outs[k])
            key_outs[k], line_outs[k] = bytearray(), bytearray()
        yield part_keys, part_lines


def _flush(key_outs: list[bytearray], line_outs: list[bytearray],
           stored: list[tuple[SpillArray, SpillArray]], at_least: int) -> None:
    for keys, lines, (to_keys, to_lines) in zip(key_outs, line_outs, stored):
        if len(keys) > at_least:
            to_keys.frombytes(keys)
            to_lines.frombytes(lines)
            del keys[:], lines[:]


class KeyRepeats:
    """The lines that are not the first with their key, each with that first line: per
    partition of keys, two arrays in line order (on disk when the column is), merged into line
    order when read. 16 bytes a repeated line; while it is built, one partition's keys in
    memory."""

    def __init__(self, keys: KeyColumn) -> None:
        self.parts: list[tuple[UIntArray, UIntArray]] = []
        for part_keys, part_lines in _key_partitions(keys):
            _sort_pairs(part_keys, part_lines)
            repeat_bytes, first_bytes = _group_sorted(part_keys, part_lines, True)
            del part_keys, part_lines
            if not repeat_bytes:
                continue
            repeats, firsts = array("Q"), array("Q")
            repeats.frombytes(repeat_bytes)
            firsts.frombytes(first_bytes)
            _sort_pairs(repeats, firsts)  # into line order
            if isinstance(keys, SpillArray):
                self.parts.append((SpillArray("Q", repeats), SpillArray("Q", firsts)))
            else:
                self.parts.append((repeats, firsts))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        """(line, first line with its key), in line order."""
        return heapq.merge(*(zip(_items(lines), _items(firsts)) for lines, firsts in self.parts))


class FirstLines:
    """A key column's distinct keys, sorted, each with the first line that has it (16 bytes a
    distinct key; on disk when the column is): which line first has a key, by bisection."""

    def __init__(self, keys: KeyColumn) -> None:
        self.keys, self.lines = _arrays(isinstance(keys, SpillArray))
        for part_keys, part_lines in _key_partitions(keys):
            _sort_pairs(part_keys, part_lines)
            distinct, firsts = _group_sorted(part_keys, part_lines, False)
            self.keys.frombytes(distinct)
            self.lines.frombytes(firsts)
        # Searched in C (the keys do not grow from here on).
        self._sorted: Any = (self.keys.values() if isinstance(self.keys, SpillArray)
                             else self.keys)
        self._lookups = 0

    def first_line(self, key: bytes) -> int | None:
        return self.first_line_of(int.from_bytes(key, sys.byteorder))  # as a memoryview reads it

    def first_line_of(self, value: int) -> int | None:
        """The first line whose key, as a 64-bit integer, is ``value``."""
        keys = self._sorted
        k = bisect.bisect_left(keys, value)
        found = int(self.lines[k]) if k < len(keys) and keys[k] == value else None
        self._lookups += 1
        if not self._lookups & 255 and isinstance(self.keys, SpillArray):
            self.keys.touched(256 * 4 * PAGE)  # a bisection reads a few pages
        return found


class LeanDocument:
    """A file checked by ``tunelint check``: columns, full results for flagged lines only, and
    line text read back from the file on demand. Implements the DatasetView rules read."""

    def __init__(self, analyzer: Analyzer, path: str, columns: Columns,
                 flagged: FlaggedLines, loader: Callable[[int], str], bom: bool,
                 file_size: int) -> None:
        self.analyzer = analyzer
        self.run = analyzer.run
        self.path: str | None = path
        self.columns = columns
        self.flagged = flagged
        self._loader = loader
        self._last_line: tuple[int, str] = (-1, "")
        self.bom = bom
        self.file_size = file_size
        self.counterpart: Any = None  # a LeanDocument or Document (the validation file)
        self._memo: dict[str, Any] = {}

    # -- lines ---------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self.columns)

    @property
    def example_count(self) -> int:
        return self._count("examples", lambda: self.columns.kinds.count(OBJECT))

    @property
    def byte_size(self) -> int:
        return self.file_size

    def line_text(self, line: int) -> str:
        # A line is asked for twice in a row: to place its findings, then to print them.
        last, text = self._last_line
        if last != line:
            text = self._loader(line)
            self._last_line = (line, text)
        return text

    def line_ending(self, line: int) -> str:
        return ENDING_CODES[self.columns.endings[line]]

    def line_kind(self, line: int) -> int:
        return self.columns.kinds[line]

    def line_keys(self, line: int) -> tuple[bytes | None, bytes | None]:
        return self.columns.key("exact", line), self.columns.key("target", line)

    def line_result(self, line: int) -> LineResult:
        """Line ``line``'s result (rebuilt from the columns for a line without problems)."""
        r = self.columns.result(line)
        r.problems = self.flagged.get(line) or ()
        return r

    def has_bom(self) -> bool:
        return self.bom

    def counterpart_path(self) -> str | None:
        return self.counterpart.path if self.counterpart is not None else None

    def is_last_line(self, line: int) -> bool:
        return line == self.line_count - 1

    # -- dataset indexes -----------------------------------------------------------------

    def _count(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def _examples_of_format(self) -> Iterator[tuple[int, int]]:
        """(line, format code) of each example with a format."""
        kinds, formats = self.columns.kinds, self.columns.formats
        return ((i, f) for i, (k, f) in enumerate(zip(kinds, formats)) if k == OBJECT and f)

    def _of_examples(self, name: str) -> Counter[int]:
        """How many examples (object lines) have each value of a column, a chunk of lines at a
        time: a chunk of examples only is counted in C."""
        counts: Counter[int] = Counter()
        c = self.columns
        column = getattr(c, name)
        if c.spilled:
            chunks: Iterable[tuple[list[int], list[int]]] = zip(c.kinds.chunks(), column.chunks())
        else:
            step = _CHUNK_KEYS
            chunks = ((c.kinds[i:i + step].tolist(), column[i:i + step].tolist())
                      for i in range(0, len(c), step))
        for kinds, values in chunks:
            if kinds.count(OBJECT) == len(kinds):
                counts.update(values)
            else:
                counts.update(v for k, v in zip(kinds, values) if k == OBJECT)
        return counts

    def format_counts(self) -> Mapping[str, int]:
        def compute() -> dict[str, int]:
            counts = self._of_examples("formats")
            return {FORMAT_CODES[f] or "": n for f, n in counts.items() if f}
        result: dict[str, int] = self._count("formats", compute)
        return result

    def dataset_format(self) -> str | None:
        return choose_dataset_format(self.run.settings.format, self.format_counts(),
                                     lambda f: next(self.lines_of_format(f)))

    def lines_of_format(self, fmt: str) -> Iterator[int]:
        code = FORMAT_CODES.index(fmt)
        return (i for i, f in self._examples_of_format() if f == code)

    def key_repeats(self, kind: str) -> Iterator[tuple[int, int]]:
        column = {"exact": "exact", "normalized": "norm", "prompt": "prompt"}[kind]
        found: KeyRepeats = self._count(
            f"repeats-{column}", lambda: KeyRepeats(getattr(self.columns, column)))
        return iter(found)

    def target_variety(self) -> tuple[int, int]:
        """(distinct targets, examples with a target)."""
        def compute() -> tuple[int, int]:
            distinct = total = 0
            for part_keys, part_lines in _key_partitions(self.columns.target):
                _sort_pairs(part_keys, part_lines)
                distinct += len(_group_sorted(part_keys, part_lines, False)[0]) // KEY_BYTES
                total += len(part_keys)
            return distinct, total
        variety: tuple[int, int] = self._count("targets", compute)
        return variety

    def image_example_count(self) -> int:
        def compute() -> int:
            if self.columns.n_images.count(0) == len(self.columns):
                return 0  # no line has an image (most files): one count in C
            return sum(n for images, n in self._of_examples("n_images").items() if images)
        count: int = self._count("images", compute)
        return count

    def invalid_line_count(self) -> int:
        count: int = self._count("invalid", lambda: self.columns.kinds.count(INVALID))
        return count

    def first_invalid_lines(self, limit: int) -> list[int]:
        out = []
        for i, k in enumerate(self.columns.kinds):
            if k == INVALID:
                out.append(i)
                if len(out) >= limit:
                    break
        return out

    def counterpart_overlap(self) -> Iterator[tuple[int, int]]:
        other = self.counterpart
        if other is None:
            return
        for i in range(self.line_count):
            key = self.columns.key("exact", i)
            if key is not None:
                first_other = other.first_line_of_exact_key(key)
                if first_other is not None:
                    yield i, first_other

    def first_line_of_exact_key(self, key: bytes) -> int | None:
        # The keys sorted, each with its first line, in two arrays (16 bytes a line; a dict
        # took about 100), searched by bisection.
        index: FirstLines = self._count("exact-index", lambda: FirstLines(self.columns.exact))
        return index.first_line(key)

    # -- diagnostics and summary ---------------------------------------------------------

    def diagnostics(self) -> list[Diagnostic]:
        return list(self.iter_diagnostics())

    def iter_diagnostics(self) -> Iterator[Diagnostic]:
        """The diagnostics in order, each line's placed as it comes (a file with a problem on
        every line would otherwise hold millions at once)."""
        last = self.line_count - 1
        found: list[Diagnostic] = []
        suppressed: list[tuple[int, int]] = []
        streams: list[Iterator[Diagnostic]] = [self._line_diagnostics(last)]
        for active in self.analyzer.rules.dataset:
            if active.rule.in_line_order:
                streams.append(stream_dataset_rule(self, active, last))
                continue
            shown, hidden = run_dataset_rule(self, active, last)
            found.extend(shown)
            suppressed.extend(hidden)
        found.sort(key=_SORT_KEY)
        merged = heapq.merge(*streams, found, key=_SORT_KEY)
        if suppressed:
            return (d for d in merged if not _is_suppressed(d, suppressed))
        return merged

    def _line_diagnostics(self, last: int) -> Iterator[Diagnostic]:
        for line, problems in self.flagged.items():
            if line == last and self.columns.kinds[line] == BLANK:
                continue
            text = self.line_text(line)
            placed = [_at_line(place_problem(self, text, p, 0), line) for p in problems]
            placed.sort(key=_SORT_KEY)
            yield from placed

    def token_histogram(self, count: Callable[[list[tuple[LineResult, str]]], None] | None
                        ) -> Counter[int]:
        """Token totals -> examples; examples not counted yet are counted with ``count`` (if
        given; else left out)."""
        hist: Counter[int] = Counter()
        todo: list[tuple[int, LineResult, str]] = []
        for i, _ in self._examples_of_format():
            n = self.columns.tokens[i]
            if n >= 0:
                hist[n] += 1
            elif count is not None:
                todo.append((i, self.line_result(i), self.line_text(i)))
        if todo and count is not None:
            count([(r, text) for _, r, text in todo])
            for i, r, _ in todo:
                if r.tokens is not None:
                    self.columns.tokens[i] = r.tokens
                    hist[r.tokens] += 1
        return hist

    def token_stats(self, num_threads: int = 2) -> dict[str, Any]:
        from tunelint.stats import token_stats

        return token_stats(self, num_threads=num_threads)

    def summary(self, with_tokens: bool = False, diagnostics: Iterable[Diagnostic] | None = None
                ) -> Summary:
        c = self.columns
        n = self.line_count
        return build_summary(
            self, self.diagnostics() if diagnostics is None else diagnostics, with_tokens,
            lines=n - (1 if n > 1 and c.kinds[-1] == BLANK else 0),
            examples=self.example_count, images=self.image_example_count(),
            message_counts=self._of_examples("n_messages"))

