r"""Legacy prompt/completion example longer than 10,000 characters or the model's limit.

## What it does
Reports a legacy example whose prompt and completion together are longer than `max_chars`
characters (default 10,000, the threshold of OpenAI's `prepare_data` tool) or, for a known
model, longer than its token limit (counted only when the text could exceed it).

## Why is this bad?
OpenAI's legacy tool warned that such examples "shouldn't be longer than 2048 tokens" and
offered to remove them; text beyond the model's context is cut off and not learned.

## Example
```jsonl {"format": "completion", "rules": {"legacy-long-example": {"max_chars": 40}}}
{"prompt": "Summarise: The quick brown fox jumps over the lazy dog. ->", "completion": " A fox jumps over a dog.\n"}
```

Use instead:
```jsonl {"format": "completion", "rules": {"legacy-long-example": {"max_chars": 40}}}
{"prompt": "Summarise: A fox jumps. ->", "completion": " A fox jumps.\n"}
```

## Fix
None: shorten or split the example.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import COMPLETION, Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    obj = ctx.obj
    prompt, completion = obj.get("prompt"), obj.get("completion")
    prompt = prompt if isinstance(prompt, str) else ""
    completion = completion if isinstance(completion, str) else ""
    n = len(prompt) + len(completion)
    max_chars = int(opts.get("max_chars") or 10_000)
    if n > max_chars:
        yield Problem("TL804", f"the example is {n:,} characters long; keep legacy examples "
                      f"under {max_chars:,}", pointer="")
        return
    model = ctx.model
    if model is None or not model.limit or len(ctx.text) <= model.limit:
        return  # tokens never outnumber characters
    tokens = ctx.run.counter.count(prompt) + ctx.run.counter.count(completion)
    if tokens > model.limit:
        yield Problem("TL804", f"the example is {tokens:,} tokens; {model.name} trains on at "
                      f"most {model.limit:,}", pointer="")

RULE = Rule(
    code="TL804",
    name="legacy-long-example",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=frozenset({COMPLETION}),
    options={"max_chars": 10_000},
    doc=__doc__,
)
