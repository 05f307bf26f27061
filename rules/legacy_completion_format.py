r"""Legacy prompt/completion example, which only babbage-002 and davinci-002 train on.

## What it does
Reports each prompt/completion line when the configured model is not a legacy completion model,
and offers to convert it to the chat format:
`{"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]}`.

## Why is this bad?
Current models (gpt-4o, gpt-4.1, gpt-3.5-turbo) fine-tune on chat `messages`; only the legacy
base models babbage-002 and davinci-002 take `prompt`/`completion`. The separators and stop
sequences the old format needed (` ->`, `\n\n###\n\n`, ` END`) are not needed in chat.

## Example
```jsonl {"format": "completion"}
{"prompt": "Capital of France?", "completion": "Paris"}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}]}
```

## Fix
Unsafe: rewrite the line as a chat example (prompt → user message, completion → assistant
message, surrounding whitespace of the completion kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import COMPLETION, Fix, Problem, Rule, Severity


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    model = ctx.model
    if model is not None and "completion" in model.methods:
        return
    obj = ctx.obj
    prompt, completion = obj.get("prompt"), obj.get("completion")
    fix = None
    if isinstance(prompt, str) and isinstance(completion, str):
        line = json.dumps({"messages": [{"role": "user", "content": prompt},
                                        {"role": "assistant", "content": completion}]},
                          ensure_ascii=False)
        fix = Fix("Convert to chat messages", safe=False, line_text=line)
    name = ctx.settings.model
    yield Problem("TL805", f"legacy prompt/completion format: only babbage-002 and davinci-002 "
                  f"train on it, not {name}; use chat `messages`", pointer="", fix=fix)


RULE = Rule(
    code="TL805",
    name="legacy-completion-format",
    severity=Severity.INFO,
    scope="example",
    check=check,
    formats=frozenset({COMPLETION}),
    fix="unsafe",
    doc=__doc__,
)
