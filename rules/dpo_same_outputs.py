r"""Preference (DPO) example whose preferred and non-preferred outputs are the same.

## What it does
Compares the two outputs of a DPO example (content with surrounding whitespace ignored; tool
calls and other fields compared as they are) and reports a pair that does not differ.

## Why is this bad?
A pair teaches the difference between its two answers. Identical answers carry no preference
signal and only add billed tokens; usually a copy-paste slip.

## Example
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Paris. "}]}
```

Use instead:
```jsonl {"format": "preference"}
{"input": {"messages": [{"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import PREFERENCE, Problem, Rule, Severity


def _norm(out: Any) -> Any:
    if not isinstance(out, list):
        return out
    norm = []
    for m in out:
        if isinstance(m, dict):
            m = {k: (v.strip() if k == "content" and isinstance(v, str) else v)
                 for k, v in m.items() if k != "weight"}
        norm.append(m)
    return norm


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    for good, bad in (("preferred_output", "non_preferred_output"),
                      ("preferred_completion", "non_preferred_completion")):
        if good in obj and bad in obj:
            a, b = obj[good], obj[bad]
            if isinstance(a, list) and a and _norm(a) == _norm(b):
                yield Problem("TL704", f"`{bad}` is the same as `{good}`: the pair teaches no "
                              "preference", pointer=f"/{bad}")


RULE = Rule(
    code="TL704",
    name="dpo-same-outputs",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({PREFERENCE}),
    doc=__doc__,
)
