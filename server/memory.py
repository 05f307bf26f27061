"""Giving freed memory back to the operating system.

Analysing a big file allocates and frees hundreds of MB of short-lived objects (parsed lines,
their JSON trees) between the long-lived ones it keeps. glibc's allocator keeps the freed pages
for reuse, so a language server that opened a 100k-line file would stay 150 MB larger than what
it holds. ``malloc_trim`` returns those pages. And glibc raises its threshold for giving a big
block its own mapping each time such a block is freed, after which growing arrays (the check's
columns) are moved around in the heap and leave holes: fixing the threshold keeps every block
over 1 MB in its own mapping, grown in place and returned when freed. Elsewhere (macOS,
Windows, musl) these do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


@cache
def _libc() -> Any:
    try:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def _mallopt(*settings: tuple[int, int]) -> bool:
    """glibc's mallopt for each (parameter, value); False where there is none or one fails."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    try:
        return all(libc.mallopt(param, value) for param, value in settings)
    except OSError as e:  # pragma: no cover - defensive
        log.debug("mallopt failed: %s", e)
        return False


def map_large_blocks(threshold: int = 1 << 20) -> bool:
    """Give every allocation over ``threshold`` bytes its own mapping (see the module doc)."""
    return _mallopt((_M_MMAP_THRESHOLD, threshold))


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def free_heap_bytes() -> int | None:
    """Bytes the allocator holds free in its heap (glibc's mallinfo2), or None where unknown."""
    libc = _libc()
    mallinfo2 = getattr(libc, "mallinfo2", None) if libc is not None else None
    if mallinfo2 is None:
        return None
    mallinfo2.restype = _MallInfo2
    try:
        return int(mallinfo2().fordblks)
    except OSError as e:  # pragma: no cover - defensive
        log.debug("mallinfo2 failed: %s", e)
        return None


def keep_blocks_for_reuse(threshold: int) -> bool:
    """The opposite of ``map_large_blocks``, for a process that allocates and frees the same
    big blocks over and over (a check's worker: a block of the file read, its lines' results):
    blocks under ``threshold`` bytes come from the heap, and up to twice that stays at its top
    when freed, so the next block reuses pages already mapped instead of faulting in fresh
    zeroed ones (a fifth of a worker's time went to that)."""
    return _mallopt((_M_MMAP_THRESHOLD, threshold), (_M_TRIM_THRESHOLD, 2 * threshold))


def release_free_memory_over(threshold: int) -> bool:
    """``release_free_memory`` when the heap holds more than ``threshold`` free bytes (or when
    that is unknown). Trimming gives back every free page, which the next allocations fault in
    again: after each of a check's ranges that cost a tenth of the workers' time, for a few MB."""
    free = free_heap_bytes()
    if free is not None and free <= threshold:
        return False
    return release_free_memory()


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system; True where that is supported."""
    libc = _libc()
    if libc is None:
        return False
    try:
        libc.malloc_trim(0)
    except OSError as e:  # pragma: no cover - defensive: a libc without a working trim
        log.debug("malloc_trim failed: %s", e)
        return False
    return True
