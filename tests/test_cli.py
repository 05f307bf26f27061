"""`tunelint check`, `rules` and `rule` as a user runs them (a real process where it matters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tunelint.cli import main

CHAT = ('{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": '
        '"Q%d"}, {"role": "assistant", "content": "A%d"}]}')
CLEAN = "\n".join(CHAT % (i, i) for i in range(12)) + "\n"


def run_cli(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120, **popen: Any) -> subprocess.CompletedProcess[str]:
    """``tunelint ARGS`` in a process of its own; ``env`` adds to the environment."""
    return subprocess.run([sys.executable, "-m", "tunelint", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})}, **popen)


def test_clean_file_exits_zero(tmp_path: Path) -> None:
    f = tmp_path / "train.jsonl"
    f.write_text(CLEAN)
    r = run_cli("check", str(f), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 errors" in r.stdout


def test_errors_exit_one_with_caret_under_the_place(tmp_path: Path) -> None:
    f = tmp_path / "train.jsonl"
    bad = '{"messages": [{"role": "user", "content": "x"} {"role": "assistant"}]}'
    f.write_text(CLEAN + bad + "\n")
    r = run_cli("check", str(f), cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    i = next(i for i, x in enumerate(lines) if "TL101" in x)
    col = bad.index('} {"role"') + 2  # the second object, where a ',' was expected
    assert lines[i].startswith(f"{f}:13:{col + 1}: TL101 [json-syntax] expected ',' or ']'")
    assert lines[i + 2].index("^") - 2 == col


def test_usage_and_io_errors_exit_two(tmp_path: Path) -> None:
    assert run_cli("check", "nope.jsonl", cwd=tmp_path).returncode == 2
    assert run_cli("check", "--profile", "acme", cwd=tmp_path).returncode == 2
    (tmp_path / "tunelint.toml").write_text('modle = "x"\n')
    (tmp_path / "a.jsonl").write_text(CLEAN)
    r = run_cli("check", "a.jsonl", cwd=tmp_path)
    assert r.returncode == 2 and "unknown setting 'modle'" in r.stderr


def test_json_output_is_one_based_in_characters(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text(CLEAN + '{"messages": [{"role": "user", "content": "日本😀"}, '
                 '{"role": "asistant", "content": "x"}]}\n')
    r = run_cli("check", str(f), "--output-format", "json", cwd=tmp_path)
    items = json.loads(r.stdout)
    role = next(x for x in items if x["code"] == "TL302")
    line = f.read_text().splitlines()[12]
    col = line.index('"asistant"') + 1
    assert (role["line"], role["column"], role["end_column"]) == (13, col, col + len('"asistant"'))
    assert set(role) >= {"path", "line", "column", "end_line", "end_column", "code", "name",
                         "severity", "message"}
    assert role["severity"] == "error" and role["name"] == "role-invalid"


def test_github_and_sarif_outputs(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text("{bad\n" + CLEAN)
    gh = run_cli("check", str(f), "--output-format", "github", cwd=tmp_path).stdout
    assert f"::error file={f},line=1,col=2,endLine=1,endColumn=3,title=TL101 json-syntax::" in gh
    sarif = json.loads(run_cli("check", str(f), "--output-format", "sarif", cwd=tmp_path).stdout)
    result = next(x for x in sarif["runs"][0]["results"] if x["ruleId"] == "TL101")
    assert sarif["version"] == "2.1.0" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_stdin_folder_and_glob(tmp_path: Path) -> None:
    r = run_cli("check", "-", cwd=tmp_path, stdin=CLEAN)
    assert r.returncode == 0 and "1 file checked" in r.stdout
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text(CLEAN)
    (tmp_path / "data" / "b.ndjson").write_text("{oops\n")
    (tmp_path / "data" / "notes.txt").write_text("{oops\n")
    r = run_cli("check", "data", cwd=tmp_path)
    assert r.returncode == 1 and "2 files checked" in r.stdout and "b.ndjson:1:2" in r.stdout
    r = run_cli("check", "data/*.jsonl", cwd=tmp_path)
    assert r.returncode == 0 and "1 file checked" in r.stdout


def test_fix_applies_only_safe_fixes_atomically_keeping_crlf(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    lines = [CHAT % (i, i) for i in range(12)]
    lines.insert(3, "")  # blank line: safe fix
    lines.append(CHAT % (1, 1))  # duplicate: safe fix
    lines.append('{"messages": [{"role": "user", "content": "x"}, '
                 '{"role": "assistant", "content": "y", "weight": 1.0}]}')  # weight: safe
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    r = run_cli("check", "--fix", str(f), cwd=tmp_path)
    data = f.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode()
    assert "\r\n\r\n" not in text and text.count(CHAT % (1, 1)) == 1
    assert '"weight": 1}' in text
    assert r.returncode == 0, r.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_select_ignore_and_per_file_ignores_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tunelint]\nignore = ["TL305"]\n'
        '[tool.tunelint.per-file-ignores]\n"legacy/*.jsonl" = ["json-syntax"]\n')
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "x.jsonl").write_text(CLEAN + "{bad\n")
    r = run_cli("check", "legacy/x.jsonl", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    r = run_cli("check", "legacy/x.jsonl", "--select", "TL1", cwd=tmp_path)
    assert "TL101" not in r.stdout  # per-file ignore still applies
    (tmp_path / "y.jsonl").write_text(CLEAN + "{bad\n")
    r = run_cli("check", "y.jsonl", "--ignore", "json-syntax", cwd=tmp_path)
    assert r.returncode == 0


def test_validation_file_overlap(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(CLEAN)
    (tmp_path / "valid.jsonl").write_text(CHAT % (3, 3) + "\n")
    r = run_cli("check", "train.jsonl", "--validation-file", "valid.jsonl", cwd=tmp_path)
    assert "train.jsonl:4:1: TL907" in r.stdout and "valid.jsonl (line 1)" in r.stdout


def test_stats_prints_tokens_billing_and_histogram(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(CLEAN)
    r = run_cli("check", "t.jsonl", "--stats", "--n-epochs", "2", cwd=tmp_path)
    assert "12 examples" in r.stdout and "billable tokens" in r.stdout
    assert "epochs: 2 (configured)" in r.stdout and "histogram" in r.stdout


def test_cache_makes_identical_results(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(CLEAN + "{bad\n" + CHAT % (1, 1) + "\n")
    first = run_cli("check", "t.jsonl", "--output-format", "json", cwd=tmp_path)
    assert list((tmp_path / ".tunelint_cache").glob("*.pickle"))
    second = run_cli("check", "t.jsonl", "--output-format", "json", cwd=tmp_path)
    assert first.stdout == second.stdout and json.loads(first.stdout)


def test_rules_and_rule_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "TL101  json-syntax" in out
    assert main(["rule", "json-syntax"]) == 0
    doc = capsys.readouterr().out
    assert "## json-syntax (TL101)" in doc and "### Why is this bad?" in doc
    assert main(["rule", "TL999"]) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="sets a descriptor limit with `resource`")
def test_many_files_do_not_hold_a_descriptor_each(tmp_path: Path) -> None:
    """Every file's findings are printed after all are checked, each reading its lines back:
    a folder of more files than the process may open at once still works."""
    import resource

    data = tmp_path / "data"
    data.mkdir()
    weight = ('{"messages": [{"role": "user", "content": "q"}, '
              '{"role": "assistant", "content": "a%d", "weight": 1.0}]}\n')
    for i in range(120):
        (data / f"f{i:03}.jsonl").write_text(weight % i)

    def limit_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    r = run_cli("check", "--no-cache", str(data), cwd=tmp_path, preexec_fn=limit_descriptors)
    assert "Too many open files" not in r.stderr, r.stderr
    assert r.stdout.count("TL451") == 120, r.stdout[-2000:] + r.stderr
    assert "120 files checked: 240 errors" in r.stdout  # weight and min-examples


def test_a_file_removed_before_its_findings_are_printed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """Findings are placed as they are printed, from lines read back: a file gone by then
    ends the run with a message, not a traceback."""
    from tunelint import batch, cli

    f = tmp_path / "train.jsonl"
    f.write_text(CLEAN.replace('"A3"}', '"A3", "weight": 1.0}'))
    checked = cli.check_file

    def check_then_remove(*args: object, **kwargs: object) -> cli.FileReport:
        report = checked(*args, **kwargs)
        f.unlink()
        while batch._READERS:
            batch._READERS.popitem()[1].close()
        return report

    monkeypatch.setattr(cli, "check_file", check_then_remove)
    assert main(["check", "--no-cache", str(f)]) == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_stdin_takes_the_streamed_path_and_leaves_no_file(tmp_path: Path) -> None:
    """A dataset piped in is copied to a temporary file and checked like a file on disk (in
    workers once it is big, reading lines back as findings print); the findings are those of
    the same file given by path, under "<stdin>", and the copy is gone when the process ends."""
    lines = [CHAT % (i, i) for i in range(30_000)]  # about 4 MB
    lines[5] = lines[5].replace('"A5"}', '"A5", "weight": 1.0}')
    lines[29_000] = lines[3]
    lines[29_500] = '{"messages": [{"role": "asistant", "content": "x"}'
    text = "\n".join(lines) + "\n"
    f = tmp_path / "train.jsonl"
    f.write_text(text)
    spool = tmp_path / "spool"
    spool.mkdir()

    def check(*args: str, stdin: str | None = None) -> list[dict[str, object]]:
        r = run_cli("check", "--no-cache", "--output-format", "json", *args, cwd=tmp_path,
                    stdin=stdin, env={"TMPDIR": str(spool)}, timeout=300)
        assert r.returncode == 1, r.stderr
        return [{k: v for k, v in d.items() if k != "path"} for d in json.loads(r.stdout)]

    piped = check("-", stdin=text)
    assert piped == check(str(f))
    assert {d["code"] for d in piped} >= {"TL451", "TL904", "TL101"}
    assert not list(spool.iterdir())


def test_stdin_in_workers_gets_what_the_editor_gets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """Standard input checked in workers (ranges of a few lines) gets the findings of the
    editor's document of the same text, which has no path."""
    import io

    from helpers import lint

    from tunelint import batch

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "RANGE_BYTES", 300)
    lines = [CHAT % (i, i) for i in range(40)]
    lines[7] = lines[2]
    lines[9] = '{"prompt": "p", "completion": " c"}'
    text = "\n".join(lines) + "\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    streamed: list[object] = []
    check_path = batch.check_path

    def recording(*args: Any, **kwargs: Any) -> Any:
        streamed.append(kwargs.get("anonymous"))
        return check_path(*args, **kwargs)

    monkeypatch.setattr(batch, "check_path", recording)
    assert main(["check", "--no-cache", "--output-format", "json", "-"]) == 1
    assert streamed == [True]
    found = json.loads(capsys.readouterr().out)
    assert {d["path"] for d in found} == {"<stdin>"}
    assert [(d["line"] - 1, d["code"]) for d in found] == [(d.line, d.code) for d in lint(text)]


