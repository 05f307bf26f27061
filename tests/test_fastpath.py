"""The fast path for plain chat lines (fastpath.py, _fastline.c) gives exactly the results of the
whole engine: on generated lines written the ways people write JSON, under varied settings, on
every fixture and on the real datasets."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import FIXTURES, IN_CI, file_lines, fixture_files, real_dataset_files, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_shapepath import copies

from tunelint import batch as _batch
from tunelint import fastpath
from tunelint import formats as fm
from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer, LineResult

if not fastpath.AVAILABLE:
    message = "the compiled fast path (tunelint._fastline) is not built: no C compiler?"
    if IN_CI:
        pytest.fail(message + "; CI must build it", pytrace=False)
    pytest.skip(message, allow_module_level=True)

from tunelint import _fastline  # noqa: E402 - only once it is known to be built

SETTINGS: list[dict[str, Any]] = [
    {},
    {"profile": "together"},
    {"profile": "mistral"},
    {"profile": "azure-openai", "model": "gpt-4o-2024-08-06"},
    {"extend-select": ["system-missing"]},
    # A limit that lines cross: the token bound decides which lines may take the fast path.
    {"rules": {"example-too-long": {"limit": 120}}},
    {"rules": {"role-invalid": {"discouraged_roles": ["system"]}}},
    {"format": "reinforcement"},
    {"ignore": ["TL3"]},
]


def analyzers(options: dict[str, Any]) -> tuple[Analyzer, Analyzer]:
    """One analyzer with the fast path and one without, for the same settings."""
    s = settings_from_mapping(options)
    fast, whole = Analyzer(s, "data.jsonl"), Analyzer(s, "data.jsonl")
    whole.plain_path.formats = frozenset()
    whole.shape_path.enabled = False
    whole.tool_path.enabled = False
    return fast, whole


def assert_same(lines: list[bytes], options: dict[str, Any]) -> int:
    """Each line's result through both paths, in order (the fast path learns from earlier
    lines); returns how many lines the fast path took."""
    fast, whole = analyzers(options)
    taken = 0
    for raw in lines:
        found = _fastline.plain_chat(raw)
        if found is not None:
            # A clean line with the same roles first, so that the fast path has learnt them and
            # takes this line if it may: a line it mistakes for clean is then caught.
            twin = clean_twin(found[1])
            assert fast.analyze_bytes(twin) == whole.analyze_bytes(twin)
        known = dict(fast.plain_path.verdicts)
        got = fast.analyze_bytes(raw)
        want = whole.analyze_bytes(raw)
        assert got == want, (raw, options)
        text = raw.decode("utf-8", "surrogateescape")
        assert fast.analyze_fresh(text) == whole.analyze_fresh(text), (raw, options)
        if found is not None and known.get(found[1]):
            taken += 1
    return taken


# An assistant message's letter by its weight, as plain_chat spells it.
WEIGHT_LETTERS = {"0": "0", "1": "1", "0.0": "O", "1.0": "I"}
WEIGHTS = {"0": 0, "1": 1, "O": 0.0, "I": 1.0}


def clean_twin(roles: bytes) -> bytes:
    """A plain line with these roles (as plain_chat spells them) and ordinary content."""
    names = {"s": "system", "u": "user", "a": "assistant"}
    msgs: list[dict[str, Any]] = []
    for letter in roles.decode():
        m: dict[str, Any] = {"role": names.get(letter, "assistant"),
                             "content": f"Text {len(msgs)}"}
        if letter in WEIGHTS:
            m["weight"] = WEIGHTS[letter]
        msgs.append(m)
    return orjson.dumps({"messages": msgs})


# --- generated lines ---------------------------------------------------------------------

ROLES = ["system", "user", "assistant", "assistant", "user", "tool", "developer", "asistant"]
PIECES = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list(" \t\n\r\"\\/<|é😀\u00a0\u2028\u3000\x00\x01\x1f\x7f")
                    + ["<|endoftext|>", "<|fim_suffix|>", "Hello", "  "]),
)
CONTENT = st.one_of(
    st.lists(PIECES, max_size=20).map("".join),
    st.sampled_from(["", " ", "\u3000", "Hello", "Hi <|endoftext|>", "a<|b", "x" * 400]),
)


@st.composite
def messages(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        m: dict[str, Any] = {"role": draw(st.sampled_from(ROLES)), "content": draw(CONTENT)}
        if draw(st.integers(0, 5)) == 0:
            m["weight"] = draw(st.sampled_from([0, 1, 1, 0, 1.0, 0.0, 2, "1", None]))
        if draw(st.integers(0, 12)) == 0:
            m["name"] = "bob"
        if draw(st.integers(0, 20)) == 0:
            m["content"] = draw(st.sampled_from([None, 1, [{"type": "text", "text": "hi"}]]))
        out.append(m)
    return out


def write(obj: dict[str, Any], style: int, rng: random.Random) -> bytes:
    """JSON as different writers write it: compact, spaced, ASCII-escaped, keys reordered,
    escaped slashes, upper-case hex."""
    if style == 0:
        return orjson.dumps(obj)
    msgs = obj.get("messages")
    if isinstance(msgs, list) and style in (3, 4):
        shuffled = []
        for m in msgs:
            items = list(m.items())
            rng.shuffle(items)
            shuffled.append(dict(items))
        obj = {**obj, "messages": shuffled}
    text = json.dumps(obj, ensure_ascii=style in (1, 3),
                      separators=(",", ":") if style in (2, 3) else (", ", ": "))
    if style == 4:
        text = text.replace("/", "\\/")
    if style == 5:
        text = text.replace("\\u00e9", "\\u00E9").replace("\\ud83d", "\\uD83D")
    if style == 6:
        text = " " + text
    return text.encode("utf-8", "surrogatepass")


@st.composite
def lines(draw: st.DrawFn) -> list[bytes]:
    rng = random.Random(draw(st.integers(0, 2**32)))
    out = []
    for _ in range(draw(st.integers(1, 12))):
        obj: dict[str, Any] = {"messages": draw(messages())}
        if draw(st.integers(0, 15)) == 0:
            obj["tools"] = []
        out.append(write(obj, draw(st.integers(0, 6)), rng))
        if out and draw(st.integers(0, 3)) == 0:
            out.append(out[rng.randrange(len(out))])  # the same line again
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines(), st.sampled_from(SETTINGS))
def test_generated_lines_get_the_whole_engines_results(batch: list[bytes],
                                                       options: dict[str, Any]) -> None:
    assert_same(batch, options)


@settings(max_examples=300, deadline=None)
@given(messages(), st.integers(0, 6), st.randoms())
def test_plain_chat_writes_what_orjson_and_prompt_and_target_write(
        msgs: list[dict[str, Any]], style: int, rng: random.Random) -> None:
    raw = write({"messages": msgs}, style, rng)
    found = _fastline.plain_chat(raw)
    if found is None:
        return
    canonical, roles, prompt, target = found
    obj = orjson.loads(raw)
    assert canonical == orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    letters = [m["role"][0] if "weight" not in m else WEIGHT_LETTERS[repr(m["weight"])]
               for m in obj["messages"]]
    assert roles == "".join(letters).encode()
    pt = fm.prompt_and_target(obj, fm.CHAT, raw.decode())
    assert (prompt, target) == (pt if pt is not None else (None, None))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200) | st.text(st.sampled_from('ab AB\\nNrRtT"\t\r\n\x0b\x0c')).map(
    str.encode))
def test_normalize_is_formats_normalized(data: bytes) -> None:
    assert _fastline.normalize(data) == fm.normalized_by_passes(data) == fm.normalized(data)


# --- what the grammar declines -------------------------------------------------------------

SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()] + [" \u3000\t\n"]
PLAIN = b'{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Yo"}]}'


@pytest.mark.parametrize("raw", [
    b' ' + PLAIN, PLAIN + b' ', PLAIN[:-1],
    b'{"messages":[]}',
    PLAIN.replace(b'"Hi"', b'""'),
    PLAIN.replace(b'"Hi"', b'"  "'),
    *(PLAIN.replace(b'"Hi"', json.dumps(c).encode()) for c in SPACES),
    *(PLAIN.replace(b'"Hi"', json.dumps(c, ensure_ascii=False).encode()) for c in SPACES),
    PLAIN.replace(b'"Hi"', b'"\xe3\x80\x80\\t"'),
    PLAIN.replace(b'"Hi"', b'"a<|endoftext|>"'),
    PLAIN.replace(b'"Hi"', b'"a\\u003c|b"'),
    PLAIN.replace(b'"Hi"', b'"a<\\u007cb"'),
    PLAIN.replace(b'"Hi"', b'"\\ud800"'),
    PLAIN.replace(b'"Hi"', b'"\\udc00x"'),
    PLAIN.replace(b'"Hi"', b'"a\\u0001"'),
    PLAIN.replace(b'"Hi"', b'"a\\b"'),
    PLAIN.replace(b'"Hi"', b'"a\x01"'),
    PLAIN.replace(b'"Hi"', b'"a\xff"'),
    PLAIN.replace(b'"Hi"', b'"a\xc0\xaf"'),
    PLAIN.replace(b'"Hi"', b'"a\xed\xa0\x80"'),
    PLAIN.replace(b'"Hi"', b'"a\\x"'),
    PLAIN.replace(b'"role":"user"', b'"role":"tool"'),
    PLAIN.replace(b'"role":"user"', b'"r\\u006fle":"user"'),
    PLAIN.replace(b'"role":"user"', b'"role":"user","role":"user"'),
    PLAIN.replace(b'"role":"user"', b'"role":"user","weight":1'),
    PLAIN.replace(b'"content":"Yo"', b'"content":"Yo","weight":1.00'),
    PLAIN.replace(b'"content":"Yo"', b'"content":"Yo","weight":1.5'),
    PLAIN.replace(b'"content":"Yo"', b'"content":"Yo","weight":1e0'),
    PLAIN.replace(b'"content":"Yo"', b'"content":"Yo","weight":10'),
    PLAIN.replace(b'"content":"Yo"', b'"content":"Yo","name":"x"'),
    PLAIN.replace(b'{"messages"', b'{"tools":[],"messages"'),
    PLAIN.replace(b'"Hi"', b'null'),
])
def test_declines_what_is_not_plain(raw: bytes) -> None:
    assert _fastline.plain_chat(raw) is None
    assert_same([PLAIN, raw, raw], {})


def test_takes_plain_lines_and_the_ways_they_are_written() -> None:
    weighted = PLAIN.replace(b'"content":"Yo"', b'"content":"Yo", "weight": 1')
    spaced = (b'{"messages": [{"content": "caf\\u00e9 \\ud83d\\ude00 \\/ \\"q\\" \\\\ \\n",\t'
              b'"role": "user"}, {"role": "assistant", "content": "ok"}]}')
    # As pandas writes weights: a finding (use 1 and 0), the same on every such line.
    pandas = [PLAIN.replace(b'"content":"Yo"', b'"content":"Yo","weight":%s' % w)
              for w in (b"1.0", b"0.0")]
    for raw in (PLAIN, weighted, spaced, *pandas):
        assert _fastline.plain_chat(raw) is not None, raw
    assert assert_same([PLAIN, PLAIN, weighted, weighted, spaced, spaced], {}) == 6
    assert assert_same([pandas[0], pandas[0], pandas[1], pandas[1]], {}) == 4
    fast, _ = analyzers({})
    assert fast.analyze_bytes(pandas[0]).problems


# --- the safeguards ----------------------------------------------------------------------

def test_a_sequence_of_roles_with_a_problem_takes_it_with_those_problems() -> None:
    """On a plain line every rule's verdict is a function of the roles, problems included: the
    first line with a sequence learns them, later ones reuse them (and equal the whole
    engine's result)."""
    late_system = (b'{"messages":[{"role":"user","content":"a"},{"role":"system","content":"b"},'
                   b'{"role":"assistant","content":"c"}]}')
    later = late_system.replace(b'"a"', b'"z"')
    fast, whole = analyzers({})
    first = fast.analyze_bytes(late_system)
    assert first.problems
    assert fast.plain_path.verdicts[b"usa"] == (first.format, first.problems)
    assert fast.analyze_bytes(later) == whole.analyze_bytes(later)
    assert assert_same([late_system, later, later], {}) == 3  # each after a twin


def test_problems_placed_by_their_own_columns_are_not_reused() -> None:
    """A problem with columns or a related line of its own belongs to its line: the sequence
    then always goes the whole way."""
    from tunelint.problems import Problem, Related

    fast, whole = analyzers({})
    for extra in ({"span": (0, 1)}, {"related": [Related(0, "", "there")]}):
        path = fastpath.PlainChatPath(fast.rules, None, off=False)

        def full(raw: bytes, extra: dict[str, Any] = extra) -> Any:
            result = whole.analyze_bytes(raw)
            result.problems = (Problem("TL301", "odd", **extra),)
            return result

        path.analyze(PLAIN, full)
        assert path.verdicts[b"ua"] is None, extra
        assert path.analyze(PLAIN, full) is None


def test_a_wrong_canonical_form_is_caught_by_the_first_line_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = _fastline.plain_chat

    def off_by_one(raw: bytes) -> Any:
        found = real(raw)
        return None if found is None else (found[0] + b" ", *found[1:])

    monkeypatch.setattr(fastpath._fastline, "plain_chat", off_by_one)
    fast, _ = analyzers({})
    fast.analyze_bytes(PLAIN)
    assert fast.plain_path.verdicts[b"ua"] is None  # never trusted
    assert assert_same([PLAIN, PLAIN.replace(b"Hi", b"Ho")], {}) == 0


@pytest.mark.parametrize("options", [
    {"schema": {"type": "object", "required": ["id"]}},
    {"rules": {"special-token": {"extra_tokens": ["[INST]"]}}},
    {"format": "none"},
])
def test_settings_that_look_at_content_turn_it_off(options: dict[str, Any]) -> None:
    fast, _ = analyzers(options)
    assert fast.plain_path.formats == frozenset()
    assert assert_same([PLAIN, PLAIN.replace(b"Hi", b"[INST]")], options) == 0


def test_a_rule_not_reviewed_for_it_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(fastpath.PLAIN_SAFE, "TL309")
    fast, _ = analyzers({})
    assert fm.CHAT not in fast.plain_path.formats


def test_every_chat_rule_is_reviewed_for_it() -> None:
    """A new chat rule must be added to PLAIN_SAFE (or left out on purpose, here)."""
    fast, _ = analyzers({})
    assert fm.CHAT in fast.plain_path.formats


# --- real files ----------------------------------------------------------------------------

def test_fixtures_get_the_same_results() -> None:
    taken = sum(assert_same(file_lines(path), {}) for path in fixture_files())
    assert taken > 0


def test_real_datasets_get_the_same_results() -> None:
    taken = sum(assert_same(file_lines(path), options) for path in real_dataset_files()
                    for options in ({}, {"profile": "together"}))
    assert taken > 10


def test_results_are_line_results() -> None:
    fast, _ = analyzers({})
    fast.analyze_bytes(PLAIN)
    assert isinstance(fast.analyze_bytes(PLAIN), LineResult)


# --- locate ----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False,
                                                                       allow_infinity=False)
    | st.lists(PIECES, max_size=4).map("".join),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "b", "role", "x/y", "t~n", "é", "1", ""]), inner,
                      max_size=4),
    max_leaves=12,
)


