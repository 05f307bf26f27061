"""The CLI's streamed, parallel path gives the same findings as the in-memory document."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, shared_path
from hypothesis import given
from hypothesis import strategies as st

from tunelint import batch, lean
from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer, Document
from tunelint.lean import LeanDocument


@pytest.fixture(params=["memory", "disk"])
def spill(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """The check's columns in memory, or spilled to disk from the first line (spill.py)."""
    on_disk = request.param == "disk"
    if on_disk:
        monkeypatch.setattr(lean, "SPILL_LINES", 0)
    return on_disk


def _key(doc: Document | LeanDocument) -> list[tuple[object, ...]]:
    return [(d.line, d.column, d.end_line, d.end_column, d.code, d.message, tuple(d.related))
            for d in doc.diagnostics()]


def _lines() -> list[str]:
    out = []
    for i in range(40):
        answer = "Eat a banana! " * (1500 if i in (7, 31) else 1)  # two lines over 4,096 tokens
        out.append(json.dumps({"messages": [{"role": "user", "content": f"Q{i} é😀"},
                                            {"role": "assistant", "content": answer}]}))
    out[12] = out[3]  # a duplicate across the two workers' ranges
    out[20] = out[20][:-3]  # a broken line
    return out


@pytest.mark.parametrize("final_newline", [True, False])
def test_parallel_lean_check_equals_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              final_newline: bool, spill: bool) -> None:
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)  # parallel even for a small file
    path = tmp_path / "train.jsonl"
    text = "\r\n".join(_lines()) + ("\r\n" if final_newline else "")
    path.write_bytes(text.encode())
    settings = settings_from_mapping({"model": "gpt-3.5-turbo-0613"})
    lean = batch.check_path(str(path), settings, use_cache=False, workers=2)
    full = Document(Analyzer(settings, str(path)), text, path=str(path))

    assert _key(lean) == _key(full)
    assert lean.columns.spilled == spill
    codes = {d.code for d in lean.diagnostics()}
    assert {"TL901", "TL904", "TL101"} <= codes  # long lines were finished by the parent
    assert lean.line_count == full.line_count


def _rich_lines() -> list[str]:
    """Lines that exercise every dataset index the lean document computes from its columns."""
    def chat(q: str, a: str) -> str:
        return json.dumps({"messages": [{"role": "user", "content": q},
                                        {"role": "assistant", "content": a}]},
                          ensure_ascii=False)
    out = [chat(f"Q{i} é😀", f"A{i}") for i in range(30)]
    out[5] = chat("Q1 é😀", "another answer")  # same prompt as line 2, another target
    out[9] = chat("q2    é😀", "a2")  # a near duplicate of line 3 (case and spaces)
    out[14] = out[4]  # an exact duplicate
    out[17:18] = ["{", '  "messages": [{"role": "user", "content": "hi"},',
                  '    {"role": "assistant", "content": "yo"}]', "}"]  # pretty-printed
    out[22] = ""
    out[25] = "[1, 2]"
    out[27] = json.dumps({"prompt": "p", "completion": " c"})  # another format
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_lean_findings_and_summary_equal_in_memory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   workers: int, spill: bool) -> None:
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 700)  # several ranges per worker
    path = tmp_path / "train.jsonl"
    text = "\n".join(_rich_lines()) + "\n"
    path.write_text(text, encoding="utf-8")
    settings = settings_from_mapping({})
    lean = batch.check_path(str(path), settings, use_cache=False, workers=workers,
                            with_tokens=True)
    full = Document(Analyzer(settings, str(path)), text, path=str(path))
    assert _key(lean) == _key(full)
    assert {"TL102", "TL904", "TL905", "TL906", "TL106"} <= {d.code for d in lean.diagnostics()}
    assert lean.summary(with_tokens=True).to_dict() == full.summary(with_tokens=True).to_dict()


def test_cache_reuses_results_and_follows_edits(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, spill: bool) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "train.jsonl"
    lines = _rich_lines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = settings_from_mapping({})
    first = _key(batch.check_path(str(path), settings))
    analysed: list[str] = []
    fresh, fresh_bytes = Analyzer.analyze_fresh, Analyzer.analyze_bytes
    monkeypatch.setattr(Analyzer, "analyze_fresh",
                        lambda self, text: analysed.append(text) or fresh(self, text))
    monkeypatch.setattr(Analyzer, "analyze_bytes",
                        lambda self, raw: analysed.append(raw.decode()) or fresh_bytes(self, raw))
    cached = batch.check_path(str(path), settings)
    assert cached.columns.spilled == spill  # the cache is read back to disk too
    assert len(cached.flagged) and cached.flagged.spilled == spill
    assert _key(cached) == first
    assert [t for t in analysed if t] == []  # every line came from the cache
    # Lines move, one changes: only the changed line is analysed, and the result is exact.
    lines.insert(0, lines.pop(10))
    lines[3] = lines[3].replace("A", "B")
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    again = batch.check_path(str(path), settings)
    assert [t for t in analysed if t] == [lines[3]]
    assert _key(again) == _key(Document(Analyzer(settings, str(path)), text, path=str(path)))


