"""Test helpers: where shared/ and fixtures/ are, and linting text in one call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tunelint.config import Settings, settings_from_mapping
from tunelint.engine import Analyzer, Document
from tunelint.problems import Diagnostic

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = Path(os.environ.get("TUNELINT_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_path(*parts: str) -> Path:
    """A path inside ../shared. Skips (saying why) when shared/ is absent; fails in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"needs {path}, which only ../shared provides (clone it beside this repo)"
        if IN_CI:
            pytest.fail(message + "; CI must not skip this test")
        pytest.skip(message)
    return path


def file_lines(path: Path) -> list[bytes]:
    """A file's lines as bytes, without their line ends (CRLF or LF)."""
    return [raw[:-1] if raw.endswith(b"\r") else raw for raw in path.read_bytes().split(b"\n")]


def fixture_files() -> list[Path]:
    paths = sorted(FIXTURES.rglob("*.jsonl"))
    assert paths
    return paths


def real_dataset_files() -> list[Path]:
    """The real datasets of ../shared (skips without it, fails in CI)."""
    return sorted(shared_path("real-datasets").rglob("*.jsonl"))


def lint(text: str, settings: Settings | dict[str, object] | None = None,
         path: str | None = None) -> list[Diagnostic]:
    if isinstance(settings, dict):
        settings = settings_from_mapping(settings)
    doc = Document(Analyzer(settings or Settings(), path), text, path=path)
    return doc.diagnostics()


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]
