"""message-field-type (TL207): `name`, `refusal` and `audio` of a type the schema forbids."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import codes, lint

from tunelint.problems import Diagnostic, Severity

U = {"role": "user", "content": "Hi"}
A = {"role": "assistant", "content": "Hello"}


def line(*messages: dict[str, Any], **top: Any) -> str:
    return json.dumps({"messages": list(messages), **top}, ensure_ascii=False)


def tl207(text: str, settings: dict[str, object] | None = None) -> list[Diagnostic]:
    return [d for d in lint(text, settings) if d.code == "TL207"]


def at(text: str, d: Diagnostic) -> str:
    assert d.line == d.end_line
    return text.split("\n")[d.line][d.column : d.end_column]


@pytest.mark.parametrize(
    ("message", "found", "shown", "expected"),
    [
        ({"role": "user", "content": "Hi", "name": 1042}, "`name` must be a string, not a number",
         "1042", "name"),
        ({"role": "system", "content": "Be terse.", "name": None},
         "`name` must be a string, not null", "null", "name"),
        ({"role": "assistant", "content": "Hello", "name": ["bot"]},
         "`name` must be a string, not an array", '["bot"]', "name"),
        ({"role": "assistant", "content": "Hello", "refusal": False},
         "`refusal` must be a string or null, not a boolean", "false", "refusal"),
        ({"role": "assistant", "content": "Hello", "refusal": {"text": "no"}},
         "`refusal` must be a string or null, not an object", '{"text": "no"}', "refusal"),
        ({"role": "assistant", "content": "Hello", "audio": "audio_abc"},
         "`audio` must be an object with an `id`, not a string", '"audio_abc"', "audio"),
        ({"role": "assistant", "content": "Hello", "audio": {"format": "wav"}},
         "`audio` has no `id`: give the id of the audio response", '{"format": "wav"}', "audio"),
        ({"role": "assistant", "content": "Hello", "audio": {"id": 7}},
         "`audio.id` must be a string, not a number", "7", "audio/id"),
    ],
)
def test_wrong_type_points_at_the_value(message: dict[str, Any], found: str, shown: str,
                                        expected: str) -> None:
    text = line(U, A, message) if message["role"] != "system" else line(message, U, A)
    diags = tl207(text)
    assert [d.message for d in diags] == [found]
    d = diags[0]
    assert d.severity == Severity.ERROR
    assert d.line == 0
    assert at(text, d) == shown


def test_points_at_the_right_message() -> None:
    text = line({**U, "name": "alice"}, A, {"role": "user", "content": "More?", "name": 3}, A)
    (d,) = tl207(text)
    assert d.column == text.index('"name": 3') + len('"name": ')
    assert d.end_column == d.column + 1


def test_valid_fields_pass() -> None:
    text = "\n".join([
        line({"role": "system", "content": "Be terse.", "name": "policy"},
             {"role": "user", "content": "Hi", "name": "alice"},
             {"role": "assistant", "content": "Hello", "name": "bot", "refusal": None,
              "audio": None}),
        line(U, {"role": "assistant", "content": "No.", "refusal": "I can't help with that."}),
        line(U, {"role": "assistant", "content": "Hello", "audio": {"id": "audio_123"}}),
    ])
    assert "TL207" not in codes(lint(text))


def test_function_message_needs_a_name() -> None:
    call = {"role": "assistant", "content": None,
            "function_call": {"name": "get_time", "arguments": "{}"}}
    text = line(U, call, {"role": "function", "content": "12:00"}, A)
    (d,) = tl207(text)
    assert d.message == "function message without `name`: give the function's name"
    assert at(text, d) == '"function"'
    ok = line(U, call, {"role": "function", "name": "get_time", "content": "12:00"}, A)
    assert "TL207" not in codes(lint(ok))
    bad = line(U, call, {"role": "function", "name": 5, "content": "12:00"}, A)
    assert [d.message for d in tl207(bad)] == ["`name` must be a string, not a number"]


def test_fields_a_role_does_not_have_are_left_to_message_unknown_key() -> None:
    # The tool message has no `name`; refusal/audio belong to the assistant only.
    text = line(U, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok", "name": 3},
                {"role": "assistant", "content": "Done."},
                {"role": "user", "content": "Thanks", "refusal": 1, "audio": 2})
    found = codes(lint(text))
    assert "TL207" not in found
    assert "TL206" in found


def test_tool_call_id_is_left_to_tool_response_mismatch() -> None:
    text = line(U, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": 1, "content": "ok"}, A)
    found = codes(lint(text))
    assert "TL207" not in found
    assert "TL508" in found


def test_unknown_or_missing_roles_are_skipped() -> None:
    text = line({"role": "human", "content": "Hi", "name": 1},
                {"content": "Hi", "name": 2}, {"role": 3, "content": "x", "refusal": 1}, A)
    assert tl207(text) == []


def test_preference_input_and_outputs() -> None:
    obj = {
        "input": {"messages": [{"role": "user", "content": "Capital of France?", "name": 9}]},
        "preferred_output": [{"role": "assistant", "content": "Paris.", "refusal": 0}],
        "non_preferred_output": [{"role": "assistant", "content": "Lyon.",
                                  "audio": {"id": None}}],
    }
    text = json.dumps(obj)
    diags = tl207(text, {"format": "preference"})
    assert [at(text, d) for d in diags] == ["9", "0", "null"]
    assert [d.message for d in diags] == [
        "`name` must be a string, not a number",
        "`refusal` must be a string or null, not a number",
        "`audio.id` must be a string, not null",
    ]


def test_preference_output_without_role_is_still_an_assistant_message() -> None:
    obj = {"input": {"messages": [U]},
           "preferred_output": [{"content": "Paris.", "name": 1}],
           "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}
    assert [d.message for d in tl207(json.dumps(obj), {"format": "preference"})] == [
        "`name` must be a string, not a number"]


def test_reinforcement() -> None:
    obj = {"messages": [{"role": "developer", "content": "Answer with a number.", "name": 1},
                        {"role": "user", "content": "2+2?"}], "answer": "4"}
    diags = tl207(json.dumps(obj), {"format": "reinforcement"})
    assert [d.message for d in diags] == ["`name` must be a string, not a number"]


def test_several_problems_in_one_message() -> None:
    text = line(U, {"role": "assistant", "content": "x", "name": 1, "refusal": 2, "audio": 3})
    assert [at(text, d) for d in tl207(text)] == ["1", "2", "3"]