def pointers(value: Any, prefix: str = "") -> Iterator[str]:
    """Every pointer into ``value``, and some that lead nowhere."""
    yield prefix
    yield prefix + "/missing"
    if isinstance(value, dict):
        for k, v in value.items():
            yield from pointers(v, prefix + "/" + k.replace("~", "~0").replace("/", "~1"))
    elif isinstance(value, list):
        yield prefix + f"/{len(value)}"
        yield prefix + "/01"
        for i, v in enumerate(value):
            yield from pointers(v, f"{prefix}/{i}")


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, st.integers(0, 5), st.randoms(), st.sampled_from(["value", "key", "member"]))
def test_compiled_locate_equals_the_scan(value: Any, style: int, rng: random.Random,
                                         part: str) -> None:
    from tunelint import jsonscan

    obj = {"v": value, "a": [value]}
    text = write(obj, style, rng).decode("utf-8", "surrogatepass")
    variants = [text, text.replace('"a"', '"v"', 1), text[:-1], "  " + text + " ",
                text.replace("[", "[[", 1)]
    for line in variants:
        try:
            scanned: dict[str, jsonscan.Span] | None = jsonscan.scan(line).spans
        except jsonscan.ScanError:
            scanned = None
        spans = jsonscan.LineSpans(line)
        for pointer in list(pointers(obj))[:40] + ["/v/a~2", "v", "/a/-1", "/a/0/"]:
            assert jsonscan.locate(line, pointer, part) == jsonscan._scanned_locate(
                line, pointer, part), (line, pointer, part)
            # What fixes look their edits up in: the same spans as the scan, or its error.
            if scanned is None:
                with pytest.raises(jsonscan.ScanError):
                    spans.get(pointer)
            else:
                assert spans.get(pointer) == scanned.get(pointer), (line, pointer)


