"""Generated datasets (benchmarks/generate.py): every injected defect is reported with the right
rule at the right line, and a clean dataset gets no errors.

Defect kinds whose rule is not implemented yet are skipped (each says which rule it waits for),
so this test grows as the rule catalogue does.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from tunelint.config import Settings
from tunelint.engine import Analyzer, Document
from tunelint.problems import Diagnostic, Severity
from tunelint.rules import get_rule

ROOT = Path(__file__).resolve().parent.parent


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tunelint_bench_generate",
                                                  ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
MODES = gen.MODES


def lint_bytes(data: bytes, mode: str) -> list[Diagnostic]:
    # As the CLI reads files: invalid UTF-8 kept as surrogate escapes.
    text = data.decode("utf-8", "surrogateescape")
    model = gen.MODE_MODEL[mode]
    settings = Settings(model=model) if model else Settings()
    return Document(Analyzer(settings), text).diagnostics()


def by_line(diags: list[Diagnostic]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for d in diags:
        out[d.line].add(d.code)
    return out


def implemented(kinds: list[str]) -> list[str]:
    return [k for k in kinds if get_rule(gen.KINDS[k].rule) is not None]


def _describe(d: Diagnostic) -> str:
    return f"line {d.line + 1}: {d.code} [{d.name}] {d.message}"


@pytest.mark.parametrize("mode", MODES)
def test_clean_dataset_has_no_errors_or_warnings(mode: str) -> None:
    data, defects = gen.generate_text(200, seed=11, mode=mode)
    assert defects == []
    diags = lint_bytes(data, mode)
    errors = [_describe(d) for d in diags if d.severity == Severity.ERROR]
    assert errors == []
    warnings = [_describe(d) for d in diags if d.severity == Severity.WARNING]
    assert warnings == []


def test_generator_is_deterministic() -> None:
    a = gen.generate_text(50, seed=5, defects=10)
    b = gen.generate_text(50, seed=5, defects=10)
    c = gen.generate_text(50, seed=6, defects=10)
    assert a == b
    assert a[0] != c[0]


def test_generated_shape_is_realistic() -> None:
    """Mean line size and repeated system prompts match PERF.md's dataset (4.4 KB a line, 75%
    with one of 32 system prompts) closely enough for the benchmarks to mean the same."""
    import orjson

    data, _ = gen.generate_text(2000, seed=1)
    lines = data.split(b"\n")[:-1]
    mean = sum(map(len, lines)) / len(lines)
    assert 3500 < mean < 5500
    systems = [m["content"] for line in lines for m in orjson.loads(line)["messages"]
               if m["role"] == "system"]
    assert 0.65 < len(systems) / len(lines) < 0.85
    assert len(set(systems)) <= 32


CASES = [(mode, kind) for mode in MODES for kind in gen.kinds_for(mode)]


@pytest.mark.parametrize(("mode", "kind"), CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_injected_defect_is_reported(mode: str, kind: str) -> None:
    rule_name = gen.KINDS[kind].rule
    rule = get_rule(rule_name)
    if rule is None:
        pytest.skip(f"rule {rule_name!r} is not implemented yet")
    n = 1 if kind == "bom" else 2
    data, defects = gen.generate_text(16, seed=3, mode=mode, defects=n, kinds=[kind])
    assert len(defects) == n
    diags = lint_bytes(data, mode)
    found = by_line(diags)
    for d in defects:
        assert rule.code in found.get(d.line, set()), (
            f"{kind} on line {d.line + 1}: expected {rule.code} [{rule.name}], got "
            f"{sorted(found.get(d.line, set()))}; all: {[_describe(x) for x in diags]}"
        )


@pytest.mark.parametrize("mode", MODES)
def test_all_defects_together(mode: str) -> None:
    """Every implemented kind in one dataset: each reported at its line, and no error on a line
    that has no defect (no false positive, no defect leaking onto its neighbours)."""
    kinds = implemented(gen.kinds_for(mode))
    if not kinds:
        pytest.skip("no rule for any defect kind yet")
    kinds = [k for k in kinds if k != "too-long"] + (["too-long"] if "too-long" in kinds else [])
    data, defects = gen.generate_text(250, seed=7, mode=mode, defects=len(kinds) + 6, kinds=kinds)
    diags = lint_bytes(data, mode)
    found = by_line(diags)
    missing = []
    for d in defects:
        code = get_rule(d.rule).code
        if code not in found.get(d.line, set()):
            missing.append(f"{d.kind} on line {d.line + 1}: expected {code}, got "
                           f"{sorted(found.get(d.line, set()))}")
    assert missing == []
    defect_lines = {d.line for d in defects}
    stray = [_describe(d) for d in diags
             if d.severity == Severity.ERROR and d.line not in defect_lines]
    assert stray == []
