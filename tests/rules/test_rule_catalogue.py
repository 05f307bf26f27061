"""Every rule: metadata, documented examples that pass and fail, and fixtures that pass and fail."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from tunelint.config import Settings, settings_from_mapping
from tunelint.docs import doc_examples, models_markdown, readme_with_rules, rules_markdown
from tunelint.engine import Analyzer, Document
from tunelint.rules import Rule, all_rules

ROOT = Path(__file__).resolve().parents[2]
RULE_FIXTURES = ROOT / "fixtures" / "rules"
RULES = all_rules()
IDS = [r.name for r in RULES]


def _settings_for(r: Rule, extra: dict[str, object] | None = None) -> Settings:
    table: dict[str, object] = {}
    cfg = RULE_FIXTURES / r.name / "tunelint.toml"
    if cfg.exists():
        table.update(tomllib.loads(cfg.read_text("utf-8")))
    table.update(extra or {})
    if not r.default_enabled:
        table["extend-select"] = [r.code]
    # Relative paths in a fixture's tunelint.toml (schema = "schema.json") are its folder's.
    return replace(settings_from_mapping(table), root=str(RULE_FIXTURES / r.name))


def _codes(text: str, settings: Settings, path: str | None = None,
           validation: Path | None = None) -> set[str]:
    doc = Document(Analyzer(settings, path), text, path=path)
    if validation is not None and validation.exists():
        doc.counterpart = Document(Analyzer(settings), validation.read_text("utf-8"),
                                   path=str(validation))
    return {d.code for d in doc.diagnostics()}


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_rule_metadata(r: Rule) -> None:
    assert r.doc.strip(), f"{r.name} has no docstring"
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert heading in r.doc, f"{r.name}: docstring lacks {heading!r}"
    if r.fix in ("safe", "unsafe", "sometimes"):
        assert "## Fix" in r.doc


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_rule_fixtures(r: Rule) -> None:
    folder = RULE_FIXTURES / r.name
    fail = next(iter(sorted(folder.glob("fail.*"))), None)
    ok = next((p for p in sorted(folder.glob("pass.*")) if ".validation." not in p.name), None)
    assert fail is not None and ok is not None, f"{folder} needs pass.* and fail.* fixtures"
    settings = _settings_for(r)
    fail_text = fail.read_bytes().decode("utf-8", "surrogateescape")
    pass_text = ok.read_bytes().decode("utf-8", "surrogateescape")
    # A validation file beside the fixtures (validation.jsonl / pass.validation.jsonl) is
    # checked against, as with --validation-file.
    assert r.code in _codes(fail_text, settings, str(fail), folder / "validation.jsonl"), (
        f"{fail} does not trigger {r.code}"
    )
    assert r.code not in _codes(pass_text, settings, str(ok), folder / "pass.validation.jsonl"), (
        f"{ok} triggers {r.code}"
    )


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_rule_doc_examples(r: Rule) -> None:
    ex = doc_examples(r)
    settings = _settings_for(r, ex.settings)  # type: ignore[arg-type]
    if ex.failing is not None:
        assert r.code in _codes(ex.failing, settings), f"{r.name}: failing doc example passes"
    if ex.passing is not None:
        settings = _settings_for(r, ex.passing_settings)  # type: ignore[arg-type]
        assert r.code not in _codes(ex.passing, settings), f"{r.name}: passing doc example fails"


def test_docs_are_generated_and_fresh() -> None:
    current = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert current == rules_markdown(), "docs/rules.md is stale: run `python -m tunelint.docs`"
    assert (ROOT / "docs" / "models.md").read_text("utf-8") == models_markdown()
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme == readme_with_rules(readme), "README rule list is stale: python -m tunelint.docs"


def test_codes_and_names_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


GUARDED = [r for r in RULES if r.applies is not None]


@pytest.mark.parametrize("r", GUARDED, ids=[r.name for r in GUARDED])
def test_applies_is_false_only_where_the_rule_reports_nothing(r: Rule) -> None:
    """``Rule.applies`` lets the engine skip a rule: on every fixture line and documented
    example of every rule, a rule it rules out would have reported nothing."""
    import orjson

    from tunelint import formats as fm
    from tunelint.context import ExampleContext

    texts: list[str] = []
    for folder in sorted(RULE_FIXTURES.iterdir()):
        for p in sorted(folder.glob("*.jsonl")):
            texts += p.read_bytes().decode("utf-8", "surrogateescape").splitlines()
    for other in RULES:
        ex = doc_examples(other)
        texts += [t for text in (ex.failing, ex.passing) if text for t in text.splitlines()]
    settings = _settings_for(r)
    analyzer = Analyzer(settings)
    checked = skipped = 0
    for text in texts:
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict) or (fmt := fm.detect_format(obj)) not in r.formats:
            continue
        active = analyzer.rules.by_code[r.code]
        ctx = ExampleContext(obj=obj, format=fmt, text=text, run=analyzer.run)
        ctx.facts["token_bound"] = 0
        if r.applies(ctx):
            checked += 1
            continue
        skipped += 1
        assert list(r.check(ctx, active.options)) == [], f"{r.name} skipped on {text[:200]}"
    assert checked and skipped
