"""The VS Code extension: type check, unit tests of its activation logic, .vsix packaging.

Needs client-config/vscode/node_modules (`npm ci`, done by .ci/setup.d/40-vscode.sh)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest

from .conftest import CLIENT_CONFIG, require

VSCODE = CLIENT_CONFIG / "vscode"


@pytest.fixture(scope="module")
def npm() -> str:
    exe = shutil.which("npm")
    require(exe is not None, "npm is not installed")
    require(
        (VSCODE / "node_modules" / ".bin" / "tsc").exists(),
        "client-config/vscode/node_modules is missing: run .ci/setup.d/40-vscode.sh (npm ci)",
    )
    assert exe is not None
    return exe


def run(npm: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [npm, *args], cwd=VSCODE, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"npm {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_typecheck_and_unit_tests(npm: str) -> None:
    proc = run(npm, "test")
    out = proc.stdout
    assert "# fail 0" in out, out
    passed = [line for line in out.splitlines() if line.startswith("# pass ")]
    assert passed and int(passed[-1].split()[-1]) >= 15, out


def test_packages_a_vsix(npm: str) -> None:
    vsix = VSCODE / "tunelint.vsix"
    vsix.unlink(missing_ok=True)
    run(npm, "run", "package")
    assert vsix.exists()
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        assert "extension/package.json" in names
        assert "extension/dist/extension.js" in names
        assert not any("node_modules" in n for n in names), "dependencies must be bundled"
        manifest = json.loads(z.read("extension/package.json"))
    assert manifest["main"] == "./dist/extension.js"
    assert "onLanguage:jsonl" in manifest["activationEvents"]


def test_lockfile_is_committed_and_pins_languageclient() -> None:
    lock = json.loads((VSCODE / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/vscode-languageclient"]["version"] == "11.0.0"
    pkg = json.loads((VSCODE / "package.json").read_text())
    assert pkg["engines"]["vscode"] == "^1.91.0"
