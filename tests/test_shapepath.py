"""Example rules' verdicts remembered by shape (shapepath.py) give exactly the whole engine's
results: on generated chat lines that share a shape but differ in every part the shape masks
(content text, tool call ids, arguments), under varied settings, on every fixture and on the real
datasets."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from helpers import file_lines, fixture_files, real_dataset_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tunelint import shapepath
from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer
from tunelint.fastpath import _fastline

SETTINGS: list[dict[str, Any]] = [
    {},
    {"rules": {"image-format": {"allow_http_urls": False}}},
    {"profile": "mistral"},  # tool call ids must match a pattern
    {"profile": "together"},
    {"extend-select": ["system-missing"]},
    {"rules": {"example-too-long": {"limit": 200}}},
    {"rules": {"TL505": {"id_pattern": "^call_[0-9]+$"}}},
    {"ignore": ["TL3"]},
]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city"]}}}
TOOLS = [
    WEATHER,
    {"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"q": {"type": "string", "minLength": 2}}}}},
    {"type": "function", "function": {"name": "broken", "parameters": {"type": "objekt"}}},
    {"type": "function", "function": {"name": "bad name!", "parameters": {"type": "object"}}},
    {"type": "fn", "function": {"name": "odd"}},
]


class Slot:
    """A masked part of a line: drawn again for each copy."""

    def __init__(self, kind: str, index: int = 0) -> None:
        self.kind, self.index = kind, index


# What the slots are drawn from: mostly what a clean line has (so that shapes get remembered and
# the copies after them test something), else what some rule reports.
TEXTS = (["Hello", "Paris?", "It is 18C.", "日本語", "x" * 300, "the weight"],
         ["", " ", "\n\t", "\u3000", "has <|endoftext|> in it", "a <|b"])
IDS = (["call_1", "call_22", "call_333", "abcDEF123", "ABCdef999", "call_4444"],
       ["x", "call_1 ", "", "é" * 9])
ARGUMENTS = (['{"city": "Paris"}', '{"city": "Oslo", "unit": "c"}', '{"city": "Rome"}',
              '{"q": "abc"}'],
             ['{"city": "Paris", "unit": "k"}', '{"city": 3}', "{}", '{"q": "a"}', "not json",
              '"{\\"city\\": \\"Oslo\\"}"', "[1]", "", "null"])


URLS = (["https://img.example/a.png", "http://img.example/b.jpg", "HTTPS://IMG.EXAMPLE/C.WEBP"],
        ["ftp://img.example/d.png", "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
         "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
         "https:/img.example/e.png", "", "img.example/f.png"])


def draw(rng: random.Random, pools: tuple[list[str], list[str]]) -> str:
    return rng.choice(pools[rng.random() < 0.15])


def rarely(rng: random.Random) -> bool:
    return rng.random() < 0.03


def random_template(rng: random.Random) -> dict[str, Any]:
    """A chat example with tools, valid but for a defect now and then, whose content texts,
    tool call ids and arguments are slots."""
    tools = rng.sample(TOOLS[:2], rng.randint(1, 2))
    if rarely(rng):
        tools.append(rng.choice(TOOLS[2:]))
    names = [t["function"]["name"] for t in tools]
    messages: list[Any] = []
    if rng.random() < 0.5:
        messages.append({"role": rng.choice(["system", "developer"]), "content": Slot("text")})
    slot = 0
    for _turn in range(rng.randint(1, 2)):
        content: Any = Slot("text")
        if rarely(rng):
            content = [{"type": "text", "text": Slot("text")}]
        elif rng.random() < 0.1:  # an image, its URL drawn for each copy
            image: dict[str, Any] = {"url": Slot("url")}
            if rng.random() < 0.5:
                image["detail"] = rng.choice(["low", "high", "auto", "huge"])
            content = [{"type": "text", "text": Slot("text")},
                       {"type": "image_url", "image_url": image}]
        messages.append({"role": "user" if not rarely(rng) else "assistant", "content": content})
        calls: list[Any] = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            call: dict[str, Any] = {"id": Slot("id", slot), "type": "function", "function": {
                "name": rng.choice(names), "arguments": Slot("arguments")}}
            slot += 1
            if rarely(rng):
                call["id"] = Slot("id", slot - 2) if slot > 1 else 5  # a repeat, or not a string
            if rarely(rng):
                call["type"] = "fn"
            if rarely(rng):
                call["function"]["name"] = rng.choice(["undeclared", "bad name!", 7])
            if rarely(rng):
                call["function"]["arguments"] = {"city": "Paris"}
            calls.append(call)
        if calls:
            assistant: dict[str, Any] = {"role": "assistant", "tool_calls": calls}
            if rng.random() < 0.3:
                assistant["content"] = Slot("text")
            messages.append(assistant)
            for call in calls:
                answered = call["id"] if isinstance(call, dict) else None
                if rarely(rng):
                    answered = Slot("id", slot + 5)  # answers no call
                reply: dict[str, Any] = {"role": "tool", "content": Slot("text")}
                if answered is not None and not rarely(rng):
                    reply["tool_call_id"] = answered
                messages.append(reply)
        final: dict[str, Any] = {"role": "assistant", "content": Slot("text")}
        if rarely(rng):
            final["weight"] = rng.choice([0, 1, 2, "1"])
        messages.append(final)
    for m in messages:
        if rarely(rng) and isinstance(m, dict):
            m[rng.choice(["name", "mood", "contnet", "refusal"])] = rng.choice(
                ["bob", "bad name!", 3])
        if rarely(rng) and isinstance(m, dict):
            m["role"] = rng.choice(["bogus", "function", "user"])
        if rarely(rng) and isinstance(m, dict) and m.get("role") != "tool":
            m.pop("content", None)
    if rarely(rng):
        messages.insert(rng.randrange(len(messages) + 1), rng.choice(["hi", None]))
    obj: dict[str, Any] = {"messages": messages, "tools": tools}
    if rarely(rng):
        obj["parallel_tool_calls"] = rng.choice([True, "yes"])
    if rarely(rng):
        obj["functions"] = [WEATHER["function"]]
    return obj


def fill(value: Any, rng: random.Random, ids: dict[int, str]) -> Any:
    """A copy of the example with each slot drawn (ids by slot: one slot, one id per copy)."""
    if isinstance(value, Slot):
        if value.kind == "text":
            return draw(rng, TEXTS)
        if value.kind == "arguments":
            return draw(rng, ARGUMENTS)
        if value.kind == "url":
            return draw(rng, URLS)
        if value.index not in ids:
            ids[value.index] = draw(rng, IDS)
        return ids[value.index]
    if isinstance(value, dict):
        return {k: fill(v, rng, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, rng, ids) for v in value]
    return value


def copies(rng: random.Random, templates: int, each: int) -> list[bytes]:
    lines = [orjson.dumps(fill(t, rng, {}))
             for t in [random_template(rng) for _ in range(templates)] for _ in range(each)]
    rng.shuffle(lines)
    return lines


def analyzers(options: dict[str, Any], tool_path: bool = False) -> tuple[Analyzer, Analyzer]:
    """One analyzer that remembers shapes (by ShapePath alone, or first by ToolChatPath too)
    and one that runs every rule on every line."""
    s = settings_from_mapping(options)
    shaped, whole = Analyzer(s, "data.jsonl"), Analyzer(s, "data.jsonl")
    shaped.tool_path.enabled &= tool_path
    whole.shape_path.enabled = False
    whole.tool_path.enabled = False
    return shaped, whole


def assert_same(lines: list[bytes], options: dict[str, Any], tool_path: bool = False) -> int:
    """Each line through both analyzers, in order (shapes are learnt from earlier lines);
    returns how many lines found their shape remembered (with ``tool_path``: how many
    ToolChatPath took)."""
    shaped, whole = analyzers(options, tool_path)
    full: list[bytes] = []  # the lines the whole engine analysed
    analyze_bytes = shaped._analyze_bytes
    shaped._analyze_bytes = lambda r: (full.append(r), analyze_bytes(r))[1]  # type: ignore
    remembered = 0
    for raw in lines:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = None
        if tool_path:
            before = len(full)
            got = shaped.analyze_bytes(raw)
            remembered += len(full) == before and _fastline.plain_chat(raw) is None
            assert got == whole.analyze_bytes(raw), (raw, options)
        else:
            key = shaped.shape_path.key(obj) if isinstance(obj, dict) else None
            remembered += key is not None and key in shaped.shape_path.clean
        assert shaped.analyze_bytes(raw) == whole.analyze_bytes(raw), (raw, options)
        text = raw.decode("utf-8", "surrogateescape")
        assert shaped.analyze_fresh(text) == whole.analyze_fresh(text), (raw, options)
    return remembered


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32), st.sampled_from(SETTINGS), st.booleans())
def test_lines_of_one_shape_get_the_whole_engines_results(seed: int, options: dict[str, Any],
                                                         tool_path: bool) -> None:
    rng = random.Random(seed)
    assert_same(copies(rng, rng.randint(1, 3), 6), options, tool_path)


@pytest.mark.parametrize("tool_path", [False, True])
def test_generated_lines_mostly_find_their_shape_remembered(tool_path: bool) -> None:
    """The lines above test something: many copies after the first find a clean shape (fewer
    for ToolChatPath, which remembers a shape only after a line without any problem, and which
    a line with bad arguments leaves)."""
    rng = random.Random(7)
    lines = copies(rng, 200, 6)
    assert assert_same(lines, {}, tool_path) > len(lines) // (20 if tool_path else 10)


def tool_line(content: str = "It is sunny.", call_id: str = "call_1",
              answered: str = "call_1", arguments: str = '{"city": "Paris"}') -> bytes:
    return orjson.dumps({"messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "tool_calls": [{"id": call_id, "type": "function", "function": {
            "name": "get_weather", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": answered, "content": "18C"},
        {"role": "assistant", "content": content}], "tools": [WEATHER]})


def test_a_clean_shape_is_remembered_and_its_later_lines_run_only_the_other_rules(
        monkeypatch: pytest.MonkeyPatch) -> None:
    shaped, whole = analyzers({})
    learnt: list[bytes] = []
    learn = shaped.shape_path.learn
    monkeypatch.setattr(shaped.shape_path, "learn", lambda k, p: (learnt.append(k), learn(k, p)))
    first, second = tool_line(), tool_line("Cloudy, 12C.", "call_9", "call_9")
    assert shaped.analyze_bytes(first) == whole.analyze_bytes(first)
    assert len(learnt) == 1 and learnt[0] in shaped.shape_path.clean
    assert shaped.analyze_bytes(second) == whole.analyze_bytes(second)
    assert len(learnt) == 1  # the second line's shape was known: no rule of the list ran
    assert [a.rule.code for a in shaped.shape_path.rest] == [
        "TL404", "TL506", "TL509", "TL901"]


@pytest.mark.parametrize(("line", "code"), [
    (tool_line(content=" "), "TL403"),  # blank content: another class
    (tool_line(answered="call_2"), "TL508"),  # the reply answers another id
    (tool_line(arguments='{"city": 3}'), "TL509"),  # arguments: always checked
    (tool_line(arguments="{"), "TL506"),
    (tool_line(content="<|endoftext|>"), "TL404"),  # special tokens: always checked
])
def test_a_finding_in_what_the_shape_masks_is_still_reported(line: bytes, code: str) -> None:
    shaped, whole = analyzers({})
    assert not shaped.analyze_bytes(tool_line()).problems
    got = shaped.analyze_bytes(line)
    assert got == whole.analyze_bytes(line)
    assert code in {p.code for p in got.problems}


def test_a_failing_arguments_check_sends_the_line_the_whole_way() -> None:
    shaped, whole = analyzers({}, tool_path=True)
    assert shaped.tool_path.enabled
    assert shaped.analyze_bytes(tool_line()) == whole.analyze_bytes(tool_line())

    def broken(v: Any, value: Any) -> bool:
        raise RuntimeError("a bug")

    shaped.tool_path._fits = broken
    for line in (tool_line("Cloudy."), tool_line(arguments='{"city": 3}')):
        assert shaped.tool_path.line_code(*_fastline.chat_line(line)[5:]) is None
        assert shaped.analyze_bytes(line) == whole.analyze_bytes(line)


def test_ids_against_the_profiles_pattern_are_part_of_the_shape() -> None:
    shaped, whole = analyzers({"profile": "mistral"})
    good = tool_line(call_id="abcDEF123", answered="abcDEF123")
    bad = tool_line(call_id="call_1", answered="call_1")
    assert not shaped.analyze_bytes(good).problems
    got = shaped.analyze_bytes(bad)
    assert got == whole.analyze_bytes(bad)
    assert "TL505" in {p.code for p in got.problems}


def test_a_shape_with_findings_is_not_remembered() -> None:
    shaped, _ = analyzers({})
    line = tool_line(answered="call_2")
    assert shaped.analyze_bytes(line).problems
    assert not shaped.shape_path.clean


def test_rules_not_listed_run_on_every_line() -> None:
    """Only SHAPE_CACHED rules are skipped: any other example rule of chat is in ``rest``."""
    shaped, _ = analyzers({})
    chat = {a.rule.code for a in shaped.rules.example["chat"]}
    rest = {a.rule.code for a in shaped.shape_path.rest}
    assert rest == chat - shapepath.SHAPE_CACHED
    assert chat | {"TL305"} >= shapepath.SHAPE_CACHED  # system-missing is opt-in


# --- real files ----------------------------------------------------------------------------

@pytest.mark.parametrize("tool_path", [False, True])
def test_fixtures_get_the_same_results(tool_path: bool) -> None:
    remembered = sum(assert_same(file_lines(path), options, tool_path)
                     for path in fixture_files() for options in ({}, {"profile": "mistral"}))
    assert remembered > 0


@pytest.mark.parametrize("tool_path", [False, True])
def test_real_datasets_get_the_same_results(tool_path: bool) -> None:
    remembered = sum(assert_same(file_lines(path), options, tool_path)
                     for path in real_dataset_files()
                     for options in ({}, {"profile": "together"}))
    assert remembered > 10
