"""Editor tests: where the editors and the shipped configs are; skip locally, fail in CI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_CONFIG = ROOT / "client-config"
EDITOR_FIXTURES = ROOT / "fixtures" / "editors"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(ok: bool, reason: str) -> None:
    """Skip (saying why) when a tool is missing; a failure when CI=true."""
    if ok:
        return
    if IN_CI:
        pytest.fail(reason + "; CI must not skip this test (.ci/setup.d installs it)")
    pytest.skip(reason)


def tunelint_command() -> list[str]:
    """The server command: the tunelint next to this Python, else on PATH.
    TUNELINT_EDITOR_TEST_BIN (a directory holding a `tunelint`) overrides it, for debugging."""
    override = os.environ.get("TUNELINT_EDITOR_TEST_BIN")
    if override:
        return [str(Path(override) / "tunelint"), "lsp"]
    exe = Path(sys.executable).parent / "tunelint"
    if exe.exists():
        return [str(exe), "lsp"]
    found = shutil.which("tunelint")
    require(found is not None, "the tunelint command is not installed (pip install -e .)")
    return [str(found), "lsp"]


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    """Environment for an editor: tunelint's bin dir first on PATH, a throwaway HOME."""
    cmd = tunelint_command()
    env = dict(os.environ)
    env["PATH"] = str(Path(cmd[0]).parent) + os.pathsep + env.get("PATH", "")
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / ".config")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / ".local" / "share")
    env["XDG_STATE_HOME"] = str(tmp_path / "home" / ".local" / "state")
    env["XDG_CACHE_HOME"] = str(tmp_path / "home" / ".cache")
    (tmp_path / "home").mkdir()
    return env
