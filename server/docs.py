"""Rule documentation generated from the rule modules' docstrings (never kept twice)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tunelint.rules import Rule, all_rules

_FENCE = re.compile(r"```jsonl([^\n]*)\n(.*?)```", re.S)


@dataclass
class DocExample:
    failing: str | None
    passing: str | None
    settings: dict[str, object]
    passing_settings: dict[str, object]


def rule_markdown(r: Rule, level: int = 2) -> str:
    h = "#" * level
    fix = {"none": "no fix", "safe": "safe fix", "unsafe": "unsafe fix (not applied by fix-all)",
           "sometimes": "fix available for some cases"}[r.fix]
    meta = [f"- Code: `{r.code}`", f"- Name: `{r.name}`",
            f"- Default severity: {r.severity.label}", f"- Checks: {r.scope}",
            f"- Fix: {fix}"]
    if r.scope == "example":
        meta.append("- Formats: " + ", ".join(sorted(r.formats)))
    if r.options:
        meta.append("- Options: " + ", ".join(f"`{k}` (default `{v!r}`)"
                                            for k, v in r.options.items()))
    if not r.default_enabled:
        meta.append("- Off by default: enable it with `select`/`extend-select`.")
    lines = r.doc.strip().splitlines()
    title = lines[0].strip() if lines else r.name
    body = "\n".join(lines[1:]).strip()
    body = re.sub(r"^## ", h + "# ", body, flags=re.M)
    return f"{h} {r.name} ({r.code})\n\n{title}\n\n" + "\n".join(meta) + "\n\n" + body + "\n"


def doc_examples(r: Rule) -> DocExample:
    """The failing example (after '## Example') and the passing one (after 'Use instead:')."""
    import json

    doc = r.doc
    ex = doc.find("## Example")
    use = doc.find("Use instead:")
    failing = passing = None
    settings: dict[str, object] = {}
    passing_settings: dict[str, object] = {}
    if ex >= 0:
        m = _FENCE.search(doc, ex, use if use > ex else len(doc))
        if m:
            failing = m.group(2)
            if m.group(1).strip():
                settings = json.loads(m.group(1).strip())
    if use >= 0:
        m = _FENCE.search(doc, use)
        if m:
            passing = m.group(2)
            if m.group(1).strip():
                passing_settings = json.loads(m.group(1).strip())
    return DocExample(failing, passing, settings, passing_settings)


def rules_markdown() -> str:
    rules = all_rules()
    parts = [
        "# Rules\n",
        "Generated from the rule modules in `rules/` by `python -m tunelint.docs`; "
        "do not edit by hand (a test fails when this file is stale).\n",
        "| code | name | severity | fix | summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rules:
        parts.append(f"| {r.code} | [{r.name}](#{r.name}) | {r.severity.label} | {r.fix} | "
                     f"{r.summary} |")
    parts.append("")
    parts.append(NOT_CHECKABLE)
    for r in rules:
        parts.append(rule_markdown(r))
    return "\n".join(parts)


NOT_CHECKABLE = """## What cannot be checked locally

- **image-policy** (RULES.md §7): OpenAI skips images that contain people, faces, children or
  CAPTCHAs. Telling that needs a vision model; tunelint does not guess.
- **Images behind http(s) URLs**: whether the URL is reachable, and the image's real size and
  format, are only known by downloading it; tunelint checks data URLs fully and URL syntax only.
- **Organisation eligibility** for fine-tuning (OpenAI's 2026 wind-down) is known only to the API;
  the model registry records the published dates.
"""


def main() -> None:
    import sys
    from pathlib import Path

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/rules.md")
    target.write_text(rules_markdown(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
