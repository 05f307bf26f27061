"""Shared fixtures; plain helpers live in helpers.py (importable as `helpers`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import shared_path


@pytest.fixture
def shared() -> Path:
    return shared_path()
