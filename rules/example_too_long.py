"""Example has more tokens than the model trains on.

## What it does
Counts the example's tokens exactly with the model's tiktoken encoding, the way it is billed
(3 tokens per message, +1 per name, 3 to prime the reply, tool definitions, images by detail), and
reports examples over the model's training-example limit, naming the messages that would be cut.
An example whose UTF-8 size plus overheads is under the limit cannot be over it and is not
tokenized.

## Why is this bad?
Training truncates such examples from the end: the last assistant replies, the part the model
learns from, are lost, while the tokens are still billed. When an assistant target is cut
entirely the example teaches nothing, which is reported as an error.

## Example
```jsonl {"rules": {"example-too-long": {"limit": 100}}}
{"messages": [{"role": "user", "content": "Say it many times"}, {"role": "assistant", "content": "Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana! Eat a banana!"}]}
```
(Here the limit is lowered to 100 tokens with the rule's `limit` option; by default it is the
model's own limit, e.g. 65,536 for gpt-4o-mini-2024-07-18.)

Use instead:
```jsonl {"rules": {"example-too-long": {"limit": 100}}}
{"messages": [{"role": "user", "content": "Say it once"}, {"role": "assistant", "content": "Eat a banana!"}]}
```
Split long conversations into several examples, or pick a model with a larger limit.

## Fix
None: shortening an example is an editorial decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint import formats as fm
from tunelint.context import ExampleContext
from tunelint.problems import Severity
from tunelint.rules import ALL_FORMATS, Problem, Rule


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    limit = opts.get("limit") or (ctx.model.limit if ctx.model else None)
    if not limit:
        return
    bound = ctx.facts.get("token_bound")
    if isinstance(bound, int) and bound <= limit:
        return
    parts = fm.example_token_parts(ctx.run.counter, ctx.obj, ctx.format)
    total = sum(n for _, n in parts)
    ctx.facts["tokens"] = total
    if total <= limit:
        return
    cut: list[str] = []
    whole_target_cut = False
    running = 0
    msgs = ctx.messages() or []
    base = ctx.messages_pointer()
    for pointer, n in parts:
        start = running
        running += n
        if running > limit and pointer:
            label = pointer
            role = None
            if pointer.startswith(base + "/"):
                idx = int(pointer.rsplit("/", 1)[1])
                m = msgs[idx] if idx < len(msgs) else None
                role = m.get("role") if isinstance(m, dict) else None
                label = f"message {idx + 1}" + (f" ({role})" if role else "")
            elif pointer.startswith("/preferred") or pointer.startswith("/non_preferred") or pointer == "/completion":
                role = "assistant"
            cut.append(label + (" partly" if start < limit else ""))
            if role == "assistant" and start >= limit:
                whole_target_cut = True
    model = ctx.model.name if ctx.model else ctx.settings.model
    message = (f"example is {total:,} tokens, over the {limit:,}-token training limit of "
               f"{model}: it is truncated from the end")
    if cut:
        message += "; cut: " + ", ".join(cut[:5]) + (" …" if len(cut) > 5 else "")
    yield Problem("TL901", message, pointer="",
                  severity=Severity.ERROR if whole_target_cut else None,
                  data={"tokens": total, "limit": limit})


RULE = Rule(
    code="TL901",
    name="example-too-long",
    severity=Severity.WARNING,
    scope="example",
    check=check,
    formats=ALL_FORMATS,
    options={"limit": None},
    doc=__doc__,
)
