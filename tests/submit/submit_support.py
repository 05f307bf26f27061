"""Shared helpers of the submission tests: the fake key and small clean datasets."""

from __future__ import annotations

import json
from pathlib import Path

# Recognisable, so a test can grep every captured line for it.
FAKE_KEY = "sk-tunelint-FAKEKEY-0123456789abcdefDONOTLEAK"


def chat_lines(n: int = 12, tag: str = "") -> list[str]:
    return [json.dumps({"messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": f"What is {i} plus {i}?{tag}"},
        {"role": "assistant", "content": f"{i + i}{tag}"},
    ]}) for i in range(n)]


def dpo_lines(n: int = 12) -> list[str]:
    return [json.dumps({
        "input": {"messages": [{"role": "user", "content": f"Say hello number {i}"}]},
        "preferred_output": [{"role": "assistant", "content": f"Hello {i}!"}],
        "non_preferred_output": [{"role": "assistant", "content": f"go away {i}"}],
    }) for i in range(n)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