def test_compiled_locate_declines_deep_nesting() -> None:
    from tunelint import jsonscan

    deep = "[" * 402 + "]" * 402  # one level past jsonscan.MAX_DEPTH
    assert _fastline.locate(deep.encode(), ("0",)) is None
    assert jsonscan.locate(deep, "/0") == jsonscan._scanned_locate(deep, "/0", "value")


# --- plain_lines: runs of plain lines straight into the check's columns --------------------

_BATCH_ANALYZER = _batch._analyzer

def chunk_facts(path: Path, options: dict[str, Any], plain_lines: bool,
                monkeypatch: pytest.MonkeyPatch, ranges: int = 1, whole: bool = False
                ) -> list[Any]:
    """Everything ``tunelint check``'s ranges keep of a file: the columns and each flagged line's
    problems, range by range (``whole``: with no fast path and no shapes at all)."""
    from tunelint import batch

    monkeypatch.setattr(batch, "PLAIN_LINES", plain_lines)
    analyzer = _BATCH_ANALYZER  # not an earlier call's patch

    def without_fast_paths(*args: Any) -> Analyzer:
        found = analyzer(*args)
        found.plain_path.formats = frozenset()
        found.shape_path.enabled = found.tool_path.enabled = False
        return found

    monkeypatch.setattr(batch, "_analyzer", without_fast_paths if whole else analyzer)
    s = settings_from_mapping(options)
    size = path.stat().st_size
    facts: list[Any] = []
    for start, end in batch._split(str(path), size, ranges):
        chunk = batch.analyze_range(str(path), s, start, end, None, False, True)
        flagged = chunk.flagged
        facts.append((vars(chunk.columns),
                      [(line, flagged.distinct[w]) for line, w in zip(flagged.lines,
                                                                      flagged.which)]))
    return facts


