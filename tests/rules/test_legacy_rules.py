"""Legacy prompt/completion rules (TL801-TL807)."""

from __future__ import annotations

import json

from helpers import codes, lint, shared_path

from tunelint.fixes import apply_edits, resolve_fix
from tunelint.problems import Diagnostic, Severity

LEGACY = {"format": "completion", "model": "davinci-002"}


def line(prompt: object = "Capital of France?\n\n###\n\n", completion: object = " Paris\n",
         **extra: object) -> str:
    obj: dict[str, object] = {}
    if prompt is not None:
        obj["prompt"] = prompt
    if completion is not None:
        obj["completion"] = completion
    obj.update(extra)
    return json.dumps(obj)


def mine(text: str, settings: dict[str, object] | None = None) -> list[Diagnostic]:
    return [d for d in lint(text, LEGACY if settings is None else settings) if d.code.startswith("TL8")]


def fixed(text: str, d: Diagnostic) -> str:
    assert d.fix is not None
    lines, ends = [text], [""]
    apply_edits(lines, ends, resolve_fix(d.fix, 0, text, 1))
    return lines[0]


def test_clean_legacy_line() -> None:
    assert mine(line()) == []


def test_missing_and_wrongly_cased_keys() -> None:
    text = json.dumps({"Prompt": "Hi ->", "completion": " Hello\n"})
    [d] = mine(text)
    assert d.code == "TL801" and text[d.column:d.end_column] == '"Prompt"'
    assert d.fix is not None and d.fix.safe
    assert json.loads(fixed(text, d)) == {"prompt": "Hi ->", "completion": " Hello\n"}
    [d] = [d for d in mine(line(completion=None)) if d.code == "TL801"]
    assert "`completion` key is missing" in d.message


def test_extra_key() -> None:
    text = line(source="quiz")
    [d] = mine(text)
    assert d.code == "TL802" and text[d.column:d.end_column] == '"source"'
    assert d.fix is not None and not d.fix.safe
    assert json.loads(fixed(text, d)) == json.loads(line())


def test_empty_completion() -> None:
    [d] = [d for d in mine(line(completion="  ")) if d.code == "TL803"]
    assert d.severity == Severity.ERROR and "whitespace" in d.message


def test_long_example_chars_and_tokens() -> None:
    long = "word " * 2100
    [d] = mine(line(prompt=long + "\n\n###\n\n"))
    assert d.code == "TL804" and "10,5" in d.message
    settings = {**LEGACY, "rules": {"legacy-long-example": {"max_chars": 100_000}}}
    assert mine(line(prompt=long), settings) == []


def test_completion_format_converts_to_chat() -> None:
    text = line()
    [d] = [d for d in mine(text, {"format": "completion"}) if d.code == "TL805"]
    assert d.severity == Severity.INFO and d.fix is not None and not d.fix.safe
    assert json.loads(fixed(text, d)) == {"messages": [
        {"role": "user", "content": "Capital of France?\n\n###\n\n"},
        {"role": "assistant", "content": " Paris\n"}]}
    assert "TL805" not in codes(mine(text))  # davinci-002 trains on it


def test_completion_space() -> None:
    text = line(completion="Paris\n")
    [d] = mine(text)
    assert d.code == "TL806" and d.severity == Severity.INFO
    assert json.loads(fixed(text, d))["completion"] == " Paris\n"


def test_common_suffix_points_at_the_first_break() -> None:
    lines = [line(f"Q{i}?\n\n###\n\n", f" A{i}\n") for i in range(5)]
    assert mine("\n".join(lines)) == []
    lines[3] = line("Q3?", " A3")
    found = [d for d in mine("\n".join(lines)) if d.code == "TL807"]
    assert {d.line for d in found} == {3} and len(found) == 2
    chat = json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                    {"role": "assistant", "content": "Hello"}]})
    assert not [d for d in mine("\n".join([chat] * 3), {}) if d.code == "TL807"]


def test_dabit3_data(shared: object) -> None:
    path = shared_path("real-datasets", "dabit3__gpt-fine-tuning-with-nodejs", "data.jsonl")
    found = mine(path.read_text("utf-8"), {})
    assert {d.code for d in found} == {"TL805", "TL806", "TL807"}
    assert not [d for d in found if d.severity == Severity.ERROR]
