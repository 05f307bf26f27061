r"""Reinforcement (RFT) example lacking a field its grader reads as `{{ item.x }}`.

## What it does
Off by default. Configure the fields the grader needs, as a list (`item_keys`) or as the grader
template itself (`grader`, from which every `{{ item.x }}` reference is taken), and every
reinforcement example missing one of them (or holding `null`) is reported. Dotted references such
as `{{ item.answer.value }}` are followed into nested objects.

```toml
[tool.tunelint.rules.rft-item-ref]
grader = "Compare {{ sample.output_text }} with {{ item.reference_answer }}"
```

## Why is this bad?
`messages` and `tools` are the only reserved keys of an RFT line; everything else is there for
the grader. A missing field makes the grader fail or score the sample 0 for reasons that have
nothing to do with the model's answer.

## Example
```jsonl {"format": "reinforcement", "rules": {"rft-item-ref": {"item_keys": ["reference_answer"]}}}
{"messages": [{"role": "developer", "content": "Answer with a number."}, {"role": "user", "content": "What is 6 times 7?"}], "answer": "42"}
```

Use instead:
```jsonl {"format": "reinforcement", "rules": {"rft-item-ref": {"item_keys": ["reference_answer"]}}}
{"messages": [{"role": "developer", "content": "Answer with a number."}, {"role": "user", "content": "What is 6 times 7?"}], "reference_answer": "42"}
```

## Fix
None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import REINFORCEMENT, Problem, Rule, Severity

_REF = re.compile(r"\{\{\s*item\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")


@cache
def _keys(item_keys: tuple[str, ...], grader: str) -> tuple[tuple[str, ...], ...]:
    names = list(item_keys) + _REF.findall(grader)
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault(n.removeprefix("item."), None)
    return tuple(tuple(n.split(".")) for n in seen)


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    raw = opts.get("item_keys") or ()
    item_keys = (raw,) if isinstance(raw, str) else tuple(str(k) for k in raw)
    grader = opts.get("grader") or ""
    if not isinstance(grader, str):
        import json

        grader = json.dumps(grader)
    keys = _keys(item_keys, grader)
    for path in keys:
        value: Any = ctx.obj
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            name = ".".join(path)
            yield Problem("TL752", f"missing `{name}`, which the grader reads as "
                          f"{{{{ item.{name} }}}}", pointer="")


RULE = Rule(
    code="TL752",
    name="rft-item-ref",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({REINFORCEMENT}),
    options={"item_keys": [], "grader": None},
    default_enabled=False,
    doc=__doc__,
)
