"""Message `weight` that is not the integer 0 or 1.

## What it does
Reports a `weight` other than the integers `0` and `1`: `1.0`, `true`, `"1"`, `2`, `0.5`,
`null`.

## Why is this bad?
OpenAI's schema declares `weight` as an integer in {0, 1}; Together rejects `1.0` ("Weight must be
an integer") and anything else. Weights of `true` or `1.0` are what exporters write by accident.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1.0}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1}]}
```

## Fix
Safe when the intent is clear: `1.0`, `true` and `"1"` become `1`; `0.0`, `false` and `"0"`
become `0`. None for other values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tunelint.context import ExampleContext
from tunelint.rules import Edit, Fix, Problem, Rule, Severity
from tunelint.rules._chat import has_weights


def _intended(w: Any) -> int | None:
    if isinstance(w, bool):
        return int(w)
    if type(w) is float and w in (0.0, 1.0):
        return int(w)
    if type(w) is str and w.strip() in ("0", "1"):
        return int(w.strip())
    return None


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    if "weight" not in ctx.message_keys():  # one set lookup: most examples have no weights
        return
    for i, m, pointer in ctx.iter_messages():
        if "weight" not in m:
            continue
        w = m["weight"]
        if type(w) is int and (w == 0 or w == 1):
            continue
        wp = f"{pointer}/weight"
        shown = orjson.dumps(w).decode() if not isinstance(w, (dict, list)) else (
            "an object" if isinstance(w, dict) else "an array")
        new = _intended(w)
        if new is None:
            yield Problem("TL451", f"weight {shown} on message {i} is invalid: use 0 (do not "
                          "train) or 1 (train)", pointer=wp)
            continue
        yield Problem(
            "TL451",
            f"weight {shown} must be the integer {new}",
            pointer=wp,
            fix=Fix(f"Change the weight to {new}", safe=True, edits=(Edit(wp, "value", str(new)),)),
        )


RULE = Rule(
    code="TL451",
    name="weight-invalid",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat"}),
    fix="sometimes",
    doc=__doc__,
    applies=has_weights,
)
