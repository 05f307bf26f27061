"""Tool rules (TL501-TL509): messages, exact ranges, fixes, and the real tool datasets."""

from __future__ import annotations

import json

from helpers import codes, lint, shared_path

from tunelint.fixes import apply_edits, resolve_fix
from tunelint.problems import Diagnostic, Severity

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"},
                                     "unit": {"enum": ["celsius", "fahrenheit"]}},
    "required": ["city"]}}}
TOOL_CODES = {f"TL50{i}" for i in range(1, 10)}


def example(args: object = '{"city": "Paris"}', name: str = "get_weather",
            tools: object = None, extra_msgs: list[dict[str, object]] | None = None,
            call: dict[str, object] | None = None) -> str:
    c = call or {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}
    msgs = [{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "tool_calls": [c]}] + (extra_msgs or [])
    return json.dumps({"messages": msgs, "tools": [WEATHER] if tools is None else tools},
                      ensure_ascii=False)


def mine(text: str, settings: dict[str, object] | None = None) -> list[Diagnostic]:
    return [d for d in lint(text, settings) if d.code in TOOL_CODES]


def fixed(line: str, d: Diagnostic) -> str:
    assert d.fix is not None
    lines, endings = [line], [""]
    apply_edits(lines, endings, resolve_fix(d.fix, 0, line, 1))
    return lines[0]


def test_valid_tool_example_is_clean() -> None:
    extra = [{"role": "tool", "tool_call_id": "call_1", "content": "18°C"},
             {"role": "assistant", "content": "It is 18°C."}]
    assert mine(example(extra_msgs=extra)) == []


def test_name_invalid_range() -> None:
    tool = {"type": "function", "function": {"name": "get weather"}}
    line = example(name="get weather", tools=[tool])
    found = [d for d in mine(line) if d.code == "TL501"]
    assert len(found) == 2
    for d in found:
        assert line[d.column:d.end_column] == '"get weather"'
        assert "' '" in d.message
    long = "x" * 65
    assert "65 characters" in [d for d in mine(example(name=long, tools=[
        {"type": "function", "function": {"name": long}}])) if d.code == "TL501"][0].message


def test_tools_shape_points_inside_parameters() -> None:
    bad = json.loads(json.dumps(WEATHER))
    bad["function"]["parameters"]["properties"]["city"]["type"] = "strin"
    line = example(tools=[bad])
    [d] = [d for d in mine(line) if d.code == "TL502"]
    assert line[d.column:d.end_column] == '"strin"'
    assert "properties.city.type" in d.message and "'string'" in d.message
    assert d.severity == Severity.ERROR
    line = example(tools=[{"function": {"name": "get_weather"}}])
    assert any("`type`" in d.message for d in mine(line) if d.code == "TL502")
    assert "TL502" in codes(mine(example(tools={"get_weather": WEATHER})))


def test_tools_shape_cache_reports_every_line() -> None:
    bad = {"type": "function", "function": {"name": "f", "parameters": []}}
    text = "\n".join(example(tools=[bad]).replace("Paris?", f"Paris {i}?") for i in range(3))
    assert codes(mine(text)).count("TL502") == 3


def test_functions_deprecated_fix_converts() -> None:
    obj = {"messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None,
         "function_call": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
        {"role": "function", "name": "get_weather", "content": "sunny"},
        {"role": "assistant", "content": "Sunny."}],
        "functions": [WEATHER["function"]]}
    line = json.dumps(obj)
    found = [d for d in mine(line) if d.code == "TL503"]
    assert len(found) == 2 and all(d.severity == Severity.INFO for d in found)
    assert found[0].fix is not None and not found[0].fix.safe
    new = json.loads(fixed(line, found[0]))
    assert "functions" not in new and new["tools"] == [WEATHER]
    call = new["messages"][1]["tool_calls"][0]
    assert call["id"] == "call00001" and call["function"]["name"] == "get_weather"
    assert new["messages"][2] == {"role": "tool", "tool_call_id": "call00001", "content": "sunny"}
    assert not [d for d in mine(json.dumps(new)) if d.severity == Severity.ERROR]


def test_parallel_tool_calls_type_fix() -> None:
    line = json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                    {"role": "assistant", "content": "Hello"}],
                       "parallel_tool_calls": "False"})
    [d] = mine(line)
    assert d.code == "TL504" and line[d.column:d.end_column] == '"False"'
    assert json.loads(fixed(line, d))["parallel_tool_calls"] is False


def test_tool_call_shape() -> None:
    line = example(call={"function": {"name": "get_weather"}})
    msgs = {d.message for d in mine(line) if d.code == "TL505"}
    assert "the tool call has no `id`" in msgs
    assert any("no `arguments`" in m for m in msgs)
    assert any("no `type`" in m for m in msgs)