def test_files_are_checked_as_their_findings_are_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Each file is checked when the output reaches it, and its document is dropped once its
    findings are out: many large files never sit in memory together. The validation file is
    checked once, for the comparison and its own report."""
    import gc
    import weakref

    from tunelint import cli

    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.jsonl").write_text(CLEAN + CHAT % (1, 1) + "\n")  # a duplicate
    (tmp_path / "valid.jsonl").write_text(CHAT % (3, 3) + "\n")
    events: list[str] = []
    alive: list[weakref.ref[Any]] = []
    checked = cli.check_file

    def recording(path: str, *args: Any, **kwargs: Any) -> cli.FileReport:
        gc.collect()
        events.append(f"check {Path(path).name}, documents alive: "
                      f"{sum(ref() is not None for ref in alive)}")
        report = checked(path, *args, **kwargs)
        alive.append(weakref.ref(report.line_text.__self__))  # type: ignore[attr-defined]
        return report

    from tunelint import batch

    paths: list[str] = []
    check_path = batch.check_path

    def counting(path: str, *args: Any, **kwargs: Any) -> Any:
        paths.append(path)
        return check_path(path, *args, **kwargs)

    monkeypatch.setattr(batch, "check_path", counting)
    monkeypatch.setattr(cli, "check_file", recording)
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--no-cache", "a.jsonl", "b.jsonl", "c.jsonl",
                 "--validation-file", "valid.jsonl"])
    out = capsys.readouterr().out
    assert code == 1  # the validation file has too few examples
    # One at a time: the previous report's document is gone when the next file is checked.
    assert events == [f"check {name}.jsonl, documents alive: 0"
                      for name in ("a", "valid", "b", "valid", "c", "valid")]
    # The validation file's own report reuses the document its comparison checked.
    assert [Path(p).name for p in paths] == ["a.jsonl", "valid.jsonl", "b.jsonl",
                                             "valid.jsonl", "c.jsonl", "valid.jsonl"]
    for name in ("a", "b", "c"):
        assert f"{name}.jsonl:13:1: TL904" in out and f"{name}.jsonl:4:1: TL907" in out
    assert "6 files checked: 3 errors, 6 warnings" in out, out[-300:]
