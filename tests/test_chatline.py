"""``_fastline.chat_line`` (the compiled half of shapepath.ToolChatPath): what it writes is what
orjson and the Python engine write, it declines what it says it declines, and its shape is at
least as fine as ``ShapePath.key``."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_shapepath import copies

from tunelint import formats as fm
from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer
from tunelint.fastpath import _fastline

pytestmark = pytest.mark.skipif(_fastline is None, reason="built without the C extension")

KEYS = ["role", "content", "id", "weight", "tool_call_id", "name", "type", "text", "a", "B",
        "é", "", "function", "arguments", "tool_calls"]
URLS = ["https://a.example/x.png", "http://b.example/y.jpg", "HTTP://C.example/z", "http:/",
        "ftp://d.example/w.png", "data:image/png;base64,iVBORw0KGgo=", "https:/"]
WORDS = ["", " ", "\n", "\u3000", "assistant", "user", "text", "tool", "x\"y\\z", "日本語",
         "\u2028", "a\tb", "<", "|", "call_1", "bob"]


def examples(strings: st.SearchStrategy[str], floats: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Chat-like examples: messages with the keys the shape masks or keeps, and any JSON."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**18 + 1, 10**18 - 1),
                        strings, *([st.floats(allow_nan=False, allow_infinity=False)]
                                   if floats else []))
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
        max_leaves=20)
    parts = st.lists(st.one_of(
        st.fixed_dictionaries({"type": st.just("text"), "text": strings}),
        st.fixed_dictionaries({"type": st.sampled_from(["image_url", "text"]), "image_url":
                               st.one_of(st.fixed_dictionaries(
                                   {"url": st.one_of(strings, st.sampled_from(URLS))},
                                   optional={"detail": st.sampled_from(["low", "bad"])}),
                                   strings)}),
        values), max_size=3)
    message = st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "tool", "bogus"])},
        optional={"content": st.one_of(strings, values, parts),
                  "weight": st.sampled_from([0, 1, 2]),
                  "tool_calls": st.lists(st.fixed_dictionaries(
                      {"id": strings, "type": st.just("function"),
                       "function": st.fixed_dictionaries({"name": strings,
                                                          "arguments": strings})}),
                      max_size=2),
                  "tool_call_id": strings, "name": strings, "extra": values})
    return st.fixed_dictionaries(
        {"messages": st.lists(st.one_of(message, values), max_size=5)},
        optional={"tools": values, "parallel_tool_calls": st.booleans(), "zeta": values})


STRINGS = st.one_of(st.sampled_from(WORDS), st.text(max_size=12))
EXAMPLES = examples(STRINGS, floats=True)
# What chat_line accepts, mostly: for the shape's test, which needs lines it shapes.
PLAIN_STRINGS = st.one_of(st.sampled_from(WORDS), st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), max_size=8))
ACCEPTED = examples(PLAIN_STRINGS, floats=False)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), PLAIN_STRINGS)


def written(obj: Any, rng: random.Random) -> tuple[bytes, bool]:
    """The example as a JSON line, spelt one of several ways (key order, spaces, escapes), and
    whether non-ASCII characters were escaped."""
    if rng.random() < 0.5:
        obj = shuffled(obj, rng)
    separators = rng.choice([(",", ":"), (", ", ": "), (",\t", " :  ")])
    ascii_only = rng.random() < 0.3
    return json.dumps(obj, ensure_ascii=ascii_only, separators=separators).encode(), ascii_only


def shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return False


def keys_of(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *keys_of(v)]]
    if isinstance(value, list):
        return [s for v in value for s in keys_of(v)]
    return []


def strings_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_of(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return []


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXAMPLES, st.integers(0, 2**32))
def test_what_chat_line_writes_is_what_the_engine_writes(obj: dict[str, Any], seed: int) -> None:
    raw, ascii_only = written(obj, random.Random(seed))
    found = _fastline.chat_line(raw)
    parsed = orjson.loads(raw)
    strings = strings_of(parsed)
    must_decline = (has_float(parsed) or any("<|" in s for s in strings)
                    or any("\\" in json.dumps(k, ensure_ascii=ascii_only)
                           for k in keys_of(parsed))
                    or any(ord(c) < 0x20 and c not in "\n\r\t" for s in strings for c in s)
                    or any("\ud800" <= c <= "\udfff" for s in strings for c in s))
    if must_decline:
        assert found is None
        return
    assert found is not None, raw
    canonical, n_messages, n_images, prompt, target, _shape, _ids, _arguments = found
    assert canonical == orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    assert n_messages == len(parsed["messages"])
    assert n_images == (fm.count_images(parsed) if b"image_url" in raw else 0)
    pt = fm.prompt_and_target(parsed, fm.CHAT, raw.decode())
    assert (prompt, target) == (pt if pt is not None else (None, None))


@pytest.mark.parametrize("line", [
    b'{"messages": [], "a": 1, "a": 2}',  # a duplicate key (orjson keeps the last)
    b'{"messages": [{"r\\u006fle": "user"}]}',  # a key written with an escape
    b' {"messages": []}',  # space around the line
    b'{"messages": []} ',
    b'{"messages": [1.0]}',  # a float: orjson writes its own digits
    b'{"messages": [1e3]}',
    b'{"messages": [1234567890123456789]}',  # past 18 digits
    b'{"messages": [01]}',  # not JSON
    b'{"messages": ["\\ud800"]}',  # a lone surrogate
    b'{"messages": ["a\\u0000b"]}',  # a control character
    b'{"messages": ["\\u003c|endoftext|>"]}',  # a special token, spelt with an escape
    b'{"messages": "not a list"}',
    b'{"prompt": "p", "completion": "c"}',
    b'{"messages": [' + b"[" * 70 + b"]" * 70 + b"]}",  # deeper than 64
    b'{"messages": ["\xff"]}',  # invalid UTF-8
    b'{"messages": [tru]}',
    b'{"messages": [] ,}',
])
def test_what_chat_line_declines(line: bytes) -> None:
    assert _fastline.chat_line(line) is None


def test_an_accepted_line() -> None:
    line = (b'{"messages": [{"role": "user", "content": "Hi \\u00e9 <"}, {"role": "assistant",'
            b' "weight": 1, "tool_calls": [{"id": "qq7", "type": "function", "function": '
            b'{"name": "f", "arguments": "{\\"x\\": 1}"}}]}, {"role": "tool", "tool_call_id": '
            b'"qq7", "content": " "}, {"role": "assistant", "content": "-0", "n": -0}]}')
    canonical, n, images, prompt, target, shape, ids, arguments = _fastline.chat_line(line)
    assert canonical == orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)
    assert n == 4 and images == 0 and ids == ("qq7",) and arguments == (b'{"x": 1}',)
    assert target == b'{"content":"-0","n":0,"role":"assistant"}'
    assert b'"weight"' not in prompt and b'"id"' not in prompt and b'"qq7"' not in prompt
    assert b"Hi" not in shape and b"qq7" not in shape and b'"x"' not in shape
    # Three content classes: text, whitespace only, text again.
    assert shape.count(b"\x01c2") == 2 and shape.count(b"\x01c1") == 1


def test_image_parts() -> None:
    line = (b'{"messages": [{"role": "user", "content": [{"type": "text", "text": "What?"}, '
            b'{"type": "image_url", "image_url": {"url": "HTTPS://x.example/a.png", '
            b'"detail": "low"}}, {"type": "image_url", "image_url": {"url": '
            b'"data:image/png;base64,iVBORw0KGgo="}}]}, {"role": "assistant", "content": "A."}]}')
    found = _fastline.chat_line(line)
    assert found is not None
    assert found[2] == 2  # images
    shape = found[5]
    # An http(s) link is masked; a data URL is kept (image-format reads it); detail is kept.
    assert b"x.example" not in shape and b"\x01u0" in shape
    assert b"data:image/png;base64,iVBORw0KGgo=" in shape and b'"low"' in shape
    # The engine counts images only where the line spells "image_url": a type written with an
    # escape, and no image_url key, is none.
    escaped = (b'{"messages": [{"role": "user", "content": [{"type": "image\\u005furl"}]}, '
               b'{"role": "assistant", "content": "A."}]}')
    assert fm.count_images(orjson.loads(escaped)) == 1 and b"image_url" not in escaped
    assert _fastline.chat_line(escaped)[2] == 0
    spelt = escaped.replace(b'"type": "image\\u005furl"', b'"type": "image\\u005furl", '
                            b'"image_url": {"url": "https://x.example/b.png"}')
    assert _fastline.chat_line(spelt)[2] == 1


def test_the_shape_is_at_least_as_fine_as_the_engines() -> None:
    """Lines with the same chat_line shape (and id pattern bits) have the same ShapePath key:
    so a verdict learnt on one holds on the others."""
    analyzer = Analyzer(settings_from_mapping({"profile": "mistral"}), "data.jsonl")
    groups: dict[bytes, set[bytes | None]] = defaultdict(set)
    lines = copies(random.Random(3), 120, 5)
    for raw in lines:
        found = _fastline.chat_line(raw)
        if found is None:
            continue
        match = analyzer.shape_path._id_match
        assert match is not None
        key = found[5] + b"".join(b"1" if match(i) else b"0" for i in found[6])
        groups[key].add(analyzer.shape_path.key(orjson.loads(raw)))
    assert len(groups) > 50
    assert sum(len(g) for g in groups.values()) == len(groups)
    assert sum(1 for raw in lines if _fastline.chat_line(raw) is not None) > len(lines) // 2


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
    return [path]


def with_leaf(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = with_leaf(value[path[0]], path[1:], new)
    return copy


def digest(analyzer: Analyzer, raw: bytes) -> bytes | None:
    found = _fastline.chat_line(raw)
    if found is None:
        return None
    match = analyzer.shape_path._id_match
    return found[5] + (b"".join(b"1" if match(i) else b"0" for i in found[6]) if match else b"")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACCEPTED, st.data(), st.sampled_from([{}, {"profile": "mistral"}]))
def test_lines_the_engine_shapes_apart_chat_line_shapes_apart(
        obj: dict[str, Any], data: st.DataObject, options: dict[str, Any]) -> None:
    """One leaf of a line changed: where ShapePath's key changes, chat_line's shape does too
    (so that it is never coarser: the verdict learnt on one line holds on another)."""
    analyzer = Analyzer(settings_from_mapping(options), "data.jsonl")
    paths = leaves(obj)
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    changed = with_leaf(obj, path, data.draw(SCALARS))
    a, b = orjson.dumps(obj), orjson.dumps(changed)
    da, db = digest(analyzer, a), digest(analyzer, b)
    assume(da is not None and db is not None)
    if analyzer.shape_path.key(orjson.loads(a)) != analyzer.shape_path.key(orjson.loads(b)):
        assert da != db, (a, b)


def _mutations() -> st.SearchStrategy[bytes]:
    base = (b'{"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi \\u00e9"}, '
            b'{"type": "image_url", "image_url": {"url": "https://x.example/a.png"}}]}, '
            b'{"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": '
            b'{"name": "f", "arguments": "{\\"x\\": [1, true, null]}"}}]}, {"role": "tool", '
            b'"tool_call_id": "c1", "content": "ok"}], "tools": [{"type": "function", '
            b'"function": {"name": "f", "parameters": {"type": "object"}}}]}')
    return st.builds(
        lambda cuts, noise: _mutate(base, cuts, noise),
        st.lists(st.integers(0, len(base) - 1), max_size=4), st.binary(max_size=4))


def _mutate(base: bytes, cuts: list[int], noise: bytes) -> bytes:
    out = bytearray(base)
    for i, at in enumerate(cuts):
        if i % 2:
            del out[at % max(1, len(out))]
        else:
            out[at % len(out):at % len(out)] = noise
    return bytes(out)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), _mutations()))
def test_any_bytes_are_declined_or_written_as_orjson_writes_them(raw: bytes) -> None:
    """Broken lines never crash the scan: it declines them, or what it accepts is JSON that
    orjson reads to the same canonical form."""
    found = _fastline.chat_line(raw)
    if found is None:
        return
    parsed = orjson.loads(raw)
    assert found[0] == orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    assert found[1] == len(parsed["messages"])
