"""Fixtures for the submission tests: a fake key, the stateful fake server, datasets."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fake_openai import FakeOpenAI  # noqa: E402
from submit_support import FAKE_KEY, chat_lines, write  # noqa: E402


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(FAKE_KEY).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The fake key in the environment and a private state file. Returns the state path."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    state = tmp_path / "state" / "submissions.json"
    monkeypatch.setenv("TUNELINT_STATE_FILE", str(state))
    return state


@pytest.fixture
def train(tmp_path: Path) -> Path:
    return write(tmp_path / "train.jsonl", chat_lines())
