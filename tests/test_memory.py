"""Freed heap pages go back to the system after big work (server/memory.py)."""

from __future__ import annotations

import platform
from pathlib import Path

from tunelint.memory import release_free_memory


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_release_free_memory_returns_freed_pages() -> None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        assert release_free_memory() in (True, False)
        return
    # Many small blocks freed out of order leave glibc holding pages it does not trim itself.
    blocks = [bytearray(600 + i % 300) for i in range(200_000)]
    keep = blocks[::50]
    del blocks
    before = _rss_kb()
    assert release_free_memory() is True
    assert _rss_kb() < before - 20_000, "malloc_trim gave back less than 20 MB"
    assert keep
