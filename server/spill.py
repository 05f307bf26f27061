"""Arrays kept on disk: the columns of a file too large for them to stay in memory.

``tunelint check`` keeps some 83 bytes a line of columns (lean.py). A file of 3M short lines
(555 MB) then held 250 MB of them, and the process passed 300 MB. A ``SpillArray`` is an
``array.array`` whose items live in an unlinked temporary file (``spill_directory``: the
temporary directory, unless that is kept in memory), read and written through a memory map;
the pages all spill arrays touched are let go of (``MADV_DONTNEED``) after every few MB written
or read, so they count as the file system's cache, which the kernel writes back and drops as it
needs, not as the process's memory. Reading an item costs a memory access (a page fault at
worst), not a system call.

It has the parts of the ``array`` interface the check uses; passes over it (iteration,
``count``, ``index``, comparison, ``tofile``) go a chunk at a time. ``values()`` gives a
memoryview of the items for fast reads by C code (sorting by key); it must be let go of (or
``release()`` d) before the array grows again.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import mmap
import os
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

# Items a pass handles at a time, and how many bytes all spill arrays together may have written
# or read (an item read alone counts as the page it is on) between two lettings go of the pages
# of every array touched: a budget for all, since a sort may fill hundreds of them at once.
CHUNK_ITEMS = 1 << 16
RELEASE_BYTES = 8 << 20
_FIRST_BYTES = 1 << 20
PAGE = mmap.PAGESIZE

# The arrays touched since the last release, by id (they compare by contents).
_touched: dict[int, weakref.ref[SpillArray]] = {}
_touched_bytes = 0


def _note(array_: SpillArray, n_bytes: int) -> None:
    global _touched_bytes
    ref = _touched.get(id(array_))
    if ref is None or ref() is not array_:  # an id is reused once its array is gone
        _touched[id(array_)] = weakref.ref(array_)
    _touched_bytes += n_bytes
    if _touched_bytes >= RELEASE_BYTES:
        release_all()


def release_all() -> None:
    """Let go of the pages of every spill array touched since the last time."""
    global _touched_bytes
    for ref in list(_touched.values()):
        touched = ref()
        if touched is not None:
            touched.release()
    _touched.clear()
    _touched_bytes = 0


_MEMORY_FILE_SYSTEMS = frozenset({"tmpfs", "ramfs"})


def _file_system(path: str, mounts: str = "/proc/mounts") -> str | None:
    """The type of the file system ``path`` is on (Linux; None where it cannot be told)."""
    try:
        with open(mounts, encoding="utf-8", errors="replace") as f:
            table = [line.split()[1:3] for line in f if len(line.split()) > 2]
    except OSError:
        return None
    real = os.path.realpath(path)
    best: tuple[int, str] | None = None
    for mount_point, kind in table:
        mount_point = mount_point.replace("\\040", " ")
        inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), kind)
    return best[1] if best else None


@functools.cache
def spill_directory() -> str | None:
    """Where spill files go: the temporary directory, unless it is kept in memory (a tmpfs
    ``/tmp``, as some systems mount it, would hold the pages in memory after all), then
    ``/var/tmp`` if that is on disk. ``TUNELINT_SPILL_DIR`` decides, when set."""
    chosen = os.environ.get("TUNELINT_SPILL_DIR")
    if chosen:
        return chosen
    default = tempfile.gettempdir()
    if _file_system(default) in _MEMORY_FILE_SYSTEMS:
        for other in ("/var/tmp",):
            if os.path.isdir(other) and os.access(other, os.W_OK) and (
                    _file_system(other) not in _MEMORY_FILE_SYSTEMS):
                return other
    return None  # tempfile's own choice


def _close(map_: list[mmap.mmap | None], file: BinaryIO) -> None:
    if map_[0] is not None:
        with contextlib.suppress(BufferError):  # a view still alive: the map goes with it
            map_[0].close()
    file.close()


class SpillArray:
    """An ``array.array`` of ``typecode`` items kept in a temporary file (module doc)."""

    def __init__(self, typecode: str, values: Iterable[Any] = ()) -> None:
        self.typecode = typecode
        self.itemsize = array(typecode).itemsize
        self._file: BinaryIO = tempfile.TemporaryFile(  # noqa: SIM115 - closed by finalize
            dir=spill_directory())
        self._map_box: list[mmap.mmap | None] = [None]  # shared with the finalizer
        self._view: memoryview | None = None
        self._len = 0
        self._cap = 0
        self._reads = 0
        weakref.finalize(self, _close, self._map_box, self._file)
        self.extend(values)

    # -- growing -----------------------------------------------------------------------------

    def _reserve(self, n: int) -> None:
        if n <= self._cap:
            return
        cap = max(n, 2 * self._cap, _FIRST_BYTES // self.itemsize)
        if self._view is not None:
            self._view.release()
            self._view = None
        size = cap * self.itemsize
        mapped = self._map_box[0]
        if mapped is None:
            self._file.truncate(size)
            mapped = self._map_box[0] = mmap.mmap(self._file.fileno(), size)
        else:
            try:
                mapped.resize(size)
            finally:  # a view from values() still alive refuses the resize: keep ours
                self._view = self._typed(mapped)
        if self._view is None:
            self._view = self._typed(mapped)
        self._cap = cap

    def _typed(self, buffer: Any) -> memoryview:
        typed: memoryview = memoryview(buffer).cast(self.typecode)  # type: ignore[call-overload]
        return typed

    def touched(self, n_bytes: int) -> None:
        """Count bytes written or read (through ``values()`` too) against the budget."""
        _note(self, n_bytes)

    def release(self) -> None:
        """Let go of the pages (the file keeps their contents)."""
        if self._map_box[0] is not None and hasattr(mmap, "MADV_DONTNEED"):
            self._map_box[0].madvise(mmap.MADV_DONTNEED)

    def append(self, value: Any) -> None:
        self._reserve(self._len + 1)
        assert self._view is not None
        self._view[self._len] = value
        self._len += 1
        self.touched(self.itemsize)

    def frombytes(self, data: Any) -> None:
        raw = memoryview(data).cast("B")
        if len(raw) % self.itemsize:
            raise ValueError("bytes length not a multiple of item size")
        n = len(raw) // self.itemsize
        if not n:
            return
        self._reserve(self._len + n)
        start = self._len * self.itemsize
        mapped = self._map_box[0]
        assert mapped is not None
        mapped[start:start + len(raw)] = raw
        self._len += n
        self.touched(len(raw))

    def extend(self, values: Iterable[Any]) -> None:
        if isinstance(values, (array, SpillArray)) and values.typecode != self.typecode:
            raise TypeError("array item type differs")
        if isinstance(values, (array, bytes, bytearray, memoryview)):
            self.frombytes(values)
        elif isinstance(values, SpillArray):
            for piece in values.pieces():
                self.frombytes(piece)
        else:
            items = iter(values)
            while batch := array(self.typecode, itertools.islice(items, CHUNK_ITEMS)):
                self.frombytes(batch)

    def __iadd__(self, values: Iterable[Any]) -> SpillArray:
        self.extend(values)
        return self

    def fromfile(self, f: BinaryIO, n: int) -> None:
        """Read ``n`` items from a binary file (EOFError if it has fewer)."""
        left = n * self.itemsize
        while left:
            data = f.read(min(left, CHUNK_ITEMS * self.itemsize))
            if not data:
                raise EOFError("read() didn't return enough bytes")
            self.frombytes(data)
            left -= len(data)

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    def _index(self, i: int) -> int:
        n = self._len
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("array index out of range")
        return i

    def __getitem__(self, i: Any) -> Any:
        # The common case first: one item, counted against the budget 64 reads at a time.
        if type(i) is int and 0 <= i < self._len:
            self._reads += 1
            if not self._reads & 63:
                _note(self, 64 * PAGE)
            return self._view[i]  # type: ignore[index]
        if isinstance(i, slice):
            start, stop, step = i.indices(self._len)
            out = array(self.typecode)
            if self._view is not None and stop > start:
                out.frombytes(self._view[start:stop].tobytes())
                _note(self, (stop - start) * self.itemsize)
            return out if step == 1 else out[::step]
        k = self._index(i)
        assert self._view is not None
        _note(self, PAGE)
        return self._view[k]

    def bytes_of(self, start: int, stop: int) -> bytes:
        """The bytes of items [start, stop) (within the array), as the map slices them."""
        mapped = self._map_box[0]
        if mapped is None or not 0 <= start <= stop <= self._len:
            raise IndexError("array index out of range")
        self._reads += 1
        if not self._reads & 63:
            _note(self, 64 * PAGE)
        return mapped[start * self.itemsize:stop * self.itemsize]

    def __setitem__(self, i: Any, value: Any) -> None:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._len)
            if step != 1:
                raise ValueError("only contiguous slices can be assigned")
            self._splice(start, max(start, stop), value)
            return
        k = self._index(i)
        assert self._view is not None
        self._view[k] = value

    def _splice(self, start: int, stop: int, values: Any) -> None:
        """Replace items [start, stop) with ``values`` (as many or not), moving the tail."""
        if isinstance(values, (array, SpillArray)) and values.typecode != self.typecode:
            raise TypeError("array item type differs")
        raw = values.tobytes() if isinstance(values, SpillArray) else memoryview(values).cast("B")
        if len(raw) % self.itemsize:
            raise ValueError("bytes length not a multiple of item size")
        n = len(raw) // self.itemsize
        delta = n - (stop - start)
        self._reserve(self._len + max(delta, 0))
        mapped = self._map_box[0]
        if mapped is None:  # nothing stored and nothing to store
            return
        size = self.itemsize
        if delta:
            mapped.move((stop + delta) * size, stop * size, (self._len - stop) * size)
        mapped[start * size:(start + n) * size] = raw
        self._len += delta
        self.touched(len(raw))

    def pieces(self, items: int = CHUNK_ITEMS) -> Iterator[memoryview]:
        """The items' bytes, a chunk at a time (the pages let go after each)."""
        step = items * self.itemsize
        end = self._len * self.itemsize
        for start in range(0, end, step):
            mapped = self._map_box[0]
            assert mapped is not None
            with memoryview(mapped) as view:
                yield view[start:min(start + step, end)]
            self.touched(min(step, end - start))

    def chunks(self, items: int = CHUNK_ITEMS) -> Iterator[list[Any]]:
        """The items as lists of at most ``items``, in order."""
        for piece in self.pieces(items):
            with self._typed(piece) as typed:
                values = typed.tolist()
            piece.release()
            yield values

    def __iter__(self) -> Iterator[Any]:
        for values in self.chunks():
            yield from values

    def count(self, value: Any) -> int:
        return sum(values.count(value) for values in self.chunks())

    def index(self, value: Any) -> int:
        base = 0
        for values in self.chunks():
            try:
                return base + values.index(value)
            except ValueError:
                base += len(values)
        raise ValueError("array.index(x): x not in array")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (bytes, bytearray)) and self.typecode == "B":
            return len(other) == self._len and self.tobytes() == other
        if not isinstance(other, (array, SpillArray)) or other.typecode != self.typecode:
            return NotImplemented
        if len(other) != self._len:
            return False
        base = 0
        for values in self.chunks():
            if other[base:base + len(values)].tolist() != values:
                return False
            base += len(values)
        return True

    __hash__ = None  # type: ignore[assignment]

    def tofile(self, f: BinaryIO) -> None:
        for piece in self.pieces():
            f.write(piece)
            piece.release()

    def tobytes(self) -> bytes:
        return b"".join(bytes(p) for p in self.pieces())

    def values(self) -> memoryview:
        """A view of the items, for reads in C (let it go before the array grows)."""
        if self._view is None:
            return memoryview(array(self.typecode))
        return self._view[:self._len]