def assert_same_columns(path: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                        ranges: int = 1) -> None:
    """plain_lines (with the chat lines of remembered shapes), the fast paths line by line, and
    the whole engine write the same columns and problems."""
    want = chunk_facts(path, options, False, monkeypatch, ranges, whole=True)
    assert chunk_facts(path, options, False, monkeypatch, ranges) == want, (path, options)
    assert chunk_facts(path, options, True, monkeypatch, ranges) == want, (path, options)


NICE_CONTENT = st.text(st.sampled_from(list("ab AB\t\n\"\\/é😀<|\u3000")), min_size=1,
                       max_size=12).filter(lambda t: "<|" not in t and not t.isspace())


@st.composite
def plain_lines(draw: st.DrawFn) -> list[bytes]:
    """Lines the fast path takes (most of them), written the ways writers write them, some
    repeated, mixed with any of ``lines()``."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    out = list(draw(lines()))
    for _ in range(draw(st.integers(1, 10))):
        msgs: list[dict[str, Any]] = []
        for role in draw(st.lists(st.sampled_from(["system", "user", "assistant"]),
                                  min_size=1, max_size=5)):
            m: dict[str, Any] = {"role": role, "content": draw(NICE_CONTENT)}
            if role == "assistant" and draw(st.integers(0, 3)) == 0:
                m["weight"] = draw(st.sampled_from([0, 1, 0.0, 1.0]))
            msgs.append(m)
        out.append(write({"messages": msgs}, draw(st.integers(0, 6)), rng))
    # Lines with tools, names, parts and images, in a few shapes (ToolChatPath's).
    out += copies(rng, draw(st.integers(0, 3)), 4)
    rng.shuffle(out)
    return out


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(batch_lines=plain_lines(), options=st.sampled_from(SETTINGS),
       ending=st.sampled_from([b"\n", b"\r\n"]), block=st.sampled_from([1, 300, 1 << 20, 1 << 20]),
       ranges=st.integers(1, 4), final_end=st.booleans())
def test_plain_lines_write_the_columns_the_engine_writes(
        batch_lines: list[bytes], options: dict[str, Any], ending: bytes, block: int,
        ranges: int, final_end: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tunelint import batch

    # Lines repeated so that their roles have a code by the time they come again; blocks
    # small enough to cut lines; several ranges; CRLF; with and without a final line end.
    body = ending.join(batch_lines * 3) + (ending if final_end else b"")
    path = tmp_path / "data.jsonl"
    path.write_bytes(body)
    monkeypatch.setattr(batch, "BLOCK", block)
    assert_same_columns(path, options, monkeypatch, ranges)


def test_plain_lines_take_lines_and_keep_their_shared_problems(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    ends_with_user = b'{"messages":[{"role":"user","content":"Hi"}]}'
    clean = clean_twin(b"sua")
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\n".join([ends_with_user, clean] * 50) + b"\n")
    called: list[int] = []
    take_lines = fastpath.PlainChatPath.take_lines

    def counting(self: fastpath.PlainChatPath, *args: Any) -> Any:
        found = take_lines(self, *args)
        called.append(found[1])
        return found

    monkeypatch.setattr(fastpath.PlainChatPath, "take_lines", counting)
    assert_same_columns(path, {}, monkeypatch)
    assert sum(called) == 98  # all but the first line of each sequence of roles
    facts = chunk_facts(path, {}, True, monkeypatch)
    flagged = facts[0][1]
    assert [line for line, _ in flagged] == list(range(0, 100, 2))
    assert len({id(problems) for _, problems in flagged}) == 1  # one tuple, shared


def test_plain_lines_stop_at_a_lone_carriage_return(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tunelint import batch

    clean = clean_twin(b"ua")
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\n".join([clean, clean, clean + b"\r" + clean, clean]) + b"\n")
    monkeypatch.setattr(batch, "PLAIN_LINES", True)
    with pytest.raises(batch.NeedsFullRead):
        batch.analyze_range(str(path), settings_from_mapping({}), 0, path.stat().st_size)


def test_plain_lines_columns_on_fixtures_and_real_datasets(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from tunelint import batch

    paths = sorted(FIXTURES.rglob("*.jsonl")) + sorted(shared_path("real-datasets").rglob(
        "*.jsonl"))
    checked = 0
    for path in paths:
        if b"\r" in path.read_bytes().replace(b"\r\n", b""):
            continue  # lone CRs: the in-memory path reads those files
        for options in ({}, {"profile": "together"}):
            monkeypatch.setattr(batch, "BLOCK", 4096)
            assert_same_columns(path, options, monkeypatch, ranges=3)
            checked += 1
    assert checked > 20
