"""Preference (TL701-TL704) and reinforcement (TL751-TL752) rules."""

from __future__ import annotations

import json

from helpers import codes, lint, shared_path

from tunelint.fixes import apply_edits, resolve_fix
from tunelint.problems import Diagnostic, Severity

PREF = {"format": "preference"}
RFT = {"format": "reinforcement"}


def dpo(**over: object) -> dict[str, object]:
    obj: dict[str, object] = {
        "input": {"messages": [{"role": "user", "content": "Capital of France?"}]},
        "preferred_output": [{"role": "assistant", "content": "Paris."}],
        "non_preferred_output": [{"role": "assistant", "content": "Lyon."}],
    }
    obj.update(over)
    return obj


def mine(obj: object, settings: dict[str, object], prefix: str = "TL7") -> list[Diagnostic]:
    return [d for d in lint(json.dumps(obj), settings) if d.code.startswith(prefix)]


def test_valid_dpo_is_clean() -> None:
    assert mine(dpo(), PREF) == []


def test_dpo_shape_output_count_and_role() -> None:
    two = [{"role": "assistant", "content": "Lyon."}, {"role": "assistant", "content": "Nice."}]
    [d] = mine(dpo(non_preferred_output=two), PREF)
    assert d.code == "TL701" and "exactly one message (2)" in d.message
    line = json.dumps(dpo(preferred_output=[{"role": "user", "content": "Paris."}]))
    [d] = [d for d in lint(line, PREF) if d.code == "TL701"]
    assert line[d.column:d.end_column] == '"user"'
    [d] = mine(dpo(preferred_output=[{"role": "assistant"}]), PREF)
    assert "no `content`" in d.message
    found = mine({"input": {"messages": []}, "preferred_output": []}, PREF)
    msgs = " ".join(d.message for d in found)
    assert "`input.messages` is empty" in msgs and "non_preferred_output" in msgs


def test_dpo_completion_spelling_is_a_warning_with_safe_fix() -> None:
    obj = dpo()
    obj["preferred_completion"] = obj.pop("preferred_output")
    line = json.dumps(obj)
    [d] = [d for d in lint(line, PREF) if d.code == "TL701"]
    assert d.severity == Severity.WARNING and line[d.column:d.end_column] == '"preferred_completion"'
    assert d.fix is not None and d.fix.safe
    lines, ends = [line], [""]
    apply_edits(lines, ends, resolve_fix(d.fix, 0, line, 1))
    assert json.loads(lines[0]) == dpo()


def test_dpo_input_ends_assistant() -> None:
    inp = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}
    [d] = mine(dpo(input=inp), PREF)
    assert d.code == "TL702" and d.severity == Severity.ERROR


def test_dpo_multimodal() -> None:
    inp = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}
    found = [d for d in mine(dpo(input=inp), {**PREF, "model": "gpt-4o-2024-08-06"})
             if d.code == "TL703"]
    assert len(found) == 1 and "text-only" in found[0].message


def test_dpo_same_outputs() -> None:
    [d] = mine(dpo(non_preferred_output=[{"role": "assistant", "content": " Paris. "}]), PREF)
    assert d.code == "TL704" and d.severity == Severity.WARNING


def test_orca_dpo_pairs_have_no_errors(shared: object) -> None:
    path = shared_path("real-datasets", "microsoft-foundry__fine-tuning",
                       "orca_dpo_pairs_validation.jsonl")
    found = [d for d in lint(path.read_text("utf-8"))
             if d.code[:3] in ("TL5", "TL6", "TL7", "TL8")]
    assert found == []


def rft(msgs: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {"messages": msgs, "reference_answer": "42", **extra}


DEV = {"role": "developer", "content": "Answer with a number."}
USER = {"role": "user", "content": "6 times 7?"}


def test_valid_rft_is_clean() -> None:
    assert mine(rft([DEV, USER]), RFT) == []


def test_rft_system_message_and_roles() -> None:
    found = mine(rft([{"role": "system", "content": "x"}, USER]), RFT)
    assert codes(found) == ["TL751"] and "developer" in found[0].message
    assert found[0].fix is not None and not found[0].fix.safe
    found = mine(rft([{"role": "narrator", "content": "x"}, USER]), RFT)
    assert "'narrator'" in found[0].message


def test_rft_last_message_must_be_user() -> None:
    # developer + tool at the end: still detected as RFT (no assistant message)
    tool = {"role": "tool", "tool_call_id": "c1", "content": "42"}
    found = [d for d in mine(rft([DEV, USER, tool]), RFT) if d.code == "TL751"]
    assert any("last message must be from the user" in d.message for d in found)


def test_rft_item_ref_off_by_default_and_from_grader() -> None:
    obj = rft([DEV, USER])
    del obj["reference_answer"]
    obj["answer"] = "42"
    assert "TL752" not in codes(mine(obj, RFT))
    grader = "{{ sample.output_text }} == {{ item.reference_answer }} and {{item.meta.level}}"
    settings = {**RFT, "extend-select": ["TL752"], "rules": {"rft-item-ref": {"grader": grader}}}
    msgs = sorted(d.message for d in mine(obj, settings))
    assert len(msgs) == 2 and "`meta.level`" in msgs[0] and "`reference_answer`" in msgs[1]
    obj["reference_answer"] = "42"
    obj["meta"] = {"level": 1}
    assert mine(obj, settings) == []
    settings = {**RFT, "extend-select": ["TL752"],
                "rules": {"rft-item-ref": {"item_keys": ["answer"]}}}
    assert mine(obj, settings) == []