def test_cache_is_not_reused_when_only_line_ends_and_bom_moved(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """Same line hashes and size, other offsets: the cached columns must not be taken whole."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "train.jsonl"
    lines = _rich_lines()[:12]
    ends = ["\r\n" if i < 3 else "\n" for i in range(len(lines))]
    path.write_bytes("".join(t + e for t, e in zip(lines, ends)).encode())
    settings = settings_from_mapping({})
    batch.check_path(str(path), settings)
    moved = "\ufeff" + "".join(t + "\n" for t in lines)  # +3 bytes of BOM, -3 bytes of CR
    path.write_bytes(moved.encode())
    assert path.stat().st_size == sum(len((t + e).encode()) for t, e in zip(lines, ends))
    lean = batch.check_path(str(path), settings)
    full = Document(Analyzer(settings, str(path)), moved, path=str(path))
    assert _key(lean) == _key(full)
    assert [lean.line_text(i) for i in range(len(lines))] == lines


def test_a_broken_cache_is_ignored_and_rewritten(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "train.jsonl"
    text = "\n".join(_rich_lines()) + "\n"
    path.write_text(text, encoding="utf-8")
    settings = settings_from_mapping({})
    expected = _key(Document(Analyzer(settings, str(path)), text, path=str(path)))
    batch.check_path(str(path), settings)
    (cache_file,) = (tmp_path / batch.CACHE_DIR).glob("*.pickle")
    good = cache_file.read_bytes()
    for broken in (good[: len(good) - 40], b"not a pickle", b""):
        cache_file.write_bytes(broken)
        assert _key(batch.check_path(str(path), settings)) == expected
        assert cache_file.read_bytes() == good  # written again, whole


def test_edited_files_from_the_cache_equal_a_fresh_check(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, spill: bool) -> None:
    """Edits of every kind, each checked through the cache of the previous version (the
    spliced path for one edited region, the line-by-line path for spread edits)."""
    import random

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(batch, "SPLICE_MAX_LINES", 6)  # wide edits take the other path
    monkeypatch.setattr(batch, "SPLICE_SCAN_LINES", 2)  # and moved lines both lookups
    rng = random.Random(7)
    pool = _rich_lines() + ["", "[1]", "{", '{"prompt": "x", "completion": " y"}']
    lines = _rich_lines()
    settings = settings_from_mapping({})
    path = tmp_path / "train.jsonl"
    final_newline = True
    for step in range(40):
        op = rng.choice(["replace", "insert", "delete", "append", "newline", "spread", "move"])
        i = rng.randrange(len(lines))
        if op == "replace":
            lines[i] = rng.choice(pool)
        elif op == "insert":
            lines.insert(i, rng.choice(pool))
        elif op == "delete" and len(lines) > 2:
            del lines[i]
        elif op == "append":
            lines.append(rng.choice(pool))
        elif op == "newline":
            final_newline = not final_newline
        elif op == "spread":
            for j in rng.sample(range(len(lines)), min(8, len(lines))):
                lines[j] = rng.choice(pool)
        else:
            lines.insert(rng.randrange(len(lines)), lines.pop(i))
        text = "\n".join(lines) + ("\n" if final_newline else "")
        path.write_text(text, encoding="utf-8")
        lean = batch.check_path(str(path), settings, with_tokens=step % 5 == 0)
        full = Document(Analyzer(settings, str(path)), text, path=str(path))
        assert _key(lean) == _key(full), (step, op)
        assert lean.summary().to_dict() == full.summary().to_dict(), (step, op)
        assert [lean.line_text(k) for k in range(lean.line_count)] == \
            [full.line_text(k) for k in range(full.line_count)]


_CHAT = ('{"messages": [{"role": "user", "content": "Q é😀"}, '
         '{"role": "assistant", "content": "A", "weight": 1}]}').encode()
RAW_LINES = [
    _CHAT,
    _CHAT.replace("é".encode(), b"\xff"),  # invalid UTF-8 inside a string
    _CHAT.replace("é".encode(), b"\xed\xa0\x80"),  # a UTF-8-encoded lone surrogate
    _CHAT.replace(b'"A"', b'"\\ud800"'),  # an escaped lone surrogate (valid JSON text)
    _CHAT.replace("é".encode(), b"\x00"),  # a raw NUL in a string
    b"\xef\xbb\xbf" + _CHAT,  # a BOM that is not at the start of the file
    b'\xff{"messages": []}',  # invalid UTF-8 outside a string
    _CHAT[:-3],  # broken non-ASCII line
    _CHAT.replace("é😀".encode(), b"")[:-3],  # broken ASCII line
    b'{"a": 1, "a": 2, "messages": [{"role": "user", "content": "\xc3\xa9"}]}',
    b'{"a": 1, "a": 2, "messages": [{"role": "user", "content": "\xff"}]}',  # and invalid
    b'{"n": 123456789012345678901234567890, "messages": []}',  # beyond 64 bits
    b"", b"   ", b"[1, 2]", b'"\xc3\xa9"', b"\xc3",
]


@pytest.mark.parametrize("raw", RAW_LINES)
def test_analyze_bytes_equals_analyze_of_the_decoded_text(raw: bytes) -> None:
    """Workers parse the bytes they read; the result is that of the text a reader decodes."""
    analyzer = Analyzer(settings_from_mapping({}))
    assert analyzer.analyze_bytes(raw) == analyzer.analyze_fresh(batch._decode(raw))


def _lines_by_split(data: bytes, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
    """What iter_lines yields, the obvious way: the lines starting in [start, end)."""
    out, pos = [], 0
    pieces = data.split(b"\n")
    for i, line in enumerate(pieces):
        last = i == len(pieces) - 1
        if (last and not line) or pos >= end:
            break
        if pos >= start:
            if not last and line.endswith(b"\r"):
                out.append((pos, line[:-1], b"\r\n"))
            else:
                out.append((pos, line, b"" if last else b"\n"))
        pos += len(line) + 1
    return out


def test_iter_lines_across_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rnd = random.Random(3)
    path = tmp_path / "x.jsonl"
    for _ in range(2000):
        data = bytes(rnd.choice(b"ab\r\n\n") for _ in range(rnd.randrange(60)))
        path.write_bytes(data)
        # Tiny blocks: lines (and CRLFs) cut by one or more block ends.
        monkeypatch.setattr(batch, "BLOCK", rnd.choice([1, 2, 3, 5, 7, 64]))
        start = rnd.choice([0] + [i + 1 for i, c in enumerate(data) if c == 10])
        end = rnd.randrange(start, len(data) + 2)
        assert list(batch.iter_lines(str(path), start, end)) == _lines_by_split(data, start, end)


@given(st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**64 - 1, 2**60]),
                max_size=60), st.booleans(), st.sampled_from([(1, 256), (3, 256), (1 << 18, 256),
                                                              (1, 4)]))
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_key_repeats_and_target_variety_equal_a_plain_count(
        compiled: bool, values: list[int], on_disk: bool, partitions: tuple[int, int]) -> None:
    """The partitioned sort finds exactly the repeated keys (0 is "no key"), the first line of
    each key, and counts distinct targets as a set would: in memory or on disk, with few or
    many partitions (or as many as the cap allows)."""
    from array import array

    from tunelint.spill import SpillArray

    raw = array("Q", values).tobytes()
    keys: bytearray | SpillArray = bytearray(raw)
    if on_disk:
        keys = SpillArray("B")
        keys.frombytes(raw)
    with pytest.MonkeyPatch.context() as mp:
        if not compiled:
            mp.setattr(lean, "_partition_keys", lean.partition_keys_py)
            mp.setattr(lean, "_sort_pairs", lean.sort_pairs_py)
            mp.setattr(lean, "_group_sorted", lean.group_sorted_py)
        elif lean._fastline is None:
            pytest.skip("the compiled module is not built")
        mp.setattr(lean, "PARTITION_LINES", partitions[0])
        mp.setattr(lean, "_MAX_PARTITIONS", partitions[1])
        mp.setattr(lean, "_CHUNK_KEYS", 5)
        mp.setattr(lean, "_MERGE_ITEMS", 2)
        expected: dict[int, list[int]] = {}
        for i, v in enumerate(values):
            if v:
                expected.setdefault(v, []).append(i)
        want = sorted((line, group[0]) for group in expected.values() for line in group[1:])
        assert list(lean.KeyRepeats(keys)) == want
        first = lean.FirstLines(keys)
        for v, group in expected.items():
            assert first.first_line(v.to_bytes(8, sys.byteorder)) == group[0]
        assert first.first_line((12345).to_bytes(8, sys.byteorder)) == (
            expected[12345][0] if 12345 in expected else None)
        columns = lean.Columns()
        columns.target = keys
        doc = LeanDocument.__new__(LeanDocument)
        doc.columns, doc._memo = columns, {}
        assert doc.target_variety() == (len(expected), sum(len(g) for g in expected.values()))


def _weight_lines(n: int) -> list[str]:
    """Lines that all have the same problem (weight 1.0), some repeated, two over the token
    limit (the workers count one; the other holds a letter their compiled counter declines, so
    they defer it to the parent), one with a problem of its own."""
    out = [json.dumps({"messages": [{"role": "user", "content": f"Q{i}"},
                                    {"role": "assistant", "content": f"A{i}", "weight": 1.0}]})
           for i in range(n)]
    out[7] = out[3]
    out[11] = json.dumps({"messages": [{"role": "user", "content": "Q"},  # 80k tokens
                                       {"role": "assistant", "content": "Eat! " * 40000}]})
    out[13] = json.dumps({"messages": [{"role": "asistant", "content": "A"}]})
    out[17] = json.dumps({"messages": [{"role": "user", "content": "Q \U0002EBF0"},
                                       {"role": "assistant", "content": "Eat! " * 40000}]})
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_lines_with_the_same_problems_share_them(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 workers: int) -> None:
    """A file whose every line has a problem keeps each distinct problem tuple once (not a
    result a line), and reports exactly what the in-memory document reports."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 2_000)
    lines = _weight_lines(120)
    text = "\n".join(lines) + "\n"
    path = tmp_path / "train.jsonl"
    path.write_text(text, encoding="utf-8")
    settings = settings_from_mapping({})
    full = Document(Analyzer(settings, str(path)), text, path=str(path))
    finished: list[int] = []  # lengths of the lines the parent finished for the workers
    finish = batch._finish_deferred
    monkeypatch.setattr(batch, "_finish_deferred", lambda analyzer, path, offset, length: (
        finished.append(length), finish(analyzer, path, offset, length))[1])
    for attempt in ("fresh", "cached"):
        lean = batch.check_path(str(path), settings, workers=workers)
        assert _key(lean) == _key(full), attempt
        assert len(lean.flagged) == 120, attempt
        # weight 1.0; each long line's; the misspelt role's; and no problems at all (the slot
        # a resolved deferred line could take), nothing per line.
        assert len(lean.flagged.distinct) <= 6, attempt
    assert sum(d.code == "TL451" for d in full.diagnostics()) == 117
    assert [d.line for d in full.diagnostics() if d.code == "TL901"] == [11, 17]
    # Workers count the long line themselves and defer only the one with the declined letter.
    assert finished == ([len(lines[17].encode())] if workers > 1 else [])


def test_flagged_lines_keep_order_share_and_survive_pickling() -> None:
    import pickle

    from tunelint.lean import FlaggedLines
    from tunelint.problems import Problem

    def p(message: str, **kw: object) -> Problem:
        return Problem("TL451", message, "/messages/1/weight", **kw)  # type: ignore[arg-type]

    a = FlaggedLines()
    assert a.add(2, (p("x"),)) == a.add(5, (p("x"),))  # equal tuples: one entry
    a.add(6, (), deferred=True)
    a.add(9, (p("x", data={"b": [1]}),))  # data that cannot be hashed: kept apart
    a.add(10, (p("x", data={"b": [1]}),))
    assert len(a.distinct) == 4
    assert a.get(5) == (p("x"),) and a.get(3) is None and a.get(6) is None
    assert a.deferred() == [6]
    a.resolve(6, ())
    assert a.deferred() == [] and a.get(6) is None
    assert [line for line, _ in a.items()] == [2, 5, 9, 10]
    b = pickle.loads(pickle.dumps(a))
    assert list(b.items()) == list(a.items())
    assert b.add(11, (p("x"),)) == a.which[0]  # the intern table is rebuilt
    c = FlaggedLines()
    c.add(0, (p("y"),))
    c.extend(b, 1)
    assert [line for line, _ in c.items()] == [0, 3, 6, 10, 11, 12]
    with pytest.raises(KeyError):
        a.resolve(4, ())


@pytest.mark.parametrize("workers", [1, 2])
def test_problems_beyond_the_memory_budget_go_to_a_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        workers: int) -> None:
    """Lines with problems of their own (a different role on each) past the in-memory budget
    are kept in a temporary file, in workers and parent alike, with the same findings; such a
    file is not cached."""
    from tunelint import lean

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lean, "DISTINCT_IN_MEMORY", 5)
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 1_500)
    lines = [json.dumps({"messages": [{"role": "user", "content": f"Q{i}"},
                                      {"role": f"bot{i}", "content": f"A{i}"}]})
             for i in range(60)]
    lines[30] = lines[31]  # one shared by two lines past the budget
    lines[40] = lines[2]  # and one shared with a line kept in memory
    text = "\n".join(lines) + "\n"
    path = tmp_path / "train.jsonl"
    path.write_text(text, encoding="utf-8")
    settings = settings_from_mapping({})
    lean_doc = batch.check_path(str(path), settings, workers=workers)
    full = Document(Analyzer(settings, str(path)), text, path=str(path))
    assert _key(lean_doc) == _key(full)
    assert sum(d.code == "TL302" for d in full.diagnostics()) == 60
    assert lean_doc.flagged.distinct.spilled
    assert len(lean_doc.flagged.distinct.kept()) == 5
    assert len(lean_doc.flagged._ids) <= 5  # no key held for a spilled tuple
    assert not list(tmp_path.glob(".tunelint_cache/*.pickle"))


