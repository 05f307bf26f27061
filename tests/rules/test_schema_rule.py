"""The user-schema rule (TL107): messages, places, caching, format "none", schema files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import lint, shared_path

from tunelint.config import ConfigError, Settings, settings_from_mapping
from tunelint.engine import Analyzer, Document
from tunelint.problems import Diagnostic, Severity
from tunelint.rules import schema as schema_rule

SCHEMA = {
    "type": "object",
    "required": ["id", "label"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "label": {"enum": ["spam", "ham"]},
        "score": {"type": ["number", "null"], "minimum": 0},
        "meta": {"type": "object", "required": ["source"],
                 "properties": {"source": {"type": "string", "format": "email"}}},
        "text": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
}


def errors(text: str, schema: object = SCHEMA, fmt: str = "none") -> list[Diagnostic]:
    return [d for d in lint(text, {"format": fmt, "schema": schema}) if d.code == "TL107"]


def test_valid_line_passes() -> None:
    assert errors('{"id": 1, "label": "spam", "score": null, "text": ["a", "b"]}') == []


def test_messages_and_exact_ranges() -> None:
    line = '{"id": "7", "label": "eggs", "extra": 1, "score": -1}'
    found = errors(line)
    got = {d.message: line[d.column:d.end_column] for d in found}
    assert got == {
        "schema: id: expected integer, got string": '"7"',
        "schema: label: must be one of 'spam', 'ham'; got 'eggs'": '"eggs"',
        "schema: unexpected property 'extra'": '"extra"',
        "schema: score: must be ≥ 0; got -1": "-1",
    }
    assert all(d.severity == Severity.ERROR for d in found)


def test_required_points_at_the_parent_key() -> None:
    line = '{"id": 1, "label": "ham", "meta": {"source": 3}}'
    [d] = errors(line)
    assert d.message == "schema: meta.source: expected string, got integer"
    line = '{"id": 1, "label": "ham", "meta": {}}'
    [d] = errors(line)
    assert d.message == "schema: meta: missing required property 'source'"
    assert line[d.column:d.end_column] == '"meta"'
    [d] = errors('{"id": 1}')
    assert d.message == "schema: missing required property 'label'"


def test_one_of_types_and_formats() -> None:
    [d] = errors('{"id": 1, "label": "ham", "text": 5}')
    assert d.message == "schema: text: expected string or array, got integer"
    [d] = errors('{"id": 1, "label": "ham", "text": ["a", 2]}')
    assert d.message == "schema: text[1]: expected string, got integer"
    [d] = errors('{"id": 1, "label": "ham", "meta": {"source": "not-an-email"}}')
    assert "is not a valid email" in d.message


def test_at_most_five_errors_per_line() -> None:
    schema = {"type": "object", "properties": {f"k{i}": {"type": "integer"} for i in range(9)}}
    line = json.dumps({f"k{i}": "x" for i in range(9)})
    found = errors(line, schema)
    assert len(found) == 5 and found[-1].message.endswith("(and 4 more)")


def test_runs_with_every_format_and_skips_unparsed_lines() -> None:
    chat = json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                    {"role": "assistant", "content": "Hello"}]})
    schema = {"type": "object", "required": ["id"]}
    assert len(errors(chat, schema, "auto")) == 1
    assert len(errors(chat, schema, "none")) == 1
    assert errors('{"id": ', schema) == []
    assert len(errors("[1, 2]", {"type": "object"})) == 1


def test_no_schema_no_problems() -> None:
    assert [d for d in lint('{"x": 1}', {"format": "none"}) if d.code == "TL107"] == []


def test_invalid_schema_is_a_config_error_not_an_error_per_line() -> None:
    with pytest.raises(ConfigError, match="not a valid JSON Schema.*objekt"):
        errors('{"id": 1}', {"type": "objekt"})


def test_validator_built_once_per_schema() -> None:
    schema_rule._VALIDATORS.clear()
    doc = Document(Analyzer(Settings(format="none", schema=SCHEMA)),
                   "\n".join(json.dumps({"id": i, "label": "ham"}) for i in range(50)))
    assert doc.diagnostics() == []
    assert len(schema_rule._VALIDATORS) == 1


def test_schema_file_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "line.schema.json").write_text(json.dumps(SCHEMA))
    settings = replace(settings_from_mapping({"format": "none", "schema": "line.schema.json"}),
                       root=str(tmp_path))
    doc = Document(Analyzer(settings), '{"id": 1, "label": "x"}')
    [d] = [d for d in doc.diagnostics() if d.code == "TL107"]
    assert "must be one of 'spam', 'ham'" in d.message


def test_openai_chat_schema_as_user_schema(shared: object) -> None:
    bundle = json.loads(shared_path("openai-openapi", "training-line-schemas.json").read_text())
    schema = {"$defs": bundle["$defs"], "$ref": "#/$defs/FineTuneChatRequestInput"}
    text = shared_path("real-datasets", "microsoft-foundry__fine-tuning",
                       "stock_toolcall_validation.jsonl").read_text("utf-8")
    assert errors(text, schema, "auto") == []
    bad = '{"messages": [{"role": "user", "content": 5}]}'
    [d] = errors(bad, schema, "auto")
    assert d.message.startswith("schema: messages[0]")


def test_openai_schema_messages_are_readable(shared: object) -> None:
    bundle = json.loads(shared_path("openai-openapi", "training-line-schemas.json").read_text())
    schema = {"$defs": bundle["$defs"], "$ref": "#/$defs/FineTuneChatRequestInput"}
    cases = {
        '{"messages": [{"role": "usr", "content": "x"}]}':
            "schema: messages[0].role: must be one of 'system', 'user', 'assistant', 'tool', "
            "'function'; got 'usr'",
        '{"messages": [{"role": "tool", "content": "x"}]}':
            "schema: messages[0]: missing required property 'tool_call_id'",
        '{"messages": [{"role": "assistant", "weight": 2, "content": "x"}]}':
            "schema: messages[0].weight: must be one of 0, 1; got 2",
    }
    for line, message in cases.items():
        assert [d.message for d in errors(line, schema, "auto")] == [message]
