"""The chat-structure rules (TL2xx, TL3xx, TL40x, TL45x): exact ranges, messages, fixes, options."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from helpers import shared_path

from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer, Document
from tunelint.fixes import apply_edits, resolve_fix
from tunelint.problems import Diagnostic, Severity


def lint(text: str, settings: dict[str, Any] | None = None) -> list[Diagnostic]:
    s = settings_from_mapping(settings or {})
    return Document(Analyzer(s), text).diagnostics()


def line(*messages: dict[str, Any], **top: Any) -> str:
    return json.dumps({"messages": list(messages), **top}, ensure_ascii=False)


def of(diags: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diags if d.code == code]


def text_at(text: str, d: Diagnostic) -> str:
    assert d.line == d.end_line
    return text.split("\n")[d.line][d.column : d.end_column]


def fixed(text: str, d: Diagnostic) -> str:
    assert d.fix is not None
    lines = text.split("\n")
    endings = ["\n"] * (len(lines) - 1) + [""]
    edits = resolve_fix(d.fix, d.line, lines[d.line], len(lines))
    apply_edits(lines, endings, edits)
    return "".join(t + e for t, e in zip(lines, endings))


SYS = {"role": "system", "content": "You are terse."}
U = {"role": "user", "content": "Hi"}
A = {"role": "assistant", "content": "Hello"}
CALL = {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                             "function": {"name": "f", "arguments": "{}"}}]}
RESULT = {"role": "tool", "tool_call_id": "call_1", "content": "42"}


def test_clean_example_has_no_chat_diagnostics() -> None:
    diags = lint(line(SYS, U, A))
    assert not [d for d in diags if d.code[2] in "234"]


# -- ranges -------------------------------------------------------------------------------


def test_role_invalid_points_at_the_role_value_after_emoji_and_cjk() -> None:
    text = line({"role": "user", "content": "你好 😀 👍🏽 こんにちは"}, {"role": "Assistant", "content": "嗨"})
    (d,) = of(lint(text), "TL302")
    assert text_at(text, d) == '"Assistant"'
    # columns are code points: the emoji count once each
    assert d.column == text.index('"Assistant"')
    assert d.severity == Severity.ERROR
    assert d.fix is not None and d.fix.safe
    assert json.loads(fixed(text, d))["messages"][1]["role"] == "assistant"


def test_unknown_message_key_points_at_the_key() -> None:
    text = line({"role": "user", "content": "😀😀 ok", "contnet": "x"}, A)
    (d,) = of(lint(text), "TL206")
    assert text_at(text, d) == '"contnet"'
    assert d.severity == Severity.WARNING
    assert "did you mean `content`" not in d.message  # content exists: delete, not rename
    assert d.fix is not None and not d.fix.safe
    assert json.loads(fixed(text, d))["messages"][0] == {"role": "user", "content": "😀😀 ok"}


def test_unknown_message_key_suggests_the_missing_key() -> None:
    text = line(U, {"role": "assistant", "contnet": "Hello"})
    (d,) = of(lint(text), "TL206")
    assert "did you mean `content`" in d.message
    assert json.loads(fixed(text, d))["messages"][1] == {"role": "assistant", "content": "Hello"}


def test_key_of_another_role_is_reported() -> None:
    text = line({"role": "user", "content": "Hi", "tool_call_id": "c1"}, A)
    (d,) = of(lint(text), "TL206")
    assert "does not belong in user messages" in d.message
    # weight on a user message is weight-non-assistant's, not this rule's
    assert not of(lint(line({"role": "user", "content": "Hi", "weight": 0}, A)), "TL206")


def test_unknown_top_level_key_rename_and_delete() -> None:
    text = line(U, A, tool=[])
    (d,) = of(lint(text), "TL201")
    assert text_at(text, d) == '"tool"'
    assert "did you mean `tools`" in d.message
    assert "tools" in json.loads(fixed(text, d))
    text = line(U, A, source="crm")
    (d,) = of(lint(text), "TL201")
    assert json.loads(fixed(text, d)) == {"messages": [U, A]}


def test_special_token_points_at_content_with_wide_characters() -> None:
    text = line({"role": "user", "content": "日本語 😀 <|endoftext|>"}, A)
    (d,) = of(lint(text), "TL404")
    assert text_at(text, d) == '"日本語 😀 <|endoftext|>"'
    assert "<|endoftext|>" in d.message


def test_special_token_in_a_text_part_and_per_encoding() -> None:
    part = {"role": "user", "content": [{"type": "text", "text": "x <|fim_suffix|>"}]}
    text = line(part, A)
    (d,) = of(lint(text), "TL404")  # o200k model, FIM tokens from extra_tokens
    assert text_at(text, d) == '"x <|fim_suffix|>"'
    no_extra = {"rules": {"special-token": {"extra_tokens": []}}}
    assert not of(lint(text, no_extra), "TL404")
    cl100k = {"model": "gpt-3.5-turbo-0125", "rules": {"special-token": {"extra_tokens": []}}}
    assert of(lint(text, cl100k), "TL404")
    assert not of(lint(line({"role": "user", "content": "<|im_start|> is ChatML"}, A)), "TL404")


def test_messages_type_and_empty_and_missing() -> None:
    (d,) = of(lint('{"messages": "hello"}'), "TL204")
    assert "a string" in d.message and text_at('{"messages": "hello"}', d) == '"hello"'
    (d,) = of(lint('{"messages": []}'), "TL203")
    assert text_at('{"messages": []}', d) == "[]"
    assert of(lint('{"conversation": []}', {"format": "chat"}), "TL202")
    assert not of(lint('{"conversation": []}'), "TL202")  # auto: format-unknown's business


def test_message_not_object_and_role_missing() -> None:
    text = line("Hi", {"content": "Hello"})
    diags = lint(text)
    (d,) = of(diags, "TL205")
    assert text_at(text, d) == '"Hi"'
    (d,) = of(diags, "TL301")
    assert text_at(text, d) == '{"content": "Hello"}'


# -- roles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "new", "safe"),
    [("Assistant", "assistant", True), (" user ", "user", True), ("asistant", "assistant", True),
     ("human", "user", False), ("gpt", "assistant", False), ("narrator", None, None)],
)
def test_role_invalid_fixes(role: str, new: str | None, safe: bool | None) -> None:
    text = line(U, {"role": role, "content": "Hello"}, A)
    (d,) = of(lint(text), "TL302")
    if new is None:
        assert d.fix is None
    else:
        assert d.fix is not None and d.fix.safe is safe
        assert json.loads(fixed(text, d))["messages"][1]["role"] == new


def test_role_typo_does_not_also_report_missing_roles() -> None:
    diags = lint(line(U, {"role": "Assistant", "content": "Hello"}))
    assert of(diags, "TL302") and not of(diags, "TL303")


def test_function_and_developer_roles_warn_and_profiles_narrow_roles() -> None:
    fn = line(U, {"role": "assistant", "content": None,
                  "function_call": {"name": "f", "arguments": "{}"}},
              {"role": "function", "name": "f", "content": "42"}, A)
    (d,) = of(lint(fn), "TL302")
    assert d.severity == Severity.WARNING and "deprecated" in d.message
    dev = line({"role": "developer", "content": "Be terse."}, U, A)
    (d,) = of(lint(dev), "TL302")
    assert d.severity == Severity.WARNING
    tool = line(U, CALL, RESULT, A)
    assert not of(lint(tool), "TL302")
    for profile in ("together", "fireworks"):
        (d,) = of(lint(tool, {"profile": profile}), "TL302")
        assert d.severity == Severity.ERROR and '"tool"' in d.message


def test_role_not_a_string() -> None:
    (d,) = of(lint(line(U, {"role": ["assistant"], "content": "x"})), "TL302")
    assert "not a string" in d.message


def test_conversation_shape_rules() -> None:
    assert of(lint(line(SYS, U)), "TL303")
    (d,) = of(lint(line(U, A, U)), "TL304")
    assert d.severity == Severity.WARNING
    assert not of(lint(line(SYS, U)), "TL304")  # assistant-missing says it already
    assert not of(lint(line(U, A)), "TL305")  # system-missing is opt-in
    on = {"extend-select": ["system-missing"]}
    (d,) = of(lint(line(U, A), on), "TL305")
    assert d.severity == Severity.INFO
    assert not of(lint(line({"role": "developer", "content": "x"}, U, A), on), "TL305")
    assert of(lint(line(SYS, A)), "TL306")
    text = line(U, SYS, A)
    (d,) = of(lint(text), "TL307")
    assert text_at(text, d) == json.dumps(SYS)
    text = line(SYS, U, A, SYS, U, A)
    diags = lint(text)
    assert not of(diags, "TL307")
    (d,) = of(diags, "TL308")
    assert d.column == text.rindex('{"role": "system"')


# -- role-sequence ------------------------------------------------------------------------


def test_role_sequence_default_allows_tool_flows() -> None:
    parallel = {"role": "assistant", "tool_calls": [CALL["tool_calls"][0],
                {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    ok = line(SYS, U, parallel, RESULT, {**RESULT, "tool_call_id": "call_2"}, A, U, A)
    assert not of(lint(ok), "TL309")


def test_role_sequence_flags_repeats_and_split_tool_calls() -> None:
    text = line(U, U, A)
    (d,) = of(lint(text), "TL309")
    assert text_at(text, d) == '"user"' and d.column == text.rindex('"user"')
    (d,) = of(lint(line(U, CALL, A)), "TL309")  # microsoft-foundry/fine-tuning#23
    assert "tool's result" in d.message
    (d,) = of(lint(line(U, A, A)), "TL309")
    assert "two assistant messages" in d.message
    assert not of(lint(line(SYS, SYS, U, A)), "TL309")  # multiple-system's business


def test_role_sequence_strict_alternation() -> None:
    strict = {"rules": {"role-sequence": {"strict_alternation": True}}}
    text = line(U, CALL, RESULT, RESULT, A)
    assert not of(lint(text), "TL309")
    (d,) = of(lint(text, strict), "TL309")
    assert "alternate" in d.message
    (d,) = of(lint(line(U, U, A), {"profile": "together"}), "TL309")
    assert d.severity == Severity.ERROR
    assert of(lint(line(SYS, SYS, U, A), strict), "TL309")  # Together rejects any repeat


def test_role_sequence_mistral_transitions() -> None:
    mistral = {"profile": "mistral"}
    assert not of(lint(line(U, U, A), mistral), "TL309")  # allowed by mistral-common
    assert not of(lint(line(U, A, A), mistral), "TL309")
    (d,) = of(lint(line(SYS, U, RESULT, A), mistral), "TL309")
    assert d.severity == Severity.ERROR and "tool message cannot follow a user" in d.message
    assert of(lint(line(U, A, SYS, U, A), mistral), "TL309")


# -- content ------------------------------------------------------------------------------


def test_content_missing_cases() -> None:
    text = line(U, {"role": "assistant"})
    (d,) = of(lint(text), "TL401")
    assert text_at(text, d) == '{"role": "assistant"}'
    text = line({"role": "user", "content": None}, A)
    (d,) = of(lint(text), "TL401")
    assert text_at(text, d) == "null"
    assert not of(lint(line(U, {**CALL, "content": None}, RESULT, A)), "TL401")
    assert of(lint(line(U, CALL, {"role": "tool", "tool_call_id": "call_1"}, A)), "TL401")
    assert not of(lint(line(U, {"role": "assistant", "content": None,
                                "function_call": {"name": "f", "arguments": "{}"}},
                            {"role": "function", "name": "f", "content": None}, A)), "TL401")


@pytest.mark.parametrize(
    ("content", "pointer_text", "needle"),
    [(42, "42", "a number"),
     ({"text": "x"}, '{"text": "x"}', "an object"),
     ([], "[]", "empty array"),
     (["x"], '"x"', "part 0 is a string"),
     ([{"text": "x"}], '{"text": "x"}', "no `type`"),
     ([{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}], '"input_audio"',
      "not supported"),
     ([{"type": "text", "text": 5}], "5", "string `text`"),
     ([{"type": "image_url", "image_url": "https://x/y.png"}], '"https://x/y.png"', "`image_url`"),
     ([{"type": "image_url", "image_url": {"detail": "low"}}], '{"detail": "low"}', "url"),
     ([{"type": "refusal", "refusal": "no"}], '"refusal"', "assistant messages only")],
)
def test_content_type_cases(content: Any, pointer_text: str, needle: str) -> None:
    text = line({"role": "user", "content": content}, A)
    (d,) = of(lint(text), "TL402")
    assert text_at(text, d) == pointer_text
    assert needle in d.message


def test_content_type_accepts_valid_parts() -> None:
    user = {"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}]}
    refusal = {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help."}]}
    assert not of(lint(line(user, refusal)), "TL402")


def test_content_empty() -> None:
    text = line(U, {"role": "assistant", "content": " \n "})
    (d,) = of(lint(text), "TL403")
    assert "whitespace" in d.message and d.severity == Severity.WARNING
    assert not of(lint(line(U, {**CALL, "content": ""}, RESULT, A)), "TL403")
    text = line({"role": "user", "content": [{"type": "text", "text": ""}]}, A)
    (d,) = of(lint(text), "TL403")
    assert text_at(text, d) == '""'


# -- weights ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "new"),
    [("1.0", "1"), ("0.0", "0"), ("true", "1"), ("false", "0"), ('"1"', "1"), ("2", None),
     ("0.5", None), ("null", None), ("-1", None)],
)
def test_weight_invalid(raw: str, new: str | None) -> None:
    text = '{"messages": [{"role": "user", "content": "Hi"}, ' \
           '{"role": "assistant", "content": "Hello", "weight": ' + raw + '}]}'
    (d,) = of(lint(text), "TL451")
    assert text_at(text, d) == raw
    if new is None:
        assert d.fix is None
    else:
        assert d.fix is not None and d.fix.safe
        out = fixed(text, d)
        assert out == text.replace(f'"weight": {raw}', f'"weight": {new}')
        assert not of(lint(out), "TL451")


def test_weights_valid_and_non_assistant_and_untrained() -> None:
    ok = line(U, {**A, "weight": 0}, U, {**A, "weight": 1})
    diags = lint(ok)
    assert not of(diags, "TL451") and not of(diags, "TL452") and not of(diags, "TL453")
    text = line({**U, "weight": 1}, A)
    (d,) = of(lint(text), "TL452")
    assert text_at(text, d) == '"weight": 1'
    assert json.loads(fixed(text, d))["messages"][0] == U
    assert not of(lint(text, {"profile": "together"}), "TL452")
    (d,) = of(lint(line(U, {**A, "weight": 0}, U, {**A, "weight": 0})), "TL453")
    assert "all 2 assistant messages" in d.message


def test_weight_rules_read_a_key_spelt_with_escapes() -> None:
    """`"weig\\u0068t"` is the key `weight` to the API: the weight rules see it too."""
    def escaped(m: dict[str, Any]) -> str:
        return json.dumps(m).replace('"weight"', '"weig\\u0068t"')

    text = '{"messages": [' + escaped({**U, "weight": 1}) + ", " + escaped({**A, "weight": 2}) + "]}"
    assert {"TL451", "TL452"} <= {d.code for d in lint(text)}
    (d,) = of(lint(text), "TL451")
    assert text_at(text, d) == "2"
    untrained = '{"messages": [' + json.dumps(U) + ", " + escaped({**A, "weight": 0}) + "]}"
    assert of(lint(untrained), "TL453")


# -- other formats ------------------------------------------------------------------------


def test_preference_input_messages_use_their_pointer() -> None:
    text = json.dumps({"input": {"messages": [{"role": "usr", "content": "Hi"}]},
                       "preferred_output": [A], "non_preferred_output": [
                           {"role": "assistant", "content": "<|endoftext|>"}]})
    diags = lint(text)
    (d,) = of(diags, "TL302")
    assert text_at(text, d) == '"usr"'
    (d,) = of(diags, "TL404")
    assert text_at(text, d) == '"<|endoftext|>"'
    assert not of(diags, "TL303")  # chat-only rules stay out of DPO examples


def test_rules_do_not_crash_on_odd_values() -> None:
    weird = ['{"messages": [1, null, true, [], {}]}', '{"messages": [{"role": {"a": 1}}]}',
             '{"messages": [{"role": "user", "content": [null, 1, {"type": 3}]}]}',
             '{"messages": [{"role": "assistant", "weight": [1], "tool_calls": {}}]}']
    for text in weird:
        for d in lint(text):
            assert "internal error" not in d.message, (text, d.message)


# -- real data ----------------------------------------------------------------------------

ERRORS_NOT_EXPECTED = {"TL201", "TL202", "TL203", "TL204", "TL205", "TL301", "TL302", "TL303",
                       "TL401", "TL402", "TL404", "TL451"}


@pytest.mark.parametrize("name", [
    "openai-cookbook/toy_chat_fine_tuning.jsonl",
    "openai-cookbook/drone_training.jsonl",
    "microsoft-foundry__fine-tuning/stock_toolcall_validation.jsonl",
    "gh640__openai-fine-tuning-validate/dataset-2-multi-turn.jsonl",
    "disler__reusable-openai-fine-tune/example-sarcastic-factbot.jsonl",
    "sugarforever__openai-fine-tuning-example/training_dataset.jsonl",
    "microsoft-foundry__fine-tuning/orca_dpo_pairs_validation.jsonl",
])
def test_real_datasets_have_no_structural_errors(name: str) -> None:
    path = shared_path("real-datasets", name)
    diags = lint(path.read_text("utf-8"))
    bad = [(d.line, d.code, d.message) for d in diags if d.code in ERRORS_NOT_EXPECTED]
    assert not bad


def test_toy_chat_reports_what_the_cookbook_reports() -> None:
    text = shared_path("real-datasets", "openai-cookbook", "toy_chat_fine_tuning.jsonl").read_text(
        "utf-8")
    diags = lint(text, {"extend-select": ["system-missing"]})
    assert [d.line for d in of(diags, "TL305")] == [2]  # line 3: no system message
    assert [d.line for d in of(diags, "TL306")] == [3]  # line 4: no user message


def test_check_is_cheap_on_a_clean_line() -> None:
    """Every chat rule returns quickly on a plain line; guards against accidental re-parsing."""
    import time

    from tunelint.context import ExampleContext
    from tunelint.rules import all_rules

    analyzer = Analyzer(settings_from_mapping({}))
    text = line(SYS, U, A, U, A)
    obj = orjson.loads(text)
    mine = [r for r in all_rules() if r.code[2] in "234" and r.scope == "example"]
    start = time.perf_counter()
    for _ in range(2000):
        ctx = ExampleContext(obj=obj, format="chat", text=text, run=analyzer.run)
        for r in mine:
            if "chat" in r.formats:
                for _p in r.check(ctx, dict(r.options)):
                    pass
    per_line = (time.perf_counter() - start) / 2000
    assert per_line < 200e-6, f"{per_line * 1e6:.0f} µs per line"
    print(f"chat rules: {per_line * 1e6:.1f} µs per line")
