"""Edits through the incremental API give the same diagnostics as a fresh analysis."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tunelint.config import Settings
from tunelint.engine import Analyzer, Document
from tunelint.problems import Diagnostic

POOL = [
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
    '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello"}]}',
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}',
    '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2"}, '
    '{"role": "assistant", "content": "4"}]}',
    '{"messages": [{"role": "user", "content": "Hi"} {"role": "assistant"}]}',
    '{"messages": [{"role": "asistant", "content": "x"}]}',
    '{"prompt": "a", "completion": " b"}',
    '{"mesages": []}',
    "",
    "   ",
    "[1, 2]",
    "{",
    '  "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "ok"}]',
    "}",
    '{"messages": [{"role": "user", "content": "日本語 😀"}, {"role": "assistant", "content": "é"}]}',
]

line = st.sampled_from(POOL)
edit = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 200), line),
    st.tuples(st.just("insert"), st.integers(0, 200), line),
    st.tuples(st.just("delete"), st.integers(0, 200), st.just("")),
    st.tuples(st.just("type"), st.integers(0, 200), st.text("{}\",: ab\n", max_size=3)),
    st.tuples(st.just("join"), st.integers(0, 200), st.just("")),
)


def key(diags: list[Diagnostic]) -> list[tuple[object, ...]]:
    return [(d.line, d.column, d.end_line, d.end_column, d.code, d.message, d.severity,
             tuple(d.related)) for d in diags]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.lists(line, min_size=0, max_size=14), edits=st.lists(edit, max_size=12))
def test_incremental_equals_fresh(initial: list[str], edits: list[tuple[str, int, str]]) -> None:
    s = Settings()
    doc = Document(Analyzer(s), "\n".join(initial) + "\n")
    for op, at, text in edits:
        n = doc.line_count
        i = at % n
        if op == "replace":
            doc.replace_lines(i, i + 1, text)
        elif op == "insert":
            doc.apply_change((i, 0), (i, 0), text + "\n")
        elif op == "delete" and n > 1:
            doc.apply_change((i, 0), (i + 1, 0), "") if i + 1 < n else doc.replace_lines(i, i + 1, "")
        elif op == "type":
            col = at % (len(doc.line_text(i)) + 1)
            doc.apply_change((i, col), (i, col), text)
        elif op == "join" and i + 1 < n:
            doc.apply_change((i, len(doc.line_text(i))), (i + 1, 0), "")
        fresh = Document(Analyzer(s), doc.text)
        assert key(doc.diagnostics()) == key(fresh.diagnostics())
        assert doc.example_count == fresh.example_count
        assert doc.summary().to_dict() == fresh.summary().to_dict()


def test_duplicate_appears_and_disappears_elsewhere() -> None:
    a = POOL[0]
    doc = Document(Analyzer(Settings()), "\n".join([a, POOL[3], POOL[2]]) + "\n")
    assert "TL904" not in {d.code for d in doc.diagnostics()}
    doc.replace_lines(2, 3, a)
    dups = [d for d in doc.diagnostics() if d.code == "TL904"]
    assert [(d.line, d.related[0][0]) for d in dups] == [(2, 0)]
    doc.replace_lines(0, 1, POOL[1])  # the first copy changes: the duplicate goes away
    assert "TL904" not in {d.code for d in doc.diagnostics()}


def test_many_line_count_changes_keep_line_numbers() -> None:
    """More inserts and deletes than the engine keeps pending before it renumbers."""
    import random

    rng = random.Random(7)
    doc = Document(Analyzer(Settings()), "\n".join(POOL * 4) + "\n")
    for step in range(300):
        n = doc.line_count
        i = rng.randrange(n)
        if rng.random() < 0.5 or n < 5:
            doc.apply_change((i, 0), (i, 0), rng.choice(POOL) + "\n")
        else:
            doc.apply_change((i, 0), (i + 1, 0), "") if i + 1 < n else doc.replace_lines(i, n, "")
        if step % 25 == 0 or step > 280:
            fresh = Document(Analyzer(Settings()), doc.text)
            assert key(doc.diagnostics()) == key(fresh.diagnostics()), step


def test_token_statistics_follow_edits() -> None:
    """Token statistics from the incremental index equal a fresh document's after edits."""
    import random

    rng = random.Random(3)
    doc = Document(Analyzer(Settings()), "\n".join(POOL * 3) + "\n")
    doc.token_stats()
    for _ in range(60):
        i = rng.randrange(doc.line_count)
        doc.replace_lines(i, i + 1, rng.choice(POOL))
        if rng.random() < 0.3:
            doc.apply_change((i, 0), (i, 0), rng.choice(POOL) + "\n")
        fresh = Document(Analyzer(Settings()), doc.text)
        assert doc.token_stats() == fresh.token_stats()


def test_dataset_findings_follow_the_lines_they_read() -> None:
    """Dataset rules' findings are reused between edits only while what they read is unchanged."""
    s = Settings()
    pretty = ["{", POOL[12], "}"]
    doc = Document(Analyzer(s), "\n".join([POOL[0], *pretty, POOL[3]]) + "\n")
    assert [d.line for d in doc.diagnostics() if d.code == "TL102"] == [1]
    doc.replace_lines(4, 5, POOL[2])  # an edit elsewhere: the finding is reused as it was
    assert [d.line for d in doc.diagnostics() if d.code == "TL102"] == [1]
    doc.replace_lines(2, 3, POOL[3])  # a line of the run becomes an object: the run breaks
    assert key(doc.diagnostics()) == key(Document(Analyzer(s), doc.text).diagnostics())
    assert "TL102" not in {d.code for d in doc.diagnostics()}
    doc.replace_lines(2, 3, POOL[12])  # and comes back
    assert [d.line for d in doc.diagnostics() if d.code == "TL102"] == [1]
    doc.apply_change((0, 0), (0, 0), POOL[0] + "\n")  # a copy above: TL904, and the run moves
    assert key(doc.diagnostics()) == key(Document(Analyzer(s), doc.text).diagnostics())
    assert [d.line for d in doc.diagnostics() if d.code in ("TL102", "TL904")] == [1, 2]
