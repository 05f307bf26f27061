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


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def map_large_blocks(threshold: int = 1 << 20) -> bool:
    """Give every allocation over ``threshold`` bytes its own mapping (see the module doc)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    try:
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
    except OSError as e:  # pragma: no cover - defensive
        log.debug("mallopt failed: %s", e)
        return False


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
