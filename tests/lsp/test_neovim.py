"""A real editor as the client: headless Neovim opens a fixture, gets diagnostics, edits a line
and gets the new ones (Neovim 0.7 from Debian, as installed by .ci/run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCRIPT = Path(__file__).with_name("nvim_client.lua")


def nvim() -> str:
    path = shutil.which("nvim")
    if path is None:
        message = "needs Neovim (apt-get install neovim)"
        if IN_CI:
            pytest.fail(message + "; CI must not skip this test")
        pytest.skip(message)
    return path


def test_neovim_gets_diagnostics_and_updates_after_an_edit(tmp_path: Path):
    exe = nvim()
    fixture = tmp_path / "data.jsonl"
    shutil.copy(FIXTURES / "mixed.jsonl", fixture)
    out = tmp_path / "seen.json"
    env = {**os.environ, "TUNELINT_OUT": str(out), "TUNELINT_FIXTURE": str(fixture),
           "TUNELINT_PYTHON": sys.executable, "TUNELINT_TIMEOUT_MS": "60000"}
    proc = subprocess.run(
        [exe, "--headless", "--clean", "-n", "-c", f"luafile {SCRIPT}"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert out.exists(), f"nvim wrote nothing: rc={proc.returncode} {proc.stderr[-2000:]}"
    seen = json.loads(out.read_text("utf-8"))
    assert seen["errors"] == [], seen
    first = seen["published"][0]
    line0 = fixture.read_text("utf-8").split("\n")[0]
    typo = next(d for d in first["diagnostics"] if d["code"] == "TL302")
    # Neovim 0.7 negotiates UTF-16: the column counts the emoji as two units.
    col = line0.index('"asistant"')
    assert typo["line"] == 0
    assert typo["character"] == len(line0[:col].encode("utf-16-le")) // 2
    # Neovim shows it at the right byte column (its own conversion from our UTF-16 range).
    shown = next(d for d in seen["shown_before"] if d["code"] == "TL302")
    assert (shown["lnum"], shown["col"]) == (0, len(line0[:col].encode("utf-8")))
    assert {"TL904", "TL006", "TL451"} <= {d["code"] for d in seen["shown_before"]}
    # After the edit: a publish for the edited version, without the typo, the rest intact.
    last = seen["published"][-1]
    assert last["version"] == seen["edited_version"] > seen["first_version"]
    codes_after = {d["code"] for d in last["diagnostics"]}
    assert "TL302" not in codes_after
    assert {"TL904", "TL006", "TL451"} <= codes_after
    assert "TL302" not in {d["code"] for d in seen["shown_after"]}
