r"""Example with more images than the provider allows.

## What it does
Counts the `image_url` parts of an example and reports the first one over the limit: 10 per
example (profile limit `max_images_per_example`; option `max_images` overrides it).

## Why is this bad?
OpenAI's vision fine-tuning guide and Together allow at most 10 images per example; the example
is rejected.

## Example
```jsonl {"model": "gpt-4o-2024-08-06", "rules": {"images-per-example": {"max_images": 1}}}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "Same animal?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}, {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}}]}, {"role": "assistant", "content": "Yes, both are cats."}]}
```

Use instead:
```jsonl {"model": "gpt-4o-2024-08-06", "rules": {"images-per-example": {"max_images": 1}}}
{"messages": [{"role": "user", "content": [{"type": "text", "text": "What animal is this?"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}, {"role": "assistant", "content": "A cat."}]}
```

## Fix
None: split the example.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity

from ._images import image_parts


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    limit = int(opts.get("max_images") or ctx.limits.get("max_images_per_example") or 10)
    parts = list(image_parts(ctx))
    if len(parts) > limit:
        yield Problem("TL604", f"the example has {len(parts)} images; at most {limit} are "
                      "allowed", pointer=parts[limit].pointer)


RULE = Rule(
    code="TL604",
    name="images-per-example",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    options={"max_images": None},
    doc=__doc__,
)
