"""The real datasets in ../shared/real-datasets get the findings their README describes, and no
error it does not explain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import shared_path

from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer, Document
from tunelint.problems import Diagnostic, Severity

# Today the OpenAI profile adds an info note about the 2027-01-06 end of self-serve jobs; the
# date is pinned so these expectations do not depend on the day the suite runs.
PINNED = {"rules": {"model-support": {"today": "2026-06-01"}}}


def run(rel: str, **settings: object) -> tuple[Document, list[Diagnostic]]:
    path = shared_path("real-datasets", rel)
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    doc = Document(Analyzer(settings_from_mapping({**PINNED, **settings}), str(path)), text,
                   path=str(path))
    return doc, doc.diagnostics()


def by_code(diags: list[Diagnostic], severity: Severity | None = None) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for d in diags:
        if severity is None or d.severity == severity:
            out.setdefault(d.code, []).append(d.line + 1)
    return out


def test_toy_chat_findings_match_the_cookbook() -> None:
    _, diags = run("openai-cookbook/toy_chat_fine_tuning.jsonl", model="gpt-3.5-turbo-0613",
                   **{"extend-select": ["system-missing"]})
    found = by_code(diags)
    assert found["TL305"] == [3]  # no system message
    assert found["TL306"] == [4]  # no user message
    assert found["TL901"] == [5]  # ~8,000 tokens > 4,096
    too_long = next(d for d in diags if d.code == "TL901")
    assert 7_900 < too_long.data["tokens"] < 8_200 and too_long.data["limit"] == 4096
    assert by_code(diags, Severity.ERROR) == {"TL902": [1]}  # 5 examples < 10
    # With the 16,385-token limit nothing is over (the cookbook: "0 over 16385").
    _, diags16k = run("openai-cookbook/toy_chat_fine_tuning.jsonl", model="gpt-3.5-turbo-0125")
    assert "TL901" not in by_code(diags16k)


def test_drone_training_double_encoded_arguments_and_duplicate() -> None:
    _, diags = run("openai-cookbook/drone_training.jsonl")
    found = by_code(diags)
    assert found["TL506"] == [3, 4, 5, 6, 7, 8]
    assert found["TL904"] == [19]
    dup = next(d for d in diags if d.code == "TL904")
    assert dup.related[0][0] == 16  # points at line 17 (0-based 16)
    assert by_code(diags, Severity.ERROR) == {}
    args = next(d for d in diags if d.code == "TL506")
    assert args.fix is not None and args.fix.safe


def test_pretty_printed_file_is_one_finding_per_object_and_fixable(tmp_path: Path) -> None:
    doc, diags = run("openai-cookbook/01-testing-example.jsonl")
    found = by_code(diags, Severity.ERROR)
    assert list(found) == ["TL102"] and len(found["TL102"]) == 11
    from tunelint.cli import apply_safe_fixes

    target = tmp_path / "testing.jsonl"
    target.write_text(doc.text, "utf-8")
    assert apply_safe_fixes(doc, str(target)) == 11
    lines = target.read_text("utf-8").splitlines()
    assert len(lines) == 11 and all(isinstance(json.loads(x), dict) for x in lines)
    decoder = json.JSONDecoder(strict=False)
    original = shared_path("real-datasets/openai-cookbook/01-testing-example.jsonl").read_text()
    objects, pos = [], 0
    while pos < len(original.rstrip()):
        while original[pos].isspace():
            pos += 1
        obj, pos = decoder.raw_decode(original, pos)
        objects.append(obj)
    assert [json.loads(x) for x in lines] == objects  # text unchanged, only the layout


@pytest.mark.parametrize("rel", [
    "disler__reusable-openai-fine-tune/example-sarcastic-factbot.jsonl",
    "sugarforever__openai-fine-tuning-example/training_dataset.jsonl",
    "microsoft-foundry__fine-tuning/stock_toolcall_validation.jsonl",
])
def test_clean_chat_datasets(rel: str) -> None:
    _, diags = run(rel)
    assert by_code(diags, Severity.ERROR) == {} and by_code(diags, Severity.WARNING) == {}


def test_weights_dataset_only_lacks_examples() -> None:
    _, diags = run("gh640__openai-fine-tuning-validate/dataset-2-multi-turn.jsonl")
    assert by_code(diags, Severity.ERROR) == {"TL902": [1]}
    assert by_code(diags, Severity.WARNING) == {}


def test_dpo_pairs_are_clean_preference_data() -> None:
    doc, diags = run("microsoft-foundry__fine-tuning/orca_dpo_pairs_validation.jsonl")
    assert doc.dataset_format() == "preference" and doc.example_count == 284
    assert by_code(diags, Severity.ERROR) == {}


def test_legacy_completion_dataset() -> None:
    doc, diags = run("dabit3__gpt-fine-tuning-with-nodejs/data.jsonl", model="davinci-002")
    assert doc.dataset_format() == "completion" and doc.example_count == 52
    assert by_code(diags, Severity.ERROR) == {}
    # Several prompts ("what is Lens Protocol") carry different completions.
    assert "TL906" in by_code(diags)
    # The default (chat) model cannot train prompt/completion data.
    _, default = run("dabit3__gpt-fine-tuning-with-nodejs/data.jsonl")
    assert "TL909" in by_code(default, Severity.ERROR)


# Together accepts formats OpenAI does not: `{"text": ...}` lines and prompt/completion
# instruction data. With the together profile those are the only differences.
TOGETHER_ONLY = {
    "test_check_jsonl_valid_general.jsonl": {"TL105"},
    "test_check_jsonl_valid_instruction.jsonl": {"TL909"},
    "test_check_jsonl_valid_instruction_multimodal.jsonl": {"TL909", "TL801"},
    # Its data URLs hold "..." instead of base64: Together checks only the prefix, we decode.
    "test_check_jsonl_valid_conversational_multimodal_single_turn.jsonl": {"TL602"},
}


def together_cases() -> list[dict[str, str]]:
    path = shared_path("real-datasets", "together-cases", "cases.json")
    return list(json.loads(path.read_text()))


@pytest.mark.parametrize("case", range(23))
def test_together_cases(case: int) -> None:
    c = together_cases()[case]
    _, diags = run(f"together-cases/{c['file']}", profile="together")
    errors = {d.code for d in diags if d.severity == Severity.ERROR}
    if c["expect"] == "invalid":
        assert errors, f"{c['file']}: Together rejects it ({c['error_fragment']}); we found none"
    else:
        assert errors <= TOGETHER_ONLY.get(c["file"], set()), (c["file"], errors)
