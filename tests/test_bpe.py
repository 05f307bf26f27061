"""The compiled counters (server/_bpe.c) count what tiktoken counts, or decline.

tiktoken is the oracle, for o200k_base and cl100k_base: on generated text built from the
characters that decide each split
(every class of its pattern, apostrophes and contractions, line breaks and other white space,
marks, digits of other scripts), on text around every code point the Unicode table classifies,
and on every string of the fixtures and the real datasets.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import FIXTURES, shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from tunelint import tokens, unicode_classes

_bpe = pytest.importorskip("tunelint._bpe", reason="the compiled counter was not built")


ENCODINGS = ["o200k_base", "cl100k_base"]
by_encoding = pytest.mark.parametrize("name", ENCODINGS)


@cache
def counter(name: str = "o200k_base") -> Any:
    found = tokens.compiled_counter(name)
    assert found is not None
    return found


def tiktoken_count(text: str, name: str = "o200k_base") -> int:
    return len(tokens.get_encoding(name).encode_ordinary(text))


def assert_same(texts: list[str], name: str = "o200k_base") -> int:
    """Each text counts the same both ways, unless declined; returns how many were counted."""
    ours = counter(name).count_many(texts)
    assert ours == [counter(name).count(t) for t in texts]
    theirs = tokens.get_encoding(name).encode_ordinary_batch(texts, num_threads=1)
    counted = 0
    for text, n, encoded in zip(texts, ours, theirs):
        if n >= 0:
            assert n == len(encoded), text
            counted += 1
    return counted


# Characters chosen for the pattern: ASCII of every kind, apostrophes and the letters of the
# contractions in both cases (and the long s, which case-folds to s), line breaks, other white
# space (U+0085, U+00A0, U+2003, U+3000) and what str.isspace wrongly calls space (U+001C), upper,
# title-case, modifier and other letters, combining marks, numbers of other kinds and scripts,
# format and private-use characters, emoji with modifiers and joiners.
SPLIT_CHARS = list(
    "aAbBzZsStTmMdDrReEvVlLkK019 '\"!?.,;:/\\-_()[]{}<>|@#$%^&*+=~`\t\n\r\x0b\x0c\x00\x1c\x7f"
    "ſéÉñÑßǅǈʰʲˆ中文日本語テストカタカナ한국어ㄱ\u0301\u0308\u20dd\u0903"
    "٣٤٥½Ⅻ²\u0085\u00a0\u2003\u3000\u2028\u200d\u200b\ue000😀👍🏽🇫🇷"
)


@by_encoding
@settings(max_examples=600, deadline=None)
@given(text=st.lists(st.sampled_from(SPLIT_CHARS) | st.sampled_from(["'s", "'LL", "'Re", "'ve",
                                                                   " the", "don't", "\r\n",
                                                                   "  ", "HELLOworld", "123456"]),
                max_size=40).map("".join))
def test_counts_equal_tiktoken_on_generated_text(name: str, text: str) -> None:
    assert assert_same([text], name) == 1  # none of these characters is declined


def _classified_code_points() -> Iterator[int]:
    """Every code point the table classifies (not BAD); in the big uniform ranges (CJK,
    Hangul, private use, the planes past the first two) every 97th."""
    uniform = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF),
               (0x20000, 0x10FFFF)]
    later = unicode_classes._later()
    for cp in range(0x110000):
        if any(a <= cp <= b for a, b in uniform) and cp % 97:
            continue
        if unicode_classes.flags(cp, later) & unicode_classes.BAD:
            continue
        yield cp


@by_encoding
def test_every_classified_code_point_splits_as_tiktoken_splits_it(name: str) -> None:
    """Around each code point the table knows (unassigned ones too: "other"), in contexts where
    its class decides the split (after a letter, an upper-case run, a space, a digit, an
    apostrophe after a word (the contractions), before a line break): the same count. A code
    point of the wrong class would split differently."""
    texts = []
    for cp in _classified_code_points():
        c = chr(cp)
        texts.append(f"a{c}b A{c}c {c}x1{c}2 '{c}{c}{c} \n{c}\r\n.{c}{c}.  {c} x'{c} X'{c}e")
    assert len(texts) > 80_000
    assert assert_same(texts, name) == len(texts)


def test_letters_added_since_the_table_and_lone_surrogates_are_declined() -> None:
    # A letter of CJK Extension I (Unicode 15.1): unassigned in the table's Unicode 14.
    new_letter = "\U0002EBF0"
    assert unicodedata.category(new_letter) == "Cn"
    assert counter().count("ok " + new_letter) == -1
    assert counter().count("ok \udc80") == -1
    assert counter().count_many(["ok", "\udc80", new_letter]) == [1, -1, -1]
    # Unassigned in every version, and an emoji added since Unicode 14 (So): "other" in all.
    assert assert_same(["ok \u0378", "wow \U0001FAE8!"]) == 2
    # A piece longer than the compiled merge takes (a run of letters 5,000 long).
    assert counter().count("x" * 5000) == -1
    # TokenCounter falls back to tiktoken for them.
    tc = tokens.TokenCounter("o200k_base")
    for text in ("ok " + new_letter, "x" * 5000):
        assert tc.count(text) == tiktoken_count(text)
    tc.prefetch(["ok " + new_letter, "plain text", "x" * 5000])
    assert tc.count("ok " + new_letter) == tiktoken_count("ok " + new_letter)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _dataset_strings(paths: list[Path]) -> list[str]:
    found: set[str] = set()
    for path in paths:
        for raw in path.read_bytes().splitlines():
            try:
                found.update(_strings(orjson.loads(raw)))
            except orjson.JSONDecodeError:
                continue
            found.add(raw.decode("utf-8", "replace"))  # whole lines: JSON punctuation too
    return sorted(found)


@by_encoding
def test_every_string_of_the_fixtures_counts_the_same(name: str) -> None:
    texts = _dataset_strings(sorted(FIXTURES.rglob("*.jsonl")))
    assert assert_same(texts, name) > 0.99 * len(texts)


@by_encoding
def test_every_string_of_the_real_datasets_counts_the_same(name: str) -> None:
    texts = _dataset_strings(sorted(shared_path("real-datasets").rglob("*.jsonl")))
    assert assert_same(texts, name) > 0.99 * len(texts)


def test_the_table_is_generated_from_unicodedata() -> None:
    header = unicode_classes.HEADER.read_text()
    if f'"{unicodedata.unidata_version}/' not in header:
        pytest.skip(f"the table was generated from another Unicode version than this Python's "
                    f"{unicodedata.unidata_version}")
    assert header == unicode_classes.header()
    assert _bpe.UNICODE_VERSION.startswith(unicodedata.unidata_version + "/")


@pytest.mark.parametrize("data", [b"", b"aGVsbG8= 1\nxx", b"aGVsbG8=\n", b"!!! 3\n",
                                  b"aGVsbG8= 99999999999\n"])
def test_a_malformed_rank_file_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a tiktoken rank file"):
        _bpe.Counter(data)
    with pytest.raises(TypeError, match="twice"):  # its tables may be in use by a thread
        counter().__init__(tokens._verified_file("o200k_base"))
    unready = _bpe.Counter.__new__(_bpe.Counter)  # never initialised: refuses, never crashes
    with pytest.raises(ValueError, match="no vocabulary"):
        unready.count("text")
    with pytest.raises(ValueError, match="no vocabulary"):
        unready.count_many(["text"])


@by_encoding
def test_the_counter_reads_the_ranks_tiktoken_reads(name: str) -> None:
    """Every token of the shipped file that is text, taken as a text, counts as tiktoken
    counts it (a token the compiled table missed or misread would count more)."""
    ranks = tokens._load_ranks(name)
    texts = [t.decode("utf-8") for t in ranks if _decodes(t)]
    assert len(texts) > 90_000
    assert assert_same(texts, name) > 0.99 * len(texts)


def test_an_unknown_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="no split pattern"):
        _bpe.Counter(b"aGVsbG8= 1\n", "p50k_base")


def _decodes(token: bytes) -> bool:
    try:
        token.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_without_the_compiled_module_tiktoken_counts_and_workers_defer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform without a C compiler builds no _bpe: counts are tiktoken's, and a worker's
    counter defers every count to the parent, as before the compiled counter."""
    from tunelint import engine

    tokens.compiled_counter.cache_clear()
    try:
        with monkeypatch.context() as m:
            m.setattr(tokens, "_bpe", None)
            assert not tokens.has_compiled_counter("o200k_base")
            tc = tokens.TokenCounter("o200k_base")
            assert tc.compiled is None
            assert tc.count("Hello, wörld 😀") == tiktoken_count("Hello, wörld 😀")
            assert isinstance(engine._counter("o200k_base", defer=True), tokens.DeferredCounter)
            with pytest.raises(tokens.TokensDeferred):
                tokens.TokenCounter("o200k_base", compiled_only=True).count("text")
    finally:
        tokens.compiled_counter.cache_clear()  # the None cached above
    assert type(engine._counter("o200k_base", defer=True)) is tokens.TokenCounter