def test_a_problem_table_pickles_what_it_spilled(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from tunelint import lean
    from tunelint.problems import Problem

    monkeypatch.setattr(lean, "DISTINCT_IN_MEMORY", 3)
    table = lean.ProblemTable()
    entries = [(Problem("TL302", f"role {i}", "/messages/0/role"),) for i in range(8)]
    assert [table.append(e) for e in entries] == list(range(1, 9))
    assert table.spilled and len(table.kept()) == 3
    copy = pickle.loads(pickle.dumps(table))
    assert [copy[i] for i in range(1, 9)] == [table[i] for i in range(1, 9)] == entries


def test_problems_pickle_by_position() -> None:
    """Problems cross processes and go to disk by the hundred thousand: pickled as their field
    values in order (no field names), and back equal, every field set."""
    import pickle

    from tunelint.problems import Edit, Fix, Problem, Related, Severity

    edit = Edit("/messages/1/weight", "value", "1")
    fix = Fix("Change the weight to 1", True, (edit,), "line", True, 3)
    related = Related(2, "first copy", "/messages", "other.jsonl")
    problem = Problem("TL451", "weight 1.0 must be the integer 1", "/messages/1/weight", "key",
                      (1, 4), Severity.ERROR, fix, (related,), 7, 8, {"a": [1]})
    for value, field_name in ((edit, b"new_text"), (fix, b"delete_line"), (related, b"path"),
                              (problem, b"end_line")):
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        assert pickle.loads(data) == value
        assert field_name not in data


def _same_in_both(path: Path, workers: int) -> None:
    from tunelint.cli import read_text
    from tunelint.config import load_settings

    settings = load_settings(path.resolve(), None)
    try:
        lean = batch.check_path(str(path), settings, use_cache=False, workers=workers)
    except batch.NeedsFullRead:
        return  # lone CRs: the command line reads such a file whole, as a Document
    text, size = read_text(str(path))
    full = Document(Analyzer(settings.for_path(str(path)), str(path)), text, path=str(path),
                    file_size=size)
    assert _key(lean) == _key(full), path
    assert _key(full) == sorted(_key(full), key=lambda k: (k[0], k[1], k[4])), path


@pytest.mark.parametrize("workers", [1, 2])
def test_every_fixture_gets_the_same_findings_in_both_documents(
        monkeypatch: pytest.MonkeyPatch, workers: int, spill: bool) -> None:
    """The command line's streamed document (in one process, or in workers with ranges of a
    few lines) and the editor's give the same findings, in line order, on every fixture (a
    multi-line object once left the editor's unsorted)."""
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 400)
    paths = sorted(FIXTURES.rglob("*.jsonl"))
    assert len(paths) > 150
    for path in paths:
        _same_in_both(path, workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_real_dataset_gets_the_same_findings_in_both_documents(
        monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 400)
    paths = sorted(shared_path("real-datasets").rglob("*.jsonl"))
    assert paths
    for path in paths:
        _same_in_both(path, workers)


def _fixed_both_ways(path: Path, tmp_path: Path, workers: int) -> bool:
    """Fix a copy of ``path`` with the streamed fixer and another with the in-memory one: the
    same bytes and the same count. Returns whether anything was fixed."""
    import shutil

    from tunelint.cli import apply_safe_fixes, read_text
    from tunelint.config import load_settings
    from tunelint.fixes import fix_file

    streamed, in_memory = tmp_path / "streamed" / path.name, tmp_path / "memory" / path.name
    for copy in (streamed, in_memory):
        copy.parent.mkdir(parents=True)
        shutil.copyfile(path, copy)
    settings = load_settings(path.resolve(), None)
    try:
        count, last = fix_file(str(streamed), lambda: batch.check_path(
            str(streamed), settings, use_cache=False, workers=workers))
    except batch.NeedsFullRead:
        return False  # lone CRs: the command line fixes such a file as a Document
    text, size = read_text(str(in_memory))
    doc = Document(Analyzer(settings.for_path(str(in_memory)), str(in_memory)), text,
                   path=str(in_memory), file_size=size)
    assert count == apply_safe_fixes(doc, str(in_memory)), path
    assert streamed.read_bytes() == in_memory.read_bytes(), path
    assert last is not None and not [d for d in last.iter_diagnostics()
                                     if d.fix is not None and d.fix.safe], path
    assert sorted(p.name for p in streamed.parent.iterdir()) == [path.name]  # no temp left
    return count > 0


@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_fixes_equal_fixes_in_memory_on_every_fixture(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, spill: bool) -> None:
    """``check --fix`` fixes a file a pass at a time through it (memory of a check); the
    result is byte for byte what fixing the whole text in memory gives, on every fixture (in
    one process, and in workers with ranges of a few lines) and every real dataset."""
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 400)
    paths = sorted(FIXTURES.rglob("*.jsonl")) + sorted(
        shared_path("real-datasets").rglob("*.jsonl"))
    fixed = [p for i, p in enumerate(paths) if _fixed_both_ways(p, tmp_path / str(i), workers)]
    assert len(fixed) >= 15  # the comparison is about files that had fixes


