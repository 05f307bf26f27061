"""A real headless Emacs with Eglot (Debian's emacs-nox 28 + elpa-eglot 1.9 here) loading the
shipped client-config/emacs/tunelint.el, against the real `tunelint lsp`: diagnostics on open,
after an edit, after a code action chosen from the `eglot-code-actions` menu."""

from __future__ import annotations

import json
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

DRIVER = Path(__file__).with_name("emacs_driver.el")


@pytest.fixture
def emacs() -> str:
    exe = shutil.which("emacs")
    require(exe is not None, "emacs is not installed (apt-get install emacs-nox elpa-eglot)")
    assert exe is not None
    probe = subprocess.run(
        [exe, "--batch", "-Q", "--eval",
         "(progn (require 'package)"
         " (add-to-list 'package-directory-list \"/usr/share/emacs/site-lisp/elpa\")"
         " (package-initialize) (require 'eglot))"],
        capture_output=True, text=True, timeout=60,
    )
    require(probe.returncode == 0, "Eglot is not installed (apt-get install elpa-eglot)")
    return exe


def test_emacs_eglot_diagnostics_edit_and_code_action(
    emacs: str, tmp_path: Path, server_env: dict[str, str]
) -> None:
    target = copy_fixture(tmp_path)
    result_file = tmp_path / "result.json"
    env = dict(server_env)
    env.update(
        TUNELINT_EMACS_DIR=str(CLIENT_CONFIG / "emacs"),
        TUNELINT_FILE=str(target),
        TUNELINT_RESULT=str(result_file),
        TUNELINT_TIMEOUT="20000",
    )
    proc = subprocess.run(
        [emacs, "--batch", "-Q", "-l", str(DRIVER)],
        env=env, cwd=target.parent, capture_output=True, text=True, timeout=120,
    )
    detail = f"emacs exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr[-4000:]}"
    assert result_file.exists(), detail
    result = json.loads(result_file.read_text())
    steps = {s["name"]: s for s in result["steps"]}
    detail = json.dumps(result, indent=1)[:6000] + "\n" + detail

    assert result["mode"] == "jsonl-mode", detail
    assert result.get("error") is None, detail

    opened = steps["open"]["diagnostics"]
    assert problems(opened) == OPEN, detail
    assert all(d["source"] == "tunelint" for d in opened), detail
    syntax = next(d for d in opened if d["code"] == "TL101")
    assert syntax["col"] == 96, detail

    assert problems(steps["edit"]["diagnostics"]) >= AFTER_EDIT, detail
    assert "TL101" not in {d["code"] for d in steps["edit"]["diagnostics"]}, detail

    assert any("TL006" in t for t in result["action_titles"]), detail
    assert steps["code action"]["lines"] == 13, detail
    assert (5, "TL006") not in problems(steps["code action"]["diagnostics"]), detail
    assert problems(steps["code action"]["diagnostics"]) >= AFTER_ACTION, detail
    assert_no_duplicates(steps, detail)
    check_file_after(target)
