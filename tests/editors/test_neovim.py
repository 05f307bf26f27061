"""A real headless Neovim (Debian's 0.7.2 here) with the shipped client-config/neovim files,
against the real `tunelint lsp`: diagnostics on open, after an edit, after a code action."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ._scenario import (
    AFTER_ACTION,
    AFTER_EDIT,
    OPEN,
    assert_no_duplicates,
    check_file_after,
    copy_fixture,
    problems,
)
from .conftest import CLIENT_CONFIG, require

DRIVER = Path(__file__).with_name("nvim_driver.lua")


@pytest.fixture
def nvim() -> str:
    # TUNELINT_NVIM: another Neovim to run the scenario with (e.g. 0.11+ for lsp/tunelint.lua).
    exe = os.environ.get("TUNELINT_NVIM") or shutil.which("nvim")
    require(exe is not None, "nvim is not installed (apt-get install neovim)")
    assert exe is not None
    return exe


def test_neovim_diagnostics_edit_and_code_action(
    nvim: str, tmp_path: Path, server_env: dict[str, str]
) -> None:
    target = copy_fixture(tmp_path)
    result_file = tmp_path / "result.json"
    env = dict(server_env)
    env.update(
        TUNELINT_NVIM_DIR=str(CLIENT_CONFIG / "neovim"),
        TUNELINT_FILE=str(target),
        TUNELINT_RESULT=str(result_file),
        TUNELINT_TIMEOUT="20000",
    )
    proc = subprocess.run(
        [nvim, "--headless", "-u", str(DRIVER), "-i", "NONE", "-n"],
        env=env, cwd=target.parent, capture_output=True, text=True, timeout=120,
    )
    log = Path(env["XDG_STATE_HOME"]) / "nvim" / "lsp.log"
    detail = (
        f"nvim exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}\n"
        f"lsp.log: {log.read_text()[-3000:] if log.exists() else '(none)'}"
    )
    assert result_file.exists(), detail
    result = json.loads(result_file.read_text())
    steps = {s["name"]: s for s in result["steps"]}
    detail = json.dumps(result, indent=1)[:6000] + "\n" + detail

    assert result["filetype"] == "jsonl", detail
    assert result["loaded"] in ("tunelint-0.7.lua", "tunelint-0.8.lua", "lsp/tunelint.lua")
    assert result.get("error") is None, detail

    opened = steps["open"]["diagnostics"]
    assert problems(opened) == OPEN, detail
    assert all(d["source"] == "tunelint" for d in opened), detail
    syntax = next(d for d in opened if d["code"] == "TL101")
    assert syntax["col"] == 96, detail  # at the end of the line, where ']' is missing

    assert problems(steps["edit"]["diagnostics"]) >= AFTER_EDIT, detail
    assert "TL101" not in {d["code"] for d in steps["edit"]["diagnostics"]}, detail

    assert any("TL006" in t for t in result["action_titles"]), detail
    assert steps["code action"]["lines"] == 13, detail
    assert (5, "TL006") not in problems(steps["code action"]["diagnostics"]), detail
    assert problems(steps["code action"]["diagnostics"]) >= AFTER_ACTION, detail
    assert_no_duplicates(steps, detail)
    check_file_after(target)