def test_streamed_fixes_keep_bytes_they_do_not_touch(tmp_path: Path) -> None:
    """Around a fix, the file's bytes stay as they were: a BOM, CRLF and LF mixed, invalid
    UTF-8 on another line, non-ASCII before the fixed place, no final line end."""
    from tunelint.config import Settings
    from tunelint.fixes import fix_file

    chat = ('{"messages": [{"role": "user", "content": "é😀 %d"}, '
            '{"role": "assistant", "content": "y", "weight": %s}]}')
    lines = [(chat % (0, "1")).encode(), (chat % (1, "1.0")).encode(), b'{"bad": "\xff"}',
             (chat % (3, "0.0")).encode()]
    data = b"\xef\xbb\xbf" + lines[0] + b"\r\n" + lines[1] + b"\n" + lines[2] + b"\r\n" + lines[3]
    f = tmp_path / "t.jsonl"
    f.write_bytes(data)
    f.chmod(0o640)
    count, _ = fix_file(str(f), lambda: batch.check_path(str(f), Settings(), use_cache=False))
    want = data.replace(b'"weight": 1.0}', b'"weight": 1}').replace(b'"weight": 0.0}',
                                                                       b'"weight": 0}')
    assert count == 2 and f.read_bytes() == want
    assert f.stat().st_mode & 0o777 == 0o640
    # Through a symbolic link: the file it points at is fixed, the link stays a link.
    f.write_bytes(data)
    link = tmp_path / "link.jsonl"
    link.symlink_to(f)
    count, _ = fix_file(str(link), lambda: batch.check_path(str(link), Settings(),
                                                            use_cache=False))
    assert count == 2 and link.is_symlink() and f.read_bytes() == want