def test_tool_call_id_pattern_from_profile() -> None:
    line = example()
    assert "TL505" not in codes(mine(line))
    [d] = [d for d in mine(line, {"profile": "mistral"}) if d.code == "TL505"]
    assert "does not match" in d.message and line[d.column:d.end_column] == '"call_1"'
    assert "TL505" not in codes(mine(line.replace("call_1", "abcDEF123"), {"profile": "mistral"}))


def test_tool_args_json_double_encoded_fix() -> None:
    line = example(args=json.dumps('{"city": "Paris"}'))
    [d] = mine(line)
    assert d.code == "TL506" and d.severity == Severity.WARNING
    assert d.fix is not None and d.fix.safe
    after = json.loads(fixed(line, d))
    assert after["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'
    assert mine(json.dumps(after)) == []


def test_tool_args_json_invalid_points_at_error() -> None:
    line = example(args='{"city": Paris}')
    [d] = [d for d in mine(line) if d.code == "TL506"]
    assert d.severity == Severity.ERROR
    assert line[d.column:d.end_column] == "P"
    line = example(args={"city": "Paris"})
    [d] = [d for d in mine(line) if d.code == "TL506"]
    assert "not object" in d.message and d.fix is not None and d.fix.safe
    assert json.loads(fixed(line, d))["messages"][1]["tool_calls"][0]["function"][
        "arguments"] == '{"city": "Paris"}'
    [d] = [d for d in mine(example(args="[1, 2]")) if d.code == "TL506"]
    assert d.severity == Severity.WARNING and "array" in d.message


def test_tool_call_undeclared() -> None:
    [d] = mine(example(name="get_wether"))
    assert d.code == "TL507" and "did you mean 'get_weather'" in d.message
    [d] = mine(example(tools=[]))
    assert "declares no tools" in d.message


def test_tool_response_mismatch() -> None:
    extra = [{"role": "tool", "content": "18°C"},
             {"role": "tool", "tool_call_id": "call_1", "content": "18°C"},
             {"role": "tool", "tool_call_id": "call_1", "content": "18°C"},
             {"role": "tool", "tool_call_id": "call_9", "content": "18°C"}]
    line = example(extra_msgs=extra)
    found = [d for d in mine(line) if d.code == "TL508"]
    assert [d.severity for d in found] == [Severity.ERROR, Severity.WARNING, Severity.WARNING]
    assert "already answered" in found[1].message and "call_9" in found[2].message
    assert line[found[2].column:found[2].end_column] == '"call_9"'


def test_tool_args_schema_points_inside_arguments() -> None:
    args = '{"city": 7, "unit": "kelvin", "extra": true}'
    line = example(args=args)
    found = [d for d in mine(line) if d.code == "TL509"]
    by_msg = {d.message: line[d.column:d.end_column] for d in found}
    assert by_msg["argument 'city': expected string, got integer"] == "7"
    assert by_msg["argument 'unit': must be one of 'celsius', 'fahrenheit'; got 'kelvin'"] == (
        '\\"kelvin\\"')
    strict = json.loads(json.dumps(WEATHER))
    strict["function"]["parameters"]["additionalProperties"] = False
    line = example(args=args, tools=[strict])
    [d] = [d for d in mine(line) if "extra" in d.message]
    assert d.message == "arguments of 'get_weather': unexpected argument 'extra'"
    assert line[d.column:d.end_column] == '\\"extra\\"'
    [d] = [d for d in mine(example(args='{"unit": "celsius"}')) if d.code == "TL509"]
    assert d.message == "arguments of 'get_weather': missing required argument 'city'"


def test_drone_training_only_double_encoding(shared: object) -> None:
    path = shared_path("real-datasets", "openai-cookbook", "drone_training.jsonl")
    found = [d for d in lint(path.read_text("utf-8")) if d.code[:3] in ("TL5", "TL6", "TL7",
                                                                          "TL8")]
    assert sorted({d.line + 1 for d in found if d.code == "TL506"}) == [3, 4, 5, 6, 7, 8]
    assert all(d.code == "TL506" for d in found)
    assert not [d for d in found if d.severity == Severity.ERROR]


def test_stock_toolcall_has_no_errors(shared: object) -> None:
    path = shared_path("real-datasets", "microsoft-foundry__fine-tuning",
                       "stock_toolcall_validation.jsonl")
    found = [d for d in lint(path.read_text("utf-8")) if d.code[:3] in ("TL5", "TL6", "TL7",
                                                                          "TL8")]
    assert found == []
