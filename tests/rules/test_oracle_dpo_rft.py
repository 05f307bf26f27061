"""Oracle test: the DPO and RFT rules against OpenAI's published per-line JSON Schemas.

Hypothesis builds lines that ``FineTunePreferenceRequestInput`` /
``FineTuneReinforcementRequestInput`` accept (checked with jsonschema on every example) and
mutations of them that the schemas reject. Valid lines must get no ERROR from the structural
rules; invalid ones must get at least one ERROR.

Deliberate differences from the schemas, which the generators respect:

- DPO outputs: the schema names them ``preferred_completion``/``non_preferred_completion``; the
  fine-tuning guide and Together use ``preferred_output``/``non_preferred_output`` and so does
  tunelint (``dpo-shape`` warns about the schema's spelling). Lines are generated with
  ``*_output`` and renamed to ``*_completion`` before the schema sees them.
- The schema makes both outputs optional and allows an empty list (only ``maxItems: 1``); the
  guide needs exactly one assistant message per output, so valid lines always have one, with
  non-empty content.
- The guide's rules the schema does not state: a DPO input ends with a user message, DPO is
  text-only, an RFT conversation ends with a user message, tool names match
  ``^[a-zA-Z0-9_-]{1,64}$`` and tool-call arguments are JSON objects. Valid lines keep them.
- RFT lines always carry a grader field (``reference_answer``), as real ones do: a ``messages``
  line without one and without a developer message is detected as chat by the engine.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from helpers import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer, Document
from tunelint.problems import Severity

# Rules whose errors mean "this line is not well-formed"; a schema-valid line must not get any.
# (Chat-structure rules are another module's; style/dataset rules such as format-mixed or
# min-examples say nothing about a line's shape.)
STRUCTURAL = frozenset({
    "TL501", "TL502", "TL504", "TL505", "TL506", "TL508",  # tools and tool calls
    "TL701", "TL702", "TL703",  # DPO shape, input ending, text only
    "TL751",  # RFT shape
})


@cache
def _validator(name: str) -> Draft202012Validator:
    path = shared_path("openai-openapi", "training-line-schemas.json")
    bundle = json.loads(path.read_text("utf-8"))
    return Draft202012Validator({"$defs": bundle["$defs"], "$ref": f"#/$defs/{name}"})


@cache
def _analyzer(fmt: str) -> Analyzer:
    return Analyzer(settings_from_mapping({"format": fmt, "model": "gpt-4o-2024-08-06"}))


def _errors(line: str, fmt: str) -> set[str]:
    doc = Document(_analyzer(fmt), line)
    return {d.code for d in doc.diagnostics() if d.severity == Severity.ERROR}


def _as_spec(obj: Any) -> Any:
    """The DPO line with the schema's key names."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    for ours, spec in (("preferred_output", "preferred_completion"),
                       ("non_preferred_output", "non_preferred_completion")):
        if ours in out:
            out[spec] = out.pop(ours)
    return out


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=12).filter(
    lambda s: s.strip() != "")
names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_-]{0,15}", fullmatch=True)
content = st.one_of(words, st.lists(st.builds(lambda t: {"type": "text", "text": t}, words),
                                    min_size=1, max_size=2))


@st.composite
def tools(draw: st.DrawFn) -> list[dict[str, Any]]:
    fns = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return [{"type": "function", "function": {
        "name": n, "description": draw(words),
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
        for n in fns]


@st.composite
def conversation(draw: st.DrawFn, first: str, with_tools: list[dict[str, Any]] | None
                 ) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = []
    if draw(st.booleans()):
        msgs.append({"role": first, "content": draw(content)})
    for turn in range(draw(st.integers(0, 2))):
        msgs.append({"role": "user", "content": draw(content)})
        if with_tools and draw(st.booleans()):
            name = draw(st.sampled_from([t["function"]["name"] for t in with_tools]))
            cid = f"call_{turn}"
            msgs.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": cid, "type": "function",
                 "function": {"name": name, "arguments": json.dumps({"q": draw(words)})}}]})
            msgs.append({"role": "tool", "tool_call_id": cid, "content": draw(content)})
        msgs.append({"role": "assistant", "content": draw(content)})
    msgs.append({"role": "user", "content": draw(content)})
    return msgs


@st.composite
def dpo_lines(draw: st.DrawFn) -> dict[str, Any]:
    tl = draw(st.one_of(st.none(), tools()))
    inp: dict[str, Any] = {"messages": draw(conversation("system", tl))}
    if tl is not None:
        inp["tools"] = tl
        if draw(st.booleans()):
            inp["parallel_tool_calls"] = draw(st.booleans())
    good = {"role": "assistant", "content": draw(words)}
    bad = {"role": "assistant", "content": draw(words)}
    return {"input": inp, "preferred_output": [good], "non_preferred_output": [bad]}


