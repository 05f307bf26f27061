"""The CLI's streamed, parallel path gives the same findings as the in-memory document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunelint import batch
from tunelint.config import settings_from_mapping
from tunelint.engine import Analyzer, Document


def _lines() -> list[str]:
    out = []
    for i in range(40):
        answer = "Eat a banana! " * (1500 if i in (7, 31) else 1)  # two lines over 4,096 tokens
        out.append(json.dumps({"messages": [{"role": "user", "content": f"Q{i} é😀"},
                                            {"role": "assistant", "content": answer}]}))
    out[12] = out[3]  # a duplicate across the two workers' ranges
    out[20] = out[20][:-3]  # a broken line
    return out


@pytest.mark.parametrize("final_newline", [True, False])
def test_parallel_lean_check_equals_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              final_newline: bool) -> None:
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)  # parallel even for a small file
    path = tmp_path / "train.jsonl"
    text = "\r\n".join(_lines()) + ("\r\n" if final_newline else "")
    path.write_bytes(text.encode())
    settings = settings_from_mapping({"model": "gpt-3.5-turbo-0613"})
    lean = batch.check_path(str(path), settings, use_cache=False, workers=2)
    full = Document(Analyzer(settings, str(path)), text, path=str(path))

    def key(doc: Document) -> list[tuple[object, ...]]:
        return [(d.line, d.column, d.end_column, d.code, d.message, tuple(d.related))
                for d in doc.diagnostics()]

    assert key(lean) == key(full)
    codes = {d.code for d in lean.diagnostics()}
    assert {"TL901", "TL904", "TL101"} <= codes  # long lines were finished by the parent
    assert lean.line_count == full.line_count
