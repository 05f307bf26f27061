"""What every editor test checks, on fixtures/editors/errors.jsonl (0-based lines):
line 2 broken JSON (TL101), line 5 blank (TL006, quick fix removes it), line 8 a duplicate of
line 0 (TL904). The edit appends ']}' to line 2; the code action removes the blank line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "editors" / "errors.jsonl"

OPEN = {(2, "TL101"), (5, "TL006"), (8, "TL904")}
AFTER_EDIT = {(5, "TL006"), (8, "TL904")}
AFTER_ACTION = {(7, "TL904")}
ERROR, WARNING = 1, 2


def copy_fixture(tmp_path: Path) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    (work / ".git").mkdir()  # a root marker, and no tunelint.toml above it
    target = work / "errors.jsonl"
    shutil.copyfile(FIXTURE, target)
    return target


def problems(diags: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """(line, code) of errors and warnings (info diagnostics depend on the date, e.g. TL909)."""
    return {(d["lnum"], d["code"]) for d in diags if d.get("severity") in (ERROR, WARNING)}


def assert_no_duplicates(steps: dict[str, dict[str, Any]], detail: str) -> None:
    """Each problem shows once (not twice, e.g. from both pushed and pulled diagnostics)."""
    for name, step in steps.items():
        seen = [(d["lnum"], d["code"], d.get("col")) for d in step["diagnostics"]]
        assert len(seen) == len(set(seen)), f"duplicate diagnostics after {name}\n{detail}"


def check_file_after(target: Path) -> None:
    lines = target.read_text().splitlines()
    original = FIXTURE.read_text().splitlines()
    assert len(lines) == len(original) - 1, "the blank line was not removed"
    assert "" not in lines
    assert lines[2] == original[2] + "]}"