@st.composite
def rft_lines(draw: st.DrawFn) -> dict[str, Any]:
    msgs = [{"role": "developer", "content": draw(words)}] if draw(st.booleans()) else []
    msgs.append({"role": "user", "content": draw(content)})
    line: dict[str, Any] = {"messages": msgs, "reference_answer": draw(words)}
    if draw(st.booleans()):
        line["tools"] = draw(tools())
    return line


def _mutate_dpo(obj: dict[str, Any], kind: int, data: st.DataObject) -> dict[str, Any]:
    o = copy.deepcopy(obj)
    key = data.draw(st.sampled_from(["preferred_output", "non_preferred_output"]))
    if kind == 0:
        o["input"] = data.draw(st.sampled_from(["hello", [1], 3]))
    elif kind == 1:
        o["input"]["messages"] = data.draw(st.sampled_from([[], "hi", {"role": "user"}]))
    elif kind == 2:
        o[key] = o[key][0]
    elif kind == 3:
        o[key] = o[key] * 2
    elif kind == 4:
        o[key][0]["role"] = data.draw(st.sampled_from(["user", "system", "tool"]))
    elif kind == 5:
        o[key][0]["content"] = data.draw(st.sampled_from([3, True, {"text": "x"}]))
    elif kind == 6:
        o["input"]["parallel_tool_calls"] = data.draw(st.sampled_from(["true", 1, None]))
    elif kind == 7:
        o["input"]["tools"] = [{"function": {"name": "f"}}]
    elif kind == 8:
        o[key][0]["tool_calls"] = [{"type": "function",
                                    "function": {"name": "f", "arguments": "{}"}}]
    else:
        o["input"]["messages"].append({"role": "tool", "content": "42"})
    return o


def _mutate_rft(obj: dict[str, Any], kind: int, data: st.DataObject) -> dict[str, Any]:
    o = copy.deepcopy(obj)
    if kind == 0:
        o["messages"][0]["role"] = data.draw(st.sampled_from(["system", "narrator", "function"]))
    elif kind == 1:
        o["messages"] = data.draw(st.sampled_from([[], {"role": "user"}, "hi"]))
    elif kind == 2:
        del o["messages"]
    elif kind == 3:
        o["messages"].insert(len(o["messages"]) - 1, {"role": "tool", "content": "42"})
    else:
        o["tools"] = [{"type": "tool", "function": {"name": "f"}}]
    return o


COMMON = settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@COMMON
@given(dpo_lines())
def test_valid_dpo_lines_get_no_structural_error(line: dict[str, Any]) -> None:
    assert _validator("FineTunePreferenceRequestInput").is_valid(_as_spec(line))
    found = _errors(json.dumps(line), "preference") & STRUCTURAL
    assert not found, (found, line)


@COMMON
@given(dpo_lines(), st.integers(0, 9), st.data())
def test_invalid_dpo_lines_get_an_error(line: dict[str, Any], kind: int,
                                        data: st.DataObject) -> None:
    bad = _mutate_dpo(line, kind, data)
    assert not _validator("FineTunePreferenceRequestInput").is_valid(_as_spec(bad)), kind
    assert _errors(json.dumps(bad), "preference"), (kind, bad)


@COMMON
@given(rft_lines())
def test_valid_rft_lines_get_no_structural_error(line: dict[str, Any]) -> None:
    assert _validator("FineTuneReinforcementRequestInput").is_valid(line)
    found = _errors(json.dumps(line), "reinforcement") & STRUCTURAL
    assert not found, (found, line)


@COMMON
@given(rft_lines(), st.integers(0, 4), st.data())
def test_invalid_rft_lines_get_an_error(line: dict[str, Any], kind: int,
                                        data: st.DataObject) -> None:
    bad = _mutate_rft(line, kind, data)
    assert not _validator("FineTuneReinforcementRequestInput").is_valid(bad), kind
    assert _errors(json.dumps(bad), "reinforcement"), (kind, bad)


def test_spec_spelling_is_valid_under_the_schema_and_warned() -> None:
    """The schema accepts `preferred_completion`; tunelint warns about it, no error."""
    line = {"input": {"messages": [{"role": "user", "content": "hi"}]},
            "preferred_completion": [{"role": "assistant", "content": "a"}],
            "non_preferred_completion": [{"role": "assistant", "content": "b"}]}
    assert _validator("FineTunePreferenceRequestInput").is_valid(line)
    assert not _errors(json.dumps(line), "preference") & STRUCTURAL
