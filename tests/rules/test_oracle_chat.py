"""OpenAI's per-line JSON Schema as the oracle of the chat rules (property test).

Lines valid under ``FineTuneChatRequestInput`` (shared/openai-openapi/training-line-schemas.json)
must get no ERROR from the structural rules; mutations that make a line invalid must get at least
one ERROR from some line/example rule, and from the rule that owns that part of the schema.
Deliberate differences (RULES.md documents them) are tested separately at the end.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from helpers import shared_path
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer
from tunelint.problems import Severity
from tunelint.rules import all_rules, get_rule

# Rules that encode the schema: what a line's keys may hold and of which type. Semantic rules are
# outside this set: assistant-missing (the schema allows a conversation without a reply),
# special-token, tool-args-json/-schema (arguments are just strings to the schema), name-invalid
# (the name pattern is only in the schema's description), tool-response-mismatch (the pairing
# of calls and results), the image rules, token limits and the dataset rules.
STRUCTURAL = {
    "unknown-top-level-key", "messages-missing", "messages-empty", "messages-type",
    "message-not-object", "message-unknown-key", "role-missing", "role-invalid",
    "content-missing", "content-type", "weight-invalid", "message-field-type",
    # Other helpers' rules encoding the tools part of the schema (when registered).
    "tools-shape", "parallel-tool-calls-type", "tool-call-shape",
}
STRUCTURAL_CODES = {r.code for r in all_rules() if r.name in STRUCTURAL}
LINE_OR_EXAMPLE = {r.code for r in all_rules() if r.scope in ("line", "example")}


@cache
def validator() -> Any:
    from jsonschema import Draft202012Validator

    path = shared_path("openai-openapi", "training-line-schemas.json")
    bundle = json.loads(path.read_text("utf-8"))
    return Draft202012Validator(
        {"$defs": bundle["$defs"], "$ref": "#/$defs/FineTuneChatRequestInput"}
    )


@cache
def analyzer() -> Analyzer:
    return Analyzer(settings_from_mapping({"format": "chat"}))


def diagnose(obj: Any) -> list[tuple[str, Severity]]:
    text = json.dumps(obj, ensure_ascii=False)
    result = analyzer().analyze(text)
    return [(p.code, p.severity or Severity.WARNING) for p in result.problems]


# -- valid lines ---------------------------------------------------------------------------

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)
names = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=20)
args = st.dictionaries(names, st.integers() | texts, max_size=2).map(json.dumps)
text_part = st.builds(lambda t: {"type": "text", "text": t}, texts)
image_part = st.builds(
    lambda url, detail: {"type": "image_url", "image_url": {"url": url, **detail}},
    st.sampled_from(["https://example.com/cat.png", "data:image/png;base64,iVBORw0KGgo="]),
    st.sampled_from([{}, {"detail": "low"}, {"detail": "high"}, {"detail": "auto"}]),
)
text_content = texts | st.lists(text_part, min_size=1, max_size=2)
user_content = texts | st.lists(text_part | image_part, min_size=1, max_size=3)
maybe_name = st.sampled_from([{}, {"name": "alice"}, {"name": "bob_2"}])


def _msg(role: str, content: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda c, n: {"role": role, "content": c, **n}, content, maybe_name)


tool_call = st.builds(
    lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
    names, names, args,
)


@st.composite
def assistant(draw: st.DrawFn) -> dict[str, Any]:
    m: dict[str, Any] = {"role": "assistant"}
    kind = draw(st.sampled_from(["text", "parts", "refusal", "calls", "function_call"]))
    if kind == "text":
        m["content"] = draw(texts)
    elif kind == "parts":
        m["content"] = draw(st.lists(text_part, min_size=1, max_size=2))
    elif kind == "refusal":
        m["content"] = [{"type": "refusal", "refusal": draw(texts)}]
    elif kind == "calls":
        m["tool_calls"] = draw(st.lists(tool_call, min_size=1, max_size=2))
        m["content"] = draw(st.sampled_from([None, ""])) if draw(st.booleans()) else None
        if m["content"] is None and draw(st.booleans()):
            del m["content"]
    else:
        m["function_call"] = {"name": draw(names), "arguments": draw(args)}
        m["content"] = None
    if draw(st.booleans()):
        m["weight"] = draw(st.sampled_from([0, 1]))
    if draw(st.integers(0, 4)) == 0:
        m["refusal"] = draw(st.none() | texts)
    if draw(st.integers(0, 4)) == 0:
        m["name"] = "helper"
    if draw(st.integers(0, 4)) == 0:
        m["audio"] = draw(st.sampled_from([None, {"id": "audio_abc123"}]))
    return m


tool_msg = st.builds(
    lambda c, i: {"role": "tool", "content": c, "tool_call_id": i}, text_content, names
)
function_msg = st.builds(
    lambda c, n: {"role": "function", "name": n, "content": c}, st.none() | texts, names
)
message = st.one_of(
    _msg("system", text_content), _msg("user", user_content), assistant(), tool_msg, function_msg
)
tool_def = st.builds(
    lambda n, extra: {"type": "function", "function": {"name": n, **extra}},
    names,
    st.sampled_from([{}, {"description": "Look something up."},
                     {"parameters": {"type": "object", "properties": {"q": {"type": "string"}}}},
                     {"parameters": {}, "strict": None}]),
)


@st.composite
def valid_line(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {"messages": draw(st.lists(message, min_size=1, max_size=6))}
    if draw(st.booleans()):
        obj["tools"] = draw(st.lists(tool_def, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        obj["parallel_tool_calls"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        obj["functions"] = [{"name": draw(names)}]
    return obj


HYP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYP
@given(valid_line())
def test_schema_valid_lines_get_no_structural_error(obj: dict[str, Any]) -> None:
    assert validator().is_valid(obj), list(validator().iter_errors(obj))[:1]
    errors = [c for c, sev in diagnose(obj) if sev == Severity.ERROR and c in STRUCTURAL_CODES]
    assert not errors, (errors, obj)


# -- mutations -----------------------------------------------------------------------------

BAD_ROLES = ["Assistant", "USER", "asistant", "human", "gpt", "bot", "model", "", " user",
             "System", "toolz"]
BAD_SCALARS: list[Any] = [42, 1.5, True, {"text": "x"}]
BAD_WEIGHTS: list[Any] = [2, -1, True, False, "1", 0.5, None, [1]]
BAD_NAMES: list[Any] = [42, 1.5, True, None, ["alice"], {"first": "Ada"}]
BAD_AUDIO: list[Any] = ["audio_abc123", 3, True, [], {}, {"format": "wav"}, {"id": 5},
                        {"id": None}, {"id": ["a"]}]

Mutation = Callable[[dict[str, Any], st.DataObject], str | None]


def _pick(obj: dict[str, Any], data: st.DataObject, pred: Callable[[dict[str, Any]], bool]
          ) -> dict[str, Any]:
    candidates = [m for m in obj["messages"] if isinstance(m, dict) and pred(m)]
    assume(candidates)
    return data.draw(st.sampled_from(candidates))


def m_messages_empty(obj: dict[str, Any], data: st.DataObject) -> str:
    obj["messages"] = []
    return "messages-empty"


def m_messages_type(obj: dict[str, Any], data: st.DataObject) -> str:
    obj["messages"] = data.draw(st.sampled_from(["hi", 3, {"role": "user"}, None, True]))
    return "messages-type"


def m_not_object(obj: dict[str, Any], data: st.DataObject) -> str:
    i = data.draw(st.integers(0, len(obj["messages"]) - 1))
    obj["messages"][i] = data.draw(st.sampled_from(["hello", 7, None, [], False]))
    return "message-not-object"


def m_drop_role(obj: dict[str, Any], data: st.DataObject) -> str:
    del _pick(obj, data, lambda m: True)["role"]
    return "role-missing"


def m_bad_role(obj: dict[str, Any], data: st.DataObject) -> str:
    m = _pick(obj, data, lambda m: True)
    m["role"] = data.draw(st.sampled_from(BAD_ROLES) | st.sampled_from([1, None, ["user"]]))
    return "role-missing" if m["role"] is None else "role-invalid"


def m_drop_content(obj: dict[str, Any], data: st.DataObject) -> str:
    # Content is required on every role but the assistant's (see the deliberate differences).
    del _pick(obj, data, lambda m: m["role"] in ("system", "user", "tool", "function"))["content"]
    return "content-missing"


def m_null_content(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] in ("system", "user", "tool"))["content"] = None
    return "content-missing"


def m_content_type(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: True)["content"] = data.draw(st.sampled_from(BAD_SCALARS))
    return "content-type"


def m_content_list_on_function(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] == "function")["content"] = [{"type": "text", "text": "x"}]
    return "content-type"


def m_empty_parts(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] != "function")["content"] = []
    return "content-type"


def m_bad_part(obj: dict[str, Any], data: st.DataObject) -> str:
    m = _pick(obj, data, lambda m: m["role"] in ("system", "user", "tool", "assistant"))
    bad = data.draw(st.sampled_from([
        "plain", 3, None, {"text": "no type"}, {"type": "text"}, {"type": "text", "text": 5},
        {"type": "video", "video": {}}, {"type": 1},
        {"type": "image_url"}, {"type": "image_url", "image_url": "https://x/y.png"},
        {"type": "image_url", "image_url": {"detail": "low"}},
    ]))
    if m["role"] != "user" and isinstance(bad, dict) and bad.get("type") == "image_url":
        bad = {"type": "text", "text": None}
    m["content"] = [{"type": "text", "text": "ok"}, bad]
    return "content-type"


def m_refusal_outside_assistant(obj: dict[str, Any], data: st.DataObject) -> str:
    m = _pick(obj, data, lambda m: m["role"] in ("system", "user", "tool"))
    m["content"] = [{"type": "refusal", "refusal": "no"}]
    return "content-type"


def m_bad_weight(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] == "assistant")["weight"] = data.draw(
        st.sampled_from(BAD_WEIGHTS))
    return "weight-invalid"


def m_bad_name(obj: dict[str, Any], data: st.DataObject) -> str:
    # Every role but the tool's has a string `name` (the tool message has none).
    m = _pick(obj, data, lambda m: m["role"] in ("system", "user", "assistant", "function"))
    m["name"] = data.draw(st.sampled_from(BAD_NAMES))
    return "message-field-type"


def m_function_without_name(obj: dict[str, Any], data: st.DataObject) -> str:
    del _pick(obj, data, lambda m: m["role"] == "function")["name"]
    return "message-field-type"


def m_bad_refusal(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] == "assistant")["refusal"] = data.draw(
        st.sampled_from(BAD_SCALARS + [False, ["no"]]))
    return "message-field-type"


def m_bad_audio(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] == "assistant")["audio"] = data.draw(
        st.sampled_from(BAD_AUDIO))
    return "message-field-type"


# Owned by other helpers' rules; generated only when that rule is registered.
def m_tool_without_id(obj: dict[str, Any], data: st.DataObject) -> str:
    del _pick(obj, data, lambda m: m["role"] == "tool")["tool_call_id"]
    return "tool-response-mismatch"


def m_tool_call_id_type(obj: dict[str, Any], data: st.DataObject) -> str:
    _pick(obj, data, lambda m: m["role"] == "tool")["tool_call_id"] = data.draw(
        st.sampled_from([7, None, True, ["call_1"], {"id": "call_1"}]))
    return "tool-response-mismatch"


def m_bad_tool_call(obj: dict[str, Any], data: st.DataObject) -> str:
    m = _pick(obj, data, lambda m: bool(m.get("tool_calls")))
    call = m["tool_calls"][0]
    key = data.draw(st.sampled_from(["id", "type", "function"]))
    if data.draw(st.booleans()):
        del call[key]
    else:
        call[key] = 5 if key != "type" else "tool"
    return "tool-call-shape"


def m_bad_tools(obj: dict[str, Any], data: st.DataObject) -> str:
    obj["tools"] = data.draw(st.sampled_from([
        "get_weather", [{"type": "function"}], [{"type": "web", "function": {"name": "f"}}],
        [{"type": "function", "function": {"description": "no name"}}], [3],
    ]))
    return "tools-shape"


def m_bad_parallel(obj: dict[str, Any], data: st.DataObject) -> str:
    obj["parallel_tool_calls"] = data.draw(st.sampled_from(["false", 0, 1, None, []]))
    return "parallel-tool-calls-type"


def m_image_outside_user(obj: dict[str, Any], data: st.DataObject) -> str:
    m = _pick(obj, data, lambda m: m["role"] in ("system", "tool", "assistant"))
    m["content"] = [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]
    return "image-in-assistant"


# Hypothesis favours the first entries: the message-level mutations come first.
MUTATIONS: list[Mutation] = [
    m_bad_role, m_bad_part, m_content_type, m_bad_weight, m_bad_name, m_bad_refusal,
    m_bad_audio, m_function_without_name, m_drop_role, m_drop_content, m_null_content,
    m_not_object, m_content_list_on_function, m_empty_parts, m_refusal_outside_assistant,
    m_messages_type, m_messages_empty,
]
OTHERS = {"tool-response-mismatch": [m_tool_without_id, m_tool_call_id_type],
          "tool-call-shape": [m_bad_tool_call], "tools-shape": [m_bad_tools],
          "parallel-tool-calls-type": [m_bad_parallel],
          "image-in-assistant": [m_image_outside_user]}
MUTATIONS += [m for name, ms in OTHERS.items() if get_rule(name) is not None for m in ms]

# Schema violations no rule reports yet (reported to the project; not generated):
# `functions: []` (minItems 1).


@HYP
@given(valid_line(), st.sampled_from(MUTATIONS), st.data())
def test_schema_invalid_lines_get_an_error(obj: dict[str, Any], mutate: Mutation,
                                           data: st.DataObject) -> None:
    owner = mutate(obj, data)
    assume(not validator().is_valid(obj))
    event(mutate.__name__)
    diags = diagnose(obj)
    errors = {c for c, sev in diags if sev == Severity.ERROR and c in LINE_OR_EXAMPLE}
    assert errors, (mutate.__name__, obj, diags)
    rule = get_rule(owner) if owner else None
    if rule is not None:
        assert rule.code in errors, (mutate.__name__, rule.code, obj, diags)


# The random draws above reach each message-field-type mutation in most runs, not all: every
# kind once, deterministically.
FIELD_CASES: list[tuple[dict[str, Any], str]] = [
    ({"role": "user", "content": "Hi", "name": name}, "name") for name in BAD_NAMES
] + [
    ({"role": "assistant", "content": "x", "refusal": r}, "refusal") for r in BAD_SCALARS
] + [
    ({"role": "assistant", "content": "x", "audio": a}, "audio") for a in BAD_AUDIO
] + [({"role": "function", "content": "12:00"}, "function without name")]


@pytest.mark.parametrize(("message", "why"), FIELD_CASES)
def test_schema_invalid_message_fields_get_message_field_type(message: dict[str, Any],
                                                              why: str) -> None:
    obj = {"messages": [{"role": "user", "content": "Hi"}, message,
                        {"role": "assistant", "content": "Hello"}]}
    assert not validator().is_valid(obj), why
    rule = get_rule("message-field-type")
    assert rule is not None
    assert (rule.code, Severity.ERROR) in diagnose(obj), (why, message)


# -- deliberate differences (RULES.md §7 documents each) -----------------------------------


def _line(*messages: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"messages": list(messages), **top}


U = {"role": "user", "content": "Hi"}


@pytest.mark.parametrize(
    ("obj", "code", "severity", "why"),
    [
        # weight-invalid: "not integer 0/1 (flag `true`, `1.0`)"; JSON Schema counts 1.0 as
        # the integer 1. Together rejects it ("Weight must be an integer").
        (_line(U, {"role": "assistant", "content": "x", "weight": 1.0}), "TL451", Severity.ERROR,
         "1.0"),
        # content-missing: "assistant without content, tool_calls and function_call" (CB, MF);
        # the schema leaves the assistant's content optional (its description says "required
        # unless tool_calls or function_call is specified").
        (_line(U, {"role": "assistant"}), "TL401", Severity.ERROR, "no content"),
        (_line(U, {"role": "assistant", "content": None}), "TL401", Severity.ERROR, "null"),
        # content-type: "part type ∉ {text,image_url}": fine-tuning takes no audio or file
        # parts although the chat schema's user message allows them.
        (_line({"role": "user", "content": [{"type": "input_audio", "input_audio": {
            "data": "UklGRg==", "format": "wav"}}]}, {"role": "assistant", "content": "x"}),
         "TL402", Severity.ERROR, "audio"),
        # messages-missing: the schema does not list `messages` as required; every validator
        # (CB, TG, MF) does.
        ({"tools": []}, "TL202", Severity.ERROR, "no messages"),
    ],
)
def test_deliberate_difference_schema_valid_but_reported(
    obj: dict[str, Any], code: str, severity: Severity, why: str
) -> None:
    assert validator().is_valid(obj), why
    assert (code, severity) in diagnose(obj), why


def test_deliberate_difference_developer_role_is_only_a_warning() -> None:
    # role-invalid: "`developer` in SFT: W (?)": the SFT schema has no developer message, but
    # the role is valid for RFT and OpenAI's handling of it in SFT is unknown.
    obj = _line({"role": "developer", "content": "Be terse."}, U,
                {"role": "assistant", "content": "x"})
    assert not validator().is_valid(obj)
    assert ("TL302", Severity.WARNING) in diagnose(obj)