def test_ranges_of_one_job_share_an_analyzer(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(line + "\n" for line in _lines()))
    size = path.stat().st_size
    settings = settings_from_mapping({})
    (a, m), (_, b) = batch._split(str(path), size, 2)
    whole = batch.analyze_range(str(path), settings, 0, size)
    assert batch._job_analyzer is None  # without a job nothing is kept
    first = batch.analyze_range(str(path), settings, a, m, job=("check", 1))
    assert batch._job_analyzer is not None
    shared = batch._job_analyzer[1]
    second = batch.analyze_range(str(path), settings, m, b, job=("check", 1))
    assert batch._job_analyzer[1] is shared  # the same job: the same analyzer
    joined = batch.Columns()
    joined.extend(first.columns)
    joined.extend(second.columns)
    assert vars(joined) == vars(whole.columns)
    batch.analyze_range(str(path), settings, m, b, job=("check", 2))
    assert batch._job_analyzer[1] is not shared  # another check: another analyzer


def _repeating_lines(n: int, seed: int) -> list[str]:
    """Lines repeating in every way the dataset rules look for: exact copies (keys reordered
    too), copies differing in case and spacing, the same prompt with another answer."""
    import random

    rnd = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        k = rnd.randrange(max(1, n // 3))
        prompt = f"Question {k}"
        answer = f"Answer {k}" if rnd.random() < 0.7 else f"Answer {k} or {rnd.randrange(3)}"
        msgs = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        style = rnd.randrange(4)
        if style == 1:
            msgs[0]["content"] = prompt.upper()
        if style == 2:
            msgs = [{"content": m["content"], "role": m["role"]} for m in msgs]
        out.append(json.dumps({"messages": msgs}, separators=(",", ":") if style == 3 else None))
    return out


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repeats_give_the_same_findings_in_both_documents(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, seed: int, spill: bool) -> None:
    """Duplicates, near-duplicates and conflicting answers, placed one at a time as they print
    (Rule.in_line_order), equal the editor's, with both kinds of range."""
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 2_000)
    path = tmp_path / "data.jsonl"
    path.write_text("".join(line + "\n" for line in _repeating_lines(400, seed)))
    _same_in_both(path, workers)
    codes = {d.code for d in batch.check_path(str(path), settings_from_mapping({}),
                                              use_cache=False).diagnostics()}
    assert {"TL904", "TL905", "TL906"} <= codes


def test_a_streamed_dataset_rule_that_fails_keeps_what_it_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from tunelint.rules import duplicate_example

    path = tmp_path / "data.jsonl"
    path.write_text("".join(line + "\n" for line in _repeating_lines(300, 4)))
    settings = settings_from_mapping({})
    doc = batch.check_path(str(path), settings, use_cache=False)
    whole = [d for d in doc.diagnostics() if d.code == "TL904"]
    assert len(whole) > 10
    check = duplicate_example.RULE.check

    def failing(ds: object, opts: object) -> object:
        for k, p in enumerate(check(ds, opts)):
            if k == 5:
                raise RuntimeError("boom")
            yield p

    for active in doc.analyzer.rules.dataset:
        if active.rule.code == "TL904":
            active.rule = dataclasses.replace(active.rule, check=failing)
    doc._memo.clear()
    found = [d for d in doc.diagnostics() if d.code == "TL904"]
    assert [d.line for d in found[:5]] == [d.line for d in whole[:5]]
    assert len(found) == 6 and "internal error: boom" in found[5].message
    assert found[5].line == whole[4].line  # where it stopped: the order holds
    assert any(d.code == "TL906" for d in doc.diagnostics())  # the other rules still report


def test_checks_of_a_run_share_their_workers(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside shared_workers() the parallel checks use one pool, started on the first (before
    any document is held), with the same results; a check that fails in its workers leaves
    the pool to be started again."""
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 700)
    first, second, broken = (tmp_path / f"{n}.jsonl" for n in ("a", "b", "broken"))
    first.write_text("".join(line + "\n" for line in _lines()))
    second.write_text("".join(line + "\n" for line in _repeating_lines(60, 5)))
    broken.write_text("".join(line + "\n" for line in _lines()[:30]) + '{"a": 1}\r{"b": 2}\n')
    settings = settings_from_mapping({})
    alone = [_key(batch.check_path(str(p), settings, use_cache=False, workers=2))
             for p in (first, second)]
    with batch.shared_workers() as shared:
        got = [_key(batch.check_path(str(first), settings, use_cache=False, workers=2))]
        pool = shared._pool
        assert pool is not None
        pids = set(pool._processes)
        got.append(_key(batch.check_path(str(second), settings, use_cache=False, workers=2)))
        assert shared._pool is pool and set(pool._processes) == pids  # the same processes
        assert got == alone
        with pytest.raises(batch.NeedsFullRead):
            batch.check_path(str(broken), settings, use_cache=False, workers=2)
        assert shared._pool is None  # not reused after a failure
        assert _key(batch.check_path(str(first), settings, use_cache=False,
                                     workers=2)) == alone[0]
        assert shared._pool is not None and set(shared._pool._processes) != pids
    assert batch._shared is None and shared._pool is None  # closed with the run


def test_ranges_of_short_lines_hold_fewer_bytes(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A range holds at most about RANGE_LINES lines: short lines make smaller ranges (a worker
    holds its range's results), long ones keep RANGE_BYTES."""
    monkeypatch.setattr(batch, "RANGE_BYTES", 40_000)
    monkeypatch.setattr(batch, "RANGE_MIN_BYTES", 1_000)
    monkeypatch.setattr(batch, "RANGE_LINES", 100)
    short, long = tmp_path / "short.jsonl", tmp_path / "long.jsonl"
    short.write_text(("x" * 49 + "\n") * 2_000)  # 50 bytes a line
    long.write_text(("x" * 999 + "\n") * 200)  # 1,000 bytes a line
    assert batch._range_bytes(str(short)) == 5_000
    assert batch._range_bytes(str(long)) == 40_000
    monkeypatch.setattr(batch, "RANGE_LINES", 1)
    assert batch._range_bytes(str(short)) == 1_000  # never below RANGE_MIN_BYTES


@given(st.lists(st.integers(0, 3), max_size=30), st.lists(st.integers(0, 3), max_size=30),
       st.sampled_from([1, 2, 3, 4096]), st.booleans())
def test_same_runs_of_two_line_tables_are_found_a_slice_at_a_time(
        old: list[int], new: list[int], step: int, on_disk: bool) -> None:
    """The lines an edit left alone at the start and at the end of a file, found by comparing
    slices of the old and new line tables (spilled or not), are what a line-by-line walk finds."""
    from array import array

    from tunelint.spill import SpillArray

    def table(values: list[int], typecode: str) -> array | SpillArray:
        return SpillArray(typecode, values) if on_disk else array(typecode, values)

    oh, nh = table(old, "Q"), table(new, "Q")
    oe, ne = table([v % 2 for v in old], "B"), table([v % 2 for v in new], "B")
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch, "_SAME_RUN_STEP", step)
        assert batch._same_run(oh, nh, oe, ne, limit, 0, 0, backwards=False) == head
        assert batch._same_run(oh, nh, oe, ne, limit - head, len(old) - 1, len(new) - 1,
                               backwards=True) == tail


KEYS = st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 5, 2**63, 2**64 - 1]),
                max_size=80)


