"""SpillArray (spill.py) behaves as the ``array.array`` it stands for, and keeps its items out of
the process's memory."""

from __future__ import annotations

import io
import os
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunelint import spill
from tunelint.spill import SpillArray

TYPECODES = {"B": (0, 255), "I": (0, 2**32 - 1), "Q": (0, 2**64 - 1), "q": (-(2**63), 2**63 - 1)}


def ops(low: int, high: int) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    value = st.integers(low, high)
    values = st.lists(value, max_size=40)
    return st.lists(st.one_of(
        st.tuples(st.just("append"), value),
        st.tuples(st.just("extend"), values),
        st.tuples(st.just("extend-array"), values),
        st.tuples(st.just("frombytes"), values),
        st.tuples(st.just("set"), st.integers(-50, 50), value),
        st.tuples(st.just("splice"), st.integers(0, 60), st.integers(0, 60), values),
        st.tuples(st.just("file"), values),
        st.tuples(st.just("release")),
    ), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(TYPECODES)).flatmap(
    lambda t: st.tuples(st.just(t), ops(*TYPECODES[t]))))
def test_a_spill_array_does_what_an_array_does(case: tuple[str, list[tuple[Any, ...]]]) -> None:
    typecode, steps = case
    with pytest.MonkeyPatch.context() as mp:
        # Chunks and releases of a few items, so that every pass crosses their bounds.
        mp.setattr(spill, "CHUNK_ITEMS", 7)
        mp.setattr(spill, "RELEASE_BYTES", 16)
        want, got = array(typecode), SpillArray(typecode)
        for step in steps:
            kind = step[0]
            if kind == "append":
                want.append(step[1])
                got.append(step[1])
            elif kind == "extend":
                want.extend(step[1])
                got.extend(step[1])
            elif kind == "extend-array":
                want.extend(array(typecode, step[1]))
                got.extend(array(typecode, step[1]) if len(step[1]) % 2 else
                           SpillArray(typecode, step[1]))
            elif kind == "frombytes":
                want.frombytes(array(typecode, step[1]).tobytes())
                got.frombytes(array(typecode, step[1]).tobytes())
            elif kind == "set":
                index = step[1]
                if -len(want) <= index < len(want):
                    want[index] = step[2]
                    got[index] = step[2]
                else:
                    with pytest.raises(IndexError):
                        got[index] = step[2]
            elif kind == "splice":
                a, b, new = step[1], step[2], array(typecode, step[3])
                want[a:b] = new
                got[a:b] = new
            elif kind == "file":
                stream = io.BytesIO(array(typecode, step[1]).tobytes())
                want.fromfile(stream, len(step[1]))
                got.fromfile(io.BytesIO(stream.getvalue()), len(step[1]))
            else:
                got.release()
            assert len(got) == len(want)
        assert got == want and list(got) == want.tolist()
        assert got[:] == want and got[2:9] == want[2:9] and got[::3] == want[::3]
        if want:
            assert got[-1] == want[-1] and got[0] == want[0]
            assert got.count(want[0]) == want.count(want[0])
            assert got.index(want[-1]) == want.index(want[-1])
        out = io.BytesIO()
        got.tofile(out)
        assert out.getvalue() == want.tobytes() == got.tobytes()
        assert got.values().tolist() == want.tolist()
        if want:
            assert got.bytes_of(1, len(want)) == want[1:].tobytes()
        with pytest.raises(IndexError):
            got.bytes_of(0, len(want) + 1)
        with pytest.raises(IndexError):
            got[len(want)]


def test_bytes_of_a_byte_spill_array_compare_to_a_bytearray() -> None:
    keys = SpillArray("B")
    keys += b"abcdefgh"
    keys += bytes(8)
    assert keys == bytearray(b"abcdefgh" + bytes(8))
    assert bytes(keys[0:8]) == b"abcdefgh"
    assert keys.values().cast("Q").tolist() == [int.from_bytes(b"abcdefgh", sys.byteorder), 0]


def _resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * spill.mmap.PAGESIZE / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_items_written_and_read_do_not_stay_in_memory() -> None:
    before = _resident_mb()
    big = SpillArray("Q")
    for _ in range(16):  # 128 MB
        big.extend(array("Q", range(1 << 20)))
    assert len(big) == 16 << 20
    assert sum(1 for _ in big) == len(big)
    assert big[12345] == 12345 and big[-1] == (1 << 20) - 1
    assert _resident_mb() - before < 40  # a few chunks at most, not 128 MB


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_slices_read_do_not_stay_in_memory() -> None:
    big = SpillArray("Q")
    for _ in range(16):  # 128 MB
        big.extend(array("Q", range(1 << 20)))
    spill.release_all()
    before = _resident_mb()
    for start in range(0, len(big), 4096):
        assert big[start:start + 4096][0] == start % (1 << 20)
    assert _resident_mb() - before < 40


def test_spill_files_avoid_a_temporary_directory_kept_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n"
                      "tmpfs /dev/shm tmpfs rw 0 0\n/dev/vdb /data\\040x ext4 rw 0 0\n")
    kind = spill._file_system
    assert kind("/tmp/x", str(mounts)) == "tmpfs"
    assert kind("/tmpfoo", str(mounts)) == "ext4"
    assert kind("/data x/y", str(mounts)) == "ext4" and kind("/var/tmp", str(mounts)) == "ext4"
    assert kind("/x", str(tmp_path / "missing")) is None
    monkeypatch.setattr(spill, "_file_system",
                        lambda path, mounts=str(mounts): kind(path, mounts))
    monkeypatch.setattr(spill.tempfile, "gettempdir", lambda: "/tmp")
    monkeypatch.delenv("TUNELINT_SPILL_DIR", raising=False)
    spill.spill_directory.cache_clear()
    try:
        var_tmp = os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK)
        assert spill.spill_directory() == ("/var/tmp" if var_tmp else None)  # /tmp is tmpfs
        monkeypatch.setenv("TUNELINT_SPILL_DIR", str(tmp_path))
        spill.spill_directory.cache_clear()
        assert spill.spill_directory() == str(tmp_path)
        assert len(SpillArray("Q", [1, 2, 3])) == 3  # made there
    finally:
        spill.spill_directory.cache_clear()
