r"""Legacy prompt/completion line without `prompt` or `completion` (or with the wrong case).

## What it does
Reports a legacy line (format `completion`) that lacks `prompt` or `completion`. When the key is
there in another case (`Prompt`, `COMPLETION`), it says so. Values that are not strings are
reported too.

## Why is this bad?
OpenAI's legacy `prepare_data` tool stopped with "`prompt` column/key is missing" (and renamed
wrongly cased keys for you): babbage-002 and davinci-002 train on exactly these two strings.

## Example
```jsonl {"format": "completion"}
{"Prompt": "Capital of France? ->", "completion": " Paris\n"}
```

Use instead:
```jsonl {"format": "completion"}
{"prompt": "Capital of France? ->", "completion": " Paris\n"}
```

## Fix
Safe for a wrongly cased key: rename it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.jsonscan import join_pointer
from tunelint.rules import COMPLETION, Edit, Fix, Problem, Rule, Severity

from ._tooling import json_type


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    for key in ("prompt", "completion"):
        if key in obj:
            if obj[key] is not None and not isinstance(obj[key], str):
                yield Problem("TL801", f"`{key}` must be a string, not {json_type(obj[key])}",
                              pointer=f"/{key}")
            continue
        cased = next((k for k in obj if k.strip().lower() == key), None)
        if cased is not None:
            ptr = join_pointer("", cased)
            yield Problem("TL801", f"`{cased}` should be `{key}` (keys are case-sensitive)",
                          pointer=ptr, part="key",
                          fix=Fix(f"Rename to `{key}`", safe=True,
                                  edits=(Edit(ptr, "key", f'"{key}"'),)))
        else:
            yield Problem("TL801", f"the `{key}` key is missing", pointer="")


RULE = Rule(
    code="TL801",
    name="legacy-missing-key",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({COMPLETION}),
    fix="sometimes",
    doc=__doc__,
)