@given(KEYS, st.integers(0, 2**40), st.integers(1, 300), st.sampled_from([0, 5]))
def test_compiled_partition_keys_is_the_python_one(values: list[int], first_line: int,
                                                    count: int, no_key: int) -> None:
    from array import array

    if lean._fastline is None:
        pytest.skip("the compiled module is not built")
    piece = array("Q", values).tobytes()
    outs = [([bytearray(b"\0" * 8) for _ in range(count)], [bytearray() for _ in range(count)])
            for _ in range(2)]
    lean.partition_keys_py(piece, first_line, no_key, *outs[0])
    lean._fastline.partition_keys(memoryview(piece), first_line, no_key, *outs[1])
    assert outs[0] == outs[1]


@given(st.lists(st.tuples(st.integers(0, 2**64 - 1) | st.integers(0, 3), st.integers(0, 2**64 - 1)),
                max_size=60), st.booleans())
def test_compiled_sort_and_group_are_the_python_ones(pairs: list[tuple[int, int]],
                                                      repeats: bool) -> None:
    from array import array

    if lean._fastline is None:
        pytest.skip("the compiled module is not built")
    sorted_pairs = []
    for sort in (lean.sort_pairs_py, lean._fastline.sort_pairs):
        keys, lines = array("Q", [k for k, _ in pairs]), array("Q", [ln for _, ln in pairs])
        sort(keys, lines)
        sorted_pairs.append((keys, lines))
    assert sorted_pairs[0] == sorted_pairs[1]
    assert list(zip(*sorted_pairs[0])) == sorted(pairs)
    keys, lines = sorted_pairs[0]
    assert lean.group_sorted_py(keys, lines, repeats) == lean._fastline.group_sorted(
        keys, lines, repeats)


def _scanned(path: Path, scan: Any) -> Any:
    try:
        table = scan(str(path))
    except batch.NeedsFullRead:
        return "lone CR"
    return [list(getattr(table, name)) for name in ("hashes", "offsets", "lengths", "endings")]


@given(st.lists(st.sampled_from([b"a", b"\xc3\xa9", b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf",
                                 b'{"x": 1}']), max_size=40),
       st.sampled_from([1, 2, 3, 5, 64, 1 << 20]), st.booleans())
def test_the_compiled_line_table_is_the_pythons(pieces: list[bytes], block: int, bom: bool
                                                ) -> None:
    """_scan_lines (a block's lines in C) and _scan_lines_py agree: line ends, a BOM, lone
    CRs, lines across block ends."""
    import tempfile

    if batch.fastpath._fastline is None:
        pytest.skip("built without the C extension")
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(pieces)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        path.write_bytes(data)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(batch, "BLOCK", block)
            assert _scanned(path, batch._scan_lines) == _scanned(path, batch._scan_lines_py)
