r"""Image in a message that is not from the user.

## What it does
Reports an `image_url` content part in an assistant, system, developer or tool message.

## Why is this bad?
OpenAI's vision fine-tuning guide says images are not allowed in assistant messages, and
Together accepts images only in user messages: the example is rejected.

## Example
```jsonl {"model": "gpt-4o-2024-08-06"}
{"messages": [{"role": "user", "content": "Draw a cat."}, {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}
```

Use instead:
```jsonl {"model": "gpt-4o-2024-08-06"}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}, {"role": "assistant", "content": "A cat."}]}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity

from ._images import has_parts, image_parts


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    for img in image_parts(ctx):
        if img.role != "user":
            who = "this message"
            if isinstance(img.role, str):
                who = ("an " if img.role[:1] in "aeiou" else "a ") + f"{img.role} message"
            yield Problem("TL601", f"images are allowed only in user messages, not in {who}",
                          pointer=img.pointer)


RULE = Rule(
    code="TL601",
    name="image-in-assistant",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    doc=__doc__,
    applies=has_parts,
)
