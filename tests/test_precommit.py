"""The pre-commit hook, installed from this repository by `pre-commit try-repo`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import IN_CI, ROOT

WHEELHOUSE = ROOT / ".ci" / "wheelhouse"
CLEAN = "\n".join(
    f'{{"messages": [{{"role": "user", "content": "Q{i}"}}, '
    f'{{"role": "assistant", "content": "A{i}"}}]}}' for i in range(12)) + "\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def wheelhouse() -> Path:
    if not any(WHEELHOUSE.glob("*.whl")):
        message = f"needs wheels in {WHEELHOUSE} (made by .ci/setup.d/50-wheelhouse.sh)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return WHEELHOUSE


def test_pre_commit_try_repo(tmp_path: Path, wheelhouse: Path) -> None:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    # pre-commit installs from a commit: snapshot the work tree into a throwaway repo.
    repo = tmp_path / "hook-repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", ".ci", "benchmarks", "__pycache__", "*.egg-info",
        ".tunelint_cache"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot")
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / "good.jsonl").write_text(CLEAN)
    (project / "bad.jsonl").write_text(CLEAN + "{oops\n")
    (project / "notes.json").write_text("{oops\n")  # not matched by the hook's files pattern
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheelhouse), "NO_COLOR": "1"}
    r = subprocess.run([pre_commit, "try-repo", str(repo), "tunelint", "--all-files"],
                       cwd=project, capture_output=True, text=True, env=env, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "bad.jsonl:13:2: TL101" in out and "notes.json" not in out
    (project / "bad.jsonl").write_text(CLEAN)
    r = subprocess.run([pre_commit, "try-repo", str(repo), "tunelint", "--all-files"],
                       cwd=project, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
